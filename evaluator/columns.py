"""Work on whole text columns once per distinct value: grouping, looking up, cleaning and normalising text
that repeats down a bulk tender's million rows."""
from __future__ import annotations

from typing import Any, Callable


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

