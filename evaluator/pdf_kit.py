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

from . import formatting as _fmt
from .formatting import unit_words


FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVuSans"
BOLD = f"{FONT}-Bold"
CELL_SIZE, LEADING, MIN_SIZE = 7.5, 9.2 / 7.5, 6.0   # a table cell's font size (pt), line height ratio, the least
PADDING = 7.0   # a cell's left and right padding (3 + 3) and a point to spare
FRAME_PADDING = 6.0  # reportlab's page frame keeps 6 pt inside each margin
LONG_TOKEN = 24  # characters: a longer run without a space (a web address, a path, a fingerprint) may break
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


_SPACE = re.compile(r"\s+")


def longest_token(text: str, font: str = FONT, size: float = CELL_SIZE, longest: Optional[int] = None) -> float:
    """The width (pt) of the widest run of text without a space: where a cell may not wrap (of the runs of
    at most `longest` characters, if given: a longer one, a web address or a file path, may break)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    register_fonts()
    return max((stringWidth(t, font, size) for t in _SPACE.split(text) if t and (longest is None or len(t) <= longest)),
               default=0.0)


AUDIT_CHECK = ("Anyone with the tool can check a copy of the workspace file against this head with its audit check "
               "(see the README, 'Checking a workspace'): a copy that stops before this head is an earlier copy.")


def file_name(path: Any) -> str:
    """A file as the user named it: its name without the folder it was read from (an upload is kept on the
    server under a temporary folder, which a reader has no use for); nothing for nothing."""
    text = plain(path)
    return text.replace("\\", "/").rsplit("/", 1)[-1] if text else ""


def when_made(now: Optional[Any] = None, time: bool = True) -> str:
    """When a document was made, as a commissioner writes it: "7 December 2026, 15:25 UTC" ("7 December
    2026" with time=False)."""
    import datetime as _dt
    t = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{t.day} {t:%B %Y}" + (f", {t:%H:%M} UTC" if time else "")


# ------------------------------------------------------------------------------------------ numbers
def isnum(v: Any) -> bool:
    return v is not None and v is not pd.NA and isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)


def marks(v: Any) -> str:
    """Marks to two decimals ("12.50", "−3.10"); "-" for nothing (formatting.marks)."""
    return _fmt.marks(v) or "-"


def signed_marks(v: Any) -> str:
    """A difference in marks with its sign: "+2.50", "−3.10", "0.00"; "-" for nothing."""
    x = _fmt.number(v)
    return "-" if x is None else ("+" if round(x, 2) > 0 else "") + _fmt.marks(x)


def pct(v: Any, decimals: int = 0) -> str:
    """A share (0.3) as "30%" (formatting.percent); "-" for nothing."""
    return _fmt.percent(v, decimals) or "-"


def money(v: Any) -> str:
    """A sum in whole pounds, "£23,874", "−£156,138" (formatting.gbp); "-" for nothing."""
    x = _fmt.number(v)
    return "-" if x is None else _fmt.gbp(x)


def unit_money(v: Any) -> str:
    """A value for one unit (a proxy), with its pence where it has them: "£12.21", "£22,368" (formatting.money);
    "-" for nothing."""
    x = _fmt.number(v)
    return "-" if x is None else _fmt.money(x)


def pence(v: Any) -> str:
    """£ with pence: a price per quality point (£11,875.00)."""
    x = _fmt.number(v)
    return "-" if x is None else _fmt.gbp(x, 2)


def num(v: Any) -> str:
    """A quantity as written: "3,600", "7.29", "4.5" (at most two decimals; formatting.plain_number); "-" for
    nothing."""
    x = _fmt.number(v)
    return "-" if x is None else _fmt.plain_number(x)


def quantity(v: Any, unit: Any) -> str:
    """A quantity in its unit, in words: "30 FTE-years", "1 FTE-year", "£650,000" (spend), "12 hours";
    the unit alone when there is no quantity."""
    words = unit_words(unit)
    if words == "£":
        return money(v) if isnum(v) else "£"
    if not isnum(v):
        return words or "-"
    text = num(v)
    return f"{text} {unit_words(unit, plural=text != '1')}".strip()


def rank_text(v: Any) -> str:
    return str(int(v)) if isnum(v) else "-"


def short_money(v: float) -> str:
    """A chart's axis: £1.5m, £250k, £40 (−£ below nothing)."""
    a = abs(v)
    text = f"£{a / 1e6:.1f}m" if a >= 1e6 else f"£{a / 1e3:.0f}k" if a >= 1e3 else f"£{a:.0f}"
    return (_fmt.MINUS if v < 0 and any(ch in "123456789" for ch in text) else "") + text


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
        self.head = ParagraphStyle("head", parent=self.small, fontName=BOLD, textColor=colors.white,
                                   splitLongWords=0)  # a header never splits mid-word ("Criterio/n")
        self._small_whole = ParagraphStyle("small_whole", parent=self.small, splitLongWords=0)
        self._small_right_whole = ParagraphStyle("small_right_whole", parent=self.small_right, splitLongWords=0)
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
        self.width = 180 * mm - 2 * FRAME_PADDING  # what the page's frame holds: a table this wide stays in the margins

    # Paragraph from markup whose every data part already went through esc()
    def p(self, markup: str, style=None):
        from reportlab.platypus import Paragraph
        return Paragraph(markup, style or self.body)

    def cell(self, value: Any, right: bool = False, width: float = 0.0, size: float = CELL_SIZE):
        """A table cell. Text that fits its column on one line stays a plain string, drawn as it is and
        never parsed (and much cheaper than a Paragraph); longer text wraps in an escaped Paragraph, at spaces
        only (a £ value or a word is never split), unless one token is wider than the column can be (a file
        path, a fingerprint: see column_widths)."""
        from reportlab.pdfbase.pdfmetrics import stringWidth
        from reportlab.platypus import Paragraph
        if not isinstance(value, str):
            return value
        text = _CONTROL.sub("", value)
        if "\n" not in text and len(text) < 80 and stringWidth(text, FONT, size) <= width - PADDING:
            return text
        return Paragraph(esc(text), self._style(right, size, longest_token(text, FONT, size) > width - PADDING))

    def _style(self, right: bool, size: float, split_words: bool = False, head: bool = False):
        """The cell style at `size` pt; words split only where one is wider than its column can be."""
        from reportlab.lib.styles import ParagraphStyle
        if size == CELL_SIZE and not split_words and not head:
            return self._small_right_whole if right else self._small_whole
        parent = self.head if head else (self.small_right if right else self.small)
        return ParagraphStyle(f"{parent.name}_{size:.2f}_{int(split_words)}", parent=parent, fontSize=size,
                              leading=size * LEADING, splitLongWords=int(split_words))

    def column_widths(self, header: list[str], rows: list[list[Any]], weights: list[float],
                      size: float = CELL_SIZE) -> tuple[list[float], float]:
        """Each column's width from its content, and the font size the table is drawn at.

        A column is never narrower than its longest unbreakable token (a word, "£23,874", its header's
        longest word in bold), so text wraps only at spaces, nor wider than its longest line needs; within
        those bounds the caller's proportions (`weights`) hold, and the room a column does not need goes to
        the columns whose text still wraps.
        A token of more than LONG_TOKEN characters (a web address, a file path, a SHA-256) may break, and
        asks for at most a sixth of the page, so it does not starve the other columns. If the minimums alone are wider than the page the table's font shrinks until
        they fit (never below 6 pt)."""
        from reportlab.pdfbase.pdfmetrics import stringWidth
        page = self.width
        cap = page / 6
        n = len(header)
        lo, hi = [0.0] * n, [0.0] * n
        for i, h in enumerate(header):
            lo[i] = longest_token(str(h), BOLD, size)
            hi[i] = max(stringWidth(line, BOLD, size) for line in str(h).split("\n"))
        for r in rows:
            for i, v in enumerate(r[:n]):
                if v is None:
                    continue
                if hasattr(v, "wrap"):  # a flowable the caller built wraps itself: it keeps the caller's share
                    hi[i] = page
                    continue
                text = _CONTROL.sub("", v if isinstance(v, str) else str(v))
                if not text:
                    continue
                lo[i] = max(lo[i], longest_token(text, FONT, size, LONG_TOKEN),
                            min(longest_token(text, FONT, size), cap))
                if hi[i] < page:
                    hi[i] = max(hi[i], max(stringWidth(line, FONT, size) for line in text.split("\n")))
        lo = [x + PADDING for x in lo]
        hi = [max(h + PADDING, x) for h, x in zip(hi, lo)]
        if sum(lo) > page and size > MIN_SIZE:  # the minimums do not fit: a smaller font
            return self.column_widths(header, rows, weights, max(MIN_SIZE, size * page / sum(lo) * 0.98))
        if sum(lo) > page:  # not even at 6 pt: the page is the limit, and the widest tokens break
            return [x * page / sum(lo) for x in lo], size
        total = sum(weights) or 1
        share = [w / total for w in weights]
        w = [min(max(page * f, x), h) for f, x, h in zip(share, lo, hi)]  # the caller's layout, within the content
        for _ in range(len(w) + 1):
            gap = page - sum(w)
            if abs(gap) < 0.01:
                break
            if gap > 0:  # room to spare: to the columns whose text still wraps, by the caller's proportions
                open_ = [i for i in range(n) if w[i] < hi[i] - 0.01] or list(range(n))
                weight = sum(share[i] for i in open_) or 1
                for i in open_:
                    w[i] += gap * share[i] / weight
                    if len(open_) < n:
                        w[i] = min(w[i], hi[i])
            else:  # too wide: taken from the columns above their minimum, in proportion to what they can give
                give = [x - m for x, m in zip(w, lo)]
                w = [x + gap * g / (sum(give) or 1) for x, g in zip(w, give)]
        return w, size

    def table(self, header: list[str], rows: list[list[Any]], widths: list[float], right: Iterable[int] = (),
              zebra: bool = True, bold_last: bool = False):
        """A long table: header row repeated on every page, rows (and long cells) split across pages."""
        from reportlab.platypus import LongTable, Paragraph, TableStyle
        right = set(right)
        widths, size = self.column_widths(header, rows, widths)
        head = self.head if size == CELL_SIZE else self._style(False, size, head=True)
        data = [[Paragraph(esc(h), head) for h in header]]
        data += [[self.cell(v, i in right, widths[i], size) for i, v in enumerate(r)] for r in rows]
        if not rows:
            data.append([Paragraph("<i>none</i>", self.small)] + [""] * (len(header) - 1))
        t = LongTable(data, colWidths=widths, repeatRows=1, splitByRow=0, splitInRow=24, hAlign="LEFT")
        c = self.colors
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), c.HexColor("#1d3557")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONT", (0, 0), (-1, -1), FONT, size, size * LEADING),
            ("GRID", (0, 0), (-1, -1), 0.25, c.HexColor("#b0b7c3")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        for i in right:
            style.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
        if zebra and len(rows) > 2:
            style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [c.white, c.HexColor("#f1f4f8")]))
        if bold_last and rows:
            style.append(("FONT", (0, -1), (-1, -1), BOLD, size, size * LEADING))
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
