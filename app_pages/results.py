"""Results: totals, marks and ranks under the official lens; disqualified bids and why; every flag; and, for
any bid, the working behind each number (the engine's explain tables)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.state import evaluation_key, get_evaluation, heavy_cache
from app.ui import escape_md, guard, text_table
from evaluator import charts
from evaluator.explain_tables import explain_tables
from evaluator.flags import CATALOGUE

CHART_LIMIT = 30   # bids drawn in the marks chart; the table lists every bid
FLAG_ROWS = 5000   # flags listed at once; filters narrow a bulk tender's list


def results_table(ev) -> pd.DataFrame:
    """One row per bid, in rank order (disqualified last), with the numbers a lead reads out."""
    r = ev.results
    counts = ev.flags.groupby(["bidder", "severity"]).size().unstack(fill_value=0) if len(ev.flags) else pd.DataFrame()
    table = pd.DataFrame({
        "rank": r["rank"].astype("Int64"),
        "bidder": r["bidder"].astype(object),
        "total": r["total"].astype(float),
        "price": r["price_score"].astype(float),
        "quality": r["quality_score"].astype(float),
        "social value": r["social_value_score"].astype(float),
        "eligible": r["eligible"].astype(bool),
        "complete": r["complete"].astype(bool),
        f"{ev.other_lens} rank": r[f"{ev.other_lens}_rank"].astype("Int64"),
        "claimed £": r["claimed_value"].astype(float),
        "credited £": r["credited_value"].astype(float),
    })
    for sev in ("error", "warning", "info"):
        table[f"{sev}s"] = (counts[sev].reindex(r["bidder"]).fillna(0).astype(int).to_numpy()
                            if sev in counts else 0)
    order = table["rank"].astype(float).fillna(float("inf")).to_numpy()
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


@heavy_cache(max_entries=8, show_spinner=False)
def _results_table(key: str, _ev) -> pd.DataFrame:
    return results_table(_ev)


def main() -> None:
    ev = get_evaluation()
    key = evaluation_key()
    rubric = ev.rubric
    st.title("Results")
    st.caption(f"Official lens: {ev.official_lens}. Price, quality and social-value marks out of 100; the "
               f"{ev.other_lens} lens is shown for comparison on the Figures vs design page.")
    table = _results_table(key, ev)
    winner, other = ev.winner(), ev.winner(ev.other_lens)
    c = st.columns(4)
    c[0].metric("Bids", f"{len(table):,}")
    c[1].metric("Ranked", f"{int(table['eligible'].sum()):,}")
    c[2].metric("Disqualified", f"{int((~table['eligible']).sum()):,}")
    c[3].metric("Incomplete (unscored)", f"{int((~table['complete']).sum()):,}")
    if winner is not None:
        st.text(f"First under the official {ev.official_lens} lens: {winner}")
        if other is not None and other != winner:
            st.text(f"First under the {ev.other_lens} lens instead: {other}")
    money = st.column_config.NumberColumn(format="£%,.0f")
    mark = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "total": mark, "price": mark, "quality": mark, "social value": mark, "claimed £": money, "credited £": money})
    ranked = table[table["eligible"]].head(CHART_LIMIT)
    if len(ranked):
        note = f" (the first {CHART_LIMIT} of {int(table['eligible'].sum()):,} ranked bids)" if \
            table["eligible"].sum() > CHART_LIMIT else ""
        res = ev.results.set_index("bidder").loc[ranked["bidder"]].reset_index()
        st.altair_chart(charts.marks(res), width="stretch")
        if note:
            st.caption(note.strip(" ()").capitalize())

    dq = ev.flags[ev.flags["code"] == "SV203"]
    st.subheader("Disqualified")
    if dq.empty:
        st.success("No bid is disqualified.")
    else:
        st.dataframe(text_table(dq[["bidder", "criterion", "message"]].rename(columns={"message": "reason"})),
                     hide_index=True, width="stretch")

    st.subheader("Flags")
    flags = ev.flags
    f1, f2, f3, f4 = st.columns([1, 2, 2, 2])
    severities = f1.multiselect("Severity", ["error", "warning", "info"], key="flag_severity")
    codes = f2.multiselect("Code", sorted(set(flags["code"])), key="flag_code",
                           format_func=lambda c: f"{c} {CATALOGUE[c].name if c in CATALOGUE else ''}")
    bidder = f3.selectbox("Bid", ["(all bids)"] + ev.results["bidder"].tolist(), key="flag_bidder")
    words = f4.text_input("Message contains", key="flag_text")
    shown = flags
    if severities:
        shown = shown[shown["severity"].isin(severities)]
    if codes:
        shown = shown[shown["code"].isin(codes)]
    if bidder != "(all bids)":
        shown = shown[shown["bidder"] == bidder]
    if words.strip():
        shown = shown[shown["message"].astype(str).str.contains(words.strip(), case=False, regex=False)]
    st.caption(f"{len(shown):,} of {len(flags):,} flags" + (f"; the first {FLAG_ROWS:,} are listed" if len(shown) > FLAG_ROWS else ""))
    st.dataframe(text_table(shown.head(FLAG_ROWS)[["bidder", "commitment", "criterion", "code", "name", "severity",
                                                   "message", "fix"]]), hide_index=True, width="stretch")
    if len(ev.rubric_flags):
        with st.expander(f"Design checks on the rubric ({len(ev.rubric_flags)})"):
            st.dataframe(text_table(ev.rubric_flags[["code", "name", "severity", "message", "fix"]]),
                         hide_index=True, width="stretch")

    st.subheader("Explain a bid")
    bidders = table["bidder"].tolist()
    chosen = st.selectbox("Bid", bidders, key="explain_bidder")
    if chosen is not None:
        st.caption("Every number above, walked back to the bid's own figures. Tables in the order a lead would "
                   "go through them with the supplier.")
        for name, title, frame in explain_tables(ev, chosen):
            with st.expander(title, expanded=name in ("marks", "walk")):
                if frame.empty:
                    st.text("(none)")
                else:
                    st.dataframe(text_table(frame), hide_index=True, width="stretch")
    st.caption(escape_md(f"Tender {rubric.tender.id}: {rubric.tender.title}"))


with guard("the Results page"):
    main()
