"""The sensitivity model: everything an evaluation's totals are made of, as arrays (fractions per bid and
criterion, the weights' tree, the credited commitments' deflators), and the totals of any batch of weights
and scores through the same kernel functions `evaluate()` uses. sensitivity.py draws over it; switching.py
solves it for the weights at which the winner changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from . import kernel
from .exceptions import EvaluatorError
from .columns import positions
from .valuation import attainment_cells

GRADES = ["E0", "E1", "E2", "E3", "E4"]
FIXED_CODES = ("SV208", "SV209", "SV210")  # disqualifications no draw can change: pass/fail, mandatory, budget


@dataclass
class Model:
    """The arrays one evaluation's totals are made of (n bids, k weighted criteria, s scale criteria, c
    credited commitments, f commitments for the figures lens, o outcomes, p measures, N tree nodes)."""

    lens: str
    bidders: list[str]
    criteria: list[str]              # the weighted leaves of the criteria tree, in tree order
    kinds: list[str]
    weights: np.ndarray              # (k,) published, out of 100 (effective: down the tree)
    price: np.ndarray                # (n,)
    price_method: Optional[str]
    scale_values: np.ndarray
    scale_top: float
    scale_ids: list[str]
    scale_sv: np.ndarray             # (s,) bool: the criterion counts as social value, not quality
    base_scores: np.ndarray          # (n, s) the score used (moderated, else median); NaN unscored
    score_down: np.ndarray           # (n, s) one step below on the criterion's scale, never below the lowest
                                     # score the panel gave (itself where the score does not move)
    score_up: np.ndarray             # (n, s) one scale step above, never above the highest the panel gave
    disagree: np.ndarray             # (n, s) bool: the evaluators' scores differ
    thresholds: np.ndarray           # (s,) NaN when none
    # design lens: every commitment is a row of the sums by bid and outcome (labelled as evaluate labels
    # them); the credited ones (c) carry the net quantity that the draws perturb
    r_label: np.ndarray              # (r,) each commitment's label (valuation.attainment_cells)
    cells: np.ndarray                # (n * o,) the labels of the bid-outcome cells, bidder-major
    c_row: np.ndarray                # (c,) each credited commitment's row
    c_qin: np.ndarray
    c_dw: np.ndarray
    c_at: np.ndarray
    c_dp: np.ndarray
    c_grade: np.ndarray              # (c,) 0..4, 5 = no grade (factor 0)
    c_ef: np.ndarray                 # (c,) the evidence factor used
    ef_base: np.ndarray              # (6,)
    targets: np.ndarray              # (o,)
    priorities: np.ndarray           # (o,)
    cap: float
    # figures lens
    f_bid: np.ndarray                # (f,)
    f_value: np.ndarray              # (f,)
    f_measure: np.ndarray            # (f,) index into proxy ranges, -1 = not repriced
    p_low: np.ndarray                # (p,)
    p_mode: np.ndarray
    p_high: np.ndarray
    # the criteria tree: one node per weighted criterion or group, in tree order (a flat rubric's nodes
    # are its criteria)
    nodes: list[str]
    node_parent: np.ndarray          # (N,) the parent's node index, -1 at the top level
    node_weights: np.ndarray         # (N,) published, effective
    node_leaf: np.ndarray            # (k,) each weighted leaf's node index
    under: np.ndarray                # (N, k) bool: the leaf is the node or under it
    min_share: np.ndarray            # (N,) a group's minimum share of its marks; NaN none
    scale_tops: np.ndarray           # (s,) the top of each scale criterion's own scale
    fixed_ok: np.ndarray             # (n,) bool: not disqualified by SV208-SV210 (held in every draw)
    award: str = "weighted"
    tie_break: tuple = kernel.TIE_BREAK
    p_codes: list[str] = field(default_factory=list)
    moves: Optional[np.ndarray] = None  # (n, s) bool: the score is drawn (disputed, or a lone MODERATED score)

    @property
    def n(self) -> int:
        return len(self.bidders)

    @property
    def n_outcomes(self) -> int:
        return len(self.targets)

    @property
    def tree(self) -> bool:
        """The rubric has groups (sub-criteria)."""
        return len(self.nodes) != len(self.criteria)

    @property
    def per_point(self) -> bool:
        return self.award == "price_per_quality_point"


def _steps(scale: np.ndarray, base: np.ndarray, moves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step down and one up on `scale` from each base score, where the score moves."""
    below_idx = np.searchsorted(scale, base, side="left") - 1         # largest scale value < base
    above_idx = np.searchsorted(scale, base, side="right")            # smallest scale value > base
    down = np.where(below_idx >= 0, scale[np.clip(below_idx, 0, len(scale) - 1)], base)
    up = np.where(above_idx < len(scale), scale[np.clip(above_idx, 0, len(scale) - 1)], base)
    return np.where(moves, down, base), np.where(moves, up, base)


def _within_panel(base, low, high, n_eval, moderated, steps) -> tuple[np.ndarray, np.ndarray]:
    """A disputed score's step down and up kept within the range the panel gave (issue 18): never below
    the lowest score the evaluators (or the moderation) gave for that bid and criterion, never above the
    highest; so a draw disqualifies a bid only if someone on the panel scored it below the threshold. A
    lone MODERATED score (no evaluator's own score recorded) has no range to keep to: it moves one step
    either way on the criterion's scale. Scores the evaluators agreed on, and a single evaluator's, stay."""
    down, up = steps
    with np.errstate(invalid="ignore"):
        lowest, highest = np.fmin(low, base), np.fmax(high, base)
        disputed = (n_eval > 1) & (high > low) & ~np.isnan(base)
        lone = (n_eval == 0) & ~np.isnan(moderated)
        down = np.where(disputed, np.maximum(down, lowest), np.where(lone, down, base))
        up = np.where(disputed, np.minimum(up, highest), np.where(lone, up, base))
    return down, up


def _tree(rubric, leaves: pd.DataFrame) -> dict:
    """The weighted nodes of the criteria tree (pass/fail left out: it has no weight) and which leaves
    lie under each."""
    nodes = getattr(rubric, "nodes", None)
    nodes = leaves if nodes is None else nodes[nodes["kind"] != "pass_fail"]
    ids = nodes["id"].tolist()
    index = {cid: i for i, cid in enumerate(ids)}
    parents = nodes["parent"].tolist() if "parent" in nodes else [None] * len(ids)
    parent = np.array([index.get(p, -1) if isinstance(p, str) else -1 for p in parents], dtype=np.int64)
    leaf = np.array([index[cid] for cid in leaves["id"]], dtype=np.int64)
    under = np.zeros((len(ids), len(leaf)), dtype=bool)
    for j, i in enumerate(leaf.tolist()):
        while i >= 0:
            under[i, j] = True
            i = parent[i]
    share = pd.to_numeric(nodes["min_share"], errors="coerce").to_numpy(dtype=float) if "min_share" in nodes \
        else np.full(len(ids), np.nan)
    return {"nodes": ids, "node_parent": parent, "node_weights": nodes["weight"].to_numpy(dtype=float),
            "node_leaf": leaf, "under": under, "min_share": share}


def _fixed_ok(results: pd.DataFrame) -> np.ndarray:
    """Bids not disqualified by a pass/fail fail, an unmet mandatory outcome or a price over the ceiling."""
    if "disqualified_by" not in results:
        return np.ones(len(results), dtype=bool)
    codes = results["disqualified_by"].fillna("").astype(str)
    return ~codes.str.contains("|".join(FIXED_CODES), regex=True).to_numpy(dtype=bool)


def build_model(ev, lens: Optional[str] = None) -> Model:
    """The arrays behind an evaluation's totals, for the lens that awards (the official one by default)."""
    rubric = ev.rubric
    lens = lens or ev.official_lens
    if lens not in ("design", "figures"):
        raise EvaluatorError("must be design or figures", field="--lens", value=lens)
    bidders = ev.results["bidder"].tolist()
    n = len(bidders)
    leaves = rubric.criteria[rubric.criteria["kind"] != "pass_fail"].reset_index(drop=True)
    price_crit = rubric.price_criterion

    scale = rubric.scale
    crits = rubric.scale_criteria
    s_ids = [c.id for c in crits]
    sc = ev.scale.set_index(["bidder", "criterion"]).reindex(pd.MultiIndex.from_product([bidders, s_ids]))
    shape = (n, len(s_ids))
    base = sc["score"].to_numpy(dtype=float).reshape(shape)
    low = sc["lowest_score"].to_numpy(dtype=float).reshape(shape)
    high = sc["highest_score"].to_numpy(dtype=float).reshape(shape)
    n_eval = sc["n_evaluators"].to_numpy(dtype=float).reshape(shape)
    moderated = sc["moderated"].to_numpy(dtype=float).reshape(shape)
    disagree = (n_eval > 1) & (high > low) & ~np.isnan(base)
    moves = disagree | ((n_eval == 0) & ~np.isnan(moderated))  # disputed, or a lone MODERATED score
    own = getattr(rubric, "criterion_scale", None)
    scales = [np.asarray(own(cid), dtype=float) if own else scale for cid in s_ids]
    if all(len(x) == len(scale) and (x == scale).all() for x in scales):
        steps = _steps(scale, base, moves)
    else:  # each criterion's steps on its own scale
        pairs = [_steps(x, base[:, j], moves[:, j]) for j, x in enumerate(scales)]
        steps = (np.stack([p[0] for p in pairs], axis=1).reshape(shape),
                 np.stack([p[1] for p in pairs], axis=1).reshape(shape))
    down, up = _within_panel(base, low, high, n_eval, moderated, steps)
    thresholds = np.array([np.nan if c.threshold is None else float(c.threshold) for c in crits])
    tops = np.array([float(x[-1]) for x in scales]) if scales else np.zeros(0)

    c = ev.commitments
    r_label, cells = attainment_cells(c, rubric, bidders)
    c_row = np.flatnonzero(c["credited"].to_numpy(dtype=bool)) if len(c) else np.zeros(0, dtype=np.int64)
    credited = c.iloc[c_row]
    grade = pd.Index(GRADES).get_indexer(credited["evidence_grade"].astype(object)) if len(credited) else \
        np.zeros(0, dtype=int)
    grade = np.where(grade < 0, 5, grade)
    col = {k: credited[k].to_numpy(dtype=float) if len(credited) else np.zeros(0)
           for k in ("quantity_in_term", "deadweight_used", "attribution_used", "displacement_used", "evidence_factor")}
    factors = rubric.spec.design.evidence_factors
    ef_base = np.array([float(factors[g]) for g in GRADES] + [0.0])
    targets = pd.to_numeric(rubric.outcomes["target"], errors="coerce").to_numpy(dtype=float)
    priorities = rubric.outcomes["priority"].to_numpy(dtype=float)

    proxies = rubric.proxies
    codes, lows, modes, highs = [], [], [], []
    if len(proxies):
        for code, row in proxies.iterrows():
            lo, mid, hi = (float(row.get(k)) if row.get(k) is not None and row.get(k) == row.get(k) else np.nan
                           for k in ("low", "value", "high"))
            if np.isfinite(lo) and np.isfinite(hi) and np.isfinite(mid) and hi > lo and lo <= mid <= hi and mid > 0:
                codes.append(code)
                lows.append(lo)
                modes.append(mid)
                highs.append(hi)
    if len(c):
        f_bid = positions(bidders, c["bidder"])
        f_value = c["figures_value"].to_numpy(dtype=float)
        f_measure = pd.Index(codes, dtype=object).get_indexer(c["measure"].astype(object)) if codes else np.full(len(c), -1)
    else:
        f_bid, f_value, f_measure = np.zeros(0, dtype=int), np.zeros(0), np.zeros(0, dtype=int)

    return Model(
        lens=lens, bidders=bidders, criteria=leaves["id"].tolist(), kinds=leaves["kind"].tolist(),
        weights=leaves["weight"].to_numpy(dtype=float),
        price=ev.results["price"].to_numpy(dtype=float),
        price_method=(price_crit.method or "relative") if price_crit is not None else None,
        scale_values=scale, scale_top=rubric.scale_max, scale_ids=s_ids,
        scale_sv=np.array([bool(x.social_value) for x in crits], dtype=bool),
        base_scores=base, score_down=down, score_up=up, disagree=disagree, thresholds=thresholds,
        r_label=r_label, cells=cells, c_row=c_row, c_qin=col["quantity_in_term"], c_dw=col["deadweight_used"],
        c_at=col["attribution_used"], c_dp=col["displacement_used"], c_grade=grade, c_ef=col["evidence_factor"],
        ef_base=ef_base,
        targets=targets, priorities=priorities, cap=float(rubric.spec.design.attainment_cap),
        f_bid=f_bid, f_value=f_value, f_measure=f_measure, p_low=np.array(lows), p_mode=np.array(modes),
        p_high=np.array(highs), **_tree(rubric, leaves), scale_tops=tops, fixed_ok=_fixed_ok(ev.results),
        award=getattr(rubric, "award", "weighted") or "weighted",
        tie_break=tuple(getattr(rubric, "tie_break", None) or ("quality", "price")), p_codes=codes, moves=moves)


# ------------------------------------------------------------------------------------------ one batch
def _lens_fractions(m: Model, eligible: np.ndarray, dw, at, dp, ef, proxy_mult) -> np.ndarray:
    """Per draw, each bid's social-value fraction under the model's lens (d, n), by the kernel."""
    d = eligible.shape[0]
    if m.lens == "design":
        net = np.zeros((d, len(m.r_label)))
        net[:, m.c_row] = kernel.net_quantity(m.c_qin, kernel.additionality(dw, at, dp), ef)
        sums = kernel.group_sum(net, m.r_label, m.cells).reshape(d, m.n, m.n_outcomes)
        att = kernel.attainment(sums, m.targets, m.cap)
        return kernel.design_fractions(att, m.priorities, np.asarray(m.bidders, dtype=object))
    values = np.broadcast_to(m.f_value, (d, len(m.f_value)))
    if proxy_mult is not None and len(m.f_value):
        values = values * np.where(m.f_measure >= 0, proxy_mult[:, np.clip(m.f_measure, 0, None)], 1.0)
    claimed = kernel.group_sum(values, m.f_bid, range(m.n))
    return kernel.figures_fractions(claimed, eligible)[0]


def _marks(m: Model, weights: np.ndarray, eligible: np.ndarray, dw, at, dp, ef, proxy_mult) -> tuple:
    """Price marks and the lens's social-value fraction and marks for a batch of draws, given eligibility:
    the lowest price and the best claim are among the eligible bids (6.1, 3)."""
    d = weights.shape[0]
    price = np.zeros((d, m.n))
    if m.price_method is not None:
        marks, _ = kernel.price_marks(m.price, eligible, weights[:, [m.kinds.index("price")]], m.price_method)
        price = np.where(np.isnan(marks), 0.0, marks)  # no price, no marks (as evaluate)
    fraction = sv = np.zeros((d, m.n))
    if "social_value" in m.kinds:
        fraction = _lens_fractions(m, eligible, dw, at, dp, ef, proxy_mult)
        sv = weights[:, [m.kinds.index("social_value")]] * fraction
    return price, fraction, sv


def _below_min_share(m: Model, scores: np.ndarray, scale: np.ndarray, price: np.ndarray, sv: np.ndarray,
                     node_weights: np.ndarray) -> np.ndarray:
    """(d, n): under some group's minimum share of its marks (9.1), as evaluate judges it: each group's
    marks the sum of its leaves' (kernel.group_marks), not below while a scale criterion in it is unscored."""
    groups = np.flatnonzero(~np.isnan(m.min_share))
    d = scale.shape[0]
    leaf = np.zeros((d, m.n, len(m.criteria)))
    known = np.ones((d, m.n, len(m.criteria)), dtype=bool)
    cols = [m.criteria.index(cid) for cid in m.scale_ids]
    leaf[:, :, cols] = scale
    known[:, :, cols] = ~np.isnan(scores)
    if m.price_method is not None:
        leaf[:, :, m.kinds.index("price")] = price
    if "social_value" in m.kinds:
        leaf[:, :, m.kinds.index("social_value")] = sv
    members = [np.flatnonzero(m.under[g]).tolist() for g in groups]
    marks = kernel.group_marks(leaf, members)
    full = np.stack([known[:, :, x].all(axis=-1) for x in members], axis=-1)
    below = kernel.below_min_share(marks, node_weights[:, None, groups], m.min_share[groups], full)
    return below.any(axis=-1)


def totals_for(m: Model, weights: np.ndarray, scores: np.ndarray, dw=None, at=None, dp=None, ef=None,
               proxy_mult=None, node_weights: Optional[np.ndarray] = None) -> dict:
    """Totals, quality marks, eligibility and ranks for a batch of draws (leading axis d): weights (d, k),
    scores (d, n, s), deflators and evidence factors (d, c) or None for the values used, proxy
    multipliers (d, p) or None, the tree's node weights (d, N) or None for the published ones. In
    evaluate's order: the gates (thresholds; SV208-SV210 held), price and social-value marks among the
    eligible, a group's minimum share (then the marks again among the bids still eligible), ranks."""
    d = weights.shape[0]
    dw = m.c_dw[None, :] if dw is None else dw
    at = m.c_at[None, :] if at is None else at
    dp = m.c_dp[None, :] if dp is None else dp
    ef = m.c_ef[None, :] if ef is None else ef
    eligible = kernel.eligibility(scores, m.thresholds) & m.fixed_ok
    cols = [m.criteria.index(cid) for cid in m.scale_ids]
    scale = kernel.scale_marks(scores, weights[:, None, cols], m.scale_tops)
    price, fraction, sv = _marks(m, weights, eligible, dw, at, dp, ef, proxy_mult)
    if (~np.isnan(m.min_share)).any():
        below = _below_min_share(m, scores, scale, price, sv,
                                 np.broadcast_to(m.node_weights, (d, len(m.nodes))) if node_weights is None
                                 else node_weights)
        if below.any():  # the minimum took bids out: the lowest price and best claim are among the rest
            eligible = eligible & ~below
            price, fraction, sv = _marks(m, weights, eligible, dw, at, dp, ef, proxy_mult)
    names = np.asarray(m.bidders, dtype=object)
    quality = kernel.bid_sums(scale[:, :, ~m.scale_sv], names)
    sv_scale = kernel.bid_sums(scale[:, :, m.scale_sv], names)
    totals = kernel.totals(price, quality, sv_scale, sv)
    out = {"totals": totals, "quality": quality, "eligible": eligible, "sv_fraction": fraction}
    key = totals
    if m.per_point:  # price per quality point: the lowest £ per point ranks first
        key = out["per_point"] = kernel.price_per_point(m.price, totals)
    tie_break = {} if m.tie_break == kernel.TIE_BREAK else {"tie_break": m.tie_break, "social_value": sv + sv_scale}
    out["ranks"] = kernel.ranks(key, quality, m.price, eligible, ascending=m.per_point, **tie_break)
    return out


def published(m: Model) -> dict:
    """The zero-perturbation draw: `evaluate()`'s totals, eligibility and ranks, to the last bit."""
    return totals_for(m, m.weights[None, :], m.base_scores[None, :, :])


def fractions(m: Model, base: Optional[dict] = None) -> np.ndarray:
    """(n, k): each bid's share of each criterion's weight as published (its marks at weight 1), by the
    same kernel functions as the totals: what the switching values move the weights over. `base`: the
    published draw, if already worked out (its social-value fractions are these)."""
    base = published(m) if base is None else base
    scores = m.base_scores[None, :, :]
    frac = np.zeros((m.n, len(m.criteria)))
    if m.price_method is not None:
        marks, _ = kernel.price_marks(m.price, base["eligible"], 1.0, m.price_method)
        frac[:, m.kinds.index("price")] = np.where(np.isnan(marks[0]), 0.0, marks[0])
    frac[:, [m.criteria.index(cid) for cid in m.scale_ids]] = kernel.scale_marks(scores, 1.0, m.scale_tops)[0]
    if "social_value" in m.kinds:
        frac[:, m.kinds.index("social_value")] = base["sv_fraction"][0]
    return frac


# ------------------------------------------------------------------------------------------ draws
