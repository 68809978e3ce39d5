"""The documents that close a procurement (issue 4): the evaluation report, one regulation 31 assessment
summary per bidder, and a supplier's self-assessment, as PDFs drawn with reportlab.

Every string that came from a rubric, a bid or a score sheet is data, never markup: it goes through
:func:`esc` before it reaches a Paragraph, so `<b>`, `<img src=...>` or `&copy` print literally and
nothing is fetched. The shipped DejaVu Sans family (evaluator/fonts, Bitstream Vera / DejaVu licence)
renders Welsh (ŵ ŷ), accents, £, € and dashes as themselves. Long text sits in table rows that may split
across pages, and every table repeats its header row.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError
from .formatting import gbp

FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVuSans"
FONT_FILES = {FONT: "DejaVuSans.ttf", f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
              f"{FONT}-Oblique": "DejaVuSans-Oblique.ttf", f"{FONT}-BoldOblique": "DejaVuSans-BoldOblique.ttf"}
FONT_LICENCE = "DejaVu Sans (Bitstream Vera licence; DejaVu changes in the public domain)"

PANEL_CODES = {"SV205", "SV206"}   # the panel's own process: in the evaluation report, not sent to suppliers

# ------------------------------------------------------------------------------------------ text safety
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def esc(value: Any) -> str:
    """Any value as Paragraph-safe text: `<`, `>` and `&` escaped (so tags and entities print literally),
    control characters dropped, line breaks kept as breaks."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", "<br/>")


def plain(value: Any, limit: Optional[int] = None) -> str:
    """Text for a chart label or a plain table cell (drawn, never parsed): control characters dropped."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = " ".join(_CONTROL.sub("", str(value)).split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def safe_file_stem(name: str, taken: Optional[set] = None, limit: int = 60) -> str:
    """A bidder's name as a file name that is safe on every system: ASCII letters, digits and `_`, never
    a path; names that collapse to the same stem get a short hash of the full name."""
    ascii_ = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_").lower()[:limit].strip("_") or "bidder"
    if taken is not None:
        if stem in taken:
            stem = f"{stem}_{hashlib.sha256(str(name).encode('utf-8')).hexdigest()[:8]}"
        taken.add(stem)
    return stem


# ------------------------------------------------------------------------------------------ numbers
def _isnum(v: Any) -> bool:
    return v is not None and v is not pd.NA and isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)


def marks(v: Any) -> str:
    return f"{float(v):.2f}" if _isnum(v) else "-"


def pct(v: Any, decimals: int = 0) -> str:
    return f"{float(v):.{decimals}%}" if _isnum(v) else "-"


def money(v: Any) -> str:
    return gbp(float(v)) if _isnum(v) else "-"


def num(v: Any) -> str:
    if not _isnum(v):
        return "-"
    v = float(v)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def rank_text(v: Any) -> str:
    return str(int(v)) if _isnum(v) else "-"


def short_money(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"£{v / 1e6:.1f}m"
    if a >= 1e3:
        return f"£{v / 1e3:.0f}k"
    return f"£{v:.0f}"


# ------------------------------------------------------------------------------------------ fingerprints
@dataclass
class Inputs:
    """What the report needs beyond the Evaluation to say how the result can be reproduced."""

    scores_path: Optional[Path] = None
    options: dict = field(default_factory=dict)   # the run's options (e.g. skip_invalid), part of the settings
    workspace: Optional[dict] = None   # a workspace's head (file, entries, head_hash, head, chain), when read from one


def input_files(ev, inputs: Optional[Inputs] = None) -> list[tuple[str, Path]]:
    """(role, path) of every file the result depends on: rubric, proxy table, each bid file, scores."""
    inputs = inputs or Inputs()
    out: list[tuple[str, Path]] = [("rubric", Path(ev.rubric.path))]
    if ev.rubric.proxies_path is not None:
        out.append(("proxy table", Path(ev.rubric.proxies_path)))
    seen = set()
    files = []
    for frame in (ev.bidset.bids, ev.bidset.commitments, ev.bidset.responses):
        if "_file" in frame.columns and len(frame):
            files += [f for f in pd.unique(frame["_file"].astype(object)) if isinstance(f, str)]
    for f in files:
        if f not in seen:
            seen.add(f)
            out.append(("bid", Path(f)))
    for s in ev.bidset.skipped:
        if s.get("file") and s["file"] not in seen:
            seen.add(s["file"])
            out.append(("bid (skipped: problems)", Path(s["file"])))
    if inputs.scores_path is not None:
        out.append(("evaluator scores", Path(inputs.scores_path)))
    return out


def sha256_file(path: Path) -> Optional[str]:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def fingerprints(ev, inputs: Optional[Inputs] = None) -> pd.DataFrame:
    rows = []
    for role, path in input_files(ev, inputs):
        digest = sha256_file(path)
        rows.append({"role": role, "file": str(path), "bytes": path.stat().st_size if digest else None,
                     "sha256": digest or "file not available when the report was made"})
    return pd.DataFrame(rows, columns=["role", "file", "bytes", "sha256"])


def settings_json(ev, inputs: Optional[Inputs] = None) -> str:
    """The settings the result was computed with, defaults filled in, as canonical JSON: the rubric as the
    engine read it, the proxy table used, and the run's options. Printed in the appendix with its SHA-256,
    so anyone can recompute the fingerprint from the text."""
    inputs = inputs or Inputs()
    doc = {
        "rubric": ev.rubric.spec.model_dump(mode="json"),
        "proxy_table": Path(ev.rubric.proxies_path).name if ev.rubric.proxies_path else None,
        "official_lens": ev.official_lens,
        "options": {k: inputs.options[k] for k in sorted(inputs.options)},
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=str)


def settings_sha256(ev, inputs: Optional[Inputs] = None) -> str:
    return hashlib.sha256(settings_json(ev, inputs).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------ reportlab set-up
_FONTS_READY = False


def register_fonts() -> None:
    """Register the shipped TrueType family once per process (parsing a TTF costs ~0.1 s)."""
    global _FONTS_READY
    if _FONTS_READY:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    for name, file in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, f"{FONT}-Bold")
    addMapping(FONT, 0, 1, f"{FONT}-Oblique")
    addMapping(FONT, 1, 1, f"{FONT}-BoldOblique")
    _FONTS_READY = True


class _Kit:
    """Styles and table helpers shared by the three documents."""

    def __init__(self):
        register_fonts()
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        self.colors, self.mm = colors, mm
        base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, spaceAfter=4)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.2, spaceAfter=0)
        self.small_right = ParagraphStyle("small_right", parent=self.small, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.small, fontName=f"{FONT}-Bold", textColor=colors.white)
        self.title = ParagraphStyle("title", parent=base, fontName=f"{FONT}-Bold", fontSize=20, leading=25,
                                    spaceAfter=10)
        self.h1 = ParagraphStyle("h1", parent=base, fontName=f"{FONT}-Bold", fontSize=14, leading=18,
                                 spaceBefore=8, spaceAfter=6, textColor=colors.HexColor("#1d3557"))
        self.h2 = ParagraphStyle("h2", parent=base, fontName=f"{FONT}-Bold", fontSize=11, leading=14,
                                 spaceBefore=8, spaceAfter=4, textColor=colors.HexColor("#1d3557"))
        self.h3 = ParagraphStyle("h3", parent=base, fontName=f"{FONT}-Bold", fontSize=9.5, leading=12,
                                 spaceBefore=6, spaceAfter=3)
        self.note = ParagraphStyle("note", parent=base, fontName=f"{FONT}-Oblique", fontSize=8, leading=10,
                                   textColor=colors.HexColor("#444444"))
        self.mono = ParagraphStyle("mono", parent=self.small, fontSize=6.5, leading=8)
        self.width = 180 * mm

    # Paragraph from markup whose every data part already went through esc()
    def p(self, markup: str, style=None):
        from reportlab.platypus import Paragraph
        return Paragraph(markup, style or self.body)

    def cell(self, value: Any, right: bool = False, width: float = 0.0):
        """A table cell. Text that fits its column on one line stays a plain string, drawn as it is and
        never parsed (and much cheaper than a Paragraph); longer text wraps in an escaped Paragraph."""
        from reportlab.pdfbase.pdfmetrics import stringWidth
        from reportlab.platypus import Paragraph
        if not isinstance(value, str):
            return value
        text = _CONTROL.sub("", value)
        if "\n" not in text and len(text) < 80 and stringWidth(text, FONT, 7.5) <= width - 7:
            return text
        return Paragraph(esc(text), self.small_right if right else self.small)

    def table(self, header: list[str], rows: list[list[Any]], widths: list[float], right: Iterable[int] = (),
              zebra: bool = True, bold_last: bool = False):
        """A long table: header row repeated on every page, rows (and long cells) split across pages."""
        from reportlab.platypus import LongTable, Paragraph, TableStyle
        right = set(right)
        total = sum(widths)
        widths = [w * self.width / total for w in widths]
        data = [[Paragraph(esc(h), self.head) for h in header]]
        data += [[self.cell(v, i in right, widths[i]) for i, v in enumerate(r)] for r in rows]
        if not rows:
            data.append([Paragraph("<i>none</i>", self.small)] + [""] * (len(header) - 1))
        t = LongTable(data, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=24, hAlign="LEFT")
        c = self.colors
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), c.HexColor("#1d3557")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONT", (0, 0), (-1, -1), FONT, 7.5, 9.2),
            ("GRID", (0, 0), (-1, -1), 0.25, c.HexColor("#b0b7c3")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        for i in right:
            style.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
        if zebra and len(rows) > 2:
            style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [c.white, c.HexColor("#f1f4f8")]))
        if bold_last and rows:
            style.append(("FONT", (0, -1), (-1, -1), f"{FONT}-Bold", 7.5, 9.2))
            style.append(("BACKGROUND", (0, -1), (-1, -1), c.HexColor("#e3e8f0")))
        t.setStyle(TableStyle(style))
        t.spaceAfter = 6
        return t

    def facts(self, pairs: list[tuple[str, Any]], key_width: float = 0.28):
        """Two-column key/value block (no header)."""
        from reportlab.platypus import Paragraph, Table, TableStyle
        data = [[Paragraph(f"<b>{esc(k)}</b>", self.small), Paragraph(esc(v), self.small)] for k, v in pairs]
        t = Table(data, colWidths=[self.width * key_width, self.width * (1 - key_width)], hAlign="LEFT",
                  splitByRow=1, splitInRow=24)
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, self.colors.HexColor("#d0d5dd")),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        return t

    def build(self, story: list, *, title: str, header: str, author: str = "") -> bytes:
        from reportlab.lib.pagesizes import A4
        from reportlab.platypus import SimpleDocTemplate
        mm = self.mm
        buf = io.BytesIO()
        head = plain(header, 110)

        def decorate(canvas, doc):
            canvas.saveState()
            canvas.setFont(FONT, 7)
            canvas.setFillColor(self.colors.HexColor("#555555"))
            canvas.drawString(15 * mm, 287 * mm, head)
            canvas.drawRightString(195 * mm, 10 * mm, f"Page {doc.page}")
            canvas.restoreState()

        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
                                bottomMargin=15 * mm, title=plain(title, 200), author=plain(author, 200),
                                creator="social-value evaluator", invariant=1)
        doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
        return buf.getvalue()


# ------------------------------------------------------------------------------------------ shared pieces
_COMMITMENT_COLS = ["bidder", "id", "measure", "served_outcome", "quantity", "unit", "evidence_grade", "figures_value",
                    "credited", "credited_value", "not_credited_reason"]


def _commitments(ev) -> pd.DataFrame:
    """Only the commitment columns the reports show (the engine's table is ~70 columns wide, and
    iterating wide rows is what costs time with hundreds of bids)."""
    from .valuation import WALK_STEPS
    c = ev.commitments
    return c[_COMMITMENT_COLS + [f"walk_{k}" for k, _ in WALK_STEPS if f"walk_{k}" in c.columns]]


def _by_bidder(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One pass over a long table instead of one filter per bid (a tender can have hundreds of bids)."""
    if frame is None or frame.empty or "bidder" not in frame.columns:
        return {}
    return {str(k): g for k, g in frame.groupby("bidder", sort=False, dropna=True)}


def _ordered(results: pd.DataFrame) -> pd.DataFrame:
    r = results.copy()
    r["_order"] = r["rank"].astype("Float64").fillna(1e12)
    return r.sort_values(["_order", "total"], ascending=[True, False], kind="stable")


def _criterion_title(c) -> str:
    return c.name or c.id


def _scale_text(rubric) -> str:
    return ", ".join(f"{s:g}" for s in rubric.scale)


def how_assessed(rubric, c) -> str:
    """How one criterion was assessed, in words a supplier can follow (reg 31)."""
    w = f"{c.weight:g}"
    if c.kind == "price":
        if (c.method or "relative") == "linear":
            return (f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × (1 − "
                    "(its price − lowest) ÷ lowest), and never less than 0.")
        return f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × lowest price ÷ its price."
    if c.kind == "scale":
        text = (f"Quality response scored by each evaluator on the scale {_scale_text(rubric)} and moderated by "
                f"the panel to a consensus score; marks = {w} × score ÷ {rubric.scale_max:g}.")
        if c.social_value:
            text = "Social value (qualitative). " + text
        if c.threshold is not None and c.threshold == c.threshold:
            text += f" Minimum score {c.threshold:g}: a bid scoring below it is disqualified."
        return text
    if rubric.official_lens == "design":
        outs = ", ".join(f"{o.id}" for o in rubric.spec.design.outcomes) or "none"
        return (f"Social value commitments judged against the buyer's published outcomes ({outs}). Each "
                "commitment is checked (flags); those without an error count at net quantity (after deadweight, "
                "attribution, displacement and an evidence factor) towards each outcome's target; "
                f"marks = {w} × the priority-weighted share of the targets reached.")
    return (f"Social value commitments: marks in proportion to the claimed £ value, the highest eligible claim "
            f"getting all {w} marks.")


def scores_available(rubric, c) -> str:
    if c.kind == "scale":
        return f"Scores {_scale_text(rubric)} (0–{c.weight:g} marks)"
    return f"0–{c.weight:g} marks, continuous"


def _outcome_rows(rubric) -> list[list[Any]]:
    rows = []
    for o in rubric.spec.design.outcomes:
        target = f"{o.target:g} {o.unit or ''}".strip() if o.target is not None else "no target"
        rows.append([o.id, o.name or "", ", ".join(o.measures) or "any measure naming it", target,
                     f"{o.priority:g}", o.evidence_required or "-", o.if_not_delivered or "-"])
    return rows


def _method_story(k: _Kit, ev) -> list:
    """Method, weights, scale and thresholds: shared by the report's cover and the self-assessment."""
    r = ev.rubric
    spec = r.spec
    story = [k.p("Criteria and weights", k.h2)]
    rows = []
    for c in spec.criteria:
        rows.append([c.id, _criterion_title(c), f"{c.weight:g}", c.kind.replace("_", " ")
                     + (" (social value)" if c.social_value else ""),
                     f"{c.threshold:g}" if c.threshold is not None else "-", how_assessed(r, c)])
    story.append(k.table(["Criterion", "Title", "Weight", "Kind", "Threshold", "How it is assessed"], rows,
                         [14, 34, 12, 22, 16, 82], right={2, 4}))
    story.append(k.p(f"Weights sum to 100. Social value carries {r.social_value_weight:g}% of the marks "
                     "(PPN 002 asks for at least 10%).", k.small))
    story.append(k.p("Scoring scale", k.h2))
    desc = spec.descriptors or {}
    story.append(k.table(["Score", "Descriptor"],
                         [[f"{s:g}", desc.get(float(s), desc.get(s, "")) or "-"] for s in spec.scale], [15, 165],
                         right={0}))
    if spec.design.outcomes:
        story.append(k.p("The buyer's design: outcomes wanted", k.h2))
        story.append(k.table(["Outcome", "Name", "Measures", "Target", "Priority", "Evidence required",
                              "If not delivered"], _outcome_rows(r), [13, 36, 26, 20, 13, 15, 57], right={4}))
        ef = spec.design.evidence_factors
        story.append(k.p(
            "Evidence factors: " + ", ".join(f"{g} × {v:g}" for g, v in sorted(ef.items()))
            + f". Attainment is capped at {spec.design.attainment_cap:g} of each target. Validated £ is "
            f"discounted at {spec.discount.rate:.1%} a year (HM Treasury Green Book; year 1 "
            f"{'discounted' if spec.discount.first_year_discounted else 'not discounted'}). Claimed £ above "
            f"{spec.benchmarks.max_claimed_share:.0%} of the contract value is flagged (SV201).", k.small))
    return story


def _method_text(ev) -> str:
    off, other = ev.official_lens, ev.other_lens
    return (
        f"Every bid was evaluated twice. The <b>figures lens</b> takes each bid's social value as it claims it "
        f"(quantity × proxy £, no checks) and gives the social-value commitment marks in proportion to the best "
        f"claim. The <b>design lens</b> credits only commitments that serve the outcomes the buyer designed, after "
        f"the checks, at net quantities towards the buyer's targets, and reports the validated £ beside the "
        f"claimed £. The rubric makes the <b>{esc(off)} lens</b> official for the award; the {esc(other)} lens is "
        f"shown beside it so the effect of the method can be seen. Price and quality marks are the same under "
        f"both lenses. Disqualified bids (below a minimum score) get no rank.")


# ------------------------------------------------------------------------------------------ charts
_PALETTE = ["#1d3557", "#e76f51", "#2a9d8f", "#e9c46a", "#8d5a97", "#457b9d", "#f4a261", "#6a994e"]
CHART_BIDS = 25


def _chart_claimed_credited(k: _Kit, r: pd.DataFrame):
    """Horizontal bars: claimed £ against credited £ per bid, in official-rank order."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    names = [plain(b, 34) for b in r["bidder"]][::-1]
    claimed = [max(0.0, float(v)) if _isnum(v) else 0.0 for v in r["claimed_value"]][::-1]
    credited = [max(0.0, float(v)) if _isnum(v) else 0.0 for v in r["credited_value"]][::-1]
    n = len(names)
    h = 40 + n * 22
    d = Drawing(k.width, h)
    c = HorizontalBarChart()
    c.x, c.y, c.width, c.height = 150, 22, k.width - 170, h - 40
    c.data = [claimed, credited]
    c.categoryAxis.categoryNames = names
    c.categoryAxis.labels.fontName, c.categoryAxis.labels.fontSize = FONT, 6.5
    c.categoryAxis.labels.boxAnchor = "e"
    c.valueAxis.valueMin = 0
    top = max(claimed + credited + [1.0])
    c.valueAxis.valueMax = top * 1.05
    c.valueAxis.labels.fontName, c.valueAxis.labels.fontSize = FONT, 6.5
    c.valueAxis.labelTextFormat = short_money
    c.bars[0].fillColor = colors.HexColor("#e76f51")
    c.bars[1].fillColor = colors.HexColor("#2a9d8f")
    c.barSpacing, c.groupSpacing = 1, 5
    d.add(c)
    lg = Legend()
    lg.fontName, lg.fontSize = FONT, 7
    lg.x, lg.y = 150, h - 6
    lg.alignment = "right"
    lg.columnMaximum = 1
    lg.deltax = 110
    lg.colorNamePairs = [(colors.HexColor("#e76f51"), "claimed £ (figures lens)"),
                         (colors.HexColor("#2a9d8f"), "credited £ (design lens)")]
    d.add(lg)
    return d


def _chart_ranks(k: _Kit, r: pd.DataFrame):
    """A slope chart: the bids shown (the first by official rank) placed in the order of their rank under
    the figures lens (left) and the design lens (right), each labelled with its true rank."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, String
    from reportlab.lib import colors
    ranked = r[r["figures_rank"].notna() & r["design_rank"].notna()]
    n = max(len(ranked), 1)
    step = 16
    h = 36 + n * step
    d = Drawing(k.width, h)
    xl, xr = 190, k.width - 190
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
        name = plain(b.bidder, 30)
        d.add(String(xl - 6, yl - 2.5, f"{name}  {fr}", fontName=FONT, fontSize=6.5, textAnchor="end"))
        d.add(String(xr + 6, yr - 2.5, f"{dr}  {name}", fontName=FONT, fontSize=6.5, textAnchor="start"))
    return d


def _chart_attainment(k: _Kit, ev, bidders: list[str]):
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
        data.append([100 * float(row.get(o, 0.0)) if _isnum(row.get(o, np.nan)) else 0.0 for o in outcomes])
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
        c.bars[i].fillColor = colors.HexColor(_PALETTE[i % len(_PALETTE)])
    c.barSpacing, c.groupSpacing = 0.5, 8
    d.add(c)
    lg = Legend()
    lg.fontName, lg.fontSize = FONT, 6.5
    lg.x, lg.y = 34, 44
    lg.alignment = "right"
    lg.columnMaximum = 3
    lg.deltax, lg.dxTextSpace = 170, 4
    lg.colorNamePairs = [(colors.HexColor(_PALETTE[i % len(_PALETTE)]), plain(b, 36)) for i, b in enumerate(bidders)]
    d.add(lg)
    return d


# ------------------------------------------------------------------------------------------ evaluation report
def evaluation_report_pdf(ev, inputs: Optional[Inputs] = None, *, generated: Optional[str] = None) -> bytes:
    """The record of the award decision (Procurement Act 2023 s98): cover and method, ranking, figures
    against design with charts, one section per bid, appendix with checks, proxies and fingerprints."""
    from reportlab.platypus import CondPageBreak, PageBreak
    k = _Kit()
    r = ev.rubric
    t = r.tender
    res = _ordered(ev.results)
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%d %B %Y, %H:%M UTC")
    off, other = ev.official_lens, ev.other_lens
    story: list = []

    # -- cover
    story.append(k.p("Evaluation report", k.title))
    story.append(k.p(f"{esc(t.id)}: {esc(t.title)}", k.h1))
    story.append(k.facts([
        ("Buyer", t.buyer or "not stated in the rubric"),
        ("Subject matter", t.subject_matter or "not stated in the rubric"),
        ("Contract value (whole term)", gbp(t.contract_value)),
        ("Duration", f"{t.duration_years} year{'s' if t.duration_years != 1 else ''}"),
        ("Local area", ", ".join(t.local_area) or "not stated"),
        ("Full criteria published at", t.criteria_url or "not stated in the rubric"),
        ("Official lens for the award", off),
        ("Bids evaluated", f"{len(res)}" + (f" ({len(ev.bidset.skipped)} more set aside for problems in their files)"
                                            if ev.bidset.skipped else "")),
        ("Report generated", generated),
        ("Record keeping", "Keep this report with the inputs fingerprinted in the appendix for at least 3 years "
                           "(Procurement Act 2023, s98)."),
    ]))
    story.append(k.p("Method", k.h2))
    story.append(k.p(_method_text(ev)))
    story += _method_story(k, ev)

    # -- ranking
    story.append(PageBreak())
    story.append(k.p(f"Ranking under the official ({esc(off)}) lens", k.h1))
    winner = ev.winner()
    if winner:
        story.append(k.p(f"The highest-scoring eligible bid is <b>{esc(winner)}</b> with "
                         f"{marks(res.set_index('bidder').loc[winner, 'total'])} of 100 marks."))
    else:
        story.append(k.p("No bid is eligible for the award."))
    counts = {b: g["severity"].value_counts() for b, g in _by_bidder(ev.flags).items()}
    rows = []
    for b in res.itertuples(index=False):
        cnt = counts.get(b.bidder, pd.Series(dtype=int))
        flags = ", ".join(f"{int(cnt.get(s, 0))} {s}{'s' if cnt.get(s, 0) != 1 and s != 'info' else ''}"
                          for s in ("error", "warning", "info") if cnt.get(s, 0))
        rows.append([rank_text(b.rank) if b.eligible else "DQ", b.bidder, marks(b.total), marks(b.price_score),
                     marks(b.quality_score), marks(b.social_value_score), rank_text(getattr(b, f"{other}_rank")),
                     ("" if b.complete else "incomplete; ") + (flags or "none")])
    story.append(k.table(["Rank", "Bidder", "Total", "Price", "Quality", "Social value", f"{other.title()} rank",
                          "Flags"], rows, [10, 48, 14, 14, 14, 16, 16, 34], right={0, 2, 3, 4, 5, 6}))
    dq = res[~res["eligible"].astype(bool)]
    by_flag = _by_bidder(ev.flags)
    for b in dq["bidder"]:
        g = by_flag.get(b, pd.DataFrame(columns=["code", "message"]))
        reasons = "; ".join(g[g["code"] == "SV203"]["message"].astype(str))
        story.append(k.p(f"Disqualified: <b>{esc(b)}</b>: {esc(reasons or 'below a minimum score')}", k.small))
    if ev.bidset.skipped:
        story.append(k.p("Set aside for problems in their files (not ranked): " + esc(", ".join(
            f"{s.get('bidder') or '?'} ({Path(s['file']).name})" for s in ev.bidset.skipped)), k.small))

    # -- figures vs design
    story.append(PageBreak())
    story.append(k.p("Figures as claimed against the buyer's design", k.h1))
    w_off, w_oth = ev.winner(off), ev.winner(other)
    if w_off and w_oth and w_off != w_oth:
        story.append(k.p(f"<b>The winner changes with the lens</b>: {esc(w_off)} under the {esc(off)} lens, "
                         f"{esc(w_oth)} under the {esc(other)} lens."))
    elif w_off:
        story.append(k.p(f"{esc(w_off)} ranks first under both lenses."))
    tot_claim, tot_cred = float(res["claimed_value"].sum()), float(res["credited_value"].sum())
    story.append(k.p(f"Across all bids, {money(tot_claim)} was claimed and {money(tot_cred)} survives validation "
                     f"({pct(tot_cred / tot_claim if tot_claim > 0 else float('nan'))} of the claims)."))
    rows = []
    for b in res.itertuples(index=False):
        share = b.credited_value / b.claimed_value if _isnum(b.claimed_value) and b.claimed_value > 0 else float("nan")
        rows.append([b.bidder, money(b.claimed_value), money(b.credited_value), pct(share), marks(b.figures_score),
                     rank_text(b.figures_rank), marks(b.design_score), rank_text(b.design_rank)])
    story.append(k.table(["Bidder", "Claimed £", "Credited £", "Credited share", "Figures marks", "Figures rank",
                          "Design marks", "Design rank"], rows, [50, 22, 22, 16, 16, 14, 16, 14],
                         right={1, 2, 3, 4, 5, 6, 7}))
    chart_res = res.head(CHART_BIDS)
    more = f" (the first {CHART_BIDS} bids by official rank; every bid is in the table above)" if len(res) > CHART_BIDS else ""
    story.append(CondPageBreak(120))
    story.append(k.p("Claimed £ against credited £" + esc(more), k.h2))
    story.append(_chart_claimed_credited(k, chart_res))
    story.append(CondPageBreak(160))
    story.append(k.p("Ranks under both lenses" + esc(more), k.h2))
    ranked = res[res["eligible"].astype(bool)]
    story.append(_chart_ranks(k, ranked.head(CHART_BIDS)))
    att_bids = res["bidder"].head(len(_PALETTE)).tolist()
    chart = _chart_attainment(k, ev, att_bids)
    if chart is not None:
        story.append(CondPageBreak(230))
        extra = (f" (the first {len(_PALETTE)} bids by official rank)" if len(res) > len(_PALETTE) else "")
        story.append(k.p("Attainment of each outcome's target (design lens)" + esc(extra), k.h2))
        story.append(chart)

    # -- one section per bid
    story += _bid_sections(k, ev, res)

    # -- appendix
    story.append(PageBreak())
    story.append(k.p("Appendix", k.h1))
    story.append(k.p("A. Checks on the rubric's design", k.h2))
    rf = ev.rubric_flags
    story.append(k.table(["Code", "Check", "Severity", "Finding", "Fix"],
                         [[f.code, f.name, f.severity, f.message, f.fix] for f in rf.itertuples(index=False)],
                         [14, 28, 14, 62, 62]))
    story.append(k.p("B. Proxy table (reference £ values) with sources and licences", k.h2))
    prox = r.proxies.reset_index() if "code" not in r.proxies.columns else r.proxies
    prow = [[p.code, p.name, p.unit, money(p.value), money(p.low), money(p.high), plain(p.price_year),
             p.kind, p.source, p.licence] for p in prox.itertuples(index=False)]
    story.append(k.table(["Code", "Name", "Unit", "Value", "Low", "High", "Price year", "Kind", "Source", "Licence"],
                         prow, [20, 26, 14, 12, 12, 12, 10, 11, 42, 21], right={3, 4, 5, 6}))
    story.append(k.p("C. Fingerprints of the inputs (SHA-256)", k.h2))
    story.append(k.p("Recompute with <font face='DejaVuSans-Bold'>sha256sum FILE</font> (or "
                     "<font face='DejaVuSans-Bold'>Get-FileHash</font> on Windows): the same files give the same "
                     "result.", k.small))
    fp = fingerprints(ev, inputs)
    story.append(k.table(["Role", "File", "Bytes", "SHA-256"],
                         [[x.role, x.file, num(x.bytes), k.p(esc(x.sha256), k.mono)] for x in fp.itertuples(index=False)],
                         [18, 47, 15, 100], right={2}))
    ws_head = (inputs.workspace if inputs is not None else None) or None
    if ws_head:
        story.append(k.p(f"Evaluation record: workspace {esc(Path(ws_head['file']).name)}, audit log head "
                         f"<b>{esc(ws_head['head'])}</b> ({esc(ws_head['chain'])} chain; full hash "
                         f"<font face='DejaVuSans-Bold'>{esc(ws_head['head_hash'])}</font>). Check it with "
                         f"<font face='DejaVuSans-Bold'>python -m evaluator audit --db FILE</font>: a file behind this "
                         "head is an earlier copy.", k.small))
    sj = settings_json(ev, inputs)
    story.append(k.p(f"Settings (the rubric as read, with defaults, the proxy table and the run's options): "
                     f"SHA-256 <b>{hashlib.sha256(sj.encode('utf-8')).hexdigest()}</b> of the UTF-8 JSON text "
                     f"below.", k.small))
    story.append(k.p(esc(sj), k.mono))
    return k.build(story, title=f"Evaluation report {t.id} {t.title}", header=f"{t.id} · {t.title} · Evaluation report",
                   author=t.buyer or "")


def _walk_rows(c: pd.DataFrame) -> list[list[Any]]:
    from .valuation import WALK_STEPS
    rows, running = [], 0.0
    for key, label in WALK_STEPS:
        col = f"walk_{key}"
        amount = float(c[col].sum()) if col in c.columns and len(c) else 0.0
        running += amount
        rows.append([label, money(amount), money(running)])
    rows.append(["Credited (validated £)", "", money(float(c["credited_value"].sum()) if len(c) else 0.0)])
    return rows


def _bid_sections(k: _Kit, ev, res: pd.DataFrame) -> list:
    from reportlab.platypus import PageBreak
    story: list = []
    scores = _by_bidder(ev.scores)
    scale = _by_bidder(ev.scale)
    flags = _by_bidder(ev.flags)
    comm = _by_bidder(_commitments(ev))
    bids = ev.bidset.bids.set_index("bidder", drop=False)
    rindex = res.set_index("bidder", drop=False)
    for n, b in enumerate(res["bidder"].tolist(), start=1):
        row = rindex.loc[b]
        story.append(PageBreak())
        status = (f"rank {rank_text(row['rank'])} under the official lens" if row["eligible"] else "disqualified")
        story.append(k.p(f"Bid {n}: {esc(b)}", k.h1))
        info = bids.loc[b] if b in bids.index else {}
        story.append(k.facts([
            ("Result", f"{marks(row['total'])} of 100, {status}" + ("" if row["complete"] else "; incomplete scoring")),
            ("Price", money(row["price"])),
            ("Supplier identifier", _given(info, "supplier_id")),
            ("Contact", "; ".join(x for x in (_given(info, "contact_address", ""), _given(info, "contact_email", "")) if x)
             or "not given in the bid"),
            ("Bid file", plain(info.get("_file", "")) if hasattr(info, "get") else ""),
        ]))
        story.append(k.p("Marks and their working", k.h2))
        mt = ev._marks_table(b, row)
        story.append(k.table(["Criterion", "Part", "Weight", "Working", "Marks"],
                             [[m.criterion, m.part, f"{m.weight:g}", m.working, marks(m.marks)]
                              for m in mt.itertuples(index=False)], [16, 40, 14, 88, 16], right={2, 4}, bold_last=True))
        story.append(k.p("Evaluators' scores and rationales", k.h2))
        s = scores.get(b)
        srows = []
        if s is not None:
            s = s.assign(_mod=(s["evaluator"] == "MODERATED")).sort_values(["criterion", "_mod"], kind="stable")
            srows = [[x.criterion, x.evaluator, f"{x.score:g}", x.rationale] for x in s.itertuples(index=False)]
        story.append(k.table(["Criterion", "Evaluator", "Score", "Rationale"], srows, [16, 28, 12, 124], right={2}))
        sc = scale.get(b)
        if sc is not None and len(sc):
            story.append(k.p("Disagreements and moderation", k.h3))
            fl = flags.get(b)
            dis = {} if fl is None else {x.criterion: x.message for x in fl[fl["code"].isin(["SV205", "SV206", "SV207"])].itertuples(index=False)}
            mrows = []
            for x in sc.itertuples(index=False):
                spread = (f"{x.lowest_score:g}–{x.highest_score:g}" if _isnum(x.lowest_score) else "-")
                basis = {"moderated": "MODERATED consensus", "median": "median of evaluators (no consensus recorded)"}.get(
                    x.basis, str(x.basis) if x.scored else "unscored (0 marks)")
                mrows.append([x.criterion, f"{int(x.n_evaluators)}" if _isnum(x.n_evaluators) else "0", spread,
                              marks(x.score) if x.scored else "-", basis, dis.get(x.criterion, "within two scale steps")])
            story.append(k.table(["Criterion", "Evaluators", "Range", "Score used", "Basis", "Disagreement"], mrows,
                                 [16, 16, 16, 16, 46, 70], right={1, 3}))
        c = comm.get(b, _commitments(ev).iloc[0:0])
        story.append(k.p("Commitments: claimed and credited", k.h2))
        fl = flags.get(b)
        codes_by_c = {} if fl is None else fl[fl["commitment"].notna()].groupby("commitment")["code"].apply(
            lambda s: ", ".join(s)).to_dict()
        crows = [[x.id, x.measure, plain(x.served_outcome) or "-", f"{num(x.quantity)} {plain(x.unit)}".strip(),
                  x.evidence_grade if isinstance(x.evidence_grade, str) else "-", money(x.figures_value),
                  money(x.credited_value), codes_by_c.get(x.id, ""), x.not_credited_reason or ""]
                 for x in c.itertuples(index=False)]
        story.append(k.table(["Id", "Measure", "Outcome", "Quantity", "Evidence", "Claimed £", "Credited £", "Flags",
                              "Not credited because"], crows, [10, 26, 16, 20, 16, 18, 18, 22, 34],
                             right={5, 6}))
        story.append(k.p("From claimed £ to credited £", k.h3))
        story.append(k.table(["Step", "Amount", "Running total"], _walk_rows(c), [120, 30, 30], right={1, 2},
                             bold_last=True))
        story.append(k.p("Flags", k.h2))
        frows = [] if fl is None else [[x.code, x.severity, plain(x.commitment) or plain(x.criterion) or "bid",
                                        x.message, x.fix] for x in fl.itertuples(index=False)]
        story.append(k.table(["Code", "Severity", "Where", "Finding", "Fix"], frows, [14, 15, 13, 70, 68]))
    return story


def _given(info: Any, key: str, missing: str = "not given in the bid") -> str:
    v = info.get(key) if hasattr(info, "get") else None
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()):
        return missing
    return str(v)


# ------------------------------------------------------------------------------------------ reg 31 summary
def assessment_summary_pdf(ev, bidder: str, *, generated: Optional[str] = None,
                           context: Optional[dict] = None) -> bytes:
    """What regulation 31 of the Procurement Regulations 2024 asks the buyer to tell each supplier: who
    they are, each criterion (title, weight, how assessed, scores available), their score with the
    explanation by reference to their tender, sub-totals and total, and why the contract is not
    being awarded to them when it is not."""
    k = _Kit()
    cache = context if context is not None else summary_context(ev)
    r = ev.rubric
    t = r.tender
    res = cache["res"]
    if bidder not in res.index:
        from .exceptions import InputError
        raise InputError("is not a bidder in this evaluation", field="bidder", value=bidder)
    row = res.loc[bidder]
    info = cache["bids"].loc[bidder] if bidder in cache["bids"].index else {}
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%d %B %Y")
    winner = cache["winner"]
    story: list = []
    story.append(k.p("Assessment summary", k.title))
    story.append(k.p(f"{esc(t.id)}: {esc(t.title)}", k.h2))
    story.append(k.p(f"Issued by {esc(t.buyer or 'the contracting authority')} under regulation 31 of the "
                     f"Procurement Regulations 2024. Date: {esc(generated)}.", k.small))
    story.append(k.p("Supplier", k.h2))
    story.append(k.facts([
        ("Supplier name", bidder),
        ("Unique identifier", _given(info, "supplier_id", "Not given in the bid: the buyer must add the supplier's "
                                                           "unique identifier before sending this summary.")),
        ("Contact address", _given(info, "contact_address", "Not given in the bid: the buyer must add it from the "
                                                             "central digital platform record before sending.")),
        ("Contact email", _given(info, "contact_email", "Not given in the bid: the buyer must add it before sending.")),
    ]))

    # outcome in one sentence
    story.append(k.p("Result", k.h2))
    n_ranked = int(res["rank"].notna().sum())
    if not row["eligible"]:
        story.append(k.p(f"Your tender scored {marks(row['total'])} of 100 marks but is <b>disqualified</b>: it did "
                         f"not reach a minimum score the tender set, so the contract cannot be awarded to you."))
    elif _isnum(row["rank"]) and int(row["rank"]) == 1 and bidder == winner:
        story.append(k.p(f"Your tender scored <b>{marks(row['total'])}</b> of 100 marks and ranked <b>first</b> of "
                         f"{n_ranked}: it is the most advantageous tender and the buyer intends to award the contract "
                         f"to you, subject to the standstill period."))
    else:
        story.append(k.p(f"Your tender scored <b>{marks(row['total'])}</b> of 100 marks and ranked "
                         f"{rank_text(row['rank'])} of {n_ranked}. " + (
                             f"The buyer intends to award the contract to {esc(winner)}." if winner else
                             "No tender is eligible for the award on this evaluation.")))
    if t.criteria_url:
        story.append(k.p(f"The full award criteria are published at {esc(t.criteria_url)}.", k.small))

    # criteria: title, weight, how assessed, scores available
    story.append(k.p("The award criteria", k.h2))
    story.append(k.table(["Criterion", "Weight (of 100)", "How it was assessed", "Scores available"],
                         cache["criteria_rows"], [30, 14, 100, 36], right={1}))

    # your scores
    story.append(k.p("Your scores", k.h2))
    scale = cache["scale"].get(bidder, ev.scale.iloc[0:0]).set_index("criterion")
    price = cache["price"].get(bidder)
    rows, explain = [], []
    win_row = res.loc[winner] if winner and winner in res.index and winner != bidder else None
    win_scale = cache["scale"].get(winner, ev.scale.iloc[0:0]).set_index("criterion") if win_row is not None else None
    compare: list[tuple[str, float, float]] = []
    for c in r.spec.criteria:
        title = f"{c.id} {_criterion_title(c)}"
        if c.kind == "price":
            m = float(price["marks"].iat[0]) if price is not None and len(price) else 0.0
            score = money(row["price"])
            lowest = float(price["lowest"].iat[0]) if price is not None and len(price) else float("nan")
            if _isnum(lowest) and _isnum(row["price"]) and abs(float(row["price"]) - lowest) < 0.005:
                why = f"Your price {money(row['price'])} was the lowest eligible price, so it gets all the price marks."
            else:
                why = f"Your price {money(row['price'])}; the lowest eligible price was {money(lowest)}."
            wm = float(cache["price"][winner]["marks"].iat[0]) if win_row is not None and winner in cache["price"] else None
        elif c.kind == "scale":
            s = scale.loc[c.id] if c.id in scale.index else None
            m = float(s["marks"]) if s is not None else 0.0
            if s is not None and s["scored"]:
                label = plain(r.descriptor(s["score"])).split(":")[0]
                score = f"{s['score']:g}" + (f" ({label})" if label else "")
                if s["basis"] == "moderated" and isinstance(s["moderated_rationale"], str):
                    why = s["moderated_rationale"]
                else:
                    why = ("The panel recorded no consensus rationale; the score is the median of the evaluators' "
                           "scores.")
                if s["below_threshold"]:
                    why += f" This is below the minimum score of {c.threshold:g}, so the tender is disqualified."
            else:
                score, why = "not scored", "This criterion was not scored (0 marks)."
            wm = float(win_scale.loc[c.id, "marks"]) if win_scale is not None and c.id in win_scale.index else None
        else:
            lens = ev.official_lens
            m = float(row[f"{lens}_score"])
            if lens == "design":
                score = f"{pct(row['design_fraction'], 1)} of the targets"
                why = _sv_explanation(cache, bidder, row)
            else:
                score = f"{money(row['claimed_value'])} claimed"
                why = (f"Your claimed social value {money(row['claimed_value'])} against the highest eligible claim "
                       f"{money(ev.best_claimed)}.")
            wm = float(win_row[f"{lens}_score"]) if win_row is not None else None
        rows.append([title, f"{c.weight:g}", score, marks(m)])
        explain.append((title, why))
        if wm is not None:
            compare.append((title, m, wm))
    story.append(k.table(["Criterion", "Weight", "Your score", "Your marks"], rows, [70, 16, 64, 20], right={1, 3}))
    story.append(k.p("Sub-totals and total", k.h3))
    story.append(k.table(["Part", "Marks"], [
        ["Price", marks(row["price_score"])], ["Quality", marks(row["quality_score"])],
        ["Social value", marks(row["social_value_score"])], ["Total (out of 100)", marks(row["total"])]],
        [140, 40], right={1}, zebra=False, bold_last=True))
    story.append(k.p("Why each score was given (by reference to your tender)", k.h2))
    story.append(k.table(["Criterion", "Explanation"], [[a, b] for a, b in explain], [40, 140]))
    sv_rows = cache["attainment"].get(bidder)
    if ev.official_lens == "design" and sv_rows is not None and len(sv_rows):
        story.append(k.p("Your social value commitments against the buyer's outcomes", k.h3))
        story.append(k.table(["Outcome", "Target", "Your net contribution", "Share of target"],
                             [[f"{a.outcome} {plain(a.name)}", f"{num(a.target)} {plain(a.unit)}".strip(),
                               num(a.net_quantity), pct(a.attainment)] for a in sv_rows.itertuples(index=False)],
                             [90, 30, 34, 26], right={2, 3}))
    c = cache["comm"].get(bidder)
    if c is not None and len(c):
        story.append(k.table(["Commitment", "Measure", "Claimed £", "Credited £", "Not credited because"],
                             [[x.id, x.measure, money(x.figures_value), money(x.credited_value),
                               x.not_credited_reason or ""] for x in c.itertuples(index=False)],
                             [20, 40, 26, 26, 68], right={2, 3}))

    # why not awarded
    if bidder != winner or not row["eligible"]:
        story.append(k.p("Why the contract is not being awarded to you", k.h2))
        story += [k.p(esc(s)) for s in _why_not(ev, bidder, row, winner, win_row, compare, cache)]
        if compare and row["eligible"]:
            story.append(k.table(["Criterion", "Your marks", "Winning tender's marks", "Difference"],
                                 [[t_, marks(m_), marks(w_), f"{m_ - w_:+.2f}"] for t_, m_, w_ in compare]
                                 + [["Total", marks(row["total"]), marks(win_row["total"]),
                                     f"{float(row['total']) - float(win_row['total']):+.2f}"]],
                                 [80, 30, 40, 30], right={1, 2, 3}, zebra=False, bold_last=True))

    fl = cache["flags"].get(bidder)
    if fl is not None:
        fl = fl[~fl["code"].isin(PANEL_CODES)]
    if fl is not None and len(fl):
        story.append(k.p("Points found in your tender, and what would fix them", k.h2))
        story.append(k.table(["Code", "Where", "Finding", "What would fix it"],
                             [[f"{x.code} ({x.severity})", plain(x.commitment) or plain(x.criterion) or "bid",
                               x.message, x.fix] for x in fl.itertuples(index=False)], [18, 14, 74, 74]))
    return k.build(story, title=f"Assessment summary {t.id} {bidder}", header=f"{t.id} · Assessment summary · {bidder}",
                   author=t.buyer or "")


def _sv_explanation(cache: dict, bidder: str, row: pd.Series) -> str:
    att = cache["attainment"].get(bidder)
    parts = []
    if att is not None:
        for a in att.itertuples(index=False):
            parts.append(f"{a.outcome} reached {pct(a.attainment)} of its target")
    c = cache["comm"].get(bidder)
    n_all = 0 if c is None else len(c)
    n_cred = 0 if c is None else int(c["credited"].astype(bool).sum())
    text = (f"Of your {n_all} commitment{'s' if n_all != 1 else ''}, {n_cred} counted towards the buyer's outcomes; "
            f"you claimed {money(row['claimed_value'])} and {money(row['credited_value'])} was credited after the "
            f"checks, net of what would have happened anyway, weighted by your evidence and discounted.")
    if parts:
        text = "; ".join(parts) + ". " + text
    return text


def _why_not(ev, bidder, row, winner, win_row, compare, cache) -> list[str]:
    out = []
    if not row["eligible"]:
        fl = cache["flags"].get(bidder)
        msgs = [] if fl is None else fl[fl["code"] == "SV203"]["message"].astype(str).tolist()
        out.append("Your tender did not reach a minimum score: " + ("; ".join(msgs) if msgs else "see the scores above")
                   + ". A tender below a minimum score set in the award criteria cannot be the most advantageous "
                   "tender, so it was not ranked.")
        return out
    if winner is None or win_row is None:
        out.append("No eligible tender was ranked first." if winner is None else "")
        return [o for o in out if o]
    gap = float(win_row["total"]) - float(row["total"])
    if gap <= 1e-9:
        out.append(f"Your tender scored the same total as {winner} ({marks(row['total'])}); the tie was broken by "
                   "the higher quality marks, then the lower price, as the tender documents set out.")
    else:
        out.append(f"The winning tender, from {winner}, scored {marks(win_row['total'])} of 100; yours scored "
                   f"{marks(row['total'])}, {gap:.2f} marks fewer.")
    behind = sorted([x for x in compare if x[2] - x[1] > 0.005], key=lambda x: x[1] - x[2])
    ahead = [x for x in compare if x[1] - x[2] > 0.005]
    if behind:
        out.append("You scored fewer marks than the winning tender on: " + "; ".join(
            f"{t} ({m:.2f} against {w:.2f})" for t, m, w in behind) + ".")
        t0, m0, w0 = behind[0]
        out.append(f"The largest difference was on {t0}, where you scored {w0 - m0:.2f} marks fewer.")
    if ahead:
        out.append("You scored more marks than the winning tender on: " + "; ".join(
            f"{t} ({m:.2f} against {w:.2f})" for t, m, w in ahead) + ", but not enough to make up the difference.")
    return out


def summary_context(ev) -> dict:
    """Per-bid slices computed once for all the summaries of a tender."""
    r = ev.rubric
    res = ev.results.set_index("bidder", drop=False)
    crit_rows = [[f"{c.id} {_criterion_title(c)}", f"{c.weight:g}", how_assessed(r, c), scores_available(r, c)]
                 for c in r.spec.criteria]
    return {
        "res": res,
        "bids": ev.bidset.bids.set_index("bidder", drop=False),
        "winner": ev.winner(),
        "scale": _by_bidder(ev.scale),
        "price": _by_bidder(ev.price),
        "flags": _by_bidder(ev.flags),
        "comm": _by_bidder(_commitments(ev)),
        "attainment": _by_bidder(ev.attainment),
        "criteria_rows": crit_rows,
    }


# ------------------------------------------------------------------------------------------ self-assessment
def self_assessment_pdf(sa: dict, rubric, *, generated: Optional[str] = None) -> bytes:
    """A supplier's check of a draft bid (from `check --pdf`): the buyer's checks with what to fix, the
    walk from claimed to credited £, attainment and the marks to expect under each lens."""
    k = _Kit()
    t = rubric.tender
    ev = sa["evaluation"]
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%d %B %Y, %H:%M UTC")
    story: list = [k.p("Self-assessment of a draft bid", k.title),
                   k.p(f"{esc(sa['bidder'])}", k.h1),
                   k.p(f"against {esc(t.id)}: {esc(t.title)}" + (f" ({esc(t.buyer)})" if t.buyer else ""), k.h2),
                   k.p(f"Generated {esc(generated)}. The buyer runs these same checks on every bid; the official lens "
                       f"for this tender is the <b>{esc(rubric.official_lens)} lens</b>.", k.small)]
    sv = rubric.sv_criterion
    if sv is not None:
        story.append(k.p("Social-value marks you could expect", k.h2))
        story.append(k.table(["Lens", "Marks (of " + f"{sv.weight:g})", "Basis"], [
            ["design" + (" (official)" if rubric.official_lens == "design" else ""), marks(sa["design_score"]),
             f"priority-weighted attainment of the buyer's outcomes {pct(sa['design_fraction'], 1)}"],
            ["figures" + (" (official)" if rubric.official_lens == "figures" else ""), marks(sa["figures_score"]),
             f"your claimed {money(sa['claimed_value'])} against a best claim of {money(sa['best_claimed'])}"],
        ], [30, 25, 125], right={1}))
        sv_scale = [c for c in rubric.scale_criteria if c.social_value]
        if sv_scale:
            story.append(k.p("Plus the panel's score for " + esc(", ".join(f"{c.id} ({c.weight:g} marks)" for c in sv_scale))
                             + ".", k.small))
    story.append(k.p("From claimed £ to credited £", k.h2))
    story.append(k.p(f"You claim {money(sa['claimed_value'])}; the design lens credits {money(sa['credited_value'])} "
                     "(validated, net of deadweight and attribution, weighted by evidence, discounted)."))
    story.append(k.table(["Step", "Amount", "Running total"], _walk_rows(ev.commitments), [120, 30, 30],
                         right={1, 2}, bold_last=True))
    att = sa["attainment"]
    if len(att):
        story.append(k.p("Attainment of the buyer's outcomes", k.h2))
        story.append(k.table(["Outcome", "Target", "Your net contribution", "Share of target", "Priority"],
                             [[f"{a.outcome} {plain(a.name)}", f"{num(a.target)} {plain(a.unit)}".strip(),
                               num(a.net_quantity), pct(a.attainment), num(a.priority)] for a in att.itertuples(index=False)],
                             [80, 30, 30, 22, 18], right={2, 3, 4}))
    c = ev.commitments
    story.append(k.p("Your commitments", k.h2))
    story.append(k.table(["Id", "Measure", "Outcome", "Claimed £", "Credited £", "Not credited because"],
                         [[x.id, x.measure, plain(x.served_outcome) or "-", money(x.figures_value), money(x.credited_value),
                           x.not_credited_reason or ""] for x in c.itertuples(index=False)],
                         [12, 36, 16, 24, 24, 68], right={3, 4}))
    flags = sa["flags"]
    story.append(k.p(f"Flags ({len(flags)}) and what to fix" if len(flags) else "No flags: nothing to fix", k.h2))
    if len(flags):
        story.append(k.table(["Code", "Severity", "Where", "Finding", "What to fix"],
                             [[x.code, x.severity, plain(x.commitment) or plain(x.criterion) or "bid", x.message, x.fix]
                              for x in flags.itertuples(index=False)], [14, 15, 13, 69, 69]))
    story.append(k.p("How the buyer will assess", k.h2))
    story += _method_story(k, ev)
    return k.build(story, title=f"Self-assessment {t.id} {sa['bidder']}",
                   header=f"{t.id} · Self-assessment · {sa['bidder']}", author=str(sa["bidder"]))


# ------------------------------------------------------------------------------------------ the report set
@dataclass
class ReportSet:
    evaluation_report: Path
    summaries: dict[str, Path]        # bidder -> file
    workbook: Path


def summary_file_names(bidders: Iterable[str]) -> dict[str, str]:
    """bidder -> `assessment_summary_<safe stem>.pdf`, unique within the tender."""
    taken: set = set()
    return {b: f"assessment_summary_{safe_file_stem(b, taken)}.pdf" for b in bidders}


def check_out_dir(out: Path) -> Path:
    """The folder to write into: created if missing; a file in the way or no write permission is bad
    input (one line), found before any work is done."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise EvaluatorError("is a file, not a folder to write the reports into", field="--out", value=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EvaluatorError(f"cannot write into this folder ({exc.strerror or exc})", field="--out",
                             value=str(out)) from None
    return out


def write_file(path: Path, data: bytes) -> Path:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise EvaluatorError(f"cannot be written ({exc.strerror or exc})", file=path) from None
    return path


def write_report_set(ev, out: Path, inputs: Optional[Inputs] = None) -> ReportSet:
    """evaluation_report.pdf, one assessment_summary_<bidder>.pdf per bid and results.xlsx in `out`."""
    from .workbook import results_workbook
    out = check_out_dir(out)
    report = write_file(out / "evaluation_report.pdf", evaluation_report_pdf(ev, inputs))
    cache = summary_context(ev)
    names = summary_file_names(ev.results["bidder"].tolist())
    summaries = {b: write_file(out / name, assessment_summary_pdf(ev, b, context=cache)) for b, name in names.items()}
    book = write_file(out / "results.xlsx", results_workbook(ev, workspace=(inputs.workspace if inputs else None)))
    return ReportSet(evaluation_report=report, summaries=summaries, workbook=book)
