"""Sensitivity of a tender with lots (DESIGN 9.3): each lot's draws, and the award across the lots in
every draw.

The weights belong to the tender, not to a lot: they are drawn once (from the seed) and every lot's draw
number i uses draw i's weights. Each lot's other draws (deflators, evidence factors, disputed scores,
proxies) come from its own generator, seeded with (seed, the lot's place in the list), so `--lot L`
gives exactly lot L's part of the whole run. In each draw the lots are then awarded as the engine awards
them: in descending contract value (ties: the order listed), each to its best-ranked eligible bid whose
supplier does not already hold `max_lots_per_supplier` lots.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .sensitivity_model import build_model
from . import sensitivity as S
from .exceptions import EvaluatorError


@dataclass
class LotsSensitivity:
    tender: str
    draws: int
    seed: int
    lens: str
    settings: dict
    lots: dict                        # lot id -> Sensitivity, in the listed order
    titles: dict                      # lot id -> title
    award: Optional[pd.DataFrame]     # the published award (LotsEvaluation.award); None for one lot
    award_probabilities: dict         # lot id -> {bidder: share of draws the lot goes to it}
    no_award: dict                    # lot id -> share of draws with no eligible bid to award it to

    def award_table(self) -> pd.DataFrame:
        """One row per lot: the published award, and how often each bidder is awarded it over the draws."""
        rows = []
        for r in self.award.sort_values("order").itertuples(index=False):
            p = self.award_probabilities.get(r.lot, {})
            rows.append({"lot": r.lot, "title": r.title, "contract_value": r.contract_value,
                         "awarded_to": r.awarded_to, "passed_over": ", ".join(map(str, r.passed_over or [])),
                         "awarded_to_share": p.get(r.awarded_to, 0.0) if isinstance(r.awarded_to, str) else None,
                         "most_often": max(p, key=p.get) if p and max(p.values()) > 0 else None,
                         "no_award_share": self.no_award.get(r.lot, 0.0)})
        return pd.DataFrame(rows, columns=["lot", "title", "contract_value", "awarded_to", "passed_over",
                                           "awarded_to_share", "most_often", "no_award_share"])

    def to_json(self) -> dict:
        lots = []
        published = {} if self.award is None else {r.lot: r for r in self.award.itertuples(index=False)}
        for lot_id, s in self.lots.items():
            doc = {"id": lot_id, "title": self.titles.get(lot_id)}
            doc.update({k: v for k, v in s.to_json().items() if k not in ("draws", "seed")})
            if lot_id in published:
                r = published[lot_id]
                doc["awarded_to"] = r.awarded_to if isinstance(r.awarded_to, str) else None
                doc["passed_over"] = list(r.passed_over or [])
                doc["award_probabilities"] = {b: round(p, 6) for b, p in self.award_probabilities[lot_id].items()}
                doc["no_award_probability"] = round(self.no_award[lot_id], 6)
            lots.append(doc)
        return {"tender": self.tender, "draws": self.draws, "seed": self.seed, "lots": lots}


def award_draws(ranks: dict, bidders: dict, order: list, max_lots: Optional[int]) -> dict:
    """Each draw's award across the lots: lot id -> (draws,) the awarded bid's position in that lot's
    bidders, -1 when no eligible bid is left. `ranks`: lot id -> (draws, n) ranks (0 = not eligible);
    `order`: the lots in award order."""
    suppliers = {b: i for i, b in enumerate(dict.fromkeys(b for lot in order for b in bidders[lot]))}
    draws = next(iter(ranks.values())).shape[0] if ranks else 0
    held = np.zeros((draws, max(len(suppliers), 1)), dtype=np.int64)
    rows = np.arange(draws)
    out = {}
    for lot in order:
        r = ranks[lot]
        sup = np.array([suppliers[b] for b in bidders[lot]], dtype=np.int64)
        awarded = np.full(draws, -1, dtype=np.int64)
        if r.shape[1]:
            # best rank first; equal ranks in the bids' order; ineligible bids last
            by_rank = np.argsort(np.where(r > 0, r, np.iinfo(np.int32).max), axis=1, kind="stable")
            for p in range(r.shape[1]):
                cand = by_rank[:, p]
                ok = (awarded < 0) & (r[rows, cand] > 0)
                if max_lots is not None:
                    ok &= held[rows, sup[cand]] < max_lots
                awarded = np.where(ok, cand, awarded)
            got = awarded >= 0
            np.add.at(held, (rows[got], sup[awarded[got]]), 1)
        out[lot] = awarded
    return out


def analyse_lots(tev, draws: int = 10_000, seed: int = 0, *, lot: Optional[str] = None,
                 lens: Optional[str] = None, concentration: Optional[float] = S.DEFAULTS["concentration"],
                 deflator_range: float = S.DEFAULTS["deflator_range"],
                 evidence_range: float = S.DEFAULTS["evidence_range"]) -> LotsSensitivity:
    """Every lot's sensitivity (or only `lot`'s), and the award across the lots over the draws. `tev`: a
    LotsEvaluation (evaluator.lots.evaluate_tender)."""
    S._check_settings(draws, concentration, deflator_range, evidence_range)
    ids = list(tev.lots)
    if lot is not None and lot not in ids:
        raise EvaluatorError(f"is not a lot of this tender; its lots are {', '.join(ids)}", field="--lot", value=lot)
    rubric = tev.rubric
    models = {lid: build_model(tev.lots[lid], lens) for lid in ids}
    first = models[ids[0]]
    weights = S.draw_weights(first, np.random.default_rng(seed), draws, concentration)
    chosen = [lot] if lot is not None else ids
    lots = {lid: S.analyse(tev.lots[lid], draws, [seed, ids.index(lid) + 1], concentration=concentration,
                           deflator_range=deflator_range, evidence_range=evidence_range, weights=weights,
                           model=models[lid])
            for lid in chosen}
    titles = {x.id: x.title for x in rubric.lots}
    award, probs, none = None, {}, {}
    if lot is None:
        award = tev.award
        order = award.sort_values("order")["lot"].tolist()
        spec_max = getattr(rubric, "max_lots_per_supplier", None)
        if spec_max is None:
            spec_max = getattr(rubric.spec, "max_lots_per_supplier", None)
        got = award_draws({k: s.ranks for k, s in lots.items()}, {k: s.bidders for k, s in lots.items()}, order,
                          spec_max)
        for lid, s in lots.items():
            a = got[lid]
            counts = np.bincount(a[a >= 0], minlength=len(s.bidders)) / draws
            probs[lid] = {b: float(counts[i]) for i, b in enumerate(s.bidders)}
            none[lid] = float((a < 0).mean())
    return LotsSensitivity(tender=rubric.tender.id, draws=int(draws), seed=int(seed), lens=first.lens,
                           settings={"concentration": concentration, "deflator_range": deflator_range,
                                     "evidence_range": evidence_range, "lens": first.lens},
                           lots=lots, titles=titles, award=award, award_probabilities=probs, no_award=none)
