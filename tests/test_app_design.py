"""The Design page (issue 16): the criteria tree (a sub-criterion added under a group, shares that must add up
to 100 shown live, a criterion's own scale and descriptors, pass/fail questions, a group minimum), lots and their
overrides, mandatory outcomes, the award method, tie break and budget. Every refusal is one line in place, the
design in use is the one parse_rubric made, and the YAML download loads back identically.

First the editor's own functions (app/design_editor.py), then the page through Streamlit's AppTest."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from app import design_editor as ed
from evaluator import parse_rubric
from tests.apptest import APP, messages, ok, table, unescape
from tests.conftest import tender_paths

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

TREE = {
    "tender": {"id": "T-1", "title": "Routes", "contract_value": 1_600_000, "duration_years": 3,
               "budget": 1_700_000, "budget_is_ceiling": True},
    "award": "weighted",
    "lots": [{"id": "L1", "title": "North routes", "contract_value": 1_000_000},
             {"id": "L2", "title": "South routes", "contract_value": 600_000, "local_area": ["Southby", "Ashe"],
              "targets": {"O1": 2}}],
    "max_lots_per_supplier": 1,
    "tie_break": ["price", "quality"],
    "abnormally_low": {"rule": "below_mean_excluding_highest", "share": 0.15},
    "scale": [0, 20, 40, 60, 80, 100],
    "descriptors": {0: "None", 100: "Excellent"},
    "criteria": [
        {"id": "PRICE", "kind": "price", "weight": 40, "method": "relative"},
        {"id": "Q", "kind": "group", "name": "Quality", "weight": 40, "min_share": 0.35, "criteria": [
            {"id": "Q1", "kind": "scale", "name": "Service model", "share": 75, "threshold": 2,
             "scale": [0, 1, 2, 3, 4], "descriptors": {0: "No answer", 4: "Excellent"}},
            {"id": "Q2", "kind": "group", "name": "Safety", "share": 25, "criteria": [
                {"id": "Q2a", "kind": "scale", "share": 50}, {"id": "Q2b", "kind": "scale", "share": 50}]}]},
        {"id": "SV", "kind": "social_value", "weight": 20},
        {"id": "PF", "kind": "pass_fail", "name": "Insurance and operator licence"}],
    "design": {"outcomes": [{"id": "O1", "name": "Jobs", "measures": ["EMP"], "target": 4, "priority": 1,
                             "mandatory": True},
                            {"id": "O2", "name": "Training", "measures": ["TRN"], "target": 10, "priority": 2}]},
}


# ------------------------------------------------------------------------------------------ the editor's functions

def test_a_tree_as_tables_and_back_is_the_same_design():
    draft = ed.tables_from_spec(TREE)
    crit = draft["criteria"].set_index("id")
    assert list(crit.index) == ["PRICE", "Q", "Q1", "Q2", "Q2a", "Q2b", "SV", "PF"]  # depth first
    assert crit.loc["Q1", "parent"] == "Q" and crit.loc["Q2a", "parent"] == "Q2" and crit.loc["Q", "parent"] == ""
    assert crit.loc["PF", "kind"] == "Pass/fail question" and crit.loc["Q", "kind"] == "Group of sub-criteria"
    assert crit.loc["Q", "min_share"] == 35  # a commissioner's percent
    assert crit.loc["Q1", "scale"] == "0, 1, 2, 3, 4" and crit.loc["Q1", "descriptors"] == "0: No answer; 4: Excellent"
    lots = draft["lots"].set_index("id")
    assert lots.loc["L2", "targets"] == "O1: 2" and lots.loc["L2", "local_area"] == "Southby, Ashe"
    assert draft["outcomes"]["mandatory"].tolist() == [True, False]
    spec, problems = ed.spec_from_tables(draft, TREE)
    assert problems == []
    assert spec == TREE


def test_a_flat_rubric_comes_back_without_new_keys():
    spec = yaml.safe_load(tender_paths("home_care_north")[0].read_text())
    again, problems = ed.spec_from_tables(ed.tables_from_spec(spec), spec)
    assert problems == [] and again == spec
    assert not {"award", "lots", "tie_break", "max_lots_per_supplier", "abnormally_low"} & set(again)
    assert not {"budget", "budget_is_ceiling"} & set(again["tender"])


def test_live_sums_name_the_group_and_the_sum():
    draft = ed.tables_from_spec(TREE)
    crit = draft["criteria"]
    crit.loc[crit["id"] == "Q1", "share"] = 100.0
    sums = {g["id"]: g for g in ed.group_sums(crit)}
    assert sums["Q"]["total"] == 125 and not sums["Q"]["ok"]
    assert sums["Q"]["message"] == "Quality (Q): the shares of its sub-criteria add up to 125, not 100"
    assert sums["Q2"]["ok"] and sums["Q2"]["total"] == 100
    assert ed.top_level_weight(crit) == 100
    weights = ed.effective_weights(crit)
    assert weights["Q2a"] == pytest.approx(40 * 0.25 * 0.5)
    assert ed.social_value_weight(crit) == 20


def test_a_sub_criterion_is_added_after_its_groups_last_row():
    crit = ed.tables_from_spec(TREE)["criteria"]
    added = ed.add_row(crit, under="Q", cid="Q3", name="Training", kind="scale", share=10, weight=None)
    assert added["id"].tolist() == ["PRICE", "Q", "Q1", "Q2", "Q2a", "Q2b", "Q3", "SV", "PF"]
    row = added.set_index("id").loc["Q3"]
    assert row["parent"] == "Q" and row["share"] == 10 and row["kind"] == "Scored question"
    top = ed.add_row(crit, under=ed.TOP, cid="PF2", name="", kind="pass_fail", share=None, weight=None)
    assert top["id"].tolist()[-1] == "PF2" and top["kind"].tolist()[-1] == "Pass/fail question"


def test_table_problems_are_one_line_each_naming_row_field_and_value():
    draft = ed.tables_from_spec(TREE)
    crit, lots = draft["criteria"], draft["lots"]
    crit.loc[crit["id"] == "Q1", "scale"] = "0, one, 2"
    crit.loc[crit["id"] == "Q1", "descriptors"] = "0 No answer"
    crit.loc[crit["id"] == "Q2a", "parent"] = "QX"
    crit.loc[crit["id"] == "Q2b", "parent"] = "SV"
    lots.loc[lots["id"] == "L2", "targets"] = "O1 two"
    _, problems = ed.spec_from_tables(draft, TREE)
    lines = [p.line() for p in problems]
    assert lines == [
        "the design (edited), criterion Q1, field 'own scale', value '0, one, 2': the scale must be numbers "
        "separated by commas, lowest to highest, e.g. 0, 1, 2, 3, 4",
        "the design (edited), criterion Q1, field 'own descriptors', value '0 No answer': each descriptor is "
        "'score: words', separated by ';' (not '0 No answer')",
        "the design (edited), criterion Q2a, field 'part of', value 'QX': no group has this id (blank: the top level)",
        "the design (edited), criterion Q2b, field 'part of', value 'SV': SV is not a group of sub-criteria",
        "the design (edited), lot L2, field 'outcome targets', value 'O1 two': each target is 'outcome: number', "
        "separated by ';' (not 'O1 two')"]
    assert [ed.section_of(p) for p in problems] == ["criteria"] * 4 + ["lots"]


def test_groups_part_of_each_other_are_named():
    draft = ed.tables_from_spec(TREE)
    crit = draft["criteria"]
    crit.loc[crit["id"] == "Q", "parent"] = "Q2"
    _, problems = ed.spec_from_tables(draft, TREE)
    assert any("criterion Q, field 'part of', value 'Q2': its groups are part of each other" in p.line()
               for p in problems)


# ------------------------------------------------------------------------------------------ the page
# The default sample (home_care_north): PRICE 40, Q1 30 (minimum score 40), SVQ 10 (social value), SV 20.

def start():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/design.py").run()
    ok(at)
    return at


def seed(at, name: str, edits: dict | None = None, added: list | None = None, deleted: list | None = None):
    at.session_state[f"design_{name}"] = {"edited_rows": edits or {}, "added_rows": added or [],
                                          "deleted_rows": deleted or []}
    at.run()
    ok(at)
    return at


def add(at, under: str, cid: str, name: str = "", kind: str = "Scored question", amount=None):
    at.selectbox(key="design_add_under").set_value(under)
    at.text_input(key="design_add_id").set_value(cid)
    at.text_input(key="design_add_name").set_value(name)
    at.selectbox(key="design_add_kind").set_value(kind)
    at.number_input(key="design_add_share").set_value(amount)
    at.button(key="design_add_button").click().run()
    ok(at)
    return at


def in_use(at):
    """The rubric the page put in use (set_rubric), else None."""
    rubrics = at.session_state["sv_rubrics"] if "sv_rubrics" in at.session_state else {}
    return next(iter(rubrics.values()), None)


def valid(at) -> bool:
    return any("valid and in use" in s.value for s in at.success)


def refusals(at, text: str) -> list[str]:
    return [m for m in messages(at) if text in m and m.startswith("the design")]


def _walk(node):
    kids = getattr(node, "children", None)
    if isinstance(kids, dict):
        for k in sorted(kids):
            yield from _walk(kids[k])
    else:
        yield node


def placed(at, text: str, kind: str = "error") -> str:
    """The heading of the part of the page a message containing `text` is shown in."""
    heading = ""
    for el in _walk(at.main):
        if getattr(el, "type", None) in ("title", "subheader"):
            heading = el.value
        elif type(el).__name__ == kind.capitalize():
            if text in unescape(el.value):
                return heading
    raise AssertionError(f"no message with {text!r}")


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def round_trips(rubric, at=None) -> None:
    """The YAML the page offers loads back as the same design (with `at`: the download button holds exactly
    that YAML; Streamlit names a download by a hash of its bytes, its type and its file name)."""
    from app.state import rubric_yaml
    text = rubric_yaml(rubric)
    if at is not None:
        from streamlit.runtime.memory_media_file_storage import _calculate_file_id
        button = [d for d in at.get("download_button") if d.proto.label == "Download the rubric (YAML)"][0]
        assert button.proto.url.rsplit("/", 1)[-1] == _calculate_file_id(
            text.encode(), "application/x-yaml", f"{rubric.tender.id}.yaml")
    again = parse_rubric(text.encode(), "downloaded.yaml", proxies=rubric.proxies)
    assert again.spec == rubric.spec
    assert "!!python" not in text


Q1_GROUP = {1: {"kind": "Group of sub-criteria", "threshold": None}}


def test_a_sub_criterion_added_under_a_group_shows_the_groups_sum_live_then_the_tree_is_used():
    at = seed(start(), "criteria", Q1_GROUP)
    assert "Service delivery model (Q1) has no sub-criteria yet: add one under it" in messages(at)
    assert not valid(at)
    add(at, "Q1", "Q1a", "Care planning", amount=60)
    assert "Service delivery model (Q1): the shares of its sub-criteria add up to 60, not 100" in messages(at)
    assert metrics(at)["Shares in Service delivery model (Q1)"] == "60"
    assert placed(at, "add up to 60, not 100") == "Criteria and weights"
    refused = refusals(at, "SV301")  # the rubric's own check says it too, once, naming the group and the sum
    assert len(refused) == 1 and "group Q1" in refused[0] and "add up to 60, not 100" in refused[0]
    assert in_use(at) is None  # the refused draft is never used
    add(at, "Q1", "Q1b", "Safeguarding", amount=40)
    assert at.success[-1].value.startswith("Added Q1b under Q1") or any("Added Q1b" in s.value for s in at.success)
    assert valid(at) and not refusals(at, "Q1")
    assert metrics(at)["Shares in Service delivery model (Q1)"] == "100"
    rubric = in_use(at)
    assert rubric.criteria.set_index("id")["weight"][["Q1a", "Q1b"]].tolist() == pytest.approx([18.0, 12.0])
    assert rubric.children("Q1") == ["Q1a", "Q1b"]
    shown = table(at, {"Criterion", "Points of 100"}).set_index("Criterion")  # a sub-criterion indented
    assert shown.loc["\u21b3 Q1a Care planning", "Points of 100"] == "18.00"
    assert shown.loc["\u21b3 Q1a Care planning", "Share of its group"] == "60%"
    assert shown.loc["Q1 Service delivery model", "Points of 100"] == "30.00"
    assert at.data_editor(key="design_criteria").value["id"].tolist() == ["PRICE", "Q1", "Q1a", "Q1b", "SVQ", "SV"]
    round_trips(rubric, at)


def test_the_add_form_refuses_a_blank_or_taken_id_in_place():
    at = start()
    add(at, "", "", "Nameless", kind="Pass/fail question")
    assert "Give the new criterion an id (e.g. Q3) before adding it." in messages(at)
    add(at, "", "SVQ", kind="Pass/fail question")
    assert "There is already a criterion SVQ: choose another id." in messages(at)
    assert at.data_editor(key="design_criteria").value["id"].tolist() == ["PRICE", "Q1", "SVQ", "SV"]


def test_a_pass_fail_question_has_no_weight():
    at = add(start(), "", "PF", "Insurance and operator licence", kind="Pass/fail question")
    assert valid(at)
    rubric = in_use(at)
    assert [c.id for c in rubric.pass_fail_criteria] == ["PF"]
    assert at.data_editor(key="design_criteria").value["kind"].tolist()[-1] == "Pass/fail question"
    assert metrics(at)["Weights add up to"] == "100"
    round_trips(rubric)
    seed(at, "criteria", {4: {"weight": 5.0}})  # a weight on it: refused in one line naming it
    refused = refusals(at, "id PF")
    assert len(refused) == 1 and "field 'weight', value 5" in refused[0] and "pass/fail question carries no weight" \
        in refused[0]
    assert placed(at, "pass/fail question carries no weight") == "Criteria and weights"
    assert in_use(at).spec == rubric.spec  # the last valid design stays in use


def test_a_criterions_own_scale_and_descriptors():
    at = seed(start(), "criteria", {1: {"scale": "0, 1, 2, 3, 4", "threshold": 2.0,
                                        "descriptors": "0: No answer; 4: Excellent"}})
    assert valid(at)
    rubric = in_use(at)
    assert rubric.criterion_scale("Q1").tolist() == [0, 1, 2, 3, 4]
    assert rubric.criterion_scale("SVQ").tolist() == [0, 20, 40, 60, 80, 100]
    assert rubric.criterion("Q1").descriptors == {0: "No answer", 4: "Excellent"}
    round_trips(rubric)
    # (a seed is the table's whole record of edits, as the editor keeps it)
    seed(at, "criteria", {1: {"scale": "0, 1, 2, 3, 4", "threshold": 40.0}})  # the old threshold: off its own scale
    refused = refusals(at, "threshold")
    assert len(refused) == 1 and refused[0].startswith("the design (edited), key criteria[1] (id Q1), field "
                                                       "'threshold', value 40")
    assert refused[0].endswith("threshold must lie on the scale 0-4")
    seed(at, "criteria", {1: {"scale": "0, one, 2", "threshold": None}})
    assert refusals(at, "own scale") == [
        "the design (edited), criterion Q1, field 'own scale', value '0, one, 2': the scale must be numbers "
        "separated by commas, lowest to highest, e.g. 0, 1, 2, 3, 4"]
    seed(at, "criteria", {1: {"scale": None, "descriptors": "Excellent"}})
    assert len(refusals(at, "own descriptors")) == 1


TREE_ROWS = [{"id": "Q1a", "parent": "Q1", "kind": "Scored question", "share": 60},
             {"id": "Q1b", "parent": "Q1", "kind": "Scored question", "share": 40}]


def test_a_group_minimum_is_a_percent_of_the_groups_marks():
    at = seed(start(), "criteria", {**Q1_GROUP, 1: {**Q1_GROUP[1], "min_share": 50.0}}, added=TREE_ROWS)
    assert valid(at)
    rubric = in_use(at)
    assert rubric.groups.set_index("id").loc["Q1", "min_share"] == 0.5
    assert "min_share: 0.5" in __import__("app.state", fromlist=["rubric_yaml"]).rubric_yaml(rubric)
    seed(at, "criteria", {**Q1_GROUP, 2: {"min_share": 50.0}}, added=TREE_ROWS)  # on SVQ, not a group
    refused = refusals(at, "min_share")
    assert len(refused) == 1 and "id SVQ" in refused[0]
    assert in_use(at).spec == rubric.spec


def test_shares_that_do_not_add_up_in_a_group_are_refused_naming_the_group():
    at = seed(start(), "criteria", Q1_GROUP, added=[TREE_ROWS[0], {**TREE_ROWS[1], "share": 45}])
    assert "Service delivery model (Q1): the shares of its sub-criteria add up to 105, not 100" in messages(at)
    assert len(refusals(at, "SV301")) == 1
    # weights instead of shares must add up to the group's own weight
    at = seed(start(), "criteria", Q1_GROUP, added=[{**TREE_ROWS[0], "share": None, "weight": 20},
                                                   {**TREE_ROWS[1], "share": None, "weight": 5}])
    assert ("Service delivery model (Q1): the weights of its sub-criteria add up to 25, not its own weight 30"
            in messages(at))
    assert metrics(at)["Weights in Service delivery model (Q1)"] == "25"
    refused = refusals(at, "SV301")
    assert len(refused) == 1 and "group Q1" in refused[0] and "25, not the group's 30" in refused[0]


def test_a_tree_deeper_than_three_levels_is_one_line():
    rows = [{"id": "G2", "parent": "Q1", "kind": "Group of sub-criteria", "share": 100},
            {"id": "G3", "parent": "G2", "kind": "Group of sub-criteria", "share": 100},
            {"id": "G4", "parent": "G3", "kind": "Scored question", "share": 100}]
    at = seed(start(), "criteria", Q1_GROUP, added=rows)
    refused = refusals(at, "levels deep")
    assert len(refused) == 1 and "id G4" in refused[0] and "3 levels at most" in refused[0]


def test_lots_with_their_overrides():
    lots = [{"id": "L1", "title": "North", "contract_value": 3_000_000},
            {"id": "L2", "title": "South", "contract_value": 1_800_000, "duration_years": 2,
             "local_area": "Easton, Millbrook", "targets": "O1: 10"}]
    at = seed(start(), "lots", added=lots)
    at.number_input(key="design_max_lots").set_value(1).run()
    ok(at)
    assert valid(at)
    rubric = in_use(at)
    assert rubric.has_lots and [lot.id for lot in rubric.lots] == ["L1", "L2"]
    assert rubric.spec.max_lots_per_supplier == 1
    warned = [unescape(w.value) for w in at.warning]
    assert any(w.startswith("6 of the 6 bids loaded name no lot (") and "and 3 more" in w for w in warned), warned
    assert placed(at, "name no lot", kind="warning") == "Lots"
    south = rubric.for_lot("L2")
    assert south.tender.contract_value == 1_800_000 and south.tender.duration_years == 2
    assert south.tender.local_area == ["Easton", "Millbrook"]
    assert south.outcomes.set_index("id").loc["O1", "target"] == 10
    round_trips(rubric, at)
    seed(at, "lots", added=[lots[0], {**lots[1], "targets": "O9: 3"}])
    refused = refusals(at, "O9")
    assert len(refused) == 1 and "key lots[1] (id L2), field 'targets', value 'O9'" in refused[0]
    assert placed(at, "overrides the target of an outcome") == "Lots"
    seed(at, "lots", added=[lots[0], {**lots[1], "targets": "O1 ten"}])
    assert refusals(at, "outcome targets") == [
        "the design (edited), lot L2, field 'outcome targets', value 'O1 ten': each target is 'outcome: number', "
        "separated by ';' (not 'O1 ten')"]
    assert in_use(at).spec == rubric.spec


def test_most_lots_per_supplier_without_lots_is_refused():
    at = start()
    at.number_input(key="design_max_lots").set_value(1).run()
    ok(at)
    refused = refusals(at, "max_lots_per_supplier")
    assert len(refused) == 1 and "applies only to a tender with lots" in refused[0]
    assert placed(at, "applies only to a tender with lots") == "Lots"


def test_a_mandatory_outcome():
    at = seed(start(), "outcomes", {0: {"mandatory": True}})
    assert valid(at)
    rubric = in_use(at)
    assert rubric.mandatory_outcomes == ["O1"]
    assert rubric.outcomes.set_index("id")["mandatory"].tolist() == [True, False, False, False]
    round_trips(rubric)


def test_award_by_price_per_quality_point_and_the_tie_break():
    at = start()
    at.selectbox(key="design_award").set_value("Lowest price per quality point").run()
    ok(at)
    refused = refusals(at, "price_per_quality_point")
    assert len(refused) == 1 and "id PRICE" in refused[0] and "field 'kind', value 'price'" in refused[0]
    assert placed(at, "price_per_quality_point divides") == "Award"
    assert in_use(at) is None
    seed(at, "criteria", {3: {"weight": 60.0}}, deleted=[0])  # no price criterion: the rest are 100 quality points
    assert valid(at)
    assert in_use(at).award == "price_per_quality_point"
    at.multiselect(key="design_tie_break").set_value(["Price", "Quality marks"]).run()
    ok(at)
    assert in_use(at).tie_break == ["price", "quality"]
    at.multiselect(key="design_tie_break").set_value([]).run()
    assert in_use(at).tie_break == []
    round_trips(in_use(at))


def test_budget_and_ceiling():
    at = start()
    at.checkbox(key="design_ceiling").check().run()
    ok(at)
    refused = refusals(at, "budget_is_ceiling")
    assert len(refused) == 1 and "needs the budget itself" in refused[0]
    assert placed(at, "needs the budget itself") == "Award"
    at.number_input(key="design_budget").set_value(5_000_000).run()
    ok(at)
    assert valid(at)
    rubric = in_use(at)
    assert rubric.tender.budget == 5_000_000 and rubric.tender.budget_is_ceiling is True
    assert "Budget: £5,000,000" in [c.value for c in at.caption]
    round_trips(rubric)


def test_kinds_are_in_a_commissioners_words():
    at = start()
    kinds = at.data_editor(key="design_criteria").value["kind"].tolist()
    assert kinds == ["Price", "Scored question", "Scored question", "Social value commitments"]
    assert at.selectbox(key="design_award").value == "Highest total marks"
    assert at.multiselect(key="design_tie_break").value == ["Quality marks", "Price"]
    shown = " ".join([str(s.value) for s in at.selectbox] + [str(o) for s in at.selectbox for o in s.options])
    assert "pass_fail" not in shown and "price_per_quality_point" not in shown


def test_the_abnormally_low_price_rule():
    at = start()
    assert at.selectbox(key="design_low_rule").value == "Under a share of the median price"
    at.selectbox(key="design_low_rule").set_value("Below the mean of the others (the highest left out)").run()
    at.number_input(key="design_low_share").set_value(20).run()
    ok(at)
    assert valid(at)
    rubric = in_use(at)
    assert rubric.abnormally_low.rule == "below_mean_excluding_highest" and rubric.abnormally_low.share == 0.2
    round_trips(rubric, at)
    at.number_input(key="design_low_share").set_value(100).run()
    ok(at)
    refused = refusals(at, "abnormally_low")
    assert len(refused) == 1 and "field 'share', value 1" in refused[0]
    assert placed(at, "abnormally_low") == "Award"
    assert in_use(at).spec == rubric.spec


# ------------------------------------------------------------------------------------------ the Social Value Model

def _library_outcome(oid: str):
    from evaluator.library import load_library
    return next(o for o in load_library() if o.id == oid)


def parse_rubric_file(name: str):
    from evaluator import load_rubric
    return load_rubric(tender_paths(name)[0])


def _shipped_proxies():
    from evaluator.proxies import load_proxies
    from tests.conftest import RUBRICS
    return load_proxies(RUBRICS / "proxies" / "public_2025.csv")


def test_a_library_outcome_becomes_a_row_with_its_wording_source_and_a_fitting_measure():
    outs = ed.tables_from_spec(TREE)["outcomes"]
    added, info = ed.add_library_outcome(outs, _library_outcome("T2020-INEQUALITY-1"), _shipped_proxies())
    row = added.iloc[-1]
    assert info == {"id": "O3", "measures": ["EMP-LOCAL-BARRIERS"], "unit": "fte_year", "note": None}
    assert row["id"] == "O3" and row["name"] == "Create new businesses, new jobs and new skills"
    assert row["measures"] == "EMP-LOCAL-BARRIERS" and row["unit"] == "fte_year" and not row["mandatory"]
    assert row["rationale"].startswith("Theme: Tackling economic inequality. Create new businesses")
    assert "Edition 1.1 (3 December 2020)" in row["rationale"] and "Open Government Licence v3.0" in row["rationale"]
    spec, problems = ed.spec_from_tables({**ed.tables_from_spec(TREE), "outcomes": added}, TREE)
    assert problems == [] and spec["design"]["outcomes"][-1]["measures"] == ["EMP-LOCAL-BARRIERS"]


def test_a_library_outcome_no_measure_fits_is_added_without_one_and_says_so():
    outs = ed.tables_from_spec(TREE)["outcomes"]
    added, info = ed.add_library_outcome(outs, _library_outcome("T2020-INEQUALITY-2"), _shipped_proxies())
    assert info["measures"] == [] and info["unit"] is None and "No measure in the proxy table fits" in info["note"]
    assert not ed.given(added.iloc[-1]["measures"]) and not ed.given(added.iloc[-1]["unit"])
    spec, _ = ed.spec_from_tables({**ed.tables_from_spec(TREE), "outcomes": added}, TREE)
    assert spec["design"]["outcomes"][-1]["measures"] == []


def test_the_design_page_adds_an_outcome_from_the_social_value_model():
    at = start()
    before = len(parse_rubric_file("home_care_north").spec.design.outcomes)
    at.selectbox(key="design_lib_mission").set_value("T2020-INEQUALITY").run()
    ok(at)
    at.selectbox(key="design_lib_outcome_T2020-INEQUALITY").set_value("T2020-INEQUALITY-1").run()
    ok(at)
    assert any("Suggested measure: EMP-LOCAL-BARRIERS" in m and "counted in FTE-years" in m for m in messages(at, "info"))
    assert not any("fte_year" in m for m in messages(at, "info"))
    assert any("Edition 1.1 (3 December 2020)" in unescape(c.value) for c in at.caption)
    at.button(key="design_lib_button").click().run()
    ok(at)
    new_id = f"O{before + 1}"
    assert any(f"Added {new_id} 'Create new businesses, new jobs and new skills' with the measure "
               "EMP-LOCAL-BARRIERS (counted in FTE-years)" in m for m in messages(at, "success"))
    assert valid(at)
    outcome = in_use(at).spec.design.outcomes[-1]
    assert outcome.id == new_id and outcome.name == "Create new businesses, new jobs and new skills"
    assert list(outcome.measures) == ["EMP-LOCAL-BARRIERS"]
    assert "Open Government Licence v3.0" in outcome.rationale


def test_the_design_page_adds_an_outcome_no_measure_fits_with_a_note():
    at = start()
    at.selectbox(key="design_lib_mission").set_value("T2020-INEQUALITY").run()
    at.selectbox(key="design_lib_outcome_T2020-INEQUALITY").set_value("T2020-INEQUALITY-2").run()
    ok(at)
    assert any("No measure in the proxy table fits this outcome" in m for m in messages(at, "warning"))
    at.button(key="design_lib_button").click().run()
    ok(at)
    assert any("'Increase supply chain resilience and capacity' with no measure" in m for m in messages(at, "warning"))
    outcome = in_use(at).spec.design.outcomes[-1]
    assert outcome.name == "Increase supply chain resilience and capacity" and list(outcome.measures) == []


# ------------------------------------------------------------------------------------------ a form per row (issue 19)

def form(at, rid: str):
    """The expander of criterion or outcome `rid` (its title starts with the id)."""
    found = [e for e in at.expander if e.label == rid or e.label.startswith(f"{rid} ")]
    assert found, f"no form for {rid}: {[e.label for e in at.expander]}"
    return found[0]


def field(at, rid: str, label: str, kind: str = "number_input"):
    widgets = [w for w in getattr(form(at, rid), kind) if w.label == label]
    assert len(widgets) == 1, f"{rid}: no {kind} {label!r}"
    return widgets[0]


OUTCOME_WORDS = {"Target over the term": "number_input", "Priority": "number_input", "Baseline": "number_input",
                 "Unit": "selectbox", "Evidence required": "selectbox", "If not delivered": "text_area",
                 "Rationale": "text_area"}
CRITERION_WORDS = {"Minimum score": "number_input", "Counts as social value": "checkbox",
                   "Price formula": "selectbox", "Group minimum %": "number_input", "Own scale": "text_input",
                   "Own descriptors": "text_input", "Question wording": "text_area"}


def test_every_field_of_an_outcome_and_a_criterion_is_shown_with_its_words():
    at = start()
    o1 = parse_rubric_file("home_care_north").spec.design.outcomes[0]
    for label, kind in OUTCOME_WORDS.items():
        field(at, "O1", label, kind)
    assert field(at, "O1", "Target over the term").value == pytest.approx(o1.target)
    assert field(at, "O1", "Priority").value == pytest.approx(o1.priority)
    assert field(at, "O1", "Evidence required", "selectbox").value == o1.evidence_required
    assert field(at, "O1", "If not delivered", "text_area").value == o1.if_not_delivered
    unit = field(at, "O1", "Unit", "selectbox")  # a unit offered in words, kept as the proxy table's code
    assert unit.value == o1.unit == "fte_year" and unit.format_func(unit.value) == "FTE-years"
    for cid in ("PRICE", "Q1", "SVQ", "SV"):
        for label, kind in CRITERION_WORDS.items():
            field(at, cid, label, kind)
    assert field(at, "Q1", "Minimum score").value == pytest.approx(40)
    assert field(at, "SVQ", "Counts as social value", "checkbox").value is True
    assert field(at, "Q1", "Counts as social value", "checkbox").value is False
    assert any("must be offered" in unescape(c.value) or "optional for a bid" in unescape(c.value)
               for c in form(at, "O1").caption)


def test_a_checks_full_message_is_shown_with_its_severity_in_words():
    from evaluator import check_rubric
    at = start()
    field(at, "O1", "Target over the term").set_value(None)
    field(at, "O1", "If not delivered", "text_area").set_value("")
    at.run()
    ok(at)
    assert valid(at)
    flags = check_rubric(in_use(at))
    assert {"SV304", "SV308"} <= set(flags["code"])
    shown = [unescape(m.value) for m in [*at.warning, *at.info, *at.error]]
    for f in flags.to_dict("records"):
        box = [m for m in shown if f"Code {f['code']}" in m]
        assert box and ed.field_words(f["message"]) in box[0] and ed.field_words(f["fix"]) in box[0], f["code"]
    remedy = next(m for m in shown if "Code SV308" in m)
    assert "What to do: " in remedy and "if_not_delivered" not in remedy and "_" not in remedy
    # a field the engine names by its key reads as the page labels it
    assert ed.field_words("Add if_not_delivered for O1 (design.require.kpi)") == "Add 'If not delivered' for O1"
    assert any("Outcome no target (Warning)" in m.replace("*", "") for m in shown)


def test_quick_edits_in_the_forms_and_the_table_are_all_kept():
    at = start()
    for n, target in enumerate((31, 32, 33, 34, 35)):  # a value typed again and again, a run after each
        field(at, "O1", "Target over the term").set_value(target)
        field(at, "O2", "Priority").set_value(10 + n)
        at.run()
        ok(at)
    seed(at, "outcomes", {1: {"mandatory": True}})  # then a cell of the table
    field(at, "Q1", "Minimum score").set_value(45)
    field(at, "O3", "If not delivered", "text_area").set_value("Service credits of 1%")
    at.run()
    for _ in range(3):  # reruns with nothing typed rebuild nothing
        at.run()
    ok(at)
    assert field(at, "O1", "Target over the term").value == pytest.approx(35)
    assert field(at, "O2", "Priority").value == pytest.approx(14)
    rubric = in_use(at)
    outcomes = {o.id: o for o in rubric.spec.design.outcomes}
    assert outcomes["O1"].target == 35 and outcomes["O2"].priority == 14 and outcomes["O2"].mandatory
    assert outcomes["O3"].if_not_delivered == "Service credits of 1%"
    assert rubric.criteria.set_index("id")["threshold"]["Q1"] == pytest.approx(45)
    at.switch_page("app_pages/results.py").run()  # leave the page and come back: the draft holds every edit
    at.switch_page("app_pages/design.py").run()
    ok(at)
    assert field(at, "O1", "Target over the term").value == pytest.approx(35)
    assert field(at, "O3", "If not delivered", "text_area").value == "Service credits of 1%"
    assert field(at, "Q1", "Minimum score").value == pytest.approx(45)


def test_descriptors_with_a_semicolon_of_their_own_round_trip():
    """Issue 19: school catering's Q1 descriptors say "Meets the Standards on paper; no analysis...": the untouched
    shipped sample's Design page refused its own design ("each descriptor is 'score: words'"). A new descriptor
    starts at "; <score>:", so a descriptor's own ';' stays in its words."""
    spec = yaml.safe_load((tender_paths("school_catering")[0]).read_text())
    _, problems = ed.spec_from_tables(ed.tables_from_spec(spec), spec)
    assert [p.line() for p in problems] == []
    text = "0: None; 1: Meets it on paper; no analysis; 2: Good"
    assert ed.parse_descriptors(text) == {0: "None", 1: "Meets it on paper; no analysis", 2: "Good"}
    with pytest.raises(ValueError):
        ed.parse_descriptors("no score here; 1: Poor")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="sample_choice").set_value("school_catering")
    next(b for b in at.button if b.label == "Open this sample").click()
    at.run()
    at.switch_page("app_pages/design.py").run()
    ok(at)
    assert not messages(at), messages(at)
    assert any(s.value == "The design is valid and in use on every page." for s in at.success)
