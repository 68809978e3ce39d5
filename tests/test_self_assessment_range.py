"""Issue 19: a self-assessment gives the range of marks a supplier could expect, with its assumptions."""
from __future__ import annotations

import json

import pytest

from evaluator import load_rubric
from evaluator.bids import load_bid
from evaluator.cli import main
from evaluator.evaluation import self_assess
from evaluator.expected_marks import expected_marks

from .conftest import ROOT

RUBRIC = ROOT / "rubrics" / "home_care_north.yaml"
BIDS = ROOT / "sample_bids" / "home_care_north"
NAMES = ["apex_care_group.yaml", "riverside_care_coop.yaml", "carewell_services.json", "budget_home_support.yaml"]


def _sa(name, best=None):
    rubric = load_rubric(RUBRIC)
    return self_assess(rubric, load_bid(BIDS / name, rubric), best), rubric


def _row(er, lens):
    return next(r for r in er["criteria"] if r["lens"] == lens)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("best", [None, 600_000.0, 5_000_000.0])
def test_the_range_contains_the_single_figure_shown_today(name, best):
    sa, rubric = _sa(name, best)
    er = expected_marks(sa, rubric)
    for lens in ("design", "figures"):
        r = _row(er, lens)
        assert r["low"] - 1e-9 <= sa[f"{lens}_score"] <= r["high"] + 1e-9, (lens, r)
    t = er["total"]   # today's figure is the official lens's social value alone (the panel's scores left out)
    scale = [r for r in er["criteria"] if r["lens"] == "scale"]
    assert t["low"] == pytest.approx(sa["design_score"] + sum(r["low"] for r in scale))
    assert t["high"] == pytest.approx(sa["design_score"] + sum(r["high"] for r in scale))


@pytest.mark.parametrize("name", NAMES)
def test_the_low_end_is_the_figure_when_every_assumption_is_at_its_worst(name):
    sa, rubric = _sa(name)
    er = expected_marks(sa, rubric)
    worst, _ = _sa(name, _row(er, "figures")["worst_best_claimed"])   # the best claim at the stated worst
    assert _row(er, "figures")["low"] == pytest.approx(worst["figures_score"])
    assert _row(er, "design")["low"] == pytest.approx(sa["design_score"])     # the bid as drafted


def test_riverside_range_worked_by_hand():
    """home_care_north, Riverside Care Co-op (design lens official; SV 20 marks, Q1 30 with threshold 40,
    SVQ 10, scale 0-100; contract £4,800,000; SV201 benchmark 24%):

    - SV, design lens: attainment 15.63% x 20 = 3.13 at both ends (the bid as drafted).
    - SV, figures lens: claimed £480,943.65. High: the best claim, 20.00. Low: another bid claims
      24% x £4,800,000 = £1,152,000; 20 x 480,943.65 / 1,152,000 = 8.35.
    - Q1: lowest step keeping the bid in is 40: 30 x 40/100 = 12.00 to 30.00.
    - SVQ: 0 to 100: 0.00 to 10.00.
    - Total (design lens): 3.13 + 12 + 0 = 15.13 to 3.13 + 30 + 10 = 43.13 of 60 (price not included).
    """
    sa, rubric = _sa("riverside_care_coop.yaml")
    er = expected_marks(sa, rubric)
    assert round(_row(er, "design")["low"], 2) == round(_row(er, "design")["high"], 2) == 3.13
    fig = _row(er, "figures")
    assert (round(fig["low"], 2), round(fig["high"], 2), fig["worst_best_claimed"]) == (8.35, 20.0, 1_152_000)
    scale = {r["criterion"]: (round(r["low"], 2), round(r["high"], 2)) for r in er["criteria"] if r["lens"] == "scale"}
    assert scale == {"Q1": (12.0, 30.0), "SVQ": (0.0, 10.0)}
    t = er["total"]
    assert (round(t["low"], 2), round(t["high"], 2), t["of"]) == (15.13, 43.13, 60)


def test_check_prints_the_range_with_its_assumptions(capsys):
    assert main(["check", "--rubric", str(RUBRIC), "--bid", str(BIDS / "riverside_care_coop.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Range of marks you could expect" in out
    assert "SV Social value commitments, figures lens, not counted: 8.35 to 20.00 of 20" in out
    assert "another bid claims £1,152,000" in out
    assert "Q1 Service delivery model: 12.00 to 30.00 of 30" in out
    assert "if your response scores 40 (Weak) to 100 (Excellent)" in out
    assert "Total: 15.13 to 43.13 of 60 marks. Price is not included" in out


def test_check_json_gains_the_range_under_a_new_key(capsys):
    assert main(["check", "--rubric", str(RUBRIC), "--bid", str(BIDS / "riverside_care_coop.yaml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"tender", "bidder", "lenses", "flags", "expected_marks"}
    assert doc["lenses"]["figures"]["score"] == pytest.approx(20.0)        # unchanged
    em = doc["expected_marks"]
    assert em["total"]["low"] == pytest.approx(15.12609375)
    assert em["total"]["high"] == pytest.approx(43.12609375)
    assert all(r["assumption"] for r in em["criteria"])


def test_a_bid_for_one_lot_ranges_against_that_lots_contract_value(capsys):
    """report_lots, Abbey for lot L2 (contract £600,000): low end of the figures lens against
    24% x £600,000 = £144,000, not the tender's value; claimed £101,148: 15 x 101,148 / 144,000 = 10.54."""
    fix = ROOT / "tests" / "fixtures" / "report_lots"
    assert main(["check", "--rubric", str(fix / "rubric.yaml"), "--bid", str(fix / "bids" / "abbey_l2.yaml")]) == 0
    out = capsys.readouterr().out
    assert "figures lens, not counted: 10.54 to 15.00 of 15" in out and "another bid claims £144,000" in out
