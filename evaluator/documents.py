"""Reading what users give the tool, safely: text files, YAML and JSON documents, small CSVs and the
bulk CSV parse. Every refusal is one line naming the file (and the line or row) instead of a traceback."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from .exceptions import InputError, InputErrors
from .numbers import (SURROGATE_ESCAPE, DuplicateKey, find_surrogate, no_duplicate_keys, printable,
                      strict_number_resolvers)
from .spreadsheet import formula_unquoted
from .suggestions import suggest


def read_bytes(path: Path | str) -> bytes:
    """The bytes of a file the user named, with one line instead of a traceback when there are none."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None


def decode_text(data: bytes | str, source: Any) -> str:
    """Text of a file's or an upload's bytes, refusing binaries and odd encodings with a message. `source`
    is the name a message gives the document: the path, or the name the user gave an upload."""
    if isinstance(data, str):
        return data
    if b"\x00" in data[:4096]:
        suffix = Path(str(source)).suffix
        raise InputError(f"is not a text file (binary content), so not a {suffix or 'text'} file", file=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=source) from None


def read_text(path: Path | str) -> str:
    """Text of a file, refusing binaries and odd encodings with a message instead of a traceback."""
    return decode_text(read_bytes(path), Path(path))


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys: a second `weight:` must not silently replace the first."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value, not {type(key).__name__}", key_node.start_mark) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_object(self, node, deep=False):
    """Any value PyYAML cannot build (an impossible date, `!!int` on nothing, `!!bool maybe`) is a
    problem in the document at that line, not a crash."""
    try:
        return yaml.SafeLoader.construct_object(self, node, deep=deep)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        value = getattr(node, "value", "")
        shown = value if isinstance(value, str) else ""
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read the value {shown!r} ({exc})" if shown else f"cannot read a value ({exc})",
            node.start_mark) from None


_StrictLoader.construct_object = _construct_object
strict_number_resolvers(_StrictLoader)  # 010, 0x10, 1:30 load as the text typed, never as 8, 16, 90


def _refuse_surrogates(doc: Any, text: str, path: Path | str) -> Any:
    """A lone surrogate (an escape such as \\ud800 that is not a character) cannot be written out again:
    refused here, naming the key, rather than failing later in whatever prints it."""
    if SURROGATE_ESCAPE.search(text):
        found = find_surrogate(doc)
        if found is not None:
            where, value = found
            raise InputError("holds a lone surrogate escape (\\ud800-\\udfff), which is not a character: "
                             "remove it or write the character itself", file=path,
                             where=f"key {where}" if where else None, field=where.rsplit(".", 1)[-1] or None,
                             value=printable(value))
    return doc


def parse_yaml(data: bytes | str, source: Any) -> Any:
    """A YAML document given as data (a file's bytes or an upload's), read with the strict loader."""
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


def load_yaml(path: Path | str) -> Any:
    return parse_yaml(read_text(path), Path(path))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(data: bytes | str, source: Any) -> Any:
    """A JSON document given as data; a key given twice in one object is refused, never silently dropped."""
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


def load_json(path: Path | str) -> Any:
    return parse_json(read_text(path), Path(path))


def parse_document(data: bytes | str, source: Any) -> Any:
    """A YAML or JSON document given as data, chosen by the extension of `source`."""
    suffix = Path(str(source)).suffix.lower()
    if suffix == ".json":
        return parse_json(data, source)
    if suffix in (".yaml", ".yml"):
        return parse_yaml(data, source)
    raise InputError("is not a YAML (.yaml, .yml) or JSON (.json) file", file=source)


def load_document(path: Path | str) -> Any:
    """A YAML or JSON document, chosen by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_json(path)
    if suffix in (".yaml", ".yml"):
        return load_yaml(path)
    raise InputError("is not a YAML (.yaml, .yml) or JSON (.json) file", file=path)


SEPARATOR_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def sniffed_separator(head: str | bytes) -> str:
    """The separator a CSV's header row uses: "," unless the header holds no comma and the standard library's
    csv.Sniffer finds another (Excel in much of Europe saves "CSV" with semicolons)."""
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    first = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    if not first or "," in first:
        return ","
    try:
        found = csv.Sniffer().sniff(first, delimiters="".join(SEPARATOR_NAMES)).delimiter
    except csv.Error:
        return ","
    return found if found in SEPARATOR_NAMES else ","


def separator_note(source: Any, separator: str) -> str:
    return (f"{Path(str(source)).name} is separated by {SEPARATOR_NAMES[separator]}, not commas: read with that "
            "separator (a decimal comma such as 0,5 is still refused: write 0.5)")


def parse_csv(path: Path | str, newlines_in_values: bool = False, memory_pool=None, delimiter: str = ","):
    """pyarrow's parse of a bulk CSV, as the loaders take it. Text arrives dictionary-encoded from the
    parse itself (in parallel, chunk by chunk): a column of a million cells that repeat a few hundred
    values is read as codes plus the distinct values. Errors are the caller's to word."""
    import pyarrow.csv as pacsv
    convert = pacsv.ConvertOptions(strings_can_be_null=True, null_values=["", "NA", "N/A", "null", "NULL"],
                                   auto_dict_encode=True, auto_dict_max_cardinality=2**31 - 1)
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values,
                                                                 delimiter=delimiter),
                          convert_options=convert, memory_pool=memory_pool)


def parse_small_csv(data: bytes | str, source: Any, allowed: list[str],
                    required: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """A small CSV (proxy table, scores) given as data, as (header, [(spreadsheet row number, {column: text})]).
    Text this tool quoted against formulas on the way out (formula_safe) is unquoted on the way in.

    The header is checked first, all at once: unknown columns (with a suggestion), missing required
    ones, a column named twice. Rows with the wrong number of cells are refused; blank rows skipped.
    """
    text = decode_text(data, source)
    try:  # a header without commas whose separator csv.Sniffer recognises (";" from Excel in Europe) is read with it
        rows = list(csv.reader(io.StringIO(text), delimiter=sniffed_separator(text[:65536])))
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


def read_small_csv(path: Path | str, allowed: list[str], required: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    return parse_small_csv(read_text(path), Path(path), allowed, required)
