"""Each buyer's maturity on Moxham's matrix, read from its tenders (the rule is MATURITY_RULE)."""
import pytest

from evaluator.review import review_paths
from evaluator.review_maturity import maturity

from .conftest import RUBRICS, SAMPLES


def _buyer(tenders=4, weighted=0, designed=0, delivered=0, text_only=0) -> dict:
    return {"tenders": tenders, "weighted": weighted, "meet_minimum": weighted, "designed": designed,
            "delivered": delivered, "text_only": text_only}


@pytest.mark.parametrize("counts, level, reason", [
    # worked from the rule: nothing weighted is stagnation, whatever the text says
    (_buyer(text_only=3), "stagnation", "no tender weights social value; 3 mention it only in text"),
    (_buyer(delivered=2), "stagnation", "no tender weights social value"),
    # weighted, but designed in fewer than half of the weighted tenders: compliance
    (_buyer(weighted=3, designed=1), "compliance", "3 of 4 tenders weight social value, but only 1 publish a design"),
    # designed in half of them counts as most: standardisation, until delivery data flows back
    (_buyer(weighted=2, designed=1), "standardisation", "1 of 2 weighted tenders are designed"),
    (_buyer(weighted=2, designed=1, delivered=1), "learning", "delivery data flows back for 1"),
    # delivery data without most tenders designed does not make a learning buyer
    (_buyer(weighted=3, designed=1, delivered=3), "compliance", "only 1 publish a design"),
])
def test_the_maturity_levels_at_their_boundaries(counts, level, reason):
    got = maturity("Anyshire Council", counts)
    assert got["buyer"] == "Anyshire Council" and got["maturity"] == level
    assert reason in got["reason"]
    assert {k: got[k] for k in counts} == counts  # the counts behind the level are given with it


def test_maturity_climbs_with_design_and_delivery():
    delivery = SAMPLES / "home_care_north" / "delivery.csv"
    plain = review_paths([RUBRICS / "home_care_north.yaml"])
    assert plain.summary["buyers"][0]["maturity"] == "standardisation"
    tracked = review_paths([RUBRICS / "home_care_north.yaml"], delivered=["HC-2026-014"])
    assert tracked.summary["buyers"][0]["maturity"] == "learning"
    assert delivery.is_file()
    figures = review_paths([RUBRICS / "drafts"])
    levels = {b["maturity"] for b in figures.summary["buyers"]}
    assert levels <= {"compliance", "stagnation", "standardisation"}
