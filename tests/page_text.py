"""The rules a page must pass to read as finished work (issue 19, "How you will know"): what a commissioner
must never see in the app's text or in a table it draws.

`page_offences(text)` checks text a user reads (a page's inner text, a heading, a caption, a message);
`table_offences(df, column_config)` checks a table as st.dataframe draws it: its headers (or the labels its
column config gives them), every cell, and every number against the format its column is given.
Each returns one line per offence, "<rule>: <the offending text in context>", empty when the text is clean.

Never an offence: e-mail addresses, web addresses, file names (a user's upload is named by the name they
gave it, "bid_apex.xlsx"), bid ids ("A5"), prose ("None of the bids ...").
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Optional

import pandas as pd

NONE = "None"
NAN = "NaN"
SNAKE = "snake_case"
DECIMALS = "more than two decimals"
POUND_MINUS = "£-"
SECTION = "spec section number"
COMMAND = "command line"
SERVER_PATH = "server path"
EMPTY_CELL = "empty cell shown as None"
TIMESTAMP = "raw timestamp"

CLI_VERBS = ("evaluate", "explain", "check", "report", "template", "review", "track", "sensitivity",
             "workspace", "audit")
FILE_EXT = (r"(?:csv|tsv|xlsx|xlsm|xls|ods|yaml|yml|json|pdf|sqlite|sqlite3|db|txt|toml|py|log|zip|md|xml|"
            r"docx|html|png|svg)")

_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.I)  # file:// is a server path
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ICON = re.compile(r":material/[a-z0-9_]+:")
_FILE = re.compile(r"[\w.()\[\]-]*[\w)\]]\." + FILE_EXT + r"\b", re.I)  # a file's name, as a user gave it

_RULES: list[tuple[str, re.Pattern]] = [
    # "None" as a value; "None of the bids" / "None were ..." is prose
    (NONE, re.compile(r"(?<![\w-])None\b(?! [a-z])")),  # "None of the bids", "None chosen" are prose
    (NAN, re.compile(r"(?<![\w-])(?:NaN|nan|NaT|<NA>)(?![\w-])")),
    (SNAKE, re.compile(r"(?<![\w./\\@:-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w@/\\])")),
    (TIMESTAMP, re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")),
    (DECIMALS, re.compile(r"(?<![\w.,])[-−]?\d[\d,]*\.\d{3,}(?![\d.]\d)(?:e[-+]?\d+)?|"
                          r"(?<![\w.])\d(?:\.\d+)?e[-+]\d+\b")),
    (POUND_MINUS, re.compile(r"£ ?[-−]\s*\d")),
    # "(6.1)", "(9.2.1)": a section of the spec; marks "(22.50)" and a rationale's "(0.07)" are figures
    (SECTION, re.compile(r"\([1-9]\d?(?:\.\d)+\)|\b[Ss]ections? \d+(?:\.\d+)*\b|§ ?\d+")),
    (COMMAND, re.compile(r"\bpython3? -m\b|\bstreamlit run\b|\bpip install\b|"
                         r"\bsocial-value (?:" + "|".join(CLI_VERBS) + r")\b|"
                         r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*\b")),
    (SERVER_PATH, re.compile(r"(?:/home/|/tmp/|/work/|/root/|/var/|/usr/|/opt/|/srv/|/mnt/|~/|[A-Z]:\\)\S*|"
                             r"\S*\.sqlite3?\b|"
                             r"(?:[\w.-]+[/\\])+[\w.-]+\." + FILE_EXT + r"\b", re.I)),
]


_RULES_BY_NAME = dict(_RULES)


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    return (("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")).replace("\n", " ⏎ ")


def _blank(text: str, pattern: re.Pattern) -> str:
    """Spaces in place of every match, so positions (and the context shown) stay."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def page_offences(text: Any) -> list[str]:
    """Every offence in text a user reads: "<rule>: <the offending text in context>"."""
    if text is None:
        return []
    text = str(text).replace("\\_", "_")  # markdown's escaped underscore reads as one
    out = []
    for rule, pattern in _RULES:
        seen = _blank(_blank(_blank(text, _URL), _EMAIL), _ICON)
        if rule == DECIMALS:
            seen = _blank(seen, _RULES_BY_NAME[TIMESTAMP])  # "2026-12-07T15:28:31.750582" is one offence
        if rule in (SNAKE, DECIMALS, NONE, NAN):
            seen = _blank(seen, _FILE)  # a file's name as the user gave it ("bid_apex_v1.250.xlsx")
        for m in pattern.finditer(seen):
            if rule == SNAKE and not re.search(r"[a-z]", m.group(0)):
                continue  # CONSTANT_CODES are not snake_case words
            out.append(f"{rule}: {_context(text, m.start(), m.end())}")
    return out


# ------------------------------------------------------------------------------------------- tables

def _config(column_config: Any) -> dict:
    """{column: its config dict} from st.dataframe's column_config (a dict of st.column_config objects,
    strings or None) or from the Dataframe proto's JSON text."""
    if not column_config:
        return {}
    if isinstance(column_config, (str, bytes)):
        column_config = json.loads(column_config)
    out = {}
    for name, cfg in dict(column_config).items():
        if isinstance(cfg, str):
            cfg = {"label": cfg}
        out[str(name)] = dict(cfg) if isinstance(cfg, Mapping) else {}
    return out


def _column_cfg(cfg: dict, name: Any, position: int) -> dict:
    return cfg.get(str(name)) or cfg.get(f"_pos:{position}") or {}


def format_decimals(fmt: Optional[str]) -> Optional[int]:
    """The most decimals a NumberColumn/ProgressColumn format shows: "%.2f" 2, "£%,.0f" 0, "%d" 0,
    "percent"/"dollar"/... 2; None when it shows what the value has ("%g", "plain", "localized", no format)."""
    if not fmt:
        return None
    if fmt in ("percent", "dollar", "euro", "yen", "accounting", "compact", "bytes"):
        return 2
    m = re.search(r"%[-+ 0#,']*\d*(?:\.(\d+))?([a-zA-Z])", fmt)
    if not m:
        return None
    precision, kind = m.group(1), m.group(2)
    if kind in "di":
        return 0
    if kind in "fFeE":
        return int(precision) if precision is not None else 6
    return None


def _too_precise(v: float, decimals: int = 2) -> bool:
    scaled = abs(v) * 10 ** decimals
    return abs(scaled - round(scaled)) > 1e-9 * max(1.0, scaled) + 1e-9


def table_offences(df: pd.DataFrame, column_config: Any = None, placeholder: Optional[str] = None) -> list[str]:
    """Every offence in a table as st.dataframe draws it: "<rule>: column <header>: <offending text>".
    `placeholder`: st.dataframe's text for a missing value (None: Streamlit draws "None")."""
    cfg = _config(column_config)
    out: list[str] = []
    if placeholder is not None:
        out += [f"placeholder {o}" for o in page_offences(placeholder)]
        if placeholder.strip() in ("null", "NaN", "nan"):
            out.append(f"{NAN}: placeholder {placeholder!r}")
    index_cfg = cfg.get("_index") or {}
    frames = [df]
    if not index_cfg.get("hidden") and not isinstance(df.index, pd.RangeIndex):
        frames = [df.reset_index()]  # a shown index is read like any column
    table = frames[0]
    for pos, name in enumerate(table.columns):
        col_cfg = _column_cfg(cfg, name, pos)
        if col_cfg.get("hidden"):
            continue
        header = col_cfg.get("label") or name
        if isinstance(header, tuple):
            header = " ".join(str(h) for h in header)
        for o in page_offences(header):
            out.append(f"header {o}")
        values = table.iloc[:, pos]
        where = f"column {header!r}"
        nulls = values.isna()
        if nulls.any() and placeholder is None:
            out.append(f"{EMPTY_CELL}: {where}: {int(nulls.sum())} of {len(values)} cells are empty "
                       "(st.dataframe draws them as None; show \"\" instead)")
        present = values[~nulls]
        type_config = col_cfg.get("type_config") or {}
        fmt = type_config.get("format")
        if pd.api.types.is_bool_dtype(present) or present.empty:
            continue
        if pd.api.types.is_numeric_dtype(present):
            shown = format_decimals(fmt)
            floats = pd.api.types.is_float_dtype(present)
            if floats and (shown is None or shown > 2):
                bad = [v for v in present.unique() if math.isfinite(v) and _too_precise(float(v))]
                if bad:
                    out.append(f"{DECIMALS}: {where}: {', '.join(repr(float(v)) for v in bad[:3])}"
                               f"{' …' if len(bad) > 3 else ''} (format {fmt!r})")
            if fmt and "£" in fmt and (present < 0).any():
                out.append(f"{POUND_MINUS}: {where}: format {fmt!r} draws {float(present.min())!r} as £-…")
            continue
        found: dict[str, list[str]] = {}
        for text in dict.fromkeys(str(v) for v in present):
            if text.strip() in ("None", "nan", "NaN", "NaT", "<NA>"):
                found.setdefault(NONE if text.strip() == "None" else NAN, []).append(repr(text))
                continue
            for o in page_offences(text):
                rule, shown = o.split(": ", 1)
                found.setdefault(rule, []).append(shown)
        for rule, shown in found.items():
            many = f"{len(shown)} cells, e.g. " if len(shown) > 3 else ""
            out.append(f"{rule}: {where}: {many}{' ¦ '.join(shown[:3])}")
    return out
