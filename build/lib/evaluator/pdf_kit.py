"""The PDF kit the three documents are drawn with (reportlab): the shipped fonts, paragraph styles,
long tables that split across pages, and the text of a table cell.

Every string that came from a rubric, a bid or a score sheet is data, never markup: it goes through
:func:`esc` before it reaches a Paragraph, so `<b>`, `<img src=...>` or `&copy` print literally and
nothing is fetched. The shipped DejaVu Sans family (evaluator/fonts, Bitstream Vera / DejaVu licence)
renders Welsh (ŵ ŷ), accents, £, € and dashes as themselves. Long text sits in table rows that may split
across pages, and every table repeats its header row.
"""
from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any, Iterable, Optional
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .formatting import gbp


FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVuSans"
FONT_FILES = {FONT: "DejaVuSans.ttf", f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
              f"{FONT}-Oblique": "DejaVuSans-Oblique.ttf", f"{FONT}-BoldOblique": "DejaVuSans-BoldOblique.ttf"}


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


# ------------------------------------------------------------------------------------------ numbers
def isnum(v: Any) -> bool:
    return v is not None and v is not pd.NA and isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)


def marks(v: Any) -> str:
    return f"{float(v):.2f}" if isnum(v) else "-"


def pct(v: Any, decimals: int = 0) -> str:
    return f"{float(v):.{decimals}%}" if isnum(v) else "-"


def money(v: Any) -> str:
    return gbp(float(v)) if isnum(v) else "-"


def pence(v: Any) -> str:
    """£ with pence: a price per quality point (£11,875.00)."""
    return gbp(float(v), 2) if isnum(v) else "-"


def num(v: Any) -> str:
    if not isnum(v):
        return "-"
    v = float(v)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def rank_text(v: Any) -> str:
    return str(int(v)) if isnum(v) else "-"


def short_money(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"£{v / 1e6:.1f}m"
    if a >= 1e3:
        return f"£{v / 1e3:.0f}k"
    return f"£{v:.0f}"


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


class Kit:
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
