"""Reading uploaded bid files, in the app's process or, for a large upload, in a process of its own.

A large upload (over OUT_OF_PROCESS_BYTES of bid files) is parsed in a fresh "spawn" process: pandas on a
100 MB bulk pair holds the interpreter lock for seconds and leaves hundreds of MB of transient memory
behind; in a child process neither touches the server that other users' pages run on, and the memory goes
back to the system when the child ends. Small uploads (a 6-bid tender) stay in-process: no start-up cost.
This module does not import streamlit (the child imports only the evaluator).
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path

from evaluator import BidSet, EvaluatorError, InputErrors, Rubric, load_bids

OUT_OF_PROCESS_BYTES = 5_000_000


def error_lines(exc: BaseException) -> list[str]:
    """One line per problem for any EvaluatorError (InputErrors holds several)."""
    if isinstance(exc, InputErrors):
        return [e.line() for e in exc.errors] or [exc.line()]
    if isinstance(exc, EvaluatorError):
        return [exc.line()]
    return [f"{type(exc).__name__}: {exc}"]


def relabel(lines: list[str], folder: Path, name: str = "uploaded bids") -> list[str]:
    """Temporary paths out of messages: a user knows their file by its name."""
    prefix = str(folder)
    return [line.replace(prefix + "/", "").replace(prefix, name) for line in lines]


def clean_bidset(bidset: BidSet) -> BidSet:
    """The usable part of a BidSet, without exception objects (it is pickled: by a cache, or back from the
    reading process)."""
    return BidSet(bids=bidset.bids, responses=bidset.responses, commitments=bidset.commitments,
                  problems=[], skipped=list(bidset.skipped), ignored_files=list(bidset.ignored_files),
                  notes=list(bidset.notes))


def parse_folder(folder: str, rubric: Rubric) -> tuple[BidSet | None, list[str], int]:
    """The bids in `folder` read against `rubric`: (usable bidset without exception objects, or None;
    problem lines naming each file as uploaded; the pid that did the work)."""
    folder_path = Path(folder)
    try:
        bidset = load_bids(folder_path, rubric)
    except EvaluatorError as exc:
        return None, relabel(error_lines(exc), folder_path), os.getpid()
    lines = relabel([e.line() for e in bidset.problems], folder_path)
    clean = clean_bidset(bidset)
    clean.skipped = [{"file": relabel([s["file"]], folder_path)[0], "bidder": s["bidder"]} for s in bidset.skipped]
    clean.notes = relabel(clean.notes, folder_path)
    return clean, lines, os.getpid()


def parse_bids(folder: Path, rubric: Rubric, size: int) -> tuple[BidSet | None, list[str], int]:
    """parse_folder, in a spawned process of its own when `size` (bytes of bid files) is over
    OUT_OF_PROCESS_BYTES. A child that cannot start or dies is said in one line (the caller names the upload)."""
    if size <= OUT_OF_PROCESS_BYTES:
        return parse_folder(str(folder), rubric)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(parse_folder, str(folder), rubric).result()
        except concurrent.futures.process.BrokenProcessPool:
            return None, ["uploaded bids: the reader stopped before it finished (the server may be short of "
                          "memory): try again, or split the upload"], -1
