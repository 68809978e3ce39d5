"""The results workbook (XLSX) a commissioner files with the award: Summary, Scores (with rationales),
Flags, Commitments (claimed and credited) and Rubric, each with its header row frozen, column widths set
and £, % and marks formatted.

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

from .spreadsheet import formula_like

MONEY = '"£"#,##0;-"£"#,##0'
MARKS = "0.00"
PERCENT = "0.0%"
NUMBER = "#,##0.##"
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


def results_workbook(ev, workspace: Optional[dict] = None) -> bytes:
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    _summary(wb, ev)
    _scores(wb, ev)
    _flags(wb, ev)
    _commitments(wb, ev)
    _rubric(wb, ev)
    if workspace:
        _record(wb, workspace)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _record(wb, workspace: dict) -> None:
    """The evaluation record the results came from: the workspace and its audit log's head."""
    s = _Sheet(wb, "Record", [("Item", 26, None), ("Value", 80, None)])
    s.row(["Workspace file", str(workspace["file"])])
    s.row(["Audit log head", str(workspace["head"])])
    s.row(["Head hash (full)", str(workspace["head_hash"])])
    s.row(["Chain", str(workspace["chain"])])
    s.row(["Check", "python -m evaluator audit --db FILE (a file behind this head is an earlier copy)"])


def _summary(wb, ev) -> None:
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
    s = _Sheet(wb, "Summary", [
        ("Rank", 7, "0"), ("Bidder", 34, None), ("Status", 16, None), ("Total (of 100)", 11, MARKS),
        ("Price marks", 10, MARKS), ("Quality marks", 10, MARKS), ("Social value marks", 11, MARKS),
        ("Price £", 14, MONEY), ("Claimed £ (figures lens)", 15, MONEY), ("Figures marks", 10, MARKS),
        ("Figures rank", 9, "0"), ("Credited £ (design lens)", 15, MONEY), ("Credited share of claim", 11, PERCENT),
        ("Design attainment", 11, PERCENT), ("Design marks", 10, MARKS), ("Design rank", 9, "0"),
        ("Errors", 8, "0"), ("Warnings", 9, "0"), ("Info", 7, "0"),
        ("Supplier identifier", 20, None), ("Contact email", 26, None), ("Contact address", 36, None)])
    s.rows(r, ["rank", "bidder", "status", "total", "price_score", "quality_score", "social_value_score", "price",
               "claimed_value", "figures_score", "figures_rank", "credited_value", "share", "design_fraction",
               "design_score", "design_rank", "n_error", "n_warning", "n_info",
               "supplier_id", "contact_email", "contact_address"])


def _scores(wb, ev) -> None:
    s = _Sheet(wb, "Scores", [
        ("Bidder", 30, None), ("Criterion", 10, None), ("Criterion name", 26, None), ("Weight", 8, NUMBER),
        ("Evaluator", 18, None), ("Score", 8, NUMBER), ("Used for marks", 10, None), ("Marks", 9, MARKS),
        ("Rationale", 90, None)])
    names = {c.id: c.name or c.id for c in ev.rubric.spec.criteria}
    weights = {c.id: c.weight for c in ev.rubric.spec.criteria}
    sc = ev.scores
    scale = ev.scale.set_index(["bidder", "criterion"]) if len(ev.scale) else None
    used_marks = {}
    if scale is not None:
        for (b, c), m, basis in zip(scale.index, scale["marks"], scale["basis"]):
            used_marks[(b, c)] = (m, basis)
    rows = []
    for b, c, e, score, rat in zip(sc["bidder"], sc["criterion"], sc["evaluator"], sc["score"], sc["rationale"]):
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
    order = {b: i for i, b in enumerate(ev.results["bidder"])}
    rows.sort(key=lambda x: (order.get(x[0], 1e9), x[1]))
    for r in rows:
        s.row(r)


def _flags(wb, ev) -> None:
    s = _Sheet(wb, "Flags", [
        ("Bidder", 30, None), ("Code", 8, None), ("Name", 24, None), ("Severity", 9, None), ("Commitment", 11, None),
        ("Criterion", 10, None), ("Finding", 70, None), ("Fix", 70, None)])
    cols = ["bidder", "code", "name", "severity", "commitment", "criterion", "message", "fix"]
    s.rows(ev.flags, cols)
    rf = ev.rubric_flags.copy()
    if len(rf):
        rf["bidder"] = "(rubric design)"
        s.rows(rf, cols)


COMMITMENT_COLUMNS: list[tuple[str, str, float, Optional[str]]] = [
    ("bidder", "Bidder", 30, None), ("id", "Commitment", 11, None), ("measure", "Measure", 20, None),
    ("outcome", "Outcome named", 9, None), ("served_outcome", "Outcome served", 9, None),
    ("description", "Description", 40, None), ("quantity", "Quantity", 10, NUMBER), ("unit", "Unit", 14, None),
    ("start_year", "Start year", 7, "0"), ("end_year", "End year", 7, "0"),
    ("claimed_proxy", "Claimed proxy £", 12, MONEY), ("claimed_value", "Claimed value £ (as stated)", 14, MONEY),
    ("claimed_basis", "Claimed basis", 20, None), ("figures_value", "Claimed £ (figures lens)", 14, MONEY),
    ("ref_value", "Reference proxy £", 12, MONEY), ("evidence_grade", "Evidence", 8, None),
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


def _commitments(wb, ev) -> None:
    s = _Sheet(wb, "Commitments", [(label, width, fmt) for _, label, width, fmt in COMMITMENT_COLUMNS])
    c = ev.commitments
    c = c.assign(credited=np.where(c["credited"].astype(bool), "yes", "no")) if len(c) else c
    s.rows(c, [k for k, _, _, _ in COMMITMENT_COLUMNS])


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
    for c in spec.criteria:
        s.row(["Criterion", c.id, c.name or c.id, c.weight, c.kind + (" (social value)" if c.social_value else ""),
               c.threshold, c.method, c.description])
    for o in spec.design.outcomes:
        s.row(["Outcome", o.id, o.name, o.target, o.unit, o.priority, ", ".join(o.measures),
               f"evidence required: {o.evidence_required or '-'}; if not delivered: {o.if_not_delivered or '-'}"])
    for score, text in sorted((spec.descriptors or {}).items()):
        s.row(["Descriptor", f"{score:g}", text, None, None, None, None, None])
