"""Reading uploaded files (rubric, proxy table, bids, scores, a draft bid) into engine objects, with every
problem as one line naming the file as the user uploaded it.

A large upload (over OUT_OF_PROCESS_BYTES of bid files) is parsed in a fresh "spawn" process: pandas on a
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
import shutil
import tempfile
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from app.samples import ROOT
from evaluator import BidSet, EvaluatorError, InputErrors, Rubric, load_bid, load_bids, load_rubric, load_scores
from evaluator.rubric import shipped_proxies, upload_proxies_refused
from evaluator.util import load_yaml

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


def _write(folder: Path, up: Upload) -> Path:
    path = folder / up.name
    path.write_bytes(up.data)
    return path


def resolve_proxies(rubric_path: Path, proxies: Optional[Path], name: Optional[str] = None) -> Optional[Path]:
    """The proxy table for an uploaded rubric: the table uploaded with it, else the shipped table its
    `proxies:` names (proxies/public_2025.csv; the user is told which table was used), else none when it
    names none. Anything else it names (a server path, ../.., another uploaded file) is refused with an
    InputError before any file is opened: an upload may only use an uploaded table or a shipped one."""
    if proxies is not None:
        return proxies
    try:
        data = load_yaml(rubric_path)
    except EvaluatorError:  # load_rubric reports the real problem (and names no table)
        return None
    named = data.get("proxies") if isinstance(data, dict) else None
    if named is None or (isinstance(named, str) and not named.strip()):
        return None
    shipped = shipped_proxies(named)
    if shipped is None:
        raise upload_proxies_refused(name or rubric_path.name, named)
    return shipped


def shipped_table(rubric_up: Upload) -> Optional[Path]:
    """The shipped proxy table an uploaded rubric names (None when it names none, or is refused)."""
    folder = Path(tempfile.mkdtemp(prefix="sv-rubric-"))
    try:
        return resolve_proxies(_write(folder, rubric_up), None, rubric_up.name)
    except EvaluatorError:  # refused when it was read: nothing to store
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_rubric(rubric_up: Upload, proxies_up: Optional[Upload]) -> tuple[Optional[Rubric], list[str], str]:
    """An uploaded rubric and its proxy table: (rubric or None, problem lines, a note on the table used)."""
    folder = Path(tempfile.mkdtemp(prefix="sv-rubric-"))
    try:
        path = _write(folder, rubric_up)
        proxies = _write(folder, proxies_up) if proxies_up is not None else None
        try:
            chosen = resolve_proxies(path, proxies, rubric_up.name)
            rubric = load_rubric(path, proxies_path=chosen)
        except EvaluatorError as exc:
            return None, relabel(error_lines(exc), folder, rubric_up.name), ""
        note = ""
        if chosen is not None and proxies is None:
            note = f"proxy table: the shipped {chosen.relative_to(ROOT)} (upload a proxy CSV to use another)"
        rubric.path = Path(rubric_up.name)
        return rubric, [], note
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def usable_scores(scores_path: Path, rubric: Rubric, bidset: BidSet) -> pd.DataFrame:
    """A scores file checked against the bids: a skipped bid's scores are accepted but not used."""
    skipped = [s["bidder"] for s in bidset.skipped if s.get("bidder")]
    scores = load_scores(scores_path, rubric, bidset.bidders + skipped)
    return scores[scores["bidder"].isin(bidset.bidders)].reset_index(drop=True)


def read_scores(up: Upload, rubric: Rubric, bidset: BidSet) -> tuple[Optional[pd.DataFrame], list[str]]:
    """An uploaded scores file against the tender: (usable scores, []) or (None, problem lines)."""
    folder = Path(tempfile.mkdtemp(prefix="sv-scores-"))
    try:
        path = _write(folder, up)
        try:
            return usable_scores(path, rubric, bidset), []
        except EvaluatorError as exc:
            return None, relabel(error_lines(exc), folder, up.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_draft(draft: Upload, rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """One draft bid against `rubric`: (bidset, []) or (None, problem lines)."""
    folder = Path(tempfile.mkdtemp(prefix="sv-draft-"))
    try:
        path = _write(folder, draft)
        try:
            bidset = load_bid(path, rubric)
        except EvaluatorError as exc:
            return None, relabel(error_lines(exc), folder, draft.name)
        if bidset.problems:
            return None, relabel([e.line() for e in bidset.problems], folder, draft.name)
        return clean_bidset(bidset), []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


def read_bids(files: tuple[Upload, ...], rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """Uploaded bid files read against `rubric` (not cached: the result is kept in the session). A large
    upload is read in a process of its own (parse_bids), so it does not hold the server for other users
    and its transient memory is returned when that process ends."""
    folder = Path(tempfile.mkdtemp(prefix="sv-bids-"))
    try:
        for up in files:
            _write(folder, up)
        bidset, lines, _pid = parse_bids(folder, rubric, sum(len(up.data) for up in files))
        return bidset, lines
    finally:
        shutil.rmtree(folder, ignore_errors=True)
