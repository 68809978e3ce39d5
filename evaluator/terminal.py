"""Text a supplier wrote, made safe to print on a terminal.

A bidder name, a commitment description or a file name is the supplier's text, not ours: printed raw,
an escape sequence in it could clear the screen, set the window title or recolour what follows, a
newline could forge an extra row in a ranking, and a Unicode bidi override could make a row read
backwards. :func:`shown` writes every such character as a visible escape (``\\x1b``, ``\\n``,
``\\u202e``), so the text is still there to read but cannot act. :func:`shown_lines` does the same
for a whole block of output while keeping its own line breaks and tabs: the CLI's last line of
defence, applied to everything it prints as text.

Escaped: C0 control characters (U+0000-U+001F), DEL (U+007F), C1 control characters (U+0080-U+009F),
the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the bidi marks U+200E,
U+200F and U+061C, and the Unicode line and paragraph separators (U+2028, U+2029).
"""
from __future__ import annotations

import re
from typing import Any

_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
UNSAFE_IN_OUTPUT = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # keeps the output's own \t and \n
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: Any) -> str:
    """`value` as text with every control, bidi or line-separator character written as an escape:
    one line that prints as itself. Ordinary text (accents, £, emoji) is returned unchanged."""
    text = value if isinstance(value, str) else str(value)
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def shown_lines(text: str) -> str:
    """A block of output with the same escapes, except its own newlines and tabs."""
    return UNSAFE_IN_OUTPUT.sub(_escape, text) if UNSAFE_IN_OUTPUT.search(text) else text


class SafeStream:
    """A text stream that writes through :func:`shown_lines`: wraps sys.stdout / sys.stderr while the
    CLI prints text. Binary writes through ``.buffer`` (the JSON output) pass untouched: JSON escapes
    control characters itself."""

    def __init__(self, stream):
        self._stream = stream
        try:  # a console or file in a code page without the minus sign (cp1252) gets "-" for it
            "\u2212£".encode(getattr(stream, "encoding", None) or "utf-8")
            self._minus = "\u2212"
        except (UnicodeEncodeError, LookupError):
            self._minus = "-"

    def write(self, text: str) -> int:
        out = shown_lines(text)
        self._stream.write(out if self._minus == "\u2212" else out.replace("\u2212", self._minus))
        return len(text)

    def __getattr__(self, name: str):  # flush, buffer, fileno, isatty, encoding...
        return getattr(self._stream, name)
