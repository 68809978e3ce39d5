"""One price base (DESIGN.md 9.4): every proxy £ in the same year's prices before any £ is added up.

The proxy table carries each value's `price_year` (2019, 2015/16, ...). £ of different years are never
added as they stand: a value whose price year differs from the rubric's `price_base` (default: the latest
price year in the proxy table) is converted with the HM Treasury GDP deflator series shipped as
rubrics/proxies/gdp_deflators.csv:

    value in the price base = value × index(price base) / index(price year)

The series' rows are calendar years ("2019") or financial years ("2019-20"). A price year is read as a
year (a financial year such as 2015/16 as its first calendar year, 2015); both ends of a conversion are
read from one of the series' kinds of row, so the ratio never mixes two reference years:

- a financial price year (2015/16) uses the financial-year rows when the series has them for both ends
  (the price base B is then read as the financial year that begins in B);
- otherwise the calendar-year rows, when the series has them for both ends;
- otherwise the financial-year rows, a calendar year Y read as the financial year that begins in Y.

A value already in the price base is not converted (factor 1) and needs no row of the series; a row
measured in £ (unit `gbp`, e.g. local spend at face value) counts in the price base as claimed £ do, and
neither sets the default price base nor needs the series; a row with no price year is taken as in the
price base and said so. A year the series lacks (including a default price base newer than the series'
latest outturn: nothing is ever left unconverted), a price year no one can read ("circa 2019") and a price
base in the future are errors of one line naming them and saying what to do.
"""
from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .numbers import AmbiguousNumber, NotANumber, read_number
from .shipped import SHIPPED_PROXIES

DEFAULT_PATH = SHIPPED_PROXIES / "gdp_deflators.csv"
REQUIRED = ["year", "index", "source", "licence"]
OPTIONAL = ["kind"]
KINDS = ("outturn", "forecast")
FACE_VALUE_UNITS = {"gbp", "£"}
CONVERSION_COLUMNS = ["code", "price_year", "price_base", "index_from", "index_to", "factor", "value",
                      "value_in_base", "low", "low_in_base", "high", "high_in_base", "deflator_from",
                      "deflator_to", "note", "status"]

_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_FINANCIAL = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")


def _current_year() -> int:
    return _dt.date.today().year


# --- reading years -----------------------------------------------------------------------------------------

def _parse_year(text: Any) -> Optional[tuple[int, bool]]:
    """(first calendar year, is a financial year) of a year as written, or None when it is not one."""
    if isinstance(text, (bool, np.bool_)):
        return None
    if isinstance(text, (int, np.integer)):
        return int(text), False
    if isinstance(text, (float, np.floating)):
        return (int(text), False) if float(text).is_integer() else None
    s = str(text)
    m = _YEAR.match(s)
    if m:
        return int(m.group(1)), False
    m = _FINANCIAL.match(s)
    if m:
        first, second = int(m.group(1)), m.group(2)
        follows = (first + 1) % 100 == int(second) if len(second) == 2 else int(second) == first + 1
        if follows:
            return first, True
    return None


def price_year_of(text: Any, *, file: Any = None, where: Optional[str] = None,
                  field: str = "price_year") -> int:
    """The year a price year stands for: "2019" and 2019 -> 2019; a financial year ("2015/16", "2015-16")
    -> its first calendar year, 2015. Anything else ("circa 2019", "2015/17", blank) -> InputError."""
    parsed = _parse_year(text)
    if parsed is None or not 1800 <= parsed[0] <= 2200:
        raise InputError("is not a price year: write a year such as 2019 or a financial year such as 2015/16",
                         file=file, where=where, field=field, value=text)
    return parsed[0]


def is_financial_year(text: Any) -> bool:
    parsed = _parse_year(text)
    return bool(parsed and parsed[1])


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def _fy_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


# --- the deflator series -------------------------------------------------------------------------------------

def load_deflators(path: Path | str | None = None) -> pd.DataFrame:
    """The GDP deflator series, checked: DataFrame[year, index, source, licence, kind, first_year,
    financial] (year as written, index as published). One message per bad cell, all at once."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        stat = path.stat()
    except OSError:
        raise InputError("the GDP deflator series is not there (the price base needs it, DESIGN 9.4)",
                         file=path) from None
    return _load_deflators(str(path), stat.st_mtime_ns, stat.st_size).copy()


@lru_cache(maxsize=8)
def _load_deflators(path: str, _mtime: int, _size: int) -> pd.DataFrame:
    from .documents import parse_small_csv, read_text
    header, rows = parse_small_csv(read_text(Path(path)), path, REQUIRED + OPTIONAL, REQUIRED)
    problems: list[EvaluatorError] = []
    out = []
    seen: dict[str, int] = {}
    for n, rec in rows:
        def bad(field: str, value: Any, problem: str) -> None:
            problems.append(InputError(problem, file=path, where=f"row {n}", field=field, value=value))
        year_text = (rec.get("year") or "").strip()
        parsed = _parse_year(year_text)
        if parsed is None:
            bad("year", year_text, "is not a year: write a calendar year such as 2019 or a financial year such as "
                                   "2019-20")
        raw = (rec.get("index") or "").strip()
        index = np.nan
        try:
            index = read_number(raw)
            if not np.isfinite(index) or index <= 0:
                bad("index", raw, "must be a number above 0")
                index = np.nan
        except (AmbiguousNumber, NotANumber) as exc:
            bad("index", raw, str(exc) if isinstance(exc, AmbiguousNumber) else "not a number")
        for name in ("source", "licence"):
            if not (rec.get(name) or "").strip():
                bad(name, rec.get(name) or "", "required but empty")
        kind = (rec.get("kind") or "outturn").strip().lower()
        if kind not in KINDS:
            bad("kind", rec.get("kind"), "must be 'outturn' or 'forecast'")
        if parsed is not None:
            key = _fy_label(parsed[0]) if parsed[1] else str(parsed[0])
            if key in seen:
                bad("year", year_text, f"is in the series twice (also row {seen[key]})")
            seen.setdefault(key, n)
        out.append({"year": year_text, "index": index, "source": (rec.get("source") or "").strip(),
                    "licence": (rec.get("licence") or "").strip(), "kind": kind,
                    "first_year": parsed[0] if parsed else -1, "financial": bool(parsed and parsed[1])})
    if problems:
        raise InputErrors(problems)
    if not out:
        raise InputError("the GDP deflator series has no rows", file=path)
    frame = pd.DataFrame(out, columns=["year", "index", "source", "licence", "kind", "first_year", "financial"])
    frame.attrs["path"] = path
    return frame


def _series_name(deflators: pd.DataFrame) -> str:
    path = deflators.attrs.get("path")
    return f"the GDP deflator series ({Path(path).name})" if path else "the GDP deflator series"


def _lookup(deflators: pd.DataFrame, financial: bool) -> dict[int, tuple[str, float, str]]:
    rows = deflators[deflators["financial"] == financial]
    return {int(y): (label, float(i), k) for y, label, i, k in
            zip(rows["first_year"], rows["year"], rows["index"], rows["kind"])}


def _span(deflators: pd.DataFrame) -> str:
    parts = []
    for financial in (True, False):
        rows = deflators[deflators["financial"] == financial]
        if len(rows):
            years = rows.sort_values("first_year")["year"].tolist()
            parts.append(f"{years[0]} to {years[-1]}")
    return " and ".join(parts)


# --- the price base --------------------------------------------------------------------------------------------

def _face_value(unit: Any) -> bool:
    return str(unit or "").strip().lower() in FACE_VALUE_UNITS


def _default_row(proxies: pd.DataFrame) -> Optional[dict]:
    """The proxy row whose price year is the default price base: the latest price year in the table, £ at
    face value (unit gbp) left out: they count in any price base, so they neither set nor block it."""
    if proxies is None or not len(proxies) or "price_year" not in proxies.columns:
        return None
    best = None
    for rec in proxies.to_dict("records"):
        if _blank(rec.get("price_year")) or _face_value(rec.get("unit")):
            continue
        year = price_year_of(rec["price_year"])
        if best is None or year > best[0]:
            best = (year, rec)
    return best[1] if best else None


def default_price_base(proxies: pd.DataFrame) -> Optional[int]:
    """The latest price year in the proxy table, £ at face value left out (None when no row gives one)."""
    rec = _default_row(proxies)
    return price_year_of(rec["price_year"]) if rec is not None else None


def check_price_base(price_base: Optional[int], *, file: Any = None) -> None:
    """A price base in the future (after this year) has no published deflator: refused in one line."""
    if price_base is not None and int(price_base) > _current_year():
        raise InputError(f"is in the future (this year is {_current_year()}): a price base must be this year or "
                         "an earlier one, whose prices the GDP deflator series publishes",
                         file=file, where="key price_base", field="price_base", value=price_base)


def conversion_table(proxies: pd.DataFrame, price_base: Optional[int], deflators: Optional[pd.DataFrame] = None,
                     *, file: Any = None, rubric_file: Any = None) -> pd.DataFrame:
    """Each proxy row's conversion to the price base: DataFrame[code, price_year, price_base, index_from,
    index_to, factor, value, value_in_base, low, low_in_base, high, high_in_base, deflator_from, deflator_to,
    note, status]. `price_base` None: the default, the latest price year in the table (face value left out).
    A year the series lacks -> InputError in one line naming it and what to do: a stated price base is named
    as the rubric's key price_base (`rubric_file`), a default one as the proxy row whose price year set it
    (`file`, row, field price_year); a value is never left in its own price year."""
    if proxies is None or not len(proxies):
        return pd.DataFrame(columns=CONVERSION_COLUMNS)
    stated = price_base is not None
    if price_base is None:
        price_base = default_price_base(proxies)
    if stated:   # a default base newer than the series is refused below, naming the row that set it
        check_price_base(price_base, file=rubric_file if rubric_file is not None else file)
    rows = []
    needs_series = False
    for rec in proxies.to_dict("records"):
        text = rec.get("price_year")
        unit = str(rec.get("unit") or "").strip().lower()
        entry = {"code": rec.get("code"), "price_year": None if _blank(text) else str(text).strip(),
                 "price_base": price_base, "index_from": np.nan, "index_to": np.nan, "factor": 1.0,
                 "deflator_from": None, "deflator_to": None, "note": "", "status": "in base"}
        if price_base is None or _blank(text):
            entry.update(note="no price year given: taken as in the price base", status="no price year")
        else:
            year = price_year_of(text, file=file, where=f"measure {rec.get('code')}")
            if year == price_base:
                entry["note"] = "already in the price base"
            elif _face_value(unit):
                entry.update(note="£ at face value: counted in the price base, as claimed £ are", status="face value")
            else:
                needs_series = True
                entry["_year"], entry["_financial"] = year, is_financial_year(text)
        rows.append(entry)
    if needs_series:
        deflators = deflators if deflators is not None else load_deflators()
        fy, cy = _lookup(deflators, True), _lookup(deflators, False)
        if price_base not in fy and price_base not in cy:
            raise _missing_base(deflators, proxies, price_base, stated, file, rubric_file)
        for entry in rows:
            if "_year" not in entry:
                continue
            year, financial = entry.pop("_year"), entry.pop("_financial")
            order = [fy, cy] if financial else [cy, fy]
            chosen = next((s for s in order if year in s and price_base in s), None)
            if chosen is None:
                raise _missing_year(deflators, entry, year, price_base, fy, cy, file)
            label_from, index_from, kind_from = chosen[year]
            label_to, index_to, kind_to = chosen[price_base]
            entry.update(index_from=index_from, index_to=index_to, factor=index_to / index_from,
                         deflator_from=label_from, deflator_to=label_to, status="converted",
                         note="converted with the GDP deflator" + (
                             " (OBR forecast rows: " + ", ".join(sorted({l for l, k in ((label_from, kind_from),
                                                                                          (label_to, kind_to))
                                                                         if k == "forecast"})) + ")"
                             if "forecast" in (kind_from, kind_to) else ""))
    table = pd.DataFrame(rows, columns=[c for c in CONVERSION_COLUMNS if c not in ("value", "value_in_base", "low",
                                                                                   "low_in_base", "high",
                                                                                   "high_in_base")])
    factor = table["factor"].to_numpy(dtype=float)
    for col in ("value", "low", "high"):
        vals = pd.to_numeric(proxies[col], errors="coerce").to_numpy(dtype=float) if col in proxies.columns \
            else np.full(len(proxies), np.nan)
        table[col] = vals
        table[f"{col}_in_base"] = vals * factor
    return table[CONVERSION_COLUMNS]


def _series_end(deflators: pd.DataFrame) -> tuple[str, int]:
    """The series' latest row as written ("2024-25") and the price base it serves (2024)."""
    latest = deflators.sort_values(["first_year", "financial"]).iloc[-1]
    return str(latest["year"]), int(latest["first_year"])


def _what_to_do(deflators: pd.DataFrame) -> str:
    label, year = _series_end(deflators)
    return (f"the deflator series ends at {label}: state price_base: {year} or a year it covers, or use values "
            "in a year it covers")


def _missing_base(deflators, proxies, base, stated, file, rubric_file) -> InputError:
    """The one line for a price base the series lacks. A stated one names the rubric's key price_base; a
    default one the proxy row whose price year set it (file, row, field price_year, value)."""
    head = f"{_series_name(deflators)} has no {base} (it runs {_span(deflators)})"
    if stated:
        return InputError(f"{head}: {_what_to_do(deflators)}", file=rubric_file if rubric_file is not None else file,
                          where="key price_base", field="price_base", value=base)
    rec = _default_row(proxies) or {}
    code = rec.get("code")
    row = (proxies.attrs.get("rows") or {}).get(code)
    where = f"row {row}" if row is not None else None
    where = f"{where} (measure {code})" if where and code else where or (f"measure {code}" if code else None)
    return InputError(f"is the latest price year in the table, so the default price base, and {head}: "
                      f"{_what_to_do(deflators)}", file=file, where=where, field="price_year",
                      value=rec.get("price_year", base))


def _missing_year(deflators, entry, year, base, fy, cy, file) -> InputError:
    """The one line for a conversion the series cannot make, naming the year it lacks."""
    def has(y):
        return y in fy or y in cy
    if not has(year):
        missing, what, field, value = entry["price_year"], "price year", "price_year", entry["price_year"]
    else:
        return InputError(f"{_series_name(deflators)} has {year} and {base} only in different kinds of row (calendar "
                          f"and financial years, on different reference years), so {entry['price_year']} cannot be "
                          "converted to the price base", file=file, where=f"measure {entry['code']}",
                          field="price_year", value=entry["price_year"])
    return InputError(f"{_series_name(deflators)} has no {missing} (it runs {_span(deflators)}), so the {what} "
                      f"{missing} cannot be converted: {_what_to_do(deflators)}", file=file,
                      where=f"measure {entry['code']}", field=field, value=value)


def converts(table: pd.DataFrame) -> bool:
    """Whether any row of a conversion table changes a value."""
    return bool(len(table)) and bool(np.any(table["factor"].to_numpy(dtype=float) != 1.0))


def worth_showing(table: pd.DataFrame) -> bool:
    """Whether the table says anything a reader needs: some value is converted, or counts at face value.
    A table all in one price year shows nothing (its outputs read as before)."""
    return bool(len(table)) and bool(table["status"].isin(["converted", "face value"]).any())


# --- the valued proxy table --------------------------------------------------------------------------------------

_VALUED: dict[tuple, tuple] = {}  # (id of table, base, id of series) -> (valued, conversions, table, series)


def rubric_price_base(rubric) -> Optional[int]:
    """The rubric's price base: its `price_base`, else the latest price year in its proxy table."""
    given = getattr(rubric.spec, "price_base", None)
    return int(given) if given is not None else default_price_base(rubric.proxies)


def conversions(rubric, deflators: Optional[pd.DataFrame] = None) -> pd.DataFrame:
    """The rubric's conversion table (what explain, the report and the workbook show)."""
    return _valued(rubric, deflators)[1]


def valued_proxies(rubric, deflators: Optional[pd.DataFrame] = None) -> pd.DataFrame:
    """The proxy table the valuation uses: `value`, `low` and `high` in the price base (`price_year` then
    reads the price base). A table with nothing to convert is returned as it is (the same object)."""
    return _valued(rubric, deflators)[0]


def _valued(rubric, deflators: Optional[pd.DataFrame]):
    proxies = rubric.proxies
    base = rubric_price_base(rubric)
    key = (id(proxies), base, id(deflators) if deflators is not None else None)
    hit = _VALUED.get(key)
    if hit is not None and hit[2] is proxies and hit[3] is deflators:
        return hit
    file = rubric.proxies_path or getattr(rubric, "path", None)
    if getattr(rubric.spec, "price_base", None) is not None:
        check_price_base(base, file=getattr(rubric, "path", None))
    if proxies is None or not len(proxies):
        out = (proxies, pd.DataFrame(columns=CONVERSION_COLUMNS), proxies, deflators)
        _VALUED[key] = out
        return out
    stated = getattr(rubric.spec, "price_base", None)
    table = conversion_table(proxies, None if stated is None else base, deflators, file=file,
                             rubric_file=getattr(rubric, "path", None))
    valued = proxies
    if converts(table):
        valued = proxies.copy()
        for col in ("value", "low", "high"):
            if col in valued.columns:
                valued[col] = table[f"{col}_in_base"].to_numpy(dtype=float)
        valued["price_year"] = np.where(table["factor"].to_numpy(dtype=float) != 1.0, base_label(table),
                                        valued["price_year"].to_numpy(dtype=object)).astype(object)
    valued.attrs = {**proxies.attrs, "price_base": base}
    if len(_VALUED) > 32:
        _VALUED.clear()
    _VALUED[key] = (valued, table, proxies, deflators)
    return _VALUED[key]


# --- showing the conversions ---------------------------------------------------------------------------------

SHOWN_COLUMNS = ["code", "price_year", "price_base", "deflator_from", "index_from", "deflator_to", "index_to",
                 "factor", "value", "value_in_base", "low_in_base", "high_in_base", "status", "note"]


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The conversion table as explain shows it: every proxy value, the deflator rows and indices used, the
    factor and the value (and its low and high) in the price base."""
    return table[SHOWN_COLUMNS].reset_index(drop=True)


def report_story(k, ev) -> list:
    """The evaluation report's appendix section on the price base: one row per proxy value, with the
    deflator rows used. Nothing when no value is converted (a table in one price year reads as before)."""
    from .pdf_kit import esc, pence, plain
    try:
        table = conversions(ev.rubric)
    except EvaluatorError:
        return []
    if not worth_showing(table):
        return []
    base = base_label(table)
    story = [k.p(f"D. One price base: every proxy £ in {esc(str(base))} prices", k.h2),
             k.p(esc(_method_sentence(table)), k.small)]
    rows = [[r.code, plain(r.price_year), plain(r.deflator_from), _index(r.index_from), plain(r.deflator_to),
             _index(r.index_to), f"{r.factor:.4f}", pence(r.value), pence(r.value_in_base), r.note]
            for r in table.itertuples(index=False)]
    story.append(k.table(["Code", "Price year", "From row", "Index", "To row", "Index", "Factor", "Value",
                          f"Value in {base} prices", "Note"], rows,
                         [36, 16, 15, 17, 15, 17, 13, 21, 21, 29], right={3, 5, 6, 7, 8}))
    return story


def base_label(table: pd.DataFrame) -> str:
    """The price base as the deflator row it was read from ("2024-25" on a financial-year series), else
    the year ("2024")."""
    rows = table["deflator_to"].dropna() if "deflator_to" in table.columns else []
    return str(rows.iloc[0]) if len(rows) else str(table["price_base"].iloc[0])


def _index(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{float(v):.4f}"


def _method_sentence(table: pd.DataFrame) -> str:
    base = base_label(table)
    try:
        series = load_deflators()
        source = series["source"].iloc[0]
        import hashlib
        digest = hashlib.sha256(Path(series.attrs["path"]).read_bytes()).hexdigest()
        source += f" (file {Path(series.attrs['path']).name}, SHA-256 {digest})"
    except (EvaluatorError, OSError, KeyError):
        source = "the HM Treasury GDP deflator series"
    text = (f"Value in {base} prices = value × index({base}) / index(price year), with {source}. A financial "
            "year such as 2015/16 uses its own row when the series has financial-year rows for both ends (a "
            "calendar year Y is then read as the financial year that begins in Y); claimed £ in bids are taken as "
            "in the price base.")
    return text


def workbook_rows(rubric) -> list[list]:
    """The workbook's Price base sheet, one row per proxy value (empty when nothing is converted)."""
    try:
        table = conversions(rubric)
    except EvaluatorError:
        return []
    if not worth_showing(table):
        return []
    return [[r.code, r.price_year, r.price_base, r.deflator_from, r.index_from, r.deflator_to, r.index_to,
             r.factor, r.value, r.value_in_base, r.low_in_base, r.high_in_base, r.note]
            for r in table.itertuples(index=False)]


WORKBOOK_COLUMNS = [("Measure", 24, None), ("Price year", 11, None), ("Price base", 11, None),
                    ("Deflator row (from)", 14, None), ("Index (from)", 12, "0.0000"),
                    ("Deflator row (to)", 14, None), ("Index (to)", 12, "0.0000"), ("Factor", 10, "0.0000"),
                    ("Value £", 14, '"£"#,##0.00'), ("Value in base £", 16, '"£"#,##0.00'),
                    ("Low in base £", 14, '"£"#,##0.00'), ("High in base £", 14, '"£"#,##0.00'), ("Note", 60, None)]
