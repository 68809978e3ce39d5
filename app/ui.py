"""What pages draw the same way: problems as one-line messages (never a traceback), user text made safe
for markdown, tables shown as plain text, and the table editor whose edits survive leaving a page."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from typing import Iterable

import pandas as pd
import streamlit as st

from app.uploads import error_lines
from evaluator import EvaluatorError

_LOG = logging.getLogger("social_value_app")


def show_problems(lines: Iterable[str], *, kind: str = "error", limit: int = 50) -> None:
    """Problems one per line, as plain text (file names and values come from users)."""
    lines = list(lines)
    if not lines:
        return
    box = {"error": st.error, "warning": st.warning, "info": st.info}[kind]
    shown = lines[:limit]
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    box(escape_md("\n".join(shown) + more))


def show_error(exc: BaseException) -> None:
    """An EvaluatorError as its line(s); anything else as a plain sentence (a bug, not the user's fault)."""
    if isinstance(exc, EvaluatorError):
        show_problems(error_lines(exc))
    else:
        st.error("Something went wrong inside the tool while drawing this part of the page "
                 f"({type(exc).__name__}). Nothing you loaded or entered has been changed.")


@contextmanager
def guard(what: str = "this page"):
    """Run a page (or part of one) so no traceback ever reaches the page: user errors as their lines,
    anything else as a plain message. Streamlit's own rerun/stop signals pass through untouched."""
    try:
        yield
    except EvaluatorError as exc:
        show_error(exc)
    except Exception as exc:  # noqa: BLE001 - the page must never show a traceback
        _LOG.exception("unexpected error while drawing %s", what)  # for the developers, in the server log
        show_error(exc)


_WORD_JOINER = "\u2060"
# what GitHub-flavoured markdown turns into a link on sight, even with its punctuation escaped (Streamlit's
# renderer finds them in the text after escapes are resolved): http(s)://, mailto:, xmpp:, www., a@b
_AUTOLINK = re.compile(r"(?i)\b(?:https?|mailto|xmpp)(?=:)|\bwww(?=\.)|[\w.+-](?=@[\w-])")


def escape_md(text: str) -> str:
    """Text safe inside a markdown-rendered element (st.error & co.): no links, HTML, entities or emphasis.

    Markdown punctuation and & are backslash-escaped (so "&copy;" shows as typed, not as ©); a URL or
    e-mail address gets an invisible word joiner (U+2060) after its scheme, its "www" or before its "@",
    the one way to stop the renderer's autolinking without changing what the reader sees."""
    text = _AUTOLINK.sub(lambda m: m.group() + _WORD_JOINER, str(text))
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()<>#+-.!|~$:&":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\n", "  \n")


def text_table(df: pd.DataFrame) -> pd.DataFrame:
    """A table for st.dataframe: text columns as object strings (shown as text, never rendered)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def edit_table(key: str, owner: str, data: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """st.data_editor whose edits survive leaving the page. While the widget lives it edits a fixed base
    (so its own record of edits applies once); when the page is drawn afresh, or `owner` (what the table
    belongs to: tender, evaluator...) changes, the base becomes `data`, which by then holds every edit
    made before. Tests seed edits with at.session_state[key] = {"edited_rows": ..., ...}."""
    bases = st.session_state.setdefault("sv_editor_bases", {})
    if key not in st.session_state or key not in bases or bases[key][0] != owner:
        st.session_state.pop(key, None)
        bases[key] = (owner, data)
    return st.data_editor(bases[key][1], key=key, **kwargs)
