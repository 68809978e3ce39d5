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

from .rubric import Rubric

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


def prepare(commitments: pd.DataFrame, bids: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Attach what the checks and both lenses need: the reference proxy row, the bid's price, and the
    design outcome each commitment serves (its named outcome, or the first whose measures include it)."""
    c = commitments.copy()
    table = rubric.proxies
    c["known_measure"] = c["measure"].isin(table.index).to_numpy()
    ref = table.reindex(c["measure"].astype(object).where(c["known_measure"], None))
    for col, name in (("value", "ref_value"), ("low", "ref_low"), ("high", "ref_high"), ("unit", "ref_unit"),
                      ("kind", "ref_kind"), ("exclusive_group", "exclusive_group"),
                      ("deadweight", "default_deadweight"), ("attribution", "default_attribution"),
                      ("price_year", "price_year"), ("source", "proxy_source")):
        c[name] = ref[col].to_numpy()
    for name in ("ref_value", "ref_low", "ref_high", "default_deadweight", "default_attribution"):
        c[name] = pd.to_numeric(c[name], errors="coerce").astype(float)
    c["exclusive_group"] = c["exclusive_group"].astype(object).where(c["exclusive_group"].notna()
                                                                    & (c["exclusive_group"].astype(str) != ""), None)
    c["local_only"] = ref["local_only"].fillna(False).to_numpy(dtype=bool)
    price = bids.set_index("bidder")["price"] if len(bids) else pd.Series(dtype=float)
    c["price"] = c["bidder"].map(price).astype(float)

    unit = c["unit"].where(c["unit"].notna(), c["ref_unit"]).astype("str").str.strip().str.lower()
    served = pd.Series(None, index=c.index, dtype=object)
    required = pd.Series(None, index=c.index, dtype=object)
    for o in rubric.spec.design.outcomes:
        if o.measures:
            fits = c["measure"].isin(o.measures) & (c["outcome"].isna() | (c["outcome"] == o.id))
        else:
            fits = (c["outcome"] == o.id) & (unit == (o.unit or "").strip().lower())
        take = fits.fillna(False).to_numpy(dtype=bool) & served.isna().to_numpy()
        served[take] = o.id
        required[take] = o.evidence_required
    c["served_outcome"] = served
    c["required_grade"] = required
    return c


def claimed_values(c: pd.DataFrame) -> pd.DataFrame:
    """Figures lens (`figures_value`): claimed_value if given, else quantity × claimed proxy, else quantity × reference proxy."""
    q = c["quantity"].where(np.isfinite(c["quantity"].fillna(np.nan)), np.nan)
    by_proxy = q * c["claimed_proxy"]
    by_ref = q * c["ref_value"]
    claimed = c["claimed_value"].where(c["claimed_value"].notna(), by_proxy.where(c["claimed_proxy"].notna(), by_ref))
    basis = np.where(c["claimed_value"].notna(), "claimed value",
                     np.where(c["claimed_proxy"].notna(), "quantity × claimed proxy",
                              np.where(c["known_measure"], "quantity × reference proxy", "nothing (unknown measure)")))
    return pd.DataFrame({"figures_value": claimed.fillna(0.0), "claimed_basis": basis}, index=c.index)


def value_commitments(c: pd.DataFrame, rubric: Rubric, error_codes: pd.Series) -> pd.DataFrame:
    """Both lenses for every commitment, with every intermediate kept (the explain table of 6.3 and 6.4)."""
    d = rubric.spec.design
    duration = rubric.tender.duration_years
    out = c.copy()
    out = out.join(claimed_values(c))
    out["error_codes"] = error_codes.to_numpy()
    out["credited"] = (out["error_codes"] == "").to_numpy() & out["served_outcome"].notna().to_numpy()
    out["not_credited_reason"] = np.where(out["error_codes"] != "", "error flags: " + out["error_codes"].astype(str),
                                          np.where(out["served_outcome"].isna(), "off-design (SV114)", ""))

    q = out["quantity"].where(np.isfinite(out["quantity"].fillna(np.nan)) & (out["quantity"] > 0), 0.0).fillna(0.0)
    start, end = out["start_year"].to_numpy(), out["end_year"].to_numpy()
    years = end - start + 1
    per_year = q.to_numpy() / years
    last = np.minimum(end, duration)
    in_term_years = np.clip(last - start + 1, 0, None)
    out["per_year_quantity"] = per_year
    out["years_in_term"] = in_term_years
    out["quantity_in_term"] = per_year * in_term_years

    out["deadweight_used"] = out["deadweight"].fillna(out["default_deadweight"]).fillna(0.0)
    out["attribution_used"] = out["attribution"].fillna(out["default_attribution"]).fillna(0.0)
    out["displacement_used"] = out["displacement"].fillna(0.0)
    additionality = ((1 - out["deadweight_used"]) * (1 - out["attribution_used"]) * (1 - out["displacement_used"]))
    out["additionality"] = additionality
    factors = d.evidence_factors
    out["evidence_factor"] = out["evidence_grade"].map(factors).astype(float).fillna(0.0)
    credited = out["credited"].to_numpy()
    out["net_quantity"] = np.where(credited, out["quantity_in_term"] * additionality * out["evidence_factor"], 0.0)

    # Validated £ (6.4), per year summed in closed form with cumulative discount factors.
    strong = out["evidence_grade"].isin(["E3", "E4"]).to_numpy()
    persist = np.where(strong & (in_term_years > 0), out["persistence_years"].to_numpy(), 0).astype(int)
    out["persistence_credited_years"] = persist
    horizon = int(max(duration, np.max(last, initial=0)) + (persist.max() if len(persist) else 0)) + 1
    df = discount_factors(horizon, rubric.spec.discount.rate, rubric.spec.discount.first_year_discounted)
    cum = np.cumsum(df) - 1.0  # cum[y] = DF(1) + ... + DF(y)
    s = np.clip(start, 1, horizon).astype(int) - 1
    l_idx = np.clip(last, 0, horizon).astype(int)
    df_in_term = np.where(in_term_years > 0, cum[l_idx] - cum[np.minimum(s, l_idx)], 0.0)
    keep = 1.0 - out["drop_off"].to_numpy()
    persist_units = np.zeros(len(out))
    persist_df = np.zeros(len(out))
    for k in range(1, int(persist.max(initial=0)) + 1):
        on = persist >= k
        w = np.where(on, keep ** k, 0.0)
        persist_units += w
        persist_df += w * df[np.clip(l_idx + k, 0, horizon)]
    ref = out["ref_value"].fillna(0.0).to_numpy()
    unit_value = per_year * ref
    ef = out["evidence_factor"].to_numpy()
    add = additionality.to_numpy()
    out["df_sum"] = df_in_term + persist_df
    out["credited_value"] = np.where(credited, unit_value * add * ef * (df_in_term + persist_df), 0.0)

    # The walk from claimed £ to credited £, one column per step (they sum to credited - claimed).
    claimed = out["figures_value"].to_numpy()
    after_checks = np.where(out["error_codes"] != "", 0.0, claimed)
    after_design = np.where(credited, after_checks, 0.0)
    at_reference = np.where(credited, q.to_numpy() * ref, 0.0)
    in_term = np.where(credited, unit_value * in_term_years, 0.0)
    with_persist = in_term + np.where(credited, unit_value * persist_units, 0.0)
    deflated = with_persist * add
    evidenced = deflated * ef
    out["walk_claimed"] = claimed
    out["walk_not_credited_errors"] = after_checks - claimed
    out["walk_off_design"] = after_design - after_checks
    out["walk_proxy_corrected"] = at_reference - after_design
    out["walk_beyond_term"] = in_term - at_reference
    out["walk_persistence"] = with_persist - in_term
    out["walk_deflators"] = deflated - with_persist
    out["walk_evidence"] = evidenced - deflated
    out["walk_discounting"] = out["credited_value"].to_numpy() - evidenced
    return out


def attainment(valued: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> pd.DataFrame:
    """Net quantity and attainment of each design outcome by each bid (6.3), long form."""
    outcomes = rubric.outcomes
    if outcomes.empty or not bidders:
        return pd.DataFrame(columns=["bidder", "outcome", "name", "unit", "target", "priority", "net_quantity",
                                     "attainment"])
    net = valued.groupby(["bidder", "served_outcome"], observed=True)["net_quantity"].sum()
    grid = pd.MultiIndex.from_product([bidders, outcomes["id"].tolist()], names=["bidder", "outcome"])
    table = pd.DataFrame(index=grid).reset_index()
    table["net_quantity"] = net.reindex(grid).fillna(0.0).to_numpy()
    meta = outcomes.set_index("id")
    for col in ("name", "unit", "target", "priority", "baseline"):
        table[col] = table["outcome"].map(meta[col]).to_numpy()
    target = pd.to_numeric(table["target"], errors="coerce")
    cap = rubric.spec.design.attainment_cap
    table["attainment"] = np.minimum(cap, table["net_quantity"] / target).where(target.notna())
    return table[["bidder", "outcome", "name", "unit", "baseline", "target", "priority", "net_quantity",
                  "attainment"]]


def design_fraction(att: pd.DataFrame, bidders: list[str]) -> pd.Series:
    """Priority-weighted mean attainment over the outcomes that have a target (others cannot be attained)."""
    if att.empty:
        return pd.Series(0.0, index=pd.Index(bidders, name="bidder"))
    usable = att[att["attainment"].notna()]
    weight = usable["priority"].astype(float)
    num = (usable["attainment"] * weight).groupby(usable["bidder"]).sum()
    den = weight.groupby(usable["bidder"]).sum()
    frac = (num / den.where(den > 0)).reindex(bidders).fillna(0.0)
    frac.index.name = "bidder"
    return frac


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
