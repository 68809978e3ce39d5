"""What the Score and Moderation pages share: a scale point as offered ('60 - Satisfactory', or 'Pass' and
'Fail' for a pass/fail question), each criterion with its own scale and descriptors, the criteria as a tree
(groups with their sub-criteria and weights), the grid of bids by question, the panel's scores side by side,
where the scores are kept, and the panel (DESIGN.md 10): the conflict of interest declaration, "Submit my
scoring", the lead's view of who has submitted, reopening a submission and mitigating a declared conflict.
Every action is the signed-in person's (app.access) and the workspace's rules decide; a refusal is one line
where the user acted."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pandas as pd
import streamlit as st

from app import access, workspaces
from app.state import declaration, declare, mitigate, panel_status, set_complete
from app.ui import escape_md, flag_label, show_table
from evaluator import EvaluatorError, moderation
from evaluator.formatting import date_text
from evaluator.panel import EVALUATOR, NotAllowed, SignInRefused
PASS, FAIL = "Pass", "Fail"   # a pass/fail question's choices (stored as 1 and 0)
# what show_table takes as text, not by the engine's name for it ("lowest" is a price there, a score here)
TEXT_KINDS = {c: "text" for c in ("panel member", "role", "declared", "conflict", "mitigation", "submitted",
                                  "submitted at")} | {"scores saved": "whole"}


def pass_fail_ids(rubric) -> set[str]:
    return {c.id for c in getattr(rubric, "pass_fail_criteria", None) or []}


def scored(rubric) -> list:
    """The criteria evaluators score, in the tree's order: scale questions and pass/fail questions."""
    wanted = {c.id: c for c in list(rubric.scale_criteria) + list(getattr(rubric, "pass_fail_criteria", None) or [])}
    order = [i for i in rubric.criteria["id"] if i in wanted] if "id" in rubric.criteria else []
    return [wanted[i] for i in order] + [c for i, c in wanted.items() if i not in order]


def criterion_scale(rubric, cid: Optional[str]) -> list[float]:
    """The scores a criterion takes: 1 and 0 for pass/fail, else its own scale or the rubric's."""
    if cid is not None and cid in pass_fail_ids(rubric):
        return [1.0, 0.0]
    if cid is not None and hasattr(rubric, "criterion_scale"):
        return [float(s) for s in rubric.criterion_scale(cid)]
    return [float(s) for s in rubric.spec.scale]


def own_scale(rubric, cid: str) -> bool:
    """Whether a criterion has a scale of its own (or is pass/fail): then the single grid cannot offer it."""
    return cid in pass_fail_ids(rubric) or criterion_scale(rubric, cid) != [float(s) for s in rubric.spec.scale]


def simple(rubric) -> bool:
    """A flat rubric whose questions all use the rubric's scale (every rubric before DESIGN.md 9): the Score
    page keeps its one grid of bids by question."""
    return (len(getattr(rubric, "groups", ())) == 0
            and not any(own_scale(rubric, c.id) for c in scored(rubric)))


def score_label(score: float, rubric, criterion: Optional[str] = None) -> str:
    """A score as offered in the drop-down: '60 - Satisfactory' (the criterion's own descriptors when it has
    them), 'Pass' or 'Fail' for a pass/fail question."""
    if criterion is not None and criterion in pass_fail_ids(rubric):
        return PASS if float(score) >= 1 else FAIL
    try:
        d = rubric.descriptor(score, criterion) if criterion is not None else rubric.descriptor(score)
    except TypeError:  # a Rubric from before per-criterion descriptors
        d = rubric.descriptor(score)
    return f"{score:g} - {d}" if d else f"{score:g}"


def score_from_label(label) -> Optional[float]:
    """The score a drop-down label stands for: 'Pass' 1, 'Fail' 0, '60 - Satisfactory' 60; None when blank."""
    if label is None or (isinstance(label, float) and label != label) or str(label).strip() == "":
        return None
    text = str(label).strip()
    if text.lower() in ("pass", "fail"):
        return 1.0 if text.lower() == "pass" else 0.0
    return float(text.split(" - ", 1)[0])


def options(rubric, cid: Optional[str] = None) -> list[str]:
    """Every choice for a criterion's score (the rubric's scale when `cid` is None)."""
    return [score_label(s, rubric, cid) for s in criterion_scale(rubric, cid)]


def shown_score(value, rubric, cid: str) -> str:
    """A stored score as read: 'Pass'/'Fail' for pass/fail, else the number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if v != v:
        return ""
    return score_label(v, rubric, cid) if cid in pass_fail_ids(rubric) else f"{v:g}"


def path_names(rubric, cid: str) -> str:
    """A criterion's place in the tree in names: 'Quality > Service model' (its name alone at the top)."""
    nodes = getattr(rubric, "nodes", None)
    if nodes is None or "parent" not in getattr(nodes, "columns", ()):
        return next((c.name or c.id for c in rubric.spec.criteria if c.id == cid), cid)
    names = dict(zip(nodes["id"], nodes["name"]))
    parents = dict(zip(nodes["id"], nodes["parent"]))
    out, at = [], cid
    while isinstance(at, str) and at in names and len(out) < 4:
        out.append(str(names[at] or at))
        at = parents.get(at)
    return " > ".join(reversed(out))


def criteria_tree(rubric) -> pd.DataFrame:
    """Every criterion as a tree, as an evaluator reads it before scoring: groups with their sub-criteria
    indented under them, points of 100 (a share resolved through its parents), the share of its group as
    written, how it is scored (its scale, pass/fail, price, social value) and any minimum."""
    nodes = getattr(rubric, "nodes", None)
    if nodes is None or "level" not in getattr(nodes, "columns", ()):
        nodes = rubric.criteria.assign(level=1, share=None, min_share=None)
    pf = pass_fail_ids(rubric)
    rows = []
    for r in nodes.to_dict("records"):
        level = int(r.get("level") or 1)
        kind = r["kind"]
        if kind == "group":
            how = "the sum of its sub-criteria"
        elif r["id"] in pf or kind == "pass_fail":
            how = "Pass or Fail (a fail disqualifies)"
        elif kind == "scale":
            scale = criterion_scale(rubric, r["id"])
            how = "scale " + ", ".join(f"{s:g}" for s in scale)
        else:
            how = {"price": "price formula", "social_value": "social value (both lenses)"}.get(kind, kind)
        share, minimum, threshold = r.get("share"), r.get("min_share"), r.get("threshold")
        rows.append({
            "criterion": ("· " * (level - 1)) + (str(r.get("name") or r["id"])),  # a dot per level down
            "id": r["id"], "level": level,
            "points": None if kind == "pass_fail" or r["id"] in pf else float(r["weight"]),
            "share of its group": f"{float(share):g}%" if share is not None and share == share else "",
            "scored as": how,
            "minimum": (f"{float(minimum):.0%} of the group's marks" if minimum is not None and minimum == minimum
                        else f"score {float(threshold):g}" if threshold is not None and threshold == threshold else ""),
        })
    return pd.DataFrame(rows, columns=["criterion", "id", "level", "points", "share of its group", "scored as",
                                       "minimum"])


def show_tree(rubric) -> None:
    """The criteria as a tree, in an expander (a rubric with groups, own scales or pass/fail questions)."""
    with st.expander("The criteria, as a tree (groups with their sub-criteria, points of 100)"):
        show_table(criteria_tree(rubric).drop(columns=["level"]).rename(columns={"id": "code"}),
                   kinds={"points": "marks", "code": "text"})


def questions(rubric) -> list[dict]:
    """The questions evaluators score (scale and pass/fail), as the engine's moderation functions take them."""
    return [{"id": c.id, "name": c.name or c.id} for c in scored(rubric)]


def question_grid(bidders: list[str], rubric, bid: str = "bidder") -> pd.DataFrame:
    """One row per bid and scored question: `bid` (the column's name), criterion, question (its place in the
    tree for a sub-criterion)."""
    flat = simple(rubric)
    return pd.DataFrame([(b, c.id, (c.name or c.id) if flat else path_names(rubric, c.id))
                         for b in bidders for c in scored(rubric)], columns=[bid, "criterion", "question"])


def panel_table(scores: pd.DataFrame, rubric, bidders: list[str]) -> pd.DataFrame:
    """The panel's scores side by side (moderation.side_by_side), each question read on its own scale (a
    pass/fail question: 1 pass, 0 fail). A rubric whose questions share one scale: exactly as before."""
    if simple(rubric):
        return moderation.side_by_side(scores, rubric.spec.scale, bidders, questions(rubric))
    parts = [moderation.side_by_side(scores[scores["criterion"] == q["id"]] if len(scores) else scores,
                                     sorted(criterion_scale(rubric, q["id"])), bidders, [q])
             for q in questions(rubric)]
    if not parts:
        return moderation.side_by_side(scores, rubric.spec.scale, bidders, [])
    table = pd.concat(parts, ignore_index=True)
    at = {b: i for i, b in enumerate(bidders)}
    order = np.argsort(table["bidder"].map(at).to_numpy(), kind="stable")
    fixed = [c for c in table.columns if c not in ("bidder", "criterion", "name")]
    evaluators = sorted(c for c in fixed if c not in ("n_evaluators", "lowest", "highest", "spread_steps", "SV205",
                                                      "moderated", "moderated_rationale", "status"))
    rest = [c for c in fixed if c not in evaluators]
    return table.iloc[order][["bidder", "criterion", "name"] + evaluators + rest].reset_index(drop=True)


# the panel table's engine names (moderation.side_by_side) in words; a score is read as written ("80", "Pass")
PANEL_WORDS = {"bidder": "bid", "name": "question", "n_evaluators": "evaluators", "lowest": "lowest score",
               "highest": "highest score", "spread_steps": "scale steps apart", "SV205": flag_label("SV205"),
               "moderated": "consensus score", "moderated_rationale": "consensus rationale"}
SCORE_KINDS = {"lowest score": "number", "highest score": "number", "consensus score": "number",
               "scale steps apart": "number", "evaluators": "whole", "score used": "number", "score": "number",
               "criterion": "text", "marks": "marks"}


def shown_panel(table: pd.DataFrame, rubric, evaluators) -> pd.DataFrame:
    """The panel's scores side by side as read: each score on its own question's scale (Pass or Fail for a
    pass/fail question), headers in words, the flag in words with its code second."""
    out = table.copy()
    if not simple(rubric):
        for col in [c for c in list(evaluators) + ["lowest", "highest", "moderated"] if c in out.columns]:
            out[col] = [shown_score(v, rubric, c) for v, c in zip(out[col], out["criterion"])]
    if "SV205" in out.columns:
        out["SV205"] = ["yes" if bool(v) else "" for v in out["SV205"]]
    return out.rename(columns=PANEL_WORDS)


def show_panel(table: pd.DataFrame, rubric, evaluators, **kwargs) -> None:
    """The panel's scores side by side (shown_panel), through the one formatting layer."""
    show_table(shown_panel(table, rubric, evaluators), kinds={**SCORE_KINDS, **{e: "number" for e in evaluators}},
               **kwargs)


def where_saved(tender, saved: str, session_only: Callable[[Optional[str]], None]) -> None:
    """'Saved in this tender's workspace <saved>' when the tender has a workspace (never its file's path: that
    is the server's); else `session_only(why)`, why being the reason there is none (None for an upload kept in
    the session by design)."""
    ws = workspaces.workspace_for(tender)
    if ws is not None:
        st.caption(escape_md(f"Saved in this tender's workspace {saved}"))
    else:
        session_only(workspaces.workspace_problem(tender))


# ------------------------------------------------------------------------------------------- the panel

NO_CONFLICT = "I have no conflict of interest"
A_CONFLICT = "I declare a conflict"


def refused(exc: EvaluatorError) -> None:
    """A refusal (NotAllowed, or a bad entry) as one line where the user acted."""
    if isinstance(exc, (NotAllowed, SignInRefused)):
        access.refusal(exc)
    else:
        st.error(escape_md(exc.line()))


def declaration_form(tender, me) -> None:
    """Before the bids are shown: the evaluator declares any conflict of interest (Procurement Act 2023
    s81-83), or that they have none. Recorded in the workspace under their name."""
    st.subheader("Declare any conflict of interest first")
    st.markdown(escape_md(
        "Before you see the bids, declare any conflict of interest you have in this procurement (Procurement "
        "Act 2023, s81 to s83): a financial or personal interest in a bidder, a close relationship with "
        "someone at one, or anything that could be seen as one. A conflict is not a failing: the lead records "
        "how it is mitigated and you can then score. The declaration is kept, with your name, in the audit log."))
    with st.form("coi_form", clear_on_submit=False):
        choice = st.radio("Your declaration", [NO_CONFLICT, A_CONFLICT], index=None, key="coi_choice")
        details = st.text_area("If you declare a conflict: what it is (which bidder, what interest, since when)",
                               key="coi_details")
        sent = st.form_submit_button("Record my declaration", type="primary")
    if sent:
        if choice is None:
            st.error("Choose one: " + NO_CONFLICT + ", or " + A_CONFLICT + " (with its details).")
            return
        try:
            declare(tender, choice == A_CONFLICT, details if choice == A_CONFLICT else "", by=me)
        except EvaluatorError as exc:
            refused(exc)
        else:
            st.rerun()


def conflict_stops(d: dict) -> None:
    """A declared conflict the lead has not yet mitigated: scoring stops, and the page says what happens next."""
    st.error(escape_md(f"You declared a conflict of interest ({d.get('details') or 'no details given'}): you "
                       "cannot score until the lead records how it is mitigated (on the Moderation page)."))


def submit_button(tender, me, key: str) -> None:
    """'Submit my scoring': refused by the workspace, with the count and the first gap, while any criterion
    of any bid (in every lot) has no score or rationale from them."""
    if st.button("Submit my scoring", key=key, type="primary"):
        try:
            set_complete(tender, me.user, True, by=me)
        except EvaluatorError as exc:
            refused(exc)
        else:
            st.rerun()


def submitted_note(me) -> None:
    st.success(escape_md(f"{me.user}: your scoring is submitted. The panel's scores are shown below; only the "
                         "lead can reopen your scoring if it must change."))


def panel_table_shown(table: pd.DataFrame) -> pd.DataFrame:
    """panel_status as the lead reads it: yes/no, the time of submission, the conflict and its mitigation."""
    yes = lambda v: "yes" if bool(v) and v == v else "no"  # noqa: E731
    out = pd.DataFrame({
        "panel member": table["user"], "role": table["role"],
        "declared": [yes(v) for v in table["declared"]],
        "conflict": ["" if not d else ("declared" if c is True or c == 1 else "none")
                     for d, c in zip(table["declared"], table["conflict"])],
        "mitigation": table["mitigation"].fillna(""),
        "submitted": [yes(v) for v in table["submitted"]],
        "submitted at": [date_text(v) for v in table["submitted_at"]],
        "scores saved": table["scores"]})
    return out


def who_has_submitted(tender) -> pd.DataFrame:
    """The lead's view: who has declared, submitted, and how many scores each has saved."""
    table = panel_status(tender)
    st.subheader("The panel: who has submitted")
    if table.empty:
        st.info("Nobody on the panel has scored or declared yet.")
        return table
    show_table(panel_table_shown(table), kinds=TEXT_KINDS)
    waiting = table[(table["role"] == EVALUATOR) & ~table["submitted"].astype(bool)]["user"].tolist()
    if waiting:
        st.warning(escape_md("Not yet submitted (their scores may still change): " + ", ".join(map(str, waiting))))
    else:
        st.success("Every evaluator has submitted.")
    return table


def reopen_control(tender, table: pd.DataFrame, me, key: str) -> None:
    """The lead reopens a named evaluator's submission (it is then theirs to change again)."""
    done = table[table["submitted"].astype(bool)]["user"].astype(str).tolist()
    if not done:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    who = c1.selectbox("Reopen a submission", done, index=None, key=f"{key}_who",
                       placeholder="choose an evaluator")
    if c2.button("Reopen", key=key, disabled=who is None):
        try:
            set_complete(tender, who, False, by=me)
        except EvaluatorError as exc:
            refused(exc)
        else:
            st.session_state[f"{key}_done"] = f"Reopened {who}'s scoring: they can change their scores again."
            st.rerun()
    said = st.session_state.pop(f"{key}_done", None)
    if said:
        st.success(escape_md(said))


def mitigation_control(tender, table: pd.DataFrame, me) -> None:
    """The lead records how each declared conflict is mitigated (the evaluator may then score)."""
    open_ = table[table["declared"].astype(bool) & table["conflict"].fillna(False).astype(bool)
                  & (table["mitigation"].fillna("").astype(str).str.strip() == "")]["user"].astype(str).tolist()
    if not open_:
        return
    st.subheader("Declared conflicts waiting for a mitigation")
    for user in open_:
        d = declaration(tender, user) or {}
        st.markdown(escape_md(f"**{user}** declared: {d.get('details') or '(no details)'}"))
    with st.form("mitigate_form"):
        who = st.selectbox("Conflict of", open_, key="mitigate_who")
        how = st.text_area("How it is mitigated (for example: does not score Bidder X; a second reader checks)",
                           key="mitigate_how")
        sent = st.form_submit_button("Record the mitigation")
    if sent:
        try:
            mitigate(tender, who, how, by=me)
        except EvaluatorError as exc:
            refused(exc)
        else:
            st.rerun()


def still_scoring(status: pd.DataFrame) -> None:
    """Who has not submitted yet (their scores may still change); the lead reads it once, in who_has_submitted."""
    still = status[~status["complete"].astype(bool)]["evaluator"].tolist()
    if still:
        st.warning(escape_md("Not yet submitted (their scores may still change): " + ", ".join(map(str, still))))
