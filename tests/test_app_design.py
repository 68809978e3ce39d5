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
from tests.apptest import APP, click, messages, ok, table
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
    assert not {"award", "lots", "tie_break", "max_lots_per_supplier"} & set(again)
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
