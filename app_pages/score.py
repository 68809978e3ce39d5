"""Score (evaluator): one row per bid and scale criterion, a score from the scale and a mandatory rationale.

Each evaluator scores on their own; the panel then records a MODERATED (consensus) score per cell. Scores
are used everywhere as soon as they are entered; a row the engine refuses (no rationale, a score off the
scale) is named and left out until it is fixed, never silently corrected.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import (edit_table, escape_md, get_evaluation, get_rubric, get_scores, get_tender, guard,
                              score_problems, set_scores, show_problems, text_table)
from evaluator.scoring import MODERATED, SCORE_COLUMNS

_EVALUATORS = "sv_evaluators"   # {tender key: [evaluator names added on this page]}
EDITOR = "score_editor"
PANEL_CODES = ("SV205", "SV206", "SV207", "SV203")


def score_label(score: float, rubric) -> str:
    """A scale point with its descriptor, as offered in the drop-down: '60 - Satisfactory'."""
    d = rubric.descriptor(score)
    return f"{score:g} - {d}" if d else f"{score:g}"


def score_from_label(label) -> float | None:
    if label is None or (isinstance(label, float) and label != label) or str(label).strip() == "":
        return None
    return float(str(label).split(" - ", 1)[0])


def evaluator_rows(scores: pd.DataFrame, evaluator: str, rubric, bidders: list[str]) -> pd.DataFrame:
    """The grid one evaluator fills: every bid × scale criterion, with what they have entered so far."""
    crits = rubric.scale_criteria
    grid = pd.DataFrame([(b, c.id, c.name or c.id) for b in bidders for c in crits],
                        columns=["bidder", "criterion", "question"])
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
    if name:
        added = st.session_state.setdefault(_EVALUATORS, {}).setdefault(tender_key, [])
        if name not in added:
            added.append(name)
        st.session_state["scoring_as"] = name
    st.session_state["new_evaluator"] = ""


def main() -> None:
    tender = get_tender()
    rubric = get_rubric()
    scores = get_scores()
    bidders = tender.bidset.bidders
    st.title("Score")
    st.caption("Each evaluator scores every bid on each quality question with a score from the scale and a "
               "rationale (every score needs one: regulation 31 asks for an explanation). The panel then records "
               "a MODERATED consensus score per cell. Scores are used on every page as soon as they are entered.")
    if not rubric.scale_criteria:
        st.info("This rubric has no scale (quality) criteria, so there is nothing to score.")
        return

    known = [e for e in dict.fromkeys(scores["evaluator"].astype(str).tolist()) if e != MODERATED]
    added = st.session_state.get(_EVALUATORS, {}).get(tender.key, [])
    options = known + [e for e in added if e not in known] + [MODERATED]
    chosen = st.session_state.setdefault("sv_scoring_as", {})  # survives leaving the page (widget state does not)
    if st.session_state.get("scoring_as") not in options:
        st.session_state["scoring_as"] = chosen.get(tender.key) if chosen.get(tender.key) in options else options[0]
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    evaluator = c1.selectbox("Scoring as", options, key="scoring_as",
                             format_func=lambda e: "MODERATED (the panel's consensus)" if e == MODERATED else e)
    chosen[tender.key] = evaluator
    c2.text_input("Add an evaluator", key="new_evaluator", placeholder="name")
    c3.button("Add", on_click=_add_evaluator, args=(tender.key,))

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
    if "panel scores" in grid.columns:
        config["panel scores"] = st.column_config.TextColumn("panel scores", disabled=True)
    edited = edit_table(EDITOR, f"{tender.key}|{evaluator}", grid, hide_index=True, width="stretch",
                        num_rows="fixed", column_config=config, height=_height(len(grid)))
    merged = merge_rows(scores, evaluator, edited)
    if not _same(merged, scores):
        set_scores(merged)
        scores = merged

    problems = score_problems()
    if problems:
        st.warning("These scores are not used until they are complete:")
        show_problems(problems, kind="warning")
    st.download_button("Download scores.csv", data=scores[SCORE_COLUMNS].to_csv(index=False).encode("utf-8"),
                       file_name="scores.csv", mime="text/csv")

    ev = get_evaluation()
    st.subheader("The panel's scores per cell")
    s = ev.scale
    panel = pd.DataFrame({
        "bid": s["bidder"], "criterion": s["criterion"], "evaluators": s["n_evaluators"],
        "lowest": s["lowest_score"], "highest": s["highest_score"], "median": s["evaluator_median"],
        "moderated": s["moderated"], "score used": s["score"], "basis": s["basis"], "marks": s["marks"].round(2),
    })
    st.dataframe(text_table(panel), hide_index=True, width="stretch", height=_height(len(panel)))
    flags = ev.flags[ev.flags["code"].isin(PANEL_CODES)]
    st.subheader("Scoring flags")
    if flags.empty:
        st.success("No disagreement, missing consensus or unscored criteria (SV205, SV206, SV207).")
    else:
        st.dataframe(text_table(flags[["bidder", "criterion", "code", "name", "severity", "message", "fix"]]),
                     hide_index=True, width="stretch")
        counts = flags["code"].value_counts()
        st.caption(escape_md(", ".join(f"{c}: {n}" for c, n in counts.items())))


with guard("the Score page"):
    main()
