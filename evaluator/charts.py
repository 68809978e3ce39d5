"""Charts for the app and reports: pure functions, a table in, an altair chart out (no Streamlit here).

Charts with a row per bid size their rows by step (alt.Step), not by a fixed height, so they grow with
the number of bids and a host (Streamlit's theme) cannot squash the rows together.

Every chart reads long tables with fixed column names and names its fields explicitly (never altair's
"field:type" shorthand), so a bidder or outcome called `Smith & Sons: "Care" Ltd.` is only ever a value,
never parsed as a field name, a type or a nested path. Tooltips carry the exact numbers, written as a
commissioner reads them (£ with separators, marks to two decimals, percentages), and every name in full.

Readable at a desk (1440 px) and on a phone (390 px): a name axis is as wide as its longest name (up to a
cap; the tooltip has the rest), long step names are drawn above their bars, wrapped, so the bars keep the
width, and legends sit above or below the plot, never beside it.
"""
from __future__ import annotations

import textwrap
from typing import Optional, Sequence

import altair as alt
import numpy as np
import pandas as pd

LENS_TITLES = {"figures": "Figures lens", "design": "Design lens"}
PART_COLOURS = {"Price": "#4c78a8", "Quality": "#72b7b2", "Social value": "#54a24b"}
VALUE_COLOURS = {"Claimed £": "#e45756", "Credited £": "#54a24b"}
# ranks in the sensitivity chart: hues far apart, none of them grey, so "Disqualified" (grey) reads apart
RANK_COLOURS = ["#1b7837", "#2166ac", "#f1a340", "#8073ac", "#d6604d", "#8c510a", "#e7298a", "#66c2a5",
                "#252525", "#b8b800"]
DISQUALIFIED = "Disqualified in that draw"
DISQUALIFIED_COLOUR = "#bdbdbd"
CHAR_PX = 6.6          # an 11 px label's widest average character, in pixels
NAME_CAP_PX = 300      # a name axis never takes more than this; the tooltip carries the rest
MONEY_AXIS = "(datum.value < 0 ? '−£' : '£') + format(abs(datum.value), ',.0f')"


def gbp(value) -> str:
    """£1,234,567; −£858,400 for a negative; empty for nothing."""
    if value is None or value != value:
        return ""
    return ("−" if value < 0 else "") + f"£{abs(float(value)):,.0f}"


def label_px(names: Sequence) -> int:
    """Pixels an axis needs for the longest of `names` at the default label size."""
    longest = max((len(str(n)) for n in names), default=0)
    return int(longest * CHAR_PX) + 12


def name_axis(names: Sequence, cap: int = NAME_CAP_PX, **kw) -> alt.Axis:
    """An axis of names wide enough for the longest (to `cap`; the tooltip has the full name)."""
    return alt.Axis(labelLimit=min(cap, label_px(names)), **kw)


def wrapped(names) -> list[str]:
    """Each name on lines of at most ROW_WRAP characters (a phone keeps room for the bars)."""
    return [textwrap.fill(str(n), ROW_WRAP, break_on_hyphens=False) for n in names]


def rows_axis(rows: Sequence[str]) -> alt.Axis:
    """An axis of wrapped names (`wrapped`): each line drawn on its own, a two-line name centred on its row."""
    return name_axis([ln for x in rows for ln in str(x).split("\n")], labelOverlap=False,
                     labelExpr="split(datum.label, '\\n')",
                     labelOffset={"expr": "indexof(datum.label, '\\n') >= 0 ? -6 : 0"})


def row_step(rows: Sequence[str], one: float) -> float:
    """A row's height: `one` for one line, room for two lines when a name wraps."""
    return max(one, 32) if any("\n" in str(x) for x in rows) else one


def money_axis(**kw) -> alt.Axis:
    return alt.Axis(labelExpr=MONEY_AXIS, tickCount=kw.pop("tickCount", 5), labelOverlap=True, **kw)


def count_axis(**kw) -> alt.Axis:
    """Counts (tenders, buyers): whole numbers only."""
    return alt.Axis(tickMinStep=1, format="d", **kw)


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


MOVES = {"Higher under the design lens": "#1a9850", "Lower under the design lens": "#d73027",
         "Same place under both": "#8a94a6"}


def rank_moves(results: pd.DataFrame, official_lens: str = "design") -> alt.Chart:
    """Each eligible bid's rank under the figures lens and under the design lens, joined by a line:
    a line that crosses others is a bid whose place depends on how social value is counted. Every rank is
    on the axis, each line ends in its bid's name, and the height grows with the number of bids.

    `results`: columns bidder, figures_rank, design_rank (ranks 1 = best; missing = not ranked)."""
    need = results[["bidder", "figures_rank", "design_rank"]].dropna()
    if need.empty:
        return _empty("No ranked bids")
    names = need["bidder"].astype(str).to_numpy()
    fig, des = need["figures_rank"].astype(float).to_numpy(), need["design_rank"].astype(float).to_numpy()
    move = fig - des
    movement = np.where(move > 0, "Higher under the design lens",
                        np.where(move < 0, "Lower under the design lens", "Same place under both"))
    long = pd.DataFrame({
        "bidder": np.repeat(names, 2),
        "lens": np.tile([LENS_TITLES["figures"], LENS_TITLES["design"]], len(need)),
        "order": np.tile([0, 1], len(need)),
        "rank": np.column_stack([fig, des]).ravel(),
        "move": np.repeat(move, 2),
        "movement": np.repeat(movement, 2),
    })
    long["official"] = np.where(long["lens"] == LENS_TITLES[official_lens], "official", "for comparison")
    long["label"] = [f"{r:.0f}  {b}" + (f" (up {m:.0f})" if m > 0 else f" (down {-m:.0f})" if m < 0 else "")
                     for b, r, m in zip(long["bidder"], long["rank"], long["move"])]
    long = _plain(long)
    top = float(long["rank"].max())
    # a few bids drawn from a large field can sit at ranks 1-25 on one lens and 1-400 on the other: a log
    # scale keeps the top of the table, where the award is decided, readable
    spread = top > 40
    if spread:
        scale = alt.Scale(type="log", reverse=True, domain=[0.9, top * 1.05], nice=False)
        axis = alt.Axis(tickMinStep=1, format="d")
        y = alt.Y(**_q("rank", "Rank (1 = best), log scale"), scale=scale, axis=axis)
    else:  # a row per rank, every rank on the axis: the height grows with the field (Step), never squashed
        y = alt.Y(field="rank", type="ordinal", title="Rank (1 = best)", scale=alt.Scale(
            domain=[float(r) for r in range(1, int(top) + 1)], type="point", padding=0.6),
            axis=alt.Axis(labelExpr="format(datum.value, 'd')", grid=True))
    gap, names_px = 100, min(240, label_px(long["label"]))
    x = alt.X(**_q("order", ""), scale=alt.Scale(domain=[0, 1 + (names_px + 12) / gap], nice=False, zero=False),
              axis=alt.Axis(values=[0, 1], orient="top", grid=False, ticks=False, domain=False, labelAngle=0,
                            labelExpr=f"datum.value == 0 ? '{LENS_TITLES['figures']}' : "
                                      f"datum.value == 1 ? '{LENS_TITLES['design']}' : ''",
                            labelFontWeight="bold", labelAlign="center"))
    colour = alt.Color(**_n("movement", ""), sort=list(MOVES),
                       scale=alt.Scale(domain=list(MOVES), range=list(MOVES.values())),
                       legend=None)  # the label says it: "(up 1)"; a legend would take the chart's height
    tooltip = [alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("lens", "Lens")),
               alt.Tooltip(**_q("rank", "Rank"), format="d"),
               alt.Tooltip(**_q("move", "Places gained under the design lens"), format="+d")]
    base = alt.Chart(long)
    lines = base.mark_line(point=alt.OverlayMarkDef(size=50), strokeWidth=2).encode(
        x=x, y=y, color=colour, detail=alt.Detail(**_n("bidder")), tooltip=tooltip)
    labels = base.transform_filter(alt.datum.order == 1).mark_text(
        align="left", dx=8, limit=names_px, color="#262730").encode(x=x, y=y, text=alt.Text(**_n("label")),
                                                                     tooltip=tooltip)
    height = 34 * len(need) if spread else alt.Step(34)
    return (lines + labels).properties(height=height, width=gap + names_px + 12,
                                       title="Rank under each lens")


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
    long["money"] = long["amount"].map(gbp)
    long["row"] = wrapped(long["bidder"])
    long = _plain(long)
    order = wrapped(results["bidder"].astype(str))
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(**_n("row", ""), sort=order, axis=rows_axis(order)),
        yOffset=alt.YOffset(**_n("value"), sort=list(VALUE_COLOURS)),
        x=alt.X(**_q("amount", "Social value (£)"), axis=money_axis(tickCount=4)),
        color=alt.Color(**_n("value", ""), sort=list(VALUE_COLOURS),
                        scale=alt.Scale(domain=list(VALUE_COLOURS), range=list(VALUE_COLOURS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("value", "")),
                 alt.Tooltip(**_n("money", "Amount"))],
    ).properties(height=alt.Step(row_step(order, 24) / 2), title="Claimed £ against credited £")


WALK_KINDS = {"Total": "#4c78a8", "Takes £ off": "#e45756", "Puts £ back": "#54a24b"}
ROW_WRAP = 24   # characters on a line of a bid's name beside its bars
WALK_WRAP = 46  # characters a line above a step's bar: fits a phone's width


def walk(walk_table: pd.DataFrame) -> alt.Chart:
    """The walk from claimed £ to credited £ for one bid, as a waterfall: the claim, each step that
    takes £ off (or puts it back), and the credited £ at the end. Each step's name and £ are written above
    its bar (wrapped), not on an axis beside it, so on a phone the bars keep the width.

    `walk_table`: Evaluation.explain(bidder)["walk"] (step, amount, running_total; the last row is the
    credited total with no amount)."""
    w = walk_table.copy()
    if w.empty:
        return _empty("Nothing claimed")
    amounts = w["amount"].astype(float).to_numpy()
    running = w["running_total"].astype(float).to_numpy()
    start = np.where(np.isnan(amounts), 0.0, running - np.nan_to_num(amounts))
    start[0] = 0.0  # the claim starts from zero
    kind = np.where(np.isnan(amounts), "Total", np.where(np.arange(len(w)) == 0, "Total",
                                                         np.where(amounts < 0, "Takes £ off", "Puts £ back")))
    change = np.where(np.isnan(amounts), running, amounts)
    steps = w["step"].astype(str).to_numpy()
    label = [textwrap.fill(f"{s}: {gbp(c)}", WALK_WRAP) for s, c in zip(steps, change)]
    lines = max(t.count("\n") + 1 for t in label)
    data = _plain(pd.DataFrame({
        "step": steps, "order": np.arange(len(w)), "start": start, "end": running,
        "change": change, "kind": kind, "label": label, "money": [gbp(c) for c in change],
        "running_money": [gbp(v) for v in running]}))
    # steps that move nothing are still shown (a zero step is an answer too) but as a hairline
    y = alt.Y(**_n("step", ""), sort=data["step"].tolist(), axis=None)
    base = alt.Chart(data)
    row = 26 + 13 * lines
    bars = base.mark_bar(size=12, yOffset=row / 2 - 9).encode(
        y=y, x=alt.X(**_q("start", "£ (running total)"), axis=money_axis(tickCount=4)), x2=alt.X2(field="end"),
        color=alt.Color(**_n("kind", ""), sort=list(WALK_KINDS),
                        scale=alt.Scale(domain=list(WALK_KINDS), range=list(WALK_KINDS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip(**_n("step", "Step")), alt.Tooltip(**_n("money", "£ change")),
                 alt.Tooltip(**_n("running_money", "Running total"))])
    text = base.mark_text(align="left", baseline="top", lineBreak="\n", dy=-(row / 2 - 3), fontSize=11,
                          color="#262730").encode(y=y, x=alt.value(0), text=alt.Text(**_n("label")))
    return (bars + text).properties(height=alt.Step(row), title="From claimed £ to credited £")


def attainment(att: pd.DataFrame) -> alt.Chart:
    """Attainment of each design outcome by each bid against its target, as a grid: 100% means the bid's
    net, evidenced contribution meets the commissioner's target. The legend sits under the grid (a legend
    beside it is cut off on a phone) and the percentages are small enough for a phone's columns.

    `att`: Evaluation.attainment (bidder, outcome, name, target, net_quantity, attainment)."""
    if att.empty:
        return _empty("The design sets no outcomes")
    data = att[["bidder", "outcome", "name", "unit", "target", "net_quantity", "attainment"]].copy()
    data["outcome_label"] = data["outcome"].astype(str) + " " + data["name"].astype(str)
    data["percent"] = data["attainment"].astype(float)
    data["label"] = data["percent"].map(lambda v: "no target" if v != v else f"{v:.0%}")
    data["cell"] = data["label"].where(data["label"] != "no target", "–")
    # a long name wraps onto a second line rather than taking a phone's columns or being cut
    data["row"] = wrapped(data["bidder"])
    data = _plain(data)
    rows = list(dict.fromkeys(data["row"].tolist()))
    two = any("\n" in x for x in rows)
    base = alt.Chart(data).encode(
        x=alt.X(**_n("outcome", "Outcome (its name on hover)"), sort=list(dict.fromkeys(data["outcome"].tolist())),
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y(**_n("row", ""), sort=rows, axis=rows_axis(rows)))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(**_q("percent", "Attainment of target"),
                        scale=alt.Scale(domain=[0, 1], scheme="greens", clamp=True),
                        legend=None),  # every cell writes its percentage; a legend is cut off on a phone
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("outcome_label", "Outcome")),
                 alt.Tooltip(**_q("net_quantity", "Net quantity"), format=",.2f"),
                 alt.Tooltip(**_q("target", "Target"), format=",.2f"), alt.Tooltip(**_n("unit", "Unit")),
                 alt.Tooltip(**_q("percent", "Attainment"), format=".0%")])
    text = base.mark_text(fontSize=10).encode(text=alt.Text(**_n("cell")), tooltip=alt.Tooltip(**_n("label", "Attainment")),
                                              color=alt.condition(alt.datum.percent > 0.6, alt.value("white"),
                                                                  alt.value("black")))
    return (cells + text).properties(height=alt.Step(34 if two else 28), title=alt.Title(["Attainment of each outcome", "(100% meets the target; – no target set)"]))


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
    long["row"] = wrapped(long["bidder"])
    long = _plain(long)
    names = wrapped(results["bidder"].astype(str))
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y(**_n("row", ""), sort=names, axis=rows_axis(names)),
        x=alt.X(**_q("marks", "Quality points out of 100" if per_point else "Marks out of 100"),
                scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=[0, 25, 50, 75, 100], labelFlush=True)),
        color=alt.Color(**_n("part", ""), sort=list(PART_COLOURS),
                        scale=alt.Scale(domain=list(PART_COLOURS), range=list(PART_COLOURS.values())),
                        legend=alt.Legend(orient="top", direction="vertical")),
        order=alt.Order(field="order", type="quantitative"),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("part", "Part")),
                 alt.Tooltip(**_q("marks", "Marks"), format=".2f")],
    ).properties(height=alt.Step(row_step(names, 22)), title="Quality points under the official lens" if per_point else
                 "Marks under the official lens")


def price_per_point(results: pd.DataFrame) -> alt.Chart:
    """Award on price per quality point: each eligible bid's £ per quality point, lowest (the winner) first."""
    if results.empty or "price_per_point" not in results.columns:
        return _empty("No bids priced per quality point")
    r = results[results["eligible"].astype(bool)].sort_values("price_per_point", kind="stable")
    if r.empty:
        return _empty("No eligible bids")
    data = pd.DataFrame({"bidder": r["bidder"].astype(str), "per_point": r["price_per_point"].astype(float),
                         "points": r["quality_points"].astype(float), "price": r["price"].astype(float)})
    data["per_point_money"] = [("−" if v < 0 else "") + f"£{abs(v):,.2f}" for v in data["per_point"]]
    data["price_money"] = data["price"].map(gbp)
    data["row"] = wrapped(data["bidder"])
    data = _plain(data)
    return alt.Chart(data).mark_bar(color="#1d3557").encode(
        y=alt.Y(**_n("row", ""), sort=data["row"].tolist(), axis=rows_axis(data["row"])),
        x=alt.X(**_q("per_point", "£ per quality point (lowest wins)"), axis=money_axis(tickCount=4)),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("per_point_money", "£ per quality point")),
                 alt.Tooltip(**_q("points", "Quality points"), format=".2f"),
                 alt.Tooltip(**_n("price_money", "Price"))],
    ).properties(height=alt.Step(row_step(data["row"], 22)), title="Price per quality point")


def rank_colours(n: int) -> list[str]:
    """A colour per rank 1..n, far apart and none of them grey (grey is "Disqualified")."""
    if n <= len(RANK_COLOURS):
        return RANK_COLOURS[:n]
    import colorsys  # a larger field: hues round the wheel, strong enough to stay apart from grey
    return ["#%02x%02x%02x" % tuple(int(255 * c) for c in colorsys.hsv_to_rgb(i / n, 0.7, 0.55 + 0.3 * (i % 2)))
            for i in range(n)]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def rank_chances(s) -> alt.Chart:
    """Sensitivity: each bid's share of draws at each rank, stacked, with "Disqualified" in grey and in
    words; each rank its own colour (`s`: sensitivity.Sensitivity)."""
    n = len(s.bidders)
    if n == 0:
        return _empty("No bids")
    ranks = [f"{ordinal(r + 1)} place" for r in range(n)]
    rows = []
    for i, bidder in enumerate(s.bidders):
        for r in range(n):
            rows.append({"bidder": str(bidder), "rank": ranks[r], "order": r + 1,
                         "probability": float(s.rank_probabilities[i, r])})
        rows.append({"bidder": str(bidder), "rank": DISQUALIFIED, "order": n + 1,
                     "probability": float(s.disqualified[i])})
    data = pd.DataFrame(rows)
    data["row"] = wrapped(data["bidder"])
    data = _plain(data)
    order = wrapped(s.table().sort_values(["win_probability", "published_total"], ascending=False)["bidder"])
    domain = ranks + [DISQUALIFIED]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y(**_n("row", ""), sort=order, axis=rows_axis(order)),
        x=alt.X(**_q("probability", "Share of draws"), stack="zero", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1], labelFlush=True)),
        color=alt.Color(**_n("rank", "Place in the draws"), sort=domain,
                        scale=alt.Scale(domain=domain, range=rank_colours(n) + [DISQUALIFIED_COLOUR]),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=260)),
        order=alt.Order(field="order", type="quantitative"),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")), alt.Tooltip(**_n("rank", "Place")),
                 alt.Tooltip(**_q("probability", "Share of draws"), format=".1%")],
    ).properties(height=alt.Step(row_step(order, 28)), title="Place in the draws")


def win_shares(table: pd.DataFrame) -> alt.Chart:
    """Sensitivity: each bid's share of draws won (`table`: Sensitivity.table())."""
    data = pd.DataFrame({"bidder": table["bidder"].astype(object).map(str),
                         "win_probability": table["win_probability"].astype(float)})
    data["row"] = wrapped(data["bidder"])
    data = _plain(data)
    return alt.Chart(data).mark_bar(color="#1b7837").encode(
        y=alt.Y(**_n("row", ""), sort="-x", axis=rows_axis(data["row"])),
        x=alt.X(**_q("win_probability", "Share of draws won"), scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1], labelFlush=True)),
        tooltip=[alt.Tooltip(**_n("bidder", "Bid")),
                 alt.Tooltip(**_q("win_probability", "Share of draws won"), format=".1%")],
    ).properties(height=alt.Step(row_step(data["row"], 28)), title="Share of draws won")
