"""From a supplier's commitments to £ and to outcomes: both lenses (DESIGN.md sections 3, 6.3, 6.4).

The figures lens takes the claim as written. The design lens matches each commitment to the buyer's
outcomes, nets it of what would have happened anyway (deadweight), of others' part (attribution) and of
activity moved from elsewhere (displacement), weighs it by its evidence, and values it at the reference
proxy, in the contract's years, discounted as the Green Book does. Every intermediate is kept as a
column so any £ can be walked back to the supplier's own numbers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import kernel
from .guards import require_columns
from .rubric import Rubric
from .columns import as_objects, factorize, group_starts, lookup, missing, per_unique, positions, spread_codes

# HM Treasury Green Book long-term discount schedule (STPR): after the first 30 years the rate declines.
# (first year of band, rate); the rubric's `discount.rate` replaces the first band.
GREEN_BOOK_BANDS = [(1, 0.035), (31, 0.030), (76, 0.025), (126, 0.020), (201, 0.015), (301, 0.010)]

WALK_STEPS = [
    ("claimed", "Claimed by the supplier"),
    ("not_credited_errors", "Not credited: error flags (unknown measure, no evidence, double count, ...)"),
    ("off_design", "Not credited: serves none of the buyer's outcomes"),
    ("proxy_corrected", "Proxy corrected: quantity × reference proxy instead of the claim"),
    ("beyond_term", "Beyond the term: years after the contract end"),
    ("persistence", "Persistence after delivery (E3+ evidence only), with drop-off"),
    ("deflators", "Deadweight, attribution and displacement"),
    ("evidence", "Evidence factor (strength of evidence)"),
    ("discounting", "Discounting to present value (Green Book)"),
]


def discount_factors(years: int, rate: float = 0.035, first_year_discounted: bool = True) -> np.ndarray:
    """DF(y) for y = 0..years (index 0 is 1.0): cumulative, with the Green Book's declining long-term rates.

    With `first_year_discounted`, year 1 is discounted by 1/(1+r); otherwise year 1 is undiscounted and
    year y carries y-1 periods of discounting.
    """
    periods = np.arange(1, max(int(years), 0) + 1)
    rates = np.full(len(periods), rate, dtype=float)
    for start, band_rate in GREEN_BOOK_BANDS[1:]:
        rates[periods >= start] = band_rate
    per_period = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
    if first_year_discounted:
        return per_period
    return np.concatenate([[1.0], per_period[:-1]])


def _attach(c: pd.DataFrame, new: dict) -> pd.DataFrame:
    """Add computed columns without copying the table they join (a bulk tender's is a million rows
    wide of text); text stays object, never inferred into another string type."""
    columns = {k: c[k] for k in c.columns}
    for k, v in new.items():  # a column already there keeps its place; the new ones follow, in order
        if isinstance(v, pd.Categorical):
            columns[k] = pd.Series(v, index=c.index, copy=False)
            continue
        arr = np.asarray(v)
        columns[k] = pd.Series(arr, index=c.index, dtype=object if arr.dtype == object else arr.dtype, copy=False)
    out = pd.DataFrame(columns, index=c.index, copy=False)  # one frame, its columns as given (no 2-D copy)
    return out.__finalize__(c)  # and the table's attrs, as a copy of it has


def _lookup(table: pd.DataFrame, col: str, pos: np.ndarray, missing) -> np.ndarray:
    values = table[col].to_numpy()
    values = np.append(values.astype(object) if missing is None else values.astype(float), missing)
    return values[np.where(pos < 0, len(values) - 1, pos)]


def prepare(commitments: pd.DataFrame, bids: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Attach what the checks and both lenses need: the reference proxy row, the bid's price, and the
    design outcome each commitment serves (its named outcome, or the first whose measures include it)."""
    c = commitments
    table = rubric.proxies
    # measure and outcome compared once per distinct value (a bulk tender repeats a handful of each)
    m_codes, m_values = factorize(c["measure"])
    m_pos = table.index.get_indexer(pd.Index(m_values, dtype=object)) if len(table) else \
        np.full(len(m_values), -1)  # the proxy row of each distinct measure
    pos = np.append(m_pos, -1)[m_codes]
    new: dict = {"known_measure": pos >= 0}
    for col, name in (("value", "ref_value"), ("low", "ref_low"), ("high", "ref_high"),
                      ("deadweight", "default_deadweight"), ("attribution", "default_attribution")):
        new[name] = _lookup(table, col, pos, np.nan)
    for col, name in (("unit", "ref_unit"), ("kind", "ref_kind"), ("price_year", "price_year"),
                      ("source", "proxy_source")):
        new[name] = spread_codes(_lookup(table, col, m_pos, None), m_codes)  # text: categorical, with its codes
    # blank groups and the local-only test decided on the proxy table's rows, then looked up
    group = table["exclusive_group"].to_numpy(dtype=object)
    local = table["local_only"].to_numpy(dtype=object) == True  # noqa: E712 - object array
    group = np.append(np.where(pd.isna(group) | (group == ""), None, group).astype(object), None)
    new["exclusive_group"] = spread_codes(group[m_pos], m_codes)  # m_pos -1 (unknown measure): no group
    new["local_only"] = np.append(np.asarray(local, dtype=bool), False)[pos]
    bid_pos = positions(bids["bidder"].tolist(), c["bidder"])  # each distinct bidder looked up once
    new["price"] = np.append(bids["price"].to_numpy(dtype=float), np.nan)[bid_pos]  # -1: no price

    # the outcome served depends only on the measure, the outcome named and the unit: decided once per
    # combination of the three that occurs, then spread to the rows
    o_codes, o_values = factorize(c["outcome"])
    u_codes, u_values = factorize(c["unit"])
    key = ((m_codes.astype(np.int64) + 1) * (len(o_values) + 1) + o_codes + 1) * (len(u_values) + 1) + u_codes + 1
    combo, combos = pd.factorize(key)
    first = group_starts(combo)
    m_first, o_first, u_first = m_codes[first], o_codes[first], u_codes[first]
    ref_unit = new["ref_unit"][first]
    given_unit = np.append(u_values, None)[u_first]
    unit = np.array([None if v is None or v != v else str(v).strip().lower()
                     for v in np.where(pd.isna(given_unit), ref_unit, given_unit)], dtype=object)
    served = np.full(len(first), None, dtype=object)
    required = np.full(len(first), None, dtype=object)
    for o in rubric.spec.design.outcomes:
        named = np.append(o_values == o.id, False)[o_first]
        if o.measures:
            in_measures = np.append(pd.Index(m_values, dtype=object).isin(o.measures), False)[m_first]
            fits = in_measures & ((o_first < 0) | named)
        else:
            fits = named & (unit == (o.unit or "").strip().lower())
        take = np.asarray(fits, dtype=bool) & pd.isna(served)
        served[take] = o.id
        required[take] = o.evidence_required
    served = spread_codes(served, combo)
    required = spread_codes(required, combo)
    new["served_outcome"] = served
    new["required_grade"] = required
    return _attach(c, new)


def _col(c: pd.DataFrame, name: str) -> np.ndarray:
    return c[name].to_numpy(dtype=float, na_value=np.nan)


def claimed_values(c: pd.DataFrame) -> dict:
    """Figures lens (`figures_value`): claimed_value if given, else quantity × claimed proxy, else
    quantity × reference proxy. No checks: that is the point of this lens."""
    q = _col(c, "quantity")
    q = np.where(np.isfinite(q), q, np.nan)
    cv, cp, ref = _col(c, "claimed_value"), _col(c, "claimed_proxy"), _col(c, "ref_value")
    has_cv, has_cp = ~np.isnan(cv), ~np.isnan(cp)
    claimed = np.where(has_cv, cv, np.where(has_cp, q * cp, q * ref))
    known = c["known_measure"].to_numpy(dtype=bool)
    labels = np.array(["claimed value", "quantity × claimed proxy", "quantity × reference proxy",
                       "nothing (unknown measure)"], dtype=object)
    basis = labels[np.select([has_cv, has_cp, known], [0, 1, 2], default=3)]
    # a product too large to compute (an absurd quantity, flagged SV109) counts nothing rather than infinity
    computable = np.isfinite(claimed) & (np.abs(np.nan_to_num(claimed)) <= 1e24)
    basis = np.where(computable | np.isnan(claimed), basis, "nothing (too large to compute: see SV109)").astype(object)
    return {"figures_value": np.where(computable, claimed, 0.0), "claimed_basis": basis}


def lens_working(c: pd.DataFrame, rubric: Rubric) -> dict:
    """Step one of the valuation: everything the checks' verdicts do not change (the claim, the quantity
    in the term, the deflators, the evidence factor, the discounting), as arrays by name; `credit`
    applies the verdicts."""
    d = rubric.spec.design
    duration = rubric.tender.duration_years
    w = claimed_values(c)
    w["_served"] = ~missing(c["served_outcome"])

    q = _col(c, "quantity")
    w["_q"] = q = np.where(np.isfinite(q) & (q > 0), q, 0.0)
    start, end = _col(c, "start_year"), _col(c, "end_year")
    per_year = q / (end - start + 1)
    last = np.minimum(end, duration)
    in_term_years = np.clip(last - start + 1, 0, None)
    w["per_year_quantity"] = per_year
    w["years_in_term"] = in_term_years
    w["quantity_in_term"] = per_year * in_term_years

    dw = np.where(np.isnan(_col(c, "deadweight")), _col(c, "default_deadweight"), _col(c, "deadweight"))
    at = np.where(np.isnan(_col(c, "attribution")), _col(c, "default_attribution"), _col(c, "attribution"))
    dp = _col(c, "displacement")
    w["deadweight_used"] = dw = np.nan_to_num(dw, nan=0.0)
    w["attribution_used"] = at = np.nan_to_num(at, nan=0.0)
    w["displacement_used"] = dp = np.nan_to_num(dp, nan=0.0)
    w["additionality"] = kernel.additionality(dw, at, dp)
    grade = c["evidence_grade"]
    ef = lookup(grade, d.evidence_factors).to_numpy(dtype=float, na_value=np.nan)
    w["evidence_factor"] = np.nan_to_num(ef, nan=0.0)

    # Validated £ (6.4), per year summed in closed form with cumulative discount factors.
    strong = grade.isin(["E3", "E4"]).to_numpy()
    persist = np.where(strong & (in_term_years > 0), _col(c, "persistence_years"), 0).astype(int)
    w["persistence_credited_years"] = persist
    horizon = int(max(duration, np.max(last, initial=0)) + persist.max(initial=0)) + 1
    df = discount_factors(horizon, rubric.spec.discount.rate, rubric.spec.discount.first_year_discounted)
    cum = np.cumsum(df) - 1.0  # cum[y] = DF(1) + ... + DF(y)
    s0 = np.clip(start, 1, horizon).astype(int) - 1
    l_idx = np.clip(last, 0, horizon).astype(int)
    df_in_term = np.where(in_term_years > 0, cum[l_idx] - cum[np.minimum(s0, l_idx)], 0.0)
    keep = 1.0 - _col(c, "drop_off")
    persist_units = np.zeros(len(c))
    persist_df = np.zeros(len(c))
    for k in range(1, int(persist.max(initial=0)) + 1):  # loops over years, not rows
        w_k = np.where(persist >= k, keep ** k, 0.0)
        persist_units += w_k
        persist_df += w_k * df[np.clip(l_idx + k, 0, horizon)]
    w["_ref"] = np.nan_to_num(_col(c, "ref_value"), nan=0.0)
    w["_persist_units"] = persist_units
    w["df_sum"] = df_in_term + persist_df
    return w


def credit(c: pd.DataFrame, w: dict, error_codes: pd.Series) -> pd.DataFrame:
    """Step two: the checks' verdicts applied to `lens_working`. The design lens credits no commitment
    with an error flag and none that serves no outcome; the walk from claimed £ to credited £ is one
    column per step (they sum to credited - claimed)."""
    errors = error_codes.to_numpy(dtype=object)
    has_error = errors != ""
    credited = ~has_error & w["_served"]
    reason = per_unique(error_codes, lambda v: f"error flags: {v}" if v else "").to_numpy(dtype=object).copy()
    reason[~has_error & ~w["_served"]] = "off-design (SV114)"
    per_year, in_term_years = w["per_year_quantity"], w["years_in_term"]
    add, ef = w["additionality"], w["evidence_factor"]
    unit_value = per_year * w["_ref"]
    credited_value = np.where(credited, unit_value * add * ef * w["df_sum"], 0.0)
    new = {k: w[k] for k in ("figures_value", "claimed_basis")}
    new.update(error_codes=errors, credited=credited, not_credited_reason=reason)
    new.update({k: w[k] for k in ("per_year_quantity", "years_in_term", "quantity_in_term", "deadweight_used",
                                  "attribution_used", "displacement_used", "additionality", "evidence_factor")})
    new["net_quantity"] = np.where(credited, kernel.net_quantity(w["quantity_in_term"], add, ef), 0.0)
    new["persistence_credited_years"] = w["persistence_credited_years"]
    new["df_sum"] = w["df_sum"]
    new["credited_value"] = credited_value

    claimed = w["figures_value"]
    after_checks = np.where(has_error, 0.0, claimed)
    after_design = np.where(credited, after_checks, 0.0)
    at_reference = np.where(credited, w["_q"] * w["_ref"], 0.0)
    in_term = np.where(credited, unit_value * in_term_years, 0.0)
    with_persist = in_term + np.where(credited, unit_value * w["_persist_units"], 0.0)
    deflated = with_persist * add
    evidenced = deflated * ef
    new["walk_claimed"] = claimed
    new["walk_not_credited_errors"] = after_checks - claimed
    new["walk_off_design"] = after_design - after_checks
    new["walk_proxy_corrected"] = at_reference - after_design
    new["walk_beyond_term"] = in_term - at_reference
    new["walk_persistence"] = with_persist - in_term
    new["walk_deflators"] = deflated - with_persist
    new["walk_evidence"] = evidenced - deflated
    new["walk_discounting"] = credited_value - evidenced
    # the explain tables show text as Python strings, None where missing: codes stay inside the engine
    text = {k: as_objects(c[k]) for k in c.columns if isinstance(c[k].dtype, pd.CategoricalDtype)}
    return _attach(c, {**text, **new})


def attainment_cells(valued: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each commitment's label for the sums by bid and outcome, and the bidder-major grid of labels (the
    outcomes in the rubric's order) to read the sums out by: the labels evaluate has always summed by, so
    that sensitivity's draws add in the same order (see kernel.py). Built on the names' codes: a million
    outcome names are not hashed again."""
    o_codes, o_values = factorize(valued["served_outcome"])
    o_pos = pd.Index(o_values, dtype=object).get_indexer(pd.Index(rubric.outcomes["id"].tolist(), dtype=object))
    width = len(o_values) + 1
    labels = positions(bidders, valued["bidder"]).astype(np.int64) * width + o_codes + 1
    grid = (np.arange(len(bidders), dtype=np.int64)[:, None] * width + o_pos[None, :] + 1).ravel()
    # an outcome no commitment serves gets a label no row has (rows of no listed bid have negative labels)
    return labels, np.where(np.tile(o_pos >= 0, len(bidders)), grid, len(bidders) * width)


def attainment(valued: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> pd.DataFrame:
    """Net quantity and attainment of each design outcome by each bid (6.3), long form, bidder-major with
    the outcomes in the rubric's order. Guarded step: the commitments carry their bid, the outcome they
    serve and their net quantity; the bidders are named once each."""
    outcomes = rubric.outcomes
    if outcomes.empty or not bidders:
        return pd.DataFrame(columns=["bidder", "outcome", "name", "unit", "target", "priority", "net_quantity",
                                     "attainment"])
    require_columns(valued, ["bidder", "served_outcome", "net_quantity"], "attainment")
    if len(set(bidders)) != len(bidders):
        raise ValueError("attainment: a bidder is named twice")
    ids = outcomes["id"].tolist()
    labels, cells = attainment_cells(valued, rubric, bidders)
    net = kernel.group_sum(valued["net_quantity"].to_numpy(dtype=float)[None, :], labels, cells)
    net = net.reshape(1, len(bidders), len(ids))
    targets = pd.to_numeric(outcomes["target"], errors="coerce").to_numpy(dtype=float)
    att = kernel.attainment(net, targets, rubric.spec.design.attainment_cap)
    n = len(bidders)
    table = {"bidder": np.repeat(np.asarray(bidders, dtype=object), len(ids)),
             "outcome": np.tile(np.asarray(ids, dtype=object), n)}
    for col in ("name", "unit", "baseline", "target", "priority"):  # the outcomes' own, once per bid
        table[col] = np.tile(outcomes[col].to_numpy(), n)
    table["net_quantity"] = net.ravel()
    table["attainment"] = att.ravel()
    return pd.DataFrame(table)


def design_fraction(att: pd.DataFrame, bidders: list[str]) -> pd.Series:
    """Priority-weighted mean attainment over the outcomes that have a target (others cannot be attained),
    at most 1: the social-value marks never exceed the criterion's weight. Guarded step: `att` is
    `attainment`'s table for these bidders (bidder-major, every bid with the same outcomes)."""
    if att.empty:
        return pd.Series(0.0, index=pd.Index(bidders, name="bidder"))
    require_columns(att, ["bidder", "attainment", "priority"], "design_fraction")
    n = len(bidders)
    o = len(att) // max(n, 1)
    if n * o != len(att) or not np.array_equal(att["bidder"].to_numpy(dtype=object),
                                               np.repeat(np.asarray(bidders, dtype=object), o)):
        raise ValueError("design_fraction: the attainment table is not one row per bidder and outcome, bidder-major")
    a = att["attainment"].to_numpy(dtype=float, na_value=np.nan).reshape(1, n, o)
    priorities = att["priority"].to_numpy(dtype=float, na_value=np.nan)[:o]
    frac = kernel.design_fractions(a, priorities, np.asarray(bidders, dtype=object))[0]
    return pd.Series(frac, index=pd.Index(bidders, name="bidder"))



def credited_by_year(valued: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """The 6.4 sum written out year by year for the given (credited) commitments: the working behind a
    credited £ that a procurement lead can show a supplier. Agrees with `credited_value` to the penny."""
    rows = valued[valued["credited"]]
    if rows.empty:
        return pd.DataFrame(columns=["bidder", "commitment", "year", "phase", "quantity", "reference_proxy",
                                     "additionality", "evidence_factor", "drop_off_factor", "undiscounted",
                                     "discount_factor", "credited_value"])
    duration = rubric.tender.duration_years
    start = rows["start_year"].to_numpy().astype(int)
    last = np.minimum(rows["end_year"].to_numpy(), duration).astype(int)
    n_term = np.clip(last - start + 1, 0, None)
    n_persist = rows["persistence_credited_years"].to_numpy().astype(int)
    counts = n_term + n_persist
    idx = np.repeat(np.arange(len(rows)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    in_term = offset < n_term[idx]
    year = np.where(in_term, start[idx] + offset, last[idx] + (offset - n_term[idx]) + 1)
    k = np.where(in_term, 0, offset - n_term[idx] + 1)
    horizon = int(year.max(initial=duration)) + 1
    df = discount_factors(horizon, rubric.spec.discount.rate, rubric.spec.discount.first_year_discounted)
    take = rows.iloc[idx]
    drop = (1 - take["drop_off"].to_numpy()) ** k
    undiscounted = (take["per_year_quantity"].to_numpy() * take["ref_value"].to_numpy()
                    * take["additionality"].to_numpy() * take["evidence_factor"].to_numpy() * drop)
    return pd.DataFrame({
        "bidder": take["bidder"].to_numpy(), "commitment": take["id"].to_numpy(), "year": year,
        "phase": np.where(in_term, "term", "persistence"), "quantity": take["per_year_quantity"].to_numpy(),
        "reference_proxy": take["ref_value"].to_numpy(), "additionality": take["additionality"].to_numpy(),
        "evidence_factor": take["evidence_factor"].to_numpy(), "drop_off_factor": drop,
        "undiscounted": undiscounted, "discount_factor": df[year], "credited_value": undiscounted * df[year],
    })
