"""Moderation (the lead; evaluators once submitted; observers): independent scoring first, then the panel's
scores side by side, SV205 where they are far apart, a consensus with its rationale beside the originals,
and Kendall's W per question so a lead sees which questions the panel read differently.

Who may do what is the workspace's (DESIGN.md 10), for the signed-in person: an evaluator sees only their own
scores until they submit (the page says why); only the lead records a consensus (MODERATED), sees who has
submitted and who has not, records how a declared conflict of interest is mitigated and reopens a
submission; an observer reads. Scores are saved in the
tender's workspace (committed before the page says so), so a refresh or a restart loses nothing. Each question
is read on its own scale (a pass/fail question as Pass or Fail, its consensus too); a rubric with a criteria
tree shows it; a tender with lots is moderated one lot at a time.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app.panel import options as score_options
from app.access import require_identity
from app.panel import (SCORE_KINDS, mitigation_control, panel_table, pass_fail_ids, question_grid, questions,
                       refused, reopen_control, score_from_label, score_label, show_panel, show_tree, shown_score,
                       simple, still_scoring, where_saved, who_has_submitted)
from app.state import (LOT, evaluator_status, get_rubric, get_scores, get_tender, lot_bidders, save_score,
                       submitted, with_lot)
from app.ui import escape_md, flag_label, guard, lot_picker, show_table
from evaluator import MODERATED, EvaluatorError, moderation
from evaluator.panel import EVALUATOR


_SAVED = "sv_mod_saved"  # the line saying a consensus was saved, shown after the rerun that draws it


AGREED = "How far the panel agreed (Kendall's W: 0 none, 1 complete)"
P_VALUE = "chance of this much agreement by luck (p-value)"


def agreement_table(agree: pd.DataFrame) -> pd.DataFrame:
    """The engine's agreement table (moderation.agreement) headed in words, the technical name second."""
    out = agree.rename(columns={"W": AGREED, "chi_square": "chi-square", "df": "degrees of freedom",
                                "p_value": P_VALUE})
    return out[["criterion", "name", "evaluators", "bids", AGREED, "reading", "chi-square", "degrees of freedom",
                P_VALUE, "note"]].rename(columns={"name": "question"})


def agreement_chart(agree: pd.DataFrame) -> alt.Chart:
    """Kendall's W per question, 0 (no agreement) to 1 (the panel ranked the bids identically)."""
    data = agree[["criterion", "name", "W", "reading"]].copy()
    data["W"] = pd.to_numeric(data["W"], errors="coerce").astype(float)
    data = data.dropna(subset=["W"])
    data["criterion"] = data["criterion"].astype(object).map(str)
    data["reading"] = data["reading"].astype(object).map(str)
    data["name"] = data["name"].astype(object).map(str)
    return (alt.Chart(data).mark_bar()
            .encode(y=alt.Y(field="criterion", type="nominal", title="question", sort=None),
                    x=alt.X(field="W", type="quantitative", title="agreement (Kendall's W, 0 to 1)",
                            scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".1f", tickCount=5)),
                    color=alt.Color(field="reading", type="nominal", title="reading",
                                    legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=340)),
                    tooltip=[alt.Tooltip(field="criterion", type="nominal"), alt.Tooltip(field="name", type="nominal"),
                             alt.Tooltip(field="W", type="quantitative", format=".2f", title="agreement (W)"),
                             alt.Tooltip(field="reading", type="nominal")])
            .properties(height=alt.Step(28)))


def own_scores(scores: pd.DataFrame, evaluator: str, rubric, bidders: list[str]) -> pd.DataFrame:
    grid = question_grid(bidders, rubric, bid="bid")
    mine = scores[scores["evaluator"] == evaluator].rename(columns={"bidder": "bid"})
    grid = grid.merge(mine[["bid", "criterion", "score", "rationale"]], on=["bid", "criterion"], how="left")
    if not simple(rubric):  # each question on its own scale: Pass or Fail for a pass/fail question
        grid["score"] = [shown_score(v, rubric, c) for v, c in zip(grid["score"], grid["criterion"])]
    return grid


def _session_only(why) -> None:
    if why:
        st.warning(escape_md("Scores are kept for this browser session only: the workspace could not be opened ("
                             + why + "). Set SOCIAL_VALUE_HOME to a folder the app can write to."))
    else:
        st.info("Scores for an uploaded tender are kept for this browser session only.")


def main() -> None:
    tender = get_tender()
    rubric = get_rubric()
    st.title("Moderation")
    st.caption("Each evaluator scores alone and sees only their own scores until they submit their scoring. "
               "Then the panel's scores appear side by side; where they are more than two scale steps apart the "
               "cell is flagged SV205, and the lead records a consensus (MODERATED) score with its rationale. The "
               "original scores are kept beside it.")
    me = require_identity()
    where_saved(tender, "(every change is in its audit log).", _session_only)
    if not questions(rubric):
        st.info("This rubric has no scale (quality) criteria, so there is nothing to moderate.")
        return
    if me.is_lead:
        table = who_has_submitted(tender)
        reopen_control(tender, table, me, "mod_reopen")
        mitigation_control(tender, table, me)
    if me.role == EVALUATOR and not submitted(tender, me.user):
        st.info("The other evaluators' scores are hidden until you submit your scoring on the Score page, so each "
                "score is your own reading of the bid. Then the panel's scores appear here.")
        if not simple(rubric):
            show_tree(rubric)
        lot = lot_picker(rubric, key="mod_lot", label="Lot") or ""
        scores = with_lot(get_scores())
        mine = own_scores(scores[scores[LOT] == lot], me.user, rubric, lot_bidders(tender, lot))
        missing = int(mine["score"].map(lambda v: v is None or v != v or v == "").sum())
        st.subheader(f"Your scores ({len(mine) - missing} of {len(mine)} cells scored)")
        show_table(mine, kinds=SCORE_KINDS)
        return
    if not simple(rubric):
        show_tree(rubric)
    lot = lot_picker(rubric, key="mod_lot", label="Lot to moderate") or ""
    scores = with_lot(get_scores())
    scores = scores[scores[LOT] == lot]
    status = evaluator_status(tender)
    panel = status["evaluator"].tolist()
    if not panel:
        st.info("No evaluator has scored yet. Scores are entered on the Score page.")
        return
    bidders = lot_bidders(tender, lot)
    if me.role == EVALUATOR:
        st.success(escape_md(f"{me.user}: your scoring is submitted. Only the lead can reopen it."))
    if not me.is_lead:  # the lead has read who has not submitted, above
        still_scoring(status)

    visible = scores  # what the workspace lets this person see
    table = panel_table(visible, rubric, bidders)
    flagged = int(table["SV205"].sum())
    st.subheader("Scores side by side" + (f": lot {lot}" if lot else ""))
    only = st.toggle("Only cells still needing a consensus", key="mod_only_open")
    shown = table[table["status"] != "consensus recorded"] if only else table
    show_panel(shown, rubric, panel, height=min(35 * (len(shown) + 1) + 3, 740))
    st.caption(f"{flag_label('SV205')}, more than two scale steps: {flagged} cell(s). "
               f"Consensus recorded: {int((table['status'] == 'consensus recorded').sum())} of {len(table)}.")

    if me.is_lead:
        _consensus(tender, rubric, table, visible, me, lot)
    else:
        st.caption("Only the lead records a consensus (MODERATED) score.")
    _agreement(rubric, visible, bidders)


def _consensus(tender, rubric, table: pd.DataFrame, visible: pd.DataFrame, me, lot: str) -> None:
    """The lead records a consensus (MODERATED) score with its rationale, beside the originals."""
    st.subheader("Record a consensus")
    cells = list(zip(table["bidder"], table["criterion"]))
    order = np.argsort((table["status"] == "consensus recorded").to_numpy(), kind="stable")
    options = [cells[i] for i in order]
    cell = st.selectbox("Bid and question", options, key="mod_cell",
                        format_func=lambda c: f"{c[0]} / {c[1]}")
    bidder, criterion = cell
    said = moderation.rationales(visible, bidder, criterion)
    if criterion in pass_fail_ids(rubric):
        said["score"] = [shown_score(v, rubric, criterion) for v in said["score"]]
    who = lambda e: "Consensus so far" if e == MODERATED else e  # noqa: E731
    st.markdown("  \n".join(escape_md(f"{who(r['evaluator'])}: {shown_score(r['score'], rubric, criterion)}. "
                                       f"{r['rationale'] or ''}".strip()) for r in said.to_dict("records"))
                or escape_md("No score yet for this bid and question."))
    flat = simple(rubric)
    labels = score_options(rubric) if flat else score_options(rubric, criterion)
    row = table[(table["bidder"] == bidder) & (table["criterion"] == criterion)].iloc[0]
    current = row["moderated"]
    label_now = (score_label(float(current), rubric) if flat else score_label(float(current), rubric, criterion)) \
        if current == current else None
    default = labels.index(label_now) if label_now in labels else None
    pass_fail = criterion in pass_fail_ids(rubric)
    with st.form("mod_form", clear_on_submit=False):
        chosen = st.selectbox("Consensus result (Pass or Fail)" if pass_fail else "Consensus score", labels,
                              index=default, key="mod_score" if flat else f"mod_score_{criterion}")
        rationale = st.text_area("Rationale (required: why the panel agreed this score)", key="mod_rationale",
                                 value=row["moderated_rationale"] if isinstance(row["moderated_rationale"], str) else "")
        submitted_ = st.form_submit_button("Record consensus")
    if submitted_:
        if chosen is None:
            st.error("Choose a consensus score from the scale.")
        else:
            try:
                saved = save_score(tender, bidder, criterion, MODERATED, score_from_label(chosen), rationale,
                                   lot=lot, by=me)
            except EvaluatorError as exc:
                refused(exc)
            else:
                where = f" (audit entry {saved['seq']})" if saved.get("seq") else ""
                value = shown_score(saved["score"], rubric, criterion) if pass_fail else f"{saved['score']:g}"
                st.session_state[_SAVED] = (f"Saved: {(lot + ' / ') if lot else ''}{bidder} / {criterion} consensus "
                                            f"{value}{where}. The original scores are kept beside it.")
                st.rerun()  # the table above shows it at once
    said = st.session_state.pop(_SAVED, None)
    if said:
        st.success(escape_md(said))


def _agreement(rubric, visible: pd.DataFrame, bidders: list[str]) -> None:
    st.subheader("How far the panel agreed, per question (Kendall's W)")
    ranked = [q for q in questions(rubric) if q["id"] not in pass_fail_ids(rubric)]  # pass/fail ranks nothing
    agree = moderation.agreement(visible, ranked, bidders)
    shown = agreement_table(agree)
    show_table(shown, kinds={AGREED: "marks", "chi-square": "marks", "degrees of freedom": "whole",
                             P_VALUE: "p_value", "evaluators": "whole", "bids": "whole", "criterion": "text"})
    if agree["W"].notna().any():
        st.altair_chart(agreement_chart(agree), width="stretch")
    st.caption("Kendall's W is 1 when every evaluator ranked the bids the same way and near 0 when their rankings are "
               "unrelated; ties are corrected for. A low W says the panel read the question differently: worth "
               "discussing before moderating. The bands (0.7 strong, 0.5 moderate, 0.3 weak) are a rule of "
               "thumb, not a test.")


with guard("the Moderation page"):
    main()
