"""The charts of the evaluation report, drawn with reportlab graphics: claimed £ against credited £,
ranks under both lenses, and attainment of each outcome's target."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .pdf_kit import FONT, Kit, isnum, plain, short_money


def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, FONT, size)


def fit(text, room: float, size: float) -> str:
    """A name whole if it fits `room` points at `size`, else cut with an ellipsis where it stops fitting."""
    t = plain(text)
    if _width(t, size) <= room:
        return t
    while t and _width(t + "…", size) > room:
        t = t[:-1]
    return t.rstrip() + "…"


def gutter(names, size: float, cap: float) -> float:
    """Points a column of names needs at `size` (to `cap`)."""
    return min(cap, max([_width(plain(n), size) for n in names] + [20.0]) + 8)


PALETTE = ["#1d3557", "#e76f51", "#2a9d8f", "#e9c46a", "#8d5a97", "#457b9d", "#f4a261", "#6a994e"]
CHART_BIDS = 25


def claimed_credited_chart(k: Kit, r: pd.DataFrame):
    """Horizontal bars: claimed £ against credited £ per bid, in official-rank order."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    left = gutter(r["bidder"], 6.5, 0.42 * k.width)   # names whole, up to about two-fifths of the page
    names = [fit(b, left - 8, 6.5) for b in r["bidder"]][::-1]
    claimed = [max(0.0, float(v)) if isnum(v) else 0.0 for v in r["claimed_value"]][::-1]
    credited = [max(0.0, float(v)) if isnum(v) else 0.0 for v in r["credited_value"]][::-1]
    n = len(names)
    h = 40 + n * 22
    d = Drawing(k.width, h)
    c = HorizontalBarChart()
    c.x, c.y, c.width, c.height = left + 4, 22, k.width - left - 24, h - 40
    c.data = [claimed, credited]
    c.categoryAxis.categoryNames = names
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = FONT, 6.5
    c.categoryAxis.labels.boxAnchor = "e"
    c.valueAxis.valueMin = 0
    top = max(claimed + credited + [1.0])
    c.valueAxis.valueMax = top * 1.05
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = FONT, 6.5
    c.valueAxis.labelTextFormat = short_money  # £1.2m: a test of the report reads it
    c.bars[0].fillColor = colors.HexColor("#e76f51")
    c.bars[1].fillColor = colors.HexColor("#2a9d8f")
    c.barSpacing, c.groupSpacing = 1, 5
    d.add(c)
    lg = Legend()
    lg.fontName, lg.fontSize = FONT, 7
    lg.x, lg.y = left + 4, h - 6
    lg.alignment = "right"
    lg.columnMaximum = 1
    lg.deltax = 110
    lg.colorNamePairs = [(colors.HexColor("#e76f51"), "claimed £ (figures lens)"),
                         (colors.HexColor("#2a9d8f"), "credited £ (design lens)")]
    d.add(lg)
    return d


def ranks_chart(k: Kit, r: pd.DataFrame):
    """A slope chart: the bids shown (the first by official rank) placed in the order of their rank under
    the figures lens (left) and the design lens (right), each labelled with its true rank."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, String
    from reportlab.lib import colors
    ranked = r[r["figures_rank"].notna() & r["design_rank"].notna()]
    n = max(len(ranked), 1)
    step = 16
    h = 36 + n * step
    d = Drawing(k.width, h)
    side = gutter([f"{b}  {int(x)}" for b, x in zip(ranked["bidder"], ranked["figures_rank"])], 6.5,
                  0.4 * k.width) + 10
    xl, xr = side, k.width - side
    d.add(String(xl, h - 12, "Figures lens rank", fontName=f"{FONT}-Bold", fontSize=8, textAnchor="middle"))
    d.add(String(xr, h - 12, "Design lens rank", fontName=f"{FONT}-Bold", fontSize=8, textAnchor="middle"))
    left = {b: i for i, b in enumerate(ranked.sort_values("figures_rank", kind="stable")["bidder"])}
    right = {b: i for i, b in enumerate(ranked.sort_values("design_rank", kind="stable")["bidder"])}

    def y(pos):
        return h - 28 - pos * step

    for b in ranked.itertuples(index=False):
        fr, dr = int(b.figures_rank), int(b.design_rank)
        yl, yr = y(left[b.bidder]), y(right[b.bidder])
        moved = fr != dr
        col = colors.HexColor("#e76f51") if moved else colors.HexColor("#8a94a6")
        d.add(Line(xl, yl, xr, yr, strokeColor=col, strokeWidth=1.4 if moved else 0.8))
        d.add(Circle(xl, yl, 2.2, fillColor=col, strokeColor=col))
        d.add(Circle(xr, yr, 2.2, fillColor=col, strokeColor=col))
        name = fit(b.bidder, side - 8 - _width(f"  {max(fr, dr)}", 6.5), 6.5)
        d.add(String(xl - 6, yl - 2.5, f"{name}  {fr}", fontName=FONT, fontSize=6.5, textAnchor="end"))
        d.add(String(xr + 6, yr - 2.5, f"{dr}  {name}", fontName=FONT, fontSize=6.5, textAnchor="start"))
    return d


def attainment_chart(k: Kit, ev, bidders: list[str]):
    """Grouped bars: the share of each outcome's target each bid reaches (design lens)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    outcomes = ev.rubric.outcomes["id"].tolist()
    att = ev.attainment
    if not outcomes or att.empty:
        return None
    pivot = att.pivot_table(index="bidder", columns="outcome", values="attainment", aggfunc="first")
    data = []
    for b in bidders:
        row = pivot.loc[b] if b in pivot.index else pd.Series(dtype=float)
        data.append([100 * float(row.get(o, 0.0)) if isnum(row.get(o, np.nan)) else 0.0 for o in outcomes])
    h = 190
    d = Drawing(k.width, h)
    c = VerticalBarChart()
    c.x, c.y, c.width, c.height = 34, 60, k.width - 50, h - 75
    c.data = data
    c.categoryAxis.categoryNames = [plain(o, 16) for o in outcomes]
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = FONT, 7
    c.valueAxis.valueMin, c.valueAxis.valueMax, c.valueAxis.valueStep = 0, 100, 20
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = FONT, 6.5
    c.valueAxis.labelTextFormat = "%d%%"
    for i in range(len(data)):
        c.bars[i].fillColor = colors.HexColor(PALETTE[i % len(PALETTE)])
    c.barSpacing, c.groupSpacing = 0.5, 8
    d.add(c)
    lg = Legend()
    lg.fontName, lg.fontSize = FONT, 6.5
    lg.x, lg.y = 34, 44
    lg.alignment = "right"
    lg.columnMaximum = 3
    lg.deltax, lg.dxTextSpace = 170, 4
    lg.colorNamePairs = [(colors.HexColor(PALETTE[i % len(PALETTE)]), fit(b, 160, 6.5)) for i, b in enumerate(bidders)]
    d.add(lg)
    return d
