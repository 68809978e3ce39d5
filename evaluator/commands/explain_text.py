"""`explain`'s tables as a person reads them in a terminal (issue 19): aligned, fitting 100 columns, money as
£ with separators, marks to two decimals, shares as percentages, nothing as `NaN` or `2.930436e+06`. A table
too wide for the line wraps its text columns, then splits into parts that each repeat the first column.
`--csv DIR` writes the same tables as they are (every column and digit, formula-safe) instead."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from ..formatting import column_kind, formatted, header_words
from ..terminal import shown

LINE = 100   # the width every table fits
GAP = "  "
TEXT_MIN = 12  # a text column is not wrapped narrower than this (or its longest word, if shorter)

_KEYS = ("id", "criterion", "code", "step", "commitment", "outcome", "bidder", "question", "group")


def label(name: Any, kind: str) -> str:
    """A header in words; a money column's says £ (its cells are aligned figures)."""
    text = header_words(str(name))
    return shown(text + (" £" if kind == "money" and "£" not in text else ""))


# --- layout ---------------------------------------------------------------------------------------------------
class _Column:
    def __init__(self, header: str, cells: list[str], right: bool):
        self.header, self.cells, self.right = header, cells, right
        words = [w for c in cells for w in c.split()] + header.split()
        self.longest_word = max((len(w) for w in words), default=1)
        self.natural = max([len(c) for c in cells] + [len(header)] + [1])
        header_min = max((len(w) for w in header.split()), default=1)
        if right:  # numbers never wrap; a header wraps at its spaces
            self.min = max([len(c) for c in cells] + [header_min])
        else:
            self.min = max(min(self.longest_word, LINE - 20), min(TEXT_MIN, self.natural), header_min)
        self.width = self.natural


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _fit(cols: list[_Column], line: int) -> bool:
    """Narrow the text columns (the widest first) until the table fits `line`; False if it cannot."""
    def total():
        return sum(c.width for c in cols) + len(GAP) * (len(cols) - 1)
    while total() > line:
        wide = [c for c in cols if c.width > c.min]
        if not wide:
            return False
        widest = max(wide, key=lambda c: c.width)
        widest.width -= min(widest.width - widest.min, total() - line, max(1, widest.width // 8))
    return True


def _render(cols: list[_Column]) -> list[str]:
    heads = [_wrap(c.header, c.width) for c in cols]
    depth = max(len(h) for h in heads)
    out = []
    for i in range(depth):
        out.append(_join([(h[i - (depth - len(h))] if i >= depth - len(h) else "") for h in heads], cols))
    out.append(GAP.join("-" * c.width for c in cols))
    rows = len(cols[0].cells)
    wrapped = []
    for r in range(rows):
        parts = [_wrap(c.cells[r], c.width) for c in cols]
        wrapped.append(parts)
    spaced = any(len(p) > 1 for parts in wrapped for p in parts)
    for r, parts in enumerate(wrapped):
        if spaced and r:
            out.append("")
        for i in range(max(len(p) for p in parts)):
            out.append(_join([p[i] if i < len(p) else "" for p in parts], cols))
    return out


def _join(cells: list[str], cols: list[_Column]) -> str:
    return GAP.join(c.rjust(col.width) if col.right else c.ljust(col.width) for c, col in zip(cells, cols)).rstrip()


def text_table(frame: pd.DataFrame, line: int = LINE) -> list[str]:
    """The table's lines, each at most `line` characters: aligned, formatted, wrapped or split into parts."""
    if frame.empty:
        return ["(none)"]
    cols = []
    for name in frame.columns:
        cells, right = formatted(frame[name], name)
        cols.append(_Column(label(name, column_kind(name) if right else "text"), cells, right))
    if _fit(cols, line):
        return _render(cols)
    key_i = next((i for i, n in enumerate(frame.columns) if str(n) in _KEYS), 0)
    key = cols[key_i]
    rest = [c for i, c in enumerate(cols) if i != key_i]
    key.width = min(key.natural, max(key.min, 24))
    parts, current = [], []
    for c in rest:
        trial = [key] + current + [c]
        for x in trial:
            x.width = x.natural
        key.width = min(key.natural, max(key.min, 24))
        if current and not _fit(trial, line):
            parts.append(current)
            current = [c]
        else:
            current.append(c)
    if current:
        parts.append(current)
    out = []
    for n, part in enumerate(parts, 1):
        for x in part:
            x.width = x.natural
        key.width = min(key.natural, max(key.min, 24))
        _fit([key] + part, line)
        if len(parts) > 1:
            out.append(f"(part {n} of {len(parts)})")
        out += _render([key] + part)
        if n < len(parts):
            out.append("")
    return out


def without_repeated_bidder(frame: pd.DataFrame, bidder: str) -> pd.DataFrame:
    """The explained bidder's name in every row says nothing the heading does not: the column is left out."""
    if "bidder" in frame.columns and len(frame) and (frame["bidder"] == bidder).all():
        return frame.drop(columns=["bidder"])
    return frame


def explain_text(tables, bidder: str) -> str:
    out = []
    for t in tables:
        out += ["", f"== {t.title} =="]
        out += text_table(without_repeated_bidder(t.frame, bidder))
    return "\n".join(out)


def write_explain_csv(tables, folder: Path) -> list[Path]:
    """Each table as `<key>.csv` in `folder`, exactly as the engine has it (every column and digit), with text
    a spreadsheet would run as a formula neutralised."""
    from ..spreadsheet import formula_safe_frame
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for t in tables:
        path = folder / f"{t.key}.csv"
        formula_safe_frame(t.frame).to_csv(path, index=False)
        written.append(path)
    return written
