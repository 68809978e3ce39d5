"""Moderation: side-by-side scores, SV205, consensus beside the originals, Kendall's W against
published worked examples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluator import moderation
from evaluator.exceptions import InputError
from evaluator.workspace import Workspace

from .conftest import tender_paths

# Published worked example 1, with ties: the `anxiety` data of the R package irr (Gamer, Lemon, Fellows
# and Singh), 20 subjects rated 1-6 by 3 raters. Its documentation's `kendall(anxiety, correct=TRUE)`
# gives Wt = 0.54, chi-squared(19) = 30.8, p = 0.0429.
ANXIETY = np.array([[3, 3, 2], [3, 6, 1], [3, 4, 4], [4, 6, 4], [5, 2, 3], [5, 4, 2], [2, 2, 1], [3, 4, 6],
                    [5, 3, 1], [2, 3, 1], [2, 2, 1], [6, 3, 2], [1, 3, 3], [5, 3, 3], [2, 2, 1], [2, 2, 1],
                    [1, 1, 3], [2, 3, 3], [4, 3, 2], [3, 4, 2]])
# Published worked example 2, no ties: InfluentialPoints, "Kendall coefficient of concordance", four
# raters ranking strawberries from eight farms: W = 500 / (504 x 16 / 12) = 0.744, k(N-1)W = 20.83.
STRAWBERRIES = np.array([[8, 4, 2, 3, 5, 1, 6, 7], [7, 3, 1, 4, 5, 2, 6, 8], [8, 2, 5, 6, 7, 1, 4, 3],
                         [8, 3, 4, 2, 5, 1, 6, 7]]).T  # farms x raters


def test_kendalls_w_with_ties_matches_the_published_irr_example():
    r = moderation.kendalls_w(ANXIETY)
    assert round(r["W"], 2) == 0.54
    assert round(r["chi_square"], 1) == 30.8
    assert round(r["p_value"], 4) == 0.0429
    assert (r["n_items"], r["m_raters"], r["df"]) == (20, 3, 19)


def test_kendalls_w_without_ties_matches_the_published_strawberry_example():
    r = moderation.kendalls_w(STRAWBERRIES)
    assert r["W"] == pytest.approx(500 / (504 * 16 / 12))
    assert round(r["W"], 3) == 0.744
    assert round(r["chi_square"], 2) == 20.83


def test_the_tie_correction_is_applied():
    from scipy.stats import rankdata
    ranks = rankdata(ANXIETY, axis=0)
    s = ((ranks.sum(axis=1) - ranks.sum(axis=1).mean()) ** 2).sum()
    uncorrected = 12 * s / (3 ** 2 * (20 ** 3 - 20))
    # the published 0.54 is only reached with the correction; without it W is about 0.50
    assert round(uncorrected, 2) != 0.54
    assert moderation.kendalls_w(ANXIETY)["W"] > uncorrected


def test_perfect_agreement_and_no_ranking_at_all():
    assert moderation.kendalls_w(np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]]))["W"] == pytest.approx(1.0)
    assert np.isnan(moderation.kendalls_w(np.full((4, 3), 60.0))["W"])
    assert np.isnan(moderation.kendalls_w(np.array([[60.0], [80.0]]))["W"])  # one rater: nothing to agree


@pytest.fixture(scope="module")
def sample():
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    rubric_path, bids_path, scores_path = tender_paths("home_care_north")
    r = load_rubric(rubric_path)
    b = load_bids(bids_path, r).require_valid()
    s = load_scores(scores_path, r, b.bidders)
    crits = [{"id": c.id, "name": c.name} for c in r.scale_criteria]
    return r, b, s, crits, evaluate(r, b, s)


def test_side_by_side_flags_sv205_exactly_where_the_engine_does(sample):
    r, b, s, crits, ev = sample
    table = moderation.side_by_side(s, r.spec.scale, b.bidders, crits)
    assert len(table) == len(b.bidders) * len(crits)
    ours = set(map(tuple, table[table["SV205"]][["bidder", "criterion"]].to_numpy()))
    engine = set(map(tuple, ev.flags[ev.flags["code"] == "SV205"][["bidder", "criterion"]].to_numpy()))
    assert ours == engine and ours  # the sample has a spread-out panel (Carewell Q1: 20, 60, 80)
    row = table[(table["bidder"] == "Carewell Services Ltd") & (table["criterion"] == "Q1")].iloc[0]
    assert (row["David Okafor"], row["Helen Marsh"], row["Priya Raman"]) == (20, 80, 60)
    assert row["spread_steps"] == 3 and row["moderated"] == 60
    easton = table[(table["bidder"] == "Easton Homecare Partnership") & (table["criterion"] == "SVQ")].iloc[0]
    assert np.isnan(easton["moderated"]) and easton["status"] == "record a consensus"


def test_agreement_per_criterion_on_the_sample(sample):
    r, b, s, crits, _ = sample
    agree = moderation.agreement(s, crits).set_index("criterion")
    assert set(agree.index) == {"Q1", "SVQ"}
    assert (agree["evaluators"] == 3).all() and (agree["bids"] == 6).all()
    for cid in ("Q1", "SVQ"):
        wide = s[(s["criterion"] == cid) & (s["evaluator"] != "MODERATED")].pivot(
            index="bidder", columns="evaluator", values="score")
        assert agree.loc[cid, "W"] == pytest.approx(moderation.kendalls_w(wide.to_numpy())["W"])
    assert agree["reading"].notna().all()


def test_agreement_leaves_out_bids_not_scored_by_everyone_and_says_so(sample):
    r, b, s, crits, _ = sample
    partial = s[~((s["bidder"] == "Apex Care Group Ltd") & (s["evaluator"] == "Priya Raman"))]
    agree = moderation.agreement(partial, crits).set_index("criterion")
    assert agree.loc["Q1", "bids"] == 5
    assert "Apex Care Group Ltd" in agree.loc["Q1", "note"]


def test_consensus_needs_a_rationale_and_keeps_the_originals(tmp_path):
    rubric_path, bids_path, scores_path = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "w.sqlite", rubric_path, bids_path, scores_path=scores_path)
    with pytest.raises(InputError, match="rationale"):
        ws.set_score("Easton Homecare Partnership", "SVQ", "MODERATED", 60, "")
    ws.set_score("Easton Homecare Partnership", "SVQ", "MODERATED", 60, "Panel agreed Satisfactory")
    table = moderation.side_by_side(ws.scores(), ws.scale, ws.bidders(), ws.criteria)
    row = table[(table["bidder"] == "Easton Homecare Partnership") & (table["criterion"] == "SVQ")].iloc[0]
    assert row["moderated"] == 60 and row["moderated_rationale"] == "Panel agreed Satisfactory"
    assert (row["David Okafor"], row["Helen Marsh"], row["Priya Raman"]) == (80, 60, 60)
    assert row["status"] == "consensus recorded"
    r = moderation.rationales(ws.scores(), "Easton Homecare Partnership", "SVQ")
    assert r["evaluator"].tolist()[-1] == "MODERATED" and len(r) == 4


def test_each_evaluator_sees_only_their_own_scores_until_complete(tmp_path):
    rubric_path, bids_path, scores_path = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "w.sqlite", rubric_path, bids_path, scores_path=scores_path)
    seen = moderation.visible_scores(ws.scores(), "Helen Marsh", ws.evaluators())
    assert set(seen["evaluator"]) == {"Helen Marsh"}
    ws.set_complete("Helen Marsh")
    seen = moderation.visible_scores(ws.scores(), "Helen Marsh", ws.evaluators())
    assert {"David Okafor", "Priya Raman", "MODERATED"} <= set(seen["evaluator"])
    assert set(moderation.visible_scores(ws.scores(), "David Okafor", ws.evaluators())["evaluator"]) == {"David Okafor"}


def test_cli_complete_and_status(tmp_path):
    import json
    import subprocess
    import sys
    from .conftest import ROOT
    rubric_path, bids_path, scores_path = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "w.sqlite", rubric_path, bids_path, scores_path=scores_path)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    r = cli("workspace", "complete", "--db", ws.path, "--evaluator", "Helen Marsh")
    assert r.returncode == 0 and "complete" in r.stdout
    assert ws.evaluators().set_index("evaluator")["complete"]["Helen Marsh"]
    assert ws.audit_log().iloc[-1]["action"] == "complete"
    r = cli("workspace", "status", "--db", ws.path)
    assert r.returncode == 0
    assert "scoring complete: Helen Marsh" in r.stdout
    carewell = next(line for line in r.stdout.splitlines() if line.startswith("Carewell Services Ltd") and " Q1 " in line)
    assert "SV205" in carewell and "David Okafor 20" in carewell
    doc = json.loads(cli("workspace", "status", "--db", ws.path, "--json").stdout)
    assert {a["criterion"] for a in doc["agreement"]} == {"Q1", "SVQ"}
    assert sum(c["SV205"] for c in doc["cells"]) == 1
    assert cli("workspace", "complete", "--db", ws.path, "--evaluator", "MODERATED").returncode == 2
    r = cli("workspace", "complete", "--db", ws.path, "--evaluator", "Helen Marsh", "--reopen")
    assert r.returncode == 0 and not ws.evaluators().set_index("evaluator")["complete"]["Helen Marsh"]
