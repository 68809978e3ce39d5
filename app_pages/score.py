"""Score (evaluator): one row per bid and criterion, a score from the criterion's scale (Pass or Fail for a
pass/fail question) and a mandatory rationale. A flat rubric is one grid of bids by question; a rubric with a
criteria tree, its own scales or pass/fail questions is scored one question at a time, under the group it
belongs to, with its weight, scale and descriptors. A tender with lots is scored one lot at a time.

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

from app.panel import (CHOSEN, completed, criteria_tree, criterion_scale, mark_complete, options, panel_table,
                       path_names, question_grid, score_from_label, score_label, scored, shown_score, simple,
                       still_scoring, where_saved)
from app.state import (LOT, SCORES, checked_scores, evaluator_status, get_evaluation, get_rubric, get_scores,
                       get_tender, has_lots, lot_bidders, set_scores, with_lot)
from app.ui import edit_table, escape_md, guard, lot_picker, show_problems, text_table
from evaluator import MODERATED, SCORE_COLUMNS, formula_safe_frame, moderation, scale_marks

_EVALUATORS = "sv_evaluators"   # {tender key: [evaluator names added on this page]}
EDITOR = "score_editor"         # the one grid of a flat rubric; a tree's questions: EDITOR + "_" + criterion id
PANEL_CODES = ("SV205", "SV206", "SV207", "SV203", "SV208")
OWN_CODES = ("SV203", "SV206", "SV207", "SV208")  # what the evaluator's own scores alone can raise

def _lot_rows(scores: pd.DataFrame, lot: str) -> pd.DataFrame:
    frame = with_lot(scores)
    return frame[frame[LOT] == (lot or "")]


def evaluator_rows(scores: pd.DataFrame, evaluator: str, rubric, bidders: list[str], lot: str = "") -> pd.DataFrame:
    """The grid one evaluator fills: every bid × scored criterion (of one lot), with what they have entered so
    far; a score shown as its drop-down label (the criterion's own descriptors; Pass or Fail)."""
    grid = question_grid(bidders, rubric)
    scores = _lot_rows(scores, lot)
    mine = scores[scores["evaluator"] == evaluator].drop_duplicates(["bidder", "criterion"], keep="last")
    grid = grid.merge(mine[["bidder", "criterion", "score", "rationale"]], on=["bidder", "criterion"], how="left")
    grid["score"] = [None if s is None or s != s or str(s) == "" else score_label(float(s), rubric, c)
                     if _on_scale(s, rubric, c) else str(s) for s, c in zip(grid["score"], grid["criterion"])]
    grid["rationale"] = grid["rationale"].astype(object).where(grid["rationale"].notna(), None)
    if evaluator == MODERATED:
        panel = scores[scores["evaluator"] != MODERATED]
        shown = (panel.assign(s=panel["evaluator"].astype(str) + " " + [shown_score(v, rubric, c) for v, c in
                                                                           zip(panel["score"], panel["criterion"])])
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


def _on_scale(s, rubric, criterion=None) -> bool:
    try:
        return float(s) in set(criterion_scale(rubric, criterion))
    except (TypeError, ValueError):
        return False


def merge_rows(scores: pd.DataFrame, evaluator: str, edited: pd.DataFrame, lot: str = "") -> pd.DataFrame:
    """All scores with this evaluator's rows (in this lot) replaced by the edited grid. A row with neither
    score nor rationale is not a score; a row with one of them is kept as typed (and reported until
    complete). Other lots' scores are untouched."""
    rows = []
    for r in edited.to_dict("records"):
        score = score_from_label(r.get("score"))
        rationale = r.get("rationale")
        rationale = None if rationale is None or (isinstance(rationale, float) and rationale != rationale) else \
            str(rationale).strip()
        if score is None and not rationale:
            continue
        rows.append({"bidder": r["bidder"], "criterion": r["criterion"], "evaluator": evaluator,
                     "score": score, "rationale": rationale or "", LOT: lot or ""})
    scores = with_lot(scores)
    others = scores[(scores["evaluator"] != evaluator) | (scores[LOT] != (lot or ""))]
    mine = pd.DataFrame(rows, columns=SCORES)
    out = pd.concat([others, mine], ignore_index=True) if len(others) else mine
    return out[SCORES].reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["evaluator", LOT, "bidder", "criterion"]
    norm = lambda d: with_lot(d)[SCORES].astype(str).sort_values(key).reset_index(drop=True)  # noqa: E731
    return len(a) == len(b) and norm(a).equals(norm(b))


def _add_evaluator(tender_key: str) -> None:
    name = str(st.session_state.get("new_evaluator", "")).strip()
    if name and name != MODERATED:
        added = st.session_state.setdefault(_EVALUATORS, {}).setdefault(tender_key, [])
        if name not in added:
            added.append(name)
        st.session_state["scoring_as"] = name
    st.session_state["new_evaluator"] = ""


def own_flags(own_usable: pd.DataFrame, rubric, bidders: list[str], lot: str = "") -> pd.DataFrame:
    """SV203/SV206/SV207 worked out by the engine (scale_marks) from this evaluator's own scores alone, so
    nothing about the other evaluators' scores shows before the evaluator has finished (for a lot: on the
    lot's own rubric and bids)."""
    if lot and has_lots(rubric):
        rubric = rubric.for_lot(lot)
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


def _download(scores: pd.DataFrame, label: str, rubric=None) -> None:
    # formula-like rationales are quoted so no spreadsheet runs them; load_scores reads them back exact
    columns = SCORES if rubric is not None and has_lots(rubric) else SCORE_COLUMNS
    st.download_button(label, data=formula_safe_frame(with_lot(scores)[columns]).to_csv(index=False).encode("utf-8"),
                       file_name="scores.csv", mime="text/csv")


def _grid_config(labels: list[str]) -> dict:
    return {
        "bidder": st.column_config.TextColumn("bid", disabled=True),
        "criterion": st.column_config.TextColumn("criterion", disabled=True),
        "question": st.column_config.TextColumn("question", disabled=True),
        "score": st.column_config.SelectboxColumn("score", options=labels, width="medium",
                                                  help="The scale, with its descriptors"),
        "rationale": st.column_config.TextColumn("rationale (required)", width="large"),
    }


def _one_grid(tender, rubric, grid: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A flat rubric: one grid of bids by question, every question on the rubric's scale."""
    return edit_table(EDITOR, owner, grid, hide_index=True, width="stretch", num_rows="fixed",
                      column_config=_grid_config(options(rubric)), height=_height(len(grid)))


def _tree_grids(tender, rubric, grid: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A criteria tree (or own scales, or pass/fail questions): one question at a time, in the tree's order,
    each under its group with its points, its own scale and descriptors (Pass or Fail for pass/fail)."""
    nodes = getattr(rubric, "nodes", None)
    names = dict(zip(nodes["id"], nodes["name"])) if nodes is not None and "id" in nodes else {}
    parents = dict(zip(nodes["id"], nodes["parent"])) if nodes is not None and "parent" in nodes else {}
    weights = dict(zip(nodes["id"], nodes["weight"])) if nodes is not None and "weight" in nodes else {}
    edited, group_shown = [], None
    for c in scored(rubric):
        group = parents.get(c.id)
        group = group if isinstance(group, str) else None
        if group != group_shown and group is not None:
            st.divider()
            st.markdown(f"**{escape_md(path_names(rubric, group))}**: " + escape_md(
                f"{float(weights.get(group, 0)):g} points, the sum of its sub-criteria"))
        group_shown = group
        pass_fail = c.kind == "pass_fail"
        what = "Pass or Fail (a fail disqualifies the bid)" if pass_fail else \
            f"{float(c.weight):g} points; scale " + ", ".join(f"{x:g}" for x in criterion_scale(rubric, c.id))
        indent = "\u2003" if group is not None else ""
        st.markdown(f"{indent}**{escape_md(c.id)}  {escape_md(c.name or c.id)}**  \n{indent}{escape_md(what)}")
        rows = grid[grid["criterion"] == c.id].reset_index(drop=True)
        config = _grid_config(options(rubric, c.id))
        config["score"] = st.column_config.SelectboxColumn("result" if pass_fail else "score",
                                                           options=options(rubric, c.id), width="medium")
        config["question"] = None  # the heading says which question
        config["criterion"] = None
        edited.append(edit_table(f"{EDITOR}_{c.id}", owner, rows, hide_index=True, width="stretch",
                                 num_rows="fixed", column_config=config, height=_height(len(rows))))
    return pd.concat(edited, ignore_index=True) if edited else grid


def _scales(rubric) -> pd.DataFrame:
    """Each question's scale with its descriptors (the rubric's, or its own)."""
    if simple(rubric):
        return pd.DataFrame({"score": [f"{float(s):g}" for s in rubric.spec.scale],
                             "descriptor": [rubric.descriptor(s) or "" for s in rubric.spec.scale]})
    rows = []
    for c in scored(rubric):
        for s in criterion_scale(rubric, c.id):
            label = score_label(s, rubric, c.id)
            rows.append({"criterion": c.id, "score": label.split(" - ", 1)[0],
                         "descriptor": label.split(" - ", 1)[1] if " - " in label else ""})
    return pd.DataFrame(rows, columns=["criterion", "score", "descriptor"])


def _scoring(tender, rubric, scores: pd.DataFrame, evaluator: str, lot: str = "") -> None:
    """Before completion: the evaluator's own grid, their own flags, and the completion mark."""
    bidders = lot_bidders(tender, lot)
    grid = evaluator_rows(scores, evaluator, rubric, bidders, lot)
    st.subheader("Your scores" + (f": lot {lot}" if lot else ""))
    owner = f"{tender.key}|{evaluator}|{lot}"
    edited = (_one_grid if simple(rubric) else _tree_grids)(tender, rubric, grid, owner)
    merged = merge_rows(scores, evaluator, edited, lot)
    if not _same(merged, scores):
        set_scores(merged)
        scores = merged
    mine = _lot_rows(scores, lot)
    mine = mine[mine["evaluator"] == evaluator].reset_index(drop=True)
    usable, problems = checked_scores(mine, rubric, tender.bidset)
    if problems:
        st.warning("These scores are not saved or used until they are complete:")
        show_problems(problems, kind="warning")
    with st.expander("The scale and its descriptors" if simple(rubric) else "Each question's scale and descriptors"):
        st.dataframe(text_table(_scales(rubric)), hide_index=True)
    _flag_table(own_flags(usable, rubric, bidders, lot), "Flags on your scores",
                "Every cell has your score and none is below a minimum score (SV203, SV207).")
    _download(mine, "Download my scores (scores.csv)", rubric)
    st.divider()
    unscored = int(grid_missing(mine, rubric, bidders))
    st.caption("The other evaluators' scores, how far apart the panel is (SV205) and the consensus stay hidden "
               "until you mark your scoring complete, so each score is your own reading of the bid.")
    if unscored:
        st.warning(f"{unscored} cell(s) have no score from you yet" + (f" in lot {lot}." if lot else "."))
    mark_complete(tender, evaluator, "score_complete")


def grid_missing(mine: pd.DataFrame, rubric, bidders: list[str]) -> int:
    """Cells (bid x question) this evaluator has not scored."""
    have = set(zip(mine["bidder"].astype(str), mine["criterion"].astype(str)))
    return sum((b, c.id) not in have for b in bidders for c in scored(rubric))


def _complete(tender, rubric, scores: pd.DataFrame, evaluator: str, status: pd.DataFrame, lot: str = "") -> None:
    """After completion: own scores (read only), then the panel side by side, SV205 and the consensus."""
    bidders = lot_bidders(tender, lot)
    completed(tender, evaluator, "score_reopen", "; reopen to change yours.")
    mine = evaluator_rows(scores, evaluator, rubric, bidders, lot)
    st.subheader("Your scores" + (f": lot {lot}" if lot else ""))
    st.dataframe(text_table(mine), hide_index=True, width="stretch", height=_height(len(mine)))
    usable, problems = checked_scores(scores, rubric, tender.bidset)  # rows not yet valid are not the panel's
    if problems:
        show_problems([p for p in problems if f" / {evaluator})" in p], kind="warning")
    usable = _lot_rows(usable, lot)
    visible = moderation.visible_scores(usable[SCORE_COLUMNS], evaluator, status)
    still_scoring(status)
    st.subheader("The panel's scores per cell")
    table = panel_table(visible, rubric, bidders)
    ev = get_evaluation(lot=lot or None)
    used = ev.scale[["bidder", "criterion", "score", "basis", "marks"]].rename(columns={"score": "score used"})
    pf = getattr(ev, "pass_fail", None)
    if pf is not None and len(pf):
        used = pd.concat([used, pf[["bidder", "criterion", "result", "basis"]].rename(
            columns={"result": "score used"}).assign(marks=None)], ignore_index=True)
    table = table.merge(used, on=["bidder", "criterion"], how="left")
    table["marks"] = pd.to_numeric(table["marks"], errors="coerce").round(2)
    if not simple(rubric):  # each question on its own scale: scores as read (Pass or Fail for pass/fail)
        numeric = [e for e in table.columns if e in set(status["evaluator"])] + ["lowest", "highest", "moderated"]
        for col in [c for c in numeric if c in table.columns]:
            table[col] = [shown_score(v, rubric, c) or None for v, c in zip(table[col], table["criterion"])]
        table["score used"] = [shown_score(v, rubric, c) or None if not isinstance(v, str) else v.capitalize()
                               for v, c in zip(table["score used"], table["criterion"])]
    st.dataframe(text_table(table.rename(columns={"bidder": "bid"})), hide_index=True, width="stretch",
                 height=_height(len(table)))
    st.caption("A consensus (MODERATED) score with its rationale is recorded on the Moderation page.")
    _download(visible, "Download scores.csv")
    _flag_table(ev.flags[ev.flags["code"].isin(PANEL_CODES)], "Scoring flags",
                "No disagreement, missing consensus, unscored criteria or failed pass/fail question (SV205, SV206, "
                "SV207, SV208).")


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
    st.caption("Each evaluator scores every bid on each quality question alone, with a score from the question's "
               "scale (Pass or Fail for a pass/fail question) and a rationale (every score needs one: regulation 31 "
               "asks for an explanation). You see only your own scores until you mark your scoring complete; then "
               "the panel's scores appear and the lead records the consensus on the Moderation page. Scores are "
               "used on every page as soon as they are entered.")
    where_saved(tender, "as you enter them.", lambda why: st.warning(
        escape_md("Scores are kept for this browser session only" + (f" ({why})." if why else "."))))
    if not scored(rubric):
        st.info("This rubric has no scale (quality) criteria, so there is nothing to score.")
        return
    if not simple(rubric):
        with st.expander("The criteria, as a tree (groups with their sub-criteria, points of 100)"):
            st.dataframe(text_table(criteria_tree(rubric).drop(columns=["level"])), hide_index=True,
                         width="stretch", column_config={"points": st.column_config.NumberColumn(format="%.2f")})
    lot = lot_picker(rubric, key="score_lot", label="Lot to score") or ""
    status = evaluator_status(tender)
    evaluator, _ = _who(tender, status, scores)
    if evaluator is None:
        return
    if lot and not lot_bidders(tender, lot):
        st.info(f"No bid was loaded for lot {lot}, so there is nothing to score in it.")
        return
    done = bool(status.set_index("evaluator")["complete"].get(evaluator, False)) if len(status) else False
    if done:
        _complete(tender, rubric, scores, evaluator, status, lot)
    else:
        _scoring(tender, rubric, scores, evaluator, lot)


with guard("the Score page"):
    main()
