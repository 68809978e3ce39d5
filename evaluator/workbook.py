"""The results workbook (XLSX) a commissioner files with the award: Summary, Scores (with rationales),
Flags, Commitments (claimed and credited) and Rubric (and Price base when the proxy table mixes price
years), each with its header row frozen, column widths set and £, % and marks formatted.

Supplier text never becomes a formula: a text cell that begins with =, +, -, @, tab or carriage return is
written as an explicit string with Excel's quote prefix (the text itself is kept exactly). Numbers,
negative ones included, stay numbers.
"""
from __future__ import annotations

import io
import math
from typing import Any, Optional

import numpy as np
import pandas as pd

from .assessment_method import is_flat, per_point
from .bid_slices import is_lots, tree_marks
from .spreadsheet import formula_like
from .flags import flag_words
from .formatting import unit_words
from .pdf_kit import AUDIT_CHECK, file_name
from .why_not import award_rows

MONEY = '£#,##0;"−£"#,##0'            # whole pounds; a negative as −£858,400 (U+2212, as the documents write it)
MONEY_PENCE = '£#,##0.00;"−£"#,##0.00'  # a proxy (£12.21 an hour) or a price per quality point
MARKS = "#,##0.00"          # two decimals always: "#,##0.##" shows 80 as "80." in Excel
PERCENT = "0.0%"
NUMBER = "#,##0.00"
SHARE = "0.00"
TEXT_LIMIT = 32767  # characters an Excel cell holds


def _clean(value: Any) -> Any:
    """A value as a cell takes it: NaN/NA empty, numpy scalars as Python, text without control characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(text) > TEXT_LIMIT:
            note = f" … (cut at Excel's cell limit; {len(text):,} characters in full)"
            text = text[: TEXT_LIMIT - len(note)] + note
        return text
    if isinstance(value, (list, tuple)):
        return _clean(", ".join(str(v) for v in value))
    return value


def text_cell(ws, value: Any, fmt: Optional[str] = None):
    """One write-only cell; formula-like text is forced to a string with the quote prefix."""
    from openpyxl.cell import WriteOnlyCell
    v = _clean(value)
    cell = WriteOnlyCell(ws, value=v)
    if formula_like(v):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
        cell.number_format = fmt
    return cell


class _Sheet:
    """A sheet written row by row: header frozen, widths and formats per column."""

    def __init__(self, wb, title: str, columns: list[tuple[str, float, Optional[str]]]):
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
        self.ws = wb.create_sheet(title)
        self.ws.freeze_panes = "A2"
        self.formats = [fmt for _, _, fmt in columns]
        for i, (_, width, _) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        head = []
        for name, _, _ in columns:
            c = text_cell(self.ws, name)
            c.font = Font(bold=True, color="FFFFFF")
            c.fill = PatternFill("solid", fgColor="1D3557")
            c.alignment = Alignment(wrap_text=True, vertical="top")
            head.append(c)
        self.ws.append(head)

    def row(self, values: list[Any], formats: Optional[list] = None) -> None:
        self.ws.append([text_cell(self.ws, v, f) for v, f in zip(values, formats or self.formats)])

    def rows(self, frame: pd.DataFrame, cols: list[str]) -> None:
        """A DataFrame's columns, in order, one row per record (column arrays, not per-cell lookups)."""
        arrays = [frame[c].to_numpy(dtype=object) if c in frame.columns else np.full(len(frame), None, dtype=object)
                  for c in cols]
        for values in zip(*arrays):
            self.row(list(values))


def _parts(ev) -> list[tuple[Optional[str], Any]]:
    """(lot id, Evaluation) for each lot of a tender with lots; (None, ev) for one without."""
    if is_lots(ev):
        return [(lot.id, ev.evaluation(lot.id)) for lot in ev.rubric.lots]
    return [(None, ev)]


def _lot_col(parts) -> list:
    return [("Lot", 8, None)] if parts[0][0] is not None else []


def results_workbook(ev, workspace: Optional[dict] = None) -> bytes:
    """Summary, Scores, Flags, Commitments and Rubric; a tree adds Tree (every bid on every group and
    sub-criterion); a tender with lots adds Award (the award across lots, anyone passed over and why) and a
    Lot column on every per-bid sheet."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    parts = _parts(ev)
    if is_lots(ev):
        _award(wb, ev)
    _summary(wb, parts)
    _scores(wb, parts)
    _flags(wb, parts, ev.rubric_flags)
    _commitments(wb, parts)
    if not is_flat(ev.rubric):
        _tree(wb, parts)
    _rubric(wb, ev)
    _price_base(wb, ev)
    if workspace:
        _record(wb, workspace)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _record(wb, workspace: dict) -> None:
    """The evaluation record the results came from: the workspace and its audit log's head."""
    s = _Sheet(wb, "Record", [("Item", 26, None), ("Value", 80, None)])
    s.row(["Workspace file", file_name(workspace["file"])])
    s.row(["Audit log head", str(workspace["head"])])
    s.row(["Head hash (full)", str(workspace["head_hash"])])
    s.row(["Chain", str(workspace["chain"])])
    s.row(["Check", AUDIT_CHECK])


def _award(wb, lev) -> None:
    s = _Sheet(wb, "Award", [("Order", 7, "0"), ("Lot", 8, None), ("Title", 30, None), ("Contract value £", 14, MONEY),
                             ("Awarded to", 34, None), ("Passed over", 34, None), ("Why passed over", 70, None)])
    for a in award_rows(lev):
        s.row([a["order"], a["lot"], a["title"], a["contract_value"], a["awarded_to"] or "not awarded: no eligible bid",
               ", ".join(b for b, _ in a["passed_over"]), "; ".join(f"{b}: {why}" for b, why in a["passed_over"])])


def _summary(wb, parts) -> None:
    lot_col = _lot_col(parts)
    ppqp = per_point(parts[0][1].rubric)
    s = _Sheet(wb, "Summary", lot_col + [
        ("Rank", 7, "0"), ("Bidder", 34, None), ("Status", 16, None)]
        + ([("Quality points (of 100)", 11, MARKS), ("£ per quality point", 12, MONEY_PENCE)] if ppqp else [])
        + [("Total (of 100)", 11, MARKS),
        ("Price marks", 10, MARKS), ("Quality marks", 10, MARKS), ("Social value marks", 11, MARKS),
        ("Price £", 14, MONEY), ("Claimed £ (figures lens)", 15, MONEY), ("Figures marks", 10, MARKS),
        ("Figures rank", 9, "0"), ("Credited £ (design lens)", 15, MONEY), ("Credited share of claim", 11, PERCENT),
        ("Design attainment", 11, PERCENT), ("Design marks", 10, MARKS), ("Design rank", 9, "0"),
        ("Errors", 8, "0"), ("Warnings", 9, "0"), ("Info", 7, "0"),
        ("Supplier identifier", 20, None), ("Contact email", 26, None), ("Contact address", 36, None)])
    for lot, ev in parts:
        r = _summary_frame(ev).assign(lot=lot)
        s.rows(r, (["lot"] if lot_col else []) + ["rank", "bidder", "status"]
               + (["quality_points", "price_per_point"] if ppqp else [])
               + ["total", "price_score", "quality_score", "social_value_score", "price",
                  "claimed_value", "figures_score", "figures_rank", "credited_value", "share", "design_fraction",
                  "design_score", "design_rank", "n_error", "n_warning", "n_info",
                  "supplier_id", "contact_email", "contact_address"])


def _summary_frame(ev) -> pd.DataFrame:
    r = ev.results.copy()
    r["_order"] = r["rank"].astype("Float64").fillna(1e12)
    r = r.sort_values(["_order", "total"], ascending=[True, False], kind="stable")
    counts = (ev.flags.groupby(["bidder", "severity"]).size().unstack(fill_value=0)
              if len(ev.flags) else pd.DataFrame())
    for sev in ("error", "warning", "info"):
        r[f"n_{sev}"] = r["bidder"].map(counts[sev]).fillna(0).astype(int) if sev in counts.columns else 0
    r["status"] = np.where(r["eligible"].astype(bool), np.where(r["complete"].astype(bool), "eligible",
                                                                 "eligible, incomplete scoring"), "disqualified")
    r["share"] = np.where(r["claimed_value"] > 0, r["credited_value"] / r["claimed_value"].where(r["claimed_value"] > 0), np.nan)
    bids = ev.bidset.bids.set_index("bidder")
    for f in ("supplier_id", "contact_email", "contact_address"):
        r[f] = r["bidder"].map(bids[f]) if f in bids.columns else None
    return r


def _scores(wb, parts) -> None:
    lot_col = _lot_col(parts)
    s = _Sheet(wb, "Scores", lot_col + [
        ("Bidder", 30, None), ("Criterion", 10, None), ("Criterion name", 26, None), ("Weight", 8, NUMBER),
        ("Evaluator", 18, None), ("Score", 8, NUMBER), ("Used for marks", 10, None), ("Marks", 9, MARKS),
        ("Rationale", 90, None)])
    for lot, ev in parts:
        for r in _score_rows(ev):
            s.row([lot] + r if lot_col else r)


def _score_rows(ev) -> list[list]:
    rubric = ev.rubric
    if is_flat(rubric):
        names = {c.id: c.name or c.id for c in rubric.spec.criteria}
        weights = {c.id: c.weight for c in rubric.spec.criteria}
    else:
        names = dict(zip(rubric.nodes["id"], rubric.nodes["name"].fillna(rubric.nodes["id"])))
        weights = {c: (None if k == "pass_fail" else w) for c, k, w in zip(rubric.nodes["id"], rubric.nodes["kind"],
                                                                           rubric.nodes["weight"])}
    pf_ids = {c.id for c in getattr(rubric, "pass_fail_criteria", None) or []}
    sc = ev.scores
    scale = ev.scale.set_index(["bidder", "criterion"]) if len(ev.scale) else None
    used_marks = {}
    if scale is not None:
        for (b, c), m, basis in zip(scale.index, scale["marks"], scale["basis"]):
            used_marks[(b, c)] = (m, basis)
    pf = getattr(ev, "pass_fail", None)
    pf_basis = ({(b, c): (res, basis) for b, c, res, basis in zip(pf["bidder"], pf["criterion"], pf["result"],
                                                                   pf["basis"])} if pf is not None and len(pf) else {})
    rows = []
    for b, c, e, score, rat in zip(sc["bidder"], sc["criterion"], sc["evaluator"], sc["score"], sc["rationale"]):
        if c in pf_ids:
            used = e == "MODERATED" and pf_basis.get((b, c), (None, None))[1] == "moderated"
            rows.append([b, c, names.get(c, c), None, e, _pf_text(score), "yes" if used else "", None, rat])
            continue
        m, basis = used_marks.get((b, c), (None, None))
        used = e == "MODERATED" and basis == "moderated"
        rows.append([b, c, names.get(c, c), weights.get(c), e, score, "yes" if used else "", m if used else None, rat])
    if scale is not None:  # scores that come from no single row: the median of evaluators, or unscored
        for (b, c), row in scale.iterrows():
            if row["basis"] != "moderated":
                label = "(median of evaluators)" if row["scored"] else "(unscored)"
                rows.append([b, c, names.get(c, c), weights.get(c), label, row["score"] if row["scored"] else None,
                             "yes", row["marks"], "no consensus score recorded; the median is used" if row["scored"]
                             else "no score recorded: 0 marks"])
    for (b, c), (res, basis) in pf_basis.items():  # pass/fail results that come from no single row
        if basis != "moderated":
            agreed = res in ("pass", "fail")
            rows.append([b, c, names.get(c, c), None, "(evaluators unanimous)" if agreed else "(unresolved)",
                         res if agreed else None, "yes" if agreed else "",  None,
                         "the evaluators agree; no moderated result recorded" if agreed else
                         "the evaluators disagree and no moderated result is recorded (SV206)"])
    order = {b: i for i, b in enumerate(ev.results["bidder"])}
    rows.sort(key=lambda x: (order.get(x[0], 1e9), x[1]))
    return rows


def _pf_text(score) -> Any:
    try:
        return {1.0: "pass", 0.0: "fail"}.get(float(score), score)
    except (TypeError, ValueError):
        return score


def _flags(wb, parts, rubric_flags) -> None:
    lot_col = _lot_col(parts)
    s = _Sheet(wb, "Flags", lot_col + [
        ("Bidder", 30, None), ("Code", 8, None), ("Name", 24, None), ("Severity", 9, None), ("Commitment", 11, None),
        ("Criterion", 10, None), ("Finding", 70, None), ("Fix", 70, None)])
    cols = (["lot"] if lot_col else []) + ["bidder", "code", "name", "severity", "commitment", "criterion", "message",
                                           "fix"]
    for lot, ev in parts:
        s.rows(_flag_names(ev.flags.assign(lot=lot) if lot_col else ev.flags), cols)
    rf = rubric_flags.copy()
    if len(rf):
        rf["bidder"] = "(rubric design)"
        s.rows(_flag_names(rf), cols)


def _flag_names(flags: pd.DataFrame) -> pd.DataFrame:
    """Each flag's name in words ("Below a minimum score"), as every document and page says it."""
    return flags.assign(name=[flag_words(c) for c in flags["code"]]) if len(flags) else flags


COMMITMENT_COLUMNS: list[tuple[str, str, float, Optional[str]]] = [
    ("bidder", "Bidder", 30, None), ("id", "Commitment", 11, None), ("measure", "Measure", 20, None),
    ("outcome", "Outcome named", 9, None), ("served_outcome", "Outcome served", 9, None),
    ("description", "Description", 40, None), ("quantity", "Quantity", 10, NUMBER), ("unit", "Unit", 14, None),
    ("start_year", "Start year", 7, "0"), ("end_year", "End year", 7, "0"),
    ("claimed_proxy", "Claimed proxy £", 12, MONEY_PENCE), ("claimed_value", "Claimed value £ (as stated)", 14, MONEY),
    ("claimed_basis", "Claimed basis", 20, None), ("figures_value", "Claimed £ (figures lens)", 14, MONEY),
    ("ref_value", "Reference proxy £", 12, MONEY_PENCE), ("evidence_grade", "Evidence", 8, None),
    ("evidence_factor", "Evidence factor", 8, SHARE), ("deadweight_used", "Deadweight", 9, PERCENT),
    ("attribution_used", "Attribution", 9, PERCENT), ("displacement_used", "Displacement", 9, PERCENT),
    ("error_codes", "Error flags", 14, None), ("credited", "Credited", 8, None),
    ("not_credited_reason", "Not credited because", 24, None), ("net_quantity", "Net quantity", 10, NUMBER),
    ("credited_value", "Credited £ (design lens)", 14, MONEY),
    ("walk_not_credited_errors", "Walk: error flags £", 13, MONEY), ("walk_off_design", "Walk: off design £", 13, MONEY),
    ("walk_proxy_corrected", "Walk: proxy corrected £", 13, MONEY), ("walk_beyond_term", "Walk: beyond term £", 13, MONEY),
    ("walk_persistence", "Walk: persistence £", 13, MONEY), ("walk_deflators", "Walk: deflators £", 13, MONEY),
    ("walk_evidence", "Walk: evidence £", 13, MONEY), ("walk_discounting", "Walk: discounting £", 13, MONEY),
    ("location", "Location", 14, None), ("beneficiaries", "Beneficiaries", 28, None), ("kpi", "KPI", 36, None),
]


def _commitments(wb, parts) -> None:
    lot_col = _lot_col(parts)
    s = _Sheet(wb, "Commitments", lot_col + [(label, width, fmt) for _, label, width, fmt in COMMITMENT_COLUMNS])
    for lot, ev in parts:
        c = ev.commitments
        c = c.assign(credited=np.where(c["credited"].astype(bool), "yes", "no"),
                     unit=[unit_words(u) for u in c["unit"]]) if len(c) else c
        s.rows(c.assign(lot=lot) if lot_col else c, (["lot"] if lot_col else []) + [k for k, _, _, _ in COMMITMENT_COLUMNS])


def _tree(wb, parts) -> None:
    """Every bid on every node of the criteria tree: groups with the sum of their sub-criteria, pass/fail
    questions as pass or fail."""
    lot_col = _lot_col(parts)
    s = _Sheet(wb, "Tree", lot_col + [
        ("Bidder", 30, None), ("Criterion", 10, None), ("Level", 6, "0"), ("Name", 30, None), ("Kind", 12, None),
        ("Weight (of 100)", 9, NUMBER), ("Score", 14, None), ("Marks", 9, MARKS), ("Explanation", 90, None)])
    for lot, ev in parts:
        t = tree_marks(ev)
        if not len(t):
            continue
        t = t.assign(lot=lot, kind=t["kind"].str.replace("_", " "),
                     weight=np.where(t["kind"] == "pass_fail", None, t["weight"].astype(object)),
                     marks=np.where(t["kind"] == "pass_fail", None, t["marks"].astype(object)))
        s.rows(t, (["lot"] if lot_col else []) + ["bidder", "id", "level", "name", "kind", "weight", "score_text",
                                                  "marks", "explanation"])


def _rubric(wb, ev) -> None:
    r = ev.rubric
    spec = r.spec
    t = spec.tender
    s = _Sheet(wb, "Rubric", [("Item", 24, None), ("Id", 12, None), ("Name / value", 40, None),
                              ("Weight / target", 14, NUMBER), ("Kind / unit", 18, None),
                              ("Threshold / priority", 14, NUMBER), ("Method / measures", 28, None),
                              ("Notes", 70, None)])
    for label, value in [("Tender id", t.id), ("Title", t.title), ("Buyer", t.buyer),
                         ("Subject matter", t.subject_matter), ("Criteria published at", t.criteria_url),
                         ("Duration (years)", t.duration_years), ("Local area", ", ".join(t.local_area)),
                         ("Official lens", r.official_lens), ("Scale", ", ".join(f"{x:g}" for x in spec.scale)),
                         ("Discount rate", spec.discount.rate)]:
        s.row([label, None, value, None, None, None, None, None])
    s.row(["Contract value £", None, None, t.contract_value, None, None, None, None],
          formats=[None, None, None, MONEY, None, None, None, None])
    if is_flat(r):
        for c in spec.criteria:
            s.row(["Criterion", c.id, c.name or c.id, c.weight,
                   c.kind.replace("_", " ") + (" (social value)" if c.social_value else ""),
                   c.threshold, c.method, c.description])
    else:
        _rubric_tree(s, r)
    for o in spec.design.outcomes:
        s.row(["Outcome", o.id, o.name, o.target, unit_words(o.unit), o.priority, ", ".join(o.measures),
               f"evidence required: {o.evidence_required or '-'}; if not delivered: {o.if_not_delivered or '-'}"
               + ("; mandatory: a bid with nothing credited towards it is disqualified (SV209)"
                  if getattr(o, "mandatory", False) else "")])
    for score, text in sorted((spec.descriptors or {}).items()):
        s.row(["Descriptor", f"{score:g}", text, None, None, None, None, None])


def _price_base(wb, ev) -> None:
    """Price base (DESIGN 9.4): each proxy value, its price year, the GDP deflator rows and indices, the factor
    and the value in the price base. No sheet when the proxy table is all in one price year."""
    from .price_base import WORKBOOK_COLUMNS, workbook_rows
    rows = workbook_rows(ev.rubric)
    if not rows:
        return
    s = _Sheet(wb, "Price base", WORKBOOK_COLUMNS)
    for row in rows:
        s.row(row)


def _rubric_tree(s: _Sheet, r) -> None:
    """The tree's rows (effective weights; a sub-criterion's share of its parent in Notes), then the award
    method and the lots with what each overrides."""
    spec = r.spec
    for cid, level, parent in zip(r.nodes["id"], r.nodes["level"], r.nodes["parent"]):
        c = r.criterion(cid)
        kind = c.kind.replace("_", " ") + (" (social value)" if c.social_value and c.kind != "social_value" else "")
        notes = []
        if isinstance(parent, str) and parent:
            notes.append(f"part of {parent}" + (f", {c.share:g}% of it" if c.share is not None else ""))
        if c.kind == "group" and c.min_share:
            notes.append(f"minimum share {c.min_share:.0%} of its marks")
        if c.kind == "scale" and (c.scale or c.descriptors):
            own = r.criterion_scale(cid)
            notes.append("own scale " + ", ".join(f"{x:g}" for x in own))
        if c.description:
            notes.append(c.description)
        s.row(["Criterion" if int(level) == 1 else f"Sub-criterion (level {int(level)})", cid, c.name or cid,
               None if c.kind == "pass_fail" else c.weight, kind, c.threshold, c.method, "; ".join(notes) or None])
    s.row(["Award", None, "price per quality point (lowest £ per quality point wins)" if per_point(r) else
           "weighted (highest total wins)", None, None, None, None, None])
    s.row(["Tie break", None, ", ".join(r.tie_break), None, None, None, None, None])
    if getattr(spec, "max_lots_per_supplier", None):
        s.row(["Lots per supplier (most)", None, spec.max_lots_per_supplier, None, None, None, None, None])
    for lot in r.lots:
        targets = ", ".join(f"{o}: {v:g}" for o, v in (lot.targets or {}).items())
        s.row(["Lot", lot.id, lot.title, lot.contract_value, None, None, None,
               "; ".join(x for x in [f"duration {lot.duration_years:g} years" if lot.duration_years else "",
                                     "local area " + ", ".join(lot.local_area) if lot.local_area else "",
                                     f"targets {targets}" if targets else ""] if x) or None],
              formats=[None, None, None, MONEY, None, None, None, None])
