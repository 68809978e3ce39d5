"""Spreadsheet-safe text: cells a spreadsheet would run as a formula are neutralised on the way out of the
tool (CSV downloads) and read back exactly on the way in."""
from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take as a formula (see :func:`formula_safe`)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def formula_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (it starts with =, +, -, @, tab or carriage return)
    gets a leading single quote, so Excel, LibreOffice and Sheets show it as text. Numbers, including
    negative ones, are returned unchanged: only text is neutralised. For CSV downloads; the XLSX workbook
    keeps such text exact and marks the cell as text with Excel's quote prefix (workbook.text_cell).

    A carriage return inside text is written as a newline: pandas and a csv writer ending lines with
    "\n" leave a field holding only "\r" unquoted, and Excel and LibreOffice read a bare "\r" as the end
    of the row, so "a\r=1+1" would start a new row with a live formula. A newline makes the writer
    quote the field, and the line break stays a line break inside the cell."""
    if isinstance(value, str) and "\r" in value:
        quoted = "'" + value if formula_like(value) else value
        return quoted.replace("\r\n", "\n").replace("\r", "\n")
    if formula_like(value):
        return "'" + value
    return value


def formula_unquoted(value: Any) -> Any:
    """The inverse of :func:`formula_safe`, for CSVs this tool wrote and a user loads back (a scores.csv
    downloaded from the app): a leading single quote before formula-like text is taken off again."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def formula_safe_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of a table with every text cell passed through :func:`formula_safe` (for CSV downloads)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].astype(object).map(formula_safe, na_action="ignore")
    out.columns = [formula_safe(c) for c in out.columns]
    return out
