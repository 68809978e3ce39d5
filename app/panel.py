"""What the Score and Moderation pages share: a scale point as offered ('60 - Satisfactory'), the grid of
bids by question, who this browser scores as, where the scores are kept, and an evaluator's completion mark
(the other evaluators' scores stay hidden until it is set)."""
from __future__ import annotations

from typing import Callable, Optional

import pandas as pd
import streamlit as st

from app import workspaces
from app.state import set_complete
from app.ui import escape_md

CHOSEN = "sv_scoring_as"  # {tender key: who this browser scores as}, kept across both pages


def score_label(score: float, rubric) -> str:
    """A scale point with its descriptor, as offered in the drop-down: '60 - Satisfactory'."""
    d = rubric.descriptor(score)
    return f"{score:g} - {d}" if d else f"{score:g}"


def questions(rubric) -> list[dict]:
    """The scale (quality) questions, as the engine's moderation functions take them."""
    return [{"id": c.id, "name": c.name or c.id} for c in rubric.scale_criteria]


def question_grid(bidders: list[str], rubric, bid: str = "bidder") -> pd.DataFrame:
    """One row per bid and scale question: `bid` (the column's name), criterion, question."""
    return pd.DataFrame([(b, c.id, c.name or c.id) for b in bidders for c in rubric.scale_criteria],
                        columns=[bid, "criterion", "question"])


def where_saved(tender, saved: str, session_only: Callable[[Optional[str]], None]) -> None:
    """'Saved in the workspace <path> <saved>' when the tender has a workspace; else `session_only(why)`,
    why being the reason there is none (None for an upload kept in the session by design)."""
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        st.caption(escape_md(f"Saved in the workspace {ws.path} {saved}"))
    else:
        session_only(workspaces.workspace_problem(tender))


def mark_complete(tender, evaluator: str, key: str) -> None:
    """The button that marks this evaluator's scoring complete (the panel's scores then show)."""
    if st.button("Mark my scoring complete", key=key, type="primary"):
        set_complete(tender, evaluator, True)
        st.rerun()


def completed(tender, evaluator: str, key: str, shown: str) -> None:
    """Says this evaluator's scoring is complete, with the button that reopens it."""
    st.success(f"{evaluator}: scoring complete. The panel's scores are shown below{shown}")
    if st.button("Reopen my scoring", key=key):
        set_complete(tender, evaluator, False)
        st.rerun()


def still_scoring(status: pd.DataFrame) -> None:
    """Who has not marked their scoring complete yet (their scores may still change)."""
    still = status[~status["complete"].astype(bool)]["evaluator"].tolist()
    if still:
        st.warning(escape_md("Still scoring (their scores may change): " + ", ".join(still)))
