"""The rubric design checks (SV3xx) on the shapes of DESIGN 9: what a commissioner reads about their own
design. SV304 says what leaving an outcome with no target out of the design fraction does to the others'
priorities, with the numbers; SV302 judges social value by effective weights in a criteria tree, and
against the quality points when the award is price per quality point."""
from __future__ import annotations

import pytest

from evaluator import load_rubric
from evaluator.design_checks import check_rubric

from .conftest import RUBRICS
from .test_checks import DROP, flags_of, outcome, outcomes, variant


def sv304(rubric):
    return flags_of(check_rubric(rubric), "SV304")["message"].tolist()


def test_schools_sample_says_o5_is_left_out_and_the_others_rise_by_a_ninth():
    """The shipped schools design: O5 (priority 10 of 100) has no target, so the other six share 90 -> 100."""
    (message,) = sv304(load_rubric(RUBRICS / "schools_fm.yaml"))
    assert message.startswith("outcome O5 (Less vandalism and criminal damage at school and civic sites) has no "
                              "target; its attainment cannot be measured and it is left out of the design fraction")
    assert "its priority of 10 of 100 passes to the 6 outcomes with a target" in message
    assert "(90 of 100) each count 11.1% more" in message
    assert "O1 from 20.0% to 22.2% of the fraction" in message


@pytest.mark.parametrize("items,needles", [
    # one of two equal outcomes left out: the other doubles
    ((outcome(1), outcome(2, target=DROP)),
     ["O2", "priority of 1 of 2 passes to the 1 outcome with a target", "(1 of 2) counts 100.0% more",
      "O1 from 50.0% to 100.0%"]),
    # two left out: each flag names the other and the priority left out in all
    ((outcome(1, priority=60), outcome(2, priority=20), outcome(3, target=DROP, priority=15),
      outcome(4, target=DROP, priority=5)),
     ["priority of 15 and that of O4 (20 of 100 in all) pass to the 2 outcomes with a target",
      "(80 of 100) each count 25.0% more", "O1 from 60.0% to 75.0%"]),
    # a priority of 0 left out changes nothing
    ((outcome(1), outcome(2, target=DROP, priority=0)), ["its priority of 0 changes nothing for the others"]),
    # nothing left to attain
    ((outcome(1, target=DROP), outcome(2, target=DROP)),
     ["no outcome has both a target and a priority, so every bid's design fraction is 0"]),
])
def test_sv304_says_how_much_the_others_priorities_rise(tmp_path, items, needles):
    messages = sv304(variant(tmp_path, outcomes(*items)))
    assert messages
    assert any(all(n in m for n in needles) for m in messages), messages


def test_sv304_near_miss_a_missing_baseline_leaves_the_fraction_alone(tmp_path):
    (message,) = sv304(variant(tmp_path, outcomes(outcome(1), outcome(2, baseline=DROP))))
    assert message == "outcome O2 (Outcome 2) has no baseline"


# ----------------------------------------------------------------------------- SV302 in trees and by price per point

def criteria(*items):
    def edit(data):
        data["criteria"] = list(items)
    return edit


PRICE = {"id": "PRICE", "kind": "price", "name": "Price", "weight": 40, "method": "relative"}


def quality(weight, *children):
    return {"id": "Q", "kind": "group", "name": "Quality", "weight": weight, "criteria": list(children)}


def sv_group(weight, svq_share=40, sv_share=60):
    return {"id": "SVG", "kind": "group", "name": "Social value", "weight": weight, "social_value": True,
            "criteria": [{"id": "SVQ", "kind": "scale", "name": "Social value plan", "share": svq_share},
                         {"id": "SV", "kind": "social_value", "name": "Commitments", "share": sv_share}]}


def leaf(cid, share, **more):
    return {"id": cid, "kind": "scale", "name": f"Question {cid}", "share": share, **more}


def ppqp(*items):
    def edit(data):
        data["award"] = "price_per_quality_point"
        data["criteria"] = list(items)
    return edit


SV302_CASES = [
    # a social-value group: its children's effective weights (9 x 40% = 3.6 and 9 x 60% = 5.4) are named
    ("tree-fires", criteria(PRICE, quality(51, leaf("Q1", 100)), sv_group(9)),
     ["social value carries 9% of the marks (SVG > SVQ 3.6, SVG > SV 5.4)", "10% minimum of PPN 002"]),
    ("tree-quiet", criteria(PRICE, quality(50, leaf("Q1", 100)), sv_group(10)), None),
    # a social-value question inside the Quality group counts by its effective weight: 55 x 9% = 4.95 + 5
    ("leaf-in-quality-fires", criteria(PRICE, quality(55, leaf("Q1", 91), leaf("Q2", 9, social_value=True)),
                                       {"id": "SV", "kind": "social_value", "name": "Commitments", "weight": 5}),
     ["9.95% of the marks (Q > Q2 4.95, SV 5)"]),
    # 50 x 10% = 5 + 5 = exactly 10
    ("leaf-in-quality-quiet", criteria({**PRICE, "weight": 45}, quality(50, leaf("Q1", 90),
                                                                         leaf("Q2", 10, social_value=True)),
                                       {"id": "SV", "kind": "social_value", "name": "Commitments", "weight": 5}),
     None),
    # price per quality point: judged against the 100 quality points (price carries no weight)
    ("ppqp-fires", ppqp(quality(92, leaf("Q1", 100)), sv_group(8)),
     ["social value carries 8 of the 100 quality points (SVG > SVQ 3.2, SVG > SV 4.8) (8%)",
      "price is divided by the quality points"]),
    ("ppqp-quiet", ppqp(quality(90, leaf("Q1", 100)), sv_group(10)), None),
]


@pytest.mark.parametrize("case,edit,needles", SV302_CASES, ids=[c[0] for c in SV302_CASES])
def test_sv302_counts_effective_weights_and_quality_points(tmp_path, case, edit, needles):
    hits = flags_of(check_rubric(variant(tmp_path, edit)), "SV302")
    if needles is None:
        assert hits.empty, hits["message"].tolist()
    else:
        (message,) = hits["message"].tolist()
        for n in needles:
            assert n in message, message


def test_sv302_flat_rubric_words_unchanged(tmp_path):
    from .test_checks import weights
    (message,) = flags_of(check_rubric(variant(tmp_path, weights(SVQ=None, Q1=51, SV=9))), "SV302")["message"]
    assert message == ("social value carries 9% of the marks, under the 10% minimum of PPN 002 (mandatory for "
                       "central government from 1 October 2025)")


# ----------------------------------------------------------------------------- SV304 in a tender with lots

def catering(tmp_path, edit):
    """The shipped school-catering rubric (two lots; L2 overrides every target) with one change."""
    import shutil

    import yaml
    data = yaml.safe_load((RUBRICS / "school_catering.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "proxies").mkdir(exist_ok=True)
    shutil.copy(RUBRICS / "proxies" / "public_2025.csv", tmp_path / "proxies" / "public_2025.csv")
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rubric(path)


def no_tender_target(*lots_without):
    def edit(data):
        o5 = next(o for o in data["design"]["outcomes"] if o["id"] == "O5")
        del o5["target"]
        for lot in data["lots"]:
            if lot["id"] in lots_without:
                lot.get("targets", {}).pop("O5", None)
            else:
                lot.setdefault("targets", {})["O5"] = 900
    return edit


def test_sv304_lotted_a_target_in_every_lot_is_a_target(tmp_path):
    """Near miss: the tender states no target for O5 but each lot does, so no lot leaves it out."""
    assert sv304(catering(tmp_path, no_tender_target())) == []


def test_sv304_lotted_names_the_lot_that_leaves_the_outcome_out(tmp_path):
    (message,) = sv304(catering(tmp_path, no_tender_target("L1")))
    assert message.startswith("outcome O5 (Cooking and food skills for pupils and families) has no target in lot "
                              "L1 (lot L2 sets one); its attainment cannot be measured and it is left out of that "
                              "lot's design fraction: its priority of 10 of 100 passes to the 4 outcomes")
    assert "(90 of 100) each count 11.1% more (O1 from 35.0% to 38.9% of the fraction)" in message


def test_sv304_lotted_no_target_anywhere_reads_as_for_a_tender_without_lots(tmp_path):
    (message,) = sv304(catering(tmp_path, no_tender_target("L1", "L2")))
    assert message.startswith("outcome O5 (Cooking and food skills for pupils and families) has no target; its "
                              "attainment cannot be measured and it is left out of the design fraction: its "
                              "priority of 10 of 100 passes to the 4 outcomes with a target")
