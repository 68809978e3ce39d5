"""The Sensitivity page, driven by AppTest: the numbers it shows are the engine's (`sensitivity.analyse`
with the same seed), the charts are drawn, settings change the result, and bad settings cannot crash it."""
from __future__ import annotations

import re

import numpy as np
import pytest

from evaluator.sensitivity_model import build_model
from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator import sensitivity
from evaluator.switching import switching_values
from evaluator.formatting import marks, probability
from tests.apptest import APP, ok, unescape
from tests.conftest import ROOT, tender_paths

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGE = str(ROOT / "app_pages" / "sensitivity.py")
WIN = "Wins (share of draws)"  # the engine's win_probability as the page heads it; its cells are percentages
FIRST, SECOND = "1st (share of draws)", "2nd (share of draws)"


@pytest.fixture(scope="module")
def home_ev():
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    return evaluate(r, b, load_scores(scores, r, b.bidders))


def _page(draws: int = 2000, seed: int = 3):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["sens_draws"] = draws
    at.session_state["sens_seed"] = seed
    at.run()
    ok(at)
    return at


def _probabilities(at):
    for df in at.dataframe:
        if {"Bidder", WIN, FIRST} <= set(df.value.columns):
            return df.value.set_index("Bidder")
    raise AssertionError("no probability table")


def test_page_shows_the_engines_probabilities_and_switching_values(home_ev):
    at = _page(2000, 3)
    shown = _probabilities(at)
    ref = sensitivity.analyse(home_ev, 2000, 3).table().set_index("bidder")
    assert shown.loc[ref.index, WIN].tolist() == [probability(v) for v in ref["win_probability"]]
    assert shown.loc[ref.index, SECOND].tolist() == [probability(v) for v in ref["rank_2"]]
    assert not [c for c in shown.columns if "_" in c]  # headers in words, not the engine's names
    assert shown.loc[ref.index, "Total: 5th percentile"].tolist() == [marks(v) for v in ref["total_p05"]]
    assert list(shown.index[:1]) == [home_ev.winner()]    # the bid that wins most often first
    assert shown.loc[home_ev.winner(), "Published total"] == "70.74"
    assert len(at.get("vega_lite_chart")) == 2  # win probabilities and rank probabilities
    switching = next(df.value for df in at.dataframe if "Switch at" in df.value.columns)
    ref_sw = switching_values(build_model(home_ev)).set_index("criterion")
    price = switching.set_index("Criterion").loc["PRICE"]
    assert price["Switch at"] == marks(ref_sw.loc["PRICE", "switch_at"]) == "60.52"
    assert price["New winner"] == ref_sw.loc["PRICE", "new_winner"]
    held = switching.set_index("Criterion").loc["Q1"]  # the winner holds at any weight: nothing, not "None"
    assert (held["Switch at"], held["New winner"], held["Published weight"]) == ("", "", "30.00")
    from tests.test_app import offences
    assert offences(at) == []
    metric = at.metric[0]
    assert home_ev.winner() in metric.label
    win = ref.loc[home_ev.winner(), "win_probability"]
    assert metric.value == f"{win:.1%} of draws"


def test_same_seed_same_numbers_and_the_seed_matters():
    a = _probabilities(_page(1000, 5))
    b = _probabilities(_page(1000, 5))
    c = _probabilities(_page(1000, 6))
    assert a.equals(b)
    assert not a[WIN].equals(c[WIN])


def test_lens_and_ranges_change_the_draws(home_ev):
    at = _page(1000, 1)
    table = _probabilities(at)
    before = table[WIN]
    ranks = [c for c in table.columns if c[0].isdigit()]  # the winner is all but certain (issue 18)
    at.selectbox(key="sens_lens").set_value("figures").run()
    ok(at)
    figures = _probabilities(at)
    ref = sensitivity.analyse(home_ev, 1000, 1, lens="figures").table().set_index("bidder")
    assert figures.loc[ref.index, WIN].tolist() == [probability(v) for v in ref["win_probability"]]
    assert not figures[WIN].equals(before)
    labels = [unescape(m.label) for m in at.metric]          # the published winner is the official (design) lens's first
    assert labels[0] == f"{home_ev.winner()} (the published winner) wins in figures-lens draws"
    first = home_ev.winner("figures")
    assert first != home_ev.winner() and f"{first} (first under the figures lens) wins" in labels
    assert not any(f"{first} (the published winner)" in label for label in labels)
    at.selectbox(key="sens_lens").set_value("design").run()
    at.number_input(key="sens_conc").set_value(100000.0).run()
    at.slider(key="sens_deflators").set_value(0.0).run()
    at.slider(key="sens_evidence").set_value(0.0).run()
    ok(at)
    assert not _probabilities(at)[ranks].equals(table[ranks])


def test_the_page_is_in_the_app_navigation():
    at = AppTest.from_file(APP, default_timeout=120).run()
    ok(at)
    at.session_state["sens_draws"] = 500
    at.switch_page("app_pages/sensitivity.py").run()
    ok(at)
    assert any(re.search("Sensitivity", t.value) for t in at.title)


@pytest.fixture(autouse=True)
def _app_state_restored():
    """_lotted_page's script stands in for app.state.get_evaluation in this process (AppTest runs the page
    here): put the real one back, so no later test sees this file's tenders."""
    import app.state as state
    real = state.get_evaluation
    yield
    state.get_evaluation = real


def _lotted_page(root: str, draws: int = 500, seed: int = 3, rubric: str = "rubric_lots.yaml", bids: str = "lots"):
    """The page on a hand-worked tender of tests/fixtures/sensitivity (by default the one with two lots),
    the app's evaluation of it standing in for the loaded tender's."""
    def script(root, rubric_name, bids_name):
        import runpy
        from pathlib import Path

        import app.state as state
        from evaluator import load_bids, load_rubric, load_scores
        from evaluator.lots import evaluate_tender
        fix = Path(root) / "tests" / "fixtures" / "sensitivity"
        rubric = load_rubric(fix / rubric_name)
        bids = load_bids(fix / bids_name, rubric).require_valid()
        tev = evaluate_tender(rubric, bids, load_scores(fix / bids_name / "scores.csv", rubric, bids.bidders))
        state.get_evaluation = lambda key=None, lot=None: tev if lot is None else tev.evaluation(lot)
        runpy.run_path(str(Path(root) / "app_pages" / "sensitivity.py"))
    at = AppTest.from_function(script, args=(root, rubric, bids), default_timeout=120)
    at.session_state["sens_draws"] = draws
    at.session_state["sens_seed"] = seed
    at.run()
    ok(at)
    return at


def test_a_tender_with_lots_has_a_lot_picker_and_the_award_across_lots():
    at = _lotted_page(str(ROOT))
    picker = next(s for s in at.selectbox if s.label == "Lot")
    assert picker.options[:2] and picker.value == "L1"
    award = next(df.value for df in at.dataframe if "Awarded to" in df.value.columns).set_index("Lot")
    assert award.loc["L2", "Awarded to"] == "Beta Care Ltd"
    assert award.loc["L2", "Passed over"] == "Alpha Services Ltd"
    assert award.loc["L2", "Awarded to it in (share of draws)"] == "100%"
    assert award.loc["L2", "Contract value"].startswith("£")
    assert award.loc["L1", "Passed over"] == ""
    l1 = _probabilities(at)
    picker.set_value("L2").run()
    ok(at)
    l2 = _probabilities(at)
    assert set(l2.index) == {"Alpha Services Ltd", "Beta Care Ltd"}
    assert l2.loc["Alpha Services Ltd", WIN] == "100%"  # first on marks in L2 in every draw
    assert not l1.equals(l2)
    assert any("lot L2" in unescape(c.value) and "python" not in unescape(c.value) for c in at.caption)


def test_a_criteria_tree_s_switching_values_name_each_sub_criterion_s_group_and_share():
    """The tree worked by hand in test_sensitivity: Q1 (50% of Q, 30 points) falls to 48.15% of Q (28.89
    points) before Beta wins; the tree's bid that failed its pass/fail question is never ranked."""
    at = _lotted_page(str(ROOT), rubric="rubric_tree.yaml", bids="tree")
    assert not [s for s in at.selectbox if s.label == "Lot"]  # no lots, no picker
    sw = next(df.value for df in at.dataframe if "Switch at" in df.value.columns).set_index("Criterion")
    assert (sw.loc["Q1", "Group"], sw.loc["Q1", "Level"], sw.loc["Q1", "Share of its group"]) == ("Q", "2", "50%")
    assert sw.loc["Q1", "Switch at"] == "28.89" and sw.loc["Q1", "New winner"] == "Beta Care Ltd"
    assert sw.loc["Q1", "Reading"] == "if it falls to 28.89 (48.15% of Q), Beta Care Ltd wins"
    top = sw[sw["Level"] == "1"]
    assert (top["Group"] == "").all() and (top["Share of its group"] == "").all()  # a top criterion has no group
    assert "PF" not in sw.index
    assert _probabilities(at).loc["Gamma Homes Ltd", "Disqualified (share of draws)"] == "100%"
