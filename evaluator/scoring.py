"""Marks: price (6.1), scale criteria with evaluators' scores (6.2), the two social-value lenses, totals
and ranks (6.5), and the bid checks that come from them (SV2xx).

Each step returns its table with the inputs beside the marks, so a lead can show a supplier the sum.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from . import kernel
from .flags import empty_flags, make_flags
from .guards import require_columns, require_unique
from .rubric import Rubric
from .scores import MODERATED, SCORE_COLUMNS, empty_scores

LOW_PRICE_SHARE = 0.8


def price_marks(bids: pd.DataFrame, rubric: Rubric, eligible: pd.Series) -> pd.DataFrame:
    """6.1: relative (weight × lowest / price) or linear (weight × max(0, 1 - (price - lowest) / lowest)).
    `lowest` is over eligible bids only, so a disqualified bid cannot warp the others' marks.
    Guarded step: the bids named once each, `eligible` by bidder (a bid it does not name is not eligible)."""
    require_columns(bids, ["bidder", "price"], "price_marks")
    require_unique(bids["bidder"], "price_marks")
    crit = rubric.price_criterion
    table = pd.DataFrame({"bidder": bids["bidder"].to_numpy(), "price": bids["price"].astype(float).to_numpy()})
    if crit is None:
        table["lowest"], table["method"], table["weight"], table["marks"] = np.nan, None, 0.0, 0.0
        return table
    ok = eligible.reindex(table["bidder"]).fillna(False).to_numpy(dtype=bool)
    method = crit.method or "relative"
    marks, lowest = kernel.price_marks(table["price"].to_numpy(), ok[None, :], crit.weight, method)
    table["lowest"], table["method"], table["weight"] = float(lowest[0]), method, crit.weight
    table["marks"] = marks[0]
    return table


def scale_marks(scores: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """6.2 for every bid and scale criterion: the MODERATED score, else the evaluators' median, else
    unscored (0 marks). Returns (table, SV205/SV206/SV207 flags). Guarded step: the scores have their
    columns, the bidders are named once each."""
    require_columns(scores if scores is not None else empty_scores(), SCORE_COLUMNS, "scale_marks")
    require_unique(pd.Series(bidders, dtype=object), "scale_marks")
    crits = rubric.scale_criteria
    scale = rubric.scale
    top = rubric.scale_max
    grid = pd.MultiIndex.from_product([bidders, [c.id for c in crits]], names=["bidder", "criterion"])
    table = pd.DataFrame(index=grid).reset_index()
    meta = {c.id: c for c in crits}
    table["name"] = table["criterion"].map(lambda i: meta[i].name or i)
    table["weight"] = table["criterion"].map(lambda i: meta[i].weight).astype(float)
    table["threshold"] = table["criterion"].map(lambda i: meta[i].threshold).astype(float)
    table["social_value"] = table["criterion"].map(lambda i: meta[i].social_value).astype(bool)
    s = scores if scores is not None and len(scores) else empty_scores()
    panel = s[s["evaluator"] != MODERATED]
    moderated = s[s["evaluator"] == MODERATED].set_index(["bidder", "criterion"])
    grouped = panel.groupby(["bidder", "criterion"])["score"]
    stats = pd.DataFrame({"n_evaluators": grouped.size(), "median": grouped.median(), "low": grouped.min(),
                          "high": grouped.max()})
    stats = stats.reindex(grid)
    table["n_evaluators"] = stats["n_evaluators"].fillna(0).astype(int).to_numpy()
    table["evaluator_median"] = stats["median"].to_numpy()
    table["lowest_score"] = stats["low"].to_numpy()
    table["highest_score"] = stats["high"].to_numpy()
    table["moderated"] = moderated["score"].reindex(grid).to_numpy() if len(moderated) else np.nan
    rationale = moderated["rationale"].reindex(grid).to_numpy() if len(moderated) else None
    table["moderated_rationale"] = rationale
    table["score"] = table["moderated"].where(table["moderated"].notna(), table["evaluator_median"])
    table["basis"] = np.where(table["moderated"].notna(), "moderated",
                              np.where(table["n_evaluators"] > 1, "median of evaluators (no consensus)",
                                       np.where(table["n_evaluators"] == 1, "single evaluator", "unscored")))
    table["scored"] = table["score"].notna()
    shape = (1, len(bidders), len(crits))  # one draw; the grid is bidder-major
    weights = np.array([float(c.weight) for c in crits])
    thresholds = np.array([np.nan if c.threshold is None else float(c.threshold) for c in crits])
    score = table["score"].to_numpy(dtype=float).reshape(shape)
    marks = kernel.scale_marks(score, weights, top).ravel()
    # a score column with no score in it is one of Python objects: its marks are too, as they print
    table["marks"] = marks.astype(object) if table["score"].dtype == object else marks
    table["below_threshold"] = kernel.below_threshold(score, thresholds).ravel()

    steps = lambda v: np.searchsorted(scale, v)  # noqa: E731 - index on the scale
    spread = pd.Series(steps(table["highest_score"].fillna(0)) - steps(table["lowest_score"].fillna(0)))
    blocks = []
    hit = (table["n_evaluators"] > 1) & (spread > 2)
    if hit.any():
        d = table[hit]
        blocks.append(make_flags(
            "SV205", d["bidder"].to_numpy(),
            ("evaluators' scores for " + d["criterion"] + " range from " + d["lowest_score"].map("{:g}".format)
             + " to " + d["highest_score"].map("{:g}".format) + ", " + spread[hit].astype(str)
             + " scale steps apart").to_numpy(),
            criterion=d["criterion"].to_numpy()))
    hit = (table["n_evaluators"] > 1) & table["moderated"].isna()
    if hit.any():
        d = table[hit]
        blocks.append(make_flags(
            "SV206", d["bidder"].to_numpy(),
            (d["n_evaluators"].astype(str) + " evaluators scored " + d["criterion"]
             + " but no MODERATED score is recorded; their median " + d["evaluator_median"].map("{:g}".format)
             + " is used").to_numpy(),
            criterion=d["criterion"].to_numpy()))
    hit = ~table["scored"]
    if hit.any():
        d = table[hit]
        blocks.append(make_flags(
            "SV207", d["bidder"].to_numpy(),
            ("criterion " + d["criterion"] + " (" + d["name"] + ") has no score: 0 marks until it is scored").to_numpy(),
            criterion=d["criterion"].to_numpy()))
    hit = table["below_threshold"]
    if hit.any():
        d = table[hit]
        blocks.append(make_flags(
            "SV203", d["bidder"].to_numpy(),
            ("scored " + d["score"].map("{:g}".format) + " on " + d["criterion"] + " (" + d["name"]
             + "), below the minimum of " + d["threshold"].map("{:g}".format) + ": the bid is disqualified").to_numpy(),
            criterion=d["criterion"].to_numpy()))
    flags = pd.concat(blocks, ignore_index=True) if blocks else empty_flags()
    return table, flags


def missing_responses(responses: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> pd.DataFrame:
    """SV202: a scale criterion the bid says nothing about."""
    crits = [c for c in rubric.scale_criteria]
    if not crits or not bidders:
        return empty_flags()
    grid = pd.MultiIndex.from_product([bidders, [c.id for c in crits]], names=["bidder", "criterion"])
    have = pd.MultiIndex.from_frame(responses[["bidder", "criterion"]]) if len(responses) else grid[:0]
    missing = grid[~grid.isin(have)].to_frame(index=False)
    if missing.empty:
        return empty_flags()
    names = {c.id: c.name or c.id for c in crits}
    return make_flags("SV202", missing["bidder"].to_numpy(),
                      ("no response to " + missing["criterion"] + " (" + missing["criterion"].map(names) + ")").to_numpy(),
                      criterion=missing["criterion"].to_numpy())


def price_flags(prices: pd.DataFrame) -> pd.DataFrame:
    """SV204: a price under 80% of the median of all bids' prices."""
    p = prices.dropna(subset=["price"])
    if p.empty:
        return empty_flags()
    median = float(p["price"].median())
    low = p[p["price"] < LOW_PRICE_SHARE * median]
    if low.empty:
        return empty_flags()
    return make_flags("SV204", low["bidder"].to_numpy(),
                      ("price £" + low["price"].map("{:,.0f}".format) + f" is under 80% of the median bid price "
                       f"£{median:,.0f} ({LOW_PRICE_SHARE * median:,.0f})").to_numpy())


def claimed_share_flags(claimed: pd.Series, rubric: Rubric) -> pd.DataFrame:
    """SV201: a claimed £ above the benchmark share of the contract value."""
    share = rubric.spec.benchmarks.max_claimed_share
    value = rubric.tender.contract_value
    over = claimed[claimed > share * value]
    if over.empty:
        return empty_flags()
    return make_flags("SV201", over.index.to_numpy(),
                      ("claims £" + over.map("{:,.0f}".format) + " of social value, "
                       + (over / value * 100).map("{:.0f}".format) + f"% of the £{value:,.0f} contract "
                       f"(benchmark: {share * 100:.0f}%)").to_numpy())


def rank(total: pd.Series, quality: pd.Series, price: pd.Series, eligible: pd.Series) -> pd.Series:
    """6.5: rank eligible bids by total; ties by higher quality marks, then lower price, else shared.
    Guarded step: the four series are one per bid, on the same index; an ineligible bid gets no rank."""
    for name, s in (("quality", quality), ("price", price), ("eligible", eligible)):
        if not s.index.equals(total.index):
            raise ValueError(f"rank: {name} is not indexed like total (one value per bid, in the same order)")
    r = kernel.ranks(total.to_numpy(dtype=float, na_value=np.nan)[None, :],
                     quality.to_numpy(dtype=float, na_value=np.nan)[None, :],
                     price.to_numpy(dtype=float, na_value=np.nan), eligible.to_numpy(dtype=bool)[None, :])[0]
    return pd.Series(np.where(r > 0, r, np.nan), index=total.index).astype("Int64")

