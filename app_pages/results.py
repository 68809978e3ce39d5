"""Results: totals, marks and ranks under the official lens; disqualified bids and why; every flag; and, for
any bid, the working behind each number (the engine's explain tables). A tender with lots: the award across
lots (who won each lot, anyone passed over by the limit on lots per supplier, and why), then one lot at a
time, chosen with the lot picker. A criteria tree: the marks of each group; pass/fail questions: each bid's
result. Price per quality point: quality points and £ per point, lowest first."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from app.state import evaluation_key, get_evaluation, get_rubric, heavy_cache
from app.ui import escape_md, flag_label, guard, lot_picker, plain_flags, show_award, show_table
from evaluator import charts
from evaluator.formatting import gbp
from evaluator.explain_tables import explain_tables

CHART_LIMIT = 30   # bids drawn in the marks chart; the table lists every bid
FLAG_ROWS = 5000   # flags listed at once; filters narrow a bulk tender's list


def per_point(ev) -> bool:
    """Whether the award is price per quality point (DESIGN.md 9.5): lowest £ per quality point wins."""
    return getattr(ev.rubric, "award", "weighted") == "price_per_quality_point" and "price_per_point" in ev.results


def winner_lines(ev) -> list[str]:
    """What the page announces about the winner. Every ranked bid fully scored: the first under the official
    lens (and the other lens's first when it differs). A ranked bid with criteria the panel has not scored yet
    (its `complete` is false): the ranking is provisional and no winner can be announced, the bid first so far
    named as that and nothing more."""
    winner, other = ev.winner(), ev.winner(ev.other_lens)
    if winner is None:
        return []
    r = ev.results
    ranked = r[r["eligible"].astype(bool)]
    unscored = int((~ranked["complete"].astype(bool)).sum())
    if unscored:
        bids = "bid is" if unscored == 1 else "bids are"
        return [f"Provisional ranking: {unscored:,} of {len(ranked):,} ranked {bids} not fully scored by the panel, "
                "so no winner can be announced until the panel has scored every criterion (the Score page).",
                f"First on the marks so far ({ev.official_lens} lens), not a result: {winner}"]
    lines = [f"First under the official {ev.official_lens} lens: {winner}"]
    if other is not None and other != winner:
        lines.append(f"First under the {ev.other_lens} lens instead: {other}")
    return lines


def count_line(table: pd.DataFrame) -> str:
    """The bids in one sentence: "6 bids: 5 ranked, 1 disqualified; every bid fully scored by the panel."."""
    n, ranked = len(table), int(table["eligible"].sum())
    unscored = int((~table["complete"].astype(bool)).sum())
    return (f"{n:,} {'bid' if n == 1 else 'bids'}: {ranked:,} ranked, {n - ranked:,} disqualified; "
            + (f"{unscored:,} not fully scored by the panel yet." if unscored else
               "every bid fully scored by the panel." if n else "nothing to score."))


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
    if per_point(ev):  # price per quality point: what decides the award, beside the marks
        table.insert(2, "quality points", r["quality_points"].astype(float).to_numpy())
        table.insert(3, "price £", ev.bidset.bids.set_index("bidder")["price"].reindex(r["bidder"]).astype(float)
                     .to_numpy())
        table.insert(4, "£ per point", r["price_per_point"].astype(float).to_numpy())
        table = table.drop(columns=["total", "price"])
    if "disqualified_by" in r:
        table["disqualified by"] = [re.sub(r"SV\d{3}", lambda m: flag_label(m.group()), str(v))
                                    for v in r["disqualified_by"].fillna("")]
    for sev in ("error", "warning", "info"):
        table[f"{sev}s"] = (counts[sev].reindex(r["bidder"]).fillna(0).astype(int).to_numpy()
                            if sev in counts else 0)
    order = table["rank"].astype(float).fillna(float("inf")).to_numpy()
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


@heavy_cache(max_entries=8, show_spinner=False)
def _results_table(key: str, lot, _ev) -> pd.DataFrame:
    return results_table(_ev)


DISQUALIFIED = "disqualified"   # a disqualified bid's rank, in words


def rank_words(ranks: pd.Series, eligible: pd.Series) -> list[str]:
    """Ranks as read: "1", "2"... and "disqualified" for a bid that is not ranked because it is disqualified."""
    return [DISQUALIFIED if not ok else "" if pd.isna(r) else f"{int(r)}" for r, ok in zip(ranks, eligible)]


def results_shown(table: pd.DataFrame, other_lens: str) -> tuple[pd.DataFrame, dict]:
    """The results table as a commissioner reads it (headers in words, ranks with "disqualified", yes/no) and
    what each column holds, for show_table."""
    eligible = table["eligible"].astype(bool)
    words = {"quality points": "Quality points", "price £": "Price", "£ per point": "£ per quality point",
             "total": "Total", "price": "Price", "quality": "Quality", "social value": "Social value",
             "claimed £": "Claimed £", "credited £": "Credited £", "disqualified by": "Disqualified by",
             "errors": "Errors", "warnings": "Warnings", "infos": "Notes"}
    kinds = {"Quality points": "marks", "Price": "money", "£ per quality point": "money", "Total": "marks",
             "Quality": "marks", "Social value": "marks", "Claimed £": "money", "Credited £": "money",
             "Errors": "whole", "Warnings": "whole", "Notes": "whole", "Rank": "text",
             f"{other_lens.capitalize()} lens rank": "text"}
    out = pd.DataFrame({"Rank": rank_words(table["rank"], eligible), "Bidder": table["bidder"].astype(object)})
    for col in table.columns:
        if col in ("rank", "bidder", "eligible", "complete", f"{other_lens} rank"):
            continue
        if col in words:
            out[words[col]] = table[col].to_numpy()
        if col == "social value":  # beside the marks: the bid's place under the other lens, and its scoring
            out[f"{other_lens.capitalize()} lens rank"] = rank_words(table[f"{other_lens} rank"], eligible)
            if not table["complete"].astype(bool).all():   # said only while some bid is not fully scored
                out["Fully scored"] = ["yes" if c else "no" for c in table["complete"].astype(bool)]
    if "£ per quality point" in out:   # price per point: the price in £ (no price marks), £ per point in pence
        kinds["Price"] = "money"
        out["£ per quality point"] = [gbp(v, 2) if v == v else "" for v in out["£ per quality point"]]
        kinds["£ per quality point"] = "text"
    elif "Price" in out:
        kinds["Price"] = "marks"
    return out, kinds


KIND_WORDS = {"pass_fail": "pass/fail"}   # a criterion's kind in words (others: their underscores as spaces)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """An engine table's criterion kinds in words ("pass/fail", "social value")."""
    if "kind" not in frame:
        return frame
    out = frame.copy()
    out["kind"] = out["kind"].map(lambda k: KIND_WORDS.get(k, k.replace("_", " ") if isinstance(k, str) else k))
    return out


FLAG_COLUMNS = ["bidder", "commitment", "criterion", "code", "name", "severity", "message", "fix"]


@heavy_cache(max_entries=8, show_spinner=False)
def _page_tables(key: str, lot, _ev) -> dict:
    """The page's other tables, made once per evaluation and lot (a rerun, a filter changed, only draws): the
    marks chart's spec, the marks per group, the pass/fail results, the disqualified bids, the flags."""
    ev = _ev
    table = results_table(ev)
    ranked = table[table["eligible"]].head(CHART_LIMIT)
    spec = None
    if len(ranked):
        res = ev.results.set_index("bidder").loc[ranked["bidder"]].reset_index()
        spec = charts.marks(res).to_dict()
    return {"chart": spec, "groups": group_marks(ev), "pass_fail": pass_fail_results(ev),
            "disqualified": readable(disqualified(ev)), "flags": readable(plain_flags(ev.flags[FLAG_COLUMNS])),
            "codes": sorted(set(ev.flags["code"]))}


@heavy_cache(max_entries=64, show_spinner=False)
def _explanation(key: str, lot, bidder: str, _ev) -> list:
    """One bid's explain tables, made once per evaluation, lot and bid."""
    return [(name, title, readable(plain_flags(frame) if name == "checks" and "code" in frame else frame))
            for name, title, frame in explain_tables(_ev, bidder)]


def disqualified(ev) -> pd.DataFrame:
    """Each disqualified bid with the flag(s) that disqualified it (the codes in `disqualified_by`, else SV203)."""
    codes = {"SV203"}  # below a minimum score; the others come from disqualified_by
    if "disqualified_by" in ev.results:
        codes |= {c for v in ev.results["disqualified_by"].fillna("") for c in re.findall(r"SV\d{3}", str(v))}
    dq = ev.flags[ev.flags["code"].isin(codes)]
    return plain_flags(dq[["bidder", "criterion", "code", "message"]].rename(columns={"message": "reason"}))


def group_marks(ev) -> pd.DataFrame:
    """A criteria tree: each bid's marks per group (the exact sum of its sub-criteria's), and whether it is
    under a group's minimum share."""
    g = getattr(ev, "groups", None)
    if g is None or not len(g):
        return pd.DataFrame()
    wide = g.pivot_table(index="bidder", columns="group", values="marks", aggfunc="first", sort=False)
    names = dict(zip(g["group"], g["name"]))
    weights = dict(zip(g["group"], g["weight"]))
    wide.columns = [f"{c} {names.get(c) or ''} (of {float(weights.get(c, 0)):g})".replace("  ", " ") for c in wide.columns]
    wide = wide.reindex(ev.results["bidder"]).reset_index()
    below = g[g["below_min_share"].astype(bool)] if "below_min_share" in g else g.iloc[0:0]
    under: dict = {}
    for bidder, group in zip(below["bidder"], below["group"]):
        under.setdefault(bidder, []).append(str(group))
    wide["under a group minimum"] = [", ".join(under.get(b, [])) for b in wide["bidder"]]
    return wide


def pass_fail_results(ev) -> pd.DataFrame:
    """Each bid's pass/fail results, one column per question: Pass, Fail, or 'unresolved' (no consensus yet)."""
    pf = getattr(ev, "pass_fail", None)
    if pf is None or not len(pf):
        return pd.DataFrame()
    words = pf.assign(result=pf["result"].map({"pass": "Pass", "fail": "Fail"}).fillna("unresolved"))
    wide = words.pivot_table(index="bidder", columns="criterion", values="result", aggfunc="first", sort=False)
    return wide.reindex(ev.results["bidder"]).reset_index()


def main() -> None:
    key = evaluation_key()
    whole = get_evaluation(key)
    rubric = get_rubric()
    st.title("Results")
    lot = lot_picker(rubric, key="results_lot")
    if lot:
        show_award(whole)
        ev = get_evaluation(key, lot=lot)
        st.subheader(f"Lot {lot}: {ev.rubric.lot.title if getattr(ev.rubric, 'lot', None) else ''}".rstrip(": "))
    else:
        ev = whole
    rubric = ev.rubric
    if per_point(ev):
        st.caption(f"Official lens: {ev.official_lens}. Award by price per quality point: each bid's quality points "
                   "(its marks out of 100, no price criterion) and its price divided by them; the lowest £ per point "
                   f"wins. The {ev.other_lens} lens is shown for comparison on the Figures vs design page.")
    else:
        st.caption(f"Official lens: {ev.official_lens}. Price, quality and social-value marks out of 100; the "
                   f"{ev.other_lens} lens is shown for comparison on the Figures vs design page.")
    table = _results_table(key, lot, ev)
    winner = ev.winner()
    st.markdown(escape_md(count_line(table)))   # one line: four metrics stacked take a phone's whole screen
    provisional = winner_lines(ev)
    if provisional and provisional[0].startswith("Provisional"):
        st.warning(escape_md(provisional[0]))
        provisional = provisional[1:]
    for line in provisional:
        st.text(line)
    if lot:
        awarded = whole.awarded_to(lot)
        if awarded != winner:  # the limit on lots per supplier passed the first-ranked bid over
            st.warning(escape_md(f"Lot {lot} is awarded to {awarded or 'nobody (no eligible bid left)'}: "
                                 f"{winner} ranks first but is passed over by the limit on lots per supplier "
                                 "(see the award across lots above)."))
    shown, kinds = results_shown(table, ev.other_lens)
    show_table(shown, kinds=kinds, key="results_table", column_config={   # wide enough for "disqualified"
        "Rank": st.column_config.TextColumn(width=95, alignment="right"),
        f"{ev.other_lens.capitalize()} lens rank": st.column_config.TextColumn(alignment="right")})
    made = _page_tables(key, lot, ev)
    groups = made["groups"]
    if len(groups):
        st.markdown("**Marks per group** (each the exact sum of its sub-criteria's marks)")
        show_table(groups, kinds={c: "marks" for c in groups.columns if c not in ("bidder", "under a group minimum")})
    pf = made["pass_fail"]
    if len(pf):
        st.markdown("**Pass/fail questions** (a fail disqualifies the bid: Failed a pass/fail question, SV208)")
        show_table(pf, kinds={c: "text" for c in pf.columns})
    ranked = table[table["eligible"]].head(CHART_LIMIT)
    if len(ranked):
        st.vega_lite_chart(spec=made["chart"], width="stretch")
        if table["eligible"].sum() > CHART_LIMIT:
            st.caption(f"The chart shows the first {CHART_LIMIT} of {int(table['eligible'].sum()):,} ranked bids")

    dq = made["disqualified"]
    st.subheader("Disqualified")
    if dq.empty:
        st.success("No bid is disqualified.")
    else:
        show_table(dq, kinds={c: "text" for c in dq.columns})

    st.subheader("Flags")
    flags = made["flags"]
    f1, f2, f3, f4 = st.columns([1, 2, 2, 2])
    severities = f1.multiselect("Severity", ["error", "warning", "info"], key="flag_severity", placeholder="All")
    codes = f2.multiselect("Flag", made["codes"], key="flag_code", format_func=flag_label, placeholder="All flags")
    bidder = f3.selectbox("Bid", ["(all bids)"] + ev.results["bidder"].tolist(), key="flag_bidder")
    words = f4.text_input("Message contains", key="flag_text")
    chosen_flags = flags
    if severities:
        chosen_flags = chosen_flags[chosen_flags["severity"].isin(severities)]
    if codes:
        chosen_flags = chosen_flags[chosen_flags["code"].isin(codes)]
    if bidder != "(all bids)":
        chosen_flags = chosen_flags[chosen_flags["bidder"] == bidder]
    if words.strip():
        chosen_flags = chosen_flags[chosen_flags["message"].astype(str).str.contains(words.strip(), case=False,
                                                                                     regex=False)]
    st.caption(f"{len(chosen_flags):,} of {len(flags):,} flags"
               + (f"; the first {FLAG_ROWS:,} are listed" if len(chosen_flags) > FLAG_ROWS else ""))
    show_table(chosen_flags.head(FLAG_ROWS), kinds={c: "text" for c in chosen_flags.columns}, key="flags_table")
    if len(ev.rubric_flags):
        with st.expander(f"Design checks on the rubric ({len(ev.rubric_flags)})"):
            design = readable(plain_flags(ev.rubric_flags[["code", "name", "severity", "message", "fix"]]))
            show_table(design, kinds={c: "text" for c in design.columns})

    st.subheader("Explain a bid")
    bidders = table["bidder"].tolist()
    chosen = st.selectbox("Bid", bidders, key="explain_bidder")
    if chosen is not None:
        st.caption("Every number above, walked back to the bid's own figures. Tables in the order a lead would "
                   "go through them with the supplier.")
        for name, title, frame in _explanation(key, lot, chosen, ev):
            with st.expander(title, expanded=name in ("marks", "walk")):
                if frame.empty:
                    st.text("(none)")
                else:  # the flags: the flag in words first, its code second (see _explanation)
                    show_table(frame)
    st.caption(escape_md(f"Tender {rubric.tender.id}: {rubric.tender.title}"))


with guard("the Results page"):
    main()
