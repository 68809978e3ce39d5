"""Charts for the app and reports: pure functions, a table in, an altair chart out (no Streamlit here).

Charts with a row per bid size their rows by step (alt.Step), not by a fixed height, so they grow with
the number of bids and a host (Streamlit's theme) cannot squash the rows together.

Every chart reads long tables with fixed column names and names its fields explicitly (never altair's
"field:type" shorthand), so a bidder or outcome called `Smith & Sons: "Care" Ltd.` is only ever a value,
never parsed as a field name, a type or a nested path. Tooltips carry the exact numbers.
"""
from __future__ import annotations

from typing import Optional

import altair as alt
import numpy as np
import pandas as pd

LENS_TITLES = {"figures": "Figures lens", "design": "Design lens"}
PART_COLOURS = {"Price": "#4c78a8", "Quality": "#72b7b2", "Social value": "#54a24b"}
VALUE_COLOURS = {"Claimed £": "#e45756", "Credited £": "#54a24b"}


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values altair can serialise: text as object str, numbers as float, missing as None."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            out[col] = s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
    return out.reset_index(drop=True)


def _n(name: str, title: Optional[str] = None, **kw) -> dict:
    return dict(field=name, type="nominal", title=title if title is not None else name, **kw)


def _q(name: str, title: Optional[str] = None, **kw) -> dict:
    return dict(field=name, type="quantitative", title=title if title is not None else name, **kw)


def _empty(message: str) -> alt.Chart:
    return alt.Chart(pd.DataFrame({"message": [message]})).mark_text(align="left").encode(
        text=alt.Text(field="message", type="nominal")).properties(height=30)


def rank_moves(results: pd.DataFrame, official_lens: str = "design") -> alt.Chart:
    """Each eligible bid's rank under the figures lens and under the design lens, joined by a line:
    a line that crosses others is a bid whose place depends on how social value is counted.

    `results`: columns bidder, figures_rank, design_rank (ranks 1 = best; missing = not ranked)."""
    need = results[["bidder", "figures_rank", "design_rank"]].dropna()
    if need.empty:
        return _empty("No ranked bids")
    long = pd.DataFrame({
        "bidder": np.repeat(need["bidder"].astype(str).to_numpy(), 2),
        "lens": np.tile([LENS_TITLES["figures"], LENS_TITLES["design"]], len(need)),
        "order": np.tile([0, 1], len(need)),
        "rank": np.column_stack([need["figures_rank"].astype(float), need["design_rank"].astype(float)]).ravel(),
    })
    long["move"] = np.repeat((need["figures_rank"].astype(float) - need["design_rank"].astype(float)).to_numpy(), 2)
    long["official"] = np.where(long["lens"] == LENS_TITLES[official_lens], "official", "for comparison")
    long = _plain(long)
    lens_order = [LENS_TITLES["figures"], LENS_TITLES["design"]]
    x = alt.X(**_n("lens", ""), sort=lens_order, axis=alt.Axis(labelAngle=0, orient="top"))
    top = float(long["rank"].max())
    # a few bids drawn from a large field can sit at ranks 1-25 on one lens and 1-400 on the other: a log
    # scale keeps the top of the table, where the award is decided, readable
    spread = top > 40
    scale = (alt.Scale(type="log", reverse=True, domain=[0.9, top * 1.05], nice=False) if spread else
             alt.Scale(reverse=True, zero=False, nice=False, domain=[0.5, top + 0.5]))
    y = alt.Y(**_q("rank", "Rank (1 = best)" + (", log scale" if spread else "")), scale=scale,
              axis=alt.Axis(tickMinStep=1, format="d"))
    colour = alt.Color(**_n("bidder", "Bid"), legend=None)  # each line is labelled at its end instead
    tooltip = [alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("lens", "Lens")),
               alt.Tooltip(**_q("rank", "Rank"), format="d"),
               alt.Tooltip(**_q("move", "Places gained under the design lens"), format="+d")]
    base = alt.Chart(long)
    lines = base.mark_line(point=True).encode(x=x, y=y, color=colour, detail=alt.Detail(**_n("bidder")),
                                              tooltip=tooltip)
    labels = base.transform_filter(alt.datum.order == 1).mark_text(align="left", dx=8).encode(
        x=x, y=y, text=alt.Text(**_n("bidder")), color=colour)
    return (lines + labels).properties(height=max(200, 40 * len(need)), width=420, title="Rank under each lens")


def claimed_vs_credited(results: pd.DataFrame) -> alt.Chart:
    """Claimed £ (figures lens) beside credited £ (design lens, validated) for every bid."""
    if results.empty:
        return _empty("No bids")
    long = pd.DataFrame({
        "bidder": np.repeat(results["bidder"].astype(str).to_numpy(), 2),
        "value": np.tile(["Claimed £", "Credited £"], len(results)),
        "amount": np.column_stack([results["claimed_value"].astype(float),
                                   results["credited_value"].astype(float)]).ravel(),
    })
    long = _plain(long)
    order = results["bidder"].astype(str).tolist()
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(**_n("bidder", ""), sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset(**_n("value"), sort=list(VALUE_COLOURS)),
        x=alt.X(**_q("amount", "£"), axis=alt.Axis(format="~s")),
        color=alt.Color(**_n("value", ""), sort=list(VALUE_COLOURS),
                        scale=alt.Scale(domain=list(VALUE_COLOURS), range=list(VALUE_COLOURS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("value", "")),
                 alt.Tooltip(**_q("amount", "£"), format=",.0f")],
    ).properties(height=alt.Step(12), title="Claimed £ against credited £")


def walk(walk_table: pd.DataFrame) -> alt.Chart:
    """The walk from claimed £ to credited £ for one bid, as a waterfall: the claim, each step that
    takes £ off (or puts it back), and the credited £ at the end.

    `walk_table`: Evaluation.explain(bidder)["walk"] (step, amount, running_total; the last row is the
    credited total with no amount)."""
    w = walk_table.copy()
    if w.empty:
        return _empty("Nothing claimed")
    amounts = w["amount"].astype(float).to_numpy()
    running = w["running_total"].astype(float).to_numpy()
    start = np.where(np.isnan(amounts), 0.0, running - np.nan_to_num(amounts))
    start[0] = 0.0  # the claim starts from zero
    kind = np.where(np.isnan(amounts), "total", np.where(np.arange(len(w)) == 0, "total",
                                                         np.where(amounts < 0, "reduces", "adds")))
    data = _plain(pd.DataFrame({
        "step": w["step"].astype(str).to_numpy(), "order": np.arange(len(w)), "start": start, "end": running,
        "change": np.where(np.isnan(amounts), running, amounts), "kind": kind}))
    # steps that move nothing are still shown (a zero step is an answer too) but as a hairline
    colours = {"total": "#4c78a8", "reduces": "#e45756", "adds": "#54a24b"}
    return alt.Chart(data).mark_bar(size=18).encode(
        y=alt.Y(**_n("step", ""), sort=data["step"].tolist(), axis=alt.Axis(labelLimit=420)),
        x=alt.X(**_q("start", "£"), axis=alt.Axis(format="~s")),
        x2=alt.X2(field="end"),
        color=alt.Color(**_n("kind", ""), scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(**_n("step", "Step")), alt.Tooltip(**_q("change", "£"), format=",.0f"),
                 alt.Tooltip(**_q("end", "Running total £"), format=",.0f")],
    ).properties(height=alt.Step(26), title="From claimed £ to credited £")


def attainment(att: pd.DataFrame) -> alt.Chart:
    """Attainment of each design outcome by each bid against its target, as a grid: 100% means the bid's
    net, evidenced contribution meets the commissioner's target.

    `att`: Evaluation.attainment (bidder, outcome, name, target, net_quantity, attainment)."""
    if att.empty:
        return _empty("The design sets no outcomes")
    data = att[["bidder", "outcome", "name", "unit", "target", "net_quantity", "attainment"]].copy()
    data["outcome_label"] = data["outcome"].astype(str) + " " + data["name"].astype(str)
    data["percent"] = data["attainment"].astype(float)
    data["label"] = data["percent"].map(lambda v: "no target" if v != v else f"{v:.0%}")
    data = _plain(data)
    bidders = list(dict.fromkeys(data["bidder"].tolist()))
    base = alt.Chart(data).encode(
        x=alt.X(**_n("outcome", "Outcome"), sort=list(dict.fromkeys(data["outcome"].tolist())),
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y(**_n("bidder", ""), sort=bidders, axis=alt.Axis(labelLimit=260)))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(**_q("percent", "Attainment of target"),
                        scale=alt.Scale(domain=[0, 1], scheme="greens", clamp=True),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("outcome_label", "Outcome")),
                 alt.Tooltip(**_q("net_quantity", "Net quantity"), format=",.2f"),
                 alt.Tooltip(**_q("target", "Target"), format=",.2f"), alt.Tooltip(**_n("unit", "Unit")),
                 alt.Tooltip(**_q("percent", "Attainment"), format=".1%")])
    text = base.mark_text().encode(text=alt.Text(**_n("label")),
                                   color=alt.condition(alt.datum.percent > 0.6, alt.value("white"),
                                                       alt.value("black")))
    return (cells + text).properties(height=alt.Step(28), title="Attainment of each outcome")


def marks(results: pd.DataFrame) -> alt.Chart:
    """Each bid's total under the official lens, split into price, quality and social-value marks."""
    if results.empty:
        return _empty("No bids")
    per_point = "price_per_point" in results.columns   # award on price per quality point: price earns no marks
    parts = [("Price", "price_score"), ("Quality", "quality_score"), ("Social value", "social_value_score")]
    if per_point:
        parts = parts[1:]
    long = pd.DataFrame({
        "bidder": np.repeat(results["bidder"].astype(str).to_numpy(), len(parts)),
        "part": np.tile([p for p, _ in parts], len(results)),
        "order": np.tile(np.arange(len(parts)), len(results)),
        "marks": np.column_stack([results[c].astype(float) for _, c in parts]).ravel(),
    })
    long = _plain(long)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(**_n("bidder", ""), sort=results["bidder"].astype(str).tolist(), axis=alt.Axis(labelLimit=260)),
        x=alt.X(**_q("marks", "Quality points out of 100" if per_point else "Marks out of 100"),
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color(**_n("part", ""), sort=list(PART_COLOURS),
                        scale=alt.Scale(domain=list(PART_COLOURS), range=list(PART_COLOURS.values())),
                        legend=alt.Legend(orient="top")),
        order=alt.Order(field="order", type="quantitative"),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("part", "")),
                 alt.Tooltip(**_q("marks", "Marks"), format=".2f")],
    ).properties(height=alt.Step(22), title="Quality points under the official lens" if per_point else
                 "Marks under the official lens")


def price_per_point(results: pd.DataFrame) -> alt.Chart:
    """Award on price per quality point: each eligible bid's £ per quality point, lowest (the winner) first."""
    if results.empty or "price_per_point" not in results.columns:
        return _empty("No bids priced per quality point")
    r = results[results["eligible"].astype(bool)].sort_values("price_per_point", kind="stable")
    if r.empty:
        return _empty("No eligible bids")
    data = _plain(pd.DataFrame({"bidder": r["bidder"].astype(str), "per_point": r["price_per_point"].astype(float),
                                "points": r["quality_points"].astype(float), "price": r["price"].astype(float)}))
    return alt.Chart(data).mark_bar(color="#1d3557").encode(
        y=alt.Y(**_n("bidder", ""), sort=data["bidder"].tolist(), axis=alt.Axis(labelLimit=260)),
        x=alt.X(**_q("per_point", "£ per quality point (lowest wins)"), axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_q("per_point", "£ per quality point"), format=",.2f"),
                 alt.Tooltip(**_q("points", "Quality points"), format=".2f"),
                 alt.Tooltip(**_q("price", "Price £"), format=",.0f")],
    ).properties(height=alt.Step(22), title="Price per quality point")
