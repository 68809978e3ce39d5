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
    m = S.build_model(sample, lens)
    p = S.published(m)
    # exactly equal, not close: both run the same kernel functions in the same order
    np.testing.assert_array_equal(p["totals"][0], sample.results[f"{lens}_total"].to_numpy(dtype=float))
    np.testing.assert_array_equal(p["quality"][0], sample.results["quality_score"].to_numpy(dtype=float))
    np.testing.assert_array_equal(p["sv_fraction"][0], sample.results[f"{lens}_fraction"].to_numpy(dtype=float))
    engine_ranks = sample.results[f"{lens}_rank"].astype("Float64").fillna(0).to_numpy(dtype=float)
    assert p["ranks"][0].tolist() == engine_ranks.astype(int).tolist()
    assert p["eligible"][0].tolist() == sample.results["eligible"].tolist()


def test_draws_with_nothing_varied_always_give_the_published_winner(sample):
    m = S.build_model(sample)
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
    sw = SW.switching_values(S.build_model(crossing)).set_index("criterion")
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
    sw = SW.switching_values(S.build_model(ev)).set_index("criterion")
    assert sw.loc["PRICE", "switch_at"] == pytest.approx(200 / 3, abs=1e-9)
    assert (sw.loc["PRICE", "new_winner"], sw.loc["PRICE", "direction"]) == ("Alpha Services Ltd", "up")
    assert sw.loc["Q1", "switch_at"] == pytest.approx(100 / 3, abs=1e-9)
    assert (sw.loc["Q1", "new_winner"], sw.loc["Q1", "direction"]) == ("Alpha Services Ltd", "down")


def test_the_weights_are_dirichlet_with_the_published_mean_and_the_variance_the_concentration_sets(crossing):
    """For Dirichlet weights with concentration a0 around published shares p: mean p, variance
    p (1 - p) / (a0 + 1). The weights are read back from the totals: with nothing else varied, Alpha's
    total is wP + 0.4 wQ and Beta's 0.8 wP + 0.8 wQ (neither has social value), and wSV = 100 - wP - wQ."""
    a0, draws = 20.0, 20_000
    sim = S.simulate(S.build_model(crossing), draws, 9, concentration=a0, deflator_range=0, evidence_range=0,
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
    # Beta's disputed score (40/60/80) moves a step either way, so Beta and Gamma do swap places
    beta = next(b for b in doc["bids"] if b["bidder"] == "Beta Care Ltd")
    assert 0 < beta["rank_probabilities"]["3"] < 1
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
    m = S.build_model(sample)
    steps = np.diff(m.scale_values).min()
    assert ((m.score_up - m.base_scores)[m.disagree] >= 0).all()
    assert np.nanmax(np.abs(m.score_up - m.base_scores)) <= np.diff(m.scale_values).max()
    assert steps > 0
    agreed = ~m.disagree & ~np.isnan(m.base_scores)
    assert (m.score_up[agreed] == m.base_scores[agreed]).all() and (m.score_down[agreed] == m.base_scores[agreed]).all()


def test_figures_lens_varies_the_proxies_between_low_and_high():
    ev = _evaluate(*tender_paths("home_care_north"))
    m = S.build_model(ev, "figures")
    assert len(m.p_codes) > 0
    sim = S.simulate(m, 500, 1, concentration=None, deflator_range=0, evidence_range=0, vary_scores=False)
    assert sim["totals"].std(axis=0).max() > 0  # only the proxies moved
    design = S.simulate(S.build_model(ev, "design"), 500, 1, concentration=None, deflator_range=0,
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
