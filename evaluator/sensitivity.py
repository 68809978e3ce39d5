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
- the scores where the evaluators disagreed: one scale step down, none or one up, equally likely;
- for the figures lens, each measure's proxy £ between its `low` and `high` (triangular, mode at the
  central value), one draw per measure shared by every bid, every claim under it repriced in proportion.

All of it is numpy, vectorised across draws (in chunks to bound memory), from one seeded generator:
the same seed gives the same numbers.

Switching values are exact: moving one criterion's weight to x, with the other weights rescaled in
proportion so they still sum to 100, makes every total a straight line in x, so the weight at which
another bid overtakes the winner is where two lines cross.
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
DEFAULTS = {"concentration": 100.0, "deflator_range": 0.10, "evidence_range": 0.10}
MAX_DRAWS = 1_000_000
CHUNK_CELLS = 4_000_000  # draws x commitments per chunk


@dataclass
class Model:
    """The arrays one evaluation's totals are made of (n bids, k criteria, s scale criteria, c credited
    commitments, f commitments for the figures lens, o outcomes, p measures)."""

    lens: str
    bidders: list[str]
    criteria: list[str]
    kinds: list[str]
    weights: np.ndarray              # (k,) published, out of 100
    price: np.ndarray                # (n,)
    price_method: Optional[str]
    scale_values: np.ndarray
    scale_top: float
    scale_ids: list[str]
    scale_sv: np.ndarray             # (s,) bool: the criterion counts as social value, not quality
    base_scores: np.ndarray          # (n, s) the score used (moderated, else median); NaN unscored
    score_down: np.ndarray           # (n, s) one scale step below (itself where evaluators agreed)
    score_up: np.ndarray             # (n, s) one scale step above
    disagree: np.ndarray             # (n, s) bool
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
    p_codes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.bidders)

    @property
    def n_outcomes(self) -> int:
        return len(self.targets)


def build_model(ev, lens: Optional[str] = None) -> Model:
    """The arrays behind an evaluation's totals, for the lens that awards (the official one by default)."""
    rubric = ev.rubric
    lens = lens or ev.official_lens
    if lens not in ("design", "figures"):
        raise EvaluatorError("must be design or figures", field="--lens", value=lens)
    bidders = ev.results["bidder"].tolist()
    n = len(bidders)
    crits = rubric.spec.criteria
    price_crit = rubric.price_criterion

    scale = rubric.scale
    s_ids = [c.id for c in rubric.scale_criteria]
    sc = ev.scale.set_index(["bidder", "criterion"]).reindex(pd.MultiIndex.from_product([bidders, s_ids]))
    shape = (n, len(s_ids))
    base = sc["score"].to_numpy(dtype=float).reshape(shape)
    low = sc["lowest_score"].to_numpy(dtype=float).reshape(shape)
    high = sc["highest_score"].to_numpy(dtype=float).reshape(shape)
    n_eval = sc["n_evaluators"].to_numpy(dtype=float).reshape(shape)
    disagree = (n_eval > 1) & (high > low) & ~np.isnan(base)
    below_idx = np.searchsorted(scale, base, side="left") - 1         # largest scale value < base
    above_idx = np.searchsorted(scale, base, side="right")            # smallest scale value > base
    down = np.where(below_idx >= 0, scale[np.clip(below_idx, 0, len(scale) - 1)], base)
    up = np.where(above_idx < len(scale), scale[np.clip(above_idx, 0, len(scale) - 1)], base)
    down = np.where(disagree, down, base)
    up = np.where(disagree, up, base)
    thresholds = np.array([np.nan if c.threshold is None else float(c.threshold) for c in rubric.scale_criteria])

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
        lens=lens, bidders=bidders, criteria=[x.id for x in crits], kinds=[x.kind for x in crits],
        weights=np.array([float(x.weight) for x in crits]),
        price=ev.results["price"].to_numpy(dtype=float),
        price_method=(price_crit.method or "relative") if price_crit is not None else None,
        scale_values=scale, scale_top=rubric.scale_max, scale_ids=s_ids,
        scale_sv=np.array([bool(x.social_value) for x in rubric.scale_criteria], dtype=bool),
        base_scores=base, score_down=down, score_up=up, disagree=disagree, thresholds=thresholds,
        r_label=r_label, cells=cells, c_row=c_row, c_qin=col["quantity_in_term"], c_dw=col["deadweight_used"],
        c_at=col["attribution_used"], c_dp=col["displacement_used"], c_grade=grade, c_ef=col["evidence_factor"],
        ef_base=ef_base,
        targets=targets, priorities=priorities, cap=float(rubric.spec.design.attainment_cap),
        f_bid=f_bid, f_value=f_value, f_measure=f_measure, p_low=np.array(lows), p_mode=np.array(modes),
        p_high=np.array(highs), p_codes=codes)


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


def totals_for(m: Model, weights: np.ndarray, scores: np.ndarray, dw=None, at=None, dp=None, ef=None,
               proxy_mult=None) -> dict:
    """Totals, quality marks, eligibility and ranks for a batch of draws (leading axis d): weights (d, k),
    scores (d, n, s), deflators and evidence factors (d, c) or None for the values used, proxy
    multipliers (d, p) or None."""
    d = weights.shape[0]
    dw = m.c_dw[None, :] if dw is None else dw
    at = m.c_at[None, :] if at is None else at
    dp = m.c_dp[None, :] if dp is None else dp
    ef = m.c_ef[None, :] if ef is None else ef
    eligible = kernel.eligibility(scores, m.thresholds)
    price = np.zeros((d, m.n))
    if m.price_method is not None:
        marks, _ = kernel.price_marks(m.price, eligible, weights[:, [m.kinds.index("price")]], m.price_method)
        price = np.where(np.isnan(marks), 0.0, marks)  # no price, no marks (as evaluate)
    cols = [m.criteria.index(cid) for cid in m.scale_ids]
    scale = kernel.scale_marks(scores, weights[:, None, cols], m.scale_top)
    names = np.asarray(m.bidders, dtype=object)
    quality = kernel.bid_sums(scale[:, :, ~m.scale_sv], names)
    sv_scale = kernel.bid_sums(scale[:, :, m.scale_sv], names)
    fraction = sv = np.zeros((d, m.n))
    if "social_value" in m.kinds:
        fraction = _lens_fractions(m, eligible, dw, at, dp, ef, proxy_mult)
        sv = weights[:, [m.kinds.index("social_value")]] * fraction
    totals = kernel.totals(price, quality, sv_scale, sv)
    return {"totals": totals, "quality": quality, "eligible": eligible, "sv_fraction": fraction,
            "ranks": kernel.ranks(totals, quality, m.price, eligible)}


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
    frac[:, [m.criteria.index(cid) for cid in m.scale_ids]] = kernel.scale_marks(scores, 1.0, m.scale_top)[0]
    if "social_value" in m.kinds:
        frac[:, m.kinds.index("social_value")] = base["sv_fraction"][0]
    return frac


# ------------------------------------------------------------------------------------------ draws
@dataclass
class Sensitivity:
    draws: int
    seed: int
    lens: str
    settings: dict
    bidders: list[str]
    win: np.ndarray                  # (n,)
    rank_probabilities: np.ndarray   # (n, n): [bid, rank-1]
    disqualified: np.ndarray         # (n,) share of draws the bid fell below a threshold
    mean_total: np.ndarray
    total_p05: np.ndarray
    total_p95: np.ndarray
    switching: pd.DataFrame
    published_winner: Optional[str]
    published_totals: np.ndarray

    def table(self) -> pd.DataFrame:
        t = pd.DataFrame({"bidder": self.bidders, "published_total": self.published_totals,
                          "win_probability": self.win, "mean_total": self.mean_total,
                          "total_p05": self.total_p05, "total_p95": self.total_p95,
                          "disqualified_share": self.disqualified})
        for r in range(len(self.bidders)):
            t[f"rank_{r + 1}"] = self.rank_probabilities[:, r]
        return t

    def to_json(self) -> dict:
        order = np.lexsort((-self.published_totals, -self.win))
        return {
            "draws": self.draws,
            "seed": self.seed,
            "bids": [{"bidder": self.bidders[i], "win_probability": float(self.win[i]),
                      "rank_probabilities": {str(r + 1): float(self.rank_probabilities[i, r])
                                             for r in range(len(self.bidders))}}
                     for i in order],
            "switching": [{"criterion": r.criterion, "weight": float(r.weight),
                           "switch_at": None if r.switch_at is None or r.switch_at != r.switch_at else round(float(r.switch_at), 4),
                           "new_winner": r.new_winner if isinstance(r.new_winner, str) else None}
                          for r in self.switching.itertuples(index=False)],
        }


def _triangular(u: np.ndarray, lo: np.ndarray, mode: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorised; the mode may sit on either bound)."""
    span = hi - lo
    cut = (mode - lo) / span
    left = lo + np.sqrt(u * span * (mode - lo))
    right = hi - np.sqrt((1 - u) * span * (hi - mode))
    return np.where(u < cut, left, right)


def simulate(m: Model, draws: int = 10_000, seed: int = 0, *, concentration: Optional[float] = DEFAULTS["concentration"],
             deflator_range: float = DEFAULTS["deflator_range"], evidence_range: float = DEFAULTS["evidence_range"],
             vary_scores: bool = True, vary_proxies: bool = True) -> dict:
    """Run the draws; returns per-draw totals and ranks (draws x bids) for the tables and charts."""
    if not (isinstance(draws, (int, np.integer)) and 1 <= draws <= MAX_DRAWS):
        raise EvaluatorError(f"must be a whole number from 1 to {MAX_DRAWS:,}", field="--draws", value=draws)
    if concentration is not None and not (np.isfinite(concentration) and concentration > 0):
        raise EvaluatorError("must be a number above 0 (larger keeps the weights closer to the published ones)",
                             field="--concentration", value=concentration)
    for name, v in (("--deflator-range", deflator_range), ("--evidence-range", evidence_range)):
        if not (np.isfinite(v) and 0 <= v <= 1):
            raise EvaluatorError("must be between 0 and 1 (a share, e.g. 0.1 for ±10 points)", field=name, value=v)
    rng = np.random.default_rng(seed)
    n, c = m.n, len(m.c_qin)
    chunk = int(max(1, min(draws, CHUNK_CELLS // max(c, n * max(len(m.criteria), 1), 1))))
    totals = np.empty((draws, n))
    ranks = np.empty((draws, n), dtype=np.int32)
    positive = m.weights > 0
    alpha = concentration * m.weights[positive] / 100.0 if concentration is not None else None
    figures = m.lens == "figures" and vary_proxies and len(m.p_codes) > 0
    done = 0
    while done < draws:
        d = min(chunk, draws - done)
        w = np.broadcast_to(m.weights, (d, len(m.weights))).copy()
        if alpha is not None and positive.sum() > 1:
            w[:, positive] = rng.dirichlet(alpha, size=d) * 100.0
        scores = np.broadcast_to(m.base_scores, (d,) + m.base_scores.shape).copy()
        if vary_scores and m.disagree.any():
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
        out = totals_for(m, w, scores, dw, at, dp, ef, mult)
        totals[done:done + d] = out["totals"]
        ranks[done:done + d] = out["ranks"]
        done += d
    return {"totals": totals, "ranks": ranks}


def switching_values(m: Model, base: Optional[dict] = None) -> pd.DataFrame:
    """For each criterion: the weight (0-100) nearest the published one at which the published winner is
    overtaken, the other weights rescaled in proportion, and who overtakes; none if no bid does.
    `base`: the published draw, if already worked out.

    With fractions F (fixed: they do not depend on the weights), moving criterion k's weight to x gives
    total_b(x) = x F[b,k] + (100 - x) / (100 - w_k) * sum_{j != k} w_j F[b,j]: a straight line in x.
    """
    base = published(m) if base is None else base
    frac = fractions(m, base)
    eligible = base["eligible"][0]
    ranks = base["ranks"][0]
    rows = []
    winners = np.flatnonzero(ranks == 1)
    a = int(winners[0]) if len(winners) else None
    for j, cid in enumerate(m.criteria):
        wk = float(m.weights[j])
        row = {"criterion": cid, "weight": wk, "switch_at": None, "new_winner": None, "direction": None}
        if a is None or wk >= 100 or eligible.sum() < 2:
            rows.append(row)
            continue
        others = frac @ m.weights - wk * frac[:, j]
        r = others / (100.0 - wk)
        intercept, slope = 100.0 * r, frac[:, j] - r
        best = None
        for b in np.flatnonzero(eligible):
            if b == a:
                continue
            di, ds = intercept[b] - intercept[a], slope[b] - slope[a]
            if abs(ds) < 1e-15:
                continue
            x = -di / ds
            gap_now = di + ds * wk  # <= 0: the winner leads (or wins the tie-break) at the published weight
            if ds > 0 and x >= wk - 1e-12 and x <= 100 + 1e-12:
                direction = "up"
            elif ds < 0 and x <= wk + 1e-12 and x >= -1e-12:
                direction = "down"
            else:
                continue
            if gap_now > 1e-9:
                continue
            # at x = 100 (or 0) the lines only meet at the edge: the winner does not change inside 0-100
            if (direction == "up" and x >= 100 - 1e-12) or (direction == "down" and x <= 1e-12):
                continue
            key = (abs(x - wk), -abs(ds))
            if best is None or key < best[0]:
                best = (key, x, b, direction)
        if best is not None:
            row.update(switch_at=float(min(100.0, max(0.0, best[1]))), new_winner=m.bidders[best[2]], direction=best[3])
        rows.append(row)
    out = pd.DataFrame({"criterion": pd.Series([r["criterion"] for r in rows], dtype=object),
                        "weight": [r["weight"] for r in rows],
                        "switch_at": np.array([np.nan if r["switch_at"] is None else r["switch_at"] for r in rows], dtype=float),
                        # object columns: "no new winner" stays None, never NaN
                        "new_winner": pd.Series([r["new_winner"] for r in rows], dtype=object),
                        "direction": pd.Series([r["direction"] for r in rows], dtype=object)})
    return out


def analyse(ev, draws: int = 10_000, seed: int = 0, *, lens: Optional[str] = None,
            concentration: Optional[float] = DEFAULTS["concentration"],
            deflator_range: float = DEFAULTS["deflator_range"], evidence_range: float = DEFAULTS["evidence_range"],
            ) -> Sensitivity:
    """Win and rank probabilities over the draws, and the exact switching values, for one evaluation."""
    m = build_model(ev, lens)
    sim = simulate(m, draws, seed, concentration=concentration, deflator_range=deflator_range,
                   evidence_range=evidence_range)
    n = m.n
    ranks = sim["ranks"]
    rank_p = np.stack([(ranks == r).mean(axis=0) for r in range(1, n + 1)], axis=1) if n else np.zeros((0, 0))
    base = published(m)
    pub_ranks = base["ranks"][0]
    winner = m.bidders[int(np.flatnonzero(pub_ranks == 1)[0])] if (pub_ranks == 1).any() else None
    return Sensitivity(
        draws=int(draws), seed=int(seed), lens=m.lens,
        settings={"concentration": concentration, "deflator_range": deflator_range,
                  "evidence_range": evidence_range, "lens": m.lens},
        bidders=m.bidders, win=rank_p[:, 0] if n else np.zeros(0), rank_probabilities=rank_p,
        disqualified=(ranks == 0).mean(axis=0), mean_total=sim["totals"].mean(axis=0),
        total_p05=np.percentile(sim["totals"], 5, axis=0), total_p95=np.percentile(sim["totals"], 95, axis=0),
        switching=switching_values(m, base), published_winner=winner, published_totals=base["totals"][0])


def render(s: Sensitivity) -> str:
    """The readable table: who wins how often, and how far each weight can move before the winner changes.
    Bidder names are the suppliers' text, shown escaped (terminal.shown): a newline cannot forge a row."""
    from .terminal import shown
    t = s.table().sort_values(["win_probability", "published_total"], ascending=False)
    st = s.settings
    head = [f"Sensitivity of the winner ({s.lens} lens): {s.draws:,} draws, seed {s.seed}",
            f"Weights Dirichlet around the published ones (concentration {st['concentration']}); deflators "
            f"±{st['deflator_range']:.0%}; evidence factors ±{st['evidence_range']:.0%}; disputed scores ±1 scale step"
            + ("; proxies between low and high" if s.lens == "figures" else "") + ".",
            f"Published winner: {shown(s.published_winner) if s.published_winner else 'none'}", ""]
    ranks = min(len(s.bidders), 4)
    cols = ["Bidder", "Published", "Wins", "Mean total", "5%-95%"] + [f"P(rank {r})" for r in range(1, ranks + 1)] + ["DQ"]
    rows = []
    for r in t.itertuples(index=False):
        rows.append([shown(r.bidder), f"{r.published_total:.2f}", f"{r.win_probability:.1%}", f"{r.mean_total:.2f}",
                     f"{r.total_p05:.1f}-{r.total_p95:.1f}"]
                    + [f"{getattr(r, f'rank_{k}'):.1%}" for k in range(1, ranks + 1)] + [f"{r.disqualified_share:.1%}"])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = head + [line(cols), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out += ["", "Switching values (exact): the weight at which the winner changes, other weights rescaled in proportion"]
    for r in s.switching.itertuples(index=False):
        if r.switch_at is None or r.switch_at != r.switch_at:
            out.append(f"  {r.criterion}: published {r.weight:g}; the winner holds anywhere from 0 to 100")
        else:
            way = "rises" if r.direction == "up" else "falls"
            out.append(f"  {r.criterion}: published {r.weight:g}; if it {way} to {r.switch_at:.2f}, {shown(r.new_winner)} wins")
    return "\n".join(out)
