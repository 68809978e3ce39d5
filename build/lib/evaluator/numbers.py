"""Numbers and text as a person reads them, for every loader (issue 14, holes 7-9).

A number typed by a person means what it looks like. YAML 1.1 (PyYAML's rules) reads `010` as 8, `0x10` as
16, `1:30` as 90 and `1_0` as 10; a comma stripped blindly reads `1,5` as 15. Here:

- plain decimal digits, an optional sign, decimal point and exponent: read as written (`4650000`, `0.25`,
  `1e6`); a leading zero is read as the decimal a person sees (`010` is ten, never octal eight);
- thousands separators: commas (or underscores) between groups of exactly three digits (`1,500,000`,
  `1,500` is fifteen hundred, `1_000_000`);
- refused, naming the value: hexadecimal, octal and binary notation (`0x10`, `0o10`, `0b10`), clock or
  sexagesimal forms (`1:30`), a decimal comma or any comma that is not a thousands separator (`1,5`,
  `12,50`, `1,5000`), underscores that do not group thousands (`1_0`).

The YAML loader resolves only the plain forms as numbers (:func:`strict_number_resolvers`); every other
number-like scalar loads as the text typed, so a text field keeps `007` and a number field refuses `0x10`
through :func:`read_number`, with the file, key and value named by the loader that asked.
"""
from __future__ import annotations

import math
import re
from typing import Any

_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_GROUPED = {sep: re.compile(r"[-+]?[0-9]{1,3}(?:" + re.escape(sep) + r"[0-9]{3})+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?")
            for sep in (",", "_")}
_PREFIXED = re.compile(r"[-+]?0([xXoObB])[0-9a-fA-F_]*")
_CLOCK = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-9]+)+(?:\.[0-9]*)?")
_SPECIAL = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}
_NOTATION = {"x": "hexadecimal", "o": "octal", "b": "binary"}

DECIMAL_COMMA = ("has a decimal comma or a comma that does not separate thousands, so it could be read two ways: "
                 "write a decimal with a point (1.5), and thousands in groups of three (1,500,000)")


class NotANumber(ValueError):
    """Text that is not a number at all (the caller keeps its own wording for that)."""


class AmbiguousNumber(ValueError):
    """Text that looks like a number but would be read differently from how a person reads it."""


def number_problem(text: str) -> str | None:
    """Why this number-like text is refused (a sentence without the value), or None if it is not refused."""
    s = text.strip()
    m = _PREFIXED.fullmatch(s)
    if m:
        return (f"is in {_NOTATION[m.group(1).lower()]} notation, which is not read: write the number in "
                "ordinary decimal digits")
    if ":" in s and _CLOCK.fullmatch(s):
        return ("looks like a time or a ratio (YAML would read 1:30 as 90): write the number itself, "
                "e.g. 1.5 for an hour and a half")
    if "," in s and not _GROUPED[","].fullmatch(s) and (
            _DECIMAL.fullmatch(s.replace(",", "")) or _DECIMAL.fullmatch(s.replace(",", ".", 1).replace(",", ""))):
        return DECIMAL_COMMA
    if "_" in s and not _GROUPED["_"].fullmatch(s) and _DECIMAL.fullmatch(s.replace("_", "")):
        return "has an underscore that does not separate thousands: write the number without it (1000 or 1,000)"
    return None


def read_number(value: Any) -> float:
    """A number from what a loader holds: numbers pass (bools do not); text is read by the rules above.
    Raises AmbiguousNumber (with the reason) or NotANumber."""
    if isinstance(value, bool):
        raise NotANumber("true/false")
    if isinstance(value, int):
        return float(value) if abs(value) <= 1e308 else (math.inf if value > 0 else -math.inf)
    if isinstance(value, float):
        return value
    if not isinstance(value, str):
        raise NotANumber(type(value).__name__)
    s = value.strip()
    reason = number_problem(s)
    if reason:
        raise AmbiguousNumber(reason)
    for sep, grouped in _GROUPED.items():
        if sep in s and grouped.fullmatch(s):
            s = s.replace(sep, "")
    if _DECIMAL.fullmatch(s):
        return float(s)
    low = s.lower().replace(".inf", "inf").replace(".nan", "nan")  # YAML's spellings too
    if low in _SPECIAL:  # refused by the callers as not finite, with their own words
        return float(low)
    raise NotANumber(s)


def strict_number_resolvers(loader_cls) -> None:
    """Make `loader_cls` (a SafeLoader subclass) resolve only plain decimal numbers as int/float; PyYAML's
    octal, hexadecimal, binary, sexagesimal and underscored forms load as the text typed instead."""
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    kept = {first: [(tag, rx) for tag, rx in resolvers if tag not in (int_tag, float_tag)]
            for first, resolvers in loader_cls.yaml_implicit_resolvers.items()}
    loader_cls.yaml_implicit_resolvers = {k: v for k, v in kept.items() if v}
    loader_cls.add_implicit_resolver(int_tag, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
    loader_cls.add_implicit_resolver(
        float_tag, re.compile(r"""^(?:[-+]?(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+][0-9]+)?
                                 |[-+]?\.[0-9]+(?:[eE][-+][0-9]+)?
                                 |[-+]?\.(?:inf|Inf|INF)
                                 |\.(?:nan|NaN|NAN))$""", re.X), list("-+0123456789."))


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(key)


def no_duplicate_keys(pairs: list) -> dict:
    """json.loads' object_pairs_hook: a key given twice in one object is refused, never the last one kept."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F][0-9a-fA-F]{2}|U0000[dD][89a-fA-F][0-9a-fA-F]{2})")


def printable(text: str) -> str:
    """Text safe to print whatever it holds (a lone surrogate shown as its escape)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def find_surrogate(doc: Any, path: str = "") -> tuple[str, Any] | None:
    """The first place in a loaded document (keys and values) holding a lone UTF-16 surrogate, which is not a
    character and cannot be written out as UTF-8: (key path, the text), or None."""
    stack = [(path, doc)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return where, node
        elif isinstance(node, dict):
            items = list(node.items())
            for key, value in reversed(items):
                name = key if isinstance(key, str) else str(key)
                here = f"{where}.{printable(name)}" if where else printable(name)
                if isinstance(key, str) and _SURROGATE.search(key):
                    return here, key
                stack.append((here, value))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((f"{where}[{i}]", node[i]))
    return None
