"""The self-assessment (PDF) a supplier writes with `check --pdf`."""
from __future__ import annotations

import pytest

from evaluator.cli import main

from .report_fixture import BIDS, HOSTILE, RUBRIC, has, pdf_text
from .report_fixture import run_main as _run


def test_check_pdf_writes_the_self_assessment(tmp_path, capsys):
    out = tmp_path / "self.pdf"
    bid = BIDS / "carewell_services.json"
    assert main(["check", "--rubric", str(RUBRIC), "--bid", str(bid), "--pdf", str(out)]) == 0
    text = pdf_text(out)
    assert has(text, HOSTILE[1])
    assert "Self-assessment of a draft bid" in text and "From claimed £ to credited £" in text
    assert "SV101" in text and "Use a measure code from the buyer's proxy table" in text
    assert "Social-value marks you could expect" in text


@pytest.mark.parametrize("name", ["self.txt", "missing_folder/self.pdf"])
def test_check_pdf_bad_path_is_bad_input(tmp_path, capsys, name):
    code, err = _run(["check", "--rubric", str(RUBRIC), "--bid", str(BIDS / "carewell_services.json"),
                      "--pdf", str(tmp_path / name)], capsys)
    assert code == 2 and len(err) == 1 and "--pdf" in err[0]
    assert not (tmp_path / name).exists()


def test_a_bid_for_one_lot_is_assessed_against_that_lot(tmp_path):
    from evaluator import load_bids, load_rubric
    from evaluator.evaluation import self_assess
    from evaluator.self_assessment_report import self_assessment_pdf
    from .conftest import ROOT
    fix = ROOT / "tests" / "fixtures" / "report_lots"
    rubric = load_rubric(fix / "rubric.yaml")
    folder = tmp_path / "bid"
    folder.mkdir()
    (folder / "abbey_l2.yaml").write_bytes((fix / "bids" / "abbey_l2.yaml").read_bytes())
    sa = self_assess(rubric, load_bids(folder, rubric))
    text = pdf_text(self_assessment_pdf(sa, rubric))
    assert "Lot L2: South schools (contract value £600,000)" in text
    assert "Q1 Menu and nutrition is scored on its own scale" in text      # the tree's method, not the flat one


def test_the_pdf_shows_the_range_of_marks_with_its_assumptions(tmp_path):
    """Riverside Care Co-op (home_care_north): the total 15.13 to 43.13 of 60, worked by hand in
    tests/test_self_assessment_range.py; the figures lens 8.35 to 20.00 against a best claim of £1,152,000."""
    out = tmp_path / "self.pdf"
    from .conftest import ROOT
    assert main(["check", "--rubric", str(ROOT / "rubrics" / "home_care_north.yaml"), "--bid",
                 str(ROOT / "sample_bids" / "home_care_north" / "riverside_care_coop.yaml"), "--pdf", str(out)]) == 0
    text = pdf_text(out)
    assert "Range of marks you could expect" in text
    for words in ("15.13", "43.13", "8.35", "£1,152,000", "40 (Weak) to 100", "Price is not included"):
        assert has(text, words), words
