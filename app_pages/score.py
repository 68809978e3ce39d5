"""Score (evaluator): one row per bid and scale criterion, a score from the scale and a mandatory rationale.

Each evaluator scores alone: they pick who they are, see and edit only their own scores, and see the other
evaluators' scores, the spread (SV205) and the consensus only once they have marked their scoring complete
(the same mark the Moderation page and `workspace complete` use). The lead records the MODERATED consensus
on the Moderation page. Scores are saved (in the tender's workspace) and used everywhere as soon as they are
entered; a row the engine refuses (no rationale, a score off the scale) is named and left out until it is
fixed, never silently corrected.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.panel import (CHOSEN, completed, mark_complete, question_grid, questions, score_label, still_scoring,
                       where_saved)
from app.state import checked_scores, evaluator_status, get_evaluation, get_rubric, get_scores, get_tender, set_scores
from app.ui import edit_table, escape_md, guard, show_problems, text_table
from evaluator import MODERATED, SCORE_COLUMNS, formula_safe_frame, moderation, scale_marks

_EVALUATORS = "sv_evaluators"   # {tender key: [evaluator names added on this page]}
EDITOR = "score_editor"
PANEL_CODES = ("SV205", "SV206", "SV207", "SV203")
OWN_CODES = ("SV203", "SV206", "SV207")  # what the evaluator's own scores alone can raise

def score_from_label(label) -> float | None:
    if label is None or (isinstance(label, float) and label != label) or str(label).strip() == "":
        return None
    return float(str(label).split(" - ", 1)[0])


def evaluator_rows(scores: pd.DataFrame, evaluator: str, rubric, bidders: list[str]) -> pd.DataFrame:
    """The grid one evaluator fills: every bid × scale criterion, with what they have entered so far."""
    grid = question_grid(bidders, rubric)
    mine = scores[scores["evaluator"] == evaluator].drop_duplicates(["bidder", "criterion"], keep="last")
    grid = grid.merge(mine[["bidder", "criterion", "score", "rationale"]], on=["bidder", "criterion"], how="left")
    grid["score"] = [None if s is None or s != s or str(s) == "" else score_label(float(s), rubric)
                     if _on_scale(s, rubric) else str(s) for s in grid["score"]]
    grid["rationale"] = grid["rationale"].astype(object).where(grid["rationale"].notna(), None)
    if evaluator == MODERATED:
        panel = scores[scores["evaluator"] != MODERATED]
        shown = (panel.assign(s=panel["evaluator"].astype(str) + " " + panel["score"].map(_fmt))
                 .groupby(["bidder", "criterion"])["s"].agg(", ".join).rename("panel scores").reset_index())
        grid = grid.merge(shown, on=["bidder", "criterion"], how="left")
        col = grid.pop("panel scores")
        grid.insert(3, "panel scores", col.astype(object).where(col.notna(), ""))
    for col in grid.columns:
        grid[col] = grid[col].astype(object)
    return grid


def _height(rows: int) -> int:
    """Room for every row of a small tender's table; a bulk tender's scrolls."""
    return min(35 * (rows + 1) + 3, 740)


def _fmt(v) -> str:
    try:
        return f"{float(v):g}"
    except (TypeError, ValueError):
        return str(v)


def _on_scale(s, rubric) -> bool:
    try:
        return float(s) in set(float(x) for x in rubric.spec.scale)
    except (TypeError, ValueError):
        return False


def merge_rows(scores: pd.DataFrame, evaluator: str, edited: pd.DataFrame) -> pd.DataFrame:
    """All scores with this evaluator's rows replaced by the edited grid. A row with neither score nor
    rationale is not a score; a row with one of them is kept as typed (and reported until complete)."""
    rows = []
    for r in edited.to_dict("records"):
        score = score_from_label(r.get("score"))
        rationale = r.get("rationale")
        rationale = None if rationale is None or (isinstance(rationale, float) and rationale != rationale) else \
            str(rationale).strip()
        if score is None and not rationale:
            continue
        rows.append({"bidder": r["bidder"], "criterion": r["criterion"], "evaluator": evaluator,
                     "score": score, "rationale": rationale or ""})
    others = scores[scores["evaluator"] != evaluator]
    mine = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    out = pd.concat([others, mine], ignore_index=True) if len(others) else mine
    return out[SCORE_COLUMNS].reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["evaluator", "bidder", "criterion"]
    norm = lambda d: d[SCORE_COLUMNS].astype(str).sort_values(key).reset_index(drop=True)  # noqa: E731
    return len(a) == len(b) and norm(a).equals(norm(b))


def _add_evaluator(tender_key: str) -> None:
    name = str(st.session_state.get("new_evaluator", "")).strip()
    if name and name != MODERATED:
        added = st.session_state.setdefault(_EVALUATORS, {}).setdefault(tender_key, [])
        if name not in added:
            added.append(name)
        st.session_state["scoring_as"] = name
    st.session_state["new_evaluator"] = ""


def own_flags(own_usable: pd.DataFrame, rubric, bidders: list[str]) -> pd.DataFrame:
    """SV203/SV206/SV207 worked out by the engine (scale_marks) from this evaluator's own scores alone, so
    nothing about the other evaluators' scores shows before the evaluator has finished."""
    _, flags = scale_marks(own_usable[SCORE_COLUMNS], rubric, bidders)
    return flags[flags["code"].isin(OWN_CODES)].reset_index(drop=True)


def _who(tender, status: pd.DataFrame, scores: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The evaluator this browser scores as (chosen once, kept across pages and shared with Moderation)."""
    known = list(dict.fromkeys(status["evaluator"].astype(str).tolist()
                               + [e for e in scores["evaluator"].astype(str) if e != MODERATED]))
    added = st.session_state.get(_EVALUATORS, {}).get(tender.key, [])
    options = known + [e for e in added if e not in known]
    chosen = st.session_state.setdefault(CHOSEN, {})  # survives leaving the page (widget state does not)
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    c2.text_input("Add your name", key="new_evaluator", placeholder="name")
    c3.button("Add", on_click=_add_evaluator, args=(tender.key,))
    if not options:
        c1.info("Add your name to start scoring.")
        return None, options
    if st.session_state.get("scoring_as") not in options:
        st.session_state["scoring_as"] = chosen.get(tender.key) if chosen.get(tender.key) in options else options[0]
    evaluator = c1.selectbox("I am", options, key="scoring_as")
    chosen[tender.key] = evaluator
    return evaluator, options


def _download(scores: pd.DataFrame, label: str) -> None:
    # formula-like rationales are quoted so no spreadsheet runs them; load_scores reads them back exact
    st.download_button(label, data=formula_safe_frame(scores[SCORE_COLUMNS]).to_csv(index=False).encode("utf-8"),
                       file_name="scores.csv", mime="text/csv")


def _scoring(tender, rubric, scores: pd.DataFrame, evaluator: str) -> None:
    """Before completion: the evaluator's own grid, their own flags, and the completion mark."""
    bidders = tender.bidset.bidders
    labels = [score_label(float(s), rubric) for s in rubric.spec.scale]
    grid = evaluator_rows(scores, evaluator, rubric, bidders)
    config = {
        "bidder": st.column_config.TextColumn("bid", disabled=True),
        "criterion": st.column_config.TextColumn("criterion", disabled=True),
        "question": st.column_config.TextColumn("question", disabled=True),
        "score": st.column_config.SelectboxColumn("score", options=labels, width="medium",
                                                  help="The scale, with its descriptors"),
        "rationale": st.column_config.TextColumn("rationale (required)", width="large"),
    }
    st.subheader("Your scores")
    edited = edit_table(EDITOR, f"{tender.key}|{evaluator}", grid, hide_index=True, width="stretch",
                        num_rows="fixed", column_config=config, height=_height(len(grid)))
    merged = merge_rows(scores, evaluator, edited)
    if not _same(merged, scores):
        set_scores(merged)
        scores = merged
    mine = scores[scores["evaluator"] == evaluator].reset_index(drop=True)
    usable, problems = checked_scores(mine, rubric, bidders)
    if problems:
        st.warning("These scores are not saved or used until they are complete:")
        show_problems(problems, kind="warning")
    with st.expander("The scale and its descriptors"):
        st.dataframe(text_table(pd.DataFrame({"score": [f"{float(s):g}" for s in rubric.spec.scale],
                                              "descriptor": [rubric.descriptor(s) or "" for s in rubric.spec.scale]})),
                     hide_index=True)
    _flag_table(own_flags(usable, rubric, bidders), "Flags on your scores",
                "Every cell has your score and none is below a minimum score (SV203, SV207).")
    _download(mine, "Download my scores (scores.csv)")
    st.divider()
    unscored = int(grid_missing(mine, rubric, bidders))
    st.caption("The other evaluators' scores, how far apart the panel is (SV205) and the consensus stay hidden "
               "until you mark your scoring complete, so each score is your own reading of the bid.")
    if unscored:
        st.warning(f"{unscored} cell(s) have no score from you yet.")
    mark_complete(tender, evaluator, "score_complete")


def grid_missing(mine: pd.DataFrame, rubric, bidders: list[str]) -> int:
    """Cells (bid x question) this evaluator has not scored."""
    have = set(zip(mine["bidder"].astype(str), mine["criterion"].astype(str)))
    return sum((b, c.id) not in have for b in bidders for c in rubric.scale_criteria)


def _complete(tender, rubric, scores: pd.DataFrame, evaluator: str, status: pd.DataFrame) -> None:
    """After completion: own scores (read only), then the panel side by side, SV205 and the consensus."""
    bidders = tender.bidset.bidders
    completed(tender, evaluator, "score_reopen", "; reopen to change yours.")
    mine = evaluator_rows(scores, evaluator, rubric, bidders)
    st.subheader("Your scores")
    st.dataframe(text_table(mine), hide_index=True, width="stretch", height=_height(len(mine)))
    usable, problems = checked_scores(scores, rubric, bidders)  # rows not yet valid are not the panel's scores
    if problems:
        show_problems([p for p in problems if f" / {evaluator})" in p], kind="warning")
    visible = moderation.visible_scores(usable[SCORE_COLUMNS], evaluator, status)
    still_scoring(status)
    st.subheader("The panel's scores per cell")
    table = moderation.side_by_side(visible, rubric.spec.scale, bidders, questions(rubric))
    ev = get_evaluation()
    used = ev.scale[["bidder", "criterion", "score", "basis", "marks"]].rename(columns={"score": "score used"})
    table = table.merge(used, on=["bidder", "criterion"], how="left")
    table["marks"] = table["marks"].round(2)
    st.dataframe(text_table(table.rename(columns={"bidder": "bid"})), hide_index=True, width="stretch",
                 height=_height(len(table)))
    st.caption("A consensus (MODERATED) score with its rationale is recorded on the Moderation page.")
    _download(visible, "Download scores.csv")
    _flag_table(ev.flags[ev.flags["code"].isin(PANEL_CODES)], "Scoring flags",
                "No disagreement, missing consensus or unscored criteria (SV205, SV206, SV207).")


def _flag_table(flags: pd.DataFrame, heading: str, none_message: str) -> None:
    """Flags on scores with their fixes, or a line saying there are none, and a count per code."""
    st.subheader(heading)
    if flags.empty:
        st.success(none_message)
        return
    st.dataframe(text_table(flags[["bidder", "criterion", "code", "name", "severity", "message", "fix"]]),
                 hide_index=True, width="stretch")
    st.caption(escape_md(", ".join(f"{c}: {n}" for c, n in flags["code"].value_counts().items())))


def main() -> None:
    tender = get_tender()
    rubric = get_rubric()
    scores = get_scores()
    st.title("Score")
    st.caption("Each evaluator scores every bid on each quality question alone, with a score from the scale and a "
               "rationale (every score needs one: regulation 31 asks for an explanation). You see only your own "
               "scores until you mark your scoring complete; then the panel's scores appear and the lead records "
               "the consensus on the Moderation page. Scores are used on every page as soon as they are entered.")
    where_saved(tender, "as you enter them.", lambda why: st.warning(
        escape_md("Scores are kept for this browser session only" + (f" ({why})." if why else "."))))
    if not rubric.scale_criteria:
        st.info("This rubric has no scale (quality) criteria, so there is nothing to score.")
        return
    status = evaluator_status(tender)
    evaluator, _ = _who(tender, status, scores)
    if evaluator is None:
        return
    done = bool(status.set_index("evaluator")["complete"].get(evaluator, False)) if len(status) else False
    if done:
        _complete(tender, rubric, scores, evaluator, status)
    else:
        _scoring(tender, rubric, scores, evaluator)


with guard("the Score page"):
    main()
