"""A tender in lots (DESIGN.md 9.3): each lot evaluated on its own, then the award across lots.

Each lot is a plain tender to the engine (`rubric.for_lot`: the lot's contract value, duration, local
area and targets), with its own bids, scores, lowest eligible price, best claim, ranks and flags. The
award then goes lot by lot in descending contract value (ties: the order the lots are listed); a
supplier already holding `max_lots_per_supplier` lots is passed over for the next eligible bid.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import pandas as pd

from .bids import BidSet
from .design_checks import check_rubric
from .evaluation import Evaluation, _flag_records, encoded, evaluate, with_skipped
from .rubric import Rubric
from .scores import empty_scores, scores_for_lot

AWARD_COLUMNS = ["lot", "title", "contract_value", "awarded_to", "passed_over", "order"]


@dataclass
class LotsEvaluation:
    rubric: Rubric                     # the lotted rubric as written
    bidset: BidSet                     # every lot's bids (each with its lot)
    scores: pd.DataFrame               # every lot's scores (each with its lot)
    lots: dict[str, Evaluation]        # lot id -> its evaluation on rubric.for_lot, in the listed order
    award: pd.DataFrame                # one row per lot (listed order): AWARD_COLUMNS
    rubric_flags: pd.DataFrame         # SV3xx of the tender

    @property
    def official_lens(self) -> str:
        return self.rubric.official_lens

    def evaluation(self, lot_id: str) -> Evaluation:
        if lot_id not in self.lots:
            from .exceptions import InputError
            raise InputError(f"is not a lot of this tender ({', '.join(self.lots)})", field="lot", value=lot_id)
        return self.lots[lot_id]

    def awarded_to(self, lot_id: str) -> Optional[str]:
        row = self.award[self.award["lot"] == lot_id]
        return None if row.empty else row["awarded_to"].iat[0]

    @property
    def results(self) -> pd.DataFrame:
        """Every lot's results, one row per bid, with its `lot` first."""
        return _stacked({k: ev.results for k, ev in self.lots.items()})

    @property
    def flags(self) -> pd.DataFrame:
        """Every lot's bid flags, with the `lot` each belongs to first."""
        return _stacked({k: ev.flags for k, ev in self.lots.items()})

    # ---------------------------------------------------------------- machine output (DESIGN.md 9.3)
    def to_json(self, *, fragments: bool = False) -> dict:
        """{"tender", "official_lens", "lots": [{"id", "title", "bids": [...as section 7...], "awarded_to",
        "passed_over": [...]}], "rubric_flags"}."""
        award = self.award.set_index("lot")
        lots = []
        for lot in self.rubric.lots:
            doc = self.lots[lot.id].to_json(fragments=fragments)
            lots.append({"id": lot.id, "title": lot.title, "bids": doc["bids"],
                         "awarded_to": award.at[lot.id, "awarded_to"],
                         "passed_over": list(award.at[lot.id, "passed_over"])})
        return with_skipped({"tender": self.rubric.tender.id, "official_lens": self.official_lens, "lots": lots,
                             "rubric_flags": _flag_records(self.rubric_flags)}, self.bidset)

    def json_bytes(self, indent: bool = True) -> bytes:
        return encoded(self.to_json(fragments=True), indent)

    def write_json(self, stream, indent: bool = True) -> None:
        stream.write(self.json_bytes(indent))


def _stacked(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [f.assign(lot=lot_id)[["lot"] + [c for c in f.columns if c != "lot"]] for lot_id, f in frames.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lot"])


def lot_bids(bidset: BidSet, lot_id: str) -> BidSet:
    """The bids, responses and commitments of one lot."""
    return bidset.for_lot(lot_id)


def evaluate_tender(rubric: Rubric, bidset: BidSet,
                    scores: Optional[pd.DataFrame] = None) -> Union[Evaluation, "LotsEvaluation"]:
    """The whole tender: `evaluate` for a tender without lots; with lots, each lot on its own
    (`rubric.for_lot`, the lot's bids and scores) and the award across them (9.3)."""
    if not rubric.has_lots:
        return evaluate(rubric, bidset, scores)
    scores = scores if scores is not None else empty_scores()
    lots = {lot.id: evaluate(rubric.for_lot(lot.id), lot_bids(bidset, lot.id), scores_for_lot(scores, lot.id))
            for lot in rubric.lots}
    return LotsEvaluation(rubric=rubric, bidset=bidset, scores=scores, lots=lots,
                          award=award_lots(rubric, lots), rubric_flags=check_rubric(rubric))


def award_lots(rubric: Rubric, lots: dict[str, Evaluation]) -> pd.DataFrame:
    """9.3's award: lots in descending contract value (ties: listed order); in each, the eligible bids in
    rank order (a shared rank: the order the bids were read), the first whose supplier does not already
    hold `max_lots_per_supplier` lots wins; those skipped are passed over. No eligible bid left: None."""
    limit = rubric.spec.max_lots_per_supplier
    listed = list(rubric.lots)
    values = [float(lot.contract_value if lot.contract_value is not None else rubric.tender.contract_value)
              for lot in listed]
    sequence = sorted(range(len(listed)), key=lambda i: (-values[i], i))
    held: dict[str, int] = {}
    rows: dict[str, dict] = {}
    for order, i in enumerate(sequence, start=1):
        lot = listed[i]
        r = lots[lot.id].results
        ranked = r[r["rank"].notna()]
        ranked = ranked.iloc[np.lexsort((np.arange(len(ranked)), ranked["rank"].to_numpy(dtype=np.int64)))]
        winner, passed = None, []
        for bidder in ranked["bidder"].tolist():
            if limit is not None and held.get(bidder, 0) >= limit:
                passed.append(bidder)
                continue
            winner = bidder
            break
        if winner is not None:
            held[winner] = held.get(winner, 0) + 1
        rows[lot.id] = {"lot": lot.id, "title": lot.title, "contract_value": values[i], "awarded_to": winner,
                        "passed_over": passed, "order": order}
    award = pd.DataFrame([rows[lot.id] for lot in listed], columns=AWARD_COLUMNS)
    award["awarded_to"] = pd.Series([rows[lot.id]["awarded_to"] for lot in listed], dtype=object)  # None, not NaN
    return award
