"""The tables every form of bid becomes, and the bulk form (`bids.csv` + `commitments.csv`, optionally
`responses.csv`) read into them (DESIGN.md 4.3).

Holds the field names every form shares, the bulk CSVs' parse (pyarrow, with Windows-1252 and bad rows
named), and the vectorised value checks (:class:`ValueChecker`, `clean_commitments`, `clean_bids`) that
every bid passes whatever form it came in. The bulk CSVs' repeated text leaves here as pandas
categoricals (codes from the parse itself): codes and distinct values travel with the table, so the
checks and the valuation group and compare text by its codes instead of hashing a million strings again.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from .columns import as_objects, clean_text, factorize, group_starts, lookup, missing, per_unique, spread_codes
from .exceptions import EvaluatorError, InputError
from .numbers import AmbiguousNumber, NotANumber, read_number
from .rubric import GRADES, Rubric
from .suggestions import suggest

# The public field names (DESIGN.md 4.3). The XLSX template and the bulk CSV use the flattened
# commitment fields, where `evidence: {grade, description}` becomes evidence_grade/evidence_description.
BID_FIELDS = ["bidder", "supplier_id", "contact_email", "contact_address", "price"]
# A tender in lots (DESIGN.md 9.3): each bid names its lot (YAML/JSON key, the Bid sheet's field, a column of
# each bulk CSV). Required when the rubric has lots, refused when it has none; "" in the tables without lots.
LOT_FIELD = "lot"
COMMITMENT_FIELDS = [
    "id", "measure", "outcome", "description", "quantity", "unit", "claimed_proxy", "claimed_value",
    "start_year", "end_year", "persistence_years", "drop_off", "location", "beneficiaries",
    "evidence_grade", "evidence_description", "deadweight", "attribution", "displacement",
    "deflator_rationale", "narrative", "kpi", "contract_specific",
]
TEXT_FIELDS = ["id", "measure", "outcome", "description", "unit", "location", "beneficiaries",
               "evidence_description", "deflator_rationale", "narrative", "kpi"]
MONEY_FIELDS = ["claimed_proxy", "claimed_value"]
SHARE_FIELDS = ["drop_off", "deadweight", "attribution", "displacement"]
BULK_BIDS = "bids.csv"
BULK_COMMITMENTS = "commitments.csv"
BULK_RESPONSES = "responses.csv"
MAX_LISTED = 20  # rows listed per file, field and problem before "and N more"
MONEY_LIMIT = 1e12  # £1 trillion: any £ figure above it is a typing slip, and sums of it must stay finite


def _read_csv(path: Path, data: bytes | None = None, parsed: Optional[Callable] = None) -> pd.DataFrame:
    """A bulk CSV, read by pyarrow (fast, multi-threaded); any parse problem is a one-line error. `data` is
    the file's content when it was uploaded rather than named (then `path` is only its name); `parsed(path)`
    may give the table already parsed from the file (None: parse it here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .documents import decode_text, parse_csv, read_text, separator_note, sniffed_separator
    if data is None:
        if not path.is_file():
            raise InputError("file not found", file=path)
        with open(path, "rb") as fh:
            head = fh.read(65536)
    else:
        head = data[:65536]
    if b"\x00" in head[:4096]:
        raise InputError("is not a CSV file (binary content)", file=path)
    separator = sniffed_separator(head)  # ";" from Excel in much of Europe: recognised, read, and said
    if separator != ",":
        parsed = None  # the read-ahead parsed it with commas

    def parse(source) -> "pa.Table":
        try:
            table = parsed(path) if parsed is not None and source is path else None
            if table is not None:
                return table
            try:  # the fast, parallel parse; quoted line breaks inside a cell need the careful one
                table = parse_csv(source, delimiter=separator)
            except pa.ArrowInvalid:
                if not isinstance(source, Path):
                    source.seek(0)
                table = parse_csv(source, newlines_in_values=True, delimiter=separator)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "empty" in first.lower():
                # a better message for empty or non-text files
                read_text(path) if data is None else decode_text(data, path)
                raise InputError("is empty: expected a header row", file=path) from None
            where, detail = _locate_csv_problem(path, data, separator)
            raise InputError(f"is not valid CSV: {detail or first}", file=path, where=where) from None
        return table

    table, note = parse(path if data is None else io.BytesIO(data)), None
    if not _utf8_table(table):  # Excel's 'CSV (Comma delimited)' is Windows-1252: read it as such, and say so
        text, note = _windows_1252(path, data)
        table = parse(io.BytesIO(text.encode("utf-8")))
    if separator != ",":
        note = separator_note(path, separator) + (f"; {note}" if note else "")
    columns, clean = {}, []
    for name, col in zip(table.column_names, table.columns):
        name = str(name).strip()
        value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if pa.types.is_binary(value_type) or pa.types.is_large_binary(value_type):
            raise InputError("is not UTF-8 text (in Excel, save it as 'CSV UTF-8')", file=path, where="column",
                             field=name)
        if not (pa.types.is_dictionary(col.type) or pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                or pa.types.is_null(col.type)
                or pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type)):
            col = col.cast(pa.string())  # dates, times...: kept as the text typed, for the checks to refuse
        if pa.types.is_floating(col.type) and len(col) and (pc.any(pc.is_nan(col)).as_py()
                                                            or pc.any(pc.is_inf(col)).as_py()):
            col = pc.utf8_trim_whitespace(col.cast(pa.string()))  # 'nan'/'inf' typed in: refused, not missing
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            columns[name] = _text_column(col)
            clean.append(name)
        elif pa.types.is_null(col.type):
            columns[name] = np.full(len(col), None, dtype=object)
            clean.append(name)
        else:
            columns[name] = col.to_numpy()
    header = [str(n).strip() for n in table.column_names]
    del table
    pa.default_memory_pool().release_unused()  # give the read buffers back before the evaluation needs the memory
    # column by column, each array kept as it is: the dict constructor would copy every column twice
    # (once into a Series, once into a 2-D block), a second half-gigabyte for a bulk file
    frame = pd.DataFrame(index=pd.RangeIndex(len(next(iter(columns.values()))) if columns else 0))
    for k, v in columns.items():
        frame[k] = pd.Series(v, index=frame.index, dtype=v.dtype, copy=False)
    frame.attrs["clean_text"] = clean
    frame.attrs["header"] = header
    frame.attrs["note"] = note
    return frame


def _utf8_table(table) -> bool:
    """pyarrow keeps a column that is not valid UTF-8 as bytes, and fails on a header that is not."""
    import pyarrow as pa
    try:
        table.column_names
    except UnicodeDecodeError:
        return False
    for col in table.columns:
        value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if pa.types.is_binary(value_type) or pa.types.is_large_binary(value_type):
            return False
    return True


def _windows_1252(path: Path, data: bytes | None = None) -> tuple[str, str]:
    """A CSV that is not UTF-8, read as Windows-1252 (what Excel writes for 'CSV (Comma delimited)' on a UK
    machine): (its text, the note that says so). Bytes Windows-1252 does not define are refused, by offset."""
    data = path.read_bytes() if data is None else data
    try:
        data.decode("utf-8")
        raise InputError("is not UTF-8 text (in Excel, save it as 'CSV UTF-8')", file=path)
    except UnicodeDecodeError as exc:
        first = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(f"is neither UTF-8 nor Windows-1252 text (byte {exc.start} is 0x{data[exc.start]:02X}); "
                         "in Excel, save it as 'CSV UTF-8'", file=path) from None
    return text, (f"{path}: not UTF-8 (byte {first} is 0x{data[first]:02X}), so read as Windows-1252, the "
                  "encoding Excel uses for 'CSV (Comma delimited)'; save it as 'CSV UTF-8' to be sure")


def _locate_csv_problem(path: Path, data: bytes | None = None,
                        separator: str = ",") -> tuple[str | None, str | None]:
    """pyarrow says what is wrong but not where: find the first row a person would have to fix."""
    import csv

    try:
        with (open(path, newline="", encoding="utf-8-sig", errors="replace") if data is None else
              io.TextIOWrapper(io.BytesIO(data), newline="", encoding="utf-8-sig", errors="replace")) as fh:
            reader = csv.reader(fh, strict=True, delimiter=separator)
            header = next(reader, None)
            if header is None:
                return None, None
            for row in reader:
                if row and len(row) != len(header):
                    return f"row {reader.line_num}", (f"has {len(row)} cells but the header has {len(header)} "
                                                     "(a comma inside a value needs quotes)")
    except csv.Error as exc:
        return f"row {reader.line_num}", f"{exc} (a quote that is opened must be closed)"
    return None, None


def _text_column(col):
    """An Arrow text column as the loaders keep text: trimmed, blank = missing, as a pandas categorical
    (dictionary-encoded in C, trimmed per distinct value), so repeated text costs little and its codes
    travel with it: the checks and the valuation group and compare by them, not by hashing a million
    strings again. Mostly distinct text is kept as Python strings (an object array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        if (pa.types.is_dictionary(col.type) and len(col)
                and sum(len(chunk.dictionary) for chunk in col.chunks) * 2 > len(col)):
            # mostly distinct text (a cohort described row by row): unifying the chunks' dictionaries
            # would hash every value for nothing; decoded and trimmed in Arrow instead, blank = None
            text = pc.utf8_trim_whitespace(col.cast(pa.string()))
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            return text.to_numpy(zero_copy_only=False)
        col = col.combine_chunks()  # dictionary chunks are unified into one dictionary here
    encoded = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    values = pc.utf8_trim_whitespace(encoded.dictionary).to_numpy(zero_copy_only=False).astype(object)
    values[values == ""] = None
    # the dictionary lists values in order of first appearance; trimming may make two entries one
    canon, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = np.append(canon, -1).astype(np.int32)[encoded.indices.fill_null(len(values)).to_numpy()]
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object), validate=False)


class ValueChecker:
    """Vectorised value checks over a table of rows that may come from many files.

    Each check takes a whole column; only rows that fail are turned into messages (at most MAX_LISTED
    per file, field and problem, then one 'and N more' line), so a million good rows cost a few array
    operations and no Python loop.
    """

    def __init__(self, frame: pd.DataFrame):
        self.f = frame.reset_index(drop=True)
        self.bad = np.zeros(len(self.f), dtype=bool)
        self.problems: list[EvaluatorError] = []

    def where(self, i: int) -> str:
        loc = self.f["_loc"].iat[i] if "_loc" in self.f else None
        if isinstance(loc, str):
            return loc
        return f"row {int(self.f['_row'].iat[i])}"

    def column(self, name: str) -> pd.Series:
        if name in self.f:
            return self.f[name]
        return pd.Series([None] * len(self.f), index=self.f.index, dtype=object)

    def flag(self, mask: Any, field: str | None, problem: str, values: pd.Series | None = None,
             show_value: bool = True) -> None:
        """Mark the rows of `mask` in error, each named (file, row, field, value unless `show_value` is
        False: a value that is missing says nothing)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        idx = np.flatnonzero(mask)
        files = self.f["_file"].to_numpy(dtype=object)[idx]
        shown = values if values is not None else (self.f[field] if field in self.f else None)
        for file in dict.fromkeys(files):
            rows = idx[files == file]
            for i in rows[:MAX_LISTED]:
                value = _value_at(shown, int(i)) if shown is not None and show_value else ...
                self.problems.append(InputError(problem, file=file, where=self.where(int(i)), field=field,
                                                value=value))
            if len(rows) > MAX_LISTED:
                self.problems.append(InputError(f"{problem} (and {len(rows) - MAX_LISTED} more rows like this)",
                                                file=file, field=field))

    @staticmethod
    def _present(s: pd.Series) -> np.ndarray:
        """Given at all: not missing and, for text, not blank."""
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            return per_unique(s, _is_given).to_numpy(dtype=bool)
        return np.array(s.notna().to_numpy(), dtype=bool)

    def number(self, name: str, *, required: bool = False, minimum: float | None = None,
               above: float | None = None, maximum: float | None = None, integer: bool = False,
               finite: bool = True, why: str = "", share: bool = False) -> pd.Series:
        """The column as floats (NaN = not given); type and range problems flagged. A `share` (deadweight,
        attribution, displacement, drop-off) may be typed as a percentage: 20% reads as 0.2."""
        reader = _as_share if share else _as_number
        not_a_number = ("not a number: write a share as 0.2 or 20%" if share else
                        "not a number (write digits only, e.g. 4650000, without £ or units)")
        s = self.column(name)
        present = self._present(s)
        if pd.api.types.is_bool_dtype(s):
            num = pd.Series(np.nan, index=s.index)
            self.flag(present, name, "must be a number, not true/false")
            return num
        if pd.api.types.is_numeric_dtype(s):
            num = s.astype(float)
        elif not present.any():  # a column left blank throughout (displacement, often): nothing to read
            num = pd.Series(np.nan, index=s.index, dtype=float)
        else:
            obj = s.astype(object)
            # by type, value by value: True == 1 to Python, so grouping equal values would mix them up
            is_bool = np.fromiter((type(v) is bool for v in obj.to_numpy()), dtype=bool, count=len(obj))
            if is_bool.any():
                self.flag(is_bool, name, "must be a number, not true/false")
                obj = obj.where(~is_bool)
                present &= ~is_bool
            # read once per distinct value: (number, None) or (NaN, why it is refused; "" = not a number)
            num = per_unique(obj, lambda v: reader(v)[0]).astype(float)
            why = per_unique(obj, lambda v: reader(v)[1])
            nan_text = per_unique(obj, lambda v: isinstance(v, str) and v.strip().lower() in ("nan", ".nan")
                                  ).to_numpy(dtype=bool)
            self.flag(present & nan_text, name, "must be a finite number, not NaN")
            for reason in dict.fromkeys(r for r in why[present].to_numpy() if r is not None):
                self.flag(present & (why == reason).to_numpy(), name, reason or not_a_number)
        num = num.where(present)
        values = num.to_numpy()
        given = present & ~np.isnan(values)
        if required:
            self.flag(~present, name, f"required but missing{why}", show_value=False)
        if finite:
            self.flag(given & ~np.isfinite(values), name, "must be a finite number")
        ok = given & np.isfinite(values)
        if share:  # 0 to 1, or 0% to 100%: said in the words the supplier may have typed
            self.flag(ok & ((values < 0) | (values > 1)), name,
                      "is a share, so it must be between 0 and 1 or between 0% and 100% (0.2 and 20% both mean "
                      "a fifth)")
            minimum = maximum = None
        if minimum is not None:
            self.flag(ok & (values < minimum), name, f"must be {minimum:g} or more")
        if above is not None:
            self.flag(ok & (values <= above), name, f"must be above {above:g}")
        if maximum is not None:
            limit = (f"must be between 0 and {maximum:g}" + (" (a share: 0.2 means 20%)" if maximum == 1 else "")
                     if maximum < MONEY_LIMIT else "is more than £1 trillion: check the number")
            self.flag(ok & (values > maximum), name, limit)
        if integer:
            self.flag(ok & (np.mod(values, 1) != 0), name, "must be a whole number of years")
        return num

    def text(self, name: str, *, required: bool = False) -> pd.Series:
        """The column as Python strings (None where missing), trimmed."""
        return as_objects(self.coded(name, required=required))

    def coded(self, name: str, *, required: bool = False) -> pd.Series:
        """The column as :meth:`text` has it, keeping the codes it came with (a bulk CSV's text arrives
        as a categorical, trimmed already)."""
        s = self.column(name)
        if name not in self.f.attrs.get("clean_text", ()):
            s = clean_text(s)
        if required:
            self.flag(missing(s), name, "required but missing", show_value=False)
        return s

    def grade(self, name: str) -> pd.Series:
        # decided once per distinct value as typed: a million rows cost one hash pass
        s = self.coded(name)
        codes, uniques = factorize(s)
        upper = [v.upper() if isinstance(v, str) else None for v in uniques]
        known = np.array([v in GRADES for v in upper] + [False], dtype=bool)
        unknown = np.array([v is not None for v in upper] + [False], dtype=bool) & ~known
        self.flag(unknown[codes], name, "must be an evidence grade E0, E1, E2, E3 or E4")
        done = spread_codes([v if ok else None for v, ok in zip(upper, known)], codes)
        return pd.Series(done, index=s.index, copy=False)

    def boolean(self, name: str, default: bool) -> pd.Series:
        s = self.column(name)
        if pd.api.types.is_bool_dtype(s):
            return s.astype(bool)
        truth = {"true": True, "yes": True, "y": True, "1": True, "1.0": True,
                 "false": False, "no": False, "n": False, "0": False, "0.0": False, "": default}
        out = per_unique(s, lambda v: v if isinstance(v, bool) else
                         truth.get("" if v is None or v != v else str(v).strip().lower()))
        self.flag(out.isna().to_numpy(), name, "must be true or false")
        return out.where(out.notna(), default).astype(bool)


def _value_at(s: pd.Series, i: int) -> Any:
    """The value in row i as a user typed it (None where missing), for a problem's message."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        code = int(s.cat.codes.iat[i])
        return None if code < 0 else s.cat.categories[code]
    return s.iat[i]


def _is_given(v: Any) -> bool:
    return v is not None and v == v and not (isinstance(v, str) and not v.strip())


def _as_share(v: Any) -> tuple[float, str | None]:
    """A share as typed: 0.2, or 20% (read as 0.2); otherwise as :func:`_as_number`."""
    if isinstance(v, str) and v.strip().endswith("%"):
        x, why = _as_number(v.strip()[:-1].strip())
        return (x / 100.0 if why is None else x), why
    return _as_number(v)


def _as_number(v: Any) -> tuple[float, str | None]:
    """(number, None), or (NaN, why not): '4,650,000' reads as a number, '1,5', '0x10' and '1:30' are refused
    with the reason (numbers.py: a number means what it looks like), other text is not a number (''). An
    integer beyond any float is infinite (and refused as such); missing is (NaN, None)."""
    if v is None or (isinstance(v, float) and v != v):
        return np.nan, None
    try:
        return read_number(v), None
    except AmbiguousNumber as exc:
        return np.nan, str(exc)
    except NotANumber:
        if isinstance(v, str) and v.strip().lower() in ("nan", ".nan", ""):
            return np.nan, None
        return np.nan, ""


def tender_lots(rubric: Rubric) -> tuple[list[str], str | None]:
    """(the lot ids a bid may name, the lot a blank `lot` means). A tender in lots: its lots, and a blank is
    refused; one lot's rubric (Rubric.for_lot): that lot, which a blank means; a tender without lots: none."""
    lots = [str(lot.id) for lot in (getattr(rubric, "lots", None) or [])]
    if lots:
        return lots, None
    own = getattr(rubric, "lot", None)
    if own is not None:
        return [str(own.id)], str(own.id)
    return [], None


def lot_durations(rubric: Rubric) -> dict[str, float]:
    """Each lot's own term in years, where it gives one (DESIGN 9: a lot may override duration_years)."""
    return {str(lot.id): float(lot.duration_years) for lot in (getattr(rubric, "lots", None) or [])
            if getattr(lot, "duration_years", None) is not None}


def lot_labels(rubric: Rubric) -> str:
    """The tender's lots as a commissioner names them: 'L1 (North routes), L2 (South routes)'."""
    lots = list(getattr(rubric, "lots", None) or []) or [x for x in [getattr(rubric, "lot", None)] if x]
    return ", ".join(f"{lot.id} ({lot.title})" if getattr(lot, "title", None) else str(lot.id) for lot in lots)


def no_lots(n: int) -> pd.Categorical:
    """The `lot` column of a tender without lots: "" on every row, as one category (no per-row work)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([""], dtype=object),
                                     validate=False)


def checked_lots(c: ValueChecker, rubric: Rubric) -> pd.Series | pd.Categorical:
    """The `lot` of each row in `c`, checked against the tender's lots: required (and known) when the tender
    has lots, refused when it has none. Decided once per distinct value; without lots, "" throughout."""
    lots, default = tender_lots(rubric)
    if not lots:
        if LOT_FIELD in c.f:
            s = c.coded(LOT_FIELD)
            c.flag(~missing(s), LOT_FIELD, "this tender is not let in lots: leave lot out (or blank)")
        return no_lots(len(c.f))
    s = c.coded(LOT_FIELD)
    codes, uniques = factorize(s)
    if default is None:
        c.flag(codes < 0, LOT_FIELD, f"required: this tender is let in lots; name one of {lot_labels(rubric)}",
               show_value=False)
    for j, value in enumerate(uniques):
        if str(value) not in lots:
            same = [lot for lot in lots if lot.casefold() == str(value).strip().casefold()]  # 'l1' for 'L1'
            hint = f" (did you mean '{same[0]}'?)" if same else suggest(str(value), lots)
            c.flag(codes == j, LOT_FIELD, f"is not a lot of this tender (its lots are {lot_labels(rubric)}){hint}")
    per_value = [str(v) for v in uniques]
    if default is not None:  # a blank names the lot this rubric is for
        codes = np.where(codes < 0, len(per_value), codes)
        per_value.append(default)
    if isinstance(s.dtype, pd.CategoricalDtype):  # a bulk CSV's column keeps its codes
        return pd.Series(spread_codes(per_value, codes), index=s.index, copy=False)
    out = np.append(np.asarray(per_value, dtype=object), None)[codes]
    return pd.Series(out, index=s.index, dtype=object, copy=False)


def clean_commitments(frame: pd.DataFrame, duration: int, rubric: Rubric | None = None,
                      durations: dict[str, float] | None = None) -> tuple[pd.DataFrame, np.ndarray, list]:
    """Typed commitments with defaults filled, rows in error marked. Shares stay NaN when not stated:
    the checks need to know the supplier said nothing (SV111), and valuation applies the table defaults.
    With `rubric` (the bulk form), each row's own `lot` is checked against the tender's lots; without, the
    `lot` the rows carry (their bid's, checked with the bid) is kept, "" when they carry none. `durations`
    (lot id -> years, lot_durations) gives a lot's own term, the default end_year of its commitments."""
    c = ValueChecker(frame)
    out = pd.DataFrame(index=c.f.index)
    # text keeps the codes it came with (a bulk CSV's repeated text is categorical from the parse on)
    out["bidder"] = c.coded("bidder", required=True)
    if rubric is not None:
        out[LOT_FIELD] = checked_lots(c, rubric)
    else:
        out[LOT_FIELD] = c.f[LOT_FIELD].fillna("") if LOT_FIELD in c.f else no_lots(len(c.f))
    for name in TEXT_FIELDS:
        out[name] = c.coded(name, required=name in ("id", "measure"))
    # quantity: any number; zero, negative or infinite quantities are SV109 flags, not load errors
    out["quantity"] = c.number("quantity", finite=False)
    for name in MONEY_FIELDS:
        out[name] = c.number(name, minimum=0, maximum=MONEY_LIMIT)
    for name in SHARE_FIELDS:
        out[name] = c.number(name, share=True)
    out["start_year"] = c.number("start_year", minimum=1, integer=True).fillna(1.0)
    end_year = c.number("end_year", minimum=1, integer=True)
    if durations:  # a tender in lots, a lot with a term of its own: its commitments end with it by default
        out["end_year"] = end_year.fillna(lookup(out[LOT_FIELD], durations, float(duration)))
    else:
        out["end_year"] = end_year.fillna(float(duration))
    out["persistence_years"] = c.number("persistence_years", minimum=0, maximum=100, integer=True).fillna(0.0)
    c.flag((out["start_year"] > out["end_year"]).to_numpy(), "end_year",
           "is before start_year; a commitment must end in or after the year it starts",
           values=out["end_year"])
    out["drop_off"] = out["drop_off"].fillna(0.0)
    out["evidence_grade"] = c.grade("evidence_grade")
    out["contract_specific"] = c.boolean("contract_specific", default=True)
    for meta in ("_file", "_loc", "_row", "_bid"):
        if meta in c.f:
            out[meta] = c.f[meta]
    # the same id twice in one bid: grouped by codes (the bid key is long text repeated down the rows)
    bid_codes = factorize(out["_bid"])[0] if "_bid" in out else np.zeros(len(out), int)
    id_codes = factorize(out["id"])[0]
    key = bid_codes.astype(np.int64) * (int(id_codes.max(initial=0)) + 2) + id_codes + 1
    dup = pd.Series(key, copy=False).duplicated(keep="first").to_numpy() & ~missing(out["id"])
    c.flag(dup, "id", "duplicate commitment id in this bid: each commitment needs its own id")
    return out, c.bad, c.problems


def clean_bids(frame: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, np.ndarray, list]:
    c = ValueChecker(frame)
    out = pd.DataFrame(index=c.f.index)
    out["bidder"] = c.text("bidder", required=True)
    out[LOT_FIELD] = as_objects(pd.Series(checked_lots(c, rubric), index=c.f.index))
    needs_price = rubric.price_criterion is not None
    out["price"] = c.number("price", required=needs_price, above=0, maximum=MONEY_LIMIT,
                            why=f" (the rubric scores price under {rubric.price_criterion.id})" if needs_price else "")
    for name in ("supplier_id", "contact_email", "contact_address"):
        out[name] = c.text(name)
    for meta in ("_file", "_loc", "_row", "_bid"):
        if meta in c.f:
            out[meta] = as_objects(c.f[meta])
    return out, c.bad, c.problems


def bulk_frames(folder: Path | None, files: list[Path], rubric: Rubric, problems: list, notes: list | None = None,
                data: dict[Path, bytes] | None = None, parsed: Optional[Callable] = None) -> tuple:
    """bids.csv, commitments.csv and responses.csv of the bulk form, with where-labels and bid keys. With
    `data` (uploads), each file's content is taken from it by name instead of read from disk; `parsed`
    gives a file's table when the command line has already parsed it (tuning.read_ahead)."""
    names = {p.name.lower(): p for p in files}
    bids_path = names.get(BULK_BIDS)
    com_path = names.get(BULK_COMMITMENTS)
    if bids_path is None or com_path is None:
        missing = BULK_BIDS if bids_path is None else BULK_COMMITMENTS
        problems.append(InputError(f"the bulk form needs both {BULK_BIDS} and {BULK_COMMITMENTS}; "
                                   f"{missing} is missing", file=folder))
        return None, None, None
    frames = {}
    # a tender in lots: each file says which lot a row belongs to (the lot column of each is required)
    lotted = bool(tender_lots(rubric)[0]) and tender_lots(rubric)[1] is None
    lot = [LOT_FIELD] if lotted else []
    for label, path, allowed, required in (
            ("bids", bids_path, BID_FIELDS + [LOT_FIELD], ["bidder"] + lot),
            ("commitments", com_path, ["bidder", LOT_FIELD] + COMMITMENT_FIELDS, ["bidder", "id", "measure"] + lot),
            ("responses", names.get(BULK_RESPONSES), ["bidder", LOT_FIELD, "criterion", "text"],
             ["bidder", "criterion", "text"] + lot)):
        if path is None:
            continue
        try:
            frame = _read_csv(path, None if data is None else data[path], parsed)
        except EvaluatorError as exc:
            problems.append(exc)
            return None, None, None
        if frame.attrs.get("note") and notes is not None:
            notes.append(frame.attrs["note"])
        bad_cols = False
        for col in frame.columns:
            if col not in allowed:
                problems.append(InputError(f"unknown column{suggest(col, allowed)}", file=path, where="row 1",
                                           field=col))
                bad_cols = True
        for col in required:
            if col not in frame.columns:
                problems.append(InputError("required column missing" + (
                    f": this tender is let in lots ({lot_labels(rubric)}); each row names its lot"
                    if col == LOT_FIELD else ""), file=path, where="row 1", field=col))
                bad_cols = True
        if len(set(frame.attrs.get("header", frame.columns))) != len(frame.attrs.get("header", frame.columns)):
            problems.append(InputError("a column appears twice in the header", file=path, where="row 1"))
            bad_cols = True
        if bad_cols:
            return None, None, None
        frame["_file"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8),
                                                   categories=pd.Index([str(path)], dtype=object))
        frame["_row"] = np.arange(2, len(frame) + 2)
        # one key per distinct bidder name as typed (cleaned the way the loaders keep text), spread to rows;
        # in a tender with lots, one per bidder and lot (a bid is a supplier's offer for one lot)
        codes, names = factorize(frame["bidder"])
        keys = [f"{bids_path}#{v or ''}" for v in clean_text(pd.Series(list(names) + [None], dtype=object))]
        if lotted:
            l_codes, l_names = factorize(frame[LOT_FIELD])
            lot_keys = np.array([f"#{v or ''}" for v in clean_text(pd.Series(list(l_names) + [None], dtype=object))],
                                dtype=object)
            pair, pairs = pd.factorize(codes.astype(np.int64) * (len(l_names) + 1) + np.where(l_codes < 0, len(l_names),
                                                                                             l_codes))
            first = group_starts(pair)
            keys = np.array(keys, dtype=object)[codes[first]] + lot_keys[l_codes[first]]
            codes = pair
        key_codes, key_values = pd.factorize(np.array(keys, dtype=object))  # two spellings may clean alike
        frame["_bid"] = pd.Categorical.from_codes(key_codes[codes], categories=pd.Index(key_values, dtype=object),
                                                  validate=False)
        frames[label] = frame
    return frames.get("bids"), frames.get("commitments"), frames.get("responses")
