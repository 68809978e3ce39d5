"""The report set `report --out` writes: file names safe on every system, a folder that cannot be
written named before any work, and totals that match the engine."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.cli import main
from evaluator.report_set import safe_file_stem, summary_file_names

from .conftest import tender_paths
from .report_fixture import BIDS, HOSTILE, RUBRIC, pdf_text
from .report_fixture import run_main as _run
from .report_fixture import fixture_ev, report_dir  # noqa: F401 - fixtures


def test_cli_writes_the_report_set_with_safe_file_names(report_dir, fixture_ev):
    files = sorted(p.name for p in report_dir.iterdir())
    assert "evaluation_report.pdf" in files and "results.xlsx" in files
    summaries = [f for f in files if f.startswith("assessment_summary_")]
    assert len(summaries) == len(fixture_ev.results) == 6
    assert all(re.fullmatch(r"assessment_summary_[a-z0-9_]+\.pdf", f) for f in summaries)
    assert "assessment_summary_gofal_ty_wyn_cyf_apex_b_partners.pdf" in summaries


def test_safe_file_stems_never_escape_the_folder_and_stay_unique():
    taken: set = set()
    stems = [safe_file_stem(n, taken) for n in ["../../etc/passwd", "A/B", "A B", "a-b", "", "ŵŷ"]]
    assert all("/" not in s and "." not in s and s for s in stems)
    assert len(set(stems)) == len(stems)
    assert stems[0] == "etc_passwd"
    names = summary_file_names(["Acme Ltd", "ACME LTD", "Acme, Ltd."])
    assert len(set(names.values())) == 3


@pytest.mark.parametrize("tender", ["home_care_north", "schools_fm"])
def test_sample_tenders_report_with_totals_matching_the_engine(tender, tmp_path):
    rubric, bids, scores = tender_paths(tender)
    assert main(["report", "--rubric", str(rubric), "--bids", str(bids), "--scores", str(scores),
                 "--out", str(tmp_path)]) == 0
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    names = summary_file_names(ev.results["bidder"].tolist())
    for row in ev.results.itertuples(index=False):
        text = pdf_text(tmp_path / names[row.bidder])
        assert f"Total (out of 100) {row.total:.2f}" in text


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, err = _run(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(f)], capsys)
    assert code == 2 and len(err) == 1 and "--out" in err[0] and "is a file" in err[0]


def test_out_that_cannot_be_created_is_bad_input(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, err = _run(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(f / "sub")], capsys)
    assert code == 2 and len(err) == 1 and "cannot write into this folder" in err[0]


def test_report_with_a_bad_rubric_is_bad_input(tmp_path, capsys):
    code, err = _run(["report", "--rubric", str(tmp_path / "missing.yaml"), "--bids", str(BIDS),
                      "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err and "file not found" in err[0]


def test_report_json_lists_the_files(tmp_path, capsys):
    import json
    code = main(["report", "--rubric", str(RUBRIC), "--bids", str(BIDS), "--out", str(tmp_path / "o"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["tender"] == "HC-2026-014"
    assert Path(doc["evaluation_report"]).is_file() and Path(doc["workbook"]).is_file()
    assert set(doc["assessment_summaries"]) == set(HOSTILE) | {"Northtown Community Care CIC"}
    assert all(Path(p).is_file() for p in doc["assessment_summaries"].values())
