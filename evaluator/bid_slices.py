"""The engine's long tables cut per bid, once, for documents that show every bid (a tender can have
hundreds): what a report shows of each bid's commitments, the results in rank order, a bid's own details."""
from __future__ import annotations

from typing import Any

import pandas as pd


_COMMITMENT_COLS = ["bidder", "id", "measure", "served_outcome", "quantity", "unit", "evidence_grade", "figures_value",
                    "credited", "credited_value", "not_credited_reason"]


def shown_commitments(ev) -> pd.DataFrame:
    """Only the commitment columns the reports show (the engine's table is ~70 columns wide, and
    iterating wide rows is what costs time with hundreds of bids)."""
    from .valuation import WALK_STEPS
    c = ev.commitments
    return c[_COMMITMENT_COLS + [f"walk_{k}" for k, _ in WALK_STEPS if f"walk_{k}" in c.columns]]


def by_bidder(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One pass over a long table instead of one filter per bid (a tender can have hundreds of bids)."""
    if frame is None or frame.empty or "bidder" not in frame.columns:
        return {}
    return {str(k): g for k, g in frame.groupby("bidder", sort=False, dropna=True)}


def in_rank_order(results: pd.DataFrame) -> pd.DataFrame:
    """Ranked bids first (best first), then the disqualified, by total."""
    r = results.copy()
    r["_order"] = r["rank"].astype("Float64").fillna(1e12)
    return r.sort_values(["_order", "total"], ascending=[True, False], kind="stable")


def given(info: Any, key: str, missing: str = "not given in the bid") -> str:
    v = info.get(key) if hasattr(info, "get") else None
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()):
        return missing
    return str(v)
