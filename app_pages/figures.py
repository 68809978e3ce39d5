"""Figures vs design: the same bids under both lenses, where the answers differ, and why.

Ranks side by side and how they move; claimed £ against credited £; for a chosen bid, the walk from
claimed £ to credited £ step by step; attainment of each outcome against its target; and a plain-English
reading generated from these numbers. A tender with lots: one lot at a time (the lot picker; each lot has its
own outcome targets), with the award across lots.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.state import evaluation_key, get_evaluation, get_rubric, heavy_cache
from app.ui import escape_md, guard, lot_picker, show_award, show_table
from evaluator import charts, figures_vs_design
from evaluator.formatting import header_words, percent

CHART_LIMIT = 25  # bids drawn in a chart; the tables list every bid


@heavy_cache(max_entries=8, show_spinner=False)
def lens_tables(key: str, _ev, lot: str = "") -> dict:
    """The page's tables, worked out once per evaluation (a rerun only draws)."""
    r = _ev.results
    ranks = pd.DataFrame({
        "bidder": r["bidder"].astype(object),
        "figures rank": r["figures_rank"].astype("Int64"),
        "design rank": r["design_rank"].astype("Int64"),
        "places gained under design": (r["figures_rank"].astype("Float64") - r["design_rank"].astype("Float64")).astype("Int64"),
        "claimed £": r["claimed_value"].astype(float),
        "credited £": r["credited_value"].astype(float),
        "credited share": (r["credited_value"] / r["claimed_value"].where(r["claimed_value"] > 0)).astype(float),
        "figures marks": r["figures_score"].astype(float),
        "design marks": r["design_score"].astype(float),
        "eligible": r["eligible"].astype(bool),
    })
    official = f"{_ev.official_lens} rank"
    order = ranks[official].astype("Float64").fillna(float("inf")).to_numpy(dtype=float).argsort(kind="stable")
    ranks = ranks.iloc[order].reset_index(drop=True)
    top = ranks["bidder"].head(CHART_LIMIT).tolist()
    chart_results = r.set_index("bidder", drop=False).loc[top].reset_index(drop=True)
    att = _ev.attainment
    att_top = att[att["bidder"].isin(set(top))] if len(att) else att
    pivot = (att.pivot_table(index="bidder", columns="outcome", values="attainment", sort=False)
             .reindex(ranks["bidder"]) if len(att) else pd.DataFrame())
    if len(pivot):
        pivot.columns = [f"{o} attainment" for o in pivot.columns]
        pivot = pivot.reset_index()
    # charts built once per evaluation and kept as Vega-Lite specs: a rerun only draws them
    specs = {"ranks": charts.rank_moves(chart_results, _ev.official_lens).to_dict(),
             "money": charts.claimed_vs_credited(chart_results).to_dict(),
             "attainment": charts.attainment(att_top).to_dict() if len(att) else None}
    return {"ranks": ranks, "attainment": pivot, "reading": figures_vs_design(_ev), "top": top, "specs": specs}


def right(headers) -> dict:
    """Text columns that hold numbers (ranks, percentages), right-aligned like numbers."""
    return {h: st.column_config.TextColumn(alignment="right") for h in headers}


def ranks_shown(ranks: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The ranks table as read: a disqualified bid's ranks read "disqualified", headers in words; and what each
    column holds (for show_table)."""
    eligible = ranks["eligible"].astype(bool)

    def words(col):
        return ["disqualified" if not ok else "" if pd.isna(r) else f"{int(r)}" for r, ok in zip(ranks[col], eligible)]
    out = pd.DataFrame({
        "Bidder": ranks["bidder"], "Figures rank": words("figures rank"), "Design rank": words("design rank"),
        "Places gained under design": [("" if pd.isna(m) else f"{int(m):+d}".replace("+0", "0").replace("-", "−"))
                                       for m in ranks["places gained under design"]],
        "Claimed £": ranks["claimed £"], "Credited £": ranks["credited £"],
        "Credited share": [percent(v, 1) for v in ranks["credited share"]],
        "Figures marks": ranks["figures marks"], "Design marks": ranks["design marks"]})
    kinds = {"Figures rank": "text", "Design rank": "text", "Places gained under design": "text",
             "Claimed £": "money", "Credited £": "money", "Credited share": "text",
             "Figures marks": "marks", "Design marks": "marks"}
    return out, kinds


@heavy_cache(max_entries=64, show_spinner=False)
def walk_of(key: str, bidder: str, _ev, lot: str = "") -> tuple[pd.DataFrame, dict]:
    """One bid's walk from claimed £ to credited £: the table and its chart's spec."""
    walk = _ev.explain(bidder)["walk"]
    return walk, charts.walk(walk).to_dict()


def main() -> None:
    key = evaluation_key()
    st.title("Figures vs design")
    lot = lot_picker(get_rubric(), key="figures_lot") or ""
    ev = get_evaluation(key, lot=lot or None)
    t = lens_tables(key, ev, lot)
    st.caption("Each bid scored twice: the figures lens takes the £ each supplier claims at face value; the design "
               "lens credits only validated, net, evidenced contributions to the outcomes the buyer designed. "
               f"Official lens for this award: {ev.official_lens}.")
    st.subheader("What changes, and why")
    st.markdown(escape_md(t["reading"]))

    n = len(t["ranks"])
    limit_note = f"Charts show the first {CHART_LIMIT} of {n:,} bids by official rank; the tables list every bid." \
        if n > CHART_LIMIT else None

    st.subheader("Rank under each lens")
    shown, kinds = ranks_shown(t["ranks"])
    show_table(shown, kinds=kinds, key="lens_ranks", column_config=right(c for c, k in kinds.items() if k == "text"))
    st.vega_lite_chart(spec=t["specs"]["ranks"], width="content")
    if limit_note:
        st.caption(limit_note)

    st.subheader("Claimed £ against credited £")
    st.vega_lite_chart(spec=t["specs"]["money"], width="stretch")

    st.subheader("From claimed £ to credited £, step by step")
    bidders = t["ranks"]["bidder"].tolist()
    default = ev.winner(ev.other_lens) or (bidders[0] if bidders else None)
    if "walk_bidder" not in st.session_state or st.session_state["walk_bidder"] not in bidders:
        st.session_state["walk_bidder"] = default
    chosen = st.selectbox("Bid", bidders, key="walk_bidder")
    if chosen is not None:
        walk, spec = walk_of(key, chosen, ev, lot)
        st.vega_lite_chart(spec=spec, width="stretch")
        show_table(walk.rename(columns={"amount": "£ change"}), kinds={"£ change": "money"}, key="walk_table")

    st.subheader("Attainment of each outcome against its target")
    if ev.attainment.empty:
        st.info("The design sets no outcomes, so there is nothing to attain: only the figures lens can award "
                "social-value marks.")
    else:
        st.vega_lite_chart(spec=t["specs"]["attainment"], width="stretch")
        targets = ev.rubric.outcomes[[c for c in ("id", "name", "unit", "baseline", "target", "priority",
                                                  "evidence_required", "mandatory") if c in ev.rubric.outcomes]]
        show_table(targets, kinds={"priority": "number"}, key="outcome_targets")
        att = t["attainment"].copy()
        cols = [c for c in att.columns if c != "bidder"]
        for c in cols:  # a share of the target, as a percentage (an attainment may pass 100%)
            att[c] = [percent(v, 1) for v in att[c]]
        show_table(att, kinds=dict.fromkeys(cols, "text"), key="attainment_table", column_config=right(
            header_words(c) for c in cols))
        if limit_note:
            st.caption(limit_note)
    if lot:
        show_award(get_evaluation(key), "The award across lots (official lens)")


with guard("the Figures vs design page"):
    main()
