"""Sensitivity of the winner: the unperturbed draw is the engine's evaluation to the last bit, switching
values agree with cases worked by hand and with the engine either side of them, the weights have the
Dirichlet's published mean and variance, a dominant winner always wins, and the same seed gives the
same numbers. (The rank oracle is in test_kernel.py, with the ranks.)"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from evaluator.sensitivity_model import build_model, published
from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator import lot_sensitivity as LS
from evaluator import sensitivity as S
from evaluator import switching as SW
from evaluator.exceptions import EvaluatorError

from .conftest import ROOT, TENDERS, tender_paths

FIX = Path(__file__).parent / "fixtures" / "sensitivity"
RUBRIC = FIX / "rubric.yaml"


def _evaluate(rubric_path: Path, bids: Path, scores: Path):
    r = load_rubric(rubric_path)
    b = load_bids(bids, r).require_valid()
    return evaluate(r, b, load_scores(scores, r, b.bidders))


@pytest.fixture(scope="module", params=TENDERS)
def sample(request):
    return _evaluate(*tender_paths(request.param))


@pytest.mark.parametrize("lens", ["design", "figures"])
def test_zero_perturbation_draw_is_the_engines_evaluation_to_the_last_bit(sample, lens):
    m = build_model(sample, lens)
    p = published(m)
    # exactly equal, not close: both run the same kernel functions in the same order
    np.testing.assert_array_equal(p["totals"][0], sample.results[f"{lens}_total"].to_numpy(dtype=float))
    np.testing.assert_array_equal(p["quality"][0], sample.results["quality_score"].to_numpy(dtype=float))
    np.testing.assert_array_equal(p["sv_fraction"][0], sample.results[f"{lens}_fraction"].to_numpy(dtype=float))
    engine_ranks = sample.results[f"{lens}_rank"].astype("Float64").fillna(0).to_numpy(dtype=float)
    assert p["ranks"][0].tolist() == engine_ranks.astype(int).tolist()
    assert p["eligible"][0].tolist() == sample.results["eligible"].tolist()


def test_draws_with_nothing_varied_always_give_the_published_winner(sample):
    m = build_model(sample)
    sim = S.simulate(m, 200, 3, concentration=None, deflator_range=0, evidence_range=0, vary_scores=False)
    np.testing.assert_allclose(sim["totals"], np.broadcast_to(sample.results["total"].to_numpy(dtype=float), (200, m.n)),
                               atol=1e-9)
    winner = sample.results["rank"].astype("Float64").fillna(0).to_numpy() == 1
    assert (sim["ranks"][:, winner] == 1).all()


# ---------------------------------------------------------------------- the case worked by hand
# PRICE 40 (relative), Q1 40, SV 20. Alpha: lowest price (fraction 1), Q1 40 -> 0.4. Beta: price 125% of
# the lowest (fraction 0.8), Q1 80 -> 0.8. Neither has social value (fraction 0).
# Published: Alpha 40 + 16 = 56, Beta 32 + 32 = 64: Beta wins.
# PRICE at x, others x (100 - x) / 60: Alpha x + (100 - x) 16/60, Beta 0.8x + (100 - x) 32/60,
#   equal when 0.2x = (100 - x) 4/15, i.e. x = 400/7 = 57.142857...; above it Alpha wins.
# Q1 at y, others (100 - y) / 60: Alpha (100 - y) 40/60 + 0.4y, Beta (100 - y) 32/60 + 0.8y,
#   equal when 0.4y = (100 - y) 8/60, i.e. y = 25; below it Alpha wins.
# SV at z: both totals scale by (100 - z) / 80 and Beta stays ahead until both reach 0 at z = 100: none.
@pytest.fixture(scope="module")
def crossing():
    return _evaluate(RUBRIC, FIX / "crossing", FIX / "crossing" / "scores.csv")


def test_switching_values_match_the_hand_worked_case(crossing):
    assert crossing.results.set_index("bidder")["total"].round(9).to_dict() == {"Alpha Services Ltd": 56.0,
                                                                                 "Beta Care Ltd": 64.0}
    sw = SW.switching_values(build_model(crossing)).set_index("criterion")
    assert sw.loc["PRICE", "switch_at"] == pytest.approx(400 / 7, abs=1e-9)
    assert sw.loc["PRICE", "new_winner"] == "Alpha Services Ltd" and sw.loc["PRICE", "direction"] == "up"
    assert sw.loc["Q1", "switch_at"] == pytest.approx(25.0, abs=1e-9)
    assert sw.loc["Q1", "new_winner"] == "Alpha Services Ltd" and sw.loc["Q1", "direction"] == "down"
    assert np.isnan(sw.loc["SV", "switch_at"]) and sw.loc["SV", "new_winner"] is None


def _reweighted(tmp_path: Path, weights: dict) -> Path:
    """The fixture rubric with these weights; a criterion left out of `weights` is dropped."""
    doc = yaml.safe_load(RUBRIC.read_text())
    doc["criteria"] = [c for c in doc["criteria"] if c["id"] in weights]
    for c in doc["criteria"]:
        c["weight"] = weights[c["id"]]
    doc["proxies"] = str((RUBRIC.parent / doc["proxies"]).resolve())
    out = tmp_path / f"rubric_{weights['PRICE']}.yaml"
    out.write_text(yaml.safe_dump(doc))
    return out


@pytest.mark.parametrize("price, winner", [(55, "Beta Care Ltd"), (58, "Alpha Services Ltd")])
def test_the_engine_agrees_either_side_of_the_switching_value(tmp_path, price, winner):
    # the other weights rescaled in proportion: Q1 40 and SV 20 share 100 - price as 2 : 1
    weights = {"PRICE": price, "Q1": (100 - price) * 2 / 3, "SV": (100 - price) / 3}
    ev = _evaluate(_reweighted(tmp_path, weights), FIX / "crossing", FIX / "crossing" / "scores.csv")
    assert ev.winner() == winner


# Two bids, two criteria: PRICE 60 (relative), Q1 40. Alpha: price fraction 1, Q1 40/100 = 0.4; Beta:
# price fraction 100/125 = 0.8, Q1 80/100 = 0.8. Published: Alpha 60 + 16 = 76, Beta 48 + 32 = 80.
# PRICE at x (Q1 100 - x): Alpha x + 0.4 (100 - x) = 40 + 0.6x, Beta 0.8x + 0.8 (100 - x) = 80:
#   equal at x = 200/3 = 66.67; above it Alpha wins.
# Q1 at y (PRICE 100 - y): Alpha (100 - y) + 0.4y = 100 - 0.6y, Beta 80: equal at y = 100/3; below it Alpha.
def test_switching_values_of_a_two_bid_two_criterion_tender_worked_by_hand(tmp_path):
    ev = _evaluate(_reweighted(tmp_path, {"PRICE": 60, "Q1": 40}), FIX / "crossing", FIX / "crossing" / "scores.csv")
    assert ev.results.set_index("bidder")["total"].round(9).to_dict() == {"Alpha Services Ltd": 76.0,
                                                                          "Beta Care Ltd": 80.0}
    sw = SW.switching_values(build_model(ev)).set_index("criterion")
    assert sw.loc["PRICE", "switch_at"] == pytest.approx(200 / 3, abs=1e-9)
    assert (sw.loc["PRICE", "new_winner"], sw.loc["PRICE", "direction"]) == ("Alpha Services Ltd", "up")
    assert sw.loc["Q1", "switch_at"] == pytest.approx(100 / 3, abs=1e-9)
    assert (sw.loc["Q1", "new_winner"], sw.loc["Q1", "direction"]) == ("Alpha Services Ltd", "down")


def test_the_weights_are_dirichlet_with_the_published_mean_and_the_variance_the_concentration_sets(crossing):
    """For Dirichlet weights with concentration a0 around published shares p: mean p, variance
    p (1 - p) / (a0 + 1). The weights are read back from the totals: with nothing else varied, Alpha's
    total is wP + 0.4 wQ and Beta's 0.8 wP + 0.8 wQ (neither has social value), and wSV = 100 - wP - wQ."""
    a0, draws = 20.0, 20_000
    sim = S.simulate(build_model(crossing), draws, 9, concentration=a0, deflator_range=0, evidence_range=0,
                     vary_scores=False)
    alpha, beta = sim["totals"][:, 0], sim["totals"][:, 1]
    assert crossing.results["bidder"].tolist() == ["Alpha Services Ltd", "Beta Care Ltd"]
    w_q = (1.25 * beta - alpha) / 0.6
    w_p = 1.25 * beta - w_q
    shares = np.stack([w_p, w_q, 100 - w_p - w_q], axis=1) / 100
    p = np.array([0.4, 0.4, 0.2])  # PRICE 40, Q1 40, SV 20
    np.testing.assert_allclose(shares.mean(axis=0), p, atol=0.004)  # about 5 standard errors
    np.testing.assert_allclose(shares.var(axis=0), p * (1 - p) / (a0 + 1), rtol=0.05)
    assert (shares > -1e-9).all() and np.allclose(shares.sum(axis=1), 1.0)


def test_a_dominant_winner_wins_every_draw():
    ev = _evaluate(RUBRIC, FIX / "dominant", FIX / "dominant" / "scores.csv")
    assert ev.winner() == "Alpha Services Ltd"
    s = S.analyse(ev, 5000, seed=7, concentration=20, deflator_range=0.1, evidence_range=0.1)
    doc = s.to_json()
    top = doc["bids"][0]
    assert top["bidder"] == "Alpha Services Ltd" and top["win_probability"] == 1.0
    assert all(b["win_probability"] == 0.0 for b in doc["bids"][1:])
    # Beta's disputed score (40/60/80) moves a step either way; Gamma's (20/40/40, moderated 40) only down,
    # as nobody on the panel scored it above 40: Gamma never overtakes Beta (before issue 18 it moved up
    # to 60, a score no evaluator gave, and the two swapped places)
    beta = next(b for b in doc["bids"] if b["bidder"] == "Beta Care Ltd")
    assert beta["rank_probabilities"]["2"] == 1.0 and s.total_p05[1] < s.published_totals[1] < s.total_p95[1]
    assert all(x["switch_at"] is None for x in doc["switching"])


# ---------------------------------------------------------------------- the draws
def test_same_seed_same_numbers_and_another_seed_differs(sample):
    a = S.analyse(sample, 3000, seed=11).to_json()
    b = S.analyse(sample, 3000, seed=11).to_json()
    c = S.analyse(sample, 3000, seed=12).to_json()
    assert a == b
    assert a["bids"] != c["bids"]


def test_rank_probabilities_are_consistent(sample):
    s = S.analyse(sample, 2000, seed=5)
    rp = s.rank_probabilities
    np.testing.assert_allclose(rp.sum(axis=1) + s.disqualified, 1.0)
    assert (rp.sum(axis=0) <= 1 + 1e-12).all()
    np.testing.assert_allclose(s.win, rp[:, 0])
    # a bid that is disqualified as published (Riverside, below the Q1 threshold) only ranks in draws
    # where its disputed score moves up to the threshold
    res = sample.results.set_index("bidder")
    for i, bidder in enumerate(s.bidders):
        if not res.loc[bidder, "eligible"]:
            assert s.disqualified[i] > 0


def test_disputed_scores_move_one_scale_step_and_only_where_the_panel_disagreed(sample):
    m = build_model(sample)
    steps = np.diff(m.scale_values).min()
    assert ((m.score_up - m.base_scores)[m.disagree] >= 0).all()
    assert np.nanmax(np.abs(m.score_up - m.base_scores)) <= np.diff(m.scale_values).max()
    assert steps > 0
    agreed = ~m.disagree & ~np.isnan(m.base_scores)
    assert (m.score_up[agreed] == m.base_scores[agreed]).all() and (m.score_down[agreed] == m.base_scores[agreed]).all()


def test_figures_lens_varies_the_proxies_between_low_and_high():
    ev = _evaluate(*tender_paths("home_care_north"))
    m = build_model(ev, "figures")
    assert len(m.p_codes) > 0
    sim = S.simulate(m, 500, 1, concentration=None, deflator_range=0, evidence_range=0, vary_scores=False)
    assert sim["totals"].std(axis=0).max() > 0  # only the proxies moved
    design = S.simulate(build_model(ev, "design"), 500, 1, concentration=None, deflator_range=0,
                        evidence_range=0, vary_scores=False)
    assert design["totals"].std(axis=0).max() < 1e-9  # proxies do not enter the design lens's marks
    u = np.linspace(0, 1, 101)[:, None]
    draws = S._triangular(u, m.p_low, m.p_mode, m.p_high)
    assert (draws >= m.p_low - 1e-9).all() and (draws <= m.p_high + 1e-9).all()


@pytest.mark.parametrize("kwargs", [dict(draws=0), dict(draws=10**7), dict(concentration=-1),
                                    dict(deflator_range=1.5), dict(evidence_range=float("nan"))])
def test_bad_settings_are_refused(sample, kwargs):
    args = dict(draws=10, seed=0)
    args.update(kwargs)
    with pytest.raises(EvaluatorError):
        S.analyse(sample, **args)


# ---------------------------------------------------------------------- the command line
def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_json_has_exactly_the_documented_shape():
    r = cli("sensitivity", "--rubric", RUBRIC, "--bids", FIX / "crossing", "--scores", FIX / "crossing" / "scores.csv",
            "--draws", "1000", "--seed", "4", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"draws", "seed", "bids", "switching"}
    assert (doc["draws"], doc["seed"]) == (1000, 4)
    for b in doc["bids"]:
        assert set(b) == {"bidder", "win_probability", "rank_probabilities"}
        assert set(b["rank_probabilities"]) == {"1", "2"}
        assert b["win_probability"] == b["rank_probabilities"]["1"]
    for x in doc["switching"]:
        assert set(x) == {"criterion", "weight", "switch_at", "new_winner"}
    price = next(x for x in doc["switching"] if x["criterion"] == "PRICE")
    assert price == {"criterion": "PRICE", "weight": 40.0, "switch_at": round(400 / 7, 4), "new_winner": "Alpha Services Ltd"}
    again = cli("sensitivity", "--rubric", RUBRIC, "--bids", FIX / "crossing", "--scores",
                FIX / "crossing" / "scores.csv", "--draws", "1000", "--seed", "4", "--json")
    assert again.stdout == r.stdout


def test_cli_readable_table_and_bad_input():
    r = cli("sensitivity", "--rubric", RUBRIC, "--bids", FIX / "crossing", "--scores", FIX / "crossing" / "scores.csv",
            "--draws", "500")
    assert r.returncode == 0 and "Switching values" in r.stdout and "57.14" in r.stdout
    for extra in (["--draws", "0"], ["--concentration", "0"], ["--deflator-range", "2"]):
        r = cli("sensitivity", "--rubric", RUBRIC, "--bids", FIX / "crossing", "--scores",
                FIX / "crossing" / "scores.csv", *extra)
        assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
    r = cli("sensitivity", "--rubric", RUBRIC, "--bids", FIX / "crossing")
    assert r.returncode == 2 and "--scores" in r.stderr


def test_cli_with_a_workspace(tmp_path):
    from evaluator.workspace import Workspace
    rubric, bids, scores = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "w.sqlite", rubric, bids, scores_path=scores)
    from_db = cli("sensitivity", "--db", ws.path, "--draws", "500", "--seed", "2", "--json")
    from_files = cli("sensitivity", "--rubric", rubric, "--bids", bids, "--scores", scores, "--draws", "500",
                     "--seed", "2", "--json")
    assert from_db.returncode == 0 and from_db.stdout == from_files.stdout


# ---------------------------------------------------------------------- real tenders (DESIGN 9)
def _tree_doc(shares: dict) -> dict:
    doc = yaml.safe_load((FIX / "rubric_tree.yaml").read_text())
    doc["proxies"] = str((FIX / doc["proxies"]).resolve())
    group = next(c for c in doc["criteria"] if c["id"] == "Q")
    for c in group["criteria"]:
        c["share"] = shares[c["id"]]
    return doc


@pytest.fixture(scope="module")
def tree():
    return _evaluate(FIX / "rubric_tree.yaml", FIX / "tree", FIX / "tree" / "scores.csv")


def test_a_tree_s_published_draw_is_the_engines_evaluation_to_the_last_bit(tree):
    m = build_model(tree)
    p = published(m)
    np.testing.assert_array_equal(p["totals"][0], tree.results["total"].to_numpy(dtype=float))
    assert p["ranks"][0].tolist() == tree.results["rank"].astype("Float64").fillna(0).astype(int).tolist()
    assert p["eligible"][0].tolist() == tree.results["eligible"].tolist()


# Tree: PRICE 40; Q 60 = Q1 (50%) + Q2 (50%), 30 points each. Alpha: lowest price (fraction 1), Q1 100,
# Q2 0: 40 + 30 + 0 = 70. Beta: price fraction 100/125 = 0.8, Q1 20, Q2 100: 32 + 6 + 30 = 68. Gamma
# fails the pass/fail question: disqualified. Alpha wins.
# Q1's share s of Q (Q2 100 - s, Q's 60 held): Alpha 40 + 0.6 s, Beta 32 + 0.12 s + 0.6 (100 - s) =
#   92 - 0.48 s; equal at 1.08 s = 52, s = 48.148...% of Q (28.889 points); below it Beta wins.
# Q2's share t: Alpha 40 + 0.6 (100 - t) = 100 - 0.6 t, Beta 32 + 0.12 (100 - t) + 0.6 t = 44 + 0.48 t;
#   equal at t = 56 / 1.08 = 51.852% of Q (31.111 points); above it Beta wins.
# The group Q at y of 100 (PRICE 100 - y): Q's fraction Alpha (1 + 0)/2 = 0.5, Beta (0.2 + 1)/2 = 0.6:
#   Alpha (100 - y) + 0.5 y, Beta 0.8 (100 - y) + 0.6 y; equal at 0.3 y = 20, y = 66.667; above, Beta.
# PRICE at x (Q 100 - x): Alpha 50 + 0.5 x, Beta 60 + 0.2 x; equal at x = 33.333; below, Beta.
def test_sub_criterion_switching_values_match_the_hand_worked_case(tree):
    assert tree.results.set_index("bidder")["total"].round(9).to_dict()["Alpha Services Ltd"] == 70.0
    assert tree.results.set_index("bidder")["total"].round(9).to_dict()["Beta Care Ltd"] == 68.0
    sw = SW.switching_values(build_model(tree)).set_index("criterion")
    assert "PF" not in sw.index  # pass/fail has no weight to move
    q1, q2 = sw.loc["Q1"], sw.loc["Q2"]
    assert (q1["parent"], q1["level"], q1["share"], q1["weight"]) == ("Q", 2, 50.0, 30.0)
    assert q1["share_switch_at"] == pytest.approx(5200 / 108, abs=1e-9)
    assert q1["switch_at"] == pytest.approx(0.6 * 5200 / 108, abs=1e-9)
    assert (q1["new_winner"], q1["direction"]) == ("Beta Care Ltd", "down")
    assert q2["share_switch_at"] == pytest.approx(5600 / 108, abs=1e-9)
    assert (q2["new_winner"], q2["direction"]) == ("Beta Care Ltd", "up")
    assert sw.loc["Q", "switch_at"] == pytest.approx(200 / 3, abs=1e-9) and sw.loc["Q", "direction"] == "up"
    assert sw.loc["PRICE", "switch_at"] == pytest.approx(100 / 3, abs=1e-9) and sw.loc["PRICE", "direction"] == "down"
    assert sw.loc["Q", "parent"] is None and sw.loc["Q", "level"] == 1


@pytest.mark.parametrize("q1, winner", [(48, "Beta Care Ltd"), (49, "Alpha Services Ltd")])
def test_the_engine_agrees_either_side_of_the_sub_criterion_switch(tmp_path, q1, winner):
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump(_tree_doc({"Q1": q1, "Q2": 100 - q1})))
    assert _evaluate(path, FIX / "tree", FIX / "tree" / "scores.csv").winner() == winner


def test_tree_weights_are_drawn_level_by_level_and_always_sum_to_100(tree):
    """Top level Dirichlet(a0 x (0.4, 0.6)); Q's children's shares Dirichlet(a0 x (0.5, 0.5)), drawn apart
    from Q's weight. So Q1's share of Q has mean 0.5 and variance 0.5 x 0.5 / (a0 + 1) = 0.25 / 21 at
    a0 = 20 (drawn over the three leaves in one Dirichlet it would be 0.25 / (a0 x 0.6 + 1) = 0.25 / 13),
    and Q1's weight has mean 60 x 0.5 = 30."""
    m = build_model(tree)
    assert m.criteria == ["PRICE", "Q1", "Q2"]
    w, nodes = S.draw_weights(m, np.random.default_rng(1), 40_000, 20.0)
    np.testing.assert_allclose(w.sum(axis=1), 100.0, rtol=1e-12)
    share = w[:, 1] / (w[:, 1] + w[:, 2])
    assert share.mean() == pytest.approx(0.5, abs=0.003)
    assert share.var() == pytest.approx(0.25 / 21, rel=0.05)
    assert w[:, 1].mean() == pytest.approx(30.0, abs=0.15)
    np.testing.assert_allclose(nodes[:, m.nodes.index("Q")], w[:, 1] + w[:, 2], rtol=1e-12)
    assert (w[:, 0] + w[:, 1] + w[:, 2]).var() < 1e-18


def test_a_pass_fail_fail_stays_disqualified_in_every_draw(tree):
    s = S.analyse(tree, 3000, seed=2, concentration=2.0)
    share = dict(zip(s.bidders, s.disqualified))
    assert share["Gamma Homes Ltd"] == 1.0      # failed PF: never ranked, however the weights move
    assert share["Beta Care Ltd"] == 0.0         # passed PF: the near miss ranks in every draw
    win = dict(zip(s.bidders, s.win))
    assert 0 < win["Beta Care Ltd"] < 1 and win["Gamma Homes Ltd"] == 0.0


# Price per quality point (DESIGN 9.5): Q1 60 (scale 0-100), Q2 40 (its own scale 0-4). Alpha £60,000,
# Q1 80, Q2 2 of 4: 48 + 20 = 68 points, £882.35 a point. Beta £100,000, Q1 80, Q2 4 of 4: 48 + 40 = 88
# points, £1,136.36 a point. Alpha wins on price per point (Beta would win on points alone).
# Q2 at y (Q1 100 - y): Alpha 0.8 (100 - y) + 0.5 y = 80 - 0.3 y points, Beta 80 + 0.2 y. Beta is
#   cheaper a point when 100,000 (80 - 0.3 y) < 60,000 (80 + 0.2 y): y > 3,200,000 / 42,000 = 76.19.
# Q1 at x: Alpha 50 + 0.3 x, Beta 100 - 0.2 x: Beta when x < 1,000,000 / 42,000 = 23.81.
@pytest.fixture(scope="module")
def per_point():
    return _evaluate(FIX / "rubric_ppqp.yaml", FIX / "ppqp", FIX / "ppqp" / "scores.csv")


def test_price_per_quality_point_ranks_the_lowest_price_a_point_first(per_point):
    m = build_model(per_point)
    p = published(m)
    np.testing.assert_array_equal(p["totals"][0], per_point.results["total"].to_numpy(dtype=float))
    assert p["totals"][0].round(9).tolist() == [68.0, 88.0]
    assert p["per_point"][0].round(2).tolist() == [882.35, 1136.36]
    assert p["ranks"][0].tolist() == [1, 2] == per_point.results["rank"].astype(int).tolist()
    sw = SW.switching_values(m).set_index("criterion")
    assert sw.loc["Q2", "switch_at"] == pytest.approx(3200 / 42, abs=1e-9) and sw.loc["Q2", "direction"] == "up"
    assert sw.loc["Q1", "switch_at"] == pytest.approx(1000 / 42, abs=1e-9) and sw.loc["Q1", "direction"] == "down"
    assert set(sw["new_winner"]) == {"Beta Care Ltd"}
    s = S.analyse(per_point, 2000, seed=1, concentration=5.0)
    assert s.to_json()["award"] == "price_per_quality_point"
    # each draw's winner is the lower price per point: Beta only when Q2's weight passes 76.19
    sim = S.simulate(m, 2000, 1, concentration=5.0)
    w, _ = S.draw_weights(m, np.random.default_rng(1), 2000, 5.0)
    beta_wins = sim["ranks"][:, 1] == 1
    np.testing.assert_array_equal(beta_wins, w[:, 1] > 3200 / 42)


# ---------------------------------------------------------------------- lots
def test_the_award_across_lots_passes_over_a_supplier_at_the_limit_worked_by_hand():
    bidders = {"L1": ["A", "B"], "L2": ["A", "B", "C"]}
    ranks = {"L1": np.array([[1, 2], [2, 1], [1, 0], [0, 0]]),
             "L2": np.array([[1, 2, 3], [1, 2, 3], [1, 0, 0], [2, 1, 3]])}
    got = LS.award_draws(ranks, bidders, ["L1", "L2"], 1)
    # draw 0: A takes L1 and is passed over in L2 for B; draw 1: B takes L1, A L2; draw 2: A takes L1,
    # nobody else is eligible in L2; draw 3: nobody eligible in L1, B wins L2
    assert got["L1"].tolist() == [0, 1, 0, -1]
    assert got["L2"].tolist() == [1, 0, -1, 1]
    assert LS.award_draws(ranks, bidders, ["L1", "L2"], None)["L2"].tolist() == [0, 0, 0, 1]
    # L2 awarded first (were it the dearer lot): A takes it in draws 0-2 and is passed over in L1 (for B,
    # or for nobody in draw 2, where B is not eligible); in draw 3 B takes L2 and nobody is eligible in L1
    assert LS.award_draws(ranks, bidders, ["L2", "L1"], 1)["L1"].tolist() == [1, 1, -1, -1]


# Two lots, at most one per supplier. Lot L1 (£1m): Alpha and Beta both £100,000, Q1 80 against 60: Alpha
# ahead for any weights (equal price marks, more quality marks). Lot L2 (£600k): Alpha £100,000 Q1 80,
# Beta £110,000 Q1 60: Alpha ahead for any weights too (price fraction 1 > 0.909, Q1 0.8 > 0.6). L1 is
# awarded first (dearer): Alpha in every draw; so in every draw Alpha is passed over for L2, which goes
# to Beta, although Alpha wins L2 on marks in every draw.
LOTS = (FIX / "rubric_lots.yaml", FIX / "lots", FIX / "lots" / "scores.csv")
# the command line's shared loader (commands/tender_args.py, the CLI branch) evaluates a tender with lots
lotted_cli = pytest.mark.skipif(not hasattr(__import__("evaluator.commands.tender_args").commands.tender_args,
                                            "evaluate_tender"),
                                reason="the shared loader does not evaluate tenders with lots yet")


@lotted_cli
def test_the_award_across_lots_over_the_draws_passes_alpha_over_for_lot_l2():
    r = cli("sensitivity", "--rubric", LOTS[0], "--bids", LOTS[1], "--scores", LOTS[2], "--draws", "2000",
            "--seed", "3", "--concentration", "3", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"tender", "draws", "seed", "lots"} and [x["id"] for x in doc["lots"]] == ["L1", "L2"]
    l1, l2 = doc["lots"]
    assert (l1["awarded_to"], l1["passed_over"]) == ("Alpha Services Ltd", [])
    assert (l2["awarded_to"], l2["passed_over"]) == ("Beta Care Ltd", ["Alpha Services Ltd"])
    assert l1["award_probabilities"] == {"Alpha Services Ltd": 1.0, "Beta Care Ltd": 0.0}
    assert l2["award_probabilities"] == {"Alpha Services Ltd": 0.0, "Beta Care Ltd": 1.0}
    alpha_l2 = next(b for b in l2["bids"] if b["bidder"] == "Alpha Services Ltd")
    assert alpha_l2["win_probability"] == 1.0  # first on marks in every draw, never awarded
    assert l2["title"] == "South routes" and l2["no_award_probability"] == 0.0


@lotted_cli
def test_one_lot_on_its_own_gives_exactly_its_part_of_the_whole_run():
    args = ["sensitivity", "--rubric", LOTS[0], "--bids", LOTS[1], "--scores", LOTS[2], "--draws", "800",
            "--seed", "5", "--json"]
    whole = json.loads(cli(*args).stdout)
    one = cli(*args, "--lot", "L2")
    assert one.returncode == 0, one.stderr
    part = json.loads(one.stdout)
    assert [x["id"] for x in part["lots"]] == ["L2"]
    full = whole["lots"][1]
    assert part["lots"][0]["bids"] == full["bids"] and part["lots"][0]["switching"] == full["switching"]
    text = cli(*args[:-1])
    assert text.returncode == 0 and "Lot L1: North routes" in text.stdout and "Award across the lots" in text.stdout
    assert "passed over: Alpha Services Ltd" in text.stdout


@pytest.mark.parametrize("rubric, bids, scores, lot, says", [
    pytest.param(*LOTS, "L9", "L9", marks=lotted_cli),
    (RUBRIC, FIX / "crossing", FIX / "crossing" / "scores.csv", "L1", "no lots")])
def test_a_lot_that_is_not_there_is_one_line_naming_it(rubric, bids, scores, lot, says):
    r = cli("sensitivity", "--rubric", rubric, "--bids", bids, "--scores", scores, "--lot", lot, "--draws", "100")
    assert r.returncode == 2 and "--lot" in r.stderr and says in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# The tree case with a minimum of 49% of Q's marks (SV203 from the group). Alpha's share of Q's marks is
# Q1's share of Q (100 on Q1, 0 on Q2): at 49% it is at the minimum, below it Alpha is disqualified. So
# Q1's switching value is no longer 48.15% (where Beta overtakes) but 49% (where Alpha falls out), and
# Q2's 51%, not 51.85%; at the top level the group's shares do not move, and nothing changes.
def test_a_group_minimum_share_moves_the_sub_criterion_switch_to_where_the_winner_falls_out(tmp_path):
    doc = _tree_doc({"Q1": 50, "Q2": 50})
    next(c for c in doc["criteria"] if c["id"] == "Q")["min_share"] = 0.49
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump(doc))
    sw = SW.switching_values(build_model(_evaluate(path, FIX / "tree", FIX / "tree" / "scores.csv")))
    sw = sw.set_index("criterion")
    assert sw.loc["Q1", "share_switch_at"] == pytest.approx(49.0, abs=1e-9) and sw.loc["Q1", "direction"] == "down"
    assert sw.loc["Q2", "share_switch_at"] == pytest.approx(51.0, abs=1e-9) and sw.loc["Q2", "direction"] == "up"
    assert sw.loc["Q", "switch_at"] == pytest.approx(200 / 3, abs=1e-9)
    assert set(sw["new_winner"]) == {"Beta Care Ltd"}
    # the engine either side: at 48.5% Alpha is out (though it would lead Beta there), at 49.5% it wins
    for q1, winner in ((48.5, "Beta Care Ltd"), (49.5, "Alpha Services Ltd")):
        shares = _tree_doc({"Q1": q1, "Q2": 100 - q1})
        next(c for c in shares["criteria"] if c["id"] == "Q")["min_share"] = 0.49
        path.write_text(yaml.safe_dump(shares))
        assert _evaluate(path, FIX / "tree", FIX / "tree" / "scores.csv").winner() == winner


def _lots():
    from evaluator.lots import evaluate_tender
    r = load_rubric(LOTS[0])
    b = load_bids(LOTS[1], r).require_valid()
    return evaluate_tender(r, b, load_scores(LOTS[2], r, b.bidders))


def test_each_lot_s_published_draw_is_its_evaluation_and_the_award_holds_in_every_draw():
    tev = _lots()
    for lot_id, ev in tev.lots.items():
        p = published(build_model(ev))
        np.testing.assert_array_equal(p["totals"][0], ev.results["total"].to_numpy(dtype=float))
    ls = LS.analyse_lots(tev, 1500, seed=4, concentration=3.0)
    assert ls.award_probabilities == {"L1": {"Alpha Services Ltd": 1.0, "Beta Care Ltd": 0.0},
                                      "L2": {"Alpha Services Ltd": 0.0, "Beta Care Ltd": 1.0}}
    assert dict(zip(ls.lots["L2"].bidders, ls.lots["L2"].win))["Alpha Services Ltd"] == 1.0
    one = LS.analyse_lots(tev, 1500, seed=4, concentration=3.0, lot="L2")
    assert list(one.lots) == ["L2"] and one.lots["L2"].to_json() == ls.lots["L2"].to_json()
    assert one.lots["L2"].table().equals(ls.lots["L2"].table())  # Beta's disputed Q1 drawn alike too
    with pytest.raises(EvaluatorError, match="L9"):
        LS.analyse_lots(tev, 10, lot="L9")


# ---------------------------------------------------------------------- within the panel's range (issue 18)
def _home_care():
    return _evaluate(*tender_paths("home_care_north"))


def test_budget_home_support_q1_40_40_60_moderated_40_is_never_disqualified_by_the_draws():
    """Issue 18's case: Q1's threshold is 40; the evaluators gave 40, 40 and 60 and the panel settled on 40.
    Nobody scored it below the threshold, so no draw may: its score moves between 40 and 60 only. Riverside
    (20, 40, 20; moderated 20) was scored below it and stays out in most draws, in as many as before."""
    ev = _home_care()
    m = build_model(ev)
    budget, q1 = m.bidders.index("Budget Home Support Ltd"), m.scale_ids.index("Q1")
    assert (m.base_scores[budget, q1], m.score_down[budget, q1], m.score_up[budget, q1]) == (40, 40, 60)
    s = S.analyse(ev, 3000, seed=0)
    out = dict(zip(s.bidders, s.disqualified))
    assert out["Budget Home Support Ltd"] == 0
    assert 0.5 < out["Riverside Care Co-operative"] < 1  # moved up to 40 in a third of the draws: eligible then


def test_every_disputed_draw_stays_between_the_lowest_and_highest_score_the_panel_gave(sample):
    m = build_model(sample)
    sc = sample.scale.set_index(["bidder", "criterion"])
    for i, bidder in enumerate(m.bidders):
        for j, cid in enumerate(m.scale_ids):
            row = sc.loc[(bidder, cid)]
            if not m.disagree[i, j]:
                continue
            lo = min(row["lowest_score"], m.base_scores[i, j])
            hi = max(row["highest_score"], m.base_scores[i, j])
            assert lo <= m.score_down[i, j] <= m.base_scores[i, j] <= m.score_up[i, j] <= hi, (bidder, cid)
    scores = S.simulate(m, 300, 5, concentration=None, deflator_range=0, evidence_range=0)  # only scores drawn
    assert scores["totals"].std(axis=0).max() > 0


def _dominant_with(tmp_path, rows: dict):
    """The dominant fixture with some bids' Q1 scores replaced: {bidder: [(evaluator, score), ...]}."""
    import csv
    src = FIX / "dominant" / "scores.csv"
    with open(src, newline="", encoding="utf-8") as fh:
        kept = [r for r in csv.DictReader(fh) if r["bidder"] not in rows]
    for bidder, scores in rows.items():
        kept += [{"bidder": bidder, "criterion": "Q1", "evaluator": e, "score": s, "rationale": "as recorded"}
                 for e, s in scores]
    path = tmp_path / "scores.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["bidder", "criterion", "evaluator", "score", "rationale"])
        w.writeheader()
        w.writerows(kept)
    return build_model(_evaluate(RUBRIC, FIX / "dominant", path))


def _steps_of(m, bidder):
    i, j = m.bidders.index(bidder), m.scale_ids.index("Q1")
    return m.score_down[i, j], m.base_scores[i, j], m.score_up[i, j]


def test_a_lone_moderated_score_moves_one_step_either_way_within_the_scale(tmp_path):
    m = _dominant_with(tmp_path, {"Beta Care Ltd": [("MODERATED", 60)], "Alpha Services Ltd": [("MODERATED", 100)]})
    assert _steps_of(m, "Beta Care Ltd") == (40, 60, 80)
    assert _steps_of(m, "Alpha Services Ltd") == (80, 100, 100)  # the top of the scale: no step up


def test_the_range_holds_the_moderated_score_too_and_agreement_or_one_evaluator_stays_put(tmp_path):
    m = _dominant_with(tmp_path, {
        "Beta Care Ltd": [("Ann", 40), ("Raj", 60), ("MODERATED", 80)],          # moderated above both
        "Gamma Homecare Ltd": [("Ann", 20), ("Raj", 40), ("Jo", 40), ("MODERATED", 40)],
        "Alpha Services Ltd": [("Ann", 80)]})                                      # one evaluator, no moderation
    assert _steps_of(m, "Beta Care Ltd") == (60, 80, 80)
    assert _steps_of(m, "Gamma Homecare Ltd") == (20, 40, 40)
    assert _steps_of(m, "Alpha Services Ltd") == (80, 80, 80)
