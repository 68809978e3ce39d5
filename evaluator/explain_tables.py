"""The explain tables of one bid with their titles: the working behind every number, in the order a lead
walks a supplier through them. One list for the command line's `explain` and the app's Results page, so the
two never name a table differently.

A rubric with a criteria tree (DESIGN 9.1) gets one table per level of the tree after the marks (the
criteria, then their sub-criteria, then theirs: a group's marks are the sum of its children's), and its
pass/fail questions and group minimums when it has them. A flat rubric's tables are exactly as before.

A proxy table with values in more than one price year adds the price-base table after the validated £
(each value, its price year, the deflator rows, the factor and the value in the price base); a table all in
one price year adds nothing."""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

TITLES = {
    "marks": "Marks: the inputs and the sum", "price": "Price", "scale": "Scale criteria",
    "claimed": "Figures lens: what was claimed", "checks": "Flags", "credit": "What the design lens credits",
    "net_quantity": "Net quantity towards the buyer's outcomes", "attainment": "Attainment",
    "valuation": "Validated £ per commitment", "by_year": "Validated £ year by year",
    "walk_by_commitment": "From claimed £ to credited £, per commitment", "walk": "From claimed £ to credited £",
    "tree_level_1": "Criteria tree, level 1: the criteria (a group's marks are the sum of its sub-criteria's)",
    "tree_level_2": "Criteria tree, level 2: sub-criteria",
    "tree_level_3": "Criteria tree, level 3: sub-criteria of sub-criteria",
    "groups": "Groups against their minimum share",
    "pass_fail": "Pass/fail questions",
    "price_base": "One price base: each reference proxy converted with the GDP deflator",
}


class ExplainTable(NamedTuple):
    key: str              # the engine's name for the table (the keys of `explain --json`)
    title: str            # what a reader sees above it
    frame: pd.DataFrame


def explain_tables(ev, bidder: str) -> list[ExplainTable]:
    """Evaluation.explain(bidder)'s tables, each with its title (a table without one is titled by its key);
    the engine's "tree" table becomes one table per level, after the marks, when the rubric has groups."""
    found = ev.explain(bidder)
    tree = found.pop("tree", None)
    extra = (_tree_tables(ev, bidder, tree, found) if _has_tree(ev.rubric) else []) + (
        [] if "pass_fail" in found else _pass_fail_table(ev, bidder))
    out = []
    for key, frame in found.items():
        out.append(ExplainTable(key, TITLES.get(key, key), frame))
        if key == "marks":
            out += extra
            extra = []
        if key == "valuation":
            out += _price_base_table(ev)
    return out + extra


def _price_base_table(ev) -> list[ExplainTable]:
    from .price_base import conversions, shown_table, worth_showing
    table = conversions(ev.rubric)
    if not worth_showing(table):
        return []
    return [ExplainTable("price_base", TITLES["price_base"], shown_table(table))]


def _has_tree(rubric) -> bool:
    groups = getattr(rubric, "groups", None)
    return groups is not None and len(groups) > 0


def _tree_tables(ev, bidder: str, tree, found: dict) -> list[ExplainTable]:
    out = []
    if tree is not None and len(tree) and "level" in tree.columns:
        for level in sorted(int(x) for x in tree["level"].dropna().unique()):
            key = f"tree_level_{level}"
            frame = tree[tree["level"] == level].drop(columns=["level"]).reset_index(drop=True)
            out.append(ExplainTable(key, TITLES.get(key, key), frame))
    groups = getattr(ev, "groups", None)
    if "groups" not in found and groups is not None and len(groups) and "bidder" in groups.columns:
        mine = groups[groups["bidder"] == bidder].drop(columns=["bidder"]).reset_index(drop=True)
        out.append(ExplainTable("groups", TITLES["groups"], mine))
    return out


def _pass_fail_table(ev, bidder: str) -> list[ExplainTable]:
    pf = getattr(ev, "pass_fail", None)
    if pf is None or not len(pf) or "bidder" not in pf.columns:
        return []
    mine = pf[pf["bidder"] == bidder].drop(columns=["bidder"]).reset_index(drop=True)
    return [ExplainTable("pass_fail", TITLES["pass_fail"], mine)] if len(mine) else []
