"""DESIGN 9: the criteria tree, pass/fail, lots and the award settings, read and refused by the rubric
loader (evaluator/rubric.py). Each refusal is one line naming the key, the field and the value."""
from __future__ import annotations

import copy

import pytest

from evaluator.exceptions import InputErrors, RubricRefused
from evaluator.rubric import parse_rubric

SECTION_9 = {
    "tender": {"id": "SC-1", "title": "School catering", "contract_value": 1600000, "duration_years": 3,
               "budget": 1700000, "budget_is_ceiling": True},
    "award": "weighted",
    "proxies": "proxies/public_2025.csv",  # social value is valued from a proxy table (SV316 refuses a rubric without)
    "lots": [{"id": "L1", "title": "Primary schools", "contract_value": 1000000},
             {"id": "L2", "title": "Secondary schools", "contract_value": 600000, "targets": {"O1": 2},
              "duration_years": 2, "local_area": ["Southtown"]}],
    "max_lots_per_supplier": 1,
    "tie_break": ["price", "quality"],
    "abnormally_low": {"rule": "below_mean_excluding_highest"},
    "criteria": [
        {"id": "PRICE", "kind": "price", "weight": 40, "method": "relative"},
        {"id": "Q", "kind": "group", "name": "Quality", "weight": 40, "min_share": 0.5, "criteria": [
            {"id": "Q1", "kind": "scale", "name": "Service model", "share": 75, "threshold": 2,
             "scale": [0, 1, 2, 3, 4], "descriptors": {0: "None", 4: "Excellent"}},
            {"id": "Q2", "kind": "scale", "name": "Safeguarding", "share": 25}]},
        {"id": "SVQ", "kind": "scale", "name": "Social value delivery plan", "weight": 5, "social_value": True},
        {"id": "SV", "kind": "social_value", "weight": 15},
        {"id": "PF", "kind": "pass_fail", "name": "Insurance and operator licence"},
    ],
    "design": {"outcomes": [{"id": "O1", "name": "Local jobs", "target": 5, "mandatory": True}]},
}


def rubric(doc=None):
    return parse_rubric(copy.deepcopy(doc or SECTION_9), "catering.yaml")


def refused(doc) -> str:
    with pytest.raises((InputErrors, RubricRefused)) as exc:
        rubric(doc)
    return str(exc.value)


def test_design_9_example_reads_with_effective_weights():
    r = rubric()
    w = dict(zip(r.nodes["id"], r.nodes["weight"]))
    assert w == {"PRICE": 40, "Q": 40, "Q1": 30, "Q2": 10, "SVQ": 5, "SV": 15, "PF": 0}
    assert r.criteria["id"].tolist() == ["PRICE", "Q1", "Q2", "SVQ", "SV", "PF"]  # leaves, in tree order
    assert r.criteria.set_index("id").loc["Q1", "path"] == "Q > Q1"
    assert r.children("Q") == ["Q1", "Q2"] and r.leaves_under("Q") == ["Q1", "Q2"]
    assert [c.id for c in r.scale_criteria] == ["Q1", "Q2", "SVQ"]
    assert r.scale_criteria[0].weight == 30  # effective, not the written share
    assert [c.id for c in r.pass_fail_criteria] == ["PF"]
    assert r.criterion_scale_max("Q1") == 4 and r.criterion_scale_max("Q2") == 100
    assert r.descriptor(4, "Q1") == "Excellent" and r.descriptor(4, "Q2") == ""
    assert r.social_value_weight == 20
    assert r.has_lots and [x.id for x in r.lots] == ["L1", "L2"] and r.mandatory_outcomes == ["O1"]
    assert r.tie_break == ["price", "quality"] and r.abnormally_low.effective_share == 0.15


def test_a_lot_overrides_value_duration_area_and_targets():
    lot = rubric().for_lot("L2")
    assert not lot.has_lots and lot.lot.id == "L2"
    assert lot.tender.contract_value == 600000 and lot.tender.duration_years == 2
    assert lot.tender.local_area == ["Southtown"]
    assert lot.outcomes.set_index("id").loc["O1", "target"] == 2
    assert rubric().for_lot("L1").outcomes.set_index("id").loc["O1", "target"] == 5


def test_social_value_group_makes_its_children_social_value():
    doc = copy.deepcopy(SECTION_9)
    doc["criteria"][2:4] = [{"id": "SVG", "kind": "group", "weight": 20, "social_value": True, "criteria": [
        {"id": "SVQ", "kind": "scale", "share": 25}, {"id": "SV", "kind": "social_value", "share": 75}]}]
    r = rubric(doc)
    assert r.social_value_weight == 20 and r.sv_criterion.weight == 15
    assert r.criterion("SVQ").social_value is True


def test_flat_rubric_settings_unchanged_by_section_9_keys():
    from evaluator.rubric import load_rubric
    doc = load_rubric("rubrics/schools_fm.yaml").spec.settings()
    for key in ("award", "lots", "tie_break", "abnormally_low", "max_lots_per_supplier"):
        assert key not in doc
    assert "share" not in doc["criteria"][0] and "budget" not in doc["tender"]


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["criteria"][1]["criteria"][1].update(share=15),
     "the shares of group Q's criteria add up to 90, not 100 (Q1 75 + Q2 15)"),
    (lambda d: d["criteria"][1]["criteria"][1].update(share=None, weight=10),
     "the criteria of group Q mix 'share' (Q1) and 'weight' (Q2)"),
    (lambda d: d["criteria"][4].update(weight=5), "a pass/fail question carries no weight"),
    (lambda d: d["criteria"][1]["criteria"][1].update(kind="group", criteria=[
        {"id": "Q21", "kind": "group", "share": 100, "criteria": [
            {"id": "Q211", "kind": "scale", "share": 100}]}]), "key criteria[1].criteria[1].criteria[0].criteria[0] (id Q211)"),
    (lambda d: d.update(award="price_per_quality_point"), "award: price_per_quality_point divides each price"),
    (lambda d: d["lots"][1]["targets"].update(O9=3), "overrides the target of an outcome the design does not have"),
    (lambda d: d["criteria"][1]["criteria"][0].update(threshold=5), "threshold must lie on the scale 0-4"),
    (lambda d: d["criteria"][2].update(min_share=0.5), "'min_share' applies only to a group"),
    (lambda d: d["criteria"][1]["criteria"][1].update(id="Q1"), "duplicate id (also criteria[1].criteria[0])"),
])
def test_tree_refusals_name_the_place(change, expected):
    doc = copy.deepcopy(SECTION_9)
    change(doc)
    message = refused(doc)
    assert expected in message and "catering.yaml" in message


def test_group_weights_must_add_up_to_the_group():
    doc = copy.deepcopy(SECTION_9)
    doc["criteria"][1]["criteria"] = [{"id": "Q1", "kind": "scale", "weight": 30},
                                      {"id": "Q2", "kind": "scale", "weight": 5}]
    message = refused(doc)
    assert "the weights of group Q's criteria add up to 35, not the group's 40 (Q1 30 + Q2 5)" in message
    doc["criteria"][1]["criteria"][1]["weight"] = 10
    assert rubric(doc).criterion("Q2").weight == 10


def test_too_deep_is_named():
    doc = copy.deepcopy(SECTION_9)
    doc["criteria"][1]["criteria"][1] = {"id": "Q2", "kind": "group", "share": 25, "criteria": [
        {"id": "Q21", "kind": "group", "share": 100, "criteria": [{"id": "Q211", "kind": "scale", "share": 100}]}]}
    assert "is 4 levels deep; a criteria tree has 3 levels at most" in refused(doc)
    doc["criteria"][1]["criteria"][1]["criteria"][0] = {"id": "Q21", "kind": "scale", "share": 100}
    assert rubric(doc).criterion("Q21").weight == 10  # three levels is fine
