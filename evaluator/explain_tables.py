"""The explain tables of one bid with their titles: the working behind every number, in the order a lead
walks a supplier through them. One list for the command line's `explain` and the app's Results page, so the
two never name a table differently."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

TITLES = {
    "marks": "Marks: the inputs and the sum", "price": "Price (6.1)", "scale": "Scale criteria (6.2)",
    "claimed": "Figures lens: what was claimed", "checks": "Flags", "credit": "What the design lens credits",
    "net_quantity": "Net quantity towards the buyer's outcomes (6.3)", "attainment": "Attainment (6.3)",
    "valuation": "Validated £ per commitment (6.4)", "by_year": "Validated £ year by year (6.4)",
    "walk_by_commitment": "From claimed £ to credited £, per commitment", "walk": "From claimed £ to credited £",
}


class ExplainTable(NamedTuple):
    key: str              # the engine's name for the table (the keys of `explain --json`)
    title: str            # what a reader sees above it
    frame: pd.DataFrame


def explain_tables(ev, bidder: str) -> list[ExplainTable]:
    """Evaluation.explain(bidder)'s tables, each with its title (a table without one is titled by its key)."""
    return [ExplainTable(key, TITLES.get(key, key), frame) for key, frame in ev.explain(bidder).items()]
