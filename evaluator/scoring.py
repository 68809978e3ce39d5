"""Marks: price (6.1), scale criteria with evaluators' scores (6.2), the two social-value lenses, totals
and ranks (6.5), the criteria tree's groups (9.1) and pass/fail questions (9.2), and the bid checks that
come from them (SV2xx).

Each step returns its table with the inputs beside the marks, so a lead can show a supplier the sum.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from . import kernel
from .flags import empty_flags, make_flags
from .formatting import money
from .guards import require_columns, require_unique
from .rubric import Rubric
from .scores import MODERATED, SCORE_COLUMNS, empty_scores

LOW_PRICE_SHARE = 0.8     # abnormally_low median_share's default
BELOW_MEAN_SHARE = 0.15  # abnormally_low below_mean_excluding_highest's default


def price_marks(bids: pd.DataFrame, rubric: Rubric, eligible: pd.Series) -> pd.DataFrame:
    """6.1: relative (weight × lowest / price) or linear (weight × max(0, 1 - (price - lowest) / lowest)).
    `lowest` is over eligible bids only, so a disqualified bid cannot warp the others' marks.
    Guarded step: the bids named once each, `eligible` by bidder (a bid it does not name is not eligible)."""
    require_columns(bids, ["bidder", "price"], "price_marks")
    require_unique(bids["bidder"], "price_marks")
    crit = rubric.price_criterion
    bidder, price = bids["bidder"].to_numpy(), bids["price"].astype(float).to_numpy()
    if crit is None:
        return pd.DataFrame({"bidder": bidder, "price": price, "lowest": np.nan, "method": None, "weight": 0.0,
                             "marks": 0.0})
    at = pd.Index(eligible.index, dtype=object).get_indexer(pd.Index(bidder, dtype=object))  # -1: not named
    ok = np.append(eligible.fillna(False).to_numpy(dtype=bool), False)[at]
    method = crit.method or "relative"
    marks, lowest = kernel.price_marks(price, ok[None, :], crit.weight, method)
    return pd.DataFrame({"bidder": bidder, "price": price, "lowest": float(lowest[0]), "method": method,
                         "weight": crit.weight, "marks": marks[0]})


def scale_marks(scores: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """6.2 for every bid and scale criterion: the MODERATED score, else the evaluators' median, else
    unscored (0 marks). Returns (table, SV205/SV206/SV207 flags). Guarded step: the scores have their
    columns, the bidders are named once each."""
    require_columns(scores if scores is not None else empty_scores(), SCORE_COLUMNS, "scale_marks")
    require_unique(pd.Series(bidders, dtype=object), "scale_marks")
    crits = rubric.scale_criteria
    ids = [c.id for c in crits]
    scales = {c.id: _scale_of(rubric, c.id) for c in crits}  # each criterion's own scale, else the rubric's
    tops = np.array([float(scales[c.id][-1]) for c in crits])
    n_b, n_c = len(bidders), len(crits)
    size = n_b * n_c
    s = scores if scores is not None and len(scores) else empty_scores()
    # each score's cell in the bidder-major grid (bid, criterion); rows of no listed bid or criterion: left out
    b_at = pd.Index(bidders, dtype=object).get_indexer(pd.Index(s["bidder"].to_numpy(dtype=object)))
    c_at = pd.Index(ids, dtype=object).get_indexer(pd.Index(s["criterion"].to_numpy(dtype=object)))
    keep = (b_at >= 0) & (c_at >= 0)
    cell = b_at * n_c + c_at
    value = s["score"].to_numpy(dtype=float, na_value=np.nan)
    is_mod = s["evaluator"].to_numpy(dtype=object) == MODERATED
    # the evaluators' scores (MODERATED apart) of each cell: how many, median, lowest, highest
    at = np.flatnonzero(keep & ~is_mod)
    order = at[np.lexsort((value[at], cell[at]))]  # by cell, then score
    n_eval = np.bincount(cell[order], minlength=size)
    first = np.cumsum(n_eval) - n_eval
    has = n_eval > 0
    sorted_values = np.append(value[order], np.nan)
    pick = np.where(has, first, len(order))
    low = sorted_values[pick]
    high = sorted_values[np.where(has, first + n_eval - 1, len(order))]
    median = (sorted_values[np.where(has, first + (n_eval - 1) // 2, len(order))]
              + sorted_values[np.where(has, first + n_eval // 2, len(order))]) / 2
    if s["score"].dtype == object:  # no score at all: the columns are of Python objects, as pandas gives them
        low, high, median = low.astype(object), high.astype(object), median.astype(object)
    # the MODERATED score and its rationale
    mod_rows = np.flatnonzero(keep & is_mod)
    mod_at = np.full(size, -1, dtype=np.intp)
    mod_at[cell[mod_rows]] = mod_rows
    if is_mod.any():
        moderated = np.where(mod_at >= 0, value[mod_at], np.nan)
        rationale = s["rationale"].array.take(mod_at, allow_fill=True)
    else:
        moderated, rationale = np.full(size, np.nan), None
    named = ~np.isnan(moderated)
    score = np.where(named, moderated, median) if median.dtype != object else pd.Series(moderated).where(
        named, pd.Series(median, dtype=object)).to_numpy()
    basis = np.where(named, "moderated",
                     np.where(n_eval > 1, "median of evaluators (no consensus)",
                              np.where(n_eval == 1, "single evaluator", "unscored")))
    shape = (1, n_b, n_c)  # one draw; the grid is bidder-major
    weights = np.array([float(c.weight) for c in crits])
    thresholds = np.array([np.nan if c.threshold is None else float(c.threshold) for c in crits])
    score3 = np.asarray(score, dtype=float).reshape(shape)
    marks = kernel.scale_marks(score3, weights, tops).ravel()
    table = pd.DataFrame({
        "bidder": np.repeat(np.asarray(bidders, dtype=object), n_c),
        "criterion": np.tile(np.asarray(ids, dtype=object), n_b),
        "name": np.tile(np.asarray([c.name or c.id for c in crits], dtype=object), n_b),
        "weight": np.tile(weights, n_b),
        "threshold": np.tile(thresholds, n_b),
        "social_value": np.tile(np.array([bool(c.social_value) for c in crits], dtype=bool), n_b),
        "n_evaluators": n_eval.astype(int),
        "evaluator_median": median,
        "lowest_score": low,
        "highest_score": high,
        "moderated": moderated,
        "moderated_rationale": rationale,
        "score": score,
        "basis": basis,
        "scored": ~pd.isna(score),
        # a score column with no score in it is one of Python objects: its marks are too, as they print
        "marks": marks.astype(object) if score.dtype == object else marks,
        "below_threshold": kernel.below_threshold(score3, thresholds).ravel(),
    })

    steps = np.zeros(size, dtype=np.int64)  # steps on the criterion's scale between lowest and highest
    crit_at = np.tile(np.arange(n_c), n_b)
    low_0 = np.nan_to_num(np.asarray(low, dtype=float), nan=0.0)
    high_0 = np.nan_to_num(np.asarray(high, dtype=float), nan=0.0)
    for j, scale in enumerate(scales.values()):
        at = crit_at == j
        steps[at] = np.searchsorted(scale, high_0[at]) - np.searchsorted(scale, low_0[at])
    spread = pd.Series(steps, index=table.index)
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
    ids = [c.id for c in crits]
    n_c = len(ids)
    have = np.zeros(len(bidders) * n_c, dtype=bool)  # the bidder-major grid (bid, criterion)
    if len(responses):
        b_at = pd.Index(bidders, dtype=object).get_indexer(pd.Index(responses["bidder"].to_numpy(dtype=object)))
        c_at = pd.Index(ids, dtype=object).get_indexer(pd.Index(responses["criterion"].to_numpy(dtype=object)))
        have[(b_at * n_c + c_at)[(b_at >= 0) & (c_at >= 0)]] = True
    at = np.flatnonzero(~have)
    if not len(at):
        return empty_flags()
    bidder = np.asarray(bidders, dtype=object)[at // n_c]
    criterion = np.asarray(ids, dtype=object)[at % n_c]
    names = np.asarray([c.name or c.id for c in crits], dtype=object)[at % n_c]
    return make_flags("SV202", bidder, np.array([f"no response to {c} ({nm})" for c, nm in zip(criterion, names)],
                                                dtype=object), criterion=criterion)


def price_flags(prices: pd.DataFrame, rule=None) -> pd.DataFrame:
    """SV204 by the rubric's `abnormally_low` rule (None: the default, median_share 0.8): median_share, a
    price under `share` of the median of all bids' prices; below_mean_excluding_highest, a price more than
    `share` below the mean of the other bids' prices with the highest of them left out."""
    p = prices.dropna(subset=["price"])
    if p.empty:
        return empty_flags()
    name = getattr(rule, "rule", "median_share")
    share = getattr(rule, "share", None)
    if share is None:
        share = LOW_PRICE_SHARE if name == "median_share" else BELOW_MEAN_SHARE
    if name == "below_mean_excluding_highest":
        return _below_mean_flags(p, share)
    median = float(p["price"].median())
    low = p[p["price"] < share * median]
    if low.empty:
        return empty_flags()
    return make_flags("SV204", low["bidder"].to_numpy(),
                      ("price " + low["price"].map(money) + f" is under {share * 100:g}% of the median bid price "
                       f"{money(median)}: the threshold is {money(share * median)}").to_numpy())


def _below_mean_flags(p: pd.DataFrame, share: float) -> pd.DataFrame:
    """below_mean_excluding_highest: each price against the mean of the other bids' prices, the highest
    of them left out (at least two others needed, so there is a mean after leaving one out)."""
    prices = p["price"].to_numpy(dtype=float)
    bidders, messages = [], []
    for i, price in enumerate(prices):
        others = np.delete(prices, i)
        if len(others) < 2:
            continue
        kept = np.delete(others, int(np.argmax(others)))
        mean = float(kept.mean())
        if price < (1 - share) * mean:
            bidders.append(p["bidder"].iat[i])
            messages.append(f"price {money(price)} is more than {share * 100:g}% below {money(mean)}, the mean of the "
                            f"other bids' prices leaving out the highest ({money(float(others.max()))}): the "
                            f"threshold is {money((1 - share) * mean)}")
    if not bidders:
        return empty_flags()
    return make_flags("SV204", np.array(bidders, dtype=object), np.array(messages, dtype=object))


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


def rank(total: pd.Series, quality: pd.Series, price: pd.Series, eligible: pd.Series, *,
         tie_break=kernel.TIE_BREAK, social_value: Optional[pd.Series] = None, ascending: bool = False) -> pd.Series:
    """6.5: rank eligible bids by total (with `ascending`, lowest first: price per quality point); ties by
    the rubric's `tie_break` (default higher quality marks, then lower price), else shared.
    Guarded step: the series are one per bid, on the same index; an ineligible bid gets no rank."""
    others = (("quality", quality), ("price", price), ("eligible", eligible))
    if social_value is not None:
        others += (("social_value", social_value),)
    for name, s in others:
        if not s.index.equals(total.index):
            raise ValueError(f"rank: {name} is not indexed like total (one value per bid, in the same order)")
    if "social_value" in tie_break and social_value is None:
        raise ValueError("rank: the tie-break names social_value but no social-value marks were given")
    sv = None if social_value is None else social_value.to_numpy(dtype=float, na_value=np.nan)[None, :]
    r = kernel.ranks(total.to_numpy(dtype=float, na_value=np.nan)[None, :],
                     quality.to_numpy(dtype=float, na_value=np.nan)[None, :],
                     price.to_numpy(dtype=float, na_value=np.nan), eligible.to_numpy(dtype=bool)[None, :],
                     tie_break=tuple(tie_break), social_value=sv, ascending=ascending)[0]
    return pd.Series(np.where(r > 0, r, np.nan), index=total.index).astype("Int64")


# ------------------------------------------------------------------------------------------ 9.2 pass/fail
PASS_FAIL_COLUMNS = ["bidder", "criterion", "name", "result", "basis", "n_evaluators"]


def pass_fail(scores: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """9.2 for every bid and pass/fail question: the MODERATED result, else the evaluators' unanimous one,
    else unresolved (SV206: the bid is incomplete until moderated); none at all is unscored (SV207); a
    fail disqualifies (SV208). Returns (table: result "pass" | "fail" | None, SV206/SV207/SV208 flags)."""
    crits = list(rubric.pass_fail_criteria)
    if not crits or not bidders:
        return pd.DataFrame(columns=PASS_FAIL_COLUMNS + ["value"]), empty_flags()
    require_unique(pd.Series(bidders, dtype=object), "pass_fail")
    ids = [c.id for c in crits]
    names = [c.name or c.id for c in crits]
    n_b, n_c = len(bidders), len(ids)
    s = scores if scores is not None and len(scores) else empty_scores()
    # each score's cell in the bidder-major grid (bid, question); rows of no listed bid or question: left out
    b_at = pd.Index(bidders, dtype=object).get_indexer(pd.Index(s["bidder"].to_numpy(dtype=object)))
    c_at = pd.Index(ids, dtype=object).get_indexer(pd.Index(s["criterion"].to_numpy(dtype=object)))
    keep = (b_at >= 0) & (c_at >= 0)
    cell = (b_at * n_c + c_at)[keep]
    value_in = pd.to_numeric(s["score"], errors="coerce").to_numpy(dtype=float)[keep]
    is_mod = (s["evaluator"].to_numpy(dtype=object) == MODERATED)[keep]
    size = n_b * n_c
    n = np.bincount(cell[~is_mod], minlength=size)
    passes = np.bincount(cell[~is_mod], weights=value_in[~is_mod], minlength=size).round().astype(int)
    mod = np.full(size, np.nan)
    mod[cell[is_mod]] = value_in[is_mod]
    unanimous = (n > 0) & ((passes == 0) | (passes == n))
    value = np.where(~np.isnan(mod), mod, np.where(unanimous, np.where(passes > 0, 1.0, 0.0), np.nan))
    result = np.full(size, None, dtype=object)
    result[value == 1.0] = "pass"
    result[value == 0.0] = "fail"
    basis = np.where(~np.isnan(mod), "moderated",
                     np.where(unanimous & (n > 1), "unanimous", np.where(unanimous, "single evaluator",
                              np.where(n > 1, "evaluators disagree (no consensus)", "unscored")))).astype(object)
    bid_col = np.repeat(np.asarray(bidders, dtype=object), n_c)
    crit_col = np.tile(np.asarray(ids, dtype=object), n_b)
    name_col = np.tile(np.asarray(names, dtype=object), n_b)
    table = pd.DataFrame({"bidder": bid_col, "criterion": crit_col, "name": name_col,
                          "result": pd.Series(result, dtype=object), "basis": basis, "n_evaluators": n,
                          "value": value})  # value: 1.0 pass, 0.0 fail, NaN unresolved (what the kernel reads)
    blocks = []
    for code, hit, message in (
            ("SV206", (n > 1) & np.isnan(value),
             lambda i: (f"{n[i]} evaluators disagree on pass/fail question {crit_col[i]} ({name_col[i]}): {passes[i]} "
                        f"pass, {n[i] - passes[i]} fail, and no MODERATED result is recorded; the bid is incomplete "
                        "until it is moderated")),
            ("SV207", (n == 0) & np.isnan(mod),
             lambda i: (f"pass/fail question {crit_col[i]} ({name_col[i]}) has no result: the bid is incomplete "
                        "until it is scored pass or fail")),
            ("SV208", value == 0.0,
             lambda i: (f"failed pass/fail question {crit_col[i]} ({name_col[i]}, {basis[i]}): the bid is "
                        "disqualified"))):
        at = np.flatnonzero(hit)
        if len(at):
            blocks.append(make_flags(code, bid_col[at], np.array([message(i) for i in at], dtype=object),
                                     criterion=crit_col[at]))
    return table, (pd.concat(blocks, ignore_index=True) if blocks else empty_flags())


# ------------------------------------------------------------------------------------------ 9.1 groups
GROUP_COLUMNS = ["bidder", "group", "name", "level", "weight", "marks", "min_share", "share_of_marks",
                 "below_min_share"]


def group_members(rubric: Rubric, groups: Optional[pd.DataFrame] = None) -> tuple[list[str], list[list[int]]]:
    """(group ids in tree order, for each the positions of its leaves in `rubric.criteria`)."""
    groups = rubric.groups if groups is None else groups
    paths = rubric.criteria["path"].tolist()  # a leaf is under a group when its path starts with the group's
    return groups["id"].tolist(), [[i for i, p in enumerate(paths) if p.startswith(g + " > ")]
                                   for g in groups["path"].tolist()]


def groups_table(leaf_marks: np.ndarray, leaf_known: np.ndarray, rubric: Rubric,
                 bidders: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """9.1: each group's marks for each bid, the exact sum of its leaves' marks (leaf_marks (n, k) in
    `rubric.criteria` order; leaf_known (n, k): the leaf has its score), and the group minimum (min_share).
    Returns (table bidder-major, below (n, g) bool: under a group's minimum, every leaf under it scored)."""
    meta = rubric.groups
    groups, members = group_members(rubric, meta)
    n = len(bidders)
    if not groups or not n:
        return pd.DataFrame(columns=GROUP_COLUMNS), np.zeros((n, len(groups)), dtype=bool)
    marks = kernel.group_marks(np.asarray(leaf_marks, dtype=float)[None], members)[0]
    known = np.stack([leaf_known[:, m].all(axis=1) for m in members], axis=1)
    weights = meta["weight"].to_numpy(dtype=float)
    mins = pd.to_numeric(meta["min_share"], errors="coerce").to_numpy(dtype=float)
    below = kernel.below_min_share(marks[None], weights, mins, known[None])[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(weights > 0, marks / weights, np.nan)
    g = len(groups)
    table = pd.DataFrame({
        "bidder": np.repeat(np.asarray(bidders, dtype=object), g),
        "group": np.tile(np.asarray(groups, dtype=object), n),
        "name": np.tile(meta["name"].to_numpy(dtype=object), n),
        "level": np.tile(meta["level"].to_numpy(), n),
        "weight": np.tile(weights, n),
        "marks": marks.ravel(),
        "min_share": np.tile(mins, n),
        "share_of_marks": share.ravel(),
        "below_min_share": below.ravel(),
    })
    return table, below


def min_share_flags(groups: pd.DataFrame) -> pd.DataFrame:
    """SV203 from a group's minimum: under `min_share` of its marks disqualifies."""
    if groups.empty or not groups["below_min_share"].any():
        return empty_flags()
    d = groups[groups["below_min_share"].astype(bool)]
    messages = [f"scored {m:.2f} of {w:g} marks on {g} ({nm}), {sh * 100:.1f}%, below the group's minimum of "
                f"{ms * 100:g}%: the bid is disqualified"
                for m, w, g, nm, sh, ms in zip(d["marks"], d["weight"], d["group"], d["name"], d["share_of_marks"],
                                               d["min_share"])]
    return make_flags("SV203", d["bidder"].to_numpy(), np.array(messages, dtype=object), criterion=d["group"].to_numpy())


# ------------------------------------------------------------------------------------------ 9 gates
def budget_flags(bids: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, np.ndarray]:
    """SV210: with `budget_is_ceiling`, a price above the budget makes the bid non-compliant (a price at
    the budget is within it). Returns (flags, over (n,) bool)."""
    tender = rubric.tender
    budget = tender.budget if getattr(tender, "budget_is_ceiling", False) else None
    prices = bids["price"].to_numpy(dtype=float, na_value=np.nan)
    over = kernel.over_budget(prices, budget)
    if not over.any():
        return empty_flags(), over
    d = bids[over]
    return make_flags("SV210", d["bidder"].to_numpy(),
                      ("price £" + d["price"].astype(float).map("{:,.0f}".format) + f" is above the budget of "
                       f"£{budget:,.0f}, which the buyer set as a ceiling: the bid is non-compliant and "
                       "disqualified").to_numpy()), over


def mandatory_flags(att: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """SV209: a bid with nothing credited in the design lens towards a mandatory outcome is disqualified.
    `att`: valuation.attainment's table (bidder-major, outcomes in rubric order). Returns (flags, unmet (n,))."""
    outcomes = rubric.outcomes
    n = len(bidders)
    if outcomes.empty or not n or "mandatory" not in outcomes.columns or not outcomes["mandatory"].any():
        return empty_flags(), np.zeros(n, dtype=bool)
    o = len(outcomes)
    net = att["net_quantity"].to_numpy(dtype=float, na_value=np.nan).reshape(1, n, o)
    unmet = kernel.mandatory_unmet(net, outcomes["mandatory"].to_numpy(dtype=bool))[0]
    rows, cols = np.nonzero(unmet)
    if not len(rows):
        return empty_flags(), unmet.any(axis=1)
    ids = outcomes["id"].to_numpy(dtype=object)[cols]
    names = outcomes["name"].to_numpy(dtype=object)[cols]
    messages = [f"nothing is credited towards mandatory outcome {i} ({nm}) in the design lens: the bid is "
                "disqualified" for i, nm in zip(ids, names)]
    return make_flags("SV209", np.asarray(bidders, dtype=object)[rows], np.array(messages, dtype=object)), \
        unmet.any(axis=1)


TREE_COLUMNS = ["level", "path", "criterion", "name", "kind", "weight", "score", "result", "marks", "basis"]


def tree_table(rubric: Rubric, scale: pd.DataFrame, pass_fail: pd.DataFrame, groups: pd.DataFrame,
               price: pd.DataFrame, sv_marks: float, lens: str) -> pd.DataFrame:
    """9.1, one bid's explain table of the criteria tree: one row per node (groups and leaves, in tree
    order) with its level, path, effective weight, score (a pass/fail question: its result) and marks;
    a group's marks are the exact sum of its leaves'. The tables given are the bid's rows of evaluate's."""
    scale, pf, groups = scale.set_index("criterion"), pass_fail.set_index("criterion"), groups.set_index("group")
    rows = []
    for node in rubric.nodes.itertuples(index=False):
        score, result, marks, basis = np.nan, None, np.nan, ""
        if node.kind == "group":
            marks = groups["marks"].get(node.id, np.nan)
            share = groups["share_of_marks"].get(node.id, np.nan)
            basis = "sum of its sub-criteria" + (f"; {share * 100:.1f}% of its marks" if share == share else "")
        elif node.kind == "scale":
            score, marks = scale["score"].get(node.id, np.nan), scale["marks"].get(node.id, np.nan)
            basis = scale["basis"].get(node.id, "")
        elif node.kind == "pass_fail":
            result, basis, marks = pf["result"].get(node.id), pf["basis"].get(node.id, ""), 0.0
        elif node.kind == "price":
            marks, basis = (float(price["marks"].iat[0]) if len(price) else np.nan), "price formula"
        elif node.kind == "social_value":
            marks, basis = sv_marks, f"{lens} lens (official)"
        rows.append({"level": node.level, "path": node.path, "criterion": node.id, "name": node.name,
                     "kind": node.kind, "weight": node.weight, "score": score, "result": result,
                     "marks": marks, "basis": basis})
    table = pd.DataFrame(rows, columns=TREE_COLUMNS)
    table["result"] = pd.Series([row["result"] for row in rows], dtype=object)  # None where no pass/fail, not NaN
    return table


def _scale_of(rubric: Rubric, cid: str) -> np.ndarray:
    """The scale a criterion is scored on: its own (9.1), else the rubric's."""
    return np.asarray(rubric.criterion_scale(cid), dtype=float)
