"""A tender in lots (DESIGN.md 9.3): each lot evaluated on its own, the award across lots in descending
contract value with max_lots_per_supplier, and evaluate --json's document for a lotted tender."""
from __future__ import annotations

import io

import orjson
import pandas as pd
import pytest

from evaluator import check_scores, evaluate
from evaluator.bids import BidSet
from evaluator.lots import LotsEvaluation, evaluate_tender
from evaluator.scores import SCORE_COLUMNS

from .test_tree_scoring import bids, rubric

CRITERIA = [{"id": "PRICE", "kind": "price", "weight": 60}, {"id": "Q1", "kind": "scale", "weight": 20},
            {"id": "SV", "kind": "social_value", "weight": 20}]
# listed smaller first: the award still starts with the dearer lot, L2
LOTS = [{"id": "L1", "title": "North routes", "contract_value": 600_000},
        {"id": "L2", "title": "South routes", "contract_value": 1_000_000}]


def lotted(tmp_path, per_lot: dict, **keys):
    """A lotted rubric and its bids, each bid file naming its lot."""
    r = rubric(CRITERIA, lots=LOTS, **keys)
    return r, bids(tmp_path / "bids", r, *({**spec, "lot": lot} for lot, specs in per_lot.items() for spec in specs))


def lot_scores(r, whole, rows):
    frame = pd.DataFrame([{"lot": lot, "bidder": b, "criterion": "Q1", "evaluator": "MODERATED", "score": s,
                           "rationale": "as the bid says"} for lot, b, s in rows], columns=["lot"] + SCORE_COLUMNS)
    return check_scores(frame, r, {lot: whole.for_lot(lot).bidders for lot in ("L1", "L2")})


X, Y, Z = "Xpress Ltd", "Yellow Co", "Zed plc"


def _three_suppliers(tmp_path, **keys):
    """X bids best in both lots, Y second, Z third."""
    specs = [{"bidder": X, "price": 90_000}, {"bidder": Y, "price": 95_000}, {"bidder": Z, "price": 99_000}]
    r, whole = lotted(tmp_path, {"L1": specs, "L2": specs}, **keys)
    s = lot_scores(r, whole, [(lot, b, v) for lot in ("L1", "L2") for b, v in ((X, 100), (Y, 80), (Z, 60))])
    return r, whole, s


def test_the_award_limit_passes_a_supplier_over_for_the_next_eligible_bid(tmp_path):
    r, whole, s = _three_suppliers(tmp_path, max_lots_per_supplier=1)
    ev = evaluate_tender(r, whole, s)
    assert isinstance(ev, LotsEvaluation)
    assert ev.evaluation("L1").winner() == X and ev.evaluation("L2").winner() == X  # X ranks first in both
    award = ev.award.set_index("lot")
    # L2 (£1,000,000) is awarded first, to X; X then holds its one lot and is passed over in L1 for Y
    assert award.loc["L2", "order"] == 1 and award.loc["L2", "awarded_to"] == X and award.loc["L2", "passed_over"] == []
    assert award.loc["L1", "order"] == 2 and award.loc["L1", "awarded_to"] == Y and award.loc["L1", "passed_over"] == [X]
    assert ev.award["lot"].tolist() == ["L1", "L2"]  # rows in the order the lots are listed


def test_without_a_limit_the_best_bid_wins_every_lot(tmp_path):
    r, whole, s = _three_suppliers(tmp_path)
    ev = evaluate_tender(r, whole, s)
    assert ev.award["awarded_to"].tolist() == [X, X] and ev.award["passed_over"].tolist() == [[], []]
    r, whole, s = _three_suppliers(tmp_path / "two", max_lots_per_supplier=2)  # a limit not reached: the near miss
    assert evaluate_tender(r, whole, s).award["awarded_to"].tolist() == [X, X]


def test_equal_contract_values_are_awarded_in_the_listed_order(tmp_path):
    r, whole, s = _three_suppliers(tmp_path, max_lots_per_supplier=1)
    r = rubric(CRITERIA, lots=[{**lot, "contract_value": 500_000} for lot in LOTS], max_lots_per_supplier=1)
    ev = evaluate_tender(r, whole, s)
    assert ev.award.set_index("lot")["awarded_to"].to_dict() == {"L1": X, "L2": Y}


def test_each_lot_has_its_own_lowest_price_and_scores(tmp_path):
    r, whole = lotted(tmp_path, {"L1": [{"bidder": X, "price": 50_000}, {"bidder": Y, "price": 100_000}],
                                 "L2": [{"bidder": Y, "price": 80_000}, {"bidder": Z, "price": 100_000}]})
    s = lot_scores(r, whole, [("L1", X, 40), ("L1", Y, 100), ("L2", Y, 20), ("L2", Z, 100)])
    ev = evaluate_tender(r, whole, s)
    l1 = ev.evaluation("L1").results.set_index("bidder")
    l2 = ev.evaluation("L2").results.set_index("bidder")
    assert l1.loc[Y, "price_score"] == 30 and l2.loc[Y, "price_score"] == 60  # £80,000 is L2's lowest
    assert l1.loc[Y, "quality_score"] == 20 and l2.loc[Y, "quality_score"] == 4  # each lot's own scores
    assert ev.results.columns[0] == "lot" and len(ev.results) == 4


def test_a_lot_with_no_eligible_bid_is_not_awarded(tmp_path):
    r, whole = lotted(tmp_path, {"L1": [{"bidder": X, "price": 120_000}], "L2": [{"bidder": Y, "price": 90_000}]},
                      tender={"budget": 100_000, "budget_is_ceiling": True})
    ev = evaluate_tender(r, whole, lot_scores(r, whole, [("L1", X, 60), ("L2", Y, 60)]))
    assert ev.award.set_index("lot")["awarded_to"].to_dict() == {"L1": None, "L2": Y}


def test_lotted_json_is_design_9_3(tmp_path):
    r, whole, s = _three_suppliers(tmp_path, max_lots_per_supplier=1)
    ev = evaluate_tender(r, whole, s)
    doc = orjson.loads(ev.json_bytes())
    assert list(doc) == ["tender", "official_lens", "lots", "rubric_flags"]
    assert [list(lot) for lot in doc["lots"]] == [["id", "title", "bids", "awarded_to", "passed_over"]] * 2
    l1 = doc["lots"][0]
    assert (l1["id"], l1["title"], l1["awarded_to"], l1["passed_over"]) == ("L1", "North routes", Y, [X])
    assert [b["bidder"] for b in l1["bids"]] == [X, Y, Z] and l1["bids"][0]["rank"] == 1
    assert l1["bids"] == orjson.loads(ev.evaluation("L1").json_bytes())["bids"]  # section 7's bids, as they are
    out = io.BytesIO()
    ev.write_json(out)
    assert out.getvalue() == ev.json_bytes()


def test_evaluate_takes_one_lot_at_a_time(tmp_path):
    r, whole, s = _three_suppliers(tmp_path)
    with pytest.raises(ValueError, match="lots"):
        evaluate(r, whole, s)
    ev = evaluate(r.for_lot("L1"), whole.for_lot("L1"), s)  # a lot's rubric reads only that lot's scores
    assert ev.results.set_index("bidder").loc[Y, "quality_score"] == 16
    plain = rubric(CRITERIA)
    assert not isinstance(evaluate_tender(plain, bids(tmp_path / "plain", plain, {"bidder": X})), LotsEvaluation)


def test_a_supplier_checks_a_draft_bid_against_the_lot_it_names(tmp_path):
    from evaluator import InputError, self_assess
    from evaluator.evaluation import self_assessment_json
    r, whole = lotted(tmp_path, {"L2": [{"bidder": X, "price": 90_000}]})
    one = whole.for_lot("L2")
    sa = self_assess(r, one)
    assert sa["lot"] == "L2" and sa["evaluation"].rubric.tender.contract_value == 1_000_000
    assert self_assessment_json(sa, r)["lot"] == "L2"
    with pytest.raises(InputError, match="names no lot of this tender"):
        self_assess(r, BidSet(bids=one.bids.assign(lot="L9"), responses=one.responses, commitments=one.commitments))
