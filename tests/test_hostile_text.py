"""Supplier text is text (issue 14, holes 5 and 6): escape sequences, newlines and bidi overrides in a
bidder name or a commitment never act on the terminal or forge a row; markdown and HTML in them never
render in the app; formula-like text never runs in a spreadsheet opened from a CSV the tool wrote."""
import csv
import io
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from .conftest import ROOT, RUBRICS, SAMPLES

ESC_NAME = "Apex\x1b]0;pwned\x07\x1b[2J\x1b[31m Care\n1  Forged Ltd  99.00\u202eLtd"
ESC_COMMITMENT = "recruitment\x1b[2J\r\nSV999 forged-flag [A1]: credited in full\x9b31m"
RUBRIC = RUBRICS / "home_care_north.yaml"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_bids(tmp_path, name=ESC_NAME, description=ESC_COMMITMENT):
    bids = tmp_path / "bids"
    shutil.copytree(SAMPLES / "home_care_north", bids)
    (bids / "scores.csv").unlink()
    (bids / "delivery.csv").unlink()
    path = bids / "apex_care_group.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["bidder"] = name
    doc["commitments"][0]["description"] = description
    doc["commitments"][0]["id"] = "A1\x1b[8m"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return bids, path


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc


def _no_raw_controls(text: str) -> None:
    found = RAW.findall(text)
    assert not found, f"raw control characters reached the terminal: {found!r}"


def test_evaluate_text_shows_escapes_and_one_row_per_bid(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = run("evaluate", "--rubric", RUBRIC, "--bids", bids)
    _no_raw_controls(proc.stdout + proc.stderr)
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Rank"))
    table = []
    for line in lines[head + 2:]:
        if not line.strip():
            break
        table.append(line)
    assert len(table) == 6, table                       # six bids, six rows: the newline forged none
    apex = [row for row in table if "Apex" in row]
    assert len(apex) == 1 and "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m Care\\n1  Forged Ltd  99.00\\u202eLtd" in apex[0]
    assert not any(line.lstrip().startswith("1  Forged") for line in lines)
    assert not any(line.lstrip().startswith("SV999") for line in lines)


def test_check_text_shows_escapes(tmp_path):
    _, bid = _hostile_bids(tmp_path)
    proc = run("check", "--rubric", RUBRIC, "--bid", bid)
    _no_raw_controls(proc.stdout + proc.stderr)
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Self-assessment of Apex\\x1b]0;pwned") and "Forged Ltd" in first


def test_explain_text_shows_escapes(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = run("explain", "--rubric", RUBRIC, "--bids", bids, "--bidder", ESC_NAME)
    _no_raw_controls(proc.stdout + proc.stderr)
    assert "A1\\x1b[8m" in proc.stdout                 # the commitment id, as typed, visible
    assert "Apex\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m Care\\n1  Forged Ltd" in proc.stdout
    assert not any(line.lstrip().startswith("1  Forged") for line in proc.stdout.splitlines())


def test_an_error_naming_the_hostile_bidder_is_escaped_too(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "evaluator", "explain", "--rubric", str(RUBRIC), "--bids", str(bids),
                           "--bidder", "Nobody\x1b[2J\nerror: forged"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    _no_raw_controls(proc.stderr)
    assert not any(line.startswith("error: forged") for line in proc.stderr.splitlines())


def test_ordinary_text_is_unchanged():
    from evaluator.terminal import shown, shown_lines
    for text in ("Apex Care Group Ltd", "Café £1,000 – naïve 👍", "C:\\bids\\a.yaml"):
        assert shown(text) == text and shown_lines(text) == text
    assert shown_lines("a\n\tb") == "a\n\tb"
    assert shown("a\n\tb\x1b\x9b\u202e\x7f") == "a\\n\\tb\\x1b\\x9b\\u202e\\x7f"
