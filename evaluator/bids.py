"""Bids in every form a supplier or a portal produces (DESIGN.md 4.3), loaded into three tables.

YAML, JSON and the XLSX template hold one bid per file; the bulk form (`bids.csv` + `commitments.csv`,
optionally `responses.csv`) holds thousands. Every form becomes the same three tables (bids, responses,
commitments) and passes the same vectorised checks, so a bid is judged the same whatever it came in.
A problem in one bid never hides the others: every problem is collected, and the bad bids are set aside.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .rubric import Rubric
from .bulk_bids import (BID_FIELDS, BULK_BIDS, BULK_COMMITMENTS, BULK_RESPONSES, COMMITMENT_FIELDS, _bulk_frames,
                        _Checker, _clean_bids, _clean_commitments)
from .columns import missing, quiet_numpy
from .documents import load_document
from .suggestions import suggest

BID_DOCUMENT_FIELDS = BID_FIELDS + ["responses", "commitments"]
COMMITMENT_DOCUMENT_FIELDS = [f for f in COMMITMENT_FIELDS if not f.startswith("evidence_")] + ["evidence"]
YEAR_FIELDS = ["start_year", "end_year", "persistence_years"]
SINGLE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


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


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, (dict, list, tuple, set)):
        return f"must be a single value, not a {'list' if not isinstance(value, dict) else 'mapping'}"
    return None


def _explicit(value: Any) -> Any:
    """A NaN typed into a document (.nan) is a value, not a gap: keep it as text so the checks refuse it
    rather than treat it as 'not given' (and quietly apply a default)."""
    if isinstance(value, float) and value != value:
        return ".nan"
    return value


def _text(value: Any) -> Any:
    """Free text from a document: numbers and dates become their text, empty becomes missing."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return str(value)


def document_to_records(doc: Any, file: Path, rubric: Rubric) -> tuple[dict, list[dict], list[dict], list]:
    """One bid document (YAML/JSON/XLSX dict) -> (bid row, response rows, commitment rows, problems).

    Only the shape is checked here (mappings, lists, known keys); values are checked later, together
    with the bulk form's, by the same vectorised rules.
    """
    problems: list[EvaluatorError] = []

    def bad(problem: str, where: str | None = None, field: str | None = None, value: Any = ...) -> None:
        problems.append(InputError(problem, file=file, where=where, field=field, value=value))

    if not isinstance(doc, dict):
        bad(f"must be a mapping of keys (bidder, price, commitments, ...), not {type(doc).__name__}")
        return {}, [], [], problems
    for key in doc:
        if key not in BID_DOCUMENT_FIELDS:
            bad(f"unknown key{suggest(key, BID_DOCUMENT_FIELDS)}", where=f"key {key}", field=str(key))
    bid: dict = {"_file": str(file)}
    for name in BID_FIELDS:
        value = doc.get(name)
        issue = _scalar_problem(value)
        if issue:
            bad(issue, where=f"key {name}", field=name, value=value)
            value = None
        bid[name] = _explicit(value) if name == "price" else _text(value)
    bidder = bid.get("bidder")

    responses = []
    raw_responses = doc.get("responses")
    if raw_responses is not None and not isinstance(raw_responses, dict):
        bad("must be a mapping of criterion id to answer text", where="key responses", field="responses",
            value=raw_responses)
    elif raw_responses:
        scale_ids = [c.id for c in rubric.scale_criteria]
        for crit, text in raw_responses.items():
            crit = str(crit)
            if crit not in scale_ids:
                bad(f"is not a scale criterion of this rubric (expected one of {', '.join(scale_ids)})"
                    f"{suggest(crit, scale_ids)}", where=f"key responses.{crit}", field=crit, value=crit)
                continue
            issue = _scalar_problem(text)
            if issue:
                bad(issue, where=f"key responses.{crit}", field=crit, value=text)
                continue
            if _text(text):
                responses.append({"bidder": bidder, "criterion": crit, "text": _text(text)})

    commitments = []
    raw = doc.get("commitments")
    if raw is not None and not isinstance(raw, list):
        bad("must be a list of commitments", where="key commitments", field="commitments", value=raw)
        raw = []
    for i, item in enumerate(raw or []):
        where = f"commitments[{i}]"
        if not isinstance(item, dict):
            bad("each commitment must be a mapping of fields", where=where, value=item)
            continue
        where = item.get("_where") or where
        if item.get("id") is not None and "[" in where:
            where += f" (id {item.get('id')})"
        row: dict = {"bidder": bidder, "_file": str(file), "_loc": where}
        for key, value in item.items():
            if key == "_where":
                continue
            if key == "evidence":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    bad("must be a mapping with grade and description", where=where, field="evidence",
                        value=value)
                    continue
                for ekey, evalue in value.items():
                    if ekey not in ("grade", "description"):
                        bad(f"unknown key{suggest(ekey, ['grade', 'description'])}", where=where,
                            field=f"evidence.{ekey}")
                        continue
                    issue = _scalar_problem(evalue)
                    if issue:
                        bad(issue, where=where, field=f"evidence.{ekey}", value=evalue)
                        continue
                    row[f"evidence_{ekey}"] = evalue
                continue
            if key not in COMMITMENT_FIELDS:
                bad(f"unknown field{suggest(key, COMMITMENT_DOCUMENT_FIELDS)}", where=where, field=str(key))
                continue
            issue = _scalar_problem(value)
            if issue:
                bad(issue, where=where, field=key, value=value)
                continue
            row[key] = _explicit(value)
        commitments.append(row)
    return bid, responses, commitments, problems


def _read_document(path: Path) -> Any:
    if path.suffix.lower() == ".xlsx":
        from .template import read_bid_workbook
        return read_bid_workbook(path)
    return load_document(path)



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
    bidset = _load(folder, singles, bulk, rubric)
    bidset.ignored_files = ignored
    return bidset


def _load(folder: Path, singles: list[Path], bulk: list[Path], rubric: Rubric) -> BidSet:
    problems: list[EvaluatorError] = []
    notes: list[str] = []
    invalid: set[str] = set()
    bid_rows, response_rows, commitment_rows = [], [], []
    for path in singles:
        try:
            doc = _read_document(path)
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
    return _load(path.parent, [path], [], rubric)
