"""Switching values: how far each criterion's or sub-criterion's weight must move before the published
winner changes, found exactly (the totals are straight lines in the weight moved), on the arrays and
kernel calls of sensitivity.py.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .sensitivity_model import Model, fractions, published, totals_for


def node_fractions(m: Model, frac: np.ndarray) -> np.ndarray:
    """(n, N): each node's marks over its weight as published; a leaf's is its own fraction, a group's the
    share-weighted mean of its leaves'."""
    out = np.zeros((m.n, len(m.nodes)))
    out[:, m.node_leaf] = frac
    for g in sorted(set(range(len(m.nodes))) - set(m.node_leaf.tolist())):
        w = np.where(m.under[g], m.weights, 0.0)
        out[:, g] = (frac @ w) / m.node_weights[g] if m.node_weights[g] > 0 else 0.0
    return out


def _moved(m: Model, j: int, whole: float, x) -> tuple[np.ndarray, np.ndarray]:
    """Leaf and node weights (one row per x) with node j's weight at x within its parent of weight
    `whole`, its siblings (and everything under them) rescaled in proportion, everything under j with it."""
    below = np.eye(len(m.nodes), dtype=bool)  # [a, i]: node i is node a or under it
    for i in range(len(m.nodes)):
        p = m.node_parent[i]
        while p >= 0:
            below[p, i], p = True, m.node_parent[p]
    wk, parent = m.node_weights[j], m.node_parent[j]
    x = np.asarray(x, dtype=float)[:, None]
    in_parent = below[parent].copy() if parent >= 0 else np.ones(len(m.nodes), dtype=bool)
    in_parent[parent] = parent < 0  # the parent's own weight is held
    factor = np.where(below[j], x / wk, np.where(in_parent, (whole - x) / (whole - wk), 1.0))
    nw = m.node_weights * factor
    return nw[:, m.node_leaf], nw


def _switch_re_judged(m: Model, j: int, whole: float, a: int) -> Optional[tuple]:
    """The switching value of node j when moving it moves a group's share of its marks past the group's
    minimum (SV203), so that bids fall out of (or come back into) the award along the way. Between the
    points where some bid crosses a minimum the eligible bids are fixed and every total is a straight line
    in x; every crossing of two of them is a point where the order can change, and the winner between
    two neighbouring points is read from the kernel at the midpoint. Returns (x, new winner, direction)
    nearest the published weight, or None."""
    wk = float(m.node_weights[j])
    ends = _moved(m, j, whole, [0.0, whole])[0]
    scale_cols = np.isin(np.arange(len(m.criteria)), [m.criteria.index(c) for c in m.scale_ids])
    F = fractions(m)
    points = [0.0, wk, whole]
    for g in np.flatnonzero(~np.isnan(m.min_share)):
        inside = m.under[g] & scale_cols
        lo, hi = F[:, inside] @ ends[0, inside], F[:, inside] @ ends[1, inside]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (m.min_share[g] * m.node_weights[g] - lo) / ((hi - lo) / whole)
        points += x[np.isfinite(x) & (x > 0) & (x < whole)].tolist()
    scores = m.base_scores[None, :, :]
    for lo, hi in zip(*(lambda p: (p[:-1], p[1:]))(np.unique(points))):
        w, nw = _moved(m, j, whole, [(lo + hi) / 2])
        out = totals_for(m, w, scores, node_weights=nw)
        Fs = fractions(m, out)
        c0, c1 = Fs @ ends[0], (Fs @ ends[1] - Fs @ ends[0]) / whole  # total_b(x) = c0 + c1 x
        e = np.flatnonzero(out["eligible"][0])
        b, c = np.meshgrid(e, e, indexing="ij")
        if m.per_point:  # b and c change places where price_c total_b = price_b total_c
            d0, d1 = m.price[c] * c0[b] - m.price[b] * c0[c], m.price[c] * c1[b] - m.price[b] * c1[c]
        else:
            d0, d1 = c0[b] - c0[c], c1[b] - c1[c]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = -d0 / d1
        points += x[np.isfinite(x) & (x > lo) & (x < hi)].tolist()
    edges = np.unique(points)
    edges = edges[np.r_[True, np.diff(edges) > 1e-12 * max(whole, 1.0)]]
    lo, hi = edges[:-1], edges[1:]
    w, nw = _moved(m, j, whole, (lo + hi) / 2)
    ranks = totals_for(m, w, np.broadcast_to(scores, (len(lo),) + scores.shape[1:]), node_weights=nw)["ranks"]
    winner = [int(np.flatnonzero(r == 1)[0]) if (r == 1).any() else None for r in ranks]
    up = next(((lo[i], winner[i], "up") for i in range(len(lo)) if lo[i] >= wk and winner[i] != a), None)
    down = next(((hi[i], winner[i], "down") for i in reversed(range(len(lo))) if hi[i] <= wk and winner[i] != a), None)
    found = [x for x in (up, down) if x is not None]
    return min(found, key=lambda t: abs(t[0] - wk)) if found else None


def switching_values(m: Model, base: Optional[dict] = None) -> pd.DataFrame:
    """For each criterion and sub-criterion (each weighted node of the tree): the weight nearest the
    published one at which the published winner is overtaken, and who overtakes; none if no bid does.
    A top-level criterion moves between 0 and 100 with the other top-level weights rescaled in
    proportion; a sub-criterion moves between 0 and its group's weight with its siblings rescaled in
    proportion (the group's weight held). `base`: the published draw, if already worked out.

    With fractions F (fixed: they do not depend on the weights), moving node k's weight to x within a
    parent of weight W gives total_b(x) = x F[b,k] + (W - x) / (W - w_k) * sum_{siblings j} w_j F[b,j]
    + the marks outside the parent: a straight line in x. Inside a group with a minimum share, moving a
    share can disqualify bids (or bring them back) along the way: see _switch_re_judged. With price per
    quality point, b overtakes a where
    price_a total_b(x) - price_b total_a(x), also a straight line, turns positive.
    """
    base = published(m) if base is None else base
    frac = node_fractions(m, fractions(m, base))
    eligible = base["eligible"][0]
    ranks = base["ranks"][0]
    rows = []
    winners = np.flatnonzero(ranks == 1)
    a = int(winners[0]) if len(winners) else None
    marks = frac * m.node_weights  # (n, N) each node's marks as published
    for j, cid in enumerate(m.nodes):
        wk = float(m.node_weights[j])
        parent = int(m.node_parent[j])
        whole = 100.0 if parent < 0 else float(m.node_weights[parent])
        row = {"criterion": cid, "weight": wk, "switch_at": None, "new_winner": None, "direction": None,
               "level": int(1 + (parent >= 0) + (parent >= 0 and m.node_parent[parent] >= 0)),
               "parent": m.nodes[parent] if parent >= 0 else None,
               "share": 100.0 * wk / whole if parent >= 0 and whole > 0 else None, "share_switch_at": None}
        if a is None or wk >= whole or eligible.sum() < 2:
            rows.append(row)
            continue
        chain, g = [], parent
        while g >= 0:
            chain, g = chain + [g], m.node_parent[g]
        if wk > 0 and (~np.isnan(m.min_share[chain])).any():  # eligibility moves with the share: re-judged
            found = _switch_re_judged(m, j, whole, a)
            if found is not None:
                row.update(switch_at=float(found[0]), new_winner=None if found[1] is None else m.bidders[found[1]],
                           direction=found[2], share_switch_at=100.0 * float(found[0]) / whole)
            rows.append(row)
            continue
        sib = np.flatnonzero(m.node_parent == parent)
        others = frac[:, sib] @ m.node_weights[sib] - wk * frac[:, j]
        r = others / (whole - wk)
        intercept, slope = whole * r, frac[:, j] - r
        if parent >= 0:  # the marks from outside the group do not move
            intercept = intercept + (base["totals"][0] - marks[:, parent])
        best = None
        for b in np.flatnonzero(eligible):
            if b == a:
                continue
            if m.per_point:  # b ahead when price_a total_b - price_b total_a > 0
                di = m.price[a] * intercept[b] - m.price[b] * intercept[a]
                ds = m.price[a] * slope[b] - m.price[b] * slope[a]
            else:
                di, ds = intercept[b] - intercept[a], slope[b] - slope[a]
            if abs(ds) < 1e-15:
                continue
            x = -di / ds
            gap_now = di + ds * wk  # <= 0: the winner leads (or wins the tie-break) at the published weight
            if ds > 0 and x >= wk - 1e-12 and x <= whole + 1e-12:
                direction = "up"
            elif ds < 0 and x <= wk + 1e-12 and x >= -1e-12:
                direction = "down"
            else:
                continue
            if gap_now > 1e-9 * (1 if not m.per_point else max(1.0, abs(m.price[a]))):
                continue
            # at the top (or 0) the lines only meet at the edge: the winner does not change inside the range
            if (direction == "up" and x >= whole - 1e-12) or (direction == "down" and x <= 1e-12):
                continue
            key = (abs(x - wk), -abs(ds))
            if best is None or key < best[0]:
                best = (key, x, b, direction)
        if best is not None:
            at = float(min(whole, max(0.0, best[1])))
            row.update(switch_at=at, new_winner=m.bidders[best[2]], direction=best[3],
                       share_switch_at=100.0 * at / whole if parent >= 0 else None)
        rows.append(row)
    out = pd.DataFrame({"criterion": pd.Series([r["criterion"] for r in rows], dtype=object),
                        "weight": [r["weight"] for r in rows],
                        "switch_at": np.array([np.nan if r["switch_at"] is None else r["switch_at"] for r in rows], dtype=float),
                        # object columns: "no new winner" stays None, never NaN
                        "new_winner": pd.Series([r["new_winner"] for r in rows], dtype=object),
                        "direction": pd.Series([r["direction"] for r in rows], dtype=object)})
    if m.tree:
        out["level"] = [r["level"] for r in rows]
        out["parent"] = pd.Series([r["parent"] for r in rows], dtype=object)
        out["share"] = np.array([np.nan if r["share"] is None else r["share"] for r in rows], dtype=float)
        out["share_switch_at"] = np.array([np.nan if r["share_switch_at"] is None else r["share_switch_at"]
                                           for r in rows], dtype=float)
    return out
