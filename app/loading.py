"""Putting what a user uploaded in use: a rubric, bids and scores become the tender in use (saved in its own
workspace), a scores file on its own the scores in use; a rubric or a draft bid read on its own
(Self-assessment). What is read is app/uploads.py's; this module caches it and decides what changes. A
malformed upload changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import pandas as pd
import streamlit as st

from app import workspaces
from app.state import (SCORES, Tender, get_rubric, get_scores, get_tender, rubric_digest, rubric_yaml, set_scores,
                       set_tender, with_lot)
from app.uploads import BID_SUFFIXES, BULK_NAMES, Upload, digest, read_bids, read_draft, read_rubric, read_scores
from evaluator import MODERATED, BidSet, Rubric


@st.cache_data(show_spinner=False, max_entries=4)
def _parse_rubric_upload(key: str, _rubric: Upload, _proxies: Optional[Upload]) -> tuple[Optional[Rubric], list[str], str]:
    return read_rubric(_rubric, _proxies)


def load_rubric_upload(file: Any, proxies_file: Any = None) -> tuple[Optional[Rubric], list[str], str]:
    """An uploaded rubric (and optional proxy table) on its own: (rubric or None, problems, note)."""
    up, proxies = Upload.of(file), Upload.of(proxies_file)
    if up is None:
        return None, ["no rubric file"], ""
    return _parse_rubric_upload(digest(up.digest, proxies.digest if proxies else ""), up, proxies)


@dataclass
class LoadResult:
    """What an upload produced. `tender` None: nothing usable, keep what is loaded (a malformed upload
    changes nothing). `scores` None: keep the scores in use."""

    tender: Optional[Tender]
    scores: Optional[pd.DataFrame]
    problems: list[str]
    notes: list[str]
    save: Optional[Callable[[], tuple[bool, str]]] = None   # keeping a new tender in its workspace, not done yet


def load_uploads(rubric_file: Any = None, proxies_file: Any = None, bid_files: Iterable[Any] = (),
                 scores_file: Any = None, progress: Optional[Callable[[float, str], None]] = None,
                 save: bool = True) -> LoadResult:
    """Build a tender from uploads. Bids without a rubric are read against the rubric in use; a scores
    file alone is checked against the tender in use. Good bid files load even when others fail; a
    rubric or scores file with problems is refused whole, with every problem listed. `save` False: nothing
    is written yet (the Tender page asks for confirmation first); finish_load(result) saves."""
    step = progress or (lambda fraction, text: None)
    current = get_tender()
    notes: list[str] = []
    rubric_up = Upload.of(rubric_file)
    proxies_up = Upload.of(proxies_file)
    bids_up = tuple(u for u in (Upload.of(f) for f in bid_files or ()) if u is not None)
    scores_up = Upload.of(scores_file)
    if rubric_up is None and not bids_up and scores_up is None:
        return LoadResult(None, None, ["nothing to load: choose a rubric, bids or a scores file first"], notes)
    if rubric_up is not None and not bids_up:
        return LoadResult(None, None, [f"{rubric_up.name}: a rubric is loaded with its bids: upload the bids "
                                       "with it (the bids loaded now were written for another rubric)"], notes)
    if proxies_up is not None and rubric_up is None:
        return LoadResult(None, None, [f"{proxies_up.name}: a proxy table is read with its rubric: upload the "
                                       "rubric too"], notes)

    step(0.05, "Reading the rubric")
    if rubric_up is not None:
        rubric_key = digest(rubric_up.digest, proxies_up.digest if proxies_up else "")
        rubric, problems, note = _parse_rubric_upload(rubric_key, rubric_up, proxies_up)
        if rubric is None:
            return LoadResult(None, None, problems + ["the rubric was not loaded: nothing was changed"], notes)
        notes += [note] if note else []
    else:
        rubric = get_rubric()
        rubric_key = rubric_digest(rubric)

    problems: list[str] = []
    if bids_up:
        names = [u.name for u in bids_up]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return LoadResult(None, None, [f"{n}: two uploaded files have this name; rename one" for n in dupes]
                              + ["nothing was changed"], notes)
        unknown = [u.name for u in bids_up
                   if not (u.name.lower().endswith(BID_SUFFIXES) or u.name.lower() in BULK_NAMES)]
        problems += [f"{n}: not a bid file (expected .yaml, .yml, .json, .xlsx, or the bulk pair bids.csv + "
                     "commitments.csv): not loaded" for n in unknown]
        bids_up = tuple(u for u in bids_up if u.name not in unknown)
        step(0.2, f"Reading and checking {len(bids_up)} bid file(s)")
        bidset, bid_problems = read_bids(bids_up, rubric) if bids_up else (None, [])
        problems += bid_problems
        notes += list(bidset.notes) if bidset is not None else []
        if bidset is None or bidset.bids.empty:
            return LoadResult(None, None, problems + ["no usable bids in the upload: nothing was changed"], notes)
        tender = Tender(key=digest("upload", rubric_key, *[u.digest for u in bids_up]),
                        label=f"{rubric.tender.id} {rubric.tender.title}: {len(bidset.bids)} uploaded bid(s)",
                        rubric=rubric, bidset=bidset, scores=pd.DataFrame(columns=SCORES),
                        problems=list(problems), skipped=list(bidset.skipped),
                        files=([rubric_up.name] if rubric_up else []) + [u.name for u in bids_up])
    else:
        tender = current

    scores = None
    if scores_up is not None:
        step(0.7, "Reading the scores")
        parsed, score_problems = read_scores(scores_up, tender.rubric if bids_up else rubric, tender.bidset)
        if parsed is None:
            problems += score_problems + [f"{scores_up.name}: not loaded because of the problems above"]
            if not bids_up:
                return LoadResult(None, None, problems + ["nothing was changed"], notes)
        else:
            scores = with_lot(parsed)[SCORES].copy()
            if bids_up:
                tender.scores = scores
                tender.files.append(scores_up.name)
            notes.append(f"{scores_up.name}: {len(scores)} score(s) from {scores['evaluator'].nunique()} "
                         "evaluator(s) loaded")
    result = LoadResult(tender, scores, problems, notes)
    if bids_up:
        result.save = lambda: _save_upload(tender, current, rubric, rubric_up, proxies_up, bids_up,
                                           bool(bid_problems))
        if save:
            step(0.85, "Saving the tender in its workspace")
            finish_load(result)
    step(1.0, "Loaded")
    return result


def finish_load(result: LoadResult) -> None:
    """Keep an uploaded tender in its own workspace (once): the sentence saying where, or why it is kept for
    the session only, joins the notes or the problems."""
    if result.save is None:
        return
    save, result.save = result.save, None
    saved, note = save()
    (result.notes if saved else result.problems).append(note)


def replacement(result: LoadResult) -> str:
    """What confirming an upload replaces, in one sentence naming what is in use (its bids and saved scores)
    and what comes instead; nothing already saved is deleted by a new tender (it stays in its workspace)."""
    current = get_tender()
    held = get_scores()
    people = held.loc[held["evaluator"].astype(str) != MODERATED, "evaluator"].astype(str).nunique() if len(held) else 0
    in_use = (f"the tender in use, {current.rubric.tender.id} {current.rubric.tender.title} "
              f"({len(current.bidset.bids):,} bid(s), {len(held):,} saved score(s) from {people} evaluator(s))")
    ws = workspaces.workspace_for(current)
    if result.tender is not None and result.tender is not current:
        t = result.tender
        kept = (f"its scores stay in its workspace {Path(ws.path).stem}, to reopen later" if ws is not None
                else "its scores were kept for this browser session only and are not carried over")
        scores = f" with {len(result.scores):,} uploaded score(s)" if result.scores is not None else ""
        return (f"This replaces {in_use} with {t.rubric.tender.id} {t.rubric.tender.title}: "
                f"{len(t.bidset.bids):,} uploaded bid(s){scores}. Nothing is deleted: {kept}.")
    n = len(result.scores) if result.scores is not None else 0
    return (f"This replaces the scores of {in_use} with the {n:,} score(s) uploaded: saved scores the file does "
            "not hold are deleted" + (" (the workspace's audit log keeps every earlier value)." if ws is not None
                                      else "."))


def _save_upload(tender: Tender, current: Tender, rubric: Rubric, rubric_up: Optional[Upload],
                 proxies_up: Optional[Upload], bids_up: tuple[Upload, ...], bid_problems: bool = False
                 ) -> tuple[bool, str]:
    """Give an uploaded tender its own workspace (workspaces.save_upload) holding the files that
    loaded: the rubric as uploaded (or the one in use), its proxy table, and every bid file whose bids
    are usable. Returns (saved, the sentence for the user: where it was saved, or why it is session-only)."""
    proxies = (proxies_up.name, proxies_up.data) if proxies_up is not None else None
    if rubric_up is not None:
        source = (rubric_up.name, rubric_up.data)
        if proxies is None:
            shipped = rubric.proxies_path  # the shipped table it names, when it names one
            proxies = (shipped.name, shipped.read_bytes()) if shipped is not None else None
    else:
        held = workspaces.tender_files(current)
        if held is not None:
            source, proxies = held["rubric"], held["proxies"]
        else:
            source = (Path(str(rubric.path)).stem + ".yaml", b"")
            if rubric.proxies_path is not None and Path(rubric.proxies_path).is_file():
                proxies = (Path(rubric.proxies_path).name, Path(rubric.proxies_path).read_bytes())
        if rubric is not current.rubric or not source[1]:  # the edited design is the rubric in use
            source = (source[0], rubric_yaml(rubric).encode("utf-8"))
    used = {str(f).replace("\\", "/").rsplit("/", 1)[-1] for f in tender.bidset.bids["_file"]}
    if "bids.csv" in used:
        used |= {"commitments.csv", "responses.csv"}
    bids = [(u.name, u.data) for u in bids_up if u.name in used]
    if "bids.csv" in used and bid_problems:  # the bulk pair holds every bid: it cannot be stored without its faults
        return False, workspaces.not_saved(tender, workspaces.BIDS_DID_NOT_LOAD)
    path, note = workspaces.save_upload(tender, source, proxies, bids, tender.scores)
    return path is not None, note


def apply_load(result: LoadResult) -> None:
    """Put what an upload produced in use (nothing when it produced no tender). Scores uploaded with new
    bids only fill cells the tender's workspace does not hold yet (the same files uploaded again reopen
    their evaluation, whose saved scores are newer than any file); a scores file on its own replaces the
    scores in use."""
    if result.tender is None:
        return
    new = result.tender is not get_tender()
    if new:
        set_tender(result.tender)
    if result.scores is not None:
        scores = result.scores
        if new:
            held = get_scores()
            if len(held):
                key = ["bidder", "criterion", "evaluator", "lot"]
                saved = pd.MultiIndex.from_frame(held[key].astype(str))
                extra = scores[~pd.MultiIndex.from_frame(scores[key].astype(str)).isin(saved)]
                scores = pd.concat([held[SCORES], extra[SCORES]], ignore_index=True)
        set_scores(scores)


@st.cache_data(show_spinner=False, max_entries=8)
def _parse_draft(key: str, rubric_key: str, _draft: Upload, _rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    return read_draft(_draft, _rubric)


def load_draft_bid(file: Any, rubric: Rubric) -> tuple[Optional[BidSet], list[str]]:
    """One uploaded draft bid against `rubric` (Self-assessment): (bidset, []) or (None, problem lines)."""
    up = Upload.of(file)
    if up is None:
        return None, ["no file"]
    if not up.name.lower().endswith(BID_SUFFIXES):
        return None, [f"{up.name}: a draft bid must be a .yaml, .yml, .json or .xlsx file"]
    key = rubric_digest(rubric)
    return _parse_draft(digest(up.digest, key), key, up, rubric)


# ------------------------------------------------------------------ the panel's workspace: the lead's files

def may_load_files() -> bool:
    """Loading or replacing the tender's files is the procurement lead's (DESIGN.md section 10): the signed-in
    lead of a workspace with users (its users table decides, not the role the session carries), or the lead
    persona of the demonstration. Nobody else is offered the upload."""
    from app import access
    from evaluator.panel import LEAD, LOAD_FILES
    who = access.current_identity()
    if who is None:
        return False
    ws = workspaces.workspace_for(get_tender())
    if ws is not None and getattr(ws, "has_users", False):
        return ws.can(who, LOAD_FILES) is None
    return who.role == LEAD


@dataclass
class FilesChange:
    """Files the lead uploaded to change the tender of a panel's workspace, and the engine's sentence of what
    confirming would add or replace (Workspace.change_files with confirm=False: nothing written yet)."""

    rubric: Optional[tuple[str, bytes]]
    proxies: Optional[tuple[str, bytes]]
    bids: tuple[tuple[str, bytes], ...]
    summary: str


def propose_change(ws, by, rubric_file: Any = None, proxies_file: Any = None,
                   bid_files: Iterable[Any] = ()) -> FilesChange:
    """What uploading these files would change in the panel's workspace (refused in one line when `by` may
    not load files, or a file does not load). Writes nothing."""
    def pair(f):
        up = Upload.of(f)
        return None if up is None else (up.name, up.data)
    rubric, proxies = pair(rubric_file), pair(proxies_file)
    bids = tuple(p for p in (pair(f) for f in bid_files or ()) if p is not None)
    if rubric is None and proxies is None and not bids:
        from evaluator import InputError
        raise InputError("nothing to load: choose a rubric, a proxy table or bids first", field="upload")
    change = ws.change_files(by, rubric=rubric, proxies=proxies, bids=bids, confirm=False)
    return FilesChange(rubric, proxies, bids, str(change.summary))


def apply_change(ws, by, change: FilesChange) -> tuple[Tender, str]:
    """Apply a confirmed change (the engine checks again who is asking) and put the workspace's new tender
    in use; every saved score is kept (a replaced bid's scores stay). Returns (the tender, the engine's
    sentence of what was done)."""
    done = ws.change_files(by, rubric=change.rubric, proxies=change.proxies, bids=change.bids, confirm=True)
    from app.state import workspace_tender
    tender = workspace_tender(ws.path)
    set_tender(tender)
    return tender, str(done.summary)
