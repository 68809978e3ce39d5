"""`explain`'s tables as a person reads them in a terminal (issue 19): aligned, fitting 100 columns, money as
£ with separators, marks to two decimals, shares as percentages, nothing as `NaN` or `2.930436e+06`. A table
too wide for the line wraps its text columns, then splits into parts that each repeat the first column.
`--csv DIR` writes the same tables as they are (every column and digit, formula-safe) instead."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from ..formatting import gbp
from ..terminal import shown

LINE = 100   # the width every table fits
GAP = "  "
TEXT_MIN = 12  # a text column is not wrapped narrower than this (or its longest word, if shorter)

# --- what a column holds, from its engine name ------------------------------------------------------------
PER_UNIT_MONEY = {"claimed_proxy", "ref_value", "reference_proxy", "value", "low", "high", "value_in_base",
                  "proxy", "price_per_point"}
MONEY = {"price", "lowest", "claimed_value", "figures_value", "credited_value", "amount", "running_total",
         "undiscounted", "contract_value", "promised_value", "delivered_value", "promised_value_to_date",
         "claimed", "credited"} | PER_UNIT_MONEY
MARKS = {"marks", "total", "price_score", "quality_score", "social_value_score", "weight", "threshold", "score",
         "evaluator_median", "lowest_score", "highest_score", "moderated", "quality_points", "min_share",
         "group_marks", "max_marks", "score_used", "median"}
PERCENT = {"deadweight_used", "attribution_used", "displacement_used", "deadweight", "attribution",
           "displacement", "attainment", "additionality", "share", "credited_share", "drop_off"}
FACTORS = {"evidence_factor", "discount_factor", "drop_off_factor", "df_sum", "factor", "design_fraction"}
YEARS = {"year", "start_year", "end_year", "years_in_term", "price_year", "persistence_credited_years",
         "n_evaluators", "rank", "level", "order"}

LABELS = {
    "id": "Id", "criterion": "Criterion", "part": "Part", "weight": "Weight", "working": "Working", "marks": "Marks",
    "bidder": "Bidder", "price": "Price", "lowest": "Lowest price", "method": "Method", "name": "Name",
    "threshold": "Minimum score", "social_value": "Social value", "n_evaluators": "Evaluators",
    "evaluator_median": "Median score", "lowest_score": "Lowest score", "highest_score": "Highest score",
    "moderated": "Moderated score", "measure": "Measure", "quantity": "Quantity", "unit": "Unit",
    "claimed_proxy": "Claimed proxy", "claimed_value": "Claimed", "claimed_basis": "Claimed basis",
    "figures_value": "Figures lens", "code": "Code", "severity": "Severity", "commitment": "Commitment",
    "message": "Finding", "fix": "Fix", "served_outcome": "Outcome served", "error_codes": "Error flags",
    "credited": "Credited", "not_credited_reason": "Not credited because", "evidence_grade": "Evidence",
    "evidence_factor": "Evidence factor", "start_year": "Start year", "end_year": "End year",
    "years_in_term": "Years in term", "quantity_in_term": "Quantity in term", "deadweight_used": "Deadweight",
    "attribution_used": "Attribution", "displacement_used": "Displacement", "additionality": "Additionality",
    "net_quantity": "Net quantity", "outcome": "Outcome", "baseline": "Baseline", "target": "Target",
    "priority": "Priority", "attainment": "Attainment", "per_year_quantity": "Quantity a year",
    "ref_value": "Reference proxy", "price_year": "Price year", "persistence_credited_years": "Years after term",
    "drop_off": "Drop-off", "df_sum": "Discount factors summed", "credited_value": "Credited",
    "year": "Year", "phase": "Phase", "reference_proxy": "Reference proxy", "drop_off_factor": "Drop-off factor",
    "undiscounted": "Undiscounted", "discount_factor": "Discount factor", "step": "Step", "amount": "Amount",
    "running_total": "Running total", "walk_claimed": "Claimed", "walk_not_credited_errors": "Error flags",
    "walk_off_design": "Off design", "walk_proxy_corrected": "Proxy corrected", "walk_beyond_term": "Beyond term",
    "walk_persistence": "Persistence", "walk_deflators": "Deflators", "walk_evidence": "Evidence",
    "walk_discounting": "Discounting", "kind": "Kind", "rationale": "Rationale",
}

_KEYS = ("id", "criterion", "code", "step", "commitment", "outcome", "bidder", "question", "group")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _number(v: Any) -> Optional[float]:
    if isinstance(v, bool) or _missing(v):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _kind(name: str) -> str:
    n = str(name)
    if n in MONEY or n.startswith("walk_"):
        return "money"
    if n in MARKS or n.endswith("_marks") or n.endswith("_score"):
        return "marks"
    if n in PERCENT or n.endswith("_used") or n.endswith("_share"):
        return "percent"
    if n in FACTORS or n.endswith("_factor"):
        return "factor"
    if n in YEARS or n.endswith("_year") or n in ("price_base", "base_year"):
        return "whole"  # a year is written without a thousands separator
    return "number"


def _plain_number(x: float) -> str:
    """A quantity as written: 3,600 or 7.29 (at most two decimals; never an exponent)."""
    if abs(x - round(x)) < 5e-7:
        return f"{round(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _percent(x: float) -> str:
    s = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return f"{s}%"


def formatted(column: pd.Series, name: str) -> tuple[list[str], bool]:
    """Each cell as text, and whether the column is numbers (right-aligned)."""
    values = column.tolist()
    kind = _kind(name)
    nums = [_number(v) for v in values]
    numeric = all(n is not None or _missing(v) for n, v in zip(nums, values)) and any(n is not None for n in nums)
    if not numeric:
        return [_text(v) for v in values], False
    if kind == "money":
        pence = str(name) in PER_UNIT_MONEY and any(abs(n * 100 - round(n * 100)) < 1e-6 and n != round(n)
                                                     for n in nums if n is not None)
        return ["" if n is None else gbp(n, 2 if pence else 0) for n in nums], True
    if kind in ("marks", "factor"):
        return ["" if n is None else f"{n:,.2f}" for n in nums], True
    if kind == "percent" and all(n is None or -1.5 <= n <= 1.5 for n in nums):
        return ["" if n is None else _percent(n) for n in nums], True
    if kind == "whole":
        return ["" if n is None else (f"{int(round(n))}" if abs(n - round(n)) < 1e-9 else _plain_number(n))
                for n in nums], True
    return ["" if n is None else _plain_number(n) for n in nums], True


def _text(v: Any) -> str:
    if _missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(_text(x) for x in v)
    return " ".join(shown(v).split())


def label(name: Any, kind: str) -> str:
    text = LABELS.get(str(name)) or str(name).replace("_", " ").strip().capitalize()
    return shown(text + (" £" if kind == "money" and "£" not in text else ""))


# --- layout ---------------------------------------------------------------------------------------------------
class _Column:
    def __init__(self, header: str, cells: list[str], right: bool):
        self.header, self.cells, self.right = header, cells, right
        words = [w for c in cells for w in c.split()] + header.split()
        self.longest_word = max((len(w) for w in words), default=1)
        self.natural = max([len(c) for c in cells] + [len(header)] + [1])
        header_min = max((len(w) for w in header.split()), default=1)
        if right:  # numbers never wrap; a header wraps at its spaces
            self.min = max([len(c) for c in cells] + [header_min])
        else:
            self.min = max(min(self.longest_word, LINE - 20), min(TEXT_MIN, self.natural), header_min)
        self.width = self.natural


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _fit(cols: list[_Column], line: int) -> bool:
    """Narrow the text columns (the widest first) until the table fits `line`; False if it cannot."""
    def total():
        return sum(c.width for c in cols) + len(GAP) * (len(cols) - 1)
    while total() > line:
        wide = [c for c in cols if c.width > c.min]
        if not wide:
            return False
        widest = max(wide, key=lambda c: c.width)
        widest.width -= min(widest.width - widest.min, total() - line, max(1, widest.width // 8))
    return True


def _render(cols: list[_Column]) -> list[str]:
    heads = [_wrap(c.header, c.width) for c in cols]
    depth = max(len(h) for h in heads)
    out = []
    for i in range(depth):
        out.append(_join([(h[i - (depth - len(h))] if i >= depth - len(h) else "") for h in heads], cols))
    out.append(GAP.join("-" * c.width for c in cols))
    rows = len(cols[0].cells)
    wrapped = []
    for r in range(rows):
        parts = [_wrap(c.cells[r], c.width) for c in cols]
        wrapped.append(parts)
    spaced = any(len(p) > 1 for parts in wrapped for p in parts)
    for r, parts in enumerate(wrapped):
        if spaced and r:
            out.append("")
        for i in range(max(len(p) for p in parts)):
            out.append(_join([p[i] if i < len(p) else "" for p in parts], cols))
    return out


def _join(cells: list[str], cols: list[_Column]) -> str:
    return GAP.join(c.rjust(col.width) if col.right else c.ljust(col.width) for c, col in zip(cells, cols)).rstrip()


def text_table(frame: pd.DataFrame, line: int = LINE) -> list[str]:
    """The table's lines, each at most `line` characters: aligned, formatted, wrapped or split into parts."""
    if frame.empty:
        return ["(none)"]
    cols = []
    for name in frame.columns:
        cells, right = formatted(frame[name], name)
        cols.append(_Column(label(name, _kind(name) if right else "text"), cells, right))
    if _fit(cols, line):
        return _render(cols)
    key_i = next((i for i, n in enumerate(frame.columns) if str(n) in _KEYS), 0)
    key = cols[key_i]
    rest = [c for i, c in enumerate(cols) if i != key_i]
    key.width = min(key.natural, max(key.min, 24))
    parts, current = [], []
    for c in rest:
        trial = [key] + current + [c]
        for x in trial:
            x.width = x.natural
        key.width = min(key.natural, max(key.min, 24))
        if current and not _fit(trial, line):
            parts.append(current)
            current = [c]
        else:
            current.append(c)
    if current:
        parts.append(current)
    out = []
    for n, part in enumerate(parts, 1):
        for x in part:
            x.width = x.natural
        key.width = min(key.natural, max(key.min, 24))
        _fit([key] + part, line)
        if len(parts) > 1:
            out.append(f"(part {n} of {len(parts)})")
        out += _render([key] + part)
        if n < len(parts):
            out.append("")
    return out


def without_repeated_bidder(frame: pd.DataFrame, bidder: str) -> pd.DataFrame:
    """The explained bidder's name in every row says nothing the heading does not: the column is left out."""
    if "bidder" in frame.columns and len(frame) and (frame["bidder"] == bidder).all():
        return frame.drop(columns=["bidder"])
    return frame


def explain_text(tables, bidder: str) -> str:
    out = []
    for t in tables:
        out += ["", f"== {t.title} =="]
        out += text_table(without_repeated_bidder(t.frame, bidder))
    return "\n".join(out)


def write_explain_csv(tables, folder: Path) -> list[Path]:
    """Each table as `<key>.csv` in `folder`, exactly as the engine has it (every column and digit), with text
    a spreadsheet would run as a formula neutralised."""
    from ..spreadsheet import formula_safe_frame
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for t in tables:
        path = folder / f"{t.key}.csv"
        formula_safe_frame(t.frame).to_csv(path, index=False)
        written.append(path)
    return written
