"""What pages draw the same way: problems as one-line messages (never a traceback), user text made safe
for markdown, tables shown as plain text, and the table editor whose edits survive leaving a page."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from typing import Iterable, Optional

import pandas as pd
import streamlit as st

from app.uploads import error_lines
from evaluator import EvaluatorError
from evaluator.flags import WORDS as FLAG_WORDS, flag_label, flag_words  # noqa: F401 (pages import them from here)

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


def show_table(df: pd.DataFrame, *, kinds: Optional[dict] = None, column_config: Optional[dict] = None,
               **kwargs) -> None:
    """A table a user reads, through the one formatting layer (evaluator.formatting.display_table): every cell
    the text a commissioner reads (£ with separators and −£, marks to two decimals, percentages, units in
    words, nothing as empty), headers in words, numbers right-aligned, no index. `kinds` overrides what a
    column holds ({"total": "marks"}); `column_config` is keyed by the header in words. Other keywords go to
    st.dataframe (height, key, width...)."""
    from evaluator.formatting import display_table
    shown, numeric = display_table(df, kinds)
    config = {h: st.column_config.TextColumn(alignment="right") for h in numeric}
    config.update(column_config or {})
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(shown, column_config=config, **kwargs)


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


# ------------------------------------------------------------------------------------------------ lots

_LOT = "sv_lot"  # the lot last chosen, kept across pages (a widget's own state goes when its page is left)


def lot_label(lot) -> str:
    """A lot as offered: 'L1 North routes (£1,000,000)'."""
    from evaluator import gbp
    value = getattr(lot, "contract_value", None)
    return f"{lot.id} {lot.title or ''}".strip() + (f" ({gbp(value)})" if value else "")


def lot_picker(rubric, *, key: str = "lot_choice", label: str = "Lot", container=None) -> Optional[str]:
    """For a tender with lots, a choice of lot (remembered across pages, so Results, Figures vs design,
    Sensitivity and Reports open on the lot last chosen) and the lot id chosen; for a tender without lots
    nothing is drawn and None is returned. Each lot is evaluated on its own: pass the id to
    app.state.get_evaluation(lot=...) for that lot's Evaluation."""
    lots = list(getattr(rubric, "lots", None) or [])
    if not lots:
        return None
    ids = [lot.id for lot in lots]
    labels = {lot.id: lot_label(lot) for lot in lots}
    remembered = st.session_state.get(_LOT)
    if st.session_state.get(key) not in ids:
        st.session_state[key] = remembered if remembered in ids else ids[0]
    chosen = (container or st).selectbox(label, ids, key=key, format_func=lambda i: labels.get(i, i),
                                         help="Each lot is evaluated on its own: its own lowest price, best "
                                              "claim, ranks and flags.")
    st.session_state[_LOT] = chosen
    return chosen


def award_table(lots_ev) -> pd.DataFrame:
    """The award across lots as a commissioner reads it: lots in the order they were awarded (descending
    contract value), who won each, who was passed over by the limit on lots per supplier, and why."""
    award = lots_ev.award
    limit = getattr(lots_ev.rubric.spec, "max_lots_per_supplier", None)
    held: dict[str, list[str]] = {}
    rows = []
    ordered = award.sort_values("order", kind="stable") if "order" in award.columns else award
    for r in ordered.to_dict("records"):
        passed = [str(b) for b in (r.get("passed_over") or [])]
        winner = r.get("awarded_to")
        winner = None if winner is None or winner != winner else str(winner)
        why = []
        for b in passed:
            lots = held.get(b, [])
            why.append(f"{b} already holds {len(lots)} lot(s) ({', '.join(lots)})"
                       + (f", the most one supplier may win ({limit})" if limit else ""))
        if winner is None:
            why.append("no eligible bid" + (" left after the limit on lots per supplier" if passed else ""))
        elif passed:
            why.append(f"so the lot goes to the next eligible bid: {winner}")
        if winner is not None:
            held.setdefault(winner, []).append(str(r["lot"]))
        rows.append({"order": r.get("order"), "lot": str(r["lot"]), "title": r.get("title") or "",
                     "contract value": r.get("contract_value"), "awarded to": winner or "(not awarded)",
                     "passed over": ", ".join(passed), "why": "; ".join(why)})
    return pd.DataFrame(rows, columns=["order", "lot", "title", "contract value", "awarded to", "passed over", "why"])


def award_lines(table: pd.DataFrame) -> list[str]:
    """The award as sentences, one per lot in the order awarded (readable on a phone, where the table's right
    columns are off screen), markdown-escaped: 'L2 Civic buildings: Meridian FM Solutions plc. Passed over: ...'."""
    from evaluator import gbp
    lines = []
    for r in table.to_dict("records"):
        value = r["contract value"]
        head = f"{r['lot']} {r['title']}".strip() + (f" ({gbp(value)})" if value == value and value else "")
        text = f"{head}: {r['awarded to']}."
        if r["passed over"] or r["awarded to"] == "(not awarded)":
            text += f" {r['why'][:1].upper()}{r['why'][1:]}."
        lines.append(escape_md(text).replace("\\(not awarded\\)", "not awarded"))
    return lines


def show_award(lots_ev, heading: str = "Award across lots") -> None:
    """The award across lots: a table (see award_table) and the rule it follows, in one sentence."""
    st.subheader(heading)
    table = award_table(lots_ev)
    show_table(table, kinds={"order": "whole", "contract value": "money"})
    st.markdown("  \n".join(award_lines(table)))
    limit = getattr(lots_ev.rubric.spec, "max_lots_per_supplier", None)
    st.caption("Lots are awarded in descending contract value (ties: the order listed), each to its first eligible "
               "bid" + (f"; a supplier already holding {limit} lot(s) is passed over for the next eligible bid."
                        if limit else "; there is no limit on the lots one supplier may win."))


# ------------------------------------------------------------------------------------------------ flags

# A flag's name as a commissioner reads it lives with the catalogue (evaluator/flags.py: WORDS, flag_words,
# flag_label), so the CLI, PDFs and pages say the same words.


def plain_flags(flags: pd.DataFrame) -> pd.DataFrame:
    """A flags table as the pages show it: the flag in words first ("flag"), then its code; no slug "name"."""
    out = flags.drop(columns=["name"], errors="ignore")
    at = list(out.columns).index("code") if "code" in out.columns else 0
    out.insert(at, "flag", [flag_words(c) for c in flags["code"]] if "code" in flags else "")
    return out


# ------------------------------------------------------------------------------------------------ headers

def in_words(df: pd.DataFrame) -> pd.DataFrame:
    """A table's headers as a reader says them: the engine's snake_case names (running_total, n_evaluators) in
    words (running total, evaluators); the values are untouched."""
    from evaluator.formatting import header_words
    return df.rename(columns=header_words)
