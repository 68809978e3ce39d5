"""The scoring arithmetic of DESIGN.md 6, written once: unvalidated array functions over a batch of draws.

Each function takes numpy arrays whose leading axis is the draw (d). `evaluate` passes one draw (the
tender as published); `sensitivity` passes thousands (weights, scores, deflators, evidence factors and
proxies perturbed). Nothing here checks its input or builds a table: the guarded steps (scoring.py,
valuation.py, evaluation.evaluate) check their preconditions, call these with one draw and return the
explain tables; sensitivity.py builds its arrays once and calls these for each chunk of draws. Both
paths run the same float operations in the same order, so the zero-perturbation draw of the sensitivity
analysis *is* evaluate's result, bit for bit, and a new price formula or tie-break goes here only.

Shapes: d draws, n bids, s scale criteria, o design outcomes, r commitment rows.

Sums are pandas' groupby sums of a long table (one row per bid and criterion, bid and outcome, or
commitment), exactly as the evaluate path has always added them. The labels decide the last bit, not
only the grouping: pandas adds a run of rows already in label order with numpy's pairwise sum, and
anything else with a compensated (Kahan) sum. So a caller that wants evaluate's numbers passes
evaluate's labels: the bids' names for a bid's marks and attainment (`bid_sums`, `design_fractions`),
`valuation.attainment_cells` for commitments to outcomes, bid positions for commitments to bids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RANK_DECIMALS = 9  # totals equal to 9 decimal places are a tie (6.5): float noise never breaks one


# ------------------------------------------------------------------------------------------ sums
def group_sum(values: np.ndarray, labels: np.ndarray, keys) -> np.ndarray:
    """(d, r) -> (d, len(keys)): per draw, the sum of the rows labelled with each key (pandas' groupby
    sum with the draws as columns, so one draw or many add alike). A key no row has sums to 0; rows
    with a label that is not a key count nowhere. Numbers held as Python objects (a score column with
    no score in it) are added as objects and stay objects, as they always have."""
    values = np.asarray(values)
    sums = pd.DataFrame(values.T, copy=False).groupby(labels).sum()
    if values.dtype == object:
        return sums.reindex(keys).fillna(0.0).to_numpy().T
    at = sums.index.get_indexer(keys)
    if not len(sums):
        return np.zeros((values.shape[0], len(at)))
    out = sums.to_numpy().T[:, np.maximum(at, 0)]  # (d, keys), a copy of pandas' (read-only) result
    out[:, at < 0] = 0.0
    np.copyto(out, 0.0, where=np.isnan(out))  # as fillna(0): a sum of +inf and -inf counts nothing
    return out


def bid_sums(values: np.ndarray, bids: np.ndarray) -> np.ndarray:
    """(d, n, k) -> (d, n): each bid's values over the last axis (its criteria), added as a long table
    grouped by bid name. `bids`: the n names."""
    d, n, k = values.shape
    if k <= 2:  # one or two numbers (never -0.0 or NaN here) add to the same float in any order or way
        return values[:, :, 0] + values[:, :, 1] if k == 2 else values[:, :, 0] if k else \
            np.zeros((d, n)).astype(values.dtype)  # Python objects stay objects (see group_sum)
    return group_sum(values.reshape(d, n * k), np.repeat(np.asarray(bids, dtype=object), k), bids)


# ------------------------------------------------------------------------------------------ 6.1 price
def price_marks(prices: np.ndarray, eligible: np.ndarray, weight, method: str) -> tuple[np.ndarray, np.ndarray]:
    """6.1 per draw: relative, weight x lowest / price; linear, weight x max(0, 1 - (price - lowest) /
    lowest); never above the weight. `lowest` is the lowest price among the draw's eligible bids (among
    all bids when none is eligible), so a disqualified bid cannot warp the others' marks; a missing price
    is never the lowest and gets NaN marks.

    prices (n,), eligible (d, n) bool, weight a number or (d, 1). Returns (marks (d, n), lowest (d,)).
    With weight 1 the marks are the price fraction."""
    prices = np.asarray(prices, dtype=float)
    pool = (eligible | ~eligible.any(axis=1, keepdims=True)) & ~np.isnan(prices)
    lowest = np.where(pool.any(axis=1), np.where(pool, prices, np.inf).min(axis=1, initial=np.inf), np.nan)
    low = lowest[:, None]
    if method == "linear":
        marks = weight * np.maximum(0.0, 1 - (prices - low) / low)
    else:  # relative
        marks = weight * low / prices  # (weight x lowest) / price: the order evaluate has always used
    return np.minimum(marks, weight), lowest


# ------------------------------------------------------------------------------------------ 6.2 scale criteria
def scale_marks(scores: np.ndarray, weights, top: float) -> np.ndarray:
    """6.2: weight x score / top of the scale; an unscored cell (NaN) earns 0. scores (d, n, s), weights
    (s,) or (d, 1, s). With weights 1 the marks are the scale fractions."""
    marks = weights * scores / top
    return np.where(np.isnan(marks), 0.0, marks)


def below_threshold(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """A score under its criterion's minimum (NaN threshold: none; NaN score: unscored, not below: a
    comparison with NaN is false)."""
    return scores < thresholds


def eligibility(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(d, n, s) scores -> (d, n): a bid is eligible unless it scored below a minimum on some criterion."""
    return ~below_threshold(scores, thresholds).any(axis=-1)


# ------------------------------------------------------------------------------------------ 6.3 design lens
def additionality(deadweight, attribution, displacement):
    """The share of a commitment that is the supplier's own doing: (1-dw)(1-at)(1-dp)."""
    return (1 - deadweight) * (1 - attribution) * (1 - displacement)


def net_quantity(quantity_in_term, additionality, evidence_factor):
    """Net quantity of a commitment: its quantity in the term x additionality x evidence factor."""
    return quantity_in_term * additionality * evidence_factor


def attainment(net: np.ndarray, targets: np.ndarray, cap: float) -> np.ndarray:
    """(d, n, o) net quantities per bid and outcome -> attainment: net / target, at most `cap`; NaN for
    an outcome without a target (it cannot be attained)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(targets), np.nan, np.minimum(cap, net / targets))


def design_fractions(att: np.ndarray, priorities: np.ndarray, bids: np.ndarray) -> np.ndarray:
    """(d, n, o) attainment -> (d, n): the priority-weighted mean over the outcomes that can be attained,
    at most 1 (a cap above 1 lets over-delivery on one outcome make up for another, never more than full
    marks); 0 when no outcome can be attained. `bids`: the n names (the sums' labels)."""
    d, n, o = att.shape
    usable = ~np.isnan(att)
    cells = usable.any(axis=0).ravel()  # the long table's rows: a cell some draw can attain
    labels = np.repeat(np.asarray(bids, dtype=object), o)[cells]
    num = group_sum(np.where(usable, att * priorities, np.nan).reshape(d, n * o)[:, cells], labels, bids)
    if (usable == usable[:1]).all():  # the same outcomes attainable in every draw: one denominator
        den = group_sum(np.where(usable[:1], priorities, np.nan).reshape(1, n * o)[:, cells], labels, bids)
    else:
        den = group_sum(np.where(usable, priorities, np.nan).reshape(d, n * o)[:, cells], labels, bids)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(den > 0, num / den, np.nan)
    frac = np.where(np.isnan(frac), 0.0, frac)
    return np.where(frac > 1.0, 1.0, frac)


# ------------------------------------------------------------------------------------------ 3 figures lens
def figures_fractions(claimed: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d, n) claimed £ -> (fractions (d, n), best (d,)): each claim over the best eligible claim, within
    0-1; all 0 when no eligible bid claims anything above 0 (best is then 0, or the best claim if <= 0)."""
    best = np.where(eligible.any(axis=1), np.where(eligible, claimed, -np.inf).max(axis=1, initial=-np.inf), 0.0)
    b = best[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(claimed < 0, 0.0, claimed) / b
    frac = np.where(frac > 1.0, 1.0, frac)
    return np.where(b > 0, frac, claimed * 0.0), best


# ------------------------------------------------------------------------------------------ 6.5 totals and ranks
def totals(price, quality, sv_scale, social_value):
    """A bid's total: price + quality + social-value scale criteria + the lens's social-value marks,
    added in that order (the order changes the last bit, and evaluate has always added this way)."""
    return price + quality + sv_scale + social_value


TIE_BREAK = ("quality", "price")  # 6.5's default order after the total


def ranks(total: np.ndarray, quality: np.ndarray, price: np.ndarray, eligible: np.ndarray, *,
          tie_break=TIE_BREAK, social_value: np.ndarray | None = None, ascending: bool = False) -> np.ndarray:
    """6.5 per draw: eligible bids by higher total (with `ascending`, by LOWER total: price per quality
    point), then by the `tie_break` keys in order: "quality" (higher quality marks), "price" (lower price; a
    missing price counts as the highest), "social_value" (higher social-value marks, `social_value` (d, n)).
    Bids equal on every key share the rank of the first of them, so a rank is 1 + the number of bids
    strictly ahead. 0 = not ranked (not eligible in that draw).

    total, quality, eligible (d, n); price (n,). A sort per draw, O(n log n)."""
    d, n = total.shape
    if n == 0:
        return np.zeros((d, 0), dtype=np.int64)
    t = np.round(total, RANK_DECIMALS)
    t = np.where(np.isnan(t), np.inf, t) if ascending else t  # no quality points: never ahead
    keys = [t if ascending else -t]  # each key: lower sorts first
    for name in tie_break:
        if name == "quality":
            keys.append(-np.round(quality, RANK_DECIMALS))
        elif name == "price":
            keys.append(np.broadcast_to(np.where(np.isnan(price), np.inf, price)[None, :], t.shape))
        elif name == "social_value":
            keys.append(-np.round(social_value, RANK_DECIMALS))
        else:
            raise ValueError(f"ranks: unknown tie-break {name!r}")
    order = np.lexsort(tuple(reversed(keys)) + (~eligible,), axis=1)  # last key first: ineligible sort last
    same = np.zeros((d, n), dtype=bool)
    same[:, 1:] = True
    for key in keys:
        ks = np.take_along_axis(np.broadcast_to(key, (d, n)), order, axis=1)
        same[:, 1:] &= ks[:, 1:] == ks[:, :-1]
    position = np.broadcast_to(np.arange(1, n + 1), (d, n))
    first = np.maximum.accumulate(np.where(same, 0, position), axis=1)
    out = np.empty((d, n), dtype=np.int64)
    np.put_along_axis(out, order, first, axis=1)
    return np.where(eligible, out, 0)


def price_per_point(price: np.ndarray, quality_points: np.ndarray) -> np.ndarray:
    """9.5: price / quality points per draw ((n,) prices, (d, n) points); lowest wins. No quality points
    (or no price) gives NaN: such a bid is never ahead of one that has a price per point."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(quality_points > 0, price / quality_points, np.nan)


# ------------------------------------------------------------------------------------------ 9 trees and gates
def group_marks(leaf_marks: np.ndarray, members: list) -> np.ndarray:
    """9.1: (d, n, k) marks of the leaves -> (d, n, g): each group's marks, the sum of its leaves' marks
    (members[g]: the leaf positions under group g, in tree order) added left to right from 0, exactly the
    sum a reader makes of the rows shown under it (no rounding: round only for display)."""
    d, n, _ = leaf_marks.shape
    out = np.zeros((d, n, len(members)))
    for g, leaves in enumerate(members):
        acc = np.zeros((d, n))
        for k in leaves:
            acc = acc + leaf_marks[:, :, k]
        out[:, :, g] = acc
    return out


def below_min_share(marks: np.ndarray, weights, min_shares, known: np.ndarray | None = None) -> np.ndarray:
    """9.1: (d, n, g) group marks -> bool: under `min_share` (a fraction, NaN: none) of the group's weight.
    `known` (d, n, g): the group is fully scored (an unscored group is not below: it is incomplete)."""
    below = marks < np.asarray(min_shares, dtype=float) * np.asarray(weights, dtype=float)
    return below & known if known is not None else below


def pass_fail_failed(results: np.ndarray) -> np.ndarray:
    """9.2: (d, n, p) results (1 pass, 0 fail, NaN unresolved) -> (d, n): some question failed."""
    return (results == 0).any(axis=-1)


def over_budget(prices: np.ndarray, budget) -> np.ndarray:
    """9: (n,) prices above the budget (None: no ceiling); a missing price is not over."""
    prices = np.asarray(prices, dtype=float)
    if budget is None:
        return np.zeros(prices.shape, dtype=bool)
    return prices > float(budget)


def mandatory_unmet(net: np.ndarray, mandatory: np.ndarray) -> np.ndarray:
    """9: (d, n, o) net quantities credited per bid and outcome -> (d, n, o): a mandatory outcome (o,) bool
    towards which nothing (0, or no credited commitment) is credited in the design lens."""
    return np.asarray(mandatory, dtype=bool) & ~(net > 0)
