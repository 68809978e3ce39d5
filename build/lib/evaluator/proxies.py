"""The reference proxy table (DESIGN.md 4.2): £ per unit for each measure, with its source and licence.

The design lens values every credited commitment at these reference values, not at the supplier's own
proxy, so the table's provenance (source, price year, licence) travels with it into every report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .numbers import AmbiguousNumber, NotANumber, read_number
from .documents import parse_small_csv, read_text

REQUIRED = ["code", "name", "unit", "value"]
OPTIONAL = ["low", "high", "price_year", "source", "licence", "kind", "local_only", "exclusive_group",
            "deadweight", "attribution"]
COLUMNS = REQUIRED + OPTIONAL
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


def empty_proxies() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    for c in ("value", "low", "high", "deadweight", "attribution"):
        frame[c] = frame[c].astype(float)
    frame["local_only"] = frame["local_only"].astype(bool)
    return frame.set_index("code", drop=False)


def load_proxies(path: Path | str) -> pd.DataFrame:
    """Read and check a proxy table file; one message per bad cell, all at once."""
    path = Path(path)
    return parse_proxies(read_text(path), path)


def parse_proxies(data: bytes | str, source: Any) -> pd.DataFrame:
    """A proxy table given as data (an upload), checked as load_proxies checks a file; messages name
    `source`, the name the user gave it."""
    path = source
    header, rows = parse_small_csv(data, source, COLUMNS, REQUIRED)
    problems: list[EvaluatorError] = []
    records = [{**rec, "_row": n} for n, rec in rows]
    frame = pd.DataFrame(records, columns=header + ["_row"]).reindex(columns=COLUMNS + ["_row"])
    frame = frame.astype(object).where(frame.notna(), "")

    def bad(n: int, field: str, value, problem: str) -> None:
        problems.append(InputError(problem, file=path, where=f"row {n}", field=field, value=value))

    cleaned = []
    for rec in frame.to_dict("records"):
        n = rec["_row"]
        for name in ("code", "name", "unit"):
            if not rec[name]:
                bad(n, name, rec[name], "required but empty")
        for name in ("value", "low", "high", "deadweight", "attribution"):
            raw = rec[name]
            if raw == "":
                rec[name] = np.nan
                if name == "value":
                    bad(n, name, raw, "required but empty")
                continue
            try:
                num = read_number(raw)
            except AmbiguousNumber as exc:
                bad(n, name, raw, str(exc))
                rec[name] = np.nan
                continue
            except NotANumber:
                bad(n, name, raw, "not a number")
                rec[name] = np.nan
                continue
            if not np.isfinite(num) or num < 0:
                bad(n, name, raw, "must be a finite number, 0 or more")
                num = np.nan
            elif name in ("deadweight", "attribution") and num > 1:
                bad(n, name, raw, "is a share and must be between 0 and 1")
            rec[name] = num
        kind = (rec["kind"] or "outcome").lower()
        if kind not in ("outcome", "output"):
            bad(n, "kind", rec["kind"], "must be 'outcome' or 'output'")
        rec["kind"] = kind
        flag = rec["local_only"].lower()
        if flag not in _TRUE | _FALSE:
            bad(n, "local_only", rec["local_only"], "must be true or false")
        rec["local_only"] = flag in _TRUE
        value, low, high = rec["value"], rec["low"], rec["high"]
        if np.isfinite(value) and np.isfinite(low) and low > value:
            bad(n, "low", low, f"is above the central value {value:g}")
        if np.isfinite(value) and np.isfinite(high) and high < value:
            bad(n, "high", high, f"is below the central value {value:g}")
        cleaned.append(rec)
    seen: dict[str, int] = {}
    for rec in cleaned:
        if rec["code"] in seen:
            bad(rec["_row"], "code", rec["code"], f"duplicate measure code (also row {seen[rec['code']]})")
        seen.setdefault(rec["code"], rec["_row"])
    if problems:
        raise InputErrors(problems)
    if not cleaned:
        return empty_proxies()
    table = pd.DataFrame(cleaned).drop(columns="_row")
    table["deadweight"] = table["deadweight"].fillna(0.0)
    table["attribution"] = table["attribution"].fillna(0.0)
    return table.set_index("code", drop=False)
