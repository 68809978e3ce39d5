"""Moderation: each evaluator's scores side by side, where the panel disagrees, the consensus it
records, and how far the panel read each question the same way (Kendall's W).

Each evaluator scores alone. Once they have all marked their scoring complete, the lead sees, per bid
and criterion, every score and rationale; SV205 where the scores are more than two scale steps apart;
and records a MODERATED consensus score with a rationale. The original scores stay beside it: the
consensus is one more row, never an overwrite.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .scores import MODERATED

SPREAD_STEPS_FLAGGED = 2  # SV205: more than two scale steps apart


def side_by_side(scores: pd.DataFrame, scale: Sequence[float], bidders: Sequence[str],
                 criteria: Sequence[dict]) -> pd.DataFrame:
    """One row per bid and criterion: every evaluator's score in its own column, the spread in scale
    steps, SV205 where it exceeds two steps, the consensus (MODERATED) score and its rationale, and what
    the panel still has to do. `criteria` are dicts with at least `id` (and optionally `name`)."""
    scale = np.asarray(scale, dtype=float)
    s = scores if scores is not None and len(scores) else pd.DataFrame(
        columns=["bidder", "criterion", "evaluator", "score", "rationale"])
    panel = s[s["evaluator"] != MODERATED]
    moderated = s[s["evaluator"] == MODERATED].set_index(["bidder", "criterion"])
    evaluators = sorted(panel["evaluator"].unique().tolist())
    grid = pd.MultiIndex.from_product([list(bidders), [c["id"] for c in criteria]], names=["bidder", "criterion"])
    table = pd.DataFrame(index=grid).reset_index()
    names = {c["id"]: c.get("name") or c["id"] for c in criteria}
    table["name"] = table["criterion"].map(names)
    wide = panel.pivot_table(index=["bidder", "criterion"], columns="evaluator", values="score", aggfunc="first")
    wide = wide.reindex(index=grid, columns=evaluators)
    for e in evaluators:
        table[e] = wide[e].to_numpy(dtype=float)
    vals = wide.to_numpy(dtype=float) if evaluators else np.full((len(table), 0), np.nan)
    n = np.sum(~np.isnan(vals), axis=1)
    with np.errstate(all="ignore"):
        low = np.where(n > 0, np.nanmin(np.where(np.isnan(vals), np.inf, vals), axis=1, initial=np.inf), np.nan)
        high = np.where(n > 0, np.nanmax(np.where(np.isnan(vals), -np.inf, vals), axis=1, initial=-np.inf), np.nan)
    table["n_evaluators"] = n
    table["lowest"] = low
    table["highest"] = high
    steps = np.searchsorted(scale, np.nan_to_num(high)) - np.searchsorted(scale, np.nan_to_num(low))
    table["spread_steps"] = np.where(n > 1, steps, 0)
    table["SV205"] = (n > 1) & (table["spread_steps"] > SPREAD_STEPS_FLAGGED)
    table["moderated"] = moderated["score"].reindex(grid).to_numpy(dtype=float) if len(moderated) else np.nan
    table["moderated_rationale"] = (moderated["rationale"].reindex(grid).to_numpy(dtype=object) if len(moderated)
                                    else None)
    has_mod = ~np.isnan(table["moderated"].to_numpy(dtype=float))
    table["status"] = np.select(
        [has_mod, n == 0, table["SV205"].to_numpy(), n > 1],
        ["consensus recorded", "unscored", "SV205: scores far apart, discuss and record a consensus",
         "record a consensus"], default="single evaluator: record a consensus")
    return table


def rationales(scores: pd.DataFrame, bidder: str, criterion: str) -> pd.DataFrame:
    """Every score and rationale for one bid and criterion, the consensus last: what the panel reads
    before it agrees."""
    s = scores[(scores["bidder"] == bidder) & (scores["criterion"] == criterion)].copy()
    s["_m"] = s["evaluator"] == MODERATED
    return s.sort_values(["_m", "evaluator"])[["evaluator", "score", "rationale"]].reset_index(drop=True)


def kendalls_w(ratings: np.ndarray) -> dict:
    """Kendall's coefficient of concordance W for an items x raters matrix of scores, corrected for ties.

    Each rater's scores are ranked with scipy's `rankdata` (ties get the mean rank) and the tie
    correction uses scipy's `tiecorrect`: W = 12 S / (m^2 (n^3 - n) - m sum T), where S is the sum of
    squared deviations of the items' rank sums from their mean and T = sum(t^3 - t) over each rater's
    groups of tied scores. Also chi-square = m (n - 1) W on n - 1 degrees of freedom and its p-value
    (a large-sample test). W is undefined (NaN) when every rater scored every item the same.
    """
    x = np.asarray(ratings, dtype=float)
    n, m = x.shape
    if n < 2 or m < 2:
        return {"W": np.nan, "chi_square": np.nan, "df": max(n - 1, 0), "p_value": np.nan, "n_items": n, "m_raters": m}
    ranks = stats.rankdata(x, axis=0)
    rank_sums = ranks.sum(axis=1)
    s = float(np.sum((rank_sums - rank_sums.mean()) ** 2))
    full = n ** 3 - n
    ties = float(sum((1.0 - stats.tiecorrect(ranks[:, j])) * full for j in range(m)))
    denom = m ** 2 * full - m * ties
    if denom <= 0:
        return {"W": np.nan, "chi_square": np.nan, "df": n - 1, "p_value": np.nan, "n_items": n, "m_raters": m}
    w = 12.0 * s / denom
    chi2 = m * (n - 1) * w
    return {"W": w, "chi_square": chi2, "df": n - 1, "p_value": float(stats.chi2.sf(chi2, n - 1)),
            "n_items": n, "m_raters": m}


def reading(w: float) -> str:
    """Plain words for W (a rule of thumb, not a test): how alike the panel ranked the bids."""
    if w != w:
        return "not measurable"
    if w >= 0.7:
        return "strong agreement"
    if w >= 0.5:
        return "moderate agreement"
    if w >= 0.3:
        return "weak agreement"
    return "little agreement: the panel read this question differently"


def agreement(scores: pd.DataFrame, criteria: Sequence[dict], bidders: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Kendall's W per criterion across the panel (MODERATED excluded): did the evaluators rank the bids
    the same way? Uses the bids every evaluator of that criterion scored; says what it left out."""
    rows = []
    s = scores[scores["evaluator"] != MODERATED] if scores is not None and len(scores) else scores
    for c in criteria:
        cid = c["id"]
        d = s[s["criterion"] == cid] if s is not None and len(s) else pd.DataFrame(columns=["bidder", "evaluator", "score"])
        if bidders is not None:
            d = d[d["bidder"].isin(list(bidders))]
        wide = d.pivot_table(index="bidder", columns="evaluator", values="score", aggfunc="first")
        n_all = len(wide)
        complete = wide.dropna(axis=0, how="any")
        left_out = sorted(set(wide.index) - set(complete.index))
        res = kendalls_w(complete.to_numpy(dtype=float)) if len(complete) else kendalls_w(np.empty((0, 0)))
        note = []
        if left_out:
            note.append(f"{len(left_out)} of {n_all} bids left out (not scored by every evaluator): " + ", ".join(left_out))
        if res["m_raters"] < 2:
            note.append("needs at least two evaluators")
        elif res["n_items"] < 2:
            note.append("needs at least two bids scored by every evaluator")
        elif res["W"] != res["W"]:
            note.append("every evaluator gave every bid the same score: no ranking to agree on")
        rows.append({"criterion": cid, "name": c.get("name") or cid, "evaluators": res["m_raters"],
                     "bids": res["n_items"], "W": res["W"], "chi_square": res["chi_square"], "df": res["df"],
                     "p_value": res["p_value"], "reading": reading(res["W"]), "note": "; ".join(note)})
    return pd.DataFrame(rows, columns=["criterion", "name", "evaluators", "bids", "W", "chi_square", "df", "p_value",
                                       "reading", "note"])


def visible_scores(scores: pd.DataFrame, evaluator: str, evaluators_status: pd.DataFrame) -> pd.DataFrame:
    """What one evaluator may see: only their own scores until they have marked their scoring complete;
    then the whole panel's (independent scoring first, moderation after)."""
    done = evaluators_status.set_index("evaluator")["complete"].get(evaluator, False) if len(evaluators_status) else False
    if evaluator == MODERATED or not done:
        return scores[scores["evaluator"] == evaluator].reset_index(drop=True)
    return scores.reset_index(drop=True)
