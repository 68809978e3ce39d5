"""The portfolio of a review: weights, design, gaps and buyers, as the summary gives them."""
import pytest

from evaluator.review import review_paths
from evaluator.review_maturity import MATURITY_RULE

from .reviewing import FIX


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


def test_portfolio_summary_and_maturity(fixtures):
    s = fixtures.summary
    # weighted: HC (30), 101 (10), 102 (17.5), 103 (27.5), ES-55 (10)
    assert s["weight_social_value"]["tenders"] == 5
    assert s["social_value_weight"]["median"] == 17.5 and s["social_value_weight"]["max"] == 30
    assert s["meet_10_percent"] == {"tenders": 5, "share_of_all": round(5 / 12, 4), "share_of_weighted": 1.0, "below": 0}
    assert s["design"]["text_only"] == 4 and s["design"]["design_not_published"] == 5
    assert s["design_gaps"][0]["code"] in ("SV311", "SV312")
    assert s["maturity_rule"] == MATURITY_RULE
    buyers = {b["buyer"]: b for b in s["buyers"]}
    assert buyers["Eastshire County Council"]["delivered"] == 1  # OCDS implementation data flows back
    assert buyers["Eastshire County Council"]["maturity"] == "compliance"  # but no published design
