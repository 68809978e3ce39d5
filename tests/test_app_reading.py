"""The plain-English reading on "Figures vs design" (evaluator/reading.py): every claim in it is one of the
evaluation's own numbers, and it changes when the numbers do."""
from __future__ import annotations

import re

import pandas as pd

from evaluator import evaluate
from evaluator.reading import figures_vs_design
from evaluator.formatting import gbp


def test_home_care_reading_states_the_numbers(ev):
    text = figures_vs_design(ev)
    r = ev.results
    assert "\n" not in text  # one paragraph
    winner, other = ev.winner(), ev.winner(ev.other_lens)
    top = r.set_index("bidder").loc[winner]
    assert f"Under the official {ev.official_lens} lens {winner} comes first with {top['total']:.2f} marks" in text
    if other != winner:
        assert f"the award would go to {other} instead" in text
    assert gbp(r["claimed_value"].sum()) in text and gbp(r["credited_value"].sum()) in text
    share = r["credited_value"].sum() / r["claimed_value"].sum()
    assert f"({share:.0%})" in text
    # the biggest step of the walk, summed over the field, is named with its amount
    steps = {k: ev.commitments[f"walk_{k}"].sum() for k in ("not_credited_errors", "off_design", "proxy_corrected",
                                                            "beyond_term", "persistence", "deflators", "evidence",
                                                            "discounting")}
    biggest = min(steps, key=steps.get)
    assert gbp(-steps[biggest]) in text
    moved = r.dropna(subset=["figures_rank"])
    changes = int((moved["figures_rank"] != moved["design_rank"]).sum())
    assert f"{changes} of {len(moved)} ranked bids change place" in text
    for b in r.loc[~r["eligible"], "bidder"]:
        assert f"{b} is disqualified" in text or b in text


def test_home_care_reading_names_the_winner_change(ev):
    if ev.rubric.tender.id != "HC-2026-014":
        return
    text = figures_vs_design(ev)
    assert ("Under the figures lens the award would go to Apex Care Group Ltd instead, which ranks 2nd on the "
            "official lens") in text
    assert "Northtown Community Care CIC rises from 2nd on the figures lens to 1st on the design lens" in text
    assert "Apex Care Group Ltd falls from 1st to 2nd" in text
    assert "Riverside Care Co-operative is disqualified" in text
    assert re.search(r"the furthest from its target is O2 \(.*\), where the best bid reaches 29%", text)


def test_same_winner_and_no_outcomes_are_said_plainly(ev):
    """With the design lens's outcomes removed, the design lens credits nothing; the reading says so, and
    says when both lenses pick the same winner."""
    rubric = ev.rubric
    spec = rubric.spec.model_copy(deep=True)
    spec.design.outcomes = []
    from evaluator.rubric import Rubric
    bare = Rubric(spec=spec, path=rubric.path, proxies=rubric.proxies, proxies_path=rubric.proxies_path)
    text = figures_vs_design(evaluate(bare, ev.bidset, ev.scores))
    assert "The design sets no outcomes" in text
    same = evaluate(rubric, ev.bidset, ev.scores)
    same.results = same.results.assign(figures_rank=same.results["design_rank"])
    assert "picks the same winner" in figures_vs_design(same)
    assert "Every bid keeps the same rank under both lenses." in figures_vs_design(same)


def test_no_bids_and_all_disqualified(ev):
    empty = evaluate(ev.rubric, ev.bidset, ev.scores)
    empty.results = empty.results.iloc[0:0]
    assert figures_vs_design(empty) == "There are no bids to compare."
    dq = evaluate(ev.rubric, ev.bidset, ev.scores)
    dq.results = dq.results.assign(eligible=False, rank=pd.NA, figures_rank=pd.NA, design_rank=pd.NA)
    assert figures_vs_design(dq).startswith(f"No bid can be ranked: all {len(dq.results)} are disqualified.")
