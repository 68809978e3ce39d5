"""How safe is the winner? Monte Carlo draws over the judgements behind the award, and exact switching
values for each criterion's weight.

Every total the engine computes is linear in the criteria weights: total = sum over criteria of
weight x fraction, where a fraction is the share of a criterion's marks the bid earns (price: lowest /
price; a scale criterion: score / top of the scale; social value: the design fraction or the figures
fraction). `build_model` takes everything those fractions are made of from an evaluation, and each
batch of draws goes through the same kernel functions (kernel.py) that `evaluate()` calls with one draw,
so the unperturbed draw is `evaluate()`'s result to the last bit. Each draw then perturbs, jointly:

- the weights: Dirichlet centred on the published weights (larger concentration = closer to them);
- the deflators (deadweight, attribution, displacement) of every credited commitment, each drawn
  uniformly within +/- a stated range of the value used, kept within 0-1;
- the evidence factors, one draw per grade per draw (a policy value shared by every bid), +/- a range;
- the scores where the evaluators disagreed: one scale step down, none or one up, equally likely, kept
  within the range the panel gave (between the lowest and the highest score recorded for that bid and
  criterion, the moderated one included), so a draw disqualifies a bid only where someone on the panel
  scored it below the threshold; a lone MODERATED score (no evaluator's own score) moves one step either
  way within the scale;
- for the figures lens, each measure's proxy £ between its `low` and `high` (triangular, mode at the
  central value), one draw per measure shared by every bid, every claim under it repriced in proportion.

All of it is numpy, vectorised across draws (in chunks to bound memory), from one seeded generator:
the same seed gives the same numbers.

Switching values are exact: moving one criterion's weight to x, with the other weights rescaled in
proportion so they still sum to 100, makes every total a straight line in x, so the weight at which
another bid overtakes the winner is where two lines cross.

Real tenders (DESIGN 9). A criteria tree is drawn level by level: the top level's weights as above, then
each group's children's shares of it, Dirichlet around their written shares with the same concentration;
a leaf's weight is the product down the tree, so the weights still sum to 100. A sub-criterion's
switching value moves its share of its group (its siblings rescaled in proportion, the group's weight
held): the totals are still straight lines. With `award: price_per_quality_point` each draw ranks by
price / quality points, lowest first, and bid b overtakes the winner a where price_a x points_b =
price_b x points_a: a straight line again. Pass/fail fails, unmet mandatory outcomes and prices over a
ceiling budget (SV208-SV210) do not depend on anything drawn: those bids stay disqualified in every
draw. Lots: each lot is its own evaluation; the weights are drawn once for the tender and shared by every
lot (the other draws are each lot's own), so each draw also gives an award across the lots.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError
from .sensitivity_model import Model, build_model, published, totals_for

DEFAULTS = {"concentration": 100.0, "deflator_range": 0.10, "evidence_range": 0.10}
MAX_DRAWS = 1_000_000
CHUNK_CELLS = 4_000_000  # draws x commitments per chunk


@dataclass
class Sensitivity:
    draws: int
    seed: int
    lens: str
    settings: dict
    bidders: list[str]
    win: np.ndarray                  # (n,)
    rank_probabilities: np.ndarray   # (n, n): [bid, rank-1]
    disqualified: np.ndarray         # (n,) share of draws the bid was disqualified
    mean_total: np.ndarray
    total_p05: np.ndarray
    total_p95: np.ndarray
    switching: pd.DataFrame
    published_winner: Optional[str]
    published_totals: np.ndarray
    award: str = "weighted"
    tree: bool = False
    published_per_point: Optional[np.ndarray] = None
    ranks: Optional[np.ndarray] = None  # (draws, n) each draw's ranks, for the award across lots

    def table(self) -> pd.DataFrame:
        t = pd.DataFrame({"bidder": self.bidders, "published_total": self.published_totals,
                          "win_probability": self.win, "mean_total": self.mean_total,
                          "total_p05": self.total_p05, "total_p95": self.total_p95,
                          "disqualified_share": self.disqualified})
        if self.published_per_point is not None:
            t.insert(2, "published_price_per_point", self.published_per_point)
        for r in range(len(self.bidders)):
            t[f"rank_{r + 1}"] = self.rank_probabilities[:, r]
        return t

    def switching_json(self) -> list[dict]:
        def num(v):
            return None if v is None or v != v else round(float(v), 4)
        rows = []
        for r in self.switching.itertuples(index=False):
            row = {"criterion": r.criterion, "weight": float(r.weight), "switch_at": num(r.switch_at),
                   "new_winner": r.new_winner if isinstance(r.new_winner, str) else None}
            if self.tree:  # a sub-criterion's switch as its share of its group too
                row.update(level=int(r.level), parent=r.parent if isinstance(r.parent, str) else None,
                           share=num(r.share), share_switch_at=num(r.share_switch_at))
            rows.append(row)
        return rows

    def to_json(self) -> dict:
        order = np.lexsort((-self.published_totals, -self.win))
        doc = {
            "draws": self.draws,
            "seed": self.seed,
            "bids": [{"bidder": self.bidders[i], "win_probability": float(self.win[i]),
                      "rank_probabilities": {str(r + 1): float(self.rank_probabilities[i, r])
                                             for r in range(len(self.bidders))}}
                     for i in order],
            "switching": self.switching_json(),
        }
        if self.award != "weighted":
            doc = {"award": self.award, **doc}
        return doc


def _triangular(u: np.ndarray, lo: np.ndarray, mode: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorised; the mode may sit on either bound)."""
    span = hi - lo
    cut = (mode - lo) / span
    left = lo + np.sqrt(u * span * (mode - lo))
    right = hi - np.sqrt((1 - u) * span * (hi - mode))
    return np.where(u < cut, left, right)


def draw_weights(m: Model, rng: np.random.Generator, d: int, concentration: Optional[float]
                 ) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """d draws of (leaf weights (d, k), node weights (d, N) or None for a flat rubric). Each level of the
    tree is a Dirichlet around its published shares: the top level's weights out of 100, then, parent
    before child, each group's children's shares of the group's drawn weight. Concentration None: the
    published weights."""
    w = np.broadcast_to(m.weights, (d, len(m.weights))).copy()
    if concentration is None:
        return w, None
    if not m.tree:  # one level: the draws flat rubrics have always had
        positive = m.weights > 0
        if positive.sum() > 1:
            w[:, positive] = rng.dirichlet(concentration * m.weights[positive] / 100.0, size=d) * 100.0
        return w, None
    nw = np.broadcast_to(m.node_weights, (d, len(m.nodes))).copy()
    for parent in [-1] + [g for g in range(len(m.nodes)) if g not in set(m.node_leaf.tolist())]:
        kids = np.flatnonzero(m.node_parent == parent)
        whole = 100.0 if parent < 0 else m.node_weights[parent]
        if not len(kids) or whole <= 0:
            continue
        base = m.node_weights[kids] / whole
        positive = base > 0
        drawn = nw[:, [parent]] if parent >= 0 else 100.0
        if positive.sum() > 1:
            shares = rng.dirichlet(concentration * base[positive], size=d)
        else:
            shares = np.broadcast_to(base[positive], (d, int(positive.sum())))
        nw[:, kids[positive]] = drawn * shares
        nw[:, kids[~positive]] = 0.0
    return nw[:, m.node_leaf], nw


def _check_settings(draws, concentration, deflator_range, evidence_range) -> None:
    if not (isinstance(draws, (int, np.integer)) and 1 <= draws <= MAX_DRAWS):
        raise EvaluatorError(f"must be a whole number from 1 to {MAX_DRAWS:,}", field="--draws", value=draws)
    if concentration is not None and not (np.isfinite(concentration) and concentration > 0):
        raise EvaluatorError("must be a number above 0 (larger keeps the weights closer to the published ones)",
                             field="--concentration", value=concentration)
    for name, v in (("--deflator-range", deflator_range), ("--evidence-range", evidence_range)):
        if not (np.isfinite(v) and 0 <= v <= 1):
            raise EvaluatorError("must be between 0 and 1 (a share, e.g. 0.1 for ±10 points)", field=name, value=v)


def simulate(m: Model, draws: int = 10_000, seed=0, *, concentration: Optional[float] = DEFAULTS["concentration"],
             deflator_range: float = DEFAULTS["deflator_range"], evidence_range: float = DEFAULTS["evidence_range"],
             vary_scores: bool = True, vary_proxies: bool = True, weights: Optional[tuple] = None) -> dict:
    """Run the draws; returns per-draw totals and ranks (draws x bids) for the tables and charts.
    `weights`: (leaf weights (draws, k), node weights (draws, N) or None) drawn already (lots share them)."""
    _check_settings(draws, concentration, deflator_range, evidence_range)
    rng = np.random.default_rng(seed)
    n, c = m.n, len(m.c_qin)
    chunk = int(max(1, min(draws, CHUNK_CELLS // max(c, n * max(len(m.criteria), 1), 1))))
    totals = np.empty((draws, n))
    ranks = np.empty((draws, n), dtype=np.int32)
    figures = m.lens == "figures" and vary_proxies and len(m.p_codes) > 0
    done = 0
    while done < draws:
        d = min(chunk, draws - done)
        if weights is None:
            w, nw = draw_weights(m, rng, d, concentration)
        else:
            w, nw = weights[0][done:done + d], None if weights[1] is None else weights[1][done:done + d]
        scores = np.broadcast_to(m.base_scores, (d,) + m.base_scores.shape).copy()
        if vary_scores and (m.disagree if m.moves is None else m.moves).any():
            step = rng.integers(-1, 2, size=(d,) + m.base_scores.shape)
            scores = np.where(step < 0, m.score_down, np.where(step > 0, m.score_up, scores))
        dw = at = dp = ef = None
        if c:
            if deflator_range > 0:
                dw = np.clip(m.c_dw + rng.uniform(-deflator_range, deflator_range, (d, c)), 0, 1)
                at = np.clip(m.c_at + rng.uniform(-deflator_range, deflator_range, (d, c)), 0, 1)
                dp = np.clip(m.c_dp + rng.uniform(-deflator_range, deflator_range, (d, c)), 0, 1)
            if evidence_range > 0:
                table = np.clip(m.ef_base[None, :5] + rng.uniform(-evidence_range, evidence_range, (d, 5)), 0, 1)
                table = np.concatenate([table, np.zeros((d, 1))], axis=1)
                ef = np.take_along_axis(table, np.broadcast_to(m.c_grade, (d, c)), axis=1)
        mult = None
        if figures:
            u = rng.random((d, len(m.p_codes)))
            mult = _triangular(u, m.p_low, m.p_mode, m.p_high) / m.p_mode
        out = totals_for(m, w, scores, dw, at, dp, ef, mult, node_weights=nw)
        totals[done:done + d] = out["totals"]
        ranks[done:done + d] = out["ranks"]
        done += d
    return {"totals": totals, "ranks": ranks}


def analyse(ev, draws: int = 10_000, seed=0, *, lens: Optional[str] = None,
            concentration: Optional[float] = DEFAULTS["concentration"],
            deflator_range: float = DEFAULTS["deflator_range"], evidence_range: float = DEFAULTS["evidence_range"],
            weights: Optional[tuple] = None, model: Optional[Model] = None) -> Sensitivity:
    """Win and rank probabilities over the draws, and the exact switching values, for one evaluation (a
    tender without lots, or one lot's). `weights`: drawn already (see simulate)."""
    from .switching import switching_values
    m = model if model is not None else build_model(ev, lens)
    sim = simulate(m, draws, seed, concentration=concentration, deflator_range=deflator_range,
                   evidence_range=evidence_range, weights=weights)
    n = m.n
    ranks = sim["ranks"]
    rank_p = np.stack([(ranks == r).mean(axis=0) for r in range(1, n + 1)], axis=1) if n else np.zeros((0, 0))
    base = published(m)
    pub_ranks = base["ranks"][0]
    winner = m.bidders[int(np.flatnonzero(pub_ranks == 1)[0])] if (pub_ranks == 1).any() else None
    return Sensitivity(
        draws=int(draws), seed=int(seed if np.isscalar(seed) else seed[0]), lens=m.lens,
        settings={"concentration": concentration, "deflator_range": deflator_range,
                  "evidence_range": evidence_range, "lens": m.lens},
        bidders=m.bidders, win=rank_p[:, 0] if n else np.zeros(0), rank_probabilities=rank_p,
        disqualified=(ranks == 0).mean(axis=0), mean_total=sim["totals"].mean(axis=0),
        total_p05=np.percentile(sim["totals"], 5, axis=0) if n else np.zeros(0),
        total_p95=np.percentile(sim["totals"], 95, axis=0) if n else np.zeros(0),
        switching=switching_values(m, base), published_winner=winner, published_totals=base["totals"][0],
        award=m.award, tree=m.tree, published_per_point=base["per_point"][0] if m.per_point else None,
        ranks=ranks if weights is not None else None)
