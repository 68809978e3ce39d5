"""Score (evaluator): one row per bid and criterion, a score from the criterion's scale (Pass or Fail for a
pass/fail question) and a mandatory rationale. A flat rubric is one grid of bids by question; a rubric with a
criteria tree, its own scales or pass/fail questions is scored one question at a time, under the group it
belongs to, with its weight, scale and descriptors. A tender with lots is scored one lot at a time. The grid
pins the bid and puts the score and rationale next to it; "One bid at a time" (the default on a phone) shows
each question of one bid with its score and rationale one under another, full width.

Each evaluator scores alone, as the person signed in (DESIGN.md 10; in the demonstration, the persona picked):
they first declare any conflict of interest (Procurement Act 2023 s81-83; a declared conflict stops scoring
until the lead records a mitigation), see and edit only their own scores, and see the other evaluators'
scores, the spread (SV205) and the consensus only once they have submitted (the same mark the Moderation page
and `workspace complete` use), which the workspace refuses while any score or rationale is missing. Once
submitted their grid is read-only; only the lead reopens it. The lead sees who has submitted; an observer
reads. The lead records the MODERATED consensus on the Moderation page. Scores are saved (in the tender's
workspace) and used everywhere as soon as they are entered; a row the engine refuses (no rationale, a score
off the scale) is named and left out until it is fixed, never silently corrected; a row a rule of the panel
refuses is kept as typed, with the rule's line.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.access import require_identity
from app.panel import (conflict_stops, criterion_scale, declaration_form, options, panel_table,
                       path_names, question_grid, refused, reopen_control, score_from_label, score_label, scored,
                       show_panel, show_tree, shown_score, simple, still_scoring, submit_button, submitted_note,
                       where_saved, who_has_submitted)
from app.state import (LOT, SCORES, checked_scores, declaration, evaluator_status, get_evaluation, get_rubric,
                       get_scores, get_tender, has_lots, lot_bidders, score_refusals, set_scores, submitted, with_lot)
from app.ui import edit_table, escape_md, flag_label, guard, lot_picker, plain_flags, show_problems, show_table
from evaluator import MODERATED, SCORE_COLUMNS, EvaluatorError, formula_safe_frame, scale_marks
from evaluator.panel import EVALUATOR
SCORES_GRID = ["bidder", "criterion", "question", "score", "rationale"]  # evaluator_rows' columns
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


def merge_rows(scores: pd.DataFrame, evaluator: str, typed: pd.DataFrame, lot: str = "") -> pd.DataFrame:
    """All scores with the grid rows this evaluator typed (in this lot) laid over theirs: only the cells they
    changed, so a score saved meanwhile from another tab is kept. A row with neither score nor rationale removes
    the score; a row with one of them is kept as typed (and reported until complete)."""
    scores = with_lot(scores)
    rows, keys = [], set()
    for r in typed.to_dict("records"):
        keys.add((str(r["bidder"]), str(r["criterion"])))
        score = score_from_label(r.get("score"))
        rationale = r.get("rationale")
        rationale = None if rationale is None or (isinstance(rationale, float) and rationale != rationale) else \
            str(rationale).strip()
        if score is None and not rationale:
            continue
        rows.append({"bidder": r["bidder"], "criterion": r["criterion"], "evaluator": evaluator,
                     "score": score, "rationale": rationale or "", LOT: lot or ""})
    mine = (scores["evaluator"] == evaluator) & (scores[LOT] == (lot or ""))
    hit = mine & pd.Series([(str(b), str(c)) in keys for b, c in zip(scores["bidder"], scores["criterion"])],
                           index=scores.index, dtype=bool)
    others = scores[~hit]
    new = pd.DataFrame(rows, columns=SCORES)
    out = pd.concat([others, new], ignore_index=True) if len(others) else new
    return out[SCORES].reset_index(drop=True)


def typed_rows(key: str, edited: pd.DataFrame) -> pd.DataFrame:
    """The rows of a grid the user has typed into (the editor's own record of edits), as edited."""
    state = st.session_state.get(key)
    rows = sorted(int(i) for i in ((state or {}).get("edited_rows") or {})) if isinstance(state, dict) else []
    return edited.iloc[[i for i in rows if i < len(edited)]]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["evaluator", LOT, "bidder", "criterion"]
    norm = lambda d: with_lot(d)[SCORES].astype(str).sort_values(key).reset_index(drop=True)  # noqa: E731
    return len(a) == len(b) and norm(a).equals(norm(b))


def own_flags(own_usable: pd.DataFrame, rubric, bidders: list[str], lot: str = "") -> pd.DataFrame:
    """SV203/SV206/SV207 worked out by the engine (scale_marks) from this evaluator's own scores alone, so
    nothing about the other evaluators' scores shows before the evaluator has finished (for a lot: on the
    lot's own rubric and bids)."""
    if lot and has_lots(rubric):
        rubric = rubric.for_lot(lot)
    _, flags = scale_marks(own_usable[SCORE_COLUMNS], rubric, bidders)
    return flags[flags["code"].isin(OWN_CODES)].reset_index(drop=True)


def _download(scores: pd.DataFrame, label: str, rubric=None) -> None:
    # formula-like rationales are quoted so no spreadsheet runs them; load_scores reads them back exact
    columns = SCORES if rubric is not None and has_lots(rubric) else SCORE_COLUMNS
    st.download_button(label, data=formula_safe_frame(with_lot(scores)[columns]).to_csv(index=False).encode("utf-8"),
                       file_name="scores.csv", mime="text/csv")


# the grid's columns, in the order read: the bid and the question's code pinned at the left, then what the
# evaluator enters (score, rationale) before the question's name, so on a narrow screen the score is next to
# the bid and its question (two rows of one bid are told apart by the code)
GRID_ORDER = ("bidder", "criterion", "score", "rationale", "question")


def _grid_config(labels: list[str]) -> dict:
    return {
        "bidder": st.column_config.TextColumn("Bid", disabled=True, pinned=True, width="medium"),
        "criterion": st.column_config.TextColumn("Code", disabled=True, pinned=True, width="small"),
        "question": st.column_config.TextColumn("Question", disabled=True, width="medium"),
        "score": st.column_config.SelectboxColumn("Score", options=labels, width="medium",
                                                  help="The scale, with its descriptors"),
        "rationale": st.column_config.TextColumn("Rationale (required)", width="large"),
    }


def _one_grid(tender, rubric, grid: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A flat rubric: one grid of bids by question, every question on the rubric's scale."""
    edited = edit_table(EDITOR, owner, grid, hide_index=True, width="stretch", num_rows="fixed",
                        column_config=_grid_config(options(rubric)), column_order=GRID_ORDER, placeholder="",
                        height=_height(len(grid)))
    return typed_rows(EDITOR, edited)


def _tree_grids(tender, rubric, grid: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A criteria tree (or own scales, or pass/fail questions): one question at a time, in the tree's order,
    each under its group with its points, its own scale and descriptors (Pass or Fail for pass/fail)."""
    nodes = getattr(rubric, "nodes", None)
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
        st.markdown(f"**{escape_md(c.id)}  {escape_md(c.name or c.id)}**  \n{escape_md(what)}")
        rows = grid[grid["criterion"] == c.id].reset_index(drop=True)
        config = _grid_config(options(rubric, c.id))
        config["score"] = st.column_config.SelectboxColumn("Result" if pass_fail else "Score",
                                                           options=options(rubric, c.id), width="medium")
        one = edit_table(f"{EDITOR}_{c.id}", owner, rows, hide_index=True, width="stretch",
                         num_rows="fixed", column_config=config, placeholder="", height=_height(len(rows)),
                         column_order=("bidder", "score", "rationale"))  # the heading says which question
        edited.append(typed_rows(f"{EDITOR}_{c.id}", one))
    return pd.concat(edited, ignore_index=True) if edited else grid.iloc[0:0]


# ------------------------------------------------------------------------------------- one bid at a time
MODE = "score_mode"             # the radio: the whole grid (a desk) or one bid at a time (a phone)
TABLE_MODE, ONE_MODE = "All bids in one table", "One bid at a time"
_MODE_HELD = "sv_score_mode"    # the choice, kept across pages (a widget's own state goes when its page is left)
_TYPED = "sv_one_typed"         # {owner: {(bid, criterion): (score label, rationale)}}: typed, not yet saved
ONE_KEY = "score_one"           # widget keys: ONE_KEY|owner|bid|criterion|score (or |rationale)


def _on_a_phone() -> bool:
    """Whether the browser says it is a phone's (its User-Agent): then one bid at a time is the default."""
    try:
        agent = str(st.context.headers.get("User-Agent") or "")
    except Exception:  # noqa: BLE001 - no request (a test, a script): a desk
        return False
    return "Mobi" in agent or "Android" in agent


def _mode() -> str:
    """How the evaluator enters scores: the whole grid, or one bid at a time (every question one under another,
    the score and rationale full width: what a phone can show)."""
    if MODE not in st.session_state:
        st.session_state[MODE] = st.session_state.get(_MODE_HELD) or (ONE_MODE if _on_a_phone() else TABLE_MODE)
    chosen = st.radio("How to score", [TABLE_MODE, ONE_MODE], key=MODE, horizontal=True,
                      help="One bid at a time shows each question with its score and rationale one under another, "
                           "the easier way on a phone. Both save as you go.")
    st.session_state[_MODE_HELD] = chosen
    return chosen


def _question_line(rubric, c) -> str:
    if c.kind == "pass_fail" or c.id in {q.id for q in getattr(rubric, "pass_fail_criteria", None) or []}:
        return "Pass or Fail (a fail disqualifies the bid)"
    return f"{float(c.weight):g} points; scale " + ", ".join(f"{x:g}" for x in criterion_scale(rubric, c.id))


def _step(key: str, bidders: list[str], by: int) -> None:
    at = bidders.index(st.session_state[key]) if st.session_state.get(key) in bidders else 0
    st.session_state[key] = bidders[max(0, min(len(bidders) - 1, at + by))]


def _one_bid(rubric, grid: pd.DataFrame, owner: str) -> pd.DataFrame:
    """One bid at a time: the bid chosen (with how many of its questions have a score and rationale), then each
    question under its name with its points and scale, a score and a rationale, one under another. Returns
    the rows typed (only those that differ from what is saved), as the grid's typed rows are; what is typed is
    held in the session until it is saved, so moving to another bid or page loses nothing."""
    held = st.session_state.setdefault(_TYPED, {}).setdefault(owner, {})
    bidders = list(dict.fromkeys(grid["bidder"].astype(str)))
    if not bidders:
        return grid.iloc[0:0]
    filled = grid["score"].notna() & grid["rationale"].fillna("").astype(str).str.strip().ne("")
    done = {b: int((filled & (grid["bidder"] == b)).sum()) for b in bidders}
    per = {b: int((grid["bidder"] == b).sum()) for b in bidders}
    key = f"{ONE_KEY}_bid|{owner}"
    if st.session_state.get(key) not in bidders:
        st.session_state[key] = bidders[0]
    bid = st.selectbox("Bid", bidders, key=key, format_func=lambda b: f"{b} ({done[b]} of {per[b]} scored)")
    flat, criteria = simple(rubric), {c.id: c for c in scored(rubric)}
    typed = []
    for r in grid[grid["bidder"] == bid].to_dict("records"):
        cid = str(r["criterion"])
        c = criteria.get(cid)
        labels = options(rubric) if flat else options(rubric, cid)
        saved = (r["score"] if r["score"] in labels else None,
                 "" if r["rationale"] is None or r["rationale"] != r["rationale"] else str(r["rationale"]))
        wkey = f"{ONE_KEY}|{owner}|{bid}|{cid}"
        if f"{wkey}|score" not in st.session_state:
            st.session_state[f"{wkey}|score"], st.session_state[f"{wkey}|rationale"] = held.get((bid, cid), saved)
        st.markdown(f"**{escape_md(cid)}  {escape_md(str(r['question']))}**"
                    + (f"  \n{escape_md(_question_line(rubric, c))}" if c is not None else ""))
        pass_fail = c is not None and _question_line(rubric, c).startswith("Pass or Fail")
        score = st.selectbox("Result" if pass_fail else "Score", labels, key=f"{wkey}|score", index=None,
                             placeholder="Choose Pass or Fail" if pass_fail else "Choose a score")
        text = st.text_area("Rationale (required)", key=f"{wkey}|rationale", height=110,
                            help="Why this score: what in the bid earns it. Saved when you leave the box.")
        if (score, str(text or "").strip()) != (saved[0], saved[1].strip()):
            held[(bid, cid)] = (score, text)
            typed.append({**r, "score": score, "rationale": text})
        else:
            held.pop((bid, cid), None)
    at = bidders.index(bid)
    back, on = st.columns(2)
    back.button("Previous bid", key=f"{ONE_KEY}_back", disabled=at == 0, on_click=_step, args=(key, bidders, -1),
                width="stretch")
    on.button("Next bid", key=f"{ONE_KEY}_next", disabled=at == len(bidders) - 1, on_click=_step,
              args=(key, bidders, 1), width="stretch")
    return pd.DataFrame(typed, columns=grid.columns)


def _held_rows(owner: str, grid_columns) -> pd.DataFrame:
    """Rows typed one bid at a time and not yet saved (a rule refused them): tried again like the grid's."""
    held = st.session_state.get(_TYPED, {}).get(owner, {})
    rows = [{"bidder": b, "criterion": c, "question": "", "score": s, "rationale": t}
            for (b, c), (s, t) in held.items()]
    return pd.DataFrame(rows, columns=list(grid_columns))


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


def _scoring(tender, rubric, scores: pd.DataFrame, me, lot: str = "") -> None:
    """Before submitting: the evaluator's own grid, their own flags, and "Submit my scoring"."""
    evaluator = me.user
    bidders = lot_bidders(tender, lot)
    grid = evaluator_rows(scores, evaluator, rubric, bidders, lot)
    st.subheader("Your scores" + (f": lot {lot}" if lot else ""))
    owner = f"{tender.key}|{evaluator}|{lot}"
    if _mode() == ONE_MODE:
        edited = _one_bid(rubric, grid, owner)
    else:
        edited = (_one_grid if simple(rubric) else _tree_grids)(tender, rubric, grid, owner)
    merged = merge_rows(scores, evaluator, edited, lot)
    said = False
    if not _same(merged, scores):
        try:
            set_scores(merged, by=me)
        except EvaluatorError as exc:  # a rule refused a row: it stays as typed, the line says why
            refused(exc)
            said = True
        scores = get_scores()
    held = [line for key, line in score_refusals(tender).items() if key[2] == evaluator]
    if held:
        st.warning(escape_md(f"{len(held)} score(s) you typed are not saved" + (" (why: above)." if said else
                                                                                f": {held[0]}")))
    mine = _lot_rows(scores, lot)
    mine = mine[mine["evaluator"] == evaluator].reset_index(drop=True)
    usable, problems = checked_scores(mine, rubric, tender.bidset)
    if problems:
        st.warning("These scores are not saved or used until they are complete:")
        show_problems(problems, kind="warning")
    with st.expander("The scale and its descriptors" if simple(rubric) else "Each question's scale and descriptors"):
        show_table(_scales(rubric), kinds={"criterion": "text", "score": "text"})
    _flag_table(own_flags(usable, rubric, bidders, lot), "Flags on your scores",
                "Every cell has your score and none is below a minimum score (SV203, SV207).")
    _download(mine, "Download my scores (scores.csv)", rubric)
    st.divider()
    unscored = int(grid_missing(mine, rubric, bidders))
    st.caption("The other evaluators' scores, how far apart the panel is (SV205) and the consensus stay hidden "
               "until you submit your scoring, so each score is your own reading of the bid. You can submit once "
               "every criterion of every bid" + (" in every lot" if lot else "") + " has your score and rationale; "
               "after that your scores are read-only unless the lead reopens them.")
    if unscored:
        st.warning(f"{unscored} cell(s) have no score from you yet" + (f" in lot {lot}." if lot else "."))
    submit_button(tender, me, "score_submit")


def grid_missing(mine: pd.DataFrame, rubric, bidders: list[str]) -> int:
    """Cells (bid x question) this evaluator has not scored."""
    have = set(zip(mine["bidder"].astype(str), mine["criterion"].astype(str)))
    return sum((b, c.id) not in have for b in bidders for c in scored(rubric))


def _typed_since(tender, rubric, scores: pd.DataFrame, me, lot: str) -> tuple[pd.DataFrame, bool]:
    """Edits typed into this session's grid that no run has saved yet (the scoring was submitted meanwhile,
    in another tab): tried, so the workspace's rule says why they are not saved, and kept as typed. Returns
    the scores and whether a refusal was shown."""
    bases = st.session_state.get("sv_editor_bases", {})
    owner = f"{tender.key}|{me.user}|{lot}"
    grids = []
    for key, (held_owner, base) in list(bases.items()):
        edits = st.session_state.get(key)
        if not key.startswith(EDITOR) or held_owner != owner or not isinstance(edits, dict):
            continue
        grid = base.copy()
        rows = sorted(int(i) for i in (edits.get("edited_rows") or {}))
        for row in rows:
            for col, value in edits["edited_rows"][row].items() if row in edits["edited_rows"] else \
                    edits["edited_rows"][str(row)].items():
                if col in grid.columns:
                    grid.loc[row, col] = value
        grids.append(grid.iloc[rows])
        st.session_state.pop(key, None)
        bases.pop(key, None)
    held = _held_rows(owner, SCORES_GRID)
    if len(held):
        grids.append(held)
        st.session_state.get(_TYPED, {}).pop(owner, None)
    if not grids:
        return scores, False
    merged = merge_rows(scores, me.user, pd.concat(grids, ignore_index=True), lot)
    if not _same(merged, scores):
        try:
            set_scores(merged, by=me)
        except EvaluatorError as exc:
            refused(exc)
            return get_scores(), True
        return get_scores(), False
    return scores, False


def _complete(tender, rubric, scores: pd.DataFrame, me, lot: str = "") -> None:
    """After submitting: own scores (read only), then the panel side by side, SV205 and the consensus."""
    bidders = lot_bidders(tender, lot)
    scores, said = _typed_since(tender, rubric, scores, me, lot)
    held = [line for key, line in score_refusals(tender).items() if key[2] == me.user]
    if held:
        st.warning(escape_md(f"{len(held)} score(s) you typed are not saved (shown below as typed)"
                             + (" (why: above)." if said else f": {held[0]}")))
    submitted_note(me)
    mine = evaluator_rows(scores, me.user, rubric, bidders, lot)
    st.subheader("Your scores" + (f": lot {lot}" if lot else ""))
    show_table(mine, kinds={"criterion": "text", "score": "text"}, height=_height(len(mine)))
    _panel(tender, rubric, scores, lot, only_of=me.user)


def _panel(tender, rubric, scores: pd.DataFrame, lot: str, only_of: str | None = None, said: bool = False) -> None:
    """The panel's scores per cell (what the workspace lets this person see), the score used, the flags.
    `said`: who has not submitted is already on the page (the lead's table)."""
    bidders = lot_bidders(tender, lot)
    status = evaluator_status(tender)
    usable, problems = checked_scores(scores, rubric, tender.bidset)  # rows not yet valid are not the panel's
    if problems and only_of:
        show_problems([p for p in problems if f" / {only_of})" in p], kind="warning")
    visible = _lot_rows(usable, lot)[SCORE_COLUMNS]
    if not said:
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
    if not simple(rubric):  # each question on its own scale: scores as read (Pass or Fail for pass/fail)
        table["score used"] = [shown_score(v, rubric, c) if not isinstance(v, str) else v.capitalize()
                               for v, c in zip(table["score used"], table["criterion"])]
    evaluators = [e for e in table.columns if e in set(visible["evaluator"].astype(str))]
    show_panel(table, rubric, evaluators, height=_height(len(table)))
    st.caption("A consensus (MODERATED) score with its rationale is recorded by the lead on the Moderation page.")
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
    show_table(plain_flags(flags[["bidder", "criterion", "code", "name", "severity", "message", "fix"]]),
               kinds={"criterion": "text", "code": "text"})
    st.caption(escape_md(", ".join(f"{flag_label(c)}: {n}" for c, n in flags["code"].value_counts().items())))


def main() -> None:
    tender = get_tender()
    rubric = get_rubric()
    st.title("Score")
    st.caption("Each evaluator scores every bid on each quality question alone, with a score from the question's "
               "scale (Pass or Fail for a pass/fail question) and a rationale (every score needs one: regulation 31 "
               "asks for an explanation). You declare any conflict of interest first, see only your own scores "
               "until you submit your scoring, and then the panel's scores appear; the lead records the consensus "
               "on the Moderation page. Scores are used on every page as soon as they are entered.")
    me = require_identity()
    where_saved(tender, "as you enter them.", lambda why: st.warning(
        escape_md("Scores are kept for this browser session only" + (f" ({why})." if why else "."))))
    if not scored(rubric):
        st.info("This rubric has no scale (quality) criteria, so there is nothing to score.")
        return
    if not simple(rubric):
        show_tree(rubric)
    if me.role != EVALUATOR:
        _not_an_evaluator(tender, rubric, me)
        return
    held = declaration(tender, me.user)
    if held is None:  # before the bids are shown
        declaration_form(tender, me)
        return
    if held.get("conflict") and not str(held.get("mitigation") or "").strip():
        conflict_stops(held)
        return
    lot = lot_picker(rubric, key="score_lot", label="Lot to score") or ""
    if lot and not lot_bidders(tender, lot):
        st.info(f"No bid was loaded for lot {lot}, so there is nothing to score in it.")
        return
    scores = get_scores()
    if submitted(tender, me.user):
        _complete(tender, rubric, scores, me, lot)
    else:
        _scoring(tender, rubric, scores, me, lot)


def _not_an_evaluator(tender, rubric, me) -> None:
    """The lead: who has submitted, reopening a submission, the panel's scores. An observer: the scores."""
    if me.is_lead:
        table = who_has_submitted(tender)
        reopen_control(tender, table, me, "score_reopen")
        st.caption("Scoring is the evaluators': each scores alone, as themselves. You record the consensus "
                   "(MODERATED) and mitigate declared conflicts on the Moderation page.")
    else:
        st.info(escape_md(f"{me.user}: you are an observer. You read the panel's scores; you change nothing."))
    lot = lot_picker(rubric, key="score_lot", label="Lot to score") or ""
    if lot and not lot_bidders(tender, lot):
        st.info(f"No bid was loaded for lot {lot}.")
        return
    _panel(tender, rubric, get_scores(), lot, said=me.is_lead)


with guard("the Score page"):
    main()
