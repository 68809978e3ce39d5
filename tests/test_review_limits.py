"""`review` on files that lie about themselves or cannot be read (issue 14, holes 9 and 10): a corrupt
gzip, a gzip whose trailer claims a small size, a gzip of nothing but blank lines, and files that cannot
be opened are each one problem line naming the file; the rest of the folder is reviewed; memory is
bounded by what is read, not by what the file claims."""
import gzip
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from evaluator.review import review_paths

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "ocds"
GOOD = FIXTURES / "core_rated.json"


def write_gzip_stream(path: Path, chunks, claimed_size: int | None = None) -> None:
    """A gzip file of `chunks` (bytes, written as they come); the trailer's size is `claimed_size`
    if given (a forged trailer), else the true size modulo 4 GiB."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, size = 0, 0
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            fh.write(comp.compress(chunk))
        fh.write(comp.flush())
        fh.write(struct.pack("<II", crc & 0xFFFFFFFF, (size if claimed_size is None else claimed_size) & 0xFFFFFFFF))


def forged_trailer_gzip(path: Path, megabytes: int) -> None:
    """A release package with one release, padded inside the JSON with `megabytes` MB of spaces, whose
    gzip trailer claims the whole file decompresses to a few times its compressed size."""
    release = json.loads(GOOD.read_text())
    release = release["releases"][0] if "releases" in release else release
    head = b'{"uri": "forged", "releases": [' + json.dumps(release).encode() + b"]"
    pad = b" " * (1 << 20)
    write_gzip_stream(path, [head, *(pad for _ in range(megabytes)), b"}\n"], claimed_size=0)
    compressed = path.stat().st_size
    with open(path, "r+b") as fh:  # the trailer claims 4x the compressed size: plausible, and small
        fh.seek(-4, 2)
        fh.write(struct.pack("<I", compressed * 4))


def blank_lines_gzip(path: Path, compressed_kb: int = 250) -> None:
    """About `compressed_kb` KB of gzip that decompresses to nothing but newlines (~1,000 times more)."""
    chunk = b"\n" * (1 << 20)
    n = max(1, compressed_kb * 1024 // 1000)  # deflate packs about 1,000 newlines per byte
    write_gzip_stream(path, (chunk for _ in range(n)))


def corrupt_gzip(path: Path) -> None:
    data = gzip.compress(GOOD.read_bytes())
    middle = len(data) // 2
    path.write_bytes(data[:10] + bytes(b ^ 0x5A for b in data[10:middle]) + data[middle:])


def run_review(*paths, timeout=300):
    """`python -m evaluator review --json`, with the child's peak memory (MB) and wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evaluator", "review", "--json", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert "Traceback" not in proc.stderr and "unexpected problem" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), (peak if peak > before else 0) / 1024, took


def _folder(tmp_path) -> Path:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    shutil.copy(GOOD, folder / "a_good.json")
    return folder


def _problems_for(doc, name):
    return [p for p in doc["problems"] if Path(p["source"].split(" (")[0]).name == name]


def test_a_corrupt_gzip_is_one_problem_and_the_rest_is_reviewed(tmp_path):
    folder = _folder(tmp_path)
    corrupt_gzip(folder / "b_corrupt.json.gz")
    shutil.copy(FIXTURES / "core_price_only.json", folder / "c_after.json")
    doc, _, _ = run_review(folder)
    problems = _problems_for(doc, "b_corrupt.json.gz")
    assert len(problems) == 1, doc["problems"]
    assert "b_corrupt.json.gz" in problems[0]["source"] and "cannot be read" in problems[0]["message"]
    assert {Path(t["source"].split(" (")[0]).name for t in doc["tenders"]} == {"a_good.json", "c_after.json"}


def test_a_forged_gzip_trailer_does_not_decide_what_is_held_in_memory(tmp_path):
    folder = _folder(tmp_path)
    shutil.copy(GOOD, folder / "a_good.json")
    forged_trailer_gzip(folder / "b_forged.json.gz", megabytes=600)
    assert (folder / "b_forged.json.gz").stat().st_size < 2 * 2**20  # 600 MB of JSON in under 2 MB
    doc, peak_mb, _ = run_review(folder)
    assert peak_mb < 400, f"peak memory {peak_mb:.0f} MB: the 600 MB document was held whole"
    # the release inside is reviewed; the trailer's lie is reported against the file
    assert any(Path(t["source"].split(" (")[0]).name == "b_forged.json.gz" for t in doc["tenders"])
    problems = _problems_for(doc, "b_forged.json.gz")
    assert len(problems) == 1 and "reading stopped" in problems[0]["message"], problems


def test_one_enormous_release_does_not_hold_the_review_in_memory(tmp_path):
    """Not a lie this time: the file really holds a 300 MB release (one string). Reading stops at
    MAX_ITEM_BYTES; the release before it is reviewed, the file is one problem line."""
    folder = _folder(tmp_path)
    release = json.loads(GOOD.read_text())
    release = release["releases"][0] if "releases" in release else release
    head = b'{"uri": "big", "releases": [' + json.dumps({**release, "ocid": "ocds-before"}).encode() + \
        b', {"ocid": "ocds-big", "description": "'
    chunk = b"a" * (1 << 20)  # one object written 300 times: the test itself holds 1 MB
    write_gzip_stream(folder / "b_big.json.gz", [head, *(chunk for _ in range(300)), b'"}]}'])
    doc, peak_mb, _ = run_review(folder)
    assert peak_mb < 400, f"peak memory {peak_mb:.0f} MB"
    assert "ocds-before" in {t["ocid"] for t in doc["tenders"]} and "ocds-big" not in {t["ocid"] for t in doc["tenders"]}
    problems = _problems_for(doc, "b_big.json.gz")
    assert len(problems) == 1 and "more than 16 MB" in problems[0]["message"], problems


def test_a_gzip_of_blank_lines_is_skipped_cheaply(tmp_path):
    folder = _folder(tmp_path)
    blank_lines_gzip(folder / "b_blank.jsonl.gz", compressed_kb=250)
    doc, _, took = run_review(folder)
    assert took < 15, f"{took:.1f} s for 250 KB of blank lines"
    problems = _problems_for(doc, "b_blank.jsonl.gz")
    assert len(problems) == 1 and "empty" in problems[0]["message"]
    assert [Path(t["source"]).name for t in doc["tenders"]] == ["a_good.json"]


def test_blank_lines_between_json_lines_keep_their_line_numbers(tmp_path):
    folder = tmp_path / "lines"
    folder.mkdir()
    rel = json.loads(GOOD.read_text())
    rel = rel["releases"][0] if "releases" in rel else rel
    body = b"\n" * 3 + json.dumps(rel).encode() + b"\n" + b" \n\t\n" * 5000 + b"{not json\n" + b"\n" * 100000
    (folder / "x.jsonl").write_bytes(body)
    review = review_paths([folder])
    assert [t["source"] for t in review.tenders] == [f"{folder / 'x.jsonl'} (line 4)"]
    assert [p["where"] for p in review.problems] == [f"line {4 + 2 * 5000 + 1}"]


def test_unreadable_entries_are_problem_lines_naming_them(tmp_path):
    folder = _folder(tmp_path)
    (folder / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    (folder / "loop.json").symlink_to(folder / "loop.json")
    os.mkfifo(folder / "pipe.json")
    doc, _, _ = run_review(folder, timeout=60)
    for name in ("dangling.json", "loop.json", "pipe.json"):
        problems = _problems_for(doc, name)
        assert len(problems) == 1 and "cannot be read" in problems[0]["message"], (name, doc["problems"])
    assert [Path(t["source"]).name for t in doc["tenders"]] == ["a_good.json"]


def test_a_folder_or_file_the_user_cannot_enter_is_a_problem_line(tmp_path, monkeypatch):
    """As root every folder can be entered, so the refusal is simulated where the operating system
    would raise it: stat and open of anything under the locked folder."""
    folder = _folder(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(GOOD, locked / "secret.json")
    (folder / "into_locked.json").symlink_to(locked / "secret.json")
    (folder / "locked_dir").symlink_to(locked, target_is_directory=True)
    real_stat, real_open, real_scandir = os.stat, os.open, os.scandir

    def refuse(path):
        p = os.fspath(path)
        if isinstance(p, bytes):
            p = p.decode()
        if os.path.realpath(p).startswith(str(locked) + os.sep) or os.path.realpath(p) == str(locked):
            raise PermissionError(13, "Permission denied", p)

    def stat(path, *a, **k):
        if k.get("follow_symlinks", True):
            refuse(path)
        return real_stat(path, *a, **k)

    def open_(path, *a, **k):
        refuse(path)
        return real_open(path, *a, **k)

    def scandir(path="."):
        refuse(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)
    import builtins
    import io
    real_builtin_open = builtins.open

    def bopen(file, *a, **k):
        if isinstance(file, (str, bytes, os.PathLike)):
            refuse(file)
        return real_builtin_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", bopen)
    monkeypatch.setattr(io, "open", bopen)
    review = review_paths([folder])
    names = [Path(p["source"]).name for p in review.problems]
    assert "into_locked.json" in names, review.problems
    assert all("cannot be read" in p["message"] or "cannot be opened" in p["message"] for p in review.problems)
    assert [Path(t["source"]).name for t in review.tenders] == ["a_good.json"]


def test_the_wales_portfolio_reviews_as_before():
    """The real Sell2Wales releases: the same numbers as before these limits (90 tenders, 233 lots)."""
    wales = Path("/work/shared/data/ocds_wales")
    if not wales.is_dir():
        pytest.skip("the Sell2Wales sample is not on this machine")
    review = review_paths([wales])
    assert (review.summary["tenders"], review.summary["lots"], review.summary["problems"]) == (90, 233, 0)
