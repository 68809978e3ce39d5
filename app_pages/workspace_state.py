"""The app's scores kept in an evaluation workspace (evaluator/workspace.py), so a browser refresh or a
server restart reopens the evaluation with every score in place.

The shipped samples each get a default workspace with no set-up: ``$SOCIAL_VALUE_HOME/<tender id>.sqlite``
(``~/.social_value`` when the variable is not set; never inside the repository), made on first use from
the sample's files and its scores.csv. ``common.get_scores``/``common.set_scores`` call :func:`read` and
:func:`write` here; pages that need more (scoring complete, a consensus with its author) call the
functions below.

Several evaluators can have the app open at once. Each session writes only the rows it changed since it
last read them (a three-way comparison), so one evaluator's save never overwrites or deletes another's.
A row that is not yet a valid score (no rationale yet, say) stays in the session as typed until it is
complete; it is not written to the workspace, and it is shown as not yet saved.
"""
from __future__ import annotations

import logging
from typing import Optional

import pandas as pd
import streamlit as st

from evaluator.exceptions import EvaluatorError, InputError
from evaluator.scoring import SCORE_COLUMNS
from evaluator.workspace import Workspace, default_workspace_path

_WS = "sv_workspaces"        # {tender key: Workspace or None}
_BASE = "sv_ws_base"         # {tender key: scores as this session last read or wrote them}
_PENDING = "sv_ws_pending"   # {tender key: {(bidder, criterion, evaluator): row dict}} not yet valid
_COMPLETE = "sv_ws_complete"  # {tender key: {evaluator: bool}} when there is no workspace
_PROBLEM = "sv_ws_problem"   # {tender key: why there is no workspace}
_KEY = ["bidder", "criterion", "evaluator"]
_LOG = logging.getLogger("social_value_app")


def _store(name: str) -> dict:
    if name not in st.session_state:
        st.session_state[name] = {}
    return st.session_state[name]


def workspace_for(tender) -> Optional[Workspace]:
    """The workspace behind a tender: the default one for a shipped sample (made on first use); None for
    an uploaded tender (its scores live in the session only)."""
    held = _store(_WS)
    if tender.key in held:
        return held[tender.key]
    ws = None
    if tender.key.startswith("sample:"):
        from app_pages.common import SAMPLES
        name = tender.key.split(":")[1]
        rubric_path, bids_path, scores_path = SAMPLES[name]
        path = default_workspace_path(tender.rubric.tender.id)
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    Workspace.create(path, rubric_path, bids_path,
                                     scores_path=scores_path if scores_path.is_file() else None,
                                     actor="app (default workspace for the shipped sample)")
                except InputError:
                    if not path.exists():  # anything but "another session made it first" is a real problem
                        raise
            ws = Workspace.open(path)
        except (OSError, EvaluatorError) as exc:
            # the app still works, with scores in this session only; the pages say so and why
            problem = exc.line() if isinstance(exc, EvaluatorError) else f"{path}: {exc.strerror or exc}"
            _store(_PROBLEM)[tender.key] = problem
            _LOG.warning("no workspace for %s: %s", tender.key, problem)
            ws = None
    held[tender.key] = ws
    return ws


def workspace_problem(tender) -> Optional[str]:
    """Why a shipped sample has no workspace (its folder cannot be written, the file is not a workspace)."""
    return _store(_PROBLEM).get(tender.key)


def _key(row) -> tuple:
    return tuple(str(row[k]) for k in _KEY)


def _as_map(df: pd.DataFrame) -> dict:
    out = {}
    for r in df[SCORE_COLUMNS].to_dict("records"):
        out[_key(r)] = r
    return out


def _same(a: dict, b: dict) -> bool:
    def norm(r):
        s = r.get("score")
        try:
            s = float(s)
        except (TypeError, ValueError):
            s = None if s is None or s != s else str(s)
        rat = r.get("rationale")
        rat = "" if rat is None or (isinstance(rat, float) and rat != rat) else str(rat).strip()
        return s, rat
    return norm(a) == norm(b)


def read(tender) -> Optional[pd.DataFrame]:
    """Scores in use: the workspace's (fresh, so another evaluator's saves appear) with this session's
    not-yet-valid rows laid over them. None when the tender has no workspace."""
    ws = workspace_for(tender)
    if ws is None:
        return None
    saved = ws.scores()[SCORE_COLUMNS]
    pending = _store(_PENDING).get(tender.key, {})
    if pending:
        keep = ~pd.Series([_key(r) in pending for r in saved.to_dict("records")], index=saved.index, dtype=bool)
        saved = pd.concat([saved[keep], pd.DataFrame(list(pending.values()), columns=SCORE_COLUMNS)],
                          ignore_index=True)
    saved = saved.reset_index(drop=True)
    _store(_BASE)[tender.key] = saved
    return saved


def write(tender, scores: pd.DataFrame) -> bool:
    """Save what changed since this session last read the scores: each valid changed row committed to
    the workspace (with its audit entry) before this returns; rows removed are deleted; rows not yet
    valid kept in the session. Returns False when the tender has no workspace."""
    ws = workspace_for(tender)
    if ws is None:
        return False
    base = _store(_BASE).get(tender.key)
    if base is None:
        base = read(tender)
    old, new = _as_map(base), _as_map(scores)
    pending = _store(_PENDING).setdefault(tender.key, {})
    for key, row in new.items():
        if key in old and _same(old[key], row):
            continue
        try:
            ws.check_score(row["bidder"], row["criterion"], row["evaluator"], row["score"], row["rationale"])
        except EvaluatorError:
            pending[key] = {k: row.get(k) for k in SCORE_COLUMNS}
            continue
        ws.set_score(row["bidder"], row["criterion"], row["evaluator"], row["score"], row["rationale"],
                     actor=str(row["evaluator"]))
        pending.pop(key, None)
    for key in old.keys() - new.keys():
        pending.pop(key, None)
        ws.delete_score(*key, actor=key[2])
    read(tender)
    return True


def pending_rows(tender) -> list[tuple]:
    """Rows typed in this session that are not saved yet (not valid scores)."""
    return sorted(_store(_PENDING).get(tender.key, {}).keys())


def save_score(tender, bidder: str, criterion: str, evaluator: str, score, rationale: str, actor: str) -> dict:
    """Save one score at once (the Moderation page's consensus, with the lead who recorded it). Refused
    with a message, never half-saved, when it is not a valid score."""
    if not str(rationale or "").strip():
        raise InputError("is empty: every score needs a rationale (reg 31 asks for an explanation)",
                         field="rationale", value=rationale)
    ws = workspace_for(tender)
    if ws is not None:
        saved = ws.set_score(bidder, criterion, evaluator, score, rationale, actor=actor or evaluator)
        _store(_PENDING).get(tender.key, {}).pop((bidder, criterion, evaluator), None)
        read(tender)
        return saved
    from app_pages.common import get_scores, set_scores
    scores = get_scores()
    keep = ~((scores["bidder"] == bidder) & (scores["criterion"] == criterion) & (scores["evaluator"] == evaluator))
    row = pd.DataFrame([{"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": float(score),
                         "rationale": str(rationale).strip()}])
    set_scores(pd.concat([scores[keep], row], ignore_index=True))
    return {"bidder": bidder, "criterion": criterion, "evaluator": evaluator, "score": float(score),
            "rationale": str(rationale).strip(), "seq": None, "changed": True}


def evaluator_status(tender) -> pd.DataFrame:
    """Who has marked their scoring complete (from the workspace, or this session when there is none)."""
    ws = workspace_for(tender)
    if ws is not None:
        return ws.evaluators()
    from app_pages.common import get_scores
    from evaluator.scoring import MODERATED
    names = sorted({e for e in get_scores()["evaluator"].astype(str) if e != MODERATED})
    done = _store(_COMPLETE).get(tender.key, {})
    return pd.DataFrame({"evaluator": names, "complete": [bool(done.get(n, False)) for n in names],
                         "updated_at": [None] * len(names)})


def set_complete(tender, evaluator: str, complete: bool = True) -> None:
    ws = workspace_for(tender)
    if ws is not None:
        ws.set_complete(evaluator, complete)
    else:
        _store(_COMPLETE).setdefault(tender.key, {})[evaluator] = bool(complete)
