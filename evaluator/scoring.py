"""Marks: price (6.1), scale criteria with evaluators' scores (6.2), the two social-value lenses, totals
and ranks (6.5), and the bid checks that come from them (SV2xx).

Each step returns its table with the inputs beside the marks, so a lead can show a supplier the sum.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .flags import empty_flags, make_flags
from .exceptions import EvaluatorError, InputError, InputErrors
from .rubric import Rubric
from .numbers import AmbiguousNumber, NotANumber, read_number
from .documents import read_small_csv
from .suggestions import suggest

SCORE_COLUMNS = ["bidder", "criterion", "evaluator", "score", "rationale"]
MODERATED = "MODERATED"
LOW_PRICE_SHARE = 0.8


def load_scores(path: Path | str, rubric: Rubric, bidders: list[str] | None = None) -> pd.DataFrame:
    """Evaluator scores (DESIGN.md 4.4), every row checked: known bidder and scale criterion, a score on
    the scale, a rationale (reg 31 needs an explanation for every score), no row given twice."""
    path = Path(path)
    _, rows = read_small_csv(path, SCORE_COLUMNS, SCORE_COLUMNS)
    problems: list[EvaluatorError] = []
    scale = [float(s) for s in rubric.spec.scale]
    scale_ids = [c.id for c in rubric.scale_criteria]
    known = set(bidders) if bidders is not None else None
    records, seen = [], {}
    for n, rec in rows:

        def bad(field: str, problem: str) -> None:
            problems.append(InputError(problem, file=path, where=f"row {n}", field=field, value=rec[field]))

        ok = True
        if not rec["bidder"]:
            bad("bidder", "required but empty"); ok = False
        elif known is not None and rec["bidder"] not in known:
            bad("bidder", "is not a bidder in this tender" + suggest(rec["bidder"], known)); ok = False
        if rec["criterion"] not in scale_ids:
            bad("criterion", f"is not a scale criterion of this rubric ({', '.join(scale_ids) or 'none'})"
                + suggest(rec["criterion"], scale_ids)); ok = False
        if not rec["evaluator"]:
            bad("evaluator", "required but empty"); ok = False
        try:
            score = read_number(rec["score"])
        except AmbiguousNumber as exc:
            bad("score", str(exc)); ok = False
        except NotANumber:
            bad("score", "not a number"); ok = False
        else:
            if score not in scale:
                bad("score", "is not on the rubric's scale (" + ", ".join(f"{s:g}" for s in scale) + ")"); ok = False
        if not rec["rationale"]:
            bad("rationale", "is empty: every score needs a rationale (reg 31 asks for an explanation)"); ok = False
        key = (rec["bidder"], rec["criterion"], rec["evaluator"])
        if ok and key in seen:
            bad("evaluator", f"scores this bidder and criterion twice (also row {seen[key]})"); ok = False
        if ok:
            seen[key] = n
            records.append({**rec, "score": score, "_row": n})
    if problems:
        raise InputErrors(problems)
    return pd.DataFrame(records, columns=SCORE_COLUMNS + ["_row"])


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame(columns=SCORE_COLUMNS + ["_row"])


def price_marks(bids: pd.DataFrame, rubric: Rubric, eligible: pd.Series) -> pd.DataFrame:
    """6.1: relative (weight × lowest / price) or linear (weight × max(0, 1 - (price - lowest) / lowest)).
    `lowest` is over eligible bids only, so a disqualified bid cannot warp the others' marks."""
    crit = rubric.price_criterion
    table = pd.DataFrame({"bidder": bids["bidder"].to_numpy(), "price": bids["price"].astype(float).to_numpy()})
    if crit is None:
        table["lowest"], table["method"], table["weight"], table["marks"] = np.nan, None, 0.0, 0.0
        return table
    ok = eligible.reindex(table["bidder"]).fillna(False).to_numpy(dtype=bool)
    prices = table["price"].to_numpy()
    lowest = float(np.nanmin(prices[ok])) if ok.any() else float(np.nanmin(prices)) if len(prices) else np.nan
    method = crit.method or "relative"
    if method == "linear":
        marks = crit.weight * np.maximum(0.0, 1 - (prices - lowest) / lowest)
    else:
        marks = crit.weight * lowest / prices
    table["lowest"], table["method"], table["weight"] = lowest, method, crit.weight
    table["marks"] = np.minimum(marks, crit.weight)
    return table


def scale_marks(scores: pd.DataFrame, rubric: Rubric, bidders: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """6.2 for every bid and scale criterion: the MODERATED score, else the evaluators' median, else
    unscored (0 marks). Returns (table, SV205/SV206/SV207 flags)."""
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
    table["marks"] = (table["weight"] * table["score"] / top).fillna(0.0)
    table["below_threshold"] = table["threshold"].notna() & table["score"].notna() & (table["score"] < table["threshold"])

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
    """6.5: rank eligible bids by total; ties by higher quality marks, then lower price, else shared."""
    key = pd.DataFrame({"t": total.round(9), "q": quality.round(9), "p": price.fillna(np.inf)})
    ranks = pd.Series(np.nan, index=total.index)
    e = eligible.to_numpy(dtype=bool)
    if e.any():
        k = key[e].sort_values(["t", "q", "p"], ascending=[False, False, True])
        vals = k.to_numpy(dtype=float)
        order = np.arange(1, len(k) + 1)
        same = np.r_[False, (vals[1:] == vals[:-1]).all(axis=1)]
        # shared rank: the position of the first of a run of identical keys
        first = np.where(same, 0, order)
        first = np.maximum.accumulate(first)
        ranks.loc[k.index] = first
    return ranks.astype("Int64")
