"""The panel's rules (DESIGN.md 10) for a tender whose scores are kept in the browser session only (an upload
whose bids did not all load, a workspace folder that cannot be written): a stand-in for what the workspace
enforces (evaluator/workspace.py), so the Score and Moderation pages behave the same with and without one.
It protects nothing a persona picker does not already give away (one browser, a demonstration): a panel's
server (`--workspace F`) always has its workspace. app/state.py is the only caller."""
from __future__ import annotations

from typing import Optional

import pandas as pd
import streamlit as st

from evaluator import MODERATED
from evaluator import panel as rules
from evaluator.panel import Identity, NotAllowed

_COMPLETE = "sv_ws_complete"   # {tender key: {evaluator: bool}}
_DECLARED = "sv_declarations"  # {tender key: {user: declaration dict}}


def _store(name: str, key: str) -> dict:
    return st.session_state.setdefault(name, {}).setdefault(key, {})


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")


def refuse(reason: Optional[str]) -> None:
    if reason:
        raise NotAllowed(reason)


def completed(key: str) -> dict:
    return _store(_COMPLETE, key)


def set_complete(key: str, evaluator: str, complete: bool) -> None:
    _store(_COMPLETE, key)[evaluator] = bool(complete)


def status(key: str, scores: pd.DataFrame) -> pd.DataFrame:
    """evaluator, complete, updated_at: everyone who has scored or submitted."""
    done = completed(key)
    names = sorted({e for e in scores["evaluator"].astype(str) if e != MODERATED} | set(done))
    return pd.DataFrame({"evaluator": names, "complete": [bool(done.get(n, False)) for n in names],
                         "updated_at": [None] * len(names)})


def declaration(key: str, user: str) -> Optional[dict]:
    return _store(_DECLARED, key).get(user)


def declare(key: str, by: Optional[Identity], conflict: bool, details: str) -> None:
    if by is None:
        raise NotAllowed("sign in first: a declaration is made by a signed-in person", field="user")
    details = str(details or "").strip()
    if conflict and not details:
        raise NotAllowed("is empty: say what the conflict is, so the lead can decide how to mitigate it",
                         field="details")
    _store(_DECLARED, key)[by.user] = {"user": by.user, "conflict": bool(conflict), "details": details,
                                       "declared_at": _now(), "mitigation": "", "mitigated_by": "",
                                       "mitigated_at": ""}


def mitigate(key: str, by: Optional[Identity], user: str, how: str) -> None:
    refuse(can(key, by, rules.MANAGE_PANEL, submitted=False))
    held = declaration(key, user)
    if held is None or not held["conflict"]:
        raise NotAllowed("has declared no conflict to mitigate", field="user", value=user)
    if not str(how or "").strip():
        raise NotAllowed("is empty: say how the conflict is mitigated", field="mitigation")
    held.update(mitigation=str(how).strip(), mitigated_by=by.actor, mitigated_at=_now())


def can(key: str, by: Optional[Identity], action: str, *, submitted: bool, **context) -> Optional[str]:
    """None when allowed, else the reason (the workspace's rules, for a demonstration persona)."""
    if by is None:
        return None  # as a workspace without users, used by no one in particular
    if action in (rules.MODERATE, rules.REOPEN, rules.MANAGE_PANEL, rules.LOAD_FILES, rules.SERVER_PATHS):
        return None if by.is_lead else f"only the procurement lead may {action}"
    if action == rules.SEE_ALL_SCORES:
        return None if by.role != rules.EVALUATOR or submitted else \
            "an evaluator sees the other evaluators' scores only once they have submitted their own"
    if by.role == rules.OBSERVER:
        return f"an observer reads and changes nothing, so may not {action}"
    whose = context.get("evaluator")
    if action in (rules.SCORE, rules.SUBMIT) and whose not in (None, by.user):
        return f"{by.user} may {action} only as themselves, not as {whose}"
    d = declaration(key, by.user)
    if action in (rules.SEE_BIDS, rules.SCORE, rules.SUBMIT) and d is None:
        return "declare any conflict of interest first (Procurement Act 2023 s81-83)"
    if action == rules.SCORE and d["conflict"] and not d["mitigation"]:
        return "a declared conflict of interest stops scoring until the lead records how it is mitigated"
    if action == rules.SCORE and submitted:
        return "your scoring is submitted: only the lead can reopen it"
    return None


def view(scores: pd.DataFrame, viewer: Optional[Identity], submitted: bool) -> pd.DataFrame:
    """What `viewer` may see: an evaluator who has not submitted, their own rows only."""
    if viewer is None or viewer.role != rules.EVALUATOR or submitted:
        return scores
    return scores[scores["evaluator"].astype(str) == viewer.user].reset_index(drop=True)


def gaps(rubric, bids: pd.DataFrame, scores: pd.DataFrame, evaluator: str, lotted: bool) -> list[str]:
    """Every cell (bid x scored criterion, in every lot) with no score or no rationale from `evaluator`, as
    'lot / bid / criterion' ('bid / criterion' without lots), in the order of the bids."""
    mine = scores[scores["evaluator"].astype(str) == evaluator]
    have = {(str(r.get("lot") or ""), str(r["bidder"]), str(r["criterion"])) for r in mine.to_dict("records")
            if str(r.get("rationale") or "").strip() and r.get("score") == r.get("score") and r.get("score") is not None}
    out = []
    for r in bids.to_dict("records"):
        lot = str(r.get("lot") or "") if lotted else ""
        lr = rubric.for_lot(lot) if lot else rubric
        for c in list(lr.scale_criteria) + list(getattr(lr, "pass_fail_criteria", None) or []):
            if (lot, str(r["bidder"]), c.id) not in have:
                out.append(f"{lot + ' / ' if lot else ''}{r['bidder']} / {c.id}")
    return out


def missing_line(found: list[str]) -> str:
    return (f"{len(found)} score(s) or rationale(s) still missing, the first: {found[0]}; submit once every "
            "criterion of every bid has your score and rationale")
