"""The supplier bid template (XLSX) written from a rubric (its reader is bid_documents.read_bid_workbook).

Suppliers fill spreadsheets, not YAML. The template carries the rubric's own lists (measure codes,
outcome ids, units, evidence grades) as drop-downs so most typos never happen, and reference sheets so a
supplier can see what the buyer asked for. Text a supplier typed that looks like a formula (``=``,
``+``, ``-``, ``@``) is stored as text, so opening the template never runs anything.
"""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.datavalidation import DataValidation

from .bid_documents import (BID_HEADER, BID_SHEET, COMMITMENTS_SHEET, RESPONSES_GUIDE, RESPONSES_HEADER,
                            RESPONSES_SHEET)
from .bulk_bids import BID_FIELDS, COMMITMENT_FIELDS, LOT_FIELD, tender_lots
from .exceptions import EvaluatorError, InputError, InputErrors
from .rubric import GRADES, Rubric
from .suggestions import suggest

OUTCOMES_HEADER = ["id", "name", "measures", "unit", "baseline", "target", "priority", "evidence_required",
                   "if_not_delivered"]
MEASURES_HEADER = ["code", "name", "unit", "value", "kind", "local_only", "source", "licence"]
GRADE_MEANINGS = {
    "E0": "bare assertion",
    "E1": "plan or logic model only",
    "E2": "own monitoring data, before/after",
    "E3": "comparison group or independent evaluation of a similar programme",
    "E4": "independent evaluation of this supplier's delivery, replicated",
}

# Excel and LibreOffice treat text starting with these as a formula when a user edits the cell.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_MAX_CELL_TEXT = 32767          # Excel's limit; openpyxl would silently truncate longer text
_VALIDATED_ROWS = 500           # drop-downs reach this far even on an empty template

_BID_HELP = {
    "bidder": "Your organisation's name, as registered. Required.",
    "supplier_id": "Identifier such as GB-COH-01234567 (Companies House). Optional.",
    "contact_email": "Email address for questions about this bid.",
    "contact_address": "Postal address for the contract.",
    "price": "Total price in £ for the whole contract term, as a number. Required.",
}
_COMMITMENT_HELP = {
    "id": "Your reference for this commitment, e.g. A1. Required, unique in this bid.",
    "measure": "Measure code from the Measures sheet.",
    "outcome": "The buyer's outcome (Outcomes sheet) this commitment serves. Optional.",
    "description": "What you will do, in one sentence.",
    "quantity": "Total over start_year..end_year, in the measure's unit.",
    "unit": "Unit of the quantity; must match the measure's unit.",
    "claimed_proxy": "£ per unit you used (optional).",
    "claimed_value": "£ you claim for this commitment (optional).",
    "start_year": "First contract year, 1-based (default 1).",
    "end_year": "Last contract year (default: the contract's last year).",
    "persistence_years": "Years the outcome lasts after end_year (optional).",
    "drop_off": "Share lost each year of persistence, 0 to 1.",
    "location": "Where it happens (a named local area).",
    "beneficiaries": "Who benefits (cohort label), used to detect double counting.",
    "evidence_grade": "E0-E4: how strong your evidence is (Evidence grades sheet).",
    "evidence_description": "The evidence itself: source, numbers, dates.",
    "deadweight": "Share that would happen anyway, 0 to 1 (optional).",
    "attribution": "Share due to others, 0 to 1 (optional).",
    "displacement": "Share that merely moves from elsewhere, 0 to 1 (optional).",
    "deflator_rationale": "Why those shares are right.",
    "narrative": "How it will be delivered, with whom, and how you will know.",
    "kpi": "The KPI the buyer can monitor it by.",
    "contract_specific": "TRUE if done for this contract; FALSE for corporate activity that would happen anyway.",
}
MANDATORY_MARK = "MANDATORY: a bid with nothing credited towards it is disqualified"
MANDATORY_HELP = ("A mandatory outcome must be served: a bid with no commitment credited towards it is "
                  "disqualified (SV209), whatever its other marks.")
_WIDE_COLUMNS = {"description", "evidence_description", "deflator_rationale", "narrative", "kpi", "text",
                 "if_not_delivered", "source", "meaning", "name"}


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------

def write_template(rubric: Rubric, out_path: Path | str, bid: dict | None = None) -> Path:
    """Write the bid template for `rubric`; with `bid`, prefilled (a YAML bid turned into a spreadsheet).

    The bid's values are written as they are, never judged here: the loader judges them on the way back,
    so an odd value survives the round trip and is reported where the supplier will see it.
    """
    out_path = Path(out_path)
    bid = _checked_bid(bid)
    problems: list[EvaluatorError] = []

    wb = Workbook()
    ws_bid = wb.active
    ws_bid.title = BID_SHEET
    ws_resp = wb.create_sheet(RESPONSES_SHEET)
    ws_com = wb.create_sheet(COMMITMENTS_SHEET)
    ws_out = wb.create_sheet("Outcomes")
    ws_meas = wb.create_sheet("Measures")
    ws_grades = wb.create_sheet("Evidence grades")
    ws_lists = wb.create_sheet("Lists")

    # Bid: one row per field, always, so a supplier sees every field even when it is optional. A tender
    # in lots adds `lot` under the bidder, a drop-down of the lots' ids (one bid per lot).
    lots, this_lot = tender_lots(rubric)
    fields = BID_FIELDS[:1] + [LOT_FIELD] + BID_FIELDS[1:] if lots else BID_FIELDS
    _header(ws_bid, BID_HEADER)
    for r, name in enumerate(fields, start=2):
        _put(ws_bid, r, 1, name, problems, "sheet Bid", "field")
        ws_bid.cell(row=r, column=1).comment = Comment(
            lot_help(rubric) if name == LOT_FIELD else _BID_HELP.get(name, name), "template")
        value = bid.get(name, this_lot) if name == LOT_FIELD else bid.get(name)
        _put(ws_bid, r, 2, value, problems, f"key {name}", name)
    _widths(ws_bid, {1: 20, 2: 60})

    # Responses: the rubric's scale criteria first, then any answer the bid gives to another id, so
    # nothing in the bid is lost; the loader says which ids the rubric does not know. A criteria tree or
    # pass/fail questions: every question under its group, with its weight and how it is judged.
    tree = detailed(rubric)
    _header(ws_resp, RESPONSES_HEADER + (RESPONSES_GUIDE if tree else []))
    answers = dict(bid.get("responses") or {})
    if tree:
        rows = response_rows(rubric, answers)
    else:
        rows = [(c.id, c.name or c.id, answers.pop(c.id, None), None) for c in rubric.scale_criteria]
    rows += [(crit, None, text, None) for crit, text in answers.items()]
    for r, (crit, name, text, guide) in enumerate(rows, start=2):
        _put(ws_resp, r, 1, crit, problems, "key responses", "criterion")
        _put(ws_resp, r, 2, name, problems, "key responses", "name")
        _put(ws_resp, r, 3, text, problems, f"key responses.{crit}", str(crit))
        ws_resp.cell(row=r, column=3).alignment = Alignment(wrap_text=True, vertical="top")
        for c, value in enumerate(guide or (), start=4):
            _put(ws_resp, r, c, value, problems, "sheet Responses", RESPONSES_GUIDE[c - 4])
            ws_resp.cell(row=r, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        if guide and guide[0] == "group":
            for c in (1, 2):
                ws_resp.cell(row=r, column=c).font = Font(bold=True)
    _widths(ws_resp, {1: 12, 2: 36, 3: 100, **({4: 12, 5: 24, 6: 60} if tree else {})})

    # Commitments: the flattened fields, one row per commitment.
    _header(ws_com, COMMITMENT_FIELDS)
    for c, name in enumerate(COMMITMENT_FIELDS, start=1):
        ws_com.cell(row=1, column=c).comment = Comment(_COMMITMENT_HELP.get(name, name), "template")
    commitments = bid.get("commitments") or []
    for i, item in enumerate(commitments):
        where = f"key commitments[{i}]" + (f" (id {item['id']})" if item.get("id") is not None else "")
        flat = _flatten(item)
        for c, name in enumerate(COMMITMENT_FIELDS, start=1):
            _put(ws_com, i + 2, c, flat.get(name), problems, where, name)
    _widths(ws_com, {c: (40 if name in _WIDE_COLUMNS else max(12, len(name) + 2))
                     for c, name in enumerate(COMMITMENT_FIELDS, start=1)})

    _reference_sheets(rubric, ws_out, ws_meas, ws_grades, problems)
    if tree:
        _criteria_sheet(rubric, wb.create_sheet(CRITERIA_SHEET, index=3), problems)
    if lots and not this_lot:
        _lots_sheet(rubric, wb.create_sheet(LOTS_SHEET, index=3 + tree), problems)
    lists = _lists_sheet(rubric, ws_lists, problems)
    if problems:
        raise problems[0] if len(problems) == 1 else InputErrors(problems)
    lot_list = lists.pop(LOT_FIELD, None)
    _drop_downs(ws_com, lists, last_row=max(_VALIDATED_ROWS, len(commitments) + 200))
    if lot_list:
        dv = DataValidation(type="list", formula1=lot_list, allow_blank=False, showErrorMessage=True,
                            errorStyle="stop", errorTitle="Not a lot of this tender",
                            error="Choose the lot this bid is for (a separate bid for each lot).")
        dv.add(f"B{fields.index(LOT_FIELD) + 2}")
        ws_bid.add_data_validation(dv)

    tender = rubric.spec.tender
    wb.properties.identifier = tender.id
    wb.properties.title = f"Bid template: {tender.title}"
    wb.properties.subject = f"Tender {tender.id}"
    wb.properties.keywords = f"tender:{tender.id}"
    wb.active = 0
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out_path)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", file=out_path) from None
    return out_path


def _checked_bid(bid: Any) -> dict:
    """The bid's shape, refused early: a list where a mapping belongs has no cell to go into."""
    if bid is None:
        return {}
    problems: list[EvaluatorError] = []
    if not isinstance(bid, dict):
        raise InputError(f"a bid must be a mapping of keys (bidder, price, commitments, ...), "
                         f"not {type(bid).__name__}")
    known = BID_FIELDS + [LOT_FIELD, "responses", "commitments"]
    for key in bid:
        if key not in known:
            problems.append(InputError(f"unknown key{suggest(key, known)}", where=f"key {key}", field=str(key)))
    responses = bid.get("responses")
    if responses is not None and not isinstance(responses, dict):
        problems.append(InputError("must be a mapping of criterion id to answer text", where="key responses",
                                   field="responses", value=responses))
    commitments = bid.get("commitments")
    if commitments is not None and not isinstance(commitments, list):
        problems.append(InputError("must be a list of commitments", where="key commitments",
                                   field="commitments", value=commitments))
    else:
        for i, item in enumerate(commitments or []):
            where = f"key commitments[{i}]"
            if not isinstance(item, dict):
                problems.append(InputError("each commitment must be a mapping of fields", where=where,
                                           value=item))
                continue
            for key, value in item.items():
                if key == "evidence":
                    if value is not None and not isinstance(value, dict):
                        problems.append(InputError("must be a mapping with grade and description",
                                                   where=where, field="evidence", value=value))
                    for ekey in (value or {}) if isinstance(value, dict) else ():
                        if ekey not in ("grade", "description"):
                            problems.append(InputError(
                                f"unknown key{suggest(ekey, ['grade', 'description'])}", where=where,
                                field=f"evidence.{ekey}"))
                elif key != "_where" and key not in COMMITMENT_FIELDS:
                    problems.append(InputError(f"unknown field{suggest(key, COMMITMENT_FIELDS)}",
                                               where=where, field=str(key)))
    if problems:
        raise problems[0] if len(problems) == 1 else InputErrors(problems)
    return bid


def _flatten(item: dict) -> dict:
    flat = {k: v for k, v in item.items() if k not in ("evidence", "_where")}
    for key, value in (item.get("evidence") or {}).items():
        flat[f"evidence_{key}"] = value
    return flat


def _put(ws, row: int, column: int, value: Any, problems: list, where: str, field: str) -> None:
    """One value into one cell, so that it reads back as exactly the same value, or one problem."""
    if value is None:
        return
    if isinstance(value, bool) or isinstance(value, int):
        if not isinstance(value, bool) and abs(value) > 10 ** 15:
            problems.append(InputError("is too large for a spreadsheet cell (more than 15 digits)",
                                       where=where, field=field, value=value))
            return
        ws.cell(row=row, column=column, value=value)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(InputError("must be a finite number; a spreadsheet cannot hold it",
                                       where=where, field=field, value=value))
            return
        ws.cell(row=row, column=column, value=value)
        return
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        if getattr(value, "tzinfo", None) is not None:
            problems.append(InputError("a spreadsheet cannot hold a time zone; give the local date or time",
                                       where=where, field=field, value=value))
            return
        ws.cell(row=row, column=column, value=value)
        return
    if not isinstance(value, str):
        problems.append(InputError(f"must be a single value (text or number), not {type(value).__name__}",
                                   where=where, field=field, value=value))
        return
    if len(value) > _MAX_CELL_TEXT:
        problems.append(InputError(f"is {len(value):,} characters; a spreadsheet cell holds at most "
                                   f"{_MAX_CELL_TEXT:,}", where=where, field=field, value=value))
        return
    cell = ws.cell(row=row, column=column)
    try:
        cell.value = value
    except IllegalCharacterError:
        bad = next(ch for ch in value if ord(ch) < 32 and ch not in "\t\n\r")
        problems.append(InputError(f"contains a control character (U+{ord(bad):04X}) that a spreadsheet "
                                   "cannot hold", where=where, field=field, value=value))
        return
    # openpyxl would store '=...' as a formula and '#N/A' as an error; a supplier's text is text.
    cell.data_type = "s"
    if value.startswith(_FORMULA_LEADS):
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def _header(ws, names: Iterable[str]) -> None:
    bold = Font(bold=True)
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=1, column=c, value=name)
        cell.font = bold
    ws.freeze_panes = "A2"


def _widths(ws, widths: dict[int, float]) -> None:
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width


def _blank(value: Any) -> Any:
    """Pandas' missing values as an empty cell."""
    if value is None:
        return None
    try:
        if isinstance(value, float) and math.isnan(value):
            return None
    except TypeError:
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    return None if isinstance(value, str) and not value.strip() else value


def _reference_sheets(rubric: Rubric, ws_out, ws_meas, ws_grades, problems: list) -> None:
    """What the buyer asked for and how it is valued, beside the form, so the supplier need not guess."""
    # a mandatory outcome (DESIGN 9) is marked in a column of its own, there only when the rubric has one
    mandatory = any(getattr(o, "mandatory", False) for o in rubric.spec.design.outcomes)
    header = OUTCOMES_HEADER + (["mandatory"] if mandatory else [])
    _header(ws_out, header)
    if mandatory:
        ws_out.cell(row=1, column=len(header)).comment = Comment(MANDATORY_HELP, "template")
    for r, o in enumerate(rubric.spec.design.outcomes, start=2):
        values = [o.id, o.name, ", ".join(o.measures), o.unit, o.baseline, o.target, o.priority,
                  o.evidence_required, o.if_not_delivered]
        if mandatory:
            values.append(MANDATORY_MARK if o.mandatory else None)
        for c, value in enumerate(values, start=1):
            _put(ws_out, r, c, value, problems, "sheet Outcomes", header[c - 1])
        ws_out.cell(row=r, column=9).alignment = Alignment(wrap_text=True, vertical="top")
        if mandatory and o.mandatory:
            ws_out.cell(row=r, column=len(header)).font = Font(bold=True)
    _widths(ws_out, {1: 8, 2: 50, 3: 28, 4: 16, 5: 10, 6: 10, 7: 10, 8: 18, 9: 80, **({10: 40} if mandatory else {})})

    _header(ws_meas, MEASURES_HEADER)
    table = rubric.proxies
    for r, rec in enumerate(table.to_dict("records"), start=2):
        for c, name in enumerate(MEASURES_HEADER, start=1):
            _put(ws_meas, r, c, _blank(rec.get(name)), problems, "sheet Measures", name)
    _widths(ws_meas, {1: 24, 2: 60, 3: 16, 4: 12, 5: 10, 6: 12, 7: 80, 8: 30})

    _header(ws_grades, ["grade", "meaning", "factor"])
    factors = rubric.spec.design.evidence_factors
    for r, grade in enumerate(GRADES, start=2):
        ws_grades.cell(row=r, column=1, value=grade)
        ws_grades.cell(row=r, column=2, value=GRADE_MEANINGS.get(grade, ""))
        ws_grades.cell(row=r, column=3, value=factors.get(grade))
    note = len(GRADES) + 3
    ws_grades.cell(row=note, column=1, value="factor: the share of a commitment's value this rubric credits "
                                              "at that grade (design lens).")
    _widths(ws_grades, {1: 8, 2: 70, 3: 8})


def _unique(values: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = _blank(v)
        if v is not None:
            seen.setdefault(str(v), None)
    return list(seen)


def _lists_sheet(rubric: Rubric, ws, problems: list) -> dict[str, str]:
    """The drop-down lists as ranges on a hidden sheet: Excel caps an inline list at 255 characters.

    Returns the validation formula for each commitment field that gets a drop-down.
    """
    units = _unique(list(rubric.proxies["unit"]) + [o.unit for o in rubric.spec.design.outcomes])
    columns = {
        "measure": _unique(rubric.proxies["code"]),
        "outcome": _unique(o.id for o in rubric.spec.design.outcomes),
        "unit": units,
        "evidence_grade": list(GRADES),
    }
    formulas: dict[str, str] = {}
    for c, (name, values) in enumerate(columns.items(), start=1):
        ws.cell(row=1, column=c, value=name).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            _put(ws, r, c, value, problems, "sheet Lists", name)
        if values:
            letter = get_column_letter(c)
            formulas[name] = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(values) + 1}"
    c = len(columns) + 1
    ws.cell(row=1, column=c, value="tender").font = Font(bold=True)
    _put(ws, 2, c, rubric.spec.tender.id, problems, "sheet Lists", "tender")
    lots = tender_lots(rubric)[0]
    if lots:  # the Bid sheet's lot drop-down
        c += 1
        ws.cell(row=1, column=c, value=LOT_FIELD).font = Font(bold=True)
        for r, value in enumerate(lots, start=2):
            _put(ws, r, c, value, problems, "sheet Lists", LOT_FIELD)
        letter = get_column_letter(c)
        formulas[LOT_FIELD] = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(lots) + 1}"
    formulas["evidence_grade"] = '"' + ",".join(GRADES) + '"'
    formulas["contract_specific"] = '"TRUE,FALSE"'
    ws.sheet_state = "hidden"
    return formulas


_DROP_DOWN_ERRORS = {
    "measure": "Choose a measure code from the Measures sheet.",
    "outcome": "Choose an outcome id from the Outcomes sheet, or leave it empty.",
    "unit": "Choose the unit of the measure (see the Measures sheet).",
    "evidence_grade": "Choose E0, E1, E2, E3 or E4 (see the Evidence grades sheet).",
    "contract_specific": "Choose TRUE (done for this contract) or FALSE (would happen anyway).",
}


def _drop_downs(ws, formulas: dict[str, str], last_row: int) -> None:
    for name, formula in formulas.items():
        column = get_column_letter(COMMITMENT_FIELDS.index(name) + 1)
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorStyle="stop", errorTitle=f"Not a valid {name}", error=_DROP_DOWN_ERRORS[name])
        dv.add(f"{column}2:{column}{last_row}")
        ws.add_data_validation(dv)


# ---------------------------------------------------------------------------------------------------
# Real tenders (DESIGN 9): a criteria tree, pass/fail questions, own scales, lots
# ---------------------------------------------------------------------------------------------------

CRITERIA_SHEET = "Criteria"
LOTS_SHEET = "Lots"
CRITERIA_HEADER = ["id", "name", "kind", "points of 100", "share of its group", "scale", "descriptors",
                   "threshold", "group minimum", "you give"]
LOTS_HEADER = ["id", "title", "contract_value", "duration_years", "local_area", "targets"]
_KIND_WORDS = {"price": "price", "scale": "scored", "social_value": "social value", "group": "group",
               "pass_fail": "pass/fail"}
_INDENT = "    "


def detailed(rubric: Rubric) -> bool:
    """A rubric the flat template cannot show: a criteria tree, pass/fail questions, or a criterion with its
    own scale or descriptors. A flat rubric's template stays exactly as it was."""
    if rubric.has_tree or rubric.pass_fail_criteria:
        return True
    return any(c.scale is not None or c.descriptors is not None for c in rubric.spec.criteria)


def _number(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _weight_text(rubric: Rubric, row) -> str | None:
    """'30 points of 100 (75% of Q Quality)': a criterion's effective weight and its share of its group."""
    if row.kind == "pass_fail":
        return "no marks: a fail disqualifies"
    text = f"{_number(row.weight)} points of 100"
    parent = row.parent if isinstance(row.parent, str) else None
    if parent:
        group = rubric.criterion(parent)
        share = 100 * row.weight / group.weight if group.weight else 0.0
        text += f" ({_number(share)}% of {parent} {group.name or ''}".rstrip() + ")"
    return text


def _scale_text(rubric: Rubric, cid: str) -> str:
    scale = rubric.criterion_scale(cid)
    return ", ".join(_number(float(v)) for v in scale)


def _descriptors_text(rubric: Rubric, cid: str) -> str | None:
    words = [(float(v), rubric.descriptor(float(v), cid)) for v in rubric.criterion_scale(cid)]
    return "; ".join(f"{_number(v)} {w}" for v, w in words if w) or None


def _judged(rubric: Rubric, row) -> str | None:
    """How the buyer judges a question, in the words a supplier needs: its scale and descriptors, its
    threshold; for pass/fail, what evidence is asked."""
    c = rubric.criterion(row.id)
    if row.kind == "pass_fail":
        asked = c.description or c.name or c.id
        return f"PASS/FAIL: give the evidence asked for ({asked}); a fail disqualifies the bid"
    parts = [f"scored on {_scale_text(rubric, row.id)}"]
    words = _descriptors_text(rubric, row.id)
    if words:
        parts.append(words)
    if c.threshold is not None:
        parts.append(f"a score under {_number(c.threshold)} disqualifies")
    if c.description:
        parts.append(c.description)
    return "; ".join(parts)


def _answerable_nodes(rubric: Rubric):
    """The tree's rows a supplier answers (scale and pass/fail questions) and the groups above them."""
    nodes = rubric.nodes
    leaves = set(nodes.loc[nodes["kind"].isin(["scale", "pass_fail"]), "id"])
    keep = set(leaves)
    for path in nodes.loc[nodes["id"].isin(leaves), "path"]:
        keep.update(path.split(" > "))
    return [row for row in nodes.itertuples(index=False) if row.id in keep]


def response_rows(rubric: Rubric, answers: dict) -> list[tuple]:
    """The Responses sheet of a detailed rubric: (criterion, name, text, guide) in tree order, each group a
    heading over its questions (indented by level), each question with its kind, weight and how it is
    judged. The answers given are popped from `answers`."""
    rows = []
    for row in _answerable_nodes(rubric):
        name = _INDENT * (int(row.level) - 1) + (row.name or row.id)
        guide = (_KIND_WORDS.get(row.kind, row.kind), _weight_text(rubric, row),
                 None if row.kind == "group" else _judged(rubric, row))
        if row.kind == "group":
            guide = (guide[0], guide[1], "answer the questions below it")
        rows.append((row.id, name, None if row.kind == "group" else answers.pop(row.id, None), guide))
    return rows


def lot_help(rubric: Rubric) -> str:
    lots, this_lot = tender_lots(rubric)
    if this_lot:
        return f"This template is for lot {this_lot}. Required."
    return ("The lot this bid is for: " + ", ".join(f"{lot.id} {lot.title}" for lot in rubric.lots)
            + ". Required; a separate bid (a separate file) for each lot you bid for.")


def _criteria_sheet(rubric: Rubric, ws, problems: list) -> None:
    """Every criterion and group as the buyer weighs it: sub-criteria indented under their groups, each
    with its points of 100 and its share of the group, its own scale and descriptors, its threshold."""
    _header(ws, CRITERIA_HEADER)
    for r, row in enumerate(rubric.nodes.itertuples(index=False), start=2):
        c = rubric.criterion(row.id)
        parent = row.parent if isinstance(row.parent, str) else None
        share = None
        if parent and row.kind != "pass_fail":
            group_weight = rubric.criterion(parent).weight
            share = round(100 * row.weight / group_weight, 10) if group_weight else None
        scored = row.kind == "scale"
        gives = {"price": "your price (Bid sheet)", "social_value": "your commitments (Commitments sheet)",
                 "group": "answers to its sub-criteria", "scale": "an answer (Responses sheet)",
                 "pass_fail": "PASS/FAIL: the evidence asked for (Responses sheet)"}.get(row.kind)
        values = [row.id, _INDENT * (int(row.level) - 1) + (row.name or row.id), _KIND_WORDS.get(row.kind, row.kind),
                  None if row.kind == "pass_fail" else float(row.weight), share,
                  _scale_text(rubric, row.id) if scored else None,
                  _descriptors_text(rubric, row.id) if scored else None,
                  c.threshold, c.min_share, gives]
        for col, value in enumerate(values, start=1):
            _put(ws, r, col, value, problems, f"sheet {CRITERIA_SHEET}", CRITERIA_HEADER[col - 1])
        if row.kind == "group":
            ws.cell(row=r, column=2).font = Font(bold=True)
        ws.cell(row=r, column=7).alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, {1: 10, 2: 44, 3: 12, 4: 14, 5: 18, 6: 24, 7: 60, 8: 10, 9: 14, 10: 44})


def _lots_sheet(rubric: Rubric, ws, problems: list) -> None:
    """The tender's lots: a bid names one; a lot's own value, term, area and outcome targets override the
    tender's for the bids in it."""
    _header(ws, LOTS_HEADER)
    tender = rubric.spec.tender
    for r, lot in enumerate(rubric.lots, start=2):
        values = [lot.id, lot.title, lot.contract_value if lot.contract_value is not None else tender.contract_value,
                  lot.duration_years if lot.duration_years is not None else tender.duration_years,
                  ", ".join(lot.local_area if lot.local_area is not None else tender.local_area) or None,
                  ", ".join(f"{k}: {_number(v)}" for k, v in lot.targets.items()) or None]
        for col, value in enumerate(values, start=1):
            _put(ws, r, col, value, problems, f"sheet {LOTS_SHEET}", LOTS_HEADER[col - 1])
    _widths(ws, {1: 8, 2: 40, 3: 16, 4: 14, 5: 30, 6: 40})
