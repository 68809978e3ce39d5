"""The commitment checks (SV1xx of DESIGN.md section 5) over a prepared commitments table.

Each commitment check is a named rule over the whole commitments table at once: a mask of the rows it
fires on, a message built from those rows' own numbers, and a fix a supplier can act on. The design
lens credits nothing that carries an error; the figures lens ignores flags, which is the point of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .rubric import GRADES, Rubric
from .flags import CATALOGUE, NARRATIVE_MIN_WORDS, empty_flags, fix_text, make_flags
from .formatting import amount, figure, money, per_unit, unit_words
from .columns import categorical, factorize, group_starts, missing, normalise_text, per_unique as _per_unique, repeated, spread

QUANTITY_LIMIT = 1e12  # beyond any contract: a slip of the keyboard (and a product that could overflow)
NOMINAL_DEFLATOR = 0.02
GRADE_RANK = {g: i for i, g in enumerate(GRADES)}


def _choose(cond, a, b) -> np.ndarray:
    """np.where for messages, kept as Python objects (no round trip through a string dtype)."""
    cond = np.asarray(cond, dtype=bool)
    a = np.asarray(a, dtype=object) if not isinstance(a, str) else repeated(len(cond), a)  # one shared str
    b = np.asarray(b, dtype=object) if not isinstance(b, str) else repeated(len(cond), b)
    out = np.where(cond, a, b)
    return out.astype(object)


def _same(d, text: str) -> np.ndarray:
    return repeated(len(d), text)


def _fmt(spec: str, scale: float = 1.0):
    def fmt(v):
        return "?" if v is None or v != v else format(v * scale, spec)
    return fmt


def _num(s: pd.Series, decimals: int = 0) -> pd.Series:
    return _per_unique(s, _fmt(f",.{decimals}f"))


def _gbp(s: pd.Series) -> pd.Series:
    return _per_unique(s, lambda v: "£?" if v is None or v != v else money(v))  # pence where it has them


def _units(s: pd.Series, plural: bool = True) -> pd.Series:
    return _per_unique(s, lambda v: unit_words(v, plural))  # fte_year -> FTE-years


def _pct(s: pd.Series) -> pd.Series:
    return _per_unique(s, lambda v: "?" if v is None or v != v else f"{v * 100:.0f}%")


def _q(s: pd.Series) -> pd.Series:
    return _per_unique(s, figure)


def _txt(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "")


_norm = normalise_text

# Text columns the checks group, compare or look up by their codes: check_commitments makes sure each is a
# categorical (the loaders and the valuation give them so), so every check takes its codes at no cost.
CODED = ["unit", "ref_unit", "evidence_grade", "required_grade", "exclusive_group", "_bid", "location", "narrative",
         "ref_kind"]


def _codes(c: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column (-1 = missing): a categorical's own."""
    return factorize(c[name])


def _spread(c: pd.DataFrame, name: str, per_value: list, missing) -> np.ndarray:
    """Values computed once per distinct value of a column, spread back to its rows."""
    return spread(per_value, _codes(c, name)[0], missing)


def _by_value(c: pd.DataFrame, name: str, fn) -> pd.Series:
    """util.per_unique for a column of the table being checked."""
    _, uniques = _codes(c, name)
    return pd.Series(_spread(c, name, [fn(v) for v in uniques], fn(None)), index=c.index, dtype=object, copy=False)


def _lookup_col(c: pd.DataFrame, name: str, mapping: dict) -> pd.Series:
    """util.lookup (numeric mapping) for a column of the table being checked."""
    codes, uniques = _codes(c, name)
    done = np.array([mapping.get(v, np.nan) for v in uniques] + [np.nan], dtype=float)
    return pd.Series(done[codes], index=c.index, copy=False)


def _missing_col(c: pd.DataFrame, name: str) -> np.ndarray:
    """isna() of a column of the table being checked (from its codes, when it has them)."""
    return missing(c[name])


def _codes_on(c: pd.DataFrame, name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a column on some rows only: a categorical's own codes, or the values
    of those rows factorized (mostly distinct text, a cohort described row by row, is hashed only where
    it is needed)."""
    col = c[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return _codes(c, name)[0][rows], np.asarray(col.cat.categories, dtype=object)
    return factorize(col.to_numpy()[rows])


def _norm_is(c: pd.DataFrame, name: str, value: str) -> np.ndarray:
    """normalise_text(column) == value, decided once per distinct value."""
    _, uniques = _codes(c, name)
    norm = normalise_text(pd.Series(uniques, dtype=object)).to_numpy(dtype=object) if len(uniques) else []
    return np.append(np.array([v == value for v in norm], dtype=bool), False)[_codes(c, name)[0]]


def _norm_differ(c: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """normalise_text(a) != normalise_text(b) as pandas compares them (a missing side differs), decided
    once per distinct pair of values."""
    (ca, ua), (cb, ub) = _codes(c, a), _codes(c, b)
    ca = np.where(ca < 0, len(ua), ca).astype(np.int64)  # missing: the None appended after the values
    cb = np.where(cb < 0, len(ub), cb).astype(np.int64)
    pair, pairs = pd.factorize(ca * (len(ub) + 1) + cb)
    na = normalise_text(pd.Series(list(ua) + [None], dtype=object)).to_numpy(dtype=object)
    nb = normalise_text(pd.Series(list(ub) + [None], dtype=object)).to_numpy(dtype=object)
    differ = []
    for p in pairs.tolist():
        x, y = na[p // (len(ub) + 1)], nb[p % (len(ub) + 1)]
        differ.append(x is None or y is None or x != y)
    return np.array(differ, dtype=bool)[pair] if len(pair) else np.zeros(0, dtype=bool)


def _isin_col(c: pd.DataFrame, name: str, values: list) -> pd.Series:
    _, uniques = _codes(c, name)
    hit = pd.Series(uniques, dtype=object).isin(values).to_numpy(dtype=bool)
    return pd.Series(np.append(hit, False)[_codes(c, name)[0]], index=c.index, copy=False)


@dataclass(frozen=True)
class CommitmentCheck:
    code: str
    fires: Callable[[pd.DataFrame, Rubric], tuple[np.ndarray, pd.Series]]
    fix: Callable[[pd.DataFrame, Rubric], pd.Series | str] | None = None  # None: the catalogue's fix


def _sv101(c, r):
    mask = ~c["known_measure"].to_numpy()
    table = r.proxies_path.name if r.proxies_path else "no proxy table"
    return mask, lambda d: "measure '" + _txt(d["measure"]) + f"' is not in the proxy table ({table})"


def _sv102(c, r):
    expected = c["quantity"] * c["claimed_proxy"]
    gap = (c["claimed_value"] - expected).abs()
    mask = (c["claimed_value"].notna() & expected.notna() & (gap > 0.01 * expected.abs())).to_numpy()
    return mask, lambda d: ("claimed " + _gbp(d["claimed_value"]) + " is not quantity " + _q(d["quantity"])
                            + " × claimed proxy " + _gbp(d["claimed_proxy"]) + " = "
                            + _gbp(d["quantity"] * d["claimed_proxy"]) + " (off by more than 1%)")


def _sv103(c, r):
    limit = c["ref_high"].where(c["ref_high"].notna(), c["ref_value"] * 1.1)
    mask = (c["claimed_proxy"].notna() & limit.notna() & (c["claimed_proxy"] > limit)).to_numpy()
    return mask, lambda d: ("claimed proxy " + _gbp(d["claimed_proxy"]) + " " + _per_unique(d["ref_unit"], per_unit)
                            + " is above " + _choose(d["ref_high"].notna(),
                                                      "the table's high " + _gbp(d["ref_high"]),
                                                      "the table's value + 10% (" + _gbp(d["ref_value"] * 1.1) + ")")
                            + " for " + _txt(d["measure"]) + " (central " + _gbp(d["ref_value"]) + ")")


def _sv104(c, r):
    mask = c["known_measure"].to_numpy(dtype=bool) & ~_missing_col(c, "unit") & _norm_differ(c, "unit", "ref_unit")
    return mask, lambda d: ("the unit '" + _units(d["unit"]) + "' differs from the unit of " + _txt(d["measure"])
                            + " (" + _units(d["ref_unit"]) + ")")


def _sv105(c, r):
    mask = _missing_col(c, "evidence_grade") | _isin_col(c, "evidence_grade", ["E0"]).to_numpy()
    return mask, lambda d: _choose(d["evidence_grade"].isna(), "no evidence is given",
                                   "the evidence is a bare assertion (E0)")


def _sv106(c, r):
    have = _lookup_col(c, "evidence_grade", GRADE_RANK)
    need = _lookup_col(c, "required_grade", GRADE_RANK)
    # E0 is already an error (SV105); this warning is for real evidence that falls short of the ask
    mask = (have.notna() & need.notna() & (have > 0) & (have < need)).to_numpy()
    return mask, lambda d: ("evidence " + _txt(d["evidence_grade"]) + " is below the "
                            + _txt(d["required_grade"]) + " the buyer requires for outcome "
                            + _txt(d["served_outcome"]))


def _sv107(c, r):
    duration = r.tender.duration_years
    late = c["end_year"] > duration
    unproven = (c["persistence_years"] > 0) & ~_isin_col(c, "evidence_grade", ["E3", "E4"])
    mask = (late | unproven).to_numpy()

    def message(d):
        late_d = d["end_year"] > duration
        first = np.maximum(d["start_year"], duration + 1)
        one = first == d["end_year"]  # "year 5 is", "years 5-6 are"
        a = ("runs to year " + _num(d["end_year"]) + f" of a {duration}-year contract: "
             + _choose(one, "year " + _num(d["end_year"]) + " is",
                       "years " + _num(first) + "-" + _num(d["end_year"]) + " are")
             + " after the term and not credited")
        b = ("claims " + _num(d["persistence_years"]) + " years of persistence with evidence "
             + _txt(d["evidence_grade"]).replace("", "none") + "; persistence needs E3 or better and is not credited")
        both = (late_d & (d["persistence_years"] > 0) & ~d["evidence_grade"].isin(["E3", "E4"]))
        return _choose(both, a + "; it also " + b, _choose(late_d, a, b))
    return mask, message


def _combine(parts: list) -> np.ndarray:
    """One group number per row for a combination of columns given as codes (-1 = missing, its own group)."""
    key = np.zeros(len(parts[0]) if parts else 0, dtype=np.int64)
    top = 1
    for part in parts:
        part = np.asarray(part, dtype=np.int64) + 1
        size = int(part.max(initial=0)) + 1
        if top * size >= 2**62:  # keep the mixed-radix key inside int64: renumber what we have so far
            key = pd.factorize(key)[0].astype(np.int64)
            top = int(key.max(initial=0)) + 1
        key = key * size + part
        top *= size
    return pd.factorize(key)[0]


def _first_in_group(codes: np.ndarray) -> np.ndarray:
    """Row position of the first row of each row's group. Groups are numbered by first appearance (as
    pd.factorize numbers them), so a row opens a group exactly when its number exceeds all before it."""
    codes = np.asarray(codes)
    return group_starts(codes)[codes]


def _is_number(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _row_hashes(c: pd.DataFrame, names: list[str]) -> np.ndarray:
    """One 64-bit hash per row of the values in `names`, rows equal on those columns hashing alike (numbers
    as pandas compares them: one NaN, and -0.0 as 0.0), so rows with a hash of their own need no further
    look. Unequal rows may collide; the exact comparison that follows sorts them out."""
    parts = {}
    for name in names:
        col = c[name]
        if _is_number(col):
            v = col.to_numpy(dtype=float, na_value=np.nan)
            col = pd.Series(np.where(np.isnan(v), np.nan, v + 0.0), copy=False)
        parts[name] = col.reset_index(drop=True)
    return pd.util.hash_pandas_object(pd.DataFrame(parts, copy=False), index=False).to_numpy()


def _subset_codes(c: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
    """Group numbers of a column's values on some rows only (numbers factorized for those rows alone)."""
    col = c[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return _codes(c, name)[0][rows]
    values = col.to_numpy()[rows]
    return pd.factorize(pd.Series(values, dtype=object, copy=False) if values.dtype == object else values,
                        use_na_sentinel=True)[0]


def _cohort_codes(values: np.ndarray) -> np.ndarray:
    """Group numbers of distinct cohort descriptions compared as a person would (case and spacing
    ignored), done in Arrow's kernels."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # not all text: the general way
        return pd.factorize(_norm(pd.Series(values, dtype=object)), use_na_sentinel=True)[0]
    norm = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(arr), r"\s+", " "))
    if pc.all(pc.equal(norm, arr).fill_null(True)).as_py() and arr.null_count == 0:
        return np.arange(len(values), dtype=np.int64)  # already as a person would write them: all distinct
    return pc.dictionary_encode(norm).indices.fill_null(-1).to_numpy().astype(np.int64)


def _sv108(c, r):
    ids = c["id"].to_numpy(dtype=object)
    measure = c["measure"].to_numpy(dtype=object)
    # (a) one cohort under two measures of an exclusive group: only rows that name both can collide
    has = ~_missing_col(c, "exclusive_group") & ~_missing_col(c, "beneficiaries")  # from the shared codes
    first = np.full(len(c), None, dtype=object)
    cohort_dup = np.zeros(len(c), dtype=bool)
    if has.any():
        rows = np.flatnonzero(has)
        codes, uniques = _codes_on(c, "beneficiaries", rows)
        needed = np.flatnonzero(np.bincount(codes, minlength=len(uniques)))  # these rows' cohorts only
        cohort = np.full(len(uniques) + 1, -1, dtype=np.int64)
        cohort[needed] = _cohort_codes(uniques[needed])
        head = rows[_first_in_group(_combine([_codes(c, "_bid")[0][rows], _codes(c, "exclusive_group")[0][rows],
                                              cohort[codes]]))]
        first[rows] = ids[head]
        cohort_dup[rows] = measure[rows] != measure[head]
    # (b) the same commitment twice under another id: same measure, quantity, years, cohort, place, words
    # rows alike on the cheap columns are the only candidates; the text columns are compared for those
    cheap = ["_bid", "measure", "quantity", "start_year", "end_year"]
    alike = pd.Series(_row_hashes(c, cheap), copy=False).duplicated(keep=False).to_numpy()
    repeat = np.zeros(len(c), dtype=bool)
    if alike.any():
        rows = np.flatnonzero(alike)
        same = cheap + ["beneficiaries", "location", "description"]
        head = rows[_first_in_group(_combine([_subset_codes(c, k, rows) for k in same]))]
        repeat[rows] = head != rows
        first[rows] = np.where(repeat[rows], ids[head], first[rows])
    mask = repeat | cohort_dup

    def message(d):
        dup = d.pick(repeat)
        earlier = pd.Series(d.pick(first), index=d.index, dtype=object)
        a = "repeats commitment " + _txt(earlier) + " (same measure, quantity, years and beneficiaries)"
        b = ("counts the cohort '" + _txt(d["beneficiaries"]) + "' again under " + _txt(d["measure"])
             + "; commitment " + _txt(earlier) + " already counts it in exclusive group "
             + _txt(d["exclusive_group"]))
        return _choose(dup, a, b)
    return mask, message


def _sv109(c, r):
    q = c["quantity"]
    bad_q = ~(np.isfinite(q.fillna(np.nan)) & (q > 0) & (q <= QUANTITY_LIMIT))
    spend = _norm_is(c, "ref_unit", "gbp") & c["price"].notna() & (q > c["price"])
    cap = (r.tender.workforce_fte or np.inf) * r.tender.duration_years
    fte = _norm_is(c, "ref_unit", "fte_year") & (q > cap)
    mask = (bad_q | spend | fte).to_numpy()

    def message(d):
        qd = d["quantity"]
        bad = ~(np.isfinite(qd.fillna(np.nan)) & (qd > 0) & (qd <= QUANTITY_LIMIT))
        sp = (_norm(d["ref_unit"]) == "gbp") & (qd > d["price"])
        a = ("quantity " + _q(qd).replace("?", "missing") + " is not a positive, finite number"
             + f" of at most {QUANTITY_LIMIT:,.0f}")
        b = "spend " + _gbp(qd) + " is more than the whole bid price " + _gbp(d["price"])
        other = d["unit"].notna() & (_norm(d["unit"]) != "fte_year")  # in hours, say: read as FTE-years
        cfte = ("quantity " + _q(qd) + " " + _choose(other, _units(d["unit"]) + ", read as FTE-years (the unit of "
                                                     + _txt(d["measure"]) + "),", "FTE-years")
                + f" is more than the buyer's whole workforce of "
                f"{r.tender.workforce_fte or 0:g} FTE × {r.tender.duration_years} years = {cap:,.0f} FTE-years")
        return _choose(bad, a, _choose(sp, b, cfte))
    return mask, message


def _sv110(c, r):
    mask = (_isin_col(c, "ref_kind", ["output"]) & (c["claimed_proxy"].notna() | c["claimed_value"].notna())).to_numpy()
    return mask, lambda d: (_txt(d["measure"]) + " counts an activity ("
                            + _units(d["ref_unit"]).replace("£", "£ spent")
                            + "), not a change in someone's life, yet carries a £ value of "
                            + _gbp(d["claimed_value"].fillna(d["quantity"] * d["claimed_proxy"]))
                            + " as if it were an outcome")


def _per_combination(columns: list, message):
    """A message that reads only `columns` of the flagged rows, written once per distinct combination of
    their values and spread back to the rows: 150,000 flags that name one of a few measures and outcomes
    cost a few dozen messages, not 150,000 rounds of string building. Combinations are told apart
    exactly as the message would print them (numbers bit for bit, text only when all of it is text)."""
    def by_combination(d):
        if len(d) < 2:
            return message(d)
        parts = []
        for name in columns:
            values = d[name].to_numpy()
            if values.dtype == np.float64:
                values = np.ascontiguousarray(values).view(np.int64)  # -0.0 prints "-0": not 0.0
            elif values.dtype != object:
                return message(d)
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if values.dtype == object and not all(type(v) is str for v in uniques):
                return message(d)  # 1, 1.0 and True are equal to Python but print differently
            parts.append(codes)
        group = _combine(parts)
        first = group_starts(group)
        return np.asarray(message(d.subset(first)), dtype=object)[group]
    return by_combination


def _sv111(c, r):
    mask = (c["deadweight"].isna() & c["attribution"].isna()).to_numpy()
    return mask, _per_combination(["default_deadweight", "default_attribution"], lambda d: (
        "neither deadweight nor attribution is stated; the table's defaults are applied (deadweight "
        + _pct(d["default_deadweight"]) + ", attribution " + _pct(d["default_attribution"]) + ")"))


def _sv112(c, r):
    parts = []
    for name in ("deadweight", "attribution", "displacement"):
        v = c[name]
        parts.append((v.notna() & (v >= 0) & (v <= NOMINAL_DEFLATOR)).to_numpy())
    nominal = np.logical_or.reduce(parts)
    mask = nominal & _missing_col(c, "deflator_rationale")

    def message(d):
        text = pd.Series(_same(d, ""), index=d.index, dtype=object)
        for name in ("deadweight", "attribution", "displacement"):
            v = d[name]
            hit = v.notna() & (v <= NOMINAL_DEFLATOR)
            text = text + _choose(hit, name + " " + _per_unique(v, lambda x: "" if x is None or x != x else f"{x * 100:g}%") + ", ", "")
        return (text.str.rstrip(", ") + " stated with no deflator rationale: so little that would happen "
                "anyway or is due to others needs explaining")
    return mask, message


def _sv113(c, r):
    area = {a.strip().lower() for a in r.tender.local_area}
    codes, uniques = _codes(c, "location")  # decided once per place named
    norm = normalise_text(pd.Series(uniques, dtype=object)).tolist() if len(uniques) else []
    inside = np.append(np.array([v in area for v in norm], dtype=bool), False)[codes]
    mask = c["local_only"].to_numpy(dtype=bool) & ~inside
    names = ", ".join(r.tender.local_area) or "none set"
    return mask, lambda d: (_txt(d["measure"]) + f" counts only in the local area ({names}) but the location is "
                            + _choose(d["location"].isna(), "not given", "'" + _txt(d["location"]) + "'"))


def _sv114(c, r):
    mask = _missing_col(c, "served_outcome")
    ids = r.outcomes["id"].tolist()

    def message(d):
        if not ids:
            return _same(d, "the rubric sets no design outcomes, so nothing is credited in the design lens")
        named = d["outcome"]
        unknown = named.notna() & ~named.isin(ids)
        a = "names outcome '" + _txt(named) + "', which is not in the buyer's design (" + ", ".join(ids) + ")"
        b = ("names outcome " + _txt(named) + " but measure " + _txt(d["measure"]) + " (unit "
             + _txt(d["unit"].fillna(d["ref_unit"])) + ") is not one that evidences it")
        cc = "measure " + _txt(d["measure"]) + " serves none of the buyer's outcomes (" + ", ".join(ids) + ")"
        return _choose(unknown, a, _choose(named.notna(), b, cc))
    return mask, _per_combination(["outcome", "measure", "unit", "ref_unit"], message)


def _sv115(c, r):
    words = pd.to_numeric(_by_value(c, "narrative", lambda v: 0 if v is None or v != v else len(str(v).split())))
    mask = (words < NARRATIVE_MIN_WORDS).to_numpy()
    return mask, lambda d: _choose(d.pick(words) == 0, "no narrative: numbers without a story",
                                              "narrative of " + _num(pd.Series(d.pick(words), index=d.index))
                                              + f" words (under "
                                              f"{NARRATIVE_MIN_WORDS}): numbers without a story")


def _sv116(c, r):
    mask = _missing_col(c, "kpi")
    return mask, lambda d: _same(d, "no KPI: nobody will know whether it was delivered")


def _sv117(c, r):
    mask = ~c["contract_specific"].to_numpy(dtype=bool)
    return mask, lambda d: _same(d, "marked as not specific to this contract: corporate activity that would happen "
                                    "anyway, not delivered because of this contract")


def _outcome_list(r: Rubric) -> str:
    return "; ".join(f"{o.id} {o.name or ''}".strip() for o in r.spec.design.outcomes) or "none set"


COMMITMENT_CHECKS = [  # in the order their flags are listed; fixes are the catalogue's (flags.py)
    CommitmentCheck("SV101", _sv101),
    CommitmentCheck("SV102", _sv102),
    CommitmentCheck("SV103", _sv103, lambda c, r: fix_text(
        "SV103", ref_value=_gbp(c["ref_value"]), ref_unit=_units(c["ref_unit"], False).replace("£", "£ spent"))),
    CommitmentCheck("SV104", _sv104, lambda c, r: fix_text("SV104", ref_unit=_units(c["ref_unit"]),
                                                           measure=_txt(c["measure"]))),
    CommitmentCheck("SV105", _sv105),
    CommitmentCheck("SV106", _sv106, lambda c, r: fix_text("SV106", required_grade=_txt(c["required_grade"]))),
    CommitmentCheck("SV107", _sv107, lambda c, r: fix_text("SV107", duration=str(r.tender.duration_years))),
    CommitmentCheck("SV108", _sv108),
    CommitmentCheck("SV109", _sv109),
    CommitmentCheck("SV110", _sv110),
    CommitmentCheck("SV111", _sv111),
    CommitmentCheck("SV112", _sv112),
    CommitmentCheck("SV113", _sv113, lambda c, r: fix_text(
        "SV113", area=", ".join(r.tender.local_area) or "as the buyer defines it")),
    CommitmentCheck("SV114", _sv114, lambda c, r: fix_text("SV114", outcomes=_outcome_list(r))),
    CommitmentCheck("SV115", _sv115),
    CommitmentCheck("SV116", _sv116),
    CommitmentCheck("SV117", _sv117),
]

class _Rows:
    """The flagged rows of the commitments table, taken one column at a time as a message needs it:
    a check that fires on 300,000 of a million rows copies the 3 columns its message uses, not all 60."""

    def __init__(self, frame: pd.DataFrame, mask: np.ndarray):
        self._frame, self._take = frame, np.flatnonzero(mask)
        self._cache: dict[str, pd.Series] = {}
        self.index = pd.RangeIndex(len(self._take))

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._cache:
            col = self._frame[name]
            if isinstance(col.dtype, pd.CategoricalDtype):  # text as Python strings, None where missing
                values = np.append(np.asarray(col.cat.categories, dtype=object), None)[col.cat.codes.to_numpy()[self._take]]
                self._cache[name] = pd.Series(values, index=self.index, dtype=object, copy=False)
            else:
                self._cache[name] = pd.Series(col.to_numpy()[self._take], index=self.index, dtype=col.dtype, copy=False)
        return self._cache[name]

    def __len__(self) -> int:
        return len(self._take)

    def subset(self, rows: np.ndarray) -> "_Rows":
        """Some of these rows (positions among them), for a message written once per combination."""
        sub = _Rows.__new__(_Rows)
        sub._frame, sub._take, sub._cache = self._frame, self._take[rows], {}
        sub.index = pd.RangeIndex(len(sub._take))
        return sub

    def pick(self, values) -> np.ndarray:
        """The flagged rows of a full-length array a check computed alongside its mask."""
        return np.asarray(values)[self._take]


def check_commitments(commitments: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, pd.Series]:
    """All SV1xx flags for a prepared commitments table, and which commitments carry an error.

    Returns (flags, error_codes) where error_codes is, per commitment, the comma-joined error codes
    ('' for none): the design lens credits only rows with ''.
    """
    c = commitments  # read only: checks keep their working in local arrays, never new columns
    plain = [k for k in CODED if k in c and not isinstance(c[k].dtype, pd.CategoricalDtype)]
    if plain:  # coded once here (a table built by hand, or bids in several forms): each check reads the codes
        c = c.assign(**{k: categorical(c[k]) for k in plain})
    return _check_commitments(c, rubric)


# design.require (issue 18): what the buyer will hold a supplier to. Each one required turns its warning
# into an error (the commitment is not credited in the design lens; the figures lens ignores flags anyway)
REQUIRED = {"SV115": ("narrative", f"a narrative of {NARRATIVE_MIN_WORDS}+ words"),
            "SV116": ("kpi", "a KPI"),
            "SV111": ("additionality", "deadweight or attribution stated")}


def required_codes(rubric: Rubric) -> dict[str, str]:
    """{code: what the buyer requires} for the warnings design.require makes errors in this rubric."""
    require = getattr(rubric.spec.design, "require", None)
    return {code: text for code, (key, text) in REQUIRED.items() if require is not None and getattr(require, key)}


def _check_commitments(c: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, pd.Series]:
    blocks = []
    error_masks = []
    required = required_codes(rubric)
    for check in COMMITMENT_CHECKS:
        mask, message = check.fires(c, rubric)
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        d = _Rows(c, mask)
        fix = None if check.fix is None else check.fix(d, rubric)
        text = np.asarray(message(d), dtype=object)
        if check.code in required:
            text = text + (f"; the buyer requires {required[check.code]}, so it is not credited in the design lens")
        block = make_flags(check.code, d["bidder"].to_numpy(dtype=object), text,
                           np.asarray(fix, dtype=object) if fix is not None and not isinstance(fix, str) else fix,
                           commitment=d["id"].to_numpy(dtype=object))
        if check.code in required:
            block["severity"] = "error"
        blocks.append(block)
        if CATALOGUE[check.code].severity == "error" or check.code in required:
            error_masks.append((check.code, mask))
    # each row's error codes joined in check order, written once per combination that occurs
    fired = np.zeros(len(c), dtype=np.int64)
    for i, (_, mask) in enumerate(error_masks):
        fired |= mask.astype(np.int64) << i
    combo, combos = pd.factorize(fired)
    errors = spread([",".join(code for i, (code, _) in enumerate(error_masks) if (int(bits) >> i) & 1)
                     for bits in combos], combo)
    flags = pd.concat(blocks, ignore_index=True) if blocks else empty_flags()
    return flags, pd.Series(errors, index=c.index, dtype=object, copy=False)


# ------------------------------------------------------------------ SV118: a quantity far beyond the other bids'
OUTLIER_TIMES = 3.0   # more than 3 × the median of the other bids' commitments towards the same outcome
OUTLIER_OTHER_BIDS = 2  # ... of at least 2 other bids with commitments towards it


def _stable_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """The stable order by (major, minor), codes 0 and up: when both fit 16 bits, two radix sorts (minor,
    then major, each stable), several times quicker than one merge sort of a combined key."""
    if major.max(initial=0) < 2**15 and minor.max(initial=0) < 2**15:
        first = np.argsort(minor.astype(np.int16), kind="stable")
        return first[np.argsort(major[first].astype(np.int16), kind="stable")]
    return np.lexsort((minor, major))


def quantity_outliers(c: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """SV118 (a bid check: it compares bids): each commitment whose quantity per £ of contract value (the
    lot's in a lot's evaluation) is more than OUTLIER_TIMES the median of the other bids' commitments
    towards the same outcome (in the same unit), when at least OUTLIER_OTHER_BIDS other bids have one.
    The median leaves out every commitment of the bid itself; it is found for every bid at once, by
    ranks in each outcome's sorted quantities (no loop over bids)."""
    q = c["quantity"].to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(~_missing_col(c, "served_outcome") & np.isfinite(q) & (q > 0))
    if len(rows) < OUTLIER_OTHER_BIDS + 1:
        return empty_flags()
    group = _combine([_codes(c, "served_outcome")[0][rows], _codes(c, "ref_unit")[0][rows]])
    # by outcome, then quantity (a bulk return repeats a few hundred quantities: sorted as their codes)
    code, distinct = pd.factorize(q[rows], sort=True)
    by = _stable_order(group, code)
    rows, g = rows[by], group[by]
    v = q[rows]
    n_g = np.bincount(g)
    start = np.cumsum(n_g) - n_g
    pos = np.arange(len(rows)) - start[g]                       # rank in its outcome's sorted quantities
    # one (outcome, bid) per number, numbered in order of (outcome, bid): their rows, ranks ascending
    bidder = factorize(c["bidder"])[0][rows].astype(np.int64)
    by_pair = _stable_order(g, bidder)
    key = g.astype(np.int64) * (int(bidder.max(initial=0)) + 1) + bidder
    opens = np.r_[True, key[by_pair][1:] != key[by_pair][:-1]] if len(key) else np.zeros(0, dtype=bool)
    pair = np.empty(len(key), dtype=np.int64)
    pair[by_pair] = np.cumsum(opens) - 1
    k = np.bincount(pair)
    pg = np.zeros(len(k), dtype=np.int64)
    pg[pair] = g
    others = np.bincount(pg, minlength=len(n_g))[pg] - 1        # other bids with commitments towards it
    rest = n_g[pg] - k
    # the median of the rest: its ranks lo and hi among the rest, moved past the bid's own ranks. With the
    # bid's own ranks P ascending, P[m] - m of the rest lie below P[m]; so the rest's rank r is at rank
    # r + (how many m have P[m] - m <= r) in the whole: a binary search in each bid's own row of keys
    p_start = np.cumsum(k) - k
    width = int(len(rows)) + 1
    keys = pair[by_pair].astype(np.int64) * width + (pos[by_pair] - (np.arange(len(rows)) - p_start[pair[by_pair]]))
    ids = np.arange(len(k), dtype=np.int64)

    def at_rank(r):
        skipped = np.searchsorted(keys, ids * width + r, side="right") - p_start
        return v[start[pg] + np.clip(r + skipped, 0, n_g[pg] - 1)]
    ok = others >= OUTLIER_OTHER_BIDS
    lo, hi = np.maximum((rest - 1) // 2, 0), np.maximum(rest // 2, 0)
    median = np.where(ok, (at_rank(lo) + at_rank(hi)) / 2, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = v / median[pair]
    hit = ok[pair] & (median[pair] > 0) & (ratio > OUTLIER_TIMES)
    if not hit.any():
        return empty_flags()
    back = np.argsort(rows[hit], kind="stable")  # the flags in the table's order
    at = rows[hit][back]
    per = 1e6 / float(rubric.tender.contract_value)
    value = money(float(rubric.tender.contract_value))
    unit = np.append(np.asarray(_codes(c, "ref_unit")[1], dtype=object), "")[_codes(c, "ref_unit")[0][at]]
    outcome = c["served_outcome"].astype(object).to_numpy()[at]
    parts = [v[hit][back], unit, outcome, median[pair][hit][back], others[pair][hit][back]]
    combo = _combine([pd.factorize(p)[0] for p in parts])  # written once per distinct set of numbers
    first = group_starts(combo)
    message = [f"quantity {amount(x, u)} over a {value} contract is {amount(x * per, u, rate=True)} per £1m, "
               f"{x / m:.1f} times the median of the other bids' commitments towards outcome {o}, "
               f"{amount(m * per, u, rate=True)} per £1m ({n} other bids)"
               for x, u, o, m, n in zip(*(p[first].tolist() for p in parts))]
    return make_flags("SV118", c["bidder"].to_numpy(dtype=object)[at], np.array(message, dtype=object)[combo],
                      commitment=c["id"].to_numpy(dtype=object)[at])

