"""Work on whole text columns once per distinct value: grouping, looking up, cleaning and normalising text
that repeats down a bulk tender's million rows. A column's codes and distinct values come from the column
itself (a pandas categorical carries them; any other column is factorized when asked): nothing is
remembered between calls."""
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


def factorize(s) -> tuple:
    """A column's (codes, distinct values): -1 marks a missing value. A categorical column (the loaders
    keep repeated text so) brings its own, at no cost; any other column is factorized here (numbered by
    first appearance, as pd.factorize numbers them)."""
    import numpy as np
    import pandas as pd
    if isinstance(s, pd.Series) and isinstance(s.dtype, pd.CategoricalDtype):
        return np.asarray(s.cat.codes), np.asarray(s.cat.categories, dtype=object)
    if isinstance(s, pd.Categorical):
        return np.asarray(s.codes), np.asarray(s.categories, dtype=object)
    values = s.to_numpy() if isinstance(s, pd.Series) else np.asarray(s)
    if values.dtype == object:
        values = pd.Series(values, dtype=object, copy=False)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def categorical(s, index=None) -> "pd.Series":
    """Text as a categorical column (missing stays missing): its codes then travel with it, so each later
    step that groups, compares or looks up the text costs no hashing."""
    import pandas as pd
    if isinstance(s, pd.Series) and isinstance(s.dtype, pd.CategoricalDtype):
        return s
    codes, uniques = factorize(s)
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object), validate=False)
    return pd.Series(cat, index=s.index if index is None and isinstance(s, pd.Series) else index, copy=False)


def as_objects(s) -> "pd.Series":
    """A column as Python objects, None where missing (a categorical column's values spread back to rows)."""
    import numpy as np
    import pandas as pd
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniques = factorize(s)
        return pd.Series(np.append(uniques, None)[codes], index=s.index, dtype=object, copy=False)
    return s


def spread(per_value, codes, missing: Any = None):
    """Values worked out once per distinct value (`per_value[i]` for code i, `missing` for -1), spread
    back to the rows, as an object array."""
    import numpy as np
    done = np.empty(len(per_value) + 1, dtype=object)
    done[:-1] = per_value
    done[-1] = missing
    return done[np.asarray(codes)]


def spread_codes(per_value, codes) -> "pd.Categorical":
    """:func:`spread` for text (None = missing): a categorical whose codes are the rows' own, so what is
    spread can be grouped and compared later without hashing it again."""
    import numpy as np
    import pandas as pd
    groups, uniques = pd.factorize(np.asarray(per_value, dtype=object), use_na_sentinel=True)
    row = np.append(groups, -1)[np.asarray(codes, dtype=np.intp)]
    return pd.Categorical.from_codes(row, categories=pd.Index(uniques, dtype=object), validate=False)


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
    """isna() as a bool array (from the codes of a categorical column)."""
    import numpy as np
    import pandas as pd
    if isinstance(s, pd.Series) and isinstance(s.dtype, pd.CategoricalDtype):
        return np.asarray(s.cat.codes) < 0
    values = s.to_numpy() if isinstance(s, pd.Series) else np.asarray(s)
    return np.asarray(pd.isna(values), dtype=bool)


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

