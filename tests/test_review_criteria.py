"""Award criteria in both encodings (the extension's numbers and weights typed as text) and the weight checks."""
import pytest

from evaluator.review import review_paths
from evaluator.review_criteria import parse_weight_text

from .reviewing import FIX, codes, tender


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


@pytest.mark.parametrize("text, expected", [
    ("70", (70, 70, 70, "descriptionExact")), ("70%", (70, 70, 70, "descriptionExact")),
    ("17.5", (17.5, 17.5, 17.5, "descriptionExact")), ("17,5 %", (17.5, 17.5, 17.5, "descriptionExact")),
    ("15-40%", (27.5, 15, 40, "descriptionRange")), ("40 to 15", (27.5, 15, 40, "descriptionRange")),
    ("Weighting: 20%", (20, 20, 20, "descriptionExact")),
    ("Social value counts for 10% of the total", (10, 10, 10, "descriptionExact")),
    ("about two thirds", None), ("", None), (None, None), ("10% or 20%", None)])
def test_weights_written_as_text(text, expected):
    assert parse_weight_text(text) == expected


def test_extension_weights_of_every_kind(fixtures):
    t = tender(fixtures, "ocds-nsh001-HC-2026-014")
    lot1, lot2, lot3, lot4 = t["lots"]
    assert [(c["name"], c["weight"], c["weight_kind"], c["social_value"]) for c in lot1["criteria"]] == [
        ("Price", 40, "percentageExact", False), ("Service delivery model", 30, "percentageExact", False),
        ("Social value delivery plan", 10, "percentageExact", True),
        ("Social value commitments", 20, "percentageExact", True)]
    assert lot1["weight_total"] == 100 and lot1["social_value_weight"] == 30 and lot1["flags"] == []
    assert lot1["sustainability_goals"] == ["social.disadvantagedEmployment"]
    # a range's middle keeps no invented bounds; decimals become percentages
    price, quality, cb = lot2["criteria"]
    assert (price["weight"], price["weight_min"], price["weight_max"]) == (50, None, None)
    assert (quality["weight"], quality["weight_min"]) == (40, 40) and cb["social_value"] and cb["weight"] == 5
    assert codes(lot2) == ["SV302"]
    assert codes(lot3) == ["SV312"] and lot3["weight_total"] is None
    assert [c["weight"] for c in lot4["criteria"]] == [60, 30, 10] and lot4["social_value_weight"] == 10


def test_mislabelled_unparsed_and_unweighted_social_value(fixtures):
    lot = tender(fixtures, "ocds-nsh001-FM-2026-031")["lots"][0]
    assert codes(lot) == ["SV310", "SV310", "SV309", "SV309", "SV311"]
    assert "'Price' is published as type 'quality'" in lot["flags"][0]["message"]
    assert "'five' is not a number" in lot["flags"][2]["message"]
    assert lot["social_value_weight"] is None


def test_text_weights_ranges_and_sums(fixtures):
    t = tender(fixtures, "ocds-wbc001-2026-102")
    assert t["lots"][0]["social_value_weight"] == 17.5 and t["lots"][0]["weight_total"] == 100
    youth = tender(fixtures, "ocds-wbc001-2026-103")
    crit = youth["lots"][0]["criteria"]
    assert [(c["weight_min"], c["weight_max"]) for c in crit] == [(40, 60), (15, 40), (20, 30)]
    assert codes(youth["lots"][0]) == []  # 75-130 can make 100
    assert codes(youth["lots"][1]) == ["SV301"] and "70-90" in youth["lots"][1]["flags"][0]["message"]
