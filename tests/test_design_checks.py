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


# ----------------------------------------------------------------------------- SV315-SV318 (issue 18)
# A design that cannot be served or valued: an outcome measure the proxy table does not have and a rubric
# with no proxy table are refused where SV301 refuses (one line, naming the outcome and the nearest code);
# an outcome in another unit than its measures, and one no commitment can serve, are warned about.

def _refused(tmp_path, edit):
    from evaluator import RubricRefused
    with pytest.raises(RubricRefused) as exc:
        variant(tmp_path, edit)
    return exc.value


def test_sv315_a_one_letter_typo_in_an_outcome_measure_refuses_the_rubric_naming_the_right_code(tmp_path):
    exc = _refused(tmp_path, outcomes(outcome(1), outcome(2, measures=["WELBY"])))
    line = exc.line()
    assert exc.code == "SV315" and "\n" not in line
    assert "rubric.yaml, key design.outcomes[1], field 'measures', value 'WELBY'" in line
    assert "outcome O2 (Outcome 2) names measure 'WELBY', which is not in the proxy table proxies.csv" in line
    assert "(did you mean 'WELLBY'?)" in line and "the rubric is refused" in line


def test_sv315_a_code_like_none_in_the_table_names_the_nearest_and_every_unknown_one(tmp_path):
    line = _refused(tmp_path, outcomes(outcome(1, measures=["WELLBY", "FALLS-AVOIDED"]),
                                       outcome(2, measures=["wellby2"]))).line()
    assert "names measure 'FALLS-AVOIDED'" in line and "; the nearest known code is '" in line
    assert "; also outcome O2 (Outcome 2) names measure 'wellby2'" in line


def test_sv315_near_miss_every_measure_known_loads(tmp_path):
    rubric = variant(tmp_path, outcomes(outcome(1, measures=["WELLBY", "VOLUNTEER-HOUR"], unit=DROP)))
    assert flags_of(check_rubric(rubric), "SV315").empty


def test_sv316_no_proxy_table_refuses_a_rubric_with_social_value(tmp_path):
    def no_table(data):
        del data["proxies"]
    exc = _refused(tmp_path, no_table)
    assert exc.code == "SV316" and "field 'proxies'" in exc.line()
    assert "a social-value criterion (SV) and design outcomes (O1, O2, O3) but names no proxy table" in exc.line()


def test_sv316_near_miss_a_rubric_that_values_nothing_needs_no_table(tmp_path):
    def price_and_quality(data):
        del data["proxies"]
        data["design"]["outcomes"] = []
        data["criteria"] = [c for c in data["criteria"] if c["kind"] in ("price", "scale") and not c.get("social_value")]
        data["criteria"][1]["weight"] = 60
    rubric = variant(tmp_path, price_and_quality)
    assert flags_of(check_rubric(rubric), "SV316").empty


def test_sv315_and_sv316_are_flags_where_a_draft_is_checked_not_loaded(tmp_path):
    """The Design page checks a draft the loader refused, and a review reads a rubric file without
    refusing it: both get SV315/SV316 as error flags from check_rubric."""
    from evaluator import Rubric, RubricSpec
    from evaluator.proxies import empty_proxies
    good = variant(tmp_path, outcomes(outcome(1)))
    spec = good.spec.model_dump()
    spec["design"]["outcomes"][0]["measures"] = ["WELBY"]
    draft = Rubric(spec=RubricSpec.model_validate(spec), path=good.path, proxies=good.proxies, proxies_path=None)
    (message,) = flags_of(check_rubric(draft), "SV315")["message"]
    assert "(did you mean 'WELLBY'?)" in message
    bare = Rubric(spec=RubricSpec.model_validate({**spec, "proxies": None}), path=good.path,
                  proxies=empty_proxies(), proxies_path=None)
    assert len(flags_of(check_rubric(bare), "SV316")) == 1


def test_review_of_a_rubric_file_reads_its_table_for_the_design_checks(tmp_path):
    from evaluator.review import review_paths
    _refused(tmp_path, outcomes(outcome(1, unit="people"), outcome(2, measures=["WELBY"])))  # written, refused
    (tender,) = review_paths([tmp_path / "rubric.yaml"]).tenders
    by_code = {f["code"]: f for f in tender["flags"]}
    assert by_code["SV315"]["severity"] == "error" and "did you mean 'WELLBY'?" in by_code["SV315"]["message"]
    assert "outcome O1 (Outcome 1) is counted in 'people' but its measure WELLBY is in 'wellby'" in \
        by_code["SV317"]["message"]


SERVING = [  # (outcome, code, fires, needles)
    (outcome(2, unit="people"), "SV317", True,
     ["outcome O2 (Outcome 2) is counted in 'people' but its measure WELLBY is in 'wellby'"]),
    (outcome(2, unit=" WellBy "), "SV317", False, []),            # the engine compares units as typed loosely
    (outcome(2, unit=DROP), "SV317", False, []),                   # no unit: the measures' own
    (outcome(2, measures=["WELLBY", "VOLUNTEER-HOUR"], unit=DROP), "SV317", True,
     ["sets no unit and its measures are in different units (WELLBY 'wellby', VOLUNTEER-HOUR 'hour')"]),
    (outcome(2, measures=[], unit=DROP), "SV318", True,
     ["outcome O2 (Outcome 2) has no measures and no unit", "no bid can earn its priority of 1 of 2"]),
    (outcome(2, measures=[], unit="falls"), "SV318", True,
     ["its unit 'falls' is the unit of no measure in the proxy table (", "(SV101)", "(SV104)"]),
    (outcome(2, measures=[], unit="hour"), "SV318", False, []),   # a commitment in hours that names O2 counts
    (outcome(2), "SV318", False, []),
]


@pytest.mark.parametrize("item,code,fires,needles", SERVING,
                         ids=[f"{c}-{'fires' if f else 'quiet'}-{i}" for i, (_, c, f, _) in enumerate(SERVING)])
def test_sv317_sv318_outcomes_that_cannot_be_served_as_written(tmp_path, item, code, fires, needles):
    rubric = variant(tmp_path, outcomes(outcome(1), item))
    hits = flags_of(check_rubric(rubric), code)
    assert len(hits) == (1 if fires else 0), hits["message"].tolist()
    for n in needles:
        assert n in hits["message"].iat[0], hits["message"].iat[0]
    if fires:
        assert "O2" in hits["fix"].iat[0]


def test_sv318_is_true_no_commitment_towards_the_outcome_is_credited(tmp_path):
    """The warning says what the engine does: a commitment naming an outcome with no measures and no unit
    serves nothing (SV114); give the outcome a unit and the same commitment counts."""
    from .test_checks import bid, commitment, run
    fixed = variant(tmp_path, outcomes(outcome(1), outcome(2, measures=[], unit="hour")))
    (tmp_path / "broken").mkdir()
    broken = variant(tmp_path / "broken", outcomes(outcome(1), outcome(2, measures=[], unit=DROP)))
    hours = commitment("H1", measure="VOLUNTEER-HOUR", unit="hour", quantity=100, outcome="O2",
                       claimed_proxy=12.21, claimed_value=1221)
    assert run(tmp_path, bid(commitments=[hours]), rubric=fixed).commitments["served_outcome"].iat[0] == "O2"
    ev = run(tmp_path, bid(commitments=[hours]), rubric=broken)
    assert ev.commitments["served_outcome"].isna().all() and "SV114" in set(ev.flags["code"])
    assert "SV318" in set(ev.rubric_flags["code"])  # and evaluate carries the warning (rubric_flags)


def test_the_shipped_drafts_show_sv315_to_sv318(root):
    from evaluator import RubricRefused, load_rubric
    drafts = root / "rubrics" / "drafts"
    for name, code in (("home_support_measure_typo_draft.yaml", "SV315"),
                       ("home_support_no_table_draft.yaml", "SV316")):
        with pytest.raises(RubricRefused) as exc:
            load_rubric(drafts / name)
        assert exc.value.code == code
    flags = check_rubric(load_rubric(drafts / "home_support_outcomes_draft.yaml"))
    assert {"SV317", "SV318"} <= set(flags["code"])
