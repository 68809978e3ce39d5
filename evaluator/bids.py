"""Bids in every form a supplier or a portal produces (DESIGN.md 4.3), loaded into three tables.

YAML, JSON and the XLSX template hold one bid per file; the bulk form (`bids.csv` + `commitments.csv`,
optionally `responses.csv`) holds thousands. Every form becomes the same three tables (bids, responses,
commitments) and passes the same vectorised checks, so a bid is judged the same whatever it came in.
A problem in one bid never hides the others: every problem is collected, and the bad bids are set aside.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .numbers import AmbiguousNumber, NotANumber, read_number
from .bid_documents import BID_FIELDS, COMMITMENT_FIELDS, document_to_records, read_document
from .rubric import GRADES, Rubric
from .util import (clean_text, factorize, factorize_text, missing, per_unique, quiet_numpy, remember_codes,
                   repeated, spread, suggest)

# How the checks read a commitment's values, shared by every form.
TEXT_FIELDS = ["id", "measure", "outcome", "description", "unit", "location", "beneficiaries",
               "evidence_description", "deflator_rationale", "narrative", "kpi"]
MONEY_FIELDS = ["claimed_proxy", "claimed_value"]
SHARE_FIELDS = ["drop_off", "deadweight", "attribution", "displacement"]
BULK_BIDS = "bids.csv"
BULK_COMMITMENTS = "commitments.csv"
BULK_RESPONSES = "responses.csv"
SINGLE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
MAX_LISTED = 20
MONEY_LIMIT = 1e12  # £1 trillion: any £ figure above it is a typing slip, and sums of it must stay finite  # rows listed per file, field and problem before "and N more"


@dataclass
class BidSet:
    """Everything loaded from a bids folder: the good bids as tables, and every problem found."""

    bids: pd.DataFrame          # one row per usable bid
    responses: pd.DataFrame     # bidder, criterion, text
    commitments: pd.DataFrame   # one row per commitment, typed, in submission order
    problems: list[EvaluatorError] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)     # {file, bidder, problems}
    ignored_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)         # how a file was read, when a user should know

    def require_valid(self) -> "BidSet":
        """Refuse the whole set when anything was wrong (the default: nothing is ranked on bad data)."""
        if self.problems:
            raise InputErrors(self.problems)
        return self

    @property
    def bidders(self) -> list[str]:
        return self.bids["bidder"].tolist()


def _empty_commitments(duration: int) -> pd.DataFrame:
    """No commitments at all, typed like real ones so every later step works unchanged."""
    blank = pd.DataFrame({c: pd.Series(dtype=object) for c in ["bidder"] + COMMITMENT_FIELDS + ["_bid", "_file", "_loc"]})
    return _clean_commitments(blank, duration)[0]


def _read_csv(path: Path) -> pd.DataFrame:
    """A bulk CSV, read by pyarrow (fast, multi-threaded); any parse problem is a one-line error."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .util import arrow_memory_pool, parse_csv, read_ahead_result, read_text
    if not path.is_file():
        raise InputError("file not found", file=path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        raise InputError("is not a CSV file (binary content)", file=path)
    pool = arrow_memory_pool()

    def parse(source) -> "pa.Table":
        try:
            table = read_ahead_result(path) if source is path else None  # parsed while the tool was loading
            if table is None:
                try:  # the fast, parallel parse; quoted line breaks inside a cell need the careful one
                    table = parse_csv(source)
                except pa.ArrowInvalid:
                    if not isinstance(source, Path):
                        source.seek(0)
                    table = parse_csv(source, newlines_in_values=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "empty" in first.lower():
                read_text(path)  # a better message for empty or non-text files
                raise InputError("is empty: expected a header row", file=path) from None
            where, detail = _locate_csv_problem(path)
            raise InputError(f"is not valid CSV: {detail or first}", file=path, where=where) from None
        return table

    table, note = parse(path), None
    if not _utf8_table(table):  # Excel's 'CSV (Comma delimited)' is Windows-1252: read it as such, and say so
        text, note = _windows_1252(path)
        table = parse(io.BytesIO(text.encode("utf-8")))
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
    if pool is not None:
        pool.release_unused()  # give the read buffers back before the evaluation needs the memory
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


def _windows_1252(path: Path) -> tuple[str, str]:
    """A CSV that is not UTF-8, read as Windows-1252 (what Excel writes for 'CSV (Comma delimited)' on a UK
    machine): (its text, the note that says so). Bytes Windows-1252 does not define are refused, by offset."""
    data = path.read_bytes()
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


def _locate_csv_problem(path: Path) -> tuple[str | None, str | None]:
    """pyarrow says what is wrong but not where: find the first row a person would have to fix."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            reader = csv.reader(fh, strict=True)
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


def _text_column(col) -> np.ndarray:
    """An Arrow text column as the loaders keep text: trimmed, blank = None, one Python string per
    distinct value (dictionary-encoded in C, trimmed per distinct value), so repeated text costs little.
    Its codes come with it (util.remember_codes): the checks group and compare by them, not by hashing
    a million strings again."""
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
    uniques = np.asarray(uniques, dtype=object)
    codes = np.append(canon, -1).astype(np.int32)[encoded.indices.fill_null(len(values)).to_numpy()]
    out = np.append(uniques, None)[codes]
    remember_codes(out, codes, uniques)
    return out


class _Checker:
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

    def flag(self, mask: Any, field: str | None, problem: str, values: pd.Series | None = None) -> None:
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
                value = shown.iat[i] if shown is not None else ...
                self.problems.append(InputError(problem, file=file, where=self.where(int(i)), field=field,
                                                value=value))
            if len(rows) > MAX_LISTED:
                self.problems.append(InputError(f"{problem} (and {len(rows) - MAX_LISTED} more rows like this)",
                                                file=file, field=field))

    @staticmethod
    def _present(s: pd.Series) -> np.ndarray:
        """Given at all: not missing and, for text, not blank."""
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            return per_unique(s, _is_given).to_numpy(dtype=bool)
        return np.array(s.notna().to_numpy(), dtype=bool)

    def number(self, name: str, *, required: bool = False, minimum: float | None = None,
               above: float | None = None, maximum: float | None = None, integer: bool = False,
               finite: bool = True, why: str = "") -> pd.Series:
        """The column as floats (NaN = not given); type and range problems flagged."""
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
            num = per_unique(obj, lambda v: _as_number(v)[0]).astype(float)
            why = per_unique(obj, lambda v: _as_number(v)[1])
            nan_text = per_unique(obj, lambda v: isinstance(v, str) and v.strip().lower() in ("nan", ".nan")
                                  ).to_numpy(dtype=bool)
            self.flag(present & nan_text, name, "must be a finite number, not NaN")
            for reason in dict.fromkeys(r for r in why[present].to_numpy() if r is not None):
                self.flag(present & (why == reason).to_numpy(), name,
                          reason or "not a number (write digits only, e.g. 4650000, without £ or units)")
        num = num.where(present)
        values = num.to_numpy()
        given = present & ~np.isnan(values)
        if required:
            self.flag(~present, name, f"required but missing{why}")
        if finite:
            self.flag(given & ~np.isfinite(values), name, "must be a finite number")
        ok = given & np.isfinite(values)
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
        s = self.column(name)
        if name not in self.f.attrs.get("clean_text", ()):  # the bulk CSV reader has trimmed it already
            s = clean_text(s)
        if required:
            self.flag(missing(s), name, "required but missing")
        return s

    def grade(self, name: str) -> pd.Series:
        # decided once per distinct value as typed: a million rows cost one hash pass
        s = self.text(name)
        codes, uniques = factorize(s)
        upper = [v.upper() if isinstance(v, str) else None for v in uniques]
        known = np.array([v in GRADES for v in upper] + [False], dtype=bool)
        unknown = np.array([v is not None for v in upper] + [False], dtype=bool) & ~known
        self.flag(unknown[codes], name, "must be an evidence grade E0, E1, E2, E3 or E4")
        done = spread([v if ok else None for v, ok in zip(upper, known)], codes)
        return pd.Series(done, index=s.index, dtype=object, copy=False)

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


def _is_given(v: Any) -> bool:
    return v is not None and v == v and not (isinstance(v, str) and not v.strip())


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


def _clean_commitments(frame: pd.DataFrame, duration: int) -> tuple[pd.DataFrame, np.ndarray, list]:
    """Typed commitments with defaults filled, rows in error marked. Shares stay NaN when not stated:
    the checks need to know the supplier said nothing (SV111), and valuation applies the table defaults."""
    c = _Checker(frame)
    out = pd.DataFrame(index=c.f.index)
    out["bidder"] = c.text("bidder", required=True)
    for name in TEXT_FIELDS:
        out[name] = c.text(name, required=name in ("id", "measure"))
    # quantity: any number; zero, negative or infinite quantities are SV109 flags, not load errors
    out["quantity"] = c.number("quantity", finite=False)
    for name in MONEY_FIELDS:
        out[name] = c.number(name, minimum=0, maximum=MONEY_LIMIT)
    for name in SHARE_FIELDS:
        out[name] = c.number(name, minimum=0, maximum=1)
    out["start_year"] = c.number("start_year", minimum=1, integer=True).fillna(1.0)
    out["end_year"] = c.number("end_year", minimum=1, integer=True).fillna(float(duration))
    out["persistence_years"] = c.number("persistence_years", minimum=0, maximum=100, integer=True).fillna(0.0)
    c.flag((out["start_year"] > out["end_year"]).to_numpy(), "end_year",
           "is before start_year; a commitment must end in or after the year it starts",
           values=out["end_year"])
    out["drop_off"] = out["drop_off"].fillna(0.0)
    out["evidence_grade"] = c.grade("evidence_grade")
    out["contract_specific"] = c.boolean("contract_specific", default=True)
    for meta in ("_file", "_loc", "_row", "_bid"):
        if meta in c.f:
            out[meta] = pd.Series(c.f[meta].to_numpy(), index=out.index, dtype=c.f[meta].dtype)
    # the same id twice in one bid: grouped by codes (the bid key is long text repeated down the rows)
    bid_codes = factorize_text(out["_bid"].to_numpy(dtype=object))[0] if "_bid" in out else np.zeros(len(out), int)
    id_codes = factorize_text(out["id"].to_numpy(dtype=object))[0]
    key = bid_codes.astype(np.int64) * (int(id_codes.max(initial=0)) + 2) + id_codes + 1
    dup = pd.Series(key, copy=False).duplicated(keep="first").to_numpy() & ~missing(out["id"])
    c.flag(dup, "id", "duplicate commitment id in this bid: each commitment needs its own id")
    return out, c.bad, c.problems


def _clean_bids(frame: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, np.ndarray, list]:
    c = _Checker(frame)
    out = pd.DataFrame(index=c.f.index)
    out["bidder"] = c.text("bidder", required=True)
    needs_price = rubric.price_criterion is not None
    out["price"] = c.number("price", required=needs_price, above=0, maximum=MONEY_LIMIT,
                            why=f" (the rubric scores price under {rubric.price_criterion.id})" if needs_price else "")
    for name in ("supplier_id", "contact_email", "contact_address"):
        out[name] = c.text(name)
    for meta in ("_file", "_loc", "_row", "_bid"):
        if meta in c.f:
            out[meta] = pd.Series(c.f[meta].to_numpy(), index=out.index, dtype=c.f[meta].dtype)
    return out, c.bad, c.problems


def _bulk_frames(folder: Path, files: list[Path], rubric: Rubric, problems: list, notes: list | None = None) -> tuple:
    """bids.csv, commitments.csv and responses.csv of the bulk form, with where-labels and bid keys."""
    names = {p.name.lower(): p for p in files}
    bids_path = names.get(BULK_BIDS)
    com_path = names.get(BULK_COMMITMENTS)
    if bids_path is None or com_path is None:
        missing = BULK_BIDS if bids_path is None else BULK_COMMITMENTS
        problems.append(InputError(f"the bulk form needs both {BULK_BIDS} and {BULK_COMMITMENTS}; "
                                   f"{missing} is missing", file=folder))
        return None, None, None
    frames = {}
    for label, path, allowed, required in (
            ("bids", bids_path, BID_FIELDS, ["bidder"]),
            ("commitments", com_path, ["bidder"] + COMMITMENT_FIELDS, ["bidder", "id", "measure"]),
            ("responses", names.get(BULK_RESPONSES), ["bidder", "criterion", "text"],
             ["bidder", "criterion", "text"])):
        if path is None:
            continue
        try:
            frame = _read_csv(path)
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
                problems.append(InputError("required column missing", file=path, where="row 1", field=col))
                bad_cols = True
        if len(set(frame.attrs.get("header", frame.columns))) != len(frame.attrs.get("header", frame.columns)):
            problems.append(InputError("a column appears twice in the header", file=path, where="row 1"))
            bad_cols = True
        if bad_cols:
            return None, None, None
        frame["_file"] = pd.Series(repeated(len(frame), str(path)), index=frame.index, dtype=object, copy=False)
        frame["_row"] = np.arange(2, len(frame) + 2)
        # one key per distinct bidder name as typed (cleaned the way the loaders keep text), spread to rows
        codes, names = factorize_text(frame["bidder"].to_numpy(dtype=object))
        keys = [f"{bids_path}#{v or ''}" for v in clean_text(pd.Series(list(names) + [None], dtype=object))]
        frame["_bid"] = pd.Series(np.array(keys, dtype=object)[codes], index=frame.index, dtype=object, copy=False)
        frames[label] = frame
    return frames.get("bids"), frames.get("commitments"), frames.get("responses")


@quiet_numpy
def load_bids(folder: Path | str, rubric: Rubric) -> BidSet:
    """Load every bid in a folder (single files and/or the bulk CSV form) and check every value.

    Problems are collected, never raised one at a time; a bid with any problem is set aside whole
    (listed in `skipped`), so callers can refuse everything (the default) or rank the rest.
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputError("bids folder not found", file=folder)
    if not folder.is_dir():
        raise InputError("is a file; --bids takes the folder that holds the bids", file=folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    singles = [p for p in files if p.suffix.lower() in SINGLE_SUFFIXES]
    bulk = [p for p in files if p.name.lower() in (BULK_BIDS, BULK_COMMITMENTS, BULK_RESPONSES)]
    ignored = [p.name for p in files if p not in singles and p not in bulk]
    if not singles and not bulk:
        raise InputError("no bids found: expected one bid per .yaml, .yml, .json or .xlsx file, or the bulk "
                         f"form {BULK_BIDS} + {BULK_COMMITMENTS}", file=folder)
    bidset = _load(folder, [(p, None) for p in singles], bulk, rubric)
    bidset.ignored_files = ignored
    return bidset


@quiet_numpy
def load_bid_files(files: Iterable[tuple[str, bytes]], rubric: Rubric) -> BidSet:
    """Bids given as data (uploaded files): each (file name, content), read as load_bids reads a folder
    holding those files: single bids in YAML, JSON or XLSX, and/or the bulk pair. Messages and the
    tables' `_file` name each file by the name given, as the user knows it.
    """
    files = [(str(name), bytes(data)) for name, data in files]
    names = [name for name, _ in files]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputErrors([InputError("two files have this name; rename one", file=name) for name in twice])
    usable = [(name, data) for name, data in files if not Path(name).name.startswith((".", "~$"))]
    singles = [(Path(name), data) for name, data in usable if Path(name).suffix.lower() in SINGLE_SUFFIXES]
    bulk = [(name, data) for name, data in usable
            if Path(name).name.lower() in (BULK_BIDS, BULK_COMMITMENTS, BULK_RESPONSES)]
    bulk_names = {name for name, _ in bulk}
    ignored = [Path(name).name for name, _ in usable
               if Path(name).suffix.lower() not in SINGLE_SUFFIXES and name not in bulk_names]
    if not singles and not bulk:
        raise InputError("no bids found: expected one bid per .yaml, .yml, .json or .xlsx file, or the bulk "
                         f"form {BULK_BIDS} + {BULK_COMMITMENTS}")
    if not bulk:
        bidset = _load(Path(), singles, [], rubric)
    else:
        # The bulk reader (pyarrow, with its read-ahead) reads files: the pair is written to a private
        # folder for it, and every name that folder would put in a message is the upload's name again.
        with tempfile.TemporaryDirectory(prefix="sv-bulk-") as tmp:
            paths = []
            for name, data in bulk:
                path = Path(tmp) / Path(name).name
                path.write_bytes(data)
                paths.append(path)
            bidset = _load(Path(tmp), singles, paths, rubric)
            _unfold(bidset, tmp)
    bidset.ignored_files = ignored
    return bidset


def _unfold(bidset: BidSet, folder: str) -> None:
    """Names in `folder` as the bare names the files were given (see load_bid_files)."""
    inside = folder + os.sep

    def name(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return None if value == folder else value.replace(inside, "")

    for frame in (bidset.bids, bidset.commitments, bidset.responses):
        for column in ("_file", "_bid"):
            if column in frame.columns and len(frame):
                codes, uniques = pd.factorize(frame[column])
                renamed = np.array([name(u) for u in uniques] + [None], dtype=object)
                frame[column] = pd.Series(renamed[codes], index=frame.index, dtype=object)
    for problem in bidset.problems:
        for e in problem.errors if isinstance(problem, InputErrors) else [problem]:
            e.file = name(e.file)
    bidset.notes = [name(n) for n in bidset.notes]
    for entry in bidset.skipped:
        entry["file"] = name(entry["file"])


def _load(folder: Path, singles: list[tuple[Path, bytes | None]], bulk: list[Path], rubric: Rubric) -> BidSet:
    """The bids of `singles` (each a file, or a name with its content) and of the bulk pair `bulk`."""
    problems: list[EvaluatorError] = []
    notes: list[str] = []
    invalid: set[str] = set()
    bid_rows, response_rows, commitment_rows = [], [], []
    for path, data in singles:
        try:
            doc = read_document(path, data)
            bid, responses, commitments, issues = document_to_records(doc, path, rubric)
        except InputErrors as exc:
            bid, responses, commitments, issues = {}, [], [], exc.errors
        except EvaluatorError as exc:
            bid, responses, commitments, issues = {}, [], [], [exc]
        key = str(path)
        if not bid:  # the file did not parse: nothing more to say about its values
            problems.extend(issues)
            invalid.add(key)
            bid_rows.append({"_bid": key, "_file": str(path), "_loc": "bid", "bidder": None, "_unread": True})
            continue
        bid.update({"_bid": key, "_file": str(path), "_loc": "bid"})
        for r in responses + commitments:
            r["_bid"] = key
        if issues:
            problems.extend(issues)
            invalid.add(key)
        bid_rows.append(bid)
        response_rows.extend(responses)
        commitment_rows.extend(commitments)

    single_bids = pd.DataFrame(bid_rows) if bid_rows else pd.DataFrame(columns=["_bid", "_file", "_loc"])
    single_com = pd.DataFrame(commitment_rows) if commitment_rows else None
    parts_bids, parts_com, parts_resp = [], [], []
    if bid_rows:
        unread = single_bids["_unread"].fillna(False).to_numpy(dtype=bool) if "_unread" in single_bids else \
            np.zeros(len(single_bids), dtype=bool)
        cleaned, bad, issues = _clean_bids(single_bids[~unread], rubric)
        problems.extend(issues)
        invalid.update(cleaned.loc[bad, "_bid"])
        parts_bids.append(cleaned)
        if unread.any():
            parts_bids.append(single_bids.loc[unread, ["_bid", "_file", "_loc", "bidder"]])
    if single_com is not None:
        cleaned, bad, issues = _clean_commitments(single_com, rubric.tender.duration_years)
        problems.extend(issues)
        invalid.update(cleaned.loc[bad, "_bid"])
        parts_com.append(cleaned)
    if response_rows:
        parts_resp.append(pd.DataFrame(response_rows))

    unreadable_bulk = False
    if bulk:
        b, cm, rs = _bulk_frames(folder, bulk, rubric, problems, notes)
        unreadable_bulk = b is None
        if b is not None:
            cleaned, bad, issues = _clean_bids(b, rubric)
            problems.extend(issues)
            invalid.update(cleaned.loc[bad, "_bid"])
            parts_bids.append(cleaned)
            cleaned, bad, issues = _clean_commitments(cm, rubric.tender.duration_years)
            problems.extend(issues)
            invalid.update(cleaned.loc[bad, "_bid"].unique())
            known = cleaned["_bid"].isin(set(parts_bids[-1]["_bid"])).to_numpy()
            orphan = _Checker(cm)
            orphan.flag(~known & ~missing(cleaned["bidder"]), "bidder",
                        f"this bidder has no row in {BULK_BIDS}")
            problems.extend(orphan.problems)
            parts_com.append(cleaned if known.all() else cleaned[known])  # a million rows: copy only to drop
            if rs is not None:
                rc = _Checker(rs)
                resp = pd.DataFrame({"bidder": rc.text("bidder", required=True),
                                     "criterion": rc.text("criterion", required=True),
                                     "text": rc.text("text"), "_bid": rc.f["_bid"].to_numpy()})
                scale_ids = [c.id for c in rubric.scale_criteria]
                rc.flag((resp["criterion"].notna() & ~resp["criterion"].isin(scale_ids)).to_numpy(), "criterion",
                        f"is not a scale criterion of this rubric (expected one of {', '.join(scale_ids)})")
                problems.extend(rc.problems)
                invalid.update(resp.loc[rc.bad, "_bid"])
                parts_resp.append(resp[~rc.bad & resp["text"].notna().to_numpy()])

    bids = pd.concat(parts_bids, ignore_index=True) if parts_bids else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in BID_FIELDS + ["_bid", "_file", "_loc"]})
    bids["price"] = pd.to_numeric(bids["price"], errors="coerce").astype(float) if "price" in bids else np.nan
    # A bidder may appear once in a tender: the first file keeps the name, later ones are in error.
    named = bids["bidder"].notna()
    dup = bids.duplicated("bidder", keep="first") & named
    for i in np.flatnonzero(dup.to_numpy()):
        first = bids.loc[(bids["bidder"] == bids["bidder"].iat[i]) & ~dup, "_file"].iat[0]
        problems.append(InputError(f"duplicate bidder: the same name is already used by {first}",
                                   file=bids["_file"].iat[i], where=_where_label(bids, i), field="bidder",
                                   value=bids["bidder"].iat[i]))
        invalid.add(bids["_bid"].iat[i])

    skipped = [{"file": f, "bidder": None if pd.isna(b) else b} for f, b in
               bids.loc[bids["_bid"].isin(invalid), ["_file", "bidder"]].itertuples(index=False)]
    if unreadable_bulk:  # every bid in the bulk files is set aside, though none can be named
        skipped.append({"file": str(folder / BULK_BIDS), "bidder": None})
    good = ~bids["_bid"].isin(invalid)
    bids = bids[good].reset_index(drop=True)
    if len(parts_com) == 1:
        commitments = parts_com[0].reset_index(drop=True)
    else:
        commitments = pd.concat(parts_com, ignore_index=True) if parts_com else \
            _empty_commitments(rubric.tender.duration_years)
    if "_bid" in commitments and invalid:
        drop = commitments["_bid"].isin(invalid).to_numpy()
        if drop.any():
            commitments = commitments[~drop].reset_index(drop=True)
    responses = pd.concat(parts_resp, ignore_index=True) if parts_resp else \
        pd.DataFrame(columns=["bidder", "criterion", "text", "_bid"])
    responses = responses[~responses["_bid"].isin(invalid)].reset_index(drop=True)
    return BidSet(bids=bids, responses=responses, commitments=commitments, problems=problems,
                  skipped=skipped, notes=notes)


def _where_label(frame: pd.DataFrame, i: int) -> str:
    loc = frame["_loc"].iat[i] if "_loc" in frame else None
    return loc if isinstance(loc, str) else f"row {int(frame['_row'].iat[i])}"


@quiet_numpy
def load_bid(path: Path | str, rubric: Rubric) -> BidSet:
    """A single draft bid (for a supplier's self-assessment): YAML, JSON or a filled XLSX template."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "is a folder, not a bid file", file=path)
    if path.suffix.lower() not in SINGLE_SUFFIXES:
        raise InputError("a bid file must be .yaml, .yml, .json or .xlsx", file=path)
    return _load(path.parent, [(path, None)], [], rubric)
