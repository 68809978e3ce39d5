"""Small shared pieces: reading documents safely, suggestions for typos, money formatting, FTE counting."""
from __future__ import annotations

import difflib
import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from .exceptions import InputError
from .numbers import (SURROGATE_ESCAPE, DuplicateKey, find_surrogate, no_duplicate_keys, printable,
                      strict_number_resolvers)


def read_text(path: Path | str) -> str:
    """Text of a file, refusing binaries and odd encodings with a message instead of a traceback."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    if b"\x00" in data[:4096]:
        raise InputError(f"is not a text file (binary content), so not a {path.suffix or 'text'} file", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=path) from None


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


def load_yaml(path: Path | str) -> Any:
    text = read_text(path)
    try:
        return _refuse_surrogates(yaml.load(text, Loader=_StrictLoader), text, path)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"is not valid YAML: {problem}", file=path, where=where) from None
    except (ValueError, OverflowError, RecursionError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InputError(f"is not valid YAML: {exc}", file=path) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(path: Path | str) -> Any:
    text = read_text(path)
    try:
        return _refuse_surrogates(json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=no_duplicate_keys),
                                  text, path)
    except DuplicateKey as exc:
        raise InputError(f"is not valid JSON: the key {printable(exc.key)!r} appears twice in one object; give each "
                         "key once (a reader would silently keep only the last)", file=path, field=printable(exc.key)
                         ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc.msg}", file=path,
                         where=f"line {exc.lineno}, column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"is not valid JSON: {exc}", file=path) from None


def load_document(path: Path | str) -> Any:
    """A YAML or JSON document, chosen by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_json(path)
    if suffix in (".yaml", ".yml"):
        return load_yaml(path)
    raise InputError("is not a YAML (.yaml, .yml) or JSON (.json) file", file=path)


def quiet_numpy(fn: Callable) -> Callable:
    """Arithmetic on what users type (1e308, inf) may overflow on the way to a flag; numpy must not print
    warnings with lines of our source code beside the user's messages. The checks report such values."""
    import functools

    import numpy as np

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


def keep_freed_memory() -> None:
    """For a short-lived process (the command line): let glibc keep memory that is freed for the next
    allocation instead of handing it back to the kernel at once. A bulk tender allocates and frees
    hundreds of 8 MB columns; every page handed back is faulted in again, zeroed, by the next one
    (on the 1M-row bench: 170k fewer page faults, about a second). No effect where glibc is absent.
    Arrow keeps its own allocators: moving it onto glibc's too was measured, and was slower (Arrow's
    kernels grow buffers by copying there; bench medians 3.24 s against 3.13 s, six runs each).

    numpy is also asked not to put its large arrays on transparent huge pages (its documented switch
    NUMPY_MADVISE_HUGEPAGE, unless the user has set it): each first touch then zeroes 2 MB, and on
    the bench that cost more than the fewer faults saved (medians 3.03 s against 3.76 s, eight runs
    each in turn, every run faster). Must run before numpy is imported to take effect."""
    import ctypes
    import os
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the running process's own C library
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's largest: bigger blocks are still mapped apart
    mallopt(m_trim_threshold, 2**31 - 1)


def arrow_memory_pool():
    """jemalloc where the pyarrow build has it: a fresh process reading a 400 MB CSV with the default
    allocator spends seconds in first-touch page faults (measured: 3.5 s against 1.2 s)."""
    import pyarrow as pa
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError, pa.ArrowNotImplementedError):
        return None


def parse_csv(path: Path | str, newlines_in_values: bool = False):
    """pyarrow's parse of a bulk CSV, as the loaders take it. Text arrives dictionary-encoded from the
    parse itself (in parallel, chunk by chunk): a column of a million cells that repeat a few hundred
    values is read as codes plus the distinct values. Errors are the caller's to word."""
    import pyarrow.csv as pacsv
    convert = pacsv.ConvertOptions(strings_can_be_null=True, null_values=["", "NA", "N/A", "null", "NULL"],
                                   auto_dict_encode=True, auto_dict_max_cardinality=2**31 - 1)
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values),
                          convert_options=convert, memory_pool=arrow_memory_pool())


# the commands that load a whole tender from --bids (the others copy or ignore the files)
READ_AHEAD_VERBS = ("evaluate", "explain", "report", "sensitivity", "track")
# commitments.csv parsed in the background while the command line imports pandas and the rest:
# resolved path -> (size and modification time when started, thread, [table or None])
_READ_AHEAD: dict = {}


def _identity(path: Path) -> tuple:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def read_ahead(argv: list[str]) -> None:
    """Start parsing the bulk form's commitments.csv of `--bids DIR`, if there is one, on a background
    thread (pyarrow parses without holding the interpreter), so the parse overlaps the third of a
    second the tool takes to load. Only a hint: the loader uses the result if the file is unchanged,
    and reads the file itself (with its own error messages) in every other case."""
    import threading
    if not argv or argv[0] not in READ_AHEAD_VERBS:
        return
    folder = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--bids"), None)
    folder = folder or next((a.split("=", 1)[1] for a in argv if a.startswith("--bids=")), None)
    if not folder:
        return
    try:
        path = next(p for p in Path(folder).iterdir() if p.name.lower() == "commitments.csv" and p.is_file())
        key, identity = str(path.resolve()), _identity(path)
    except (OSError, StopIteration, ValueError):
        return
    result: list = [None]

    def parse() -> None:
        try:
            result[0] = parse_csv(path)
        except Exception:  # noqa: BLE001 - the loader reads it again and says what is wrong
            result[0] = None

    thread = threading.Thread(target=parse, name="read-ahead", daemon=False)
    _READ_AHEAD[key] = (identity, thread, result)
    thread.start()


def read_ahead_result(path: Path):
    """The table read_ahead parsed from this file (once), or None when there is none or the file has
    changed since."""
    try:
        key = str(Path(path).resolve())
    except (OSError, ValueError):
        return None
    entry = _READ_AHEAD.pop(key, None)
    if entry is None:
        return None
    identity, thread, result = entry
    thread.join()
    try:
        return result[0] if _identity(Path(path)) == identity else None
    except OSError:
        return None


def beside(fn: Callable, *args) -> Callable[[], Any]:
    """Start fn(*args) on a second thread; returns a function that waits for its result (raising what it
    raised). For arithmetic on whole columns, which numpy does without holding the interpreter: on two
    cores it then runs while the main thread works in Python (writing the checks' messages, say). The
    thread runs in the caller's context, so numpy's errstate (quiet_numpy) holds there too."""
    import contextvars
    import threading

    box: dict = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            box["value"] = context.run(fn, *args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"beside-{getattr(fn, '__name__', 'work')}", daemon=True)
    thread.start()

    def result() -> Any:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]
    return result


def per_unique(s: "pd.Series", fn: Callable[[Any], Any]) -> "pd.Series":
    """Apply a Python function once per distinct value of a column (missing values get fn(None)).

    Text columns repeat (measures, units, cohorts, places), so a million rows usually cost a few thousand
    calls instead of a million: the way to keep per-value Python logic off the hot path.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = factorize(s)
    done = spread([fn(v) for v in uniques], codes, fn(None))
    return pd.Series(done, index=s.index, dtype=object, copy=False)  # a fresh array: no copy


def repeated(n: int, value: Any):
    """An object array holding one value n times, as one shared object: np.full would make n separate
    copies of a string (a million copies of a 100-character fix is 130 MB and a tenth of a second)."""
    import numpy as np
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def group_starts(codes) -> "np.ndarray":
    """The row where each group first appears, for codes numbered by first appearance (as pd.factorize
    numbers them): a row opens a group exactly when its number exceeds every number before it."""
    import numpy as np
    codes = np.asarray(codes)
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])


def factorize_objects(values) -> tuple:
    """pd.factorize for a column of Python objects, grouping the objects first: (codes, -1 for missing;
    distinct values in order of first appearance), exactly as pd.factorize gives them. Text repeated
    down a column is usually one object per distinct value (the loaders and make_flags share them), so
    this hashes a pointer per row instead of every row's characters: much faster for long text."""
    import numpy as np
    import pandas as pd

    values = np.asarray(values, dtype=object)
    if not len(values):
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    values = np.ascontiguousarray(values)
    by_object, _ = pd.factorize(_pointers(values))  # every row's id(), read at once
    first = group_starts(by_object)
    codes, uniques = pd.factorize(pd.Series(values[first], dtype=object), use_na_sentinel=True)
    return codes[by_object], np.asarray(uniques, dtype=object)


# Codes already known for an object array (the loaders get them free from the CSV parse, where text
# arrives dictionary-encoded): id(array) -> (weak reference, codes, distinct values). An entry is used
# only for the array it was made for, and only after checking that every row still holds the very
# object its code names (see known_codes), so a table changed in place is simply factorized again.
_KNOWN_CODES: dict = {}


def _pointers(values):
    """The object pointers of a contiguous 1-D object array, as integers (read, never written)."""
    import ctypes

    import numpy as np
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.uintp)
    return np.ctypeslib.as_array((ctypes.c_size_t * n).from_address(values.ctypes.data))


def _plain(values) -> bool:
    import numpy as np
    return isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1 and \
        values.flags.c_contiguous


def remember_codes(values, codes, uniques) -> None:
    """Record that `values` is `uniques[codes]` (code -1 = None), element for element, with `uniques`
    distinct and in order of first appearance: exactly what pd.factorize would return for it."""
    import weakref

    import numpy as np
    if not _plain(values) or len(codes) != len(values):
        return
    owner = values.base if isinstance(values.base, np.ndarray) else None  # a whole view: its owner
    if owner is not None and _plain(owner) and owner.shape == values.shape and \
            owner.ctypes.data == values.ctypes.data:
        values = owner
    key = id(values)

    def forget(ref, key=key):
        entry = _KNOWN_CODES.get(key)
        if entry is not None and entry[0] is ref:
            del _KNOWN_CODES[key]
    codes = np.asarray(codes)
    if len(uniques) < 2**31 - 1:  # half the memory of pandas' own: a million-row table has a dozen of these
        codes = codes.astype(np.int32, copy=False)
    uniques = np.ascontiguousarray(uniques, dtype=object)  # its pointers are read in one piece
    _KNOWN_CODES[key] = (weakref.ref(values, forget), codes, uniques)


def known_codes(values) -> tuple | None:
    """(codes, distinct values) recorded for this array (or an array it views whole), if every row
    still holds the object its code names; None otherwise."""
    import numpy as np
    if not _plain(values) or not _KNOWN_CODES:
        return None
    owner = values
    entry = _KNOWN_CODES.get(id(owner))
    if entry is None or entry[0]() is not owner:
        owner = values.base
        entry = _KNOWN_CODES.get(id(owner)) if isinstance(owner, np.ndarray) else None
        if entry is None or entry[0]() is not owner:
            return None
        if owner.shape != values.shape or owner.ctypes.data != values.ctypes.data or not _plain(owner):
            return None
    codes, uniques = entry[1], entry[2]
    expected = np.append(_pointers(uniques), np.uintp(id(None)))
    if not np.array_equal(_pointers(values), expected[codes]):
        _KNOWN_CODES.pop(id(owner), None)  # changed since (or equal text in other objects): not again
        return None
    return codes, uniques


def factorize_text(values) -> tuple:
    """pd.factorize for an object column: (codes, -1 for missing; distinct values in order of first
    appearance), by object first (:func:`factorize_objects`) when the text is long. Measured on a
    million rows: hashing characters costs more than hashing pointers beyond about 20 characters.
    Codes already known for the array (:func:`remember_codes`) are used instead, once checked."""
    import numpy as np
    import pandas as pd

    values = np.asarray(values, dtype=object)
    hit = known_codes(values)
    if hit is not None:
        return hit
    sample = values[:: max(1, len(values) // 64)][:64]
    lengths = [len(v) for v in sample if isinstance(v, str)]
    try:  # text repeated as one shared object per value (flags' codes and names): group by object
        shared = len({id(v) for v in sample}) == len(set(sample)) < len(sample) // 2
    except TypeError:  # unhashable values: pandas says what to do with them
        shared = False
    if lengths and (shared or sum(lengths) / len(lengths) > 24):
        codes, uniques = factorize_objects(values)
    else:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object, copy=False), use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    remember_codes(values, codes, uniques)  # the next check of the same column costs a comparison
    return codes, uniques


def spread(per_value, codes, missing: Any = None):
    """Values worked out once per distinct value (`per_value[i]` for code i, `missing` for -1), spread
    back to the rows. `codes` must be pd.factorize's for these very rows (every code used, numbered by
    first appearance). When the values are text, the result's own codes are recorded with it, so
    grouping or comparing it later costs no hashing."""
    import numpy as np
    import pandas as pd

    codes = np.asarray(codes)
    done = np.empty(len(per_value) + 1, dtype=object)
    done[:-1] = per_value
    done[-1] = missing
    if missing is not None or not all(v is None or type(v) is str for v in done[:-1]):
        return done[codes]
    # equal text from two codes is one value; a group's first code is its first appearance
    groups, uniques = pd.factorize(done[:-1], use_na_sentinel=True)
    row = np.append(groups, -1)[codes]
    uniques = np.asarray(uniques, dtype=object)
    out = np.append(uniques, None)[row]
    remember_codes(out, row, uniques)
    return out


def factorize(s) -> tuple:
    """pd.factorize (codes, -1 for missing; distinct values as an array), by :func:`factorize_text` for
    a column of Python objects so that codes already known are used."""
    import numpy as np
    import pandas as pd
    values = s.to_numpy() if isinstance(s, pd.Series) else s
    if isinstance(values, np.ndarray) and values.dtype == object:
        return factorize_text(values)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def positions(names: list, values) -> "np.ndarray":
    """pd.Index(names).get_indexer(values) (-1 for a value not among the names), looked up once per
    distinct value: a million rows naming 10,000 bids cost 10,000 look-ups."""
    import numpy as np
    import pandas as pd
    codes, uniques = factorize(values)
    found = pd.Index(names, dtype=object).get_indexer(pd.Index(uniques, dtype=object)) if len(uniques) else \
        np.zeros(0, dtype=np.intp)
    return np.append(found, -1).astype(np.intp)[codes]


def missing(s) -> "np.ndarray":
    """isna() as a bool array, from the codes when they are known (a million strings need not be
    looked at again)."""
    import numpy as np
    import pandas as pd
    values = s.to_numpy() if isinstance(s, pd.Series) else np.asarray(s)
    hit = known_codes(values) if values.dtype == object else None
    return hit[0] < 0 if hit is not None else np.asarray(pd.isna(values), dtype=bool)


def lookup(s: "pd.Series", mapping: dict, default: Any = float("nan")) -> "pd.Series":
    """Series.map(dict) for text columns, once per distinct value (pandas' own map turns a million
    strings into an index first)."""
    import numpy as np
    import pandas as pd
    values = list(mapping.values())
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        codes, uniques = factorize(s)  # numbers straight into a float array
        done = np.array([mapping.get(v, default) for v in uniques] + [default], dtype=float)
        return pd.Series(done[codes], index=s.index, copy=False)
    return per_unique(s, lambda v: mapping.get(v, default) if v is not None else default)


def _arrow_strings(uniques):
    """The distinct values as an Arrow string array, or None when some are not text (YAML numbers...)."""
    import pyarrow as pa
    try:
        return pa.array(uniques, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None


def clean_text(s: "pd.Series") -> "pd.Series":
    """Free text as the loaders keep it: trimmed, blank = missing (None), numbers and dates as their text.
    Done per distinct value, in Arrow's C kernels when the values are all text."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    codes, uniques = factorize(s)
    arr = _arrow_strings(np.asarray(uniques, dtype=object))
    if arr is None:
        return per_unique(s, _clean_one)
    trimmed = pc.utf8_trim_whitespace(arr)
    trimmed = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
    done = spread(trimmed.to_numpy(zero_copy_only=False).astype(object), codes)
    return pd.Series(done, index=s.index, dtype=object, copy=False)  # a fresh array: no copy


def normalise_text(s: "pd.Series") -> "pd.Series":
    """Text compared as a person would: case and runs of spaces ignored (None stays None)."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    codes, uniques = factorize(s)
    arr = _arrow_strings(np.asarray(uniques, dtype=object))
    if arr is None:
        return per_unique(s, lambda v: None if v is None or v != v else " ".join(str(v).lower().split()))
    norm = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(arr), r"\s+", " "))
    done = spread(norm.to_numpy(zero_copy_only=False).astype(object), codes)
    return pd.Series(done, index=s.index, dtype=object, copy=False)  # a fresh array: no copy


def _clean_one(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return str(value)


def read_small_csv(path: Path | str, allowed: list[str], required: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    """A small CSV (proxy table, scores) as (header, [(spreadsheet row number, {column: text})]).
    Text this tool quoted against formulas on the way out (formula_safe) is unquoted on the way in.

    The header is checked first, all at once: unknown columns (with a suggestion), missing required
    ones, a column named twice. Rows with the wrong number of cells are refused; blank rows skipped.
    """
    import csv
    import io

    from .exceptions import InputErrors
    path = Path(path)
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"is not valid CSV: {exc}", file=path) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("is empty: expected the header " + ",".join(allowed), file=path)
    header = [h.strip() for h in rows[0]]
    problems = [InputError("the header names this column more than once", file=path, where="row 1", field=name)
                for name in sorted({h for h in header if header.count(h) > 1})]
    problems += [InputError(f"unknown column{suggest(name, allowed)}", file=path, where="row 1", field=name)
                 for name in header if name not in allowed]
    problems += [InputError("required column missing", file=path, where="row 1", field=name)
                 for name in required if name not in header]
    records = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(InputError(f"has {len(row)} cells but the header has {len(header)}", file=path,
                                       where=f"row {n}"))
            continue
        # a CSV downloaded from this tool marks formula-like text with a quote (formula_safe): read it back exact
        records.append((n, {h: formula_unquoted(cell.strip()) for h, cell in zip(header, row)}))
    if problems:
        raise InputErrors(problems)
    return header, records


def suggest(name: Any, options: Iterable[str]) -> str:
    """' (did you mean X?)' for a likely typo, else ''."""
    match = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.75)
    return f" (did you mean '{match[0]}'?)" if match else ""


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def gbp(value: float | None, decimals: int = 0) -> str:
    """£1,234,567 the way a commissioner writes it; '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{decimals}f}"


def fte_years(staff: Iterable[tuple[float, float]], years: float) -> float:
    """FTE-years from head counts: Torbay's rule, 10 full-time + 5 half-time over 2 years = 25 FTE-years.

    `staff` is (head count, FTE fraction of each person) pairs; the result is in the `fte_year` unit the
    proxy table and design outcomes use, so a supplier can turn a staffing plan into a commitment quantity.
    """
    total = 0.0
    for count, fraction in staff:
        if not (is_finite_number(count) and count >= 0):
            raise InputError("a head count must be a number of people, 0 or more", field="count", value=count)
        if not (is_finite_number(fraction) and 0 <= fraction <= 1):
            raise InputError("an FTE fraction must be between 0 and 1", field="fte", value=fraction)
        total += count * fraction
    if not (is_finite_number(years) and years >= 0):
        raise InputError("years must be a number, 0 or more", field="years", value=years)
    return total * years


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take as a formula (see :func:`formula_safe`)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def formula_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (it starts with =, +, -, @, tab or carriage return)
    gets a leading single quote, so Excel, LibreOffice and Sheets show it as text. Numbers, including
    negative ones, are returned unchanged: only text is neutralised. For CSV downloads; the XLSX workbook
    keeps such text exact and marks the cell as text with Excel's quote prefix (workbook.text_cell).

    A carriage return inside text is written as a newline: pandas and a csv writer ending lines with
    "\n" leave a field holding only "\r" unquoted, and Excel and LibreOffice read a bare "\r" as the end
    of the row, so "a\r=1+1" would start a new row with a live formula. A newline makes the writer
    quote the field, and the line break stays a line break inside the cell."""
    if isinstance(value, str) and "\r" in value:
        quoted = "'" + value if formula_like(value) else value
        return quoted.replace("\r\n", "\n").replace("\r", "\n")
    if formula_like(value):
        return "'" + value
    return value


def formula_unquoted(value: Any) -> Any:
    """The inverse of :func:`formula_safe`, for CSVs this tool wrote and a user loads back (a scores.csv
    downloaded from the app): a leading single quote before formula-like text is taken off again."""
    if isinstance(value, str) and value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def formula_safe_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of a table with every text cell passed through :func:`formula_safe` (for CSV downloads)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].astype(object).map(formula_safe, na_action="ignore")
    out.columns = [formula_safe(c) for c in out.columns]
    return out
