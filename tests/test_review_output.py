"""A review as people read it: the readable text, the charts, and CSV that a spreadsheet cannot run."""
import csv
import json

import pytest

from evaluator.review import review_paths
from evaluator.review_output import portfolio_charts, render

from .reviewing import FIX, run


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


def test_readable_report_and_charts(fixtures):
    text = render(fixtures)
    assert "Reviewed 12 tender(s)" in text and "Maturity per buyer (Moxham)" in text and "SV313" in text
    charts = portfolio_charts(fixtures.summary)
    assert set(charts) == {"weight", "design", "gaps", "maturity"}
    spec = charts["weight"].to_dict()
    assert sum(v["tenders"] for v in spec["datasets"][next(iter(spec["datasets"]))]) == 5


def test_review_csv_never_hands_a_spreadsheet_a_formula(tmp_path):
    """Buyer names and titles come from published notices: a title that starts with '=' is written as text."""
    release = {"ocid": "ocds-test-formula", "date": "2026-01-01T00:00:00Z",
               "buyer": {"name": "=HYPERLINK(\"http://evil\",\"Council\")"},
               "tender": {"id": "T1", "title": "@SUM(1+1) Grounds maintenance",
                          "awardCriteria": "priceOnly"}}
    src = tmp_path / "formula.json"
    src.write_text(json.dumps(release), encoding="utf-8")
    proc = run("review", src, "--csv", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    for name in ("lots.csv", "buyers.csv"):
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
        assert any(c.startswith("'=HYPERLINK") or c.startswith("'@SUM") for c in cells), name
