"""Documents given as data (an upload's bytes, text the app holds), read with the same rules and the same
one-line messages as util's path readers (read_text, load_yaml, load_json, read_small_csv), so an upload
needs no temporary file. `source` is the name a message gives the document: the name the user gave it.

These mirror util's readers over text; when util's readers move to documents.py they become one (the
path readers read the bytes and call these).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from .exceptions import InputError, InputErrors
from .numbers import DuplicateKey, no_duplicate_keys, printable
from .util import _refuse_constant, _refuse_surrogates, _StrictLoader, formula_unquoted, suggest


def decode_text(data: bytes | str, source: Any) -> str:
    """The text of uploaded bytes, refusing binaries and odd encodings as read_text does for a file."""
    if isinstance(data, str):
        return data
    if b"\x00" in data[:4096]:
        suffix = Path(str(source)).suffix
        raise InputError(f"is not a text file (binary content), so not a {suffix or 'text'} file", file=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=source) from None


def parse_yaml(data: bytes | str, source: Any) -> Any:
    text = decode_text(data, source)
    try:
        return _refuse_surrogates(yaml.load(text, Loader=_StrictLoader), text, source)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"is not valid YAML: {problem}", file=source, where=where) from None
    except (ValueError, OverflowError, RecursionError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InputError(f"is not valid YAML: {exc}", file=source) from None


def parse_json(data: bytes | str, source: Any) -> Any:
    text = decode_text(data, source)
    try:
        return _refuse_surrogates(json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=no_duplicate_keys),
                                  text, source)
    except DuplicateKey as exc:
        raise InputError(f"is not valid JSON: the key {printable(exc.key)!r} appears twice in one object; give each "
                         "key once (a reader would silently keep only the last)", file=source, field=printable(exc.key)
                         ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc.msg}", file=source,
                         where=f"line {exc.lineno}, column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"is not valid JSON: {exc}", file=source) from None


def parse_document(data: bytes | str, source: Any) -> Any:
    """A YAML or JSON document, chosen by the extension of `source` (as load_document chooses by the file's)."""
    suffix = Path(str(source)).suffix.lower()
    if suffix == ".json":
        return parse_json(data, source)
    if suffix in (".yaml", ".yml"):
        return parse_yaml(data, source)
    raise InputError("is not a YAML (.yaml, .yml) or JSON (.json) file", file=source)


def parse_small_csv(data: bytes | str, source: Any, allowed: list[str],
                    required: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """read_small_csv over data: (header, [(spreadsheet row number, {column: text})]), every problem at once."""
    text = decode_text(data, source)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"is not valid CSV: {exc}", file=source) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("is empty: expected the header " + ",".join(allowed), file=source)
    header = [h.strip() for h in rows[0]]
    problems = [InputError("the header names this column more than once", file=source, where="row 1", field=name)
                for name in sorted({h for h in header if header.count(h) > 1})]
    problems += [InputError(f"unknown column{suggest(name, allowed)}", file=source, where="row 1", field=name)
                 for name in header if name not in allowed]
    problems += [InputError("required column missing", file=source, where="row 1", field=name)
                 for name in required if name not in header]
    records = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(InputError(f"has {len(row)} cells but the header has {len(header)}", file=source,
                                       where=f"row {n}"))
            continue
        # a CSV downloaded from this tool marks formula-like text with a quote (formula_safe): read it back exact
        records.append((n, {h: formula_unquoted(cell.strip()) for h, cell in zip(header, row)}))
    if problems:
        raise InputErrors(problems)
    return header, records
