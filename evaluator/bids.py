"""Bids in every form a supplier or a portal produces (DESIGN.md 4.3), loaded into three tables.

YAML, JSON and the XLSX template hold one bid per file; the bulk form (`bids.csv` + `commitments.csv`,
optionally `responses.csv`) holds thousands. Every form becomes the same three tables (bids, responses,
commitments) and passes the same vectorised checks, so a bid is judged the same whatever it came in.
A problem in one bid never hides the others: every problem is collected, and the bad bids are set aside.

Bids come as files (load_bids: a folder; load_bid: one draft) or as data (load_bid_files: uploaded
(name, bytes) pairs, so the app needs no temporary folder). One document's shape is bid_documents.py's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .bid_documents import answerable, document_to_records, read_document
from .rubric import Rubric
from .bulk_bids import (BID_FIELDS, BULK_BIDS, BULK_COMMITMENTS, BULK_RESPONSES, COMMITMENT_FIELDS, LOT_FIELD,
                        bulk_frames, ValueChecker, checked_lots, clean_bids, clean_commitments, lot_durations,
                        tender_lots)
from .columns import as_objects, missing, quiet_numpy

SINGLE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
# a bid saved in a spreadsheet format that is not read: named, never passed over in silence
UNREAD_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers", ".fods")
READ_FORMATS = ".yaml, .yml, .json or .xlsx files, or the bulk pair bids.csv + commitments.csv"


def unread_format(name: str | Path) -> InputError:
    """The one line for a bid in a spreadsheet format the tool does not read."""
    suffix = Path(str(name)).suffix.lower()
    return InputError(f"is a {suffix} file, which is not read: bids are read from {READ_FORMATS}; save it as an "
                      "Excel Workbook (.xlsx)", file=Path(str(name)).name)


def _set_aside_unread(bidset: "BidSet", names: list[str], rubric: Rubric) -> "BidSet":
    """Each bid in a format not read becomes a problem and a bid set aside: the tender is not ranked
    without saying so (refused by default; listed as skipped with --skip-invalid)."""
    lotted = bool(tender_lots(rubric)[0])
    for name in names:
        bidset.problems.append(unread_format(name))
        bidset.skipped.append({"file": str(name), "bidder": None, **({LOT_FIELD: None} if lotted else {})})
    return bidset


@dataclass
class BidSet:
    """Everything loaded from a bids folder: the good bids as tables, and every problem found."""

    bids: pd.DataFrame          # one row per usable bid (with its `lot`: "" when the tender has no lots)
    responses: pd.DataFrame     # bidder, lot, criterion, text
    commitments: pd.DataFrame   # one row per commitment, typed, in submission order, with its bid's `lot`
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

    @property
    def lots(self) -> list[str]:
        """The lots the usable bids name, in the order they first appear ([] when the tender has no lots)."""
        if LOT_FIELD not in self.bids:
            return []
        return [lot for lot in dict.fromkeys(self.bids[LOT_FIELD].astype(object).tolist())
                if isinstance(lot, str) and lot]

    def for_lot(self, lot_id: str) -> "BidSet":
        """The bids, responses and commitments of one lot only (a supplier bids once per lot), for the
        engine to evaluate that lot as a tender of its own. Problems are kept whole (they concern the
        tender); bids set aside are those of this lot and those whose lot could not be read."""
        lot_id = str(lot_id)

        def only(frame: pd.DataFrame) -> pd.DataFrame:
            if LOT_FIELD not in frame:
                return frame.iloc[:0].reset_index(drop=True)
            keep = (frame[LOT_FIELD] == lot_id).to_numpy(dtype=bool)
            return frame[keep].reset_index(drop=True)

        return BidSet(bids=only(self.bids), responses=only(self.responses), commitments=only(self.commitments),
                      problems=list(self.problems),
                      skipped=[s for s in self.skipped if s.get(LOT_FIELD) in (lot_id, None, "")],
                      ignored_files=list(self.ignored_files), notes=list(self.notes))


def _empty_commitments(duration: int) -> pd.DataFrame:
    """No commitments at all, typed like real ones so every later step works unchanged."""
    blank = pd.DataFrame({c: pd.Series(dtype=object) for c in ["bidder"] + COMMITMENT_FIELDS + ["_bid", "_file", "_loc"]})
    return clean_commitments(blank, duration)[0]


@quiet_numpy
def load_bids(folder: Path | str, rubric: Rubric, *, parsed: Optional[Callable] = None) -> BidSet:
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
    unread = [p for p in files if p.suffix.lower() in UNREAD_SPREADSHEETS]
    if not singles and not bulk:
        if unread:
            raise InputErrors([unread_format(p) for p in unread])
        raise InputError("no bids found: expected one bid per .yaml, .yml, .json or .xlsx file, or the bulk "
                         f"form {BULK_BIDS} + {BULK_COMMITMENTS}", file=folder)
    bidset = _load(folder, [(p, None) for p in singles], bulk, rubric, parsed=parsed)
    bidset.ignored_files = ignored
    return _set_aside_unread(bidset, [str(p) for p in unread], rubric)


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
    unread = [name for name, _ in usable if Path(name).suffix.lower() in UNREAD_SPREADSHEETS]
    if not singles and not bulk:
        if unread:
            raise InputErrors([unread_format(name) for name in unread])
        raise InputError("no bids found: expected one bid per .yaml, .yml, .json or .xlsx file, or the bulk "
                         f"form {BULK_BIDS} + {BULK_COMMITMENTS}")
    contents = {Path(Path(name).name): data for name, data in bulk}  # the bulk pair, read from its bytes
    bidset = _load(None, singles, list(contents), rubric, contents)
    bidset.ignored_files = ignored
    return _set_aside_unread(bidset, unread, rubric)



def _load(folder: Path | None, singles: list[tuple[Path, bytes | None]], bulk: list[Path], rubric: Rubric,
          contents: dict[Path, bytes] | None = None, parsed: Optional[Callable] = None) -> BidSet:
    """The bids of `singles` (each a file, or a name with its content) and of the bulk pair `bulk` (files in
    `folder`, or names with their content in `contents` when uploaded)."""
    problems: list[EvaluatorError] = []
    notes: list[str] = []
    invalid: set[str] = set()
    lots, lot_default = tender_lots(rubric)
    lotted = bool(lots)
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
        # where its fields are, as the file has them: the XLSX template's Bid sheet (field and value columns)
        bid.update({"_bid": key, "_file": str(path), "_loc": "sheet Bid" if path.suffix.lower() == ".xlsx" else "bid"})
        lot = (bid.get(LOT_FIELD) or lot_default) if lotted else ""
        for r in responses + commitments:
            r["_bid"] = key
            r[LOT_FIELD] = lot
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
        cleaned, bad, issues = clean_bids(single_bids[~unread], rubric)
        problems.extend(issues)
        invalid.update(cleaned.loc[bad, "_bid"])
        parts_bids.append(cleaned)
        if unread.any():
            parts_bids.append(single_bids.loc[unread, ["_bid", "_file", "_loc", "bidder"]])
    if single_com is not None:
        cleaned, bad, issues = clean_commitments(single_com, rubric.tender.duration_years,
                                                 durations=lot_durations(rubric))
        # a single document's commitments carry its bid's bidder, not a field of their own: a missing
        # bidder is named once, at the bid (a Commitments sheet has no bidder column to point to)
        problems.extend(e for e in issues if getattr(e, "field", None) != "bidder")
        invalid.update(cleaned.loc[bad, "_bid"])
        parts_com.append(cleaned)
    if response_rows:
        parts_resp.append(pd.DataFrame(response_rows))

    unreadable_bulk = False
    if bulk:
        b, cm, rs = bulk_frames(folder, bulk, rubric, problems, notes, contents, parsed)
        unreadable_bulk = b is None
        if b is not None:
            cleaned, bad, issues = clean_bids(b, rubric)
            problems.extend(issues)
            invalid.update(cleaned.loc[bad, "_bid"])
            parts_bids.append(cleaned)
            cleaned, bad, issues = clean_commitments(cm, rubric.tender.duration_years, rubric,
                                                     durations=lot_durations(rubric))
            problems.extend(issues)
            invalid.update(cleaned.loc[bad, "_bid"].unique())
            known = cleaned["_bid"].isin(set(parts_bids[-1]["_bid"])).to_numpy()
            orphan = ValueChecker(cm)
            in_lots = lotted and lot_default is None
            # (a row whose lot is missing or unknown is named for its lot already)
            lot_ok = cleaned[LOT_FIELD].isin(lots).to_numpy(dtype=bool) if in_lots else True
            orphan.flag(~known & ~missing(cleaned["bidder"]) & lot_ok, "bidder",
                        f"this bidder has no row for this lot in {BULK_BIDS}" if in_lots else
                        f"this bidder has no row in {BULK_BIDS}")
            problems.extend(orphan.problems)
            if in_lots and not np.all(lot_ok):  # whose bid is a row without a lot? any of its bidder's: all set aside
                unsure = set(cleaned.loc[~lot_ok, "bidder"].dropna().astype(object))
                invalid.update(parts_bids[-1].loc[parts_bids[-1]["bidder"].isin(unsure), "_bid"])
            parts_com.append(cleaned if known.all() else cleaned[known])  # a million rows: copy only to drop
            if rs is not None:
                rc = ValueChecker(rs)
                resp = pd.DataFrame({"bidder": rc.text("bidder", required=True),
                                     LOT_FIELD: as_objects(pd.Series(checked_lots(rc, rubric), index=rc.f.index)),
                                     "criterion": rc.text("criterion", required=True),
                                     "text": rc.text("text"), "_bid": rc.f["_bid"].to_numpy()})
                scale_ids, what = answerable(rubric)
                rc.flag((resp["criterion"].notna() & ~resp["criterion"].isin(scale_ids)).to_numpy(), "criterion",
                        f"is not {what} of this rubric (expected one of {', '.join(scale_ids)})")
                problems.extend(rc.problems)
                invalid.update(resp.loc[rc.bad, "_bid"])
                if in_lots:  # an answer without a readable lot: each bid of its bidder is set aside
                    unsure = set(resp.loc[~resp[LOT_FIELD].isin(lots), "bidder"].dropna())
                    invalid.update(parts_bids[-1].loc[parts_bids[-1]["bidder"].isin(unsure), "_bid"])
                parts_resp.append(resp[~rc.bad & resp["text"].notna().to_numpy()])

    bids = pd.concat(parts_bids, ignore_index=True) if parts_bids else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in BID_FIELDS + [LOT_FIELD, "_bid", "_file", "_loc"]})
    bids["price"] = pd.to_numeric(bids["price"], errors="coerce").astype(float) if "price" in bids else np.nan
    # A bidder may appear once in a tender (once in each lot of a tender in lots): the first file keeps the
    # name, later ones are in error and set aside.
    if LOT_FIELD not in bids:  # only files that could not be read
        bids[LOT_FIELD] = None
    named = bids["bidder"].notna()
    if lotted:
        lot_known = bids[LOT_FIELD].notna()
        dup = bids.duplicated(["bidder", LOT_FIELD], keep="first") & named & lot_known
    else:
        dup = bids.duplicated("bidder", keep="first") & named
    for i in np.flatnonzero(dup.to_numpy()):
        same = (bids["bidder"] == bids["bidder"].iat[i]) & ~dup
        if lotted:
            lot = bids[LOT_FIELD].iat[i]
            first = bids.loc[same & (bids[LOT_FIELD] == lot), "_file"].iat[0]
            problem = (f"the same supplier bids twice for lot {lot} (first in {first}); one bid per supplier per "
                       "lot, so this one is set aside")
        else:
            first = bids.loc[same, "_file"].iat[0]
            problem = f"duplicate bidder: the same name is already used by {first}"
        problems.append(InputError(problem, file=bids["_file"].iat[i], where=_where_label(bids, i), field="bidder",
                                   value=bids["bidder"].iat[i]))
        invalid.add(bids["_bid"].iat[i])

    # each bid set aside: its file and bidder (and, in a tender with lots, its lot: None when unreadable)
    skipped = [{"file": f, "bidder": None if pd.isna(b) else b,
                **({LOT_FIELD: lot if isinstance(lot, str) and lot else None} if lotted else {})}
               for f, b, lot in bids.loc[bids["_bid"].isin(invalid), ["_file", "bidder", LOT_FIELD]
                                         ].itertuples(index=False)]
    if unreadable_bulk:  # every bid in the bulk files is set aside, though none can be named
        skipped.append({"file": next((str(p) for p in bulk if p.name.lower() == BULK_BIDS),
                                     str(Path(folder or "") / BULK_BIDS)), "bidder": None,
                        **({LOT_FIELD: None} if lotted else {})})
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
        pd.DataFrame(columns=["bidder", LOT_FIELD, "criterion", "text", "_bid"])
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
    if path.suffix.lower() in UNREAD_SPREADSHEETS:
        raise unread_format(path)
    if path.suffix.lower() not in SINGLE_SUFFIXES:
        raise InputError("a bid file must be .yaml, .yml, .json or .xlsx", file=path)
    return _load(path.parent, [(path, None)], [], rubric)
