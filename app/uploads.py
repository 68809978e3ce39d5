"""Reading uploaded files (rubric, proxy table, bids, scores, a draft bid) into engine objects, with every
problem as one line naming the file as the user uploaded it.

Files are read from their bytes (the engine's data-in loaders), so no temporary file is written and every
message names a file as the user uploaded it. A large upload (over OUT_OF_PROCESS_BYTES of bid files) is parsed
in a fresh "spawn" process: pandas on a
100 MB bulk pair holds the interpreter lock for seconds and leaves hundreds of MB of transient memory
behind; in a child process neither touches the server that other users' pages run on, and the memory goes
back to the system when the child ends. Small uploads (a 6-bid tender) stay in-process: no start-up cost.
This module does not import streamlit (the child imports only this and the evaluator); caching and putting
what was read in use are app/loading.py's.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
from pathlib import Path
from typing import Any, Iterable, Optional

import pandas as pd

from evaluator import (SCORE_COLUMNS, BidSet, EvaluatorError, InputErrors, Rubric, check_scores, load_bid_files,
                       load_scores, parse_rubric)
from evaluator.documents import parse_small_csv  # the CSV rules of scores.csv, over an upload's bytes

OUT_OF_PROCESS_BYTES = 5_000_000
BID_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
BULK_NAMES = ("bids.csv", "commitments.csv", "responses.csv")


def digest(*parts: bytes | str) -> str:
    """A short content key (cache keys, tender keys): the same parts give the same key."""
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\x00")
    return h.hexdigest()


class Upload:
    """An uploaded file reduced to what loading needs (name and bytes); hashable by content."""

    def __init__(self, name: str, data: bytes):
        self.name = Path(str(name).replace("\\", "/")).name or "unnamed"
        self.data = data

    @classmethod
    def of(cls, f: Any) -> Optional["Upload"]:
        if f is None or isinstance(f, Upload):
            return f
        return cls(getattr(f, "name", "upload"), f.getvalue() if hasattr(f, "getvalue") else bytes(f))

    @property
    def digest(self) -> str:
        return digest(self.name, self.data)


def error_lines(exc: BaseException) -> list[str]:
    """One line per problem for any EvaluatorError (InputErrors holds several)."""
    if isinstance(exc, InputErrors):
        return [e.line() for e in exc.errors] or [exc.line()]
    if isinstance(exc, EvaluatorError):
        return [exc.line()]
    return [f"{type(exc).__name__}: {exc}"]


def clean_bidset(bidset: BidSet) -> BidSet:
    """The usable part of a BidSet, without exception objects (it is pickled: by a cache, or back from the
    reading process)."""
    return BidSet(bids=bidset.bids, responses=bidset.responses, commitments=bidset.commitments,
                  problems=[], skipped=list(bidset.skipped), ignored_files=list(bidset.ignored_files),
                  notes=list(bidset.notes))


def read_rubric(rubric_up: Upload, proxies_up: Optional[Upload]) -> tuple[Optional[Rubric], list[str], str]:
    """An uploaded rubric and its proxy table: (rubric or None, problem lines, a note on the table used).
    Without an uploaded table, its `proxies:` may name a shipped table only (the user is told which one was
    used); anything else it names is refused before any file is opened."""
    proxies = (proxies_up.name, proxies_up.data) if proxies_up is not None else None
    try:
        rubric = parse_rubric(rubric_up.data, rubric_up.name, proxies=proxies)
    except EvaluatorError as exc:
        return None, error_lines(exc), ""
    note = ""
    if proxies is None and rubric.proxies_path is not None:
        note = f"Proxy table: the shipped table {rubric.proxies_path.name} (upload a proxy table to use another)"
    return rubric, [], note


def _named(bidset: BidSet, rubric: Optional[Rubric] = None):
    """Bidders whose scores are accepted: the usable bids and the bids set aside (their scores are not used);
    for a tender with lots, per lot ({lot: bidders}; a bid set aside counts in every lot)."""
    skipped = [s["bidder"] for s in bidset.skipped if s.get("bidder")]
    if rubric is not None and getattr(rubric, "has_lots", False) and "lot" in bidset.bids.columns:
        named: dict = {lot.id: list(skipped) for lot in rubric.lots}
        for b, lot in zip(bidset.bids["bidder"].astype(str), bidset.bids["lot"].astype(str)):
            named.setdefault(lot, []).append(b)
        return named
    return bidset.bidders + skipped


def _used(scores: pd.DataFrame, bidset: BidSet) -> pd.DataFrame:
    if "lot" in scores.columns and "lot" in bidset.bids.columns and (bidset.bids["lot"].astype(str) != "").any():
        have = set(zip(bidset.bids["bidder"].astype(str), bidset.bids["lot"].astype(str)))
        keep = [(b, lot) in have for b, lot in zip(scores["bidder"].astype(str), scores["lot"].astype(str))]
        return scores[keep].reset_index(drop=True)
    return scores[scores["bidder"].isin(bidset.bidders)].reset_index(drop=True)


def usable_scores(scores_path: Path, rubric: Rubric, bidset: BidSet) -> pd.DataFrame:
    """A scores file checked against the bids: a skipped bid's scores are accepted but not used."""
    return _used(load_scores(scores_path, rubric, _named(bidset, rubric)), bidset)


def read_scores(up: Upload, rubric: Rubric, bidset: BidSet) -> tuple[Optional[pd.DataFrame], list[str]]:
    """An uploaded scores file against the tender, read as load_scores reads scores.csv: (usable scores, [])
    or (None, problem lines)."""
    try:
        # scores.csv's own columns and, for a tender with lots, `lot` (DESIGN.md 9.3; the engine says when it is
        # missing or names a lot the tender does not have)
        columns = SCORE_COLUMNS + ["lot"]
        _, rows = parse_small_csv(up.data, up.name, columns, SCORE_COLUMNS)
        present = SCORE_COLUMNS + (["lot"] if any("lot" in rec for _, rec in rows) else [])
        frame = pd.DataFrame([{**rec, "_row": n} for n, rec in rows], columns=present + ["_row"])
        return _used(check_scores(frame, rubric, _named(bidset, rubric), source=up.name), bidset), []
    except EvaluatorError as exc:
        return None, error_lines(exc)


def read_draft(draft: Upload, rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """One draft bid against `rubric`: (bidset, []) or (None, problem lines)."""
    try:
        bidset = load_bid_files([(draft.name, draft.data)], rubric)
    except EvaluatorError as exc:
        return None, error_lines(exc)
    if bidset.problems:
        return None, [e.line() for e in bidset.problems]
    return clean_bidset(bidset), []


def _lines(problems: Iterable[EvaluatorError]) -> list[str]:
    """Problem lines; one about the upload as a whole (the bulk pair incomplete...) names 'uploaded bids'."""
    lines = []
    for problem in problems:
        for e in problem.errors if isinstance(problem, InputErrors) else [problem]:
            if e.file is None:
                e.file = "uploaded bids"
            lines.append(e.line())
    return lines


def parse_files(files: list[tuple[str, bytes]], rubric: Rubric) -> tuple[BidSet | None, list[str], int]:
    """Bid files (name, bytes) read against `rubric`: (usable bidset without exception objects, or None;
    problem lines naming each file as uploaded; the pid that did the work)."""
    try:
        bidset = load_bid_files(files, rubric)
    except EvaluatorError as exc:
        return None, _lines([exc]), os.getpid()
    return clean_bidset(bidset), _lines(bidset.problems), os.getpid()


def parse_bids(files: list[tuple[str, bytes]], rubric: Rubric, size: int) -> tuple[BidSet | None, list[str], int]:
    """parse_files, in a spawned process of its own when `size` (bytes of bid files) is over
    OUT_OF_PROCESS_BYTES. A child that cannot start or dies is said in one line (the caller names the upload)."""
    if size <= OUT_OF_PROCESS_BYTES:
        return parse_files(files, rubric)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(parse_files, files, rubric).result()
        except concurrent.futures.process.BrokenProcessPool:
            return None, ["uploaded bids: the reader stopped before it finished (the server may be short of "
                          "memory): try again, or split the upload"], -1


def read_bids(files: tuple[Upload, ...], rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """Uploaded bid files read against `rubric` (not cached: the result is kept in the session). A large
    upload is read in a process of its own (parse_bids), so it does not hold the server for other users
    and its transient memory is returned when that process ends."""
    bidset, lines, _pid = parse_bids([(up.name, up.data) for up in files], rubric, sum(len(up.data) for up in files))
    return bidset, lines
