"""Reading OCDS as portals publish it: every form streams, and nothing in the input raises."""
import gzip
import io
import json

import pytest

from evaluator import ocds
from evaluator.ocds import Problem, Release, expand, iter_releases, releases_in

from .conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "ocds"
WALES = ROOT.parent / "shared" / "data" / "ocds_wales"


def items(path):
    out = list(iter_releases(path))
    return [x for x in out if isinstance(x, Release)], [x for x in out if isinstance(x, Problem)]


def test_release_package_yields_each_release_and_names_the_odd_items():
    rels, problems = items(FIX / "extension_package.json")
    assert [r.data["ocid"] for r in rels] == ["ocds-nsh001-HC-2026-014", "ocds-nsh001-FM-2026-031",
                                             "ocds-nsh001-GR-2026-007"]
    assert [(p.where, p.message.split(" (")[0]) for p in problems] == [
        ("releases[3]", "is a linked release"), ("releases[4]", "is not a release")]


def test_json_lines_go_on_past_a_malformed_line_and_a_line_that_is_not_a_release():
    rels, problems = items(FIX / "text_weights.jsonl")
    assert len(rels) == 6
    assert [r.where for r in rels][:3] == ["line 1", "line 2", "line 4"]
    assert [p.where for p in problems] == ["line 3", "line 8"]
    assert "not valid JSON" in problems[0].message and "JSON array" in problems[1].message


def test_gzipped_record_package_uses_compiled_release_else_the_latest_release():
    rels, problems = items(FIX / "records.json.gz")
    assert [r.data["tender"]["title"] for r in rels] == ["Supported living, Eastshire", "Day opportunities"]
    assert len(problems) == 1 and "only linked releases" in problems[0].message


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "releases.json"  # gzipped but named .json
    path.write_bytes(gzip.compress((FIX / "text_weights.jsonl").read_bytes()))
    rels, problems = items(path)
    assert len(rels) == 6 and len(problems) == 2


def test_large_documents_are_streamed_item_by_item(monkeypatch, tmp_path):
    monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 0)  # every document takes the streaming path
    seen = []
    real = ocds._stream

    def spy(path, source):
        seen.append(path.name)
        yield from real(path, source)
    monkeypatch.setattr(ocds, "_stream", spy)
    rels, problems = items(FIX / "extension_package.json")
    assert len(rels) == 3 and len(problems) == 2
    rels, problems = items(FIX / "records.json.gz")
    assert len(rels) == 2 and len(problems) == 1
    rels, problems = items(FIX / "malformed.json")
    assert rels == [] and "not valid JSON" in problems[0].message
    arr = tmp_path / "array.json"
    arr.write_text(json.dumps([json.loads((FIX / "core_rated.json").read_text())], indent=1))
    rels, problems = items(arr)
    assert [r.data["ocid"] for r in rels] == ["ocds-nsh001-CS-2026-003"] and not problems
    assert seen == ["extension_package.json", "records.json.gz", "malformed.json", "array.json"]


def test_a_truncated_stream_keeps_the_releases_before_the_break(monkeypatch, tmp_path):
    monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 0)
    text = (FIX / "extension_package.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"ocds-nsh001-GR-2026-007"')])
    rels, problems = items(cut)
    assert [r.data["ocid"] for r in rels] == ["ocds-nsh001-HC-2026-014", "ocds-nsh001-FM-2026-031"]
    assert len(problems) == 1 and "before this point were reviewed" in problems[0].message


def test_an_overlong_json_line_is_skipped_not_loaded(monkeypatch, tmp_path):
    monkeypatch.setattr(ocds, "MAX_LINE_BYTES", 200)
    path = tmp_path / "big.jsonl"
    small = json.dumps({"ocid": "ocds-a", "tender": {"title": "short"}})
    big = json.dumps({"ocid": "ocds-b", "tender": {"title": "x" * 1000}})
    path.write_text(small + "\n" + big + "\n" + small.replace("ocds-a", "ocds-c") + "\n")
    rels, problems = items(path)
    assert [r.data["ocid"] for r in rels] == ["ocds-a", "ocds-c"]
    assert problems[0].where == "line 2" and "longer than" in problems[0].message


@pytest.mark.parametrize("name, expected", [
    ("malformed.json", "not valid JSON"), ("not_ocds.json", "not a release"), ("empty.json", "is empty")])
def test_bad_files_are_problems_never_exceptions(name, expected):
    rels, problems = items(FIX / name)
    assert rels == [] and expected in problems[0].message


def test_binary_and_missing_paths_are_problems(tmp_path):
    junk = tmp_path / "photo.json"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    rels, problems = items(junk)
    assert rels == [] and "not JSON" in problems[0].message
    found = list(expand([tmp_path / "nowhere", tmp_path]))
    assert isinstance(found[0], Problem) and "not found" in found[0].message


def test_a_bare_record_and_odd_shapes():
    record = {"ocid": "ocds-r", "releases": [{"ocid": "ocds-r", "date": "2026-01-01", "tender": {"title": "a"}},
                                             {"ocid": "ocds-r", "date": "2026-02-01", "tender": {"title": "b"}}]}
    out = list(releases_in(record, "x", None))
    assert [r.data["tender"]["title"] for r in out] == ["b"]
    assert isinstance(next(releases_in({"releases": {"a": 1}}, "x", None)), Problem)
    assert isinstance(next(releases_in({"records": "none"}, "x", None)), Problem)
    assert isinstance(next(releases_in(42, "x", None)), Problem)


@pytest.mark.skipif(not WALES.is_dir(), reason="Sell2Wales releases not present")
def test_every_sell2wales_release_is_read(tmp_path):
    files = sorted(WALES.glob("*.json"))
    rels = [r for f in files for r in iter_releases(f) if isinstance(r, Release)]
    assert len(rels) == len(files) == 90
    # the same releases as one gzipped JSON Lines file give the same stream
    path = tmp_path / "wales.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for f in files:
            fh.write(json.dumps(json.loads(f.read_text(encoding="utf-8"))) + "\n")
    again = [r for r in iter_releases(path) if isinstance(r, Release)]
    assert [r.data["ocid"] for r in again] == [r.data["ocid"] for r in rels]


@pytest.mark.parametrize("document", [
    [{"ocid": "ocds-a", "tender": {}}, 7, {"url": "https://x/rel.json"}, {"tag": ["planning"]},
     [{"ocid": "ocds-in-a-list"}], {"releases": [{"ocid": "ocds-b", "tender": {}}, "text"]}, {"records": 5}],
    {"uri": "u", "releases": [{"ocid": "ocds-a", "tender": {}}, {"tag": ["tender"]}, [1], None,
                              {"url": "https://x/rel.json"}, {"ocid": "ocds-c", "tender": {}}]},
    {"records": [{"ocid": "ocds-r", "compiledRelease": {"tender": {}}}, {"ocid": "ocds-s"}, True,
                 {"ocid": "ocds-t", "releases": [{"url": "https://x/rel.json"}]}]},
    {"tag": ["tender"], "title": "neither a release nor a package"}], ids=["array", "releases", "records", "object"])
def test_a_streamed_document_gives_what_the_same_document_read_whole_gives(monkeypatch, tmp_path, document):
    """A file over WHOLE_FILE_BYTES is streamed, but a reviewer must get the same releases and problem messages
    whatever the file's size: only where a problem is (releases[1] read whole, releases 1 streamed) is written
    differently."""
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, indent=1))

    def read():
        return [(type(x).__name__, x.data if isinstance(x, Release) else x.message) for x in iter_releases(path)]

    whole = read()
    monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 0)
    assert read() == whole
    assert "Problem" in {kind for kind, _ in whole}  # every document above holds something that is not a release
