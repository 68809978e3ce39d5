"""How a value reads, for every screen, document and terminal (the one formatting layer of issue 19): money as
people in UK procurement write it (£ with separators, pence where a value has them, negatives as −£), marks to
two decimals, shares as percentages, units and column names in words, and nothing shown as nothing (never
"None" or "NaN"). The app (app/ui.show_table), the PDFs (pdf_kit), the workbook's text and the CLI (explain)
all take their text from here, so a figure reads the same wherever a commissioner meets it."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Optional

import pandas as pd

from .terminal import shown

MINUS = "\u2212"  # the minus sign (−), as print uses it: "−£858,400"; terminals that cannot show it get "-"


def gbp(value: float | None, decimals: int = 0) -> str:
    """£1,234,567 the way a commissioner writes it, −£858,400 below nothing; '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    text = f"{abs(value):,.{decimals}f}"
    sign = MINUS if value < 0 and any(ch in "123456789" for ch in text) else ""   # rounding noise is £0, not −£0
    return f"{sign}£{text}"



def money(value: float | None) -> str:
    """£ with separators, keeping pence where the value has them (£1.76, £19.97, £22,368); '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return gbp(value, 0 if abs(round(value, 2) - round(value)) < 0.005 else 2)


# unit codes of the proxy tables (rubrics/proxies/*.csv) in words: (one, many)
_UNITS = {"fte_year": ("FTE-year", "FTE-years"), "apprentice_year": ("apprentice-year", "apprentice-years"),
          "hour": ("hour", "hours"), "wellby": ("WELLBY", "WELLBYs"), "incident": ("incident", "incidents"),
          "tco2e": ("tonne of CO2e", "tonnes of CO2e"), "gbp": ("£", "£")}


def unit_words(code, plural: bool = True) -> str:
    """A unit code in words: fte_year -> 'FTE-years' ('FTE-year' with plural=False), gbp -> '£'; an unknown
    code with its underscores as spaces; nothing for nothing."""
    if code is None or code != code or str(code).strip() == "":
        return ""
    text = str(code).strip()
    words = _UNITS.get(text.lower())
    return words[1 if plural else 0] if words else text.replace("_", " ")


def per_unit(code) -> str:
    """'per FTE-year', 'per £ spent', 'per tonne of CO2e'; nothing for nothing."""
    words = unit_words(code, plural=False)
    return "" if not words else "per £ spent" if words == "£" else f"per {words}"


def figure(v, rate: bool = False) -> str:
    """A quantity with separators: four significant figures under 10,000 (7,800, 2.5, 66.67), whole above;
    a rate (per £1m) three under 100 (7.5, 66.7, 8.33) and whole from 100 (1,080); '?' for nothing."""
    if v is None or v != v:
        return "?"
    if rate:
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def amount(quantity, code, rate: bool = False) -> str:
    """A quantity in its unit: '7,800 hours', '1 FTE-year', '£100,000' (spend), '2.5 WELLBYs'."""
    if quantity is None or quantity != quantity:
        return "?"
    if unit_words(code) == "£":
        return "£" + figure(quantity, rate) if rate else money(quantity)
    text = figure(float(quantity), rate)
    return f"{text} {unit_words(code, plural=text != '1')}".strip()


# ------------------------------------------------------------------------------------------ single values
def missing(v: Any) -> bool:
    """None, NaN, NA, NaT: a cell with nothing in it (shown empty)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v)) or (hasattr(v, "dtype") and bool(pd.isna(v)))
    except (TypeError, ValueError):
        return False


def number(v: Any) -> Optional[float]:
    """A finite number, or None (text, bool, nothing, infinity are not numbers)."""
    if isinstance(v, bool) or missing(v):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def marks(v: Any) -> str:
    """Marks to two decimals, everywhere ("12.50"); "" for nothing."""
    x = number(v)
    return "" if x is None else f"{x:,.2f}".replace("-", MINUS)


def percent(v: Any, decimals: int = 0) -> str:
    """A share (0.3) as a percentage ("30%", with `decimals` "29.96%"); "" for nothing."""
    x = number(v)
    return "" if x is None else f"{x * 100:.{decimals}f}%".replace("-", MINUS)


def probability(v: Any) -> str:
    """A probability as a percentage to one decimal at most ("29.9%", "100%"); "" for nothing."""
    x = number(v)
    return "" if x is None else _percent(x)


def whole(v: Any) -> str:
    """A count with separators ("1,234"); "" for nothing."""
    x = number(v)
    return "" if x is None else f"{round(x):,}".replace("-", MINUS)


def date_text(v: Any) -> str:
    """A date or time as people write it: "7 Dec 2026", or "7 Dec 2026 15:22" for a time (ISO text accepted);
    "" for nothing; text that is not a date comes back as it is."""
    if missing(v) or v == "":
        return ""
    when = v
    if isinstance(v, str):
        try:
            text = v.strip()
            when = date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return v
    if isinstance(when, pd.Timestamp):
        when = when.to_pydatetime()
    if isinstance(when, datetime):
        return f"{when.day} {when:%b %Y %H:%M}"
    if isinstance(when, date):
        return f"{when.day} {when:%b %Y}"
    return str(v)


def p_value(v: Any) -> str:
    """A p-value to two decimals, or "below 0.01"; "" for nothing."""
    x = number(v)
    return "" if x is None else "below 0.01" if x < 0.005 else f"{x:.2f}"


# ------------------------------------------------------------------------------ what a column holds, by name
PER_UNIT_MONEY = {"claimed_proxy", "ref_value", "reference_proxy", "value", "low", "high", "value_in_base",
                  "proxy", "price_per_point"}
MONEY = {"price", "lowest", "claimed_value", "figures_value", "credited_value", "amount", "running_total",
         "undiscounted", "contract_value", "promised_value", "delivered_value", "promised_value_to_date",
         "claimed", "credited", "budget"} | PER_UNIT_MONEY
MARKS = {"marks", "total", "price_score", "quality_score", "social_value_score", "weight", "threshold", "score",
         "evaluator_median", "lowest_score", "highest_score", "moderated", "quality_points", "min_share",
         "group_marks", "max_marks", "score_used", "median", "total_p05", "total_p95", "total_median"}
PERCENT = {"deadweight_used", "attribution_used", "displacement_used", "deadweight", "attribution",
           "displacement", "attainment", "additionality", "share", "credited_share", "drop_off"}
PROBABILITY = {"win_probability", "probability", "disqualified_share", "rank_share"}
FACTORS = {"evidence_factor", "discount_factor", "drop_off_factor", "df_sum", "factor", "design_fraction",
           "kendall_w", "w", "chi_square"}
YEARS = {"year", "start_year", "end_year", "years_in_term", "price_year", "persistence_credited_years",
         "n_evaluators", "rank", "level", "order", "price_base", "base_year"}
DATES = {"declared_at", "mitigated_at", "submitted_at", "added_at", "saved_at", "created_at", "at", "when",
         "timestamp", "updated_at", "date"}

# a column's name in words (the CLI adds " £" to a money column's header; cells on screen carry their £)
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
    "below_threshold": "Below a minimum score", "p_value": "p-value", "chi_square": "Chi-square",
    "df": "Degrees of freedom", "total_p05": "Total: 5th percentile", "total_p95": "Total: 95th percentile",
    "total_median": "Total: median", "win_probability": "Wins (share of draws)", "evidence_required": "Evidence required",
    "promised_value_to_date": "Promised to date", "kendall_w": "Kendall's W (agreement, 0 to 1)",
    "contract_value": "Contract value", "price_per_point": "Price per quality point", "quality_points": "Quality points",
    "declared_at": "Declared", "submitted_at": "Submitted", "mitigated_at": "Mitigated", "added_at": "Added",
}


def column_kind(name: Any) -> str:
    """What an engine column holds, from its name: money, marks, percent, probability, factor, whole (a year,
    rank or count, written without separators), date, p_value, unit (a unit code, said in words) or number."""
    n = str(name)
    if n in MONEY or n.startswith("walk_"):
        return "money"
    if n in MARKS or n.endswith("_marks") or n.endswith("_score"):
        return "marks"
    if n in PROBABILITY or n.endswith("_probability"):
        return "probability"
    if n in PERCENT or n.endswith("_used") or n.endswith("_share"):
        return "percent"
    if n in FACTORS or n.endswith("_factor"):
        return "factor"
    if n in YEARS or n.endswith("_year"):
        return "whole"
    if n in DATES or n.endswith("_at"):
        return "date"
    if n == "p_value":
        return "p_value"
    if n == "unit" or n.endswith("_unit"):
        return "unit"
    return "number"


def header_words(name: Any) -> str:
    """A column's name as a commissioner says it: running_total -> "Running total", n_evaluators -> "Evaluators"."""
    if not isinstance(name, str):
        return str(name)
    return LABELS.get(name) or (name.replace("_", " ").strip().capitalize() if name.islower() else name.replace("_", " "))


def plain_number(x: float) -> str:
    """A quantity as written: 3,600 or 7.29 (at most two decimals; never an exponent)."""
    if abs(x - round(x)) < 5e-7:
        return f"{round(x):,}".replace("-", MINUS)
    return f"{x:,.2f}".rstrip("0").rstrip(".").replace("-", MINUS)


def _percent(x: float) -> str:
    s = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return f"{s}%".replace("-", MINUS)


def cell_text(v: Any) -> str:
    """A text cell: nothing as empty, yes/no for a flag, a list joined, on one line, every control character
    written as an escape."""
    if missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(cell_text(x) for x in v)
    return " ".join(shown(v).split())


def formatted(column: pd.Series, name: Any, kind: Optional[str] = None) -> tuple[list[str], bool]:
    """Each cell of a column as text, and whether the column is numbers (right-aligned). `kind` overrides what
    the name says (see column_kind)."""
    values = column.tolist()
    kind = kind or column_kind(name)
    if kind == "date":
        return [date_text(v) for v in values], False
    if kind == "text":
        return [cell_text(v) for v in values], False
    if kind == "unit":
        return [cell_text(unit_words(v)) for v in values], False
    nums = [number(v) for v in values]
    numeric = all(n is not None or missing(v) for n, v in zip(nums, values)) and any(n is not None for n in nums)
    if not numeric:
        return [cell_text(v) for v in values], False
    if kind == "money":
        pence = str(name) in PER_UNIT_MONEY and any(abs(n * 100 - round(n * 100)) < 1e-6 and n != round(n)
                                                     for n in nums if n is not None)
        return ["" if n is None else gbp(n, 2 if pence else 0) for n in nums], True
    if kind in ("marks", "factor"):
        return [marks(n) for n in nums], True
    if kind == "probability" and all(n is None or 0 <= n <= 1 for n in nums):
        return [probability(n) for n in nums], True
    if kind == "percent" and all(n is None or -1.5 <= n <= 1.5 for n in nums):
        return ["" if n is None else _percent(n) for n in nums], True
    if kind == "p_value":
        return [p_value(n) for n in nums], True
    if kind == "whole":
        return ["" if n is None else (f"{int(round(n))}" if abs(n - round(n)) < 1e-9 else plain_number(n))
                for n in nums], True
    return ["" if n is None else plain_number(n) for n in nums], True


def display_table(df: pd.DataFrame, kinds: Optional[dict] = None) -> tuple[pd.DataFrame, list[str]]:
    """A table as a commissioner reads it: every cell the text shown (by column_kind, or `kinds` by column
    name: {"total": "marks", "unit": "text"}), headers in words; and the headers of the number columns (to
    right-align). The engine's frame is left as it is: keep it for downloads and the explain tables."""
    kinds = kinds or {}
    cols, numeric = {}, []
    for name in df.columns:
        cells, right = formatted(df[name], name, kinds.get(name))
        header = header_words(name)
        while header in cols:  # two engine names with the same words stay two columns
            header += " "
        cols[header] = cells
        if right:
            numeric.append(header)
    out = pd.DataFrame(cols, index=range(len(df)), columns=list(cols), dtype=object)
    return out, numeric
