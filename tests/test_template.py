"""The supplier template: written from a rubric, read back as the YAML bid shape, and safe with bad files."""
from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from evaluator.bid_documents import read_bid_workbook
from evaluator.bulk_bids import BID_FIELDS, COMMITMENT_FIELDS
from evaluator.bids import load_bids
from evaluator.exceptions import EvaluatorError, InputError
from evaluator.rubric import load_rubric
from evaluator.template import write_template

ROOT = Path(__file__).resolve().parents[1]
PROXIES = ROOT / "rubrics" / "proxies" / "public_2025.csv"
SHIPPED_RUBRIC = ROOT / "rubrics" / "home_care_north.yaml"

RUBRIC_YAML = f"""
tender:
  id: TT-2026-001
  title: Template test tender
  contract_value: 1000000
  duration_years: 3
  local_area: [Northtown]
proxies: {PROXIES.as_posix()}
criteria:
  - {{id: PRICE, kind: price, weight: 50}}
  - {{id: Q1, kind: scale, name: Service delivery model, weight: 20}}
  - {{id: SVQ, kind: scale, name: Social value delivery plan, weight: 10, social_value: true}}
  - {{id: SV, kind: social_value, name: Social value commitments, weight: 20}}
design:
  outcomes:
    - {{id: O1, name: Local jobs, measures: [EMP-LOCAL-BARRIERS, EMP-LOCAL], unit: fte_year, baseline: 0,
       target: 30, priority: 50, evidence_required: E2, if_not_delivered: "service credits"}}
    - {{id: O-WELL, name: Less loneliness, measures: [WELLBY], unit: wellby, target: 40, priority: 25}}
"""

FULL_BID = {
    "bidder": "Ysgol Gymraeg Bro Ŵyr £ € – Care Ltd",
    "supplier_id": "GB-COH-01234567",
    "contact_email": "bids@acme.example",
    "contact_address": "1 High Street, Northtown",
    "price": 4650000.5,
    "responses": {"Q1": "=SUM(A1:A9) is how we staff rounds", "SVQ": "-first line\nsecond line"},
    "commitments": [
        {
            "id": "A1",
            "measure": "EMP-LOCAL-BARRIERS",
            "outcome": "O1",
            "description": "Recruit and train local residents who are long-term unemployed",
            "quantity": 24,
            "unit": "fte_year",
            "claimed_proxy": 24000,
            "claimed_value": 576000.25,
            "start_year": 1,
            "end_year": 3,
            "persistence_years": 2,
            "drop_off": 0.25,
            "location": "Northtown",
            "beneficiaries": "long-term unemployed residents",
            "evidence": {"grade": "E2", "description": "+18 of 25 sustained 12 months"},
            "deadweight": 0.2,
            "attribution": 0.1,
            "displacement": 0.0,
            "deflator_rationale": "@ONS local claimant trend",
            "narrative": "\tHow it will be delivered, with whom: Ysgol Gymraeg Bro Ŵyr £ € –",
            "kpi": "#N/A is not an error here",
            "contract_specific": False,
        },
        {
            "id": "A2",
            "measure": "WELLBY",
            "quantity": 12.5,
            "unit": "wellby",
            "evidence": {"grade": "E1"},
            "contract_specific": True,
        },
    ],
}


@pytest.fixture
def rubric(tmp_path):
    path = tmp_path / "rubric.yaml"
    path.write_text(RUBRIC_YAML, encoding="utf-8")
    return load_rubric(path)


def _without_where(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for item in doc.get("commitments", []):
        item.pop("_where", None)
    return doc


def _list_values(wb, formula: str) -> list[str]:
    """The values a list validation offers, whether inline or a range on another sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [row[0].value for row in ws[ref.replace("$", "")]]


def _validations(path: Path) -> dict[str, tuple[str, list[str], object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb["Commitments"]
    header = [c.value for c in ws[1]]
    found = {}
    for dv in ws.data_validations.dataValidation:
        first = next(iter(dv.sqref.ranges))
        field = header[first.min_col - 1]
        found[field] = (dv, _list_values(wb, dv.formula1), first)
    return found


def test_template_has_the_sheets_headers_and_reference_tables(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "template.xlsx")
    assert path == tmp_path / "template.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Bid", "Responses", "Commitments"]
    assert {"Outcomes", "Measures", "Evidence grades"} <= set(wb.sheetnames)

    bid = wb["Bid"]
    assert [c.value for c in bid[1]] == ["field", "value"]
    assert [bid.cell(row=r, column=1).value for r in range(2, 2 + len(BID_FIELDS))] == BID_FIELDS
    responses = wb["Responses"]
    assert [c.value for c in responses[1]] == ["criterion", "name", "text"]
    assert [(r[0].value, r[1].value, r[2].value) for r in responses.iter_rows(min_row=2)] == [
        ("Q1", "Service delivery model", None), ("SVQ", "Social value delivery plan", None)]
    commitments = wb["Commitments"]
    assert [c.value for c in commitments[1]] == COMMITMENT_FIELDS
    assert commitments.max_row == 1  # empty rows ready to fill

    for name in ("Bid", "Responses", "Commitments", "Outcomes", "Measures"):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1] if c.value is not None)

    outcomes = wb["Outcomes"]
    assert [c.value for c in outcomes[1]] == ["id", "name", "measures", "unit", "baseline", "target",
                                              "priority", "evidence_required", "if_not_delivered"]
    assert outcomes["A2"].value == "O1" and outcomes["C2"].value == "EMP-LOCAL-BARRIERS, EMP-LOCAL"
    assert outcomes["F2"].value == 30 and outcomes["I2"].value == "service credits"
    measures = wb["Measures"]
    assert [c.value for c in measures[1]] == ["code", "name", "unit", "value", "kind", "local_only",
                                              "source", "licence"]
    codes = [r[0].value for r in measures.iter_rows(min_row=2)]
    assert codes == list(rubric.proxies["code"])
    wellby = next(r for r in measures.iter_rows(min_row=2) if r[0].value == "WELLBY")
    assert isinstance(wellby[3].value, (int, float)) and wellby[5].value is False
    grades = wb["Evidence grades"]
    text = " ".join(str(c.value) for row in grades.iter_rows() for c in row if c.value is not None)
    for grade in ("E0", "E1", "E2", "E3", "E4"):
        assert grade in text
    assert "bare assertion" in text and "replicated" in text
    assert wb.properties.identifier == "TT-2026-001"


def test_drop_downs_offer_the_rubrics_codes_outcomes_units_and_grades(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "template.xlsx")
    found = _validations(path)
    assert set(found) == {"measure", "outcome", "evidence_grade", "unit", "contract_specific"}
    for field, (dv, values, cells) in found.items():
        assert dv.type == "list" and dv.showErrorMessage and dv.error, field
        assert cells.min_row == 2 and cells.max_row >= 500, field
    assert found["measure"][1] == list(rubric.proxies["code"])
    assert found["outcome"][1] == ["O1", "O-WELL"]
    assert found["evidence_grade"][1] == ["E0", "E1", "E2", "E3", "E4"]
    assert set(found["unit"][1]) >= {"fte_year", "wellby", "apprentice_year"}
    assert found["contract_specific"][1] == ["TRUE", "FALSE"]
    # The measure list is longer than Excel's 255-character inline limit would allow: it must be a range.
    assert not found["measure"][0].formula1.startswith('"')
    assert len(",".join(found["measure"][1])) > 100


def test_full_bid_round_trips_exactly(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    back = read_bid_workbook(path)
    assert _without_where(back) == FULL_BID
    assert [c["_where"] for c in back["commitments"]] == ["sheet Commitments, row 2",
                                                          "sheet Commitments, row 3"]
    first = back["commitments"][0]
    assert first["contract_specific"] is False and back["commitments"][1]["contract_specific"] is True
    assert isinstance(first["quantity"], int) and isinstance(first["drop_off"], float)
    assert back["price"] == 4650000.5


def test_partial_bid_leaves_missing_fields_absent(rubric, tmp_path):
    bid = {"bidder": "Acme", "price": 100, "commitments": [{"id": "A1", "measure": "WELLBY"}]}
    back = read_bid_workbook(write_template(rubric, tmp_path / "bid.xlsx", bid))
    assert _without_where(back) == {**bid, "responses": {}}


def test_empty_template_reads_as_an_empty_bid(rubric, tmp_path):
    back = read_bid_workbook(write_template(rubric, tmp_path / "template.xlsx"))
    assert back == {"responses": {}, "commitments": []}


def test_formula_looking_text_is_stored_as_text(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    wb = openpyxl.load_workbook(path)
    q1 = wb["Responses"]["C2"]
    assert q1.value == "=SUM(A1:A9) is how we staff rounds"
    assert q1.data_type != "f" and q1.quotePrefix
    kpi = wb["Commitments"].cell(row=2, column=COMMITMENT_FIELDS.index("kpi") + 1)
    assert kpi.value == "#N/A is not an error here" and kpi.data_type == "s"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), ws.title


def test_filled_rows_are_numbered_as_the_spreadsheet_numbers_them(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Commitments"]
    ws["A3"], ws["B3"], ws["D3"] = "B1", "APPRENTICE", "   "
    ws["A7"], ws["E7"], ws["W7"] = "B2", 6, "TRUE"  # the drop-down's word typed as text
    ws["O7"] = "E3"
    wb["Bid"]["B2"] = "Acme"
    wb["Responses"]["C3"] = "Our plan"
    wb.save(path)
    back = read_bid_workbook(path)
    assert back == {
        "bidder": "Acme",
        "responses": {"SVQ": "Our plan"},
        "commitments": [
            {"id": "B1", "measure": "APPRENTICE", "_where": "sheet Commitments, row 3"},
            {"id": "B2", "quantity": 6, "contract_specific": True, "evidence": {"grade": "E3"},
             "_where": "sheet Commitments, row 7"},
        ],
    }


def test_shipped_rubric_template_round_trips(tmp_path):
    if not SHIPPED_RUBRIC.is_file():
        pytest.skip("rubrics/home_care_north.yaml is not there yet")
    rubric = load_rubric(SHIPPED_RUBRIC)
    bid = copy.deepcopy(FULL_BID)
    bid["commitments"][0]["end_year"] = 4
    path = write_template(rubric, tmp_path / "hc.xlsx", bid)
    assert _without_where(read_bid_workbook(path)) == bid
    found = _validations(path)
    assert set(o.id for o in rubric.spec.design.outcomes) <= set(found["outcome"][1])


# --- files that are not what they claim --------------------------------------------------------------

def _raises(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_bid_workbook(path)
    message = str(info.value)
    assert str(path) in message
    return info.value


def test_text_file_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "bid.xlsx"
    path.write_text("bidder,price\nAcme,100\n", encoding="utf-8")
    err = _raises(path)
    assert "is not an XLSX workbook" in str(err)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "bid.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    err = _raises(path)
    assert "is not an XLSX workbook" in str(err)


def test_truncated_workbook_is_refused(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _raises(path)


def test_missing_file_and_folder_are_refused(tmp_path):
    _raises(tmp_path / "absent.xlsx")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    _raises(folder)


def test_workbook_without_commitments_sheet_is_refused(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["Commitments"]
    wb.save(path)
    err = _raises(path)
    assert "sheet Commitments" in str(err) and "missing" in str(err)
    # one line a supplier using the app can act on: where to get a blank template, no command to type
    assert "python -m" not in str(err) and "`" not in str(err) and "\n" not in str(err)
    assert "blank supplier template from the Design page" in str(err)


def test_sheet_names_differing_only_in_case_are_accepted(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", {"bidder": "Acme"})
    wb = openpyxl.load_workbook(path)
    wb["Commitments"].title = "commitments "
    wb.save(path)
    assert read_bid_workbook(path)["bidder"] == "Acme"


def test_unknown_commitment_column_is_refused_with_a_suggestion(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    wb = openpyxl.load_workbook(path)
    wb["Commitments"]["E1"] = "quantitiy"
    wb.save(path)
    err = _raises(path)
    assert err.where == "sheet Commitments, row 1, column E" and err.field == "quantitiy"
    assert "unknown column" in str(err) and "did you mean 'quantity'" in str(err)


def test_duplicate_commitment_column_is_refused(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Commitments"].cell(row=1, column=len(COMMITMENT_FIELDS) + 1, value="measure")
    wb.save(path)
    err = _raises(path)
    assert "duplicate column" in str(err) and err.field == "measure" and "row 1" in err.where


def test_unknown_bid_field_is_refused(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Bid"]["A3"] = "suplier_id"
    wb["Bid"]["B3"] = "GB-COH-1"
    wb.save(path)
    err = _raises(path)
    assert err.where == "sheet Bid, row 3, column A" and err.field == "suplier_id"
    assert "did you mean 'supplier_id'" in str(err)


def test_formula_cell_is_refused(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    wb = openpyxl.load_workbook(path)
    wb["Commitments"]["E2"] = "=20+4"  # openpyxl stores this as a real formula
    wb.save(path)
    assert openpyxl.load_workbook(path)["Commitments"]["E2"].data_type == "f"
    err = _raises(path)
    assert err.where == "sheet Commitments, row 2, column E" and err.field == "quantity"
    assert err.value == "=20+4" and "formula" in str(err)


def test_every_problem_is_reported_together(rubric, tmp_path):
    path = write_template(rubric, tmp_path / "bid.xlsx", copy.deepcopy(FULL_BID))
    wb = openpyxl.load_workbook(path)
    wb["Bid"]["B6"] = "=4650000*1"
    wb["Commitments"]["E1"] = "quantitiy"
    wb.save(path)
    with pytest.raises(EvaluatorError) as info:
        read_bid_workbook(path)
    lines = info.value.line().splitlines()
    assert len(lines) == 2
    assert any("sheet Bid, row 6, column B" in line for line in lines)
    assert any("sheet Commitments, row 1, column E" in line for line in lines)


def test_value_a_spreadsheet_cannot_hold_is_refused_when_writing(rubric, tmp_path):
    bid = {"bidder": "Acme", "commitments": [{"id": "A1", "narrative": "bell\x07"}]}
    with pytest.raises(InputError) as info:
        write_template(rubric, tmp_path / "bid.xlsx", bid)
    assert info.value.field == "narrative" and "commitments[0]" in info.value.where
    with pytest.raises(InputError):
        write_template(rubric, tmp_path / "bid.xlsx", {"bidder": "Acme", "price": float("nan")})
    with pytest.raises(InputError) as info:
        write_template(rubric, tmp_path / "bid.xlsx", {"bidder": "Acme", "prcie": 1})
    assert "did you mean 'price'" in str(info.value)


def test_prefilled_template_with_a_huge_integer(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "sample_bids" / "home_care_north" / "apex_care_group.yaml").read_text("utf-8"))
    doc["contact_email"] = 10 ** 400
    try:
        write_template(load_rubric(SHIPPED_RUBRIC), tmp_path / "bid.xlsx", bid=doc)
    except EvaluatorError as exc:
        assert "contact_email" in exc.line()
        return
    # written as it is (the loader judges values on the way back): the read-back must refuse it cleanly
    bidset = load_bids(tmp_path, load_rubric(SHIPPED_RUBRIC))
    assert bidset.problems
    assert all(isinstance(p, EvaluatorError) and "\n" not in p.line() for p in bidset.problems)


# --- real tenders (DESIGN 9): a criteria tree, pass/fail, own scales, lots, mandatory outcomes ---------

TREE_YAML = f"""
tender: {{id: SC-2026-001, title: School catering, contract_value: 1600000, duration_years: 3}}
proxies: {PROXIES.as_posix()}
descriptors: {{0: No response, 20: Poor, 40: Weak, 60: Satisfactory, 80: Good, 100: Excellent}}
lots:
  - {{id: L1, title: Primary schools, contract_value: 1000000}}
  - {{id: L2, title: Secondary schools, contract_value: 600000, duration_years: 2, targets: {{O1: 2}}}}
criteria:
  - {{id: PRICE, kind: price, weight: 40, method: relative}}
  - id: Q
    kind: group
    name: Quality
    weight: 40
    min_share: 0.5
    criteria:
      - {{id: Q1, kind: scale, name: Menu and nutrition, share: 75, threshold: 2, scale: [0, 1, 2, 3, 4],
          descriptors: {{0: None, 1: Weak, 2: Adequate, 3: Good, 4: Excellent}}}}
      - {{id: Q2, kind: scale, name: Allergen safety, share: 25}}
  - {{id: SVQ, kind: scale, name: Social value delivery plan, weight: 5, social_value: true}}
  - {{id: SV, kind: social_value, name: Social value commitments, weight: 15}}
  - {{id: PF, kind: pass_fail, name: Food hygiene rating,
      description: "Food Standards Agency hygiene rating of 5 for every kitchen"}}
design:
  outcomes:
    - {{id: O1, name: Local jobs, measures: [EMP-LOCAL-BARRIERS], unit: fte_year, target: 4, priority: 60,
       mandatory: true}}
    - {{id: O2, name: Less loneliness, measures: [WELLBY], unit: wellby, target: 40, priority: 40}}
"""

TREE_BID = {"bidder": "Crumbs & Co", "lot": "L2", "supplier_id": "GB-COH-07654321", "price": 590000,
            "responses": {"Q1": "Seasonal menus", "Q2": "Allergen matrix", "SVQ": "Plan", "PF": "All kitchens 5"},
            "commitments": [{"id": "C1", "measure": "EMP-LOCAL-BARRIERS", "outcome": "O1", "quantity": 2,
                             "unit": "fte_year", "evidence": {"grade": "E2"}, "contract_specific": True}]}


@pytest.fixture
def tree(tmp_path):
    path = tmp_path / "catering.yaml"
    path.write_text(TREE_YAML, encoding="utf-8")
    return load_rubric(path)


def _rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]


def test_tree_template_lists_sub_criteria_under_their_groups_with_weights(tree, tmp_path):
    wb = openpyxl.load_workbook(write_template(tree, tmp_path / "t.xlsx"))
    responses = wb["Responses"]
    assert [c.value for c in responses[1]] == ["criterion", "name", "text", "kind", "weight", "how it is judged"]
    rows = {r[0]: r for r in _rows(responses)}
    assert [r[0] for r in _rows(responses)] == ["Q", "Q1", "Q2", "SVQ", "PF"]  # tree order, groups first
    assert rows["Q"][1:5] == ("Quality", None, "group", "40 points of 100") and responses["A2"].font.bold
    assert rows["Q1"][1] == "    Menu and nutrition"  # indented under its group
    assert rows["Q1"][4] == "30 points of 100 (75% of Q Quality)"
    assert rows["Q2"][4] == "10 points of 100 (25% of Q Quality)"
    assert rows["SVQ"][4] == "5 points of 100"
    criteria = {r[0]: r for r in _rows(wb["Criteria"])}
    assert [c.value for c in wb["Criteria"][1]][:5] == ["id", "name", "kind", "points of 100", "share of its group"]
    assert list(criteria) == ["PRICE", "Q", "Q1", "Q2", "SVQ", "SV", "PF"]
    assert criteria["Q"][3] == 40 and criteria["Q"][8] == 0.5  # the group's minimum share
    assert criteria["Q1"][3:5] == (30, 75) and criteria["Q2"][3:5] == (10, 25)


def test_each_criterion_shows_its_own_scale_and_descriptors(tree, tmp_path):
    wb = openpyxl.load_workbook(write_template(tree, tmp_path / "t.xlsx"))
    rows = {r[0]: r for r in _rows(wb["Responses"])}
    assert rows["Q1"][5] == ("scored on 0, 1, 2, 3, 4; 0 None; 1 Weak; 2 Adequate; 3 Good; 4 Excellent; "
                             "a score under 2 disqualifies")
    assert rows["Q2"][5] == ("scored on 0, 20, 40, 60, 80, 100; 0 No response; 20 Poor; 40 Weak; 60 Satisfactory; "
                             "80 Good; 100 Excellent")
    criteria = {r[0]: r for r in _rows(wb["Criteria"])}
    assert criteria["Q1"][5:8] == ("0, 1, 2, 3, 4", "0 None; 1 Weak; 2 Adequate; 3 Good; 4 Excellent", 2)


def test_pass_fail_questions_are_marked_with_the_evidence_asked(tree, tmp_path):
    wb = openpyxl.load_workbook(write_template(tree, tmp_path / "t.xlsx"))
    pf = {r[0]: r for r in _rows(wb["Responses"])}["PF"]
    assert pf[3:] == ("pass/fail", "no marks: a fail disqualifies",
                      "PASS/FAIL: give the evidence asked for (Food Standards Agency hygiene rating of 5 for every "
                      "kitchen); a fail disqualifies the bid")
    criteria = {r[0]: r for r in _rows(wb["Criteria"])}
    assert criteria["PF"][2] == "pass/fail" and criteria["PF"][3] is None and "PASS/FAIL" in criteria["PF"][9]


def test_a_tender_in_lots_has_a_lot_field_with_a_drop_down_of_its_lots(tree, tmp_path):
    path = write_template(tree, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    bid = wb["Bid"]
    assert [bid.cell(row=r, column=1).value for r in range(2, 8)] == ["bidder", "lot", "supplier_id",
                                                                      "contact_email", "contact_address", "price"]
    assert "L1 Primary schools" in bid["A3"].comment.text and "L2 Secondary schools" in bid["A3"].comment.text
    (dv,) = bid.data_validations.dataValidation
    assert str(dv.sqref) == "B3" and dv.type == "list" and dv.showErrorMessage
    assert _list_values(wb, dv.formula1) == ["L1", "L2"]
    assert _rows(wb["Lots"]) == [("L1", "Primary schools", 1000000, 3, None, None),
                                 ("L2", "Secondary schools", 600000, 2, None, "O1: 2")]


def test_mandatory_outcomes_are_marked(tree, tmp_path):
    wb = openpyxl.load_workbook(write_template(tree, tmp_path / "t.xlsx"))
    outcomes = wb["Outcomes"]
    assert outcomes["J1"].value == "mandatory" and "SV209" in outcomes["J1"].comment.text
    assert outcomes["J2"].value.startswith("MANDATORY") and outcomes["J2"].font.bold
    assert outcomes["A3"].value == "O2" and outcomes["J3"].value is None


def test_a_filled_tree_template_reads_back_as_the_same_bid(tree, tmp_path):
    path = write_template(tree, tmp_path / "crumbs.xlsx", copy.deepcopy(TREE_BID))
    assert _without_where(read_bid_workbook(path)) == TREE_BID
    from evaluator.bids import load_bid
    bidset = load_bid(path, tree).require_valid()
    assert bidset.bids[["bidder", "lot", "price"]].to_dict("records") == [
        {"bidder": "Crumbs & Co", "lot": "L2", "price": 590000.0}]
    assert dict(zip(bidset.responses["criterion"], bidset.responses["lot"])) == {
        "Q1": "L2", "Q2": "L2", "SVQ": "L2", "PF": "L2"}
    assert bidset.commitments["end_year"].tolist() == [2.0]  # lot L2's own term
    # a supplier filling the empty template the same way gets the same bid
    wb = openpyxl.load_workbook(write_template(tree, tmp_path / "empty.xlsx"))
    for r, name in enumerate(["bidder", "lot", "supplier_id", "contact_email", "contact_address", "price"], 2):
        wb["Bid"].cell(row=r, column=2, value=TREE_BID.get(name))
    for row in wb["Responses"].iter_rows(min_row=2):
        if row[0].value in TREE_BID["responses"]:
            row[2].value = TREE_BID["responses"][row[0].value]
    for c, name in enumerate(COMMITMENT_FIELDS, 1):
        item = TREE_BID["commitments"][0]
        value = item.get("evidence", {}).get(name[9:]) if name.startswith("evidence_") else item.get(name)
        wb["Commitments"].cell(row=2, column=c, value=value)
    wb.save(tmp_path / "filled.xlsx")
    assert _without_where(read_bid_workbook(tmp_path / "filled.xlsx")) == TREE_BID


def test_one_lots_template_names_its_lot_already(tree, tmp_path):
    wb = openpyxl.load_workbook(write_template(tree.for_lot("L1"), tmp_path / "t.xlsx"))
    assert (wb["Bid"]["A3"].value, wb["Bid"]["B3"].value) == ("lot", "L1")
    assert "Lots" not in wb.sheetnames


def test_a_flat_rubric_template_has_no_new_sheets_or_columns(rubric, tmp_path):
    wb = openpyxl.load_workbook(write_template(rubric, tmp_path / "t.xlsx"))
    assert wb.sheetnames == ["Bid", "Responses", "Commitments", "Outcomes", "Measures", "Evidence grades", "Lists"]
    assert [c.value for c in wb["Outcomes"][1]][-1] == "if_not_delivered"
    assert [c.value for c in wb["Lists"][1]] == ["measure", "outcome", "unit", "evidence_grade", "tender"]
    assert not wb["Bid"].data_validations.dataValidation


def test_an_answer_typed_beside_a_group_heading_is_refused_naming_it(tree, tmp_path):
    from evaluator.bids import load_bid
    path = tmp_path / "t.xlsx"
    wb = openpyxl.load_workbook(write_template(tree, path, copy.deepcopy(TREE_BID)))
    wb["Responses"]["C2"] = "our quality answer"  # row 2 is the group Q's heading
    wb.save(path)
    lines = [e.line() for e in load_bid(path, tree).problems]
    assert lines == [f"{path}, key responses.Q, field 'Q', value 'Q': is not a scale or pass/fail criterion of this "
                     "rubric (expected one of Q1, Q2, SVQ, PF)"]
