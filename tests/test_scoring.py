"""Marks, lenses and ranks (DESIGN.md 3, 6.1, 6.2, 6.5), with the published price examples."""
import numpy as np
import pandas as pd
import pytest

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.scoring import price_marks, rank

from .conftest import TENDERS, tender_paths


class _Crit:
    def __init__(self, method):
        self.id, self.weight, self.method, self.kind = "PRICE", 40.0, method, "price"


class _Rubric:
    def __init__(self, method):
        self.price_criterion = _Crit(method)


def _prices(method, prices, eligible=None):
    bids = pd.DataFrame({"bidder": [f"B{i}" for i in range(len(prices))], "price": prices})
    ok = pd.Series(eligible if eligible is not None else [True] * len(prices), index=bids["bidder"])
    return price_marks(bids, _Rubric(method), ok).set_index("bidder")["marks"]


def test_relative_price_formula_published_example():
    # 40 marks, lowest £100, a £105 bid gets 38.1
    marks = _prices("relative", [100.0, 105.0])
    assert marks["B0"] == 40 and round(marks["B1"], 1) == 38.1


def test_linear_price_formula():
    # weight × max(0, 1 - (price - lowest) / lowest): 5% dearer loses 5% of the marks; double or more gets 0
    marks = _prices("linear", [100.0, 105.0, 200.0, 250.0])
    assert marks.tolist() == pytest.approx([40.0, 38.0, 0.0, 0.0])


def test_a_disqualified_bid_does_not_set_the_lowest_price():
    marks = _prices("relative", [80.0, 100.0, 105.0], eligible=[False, True, True])
    assert marks["B1"] == 40 and round(marks["B2"], 1) == 38.1


def test_ties_break_on_quality_then_price_else_shared():
    idx = ["A", "B", "C", "D"]
    total = pd.Series([80.0, 80.0, 80.0, 70.0], index=idx)
    quality = pd.Series([30.0, 35.0, 30.0, 30.0], index=idx)
    price = pd.Series([100.0, 100.0, 100.0, 90.0], index=idx)
    r = rank(total, quality, price, pd.Series(True, index=idx))
    assert r.tolist() == [2, 1, 2, 4]
    r = rank(total, quality, price, pd.Series([True, True, False, True], index=idx))
    assert pd.isna(r["C"]) and r.drop("C").tolist() == [2, 1, 3]  # an ineligible bid gets no rank


def test_totals_are_the_sum_of_their_parts(ev):
    r = ev.results
    assert np.allclose(r["total"], r["price_score"] + r["quality_score"] + r["social_value_score"])
    assert (r["total"] <= 100 + 1e-9).all()


def test_each_lens_rank_is_the_rank_with_that_lens_supplying_the_social_value_marks(ev):
    r = ev.results
    for lens in ("figures", "design"):
        total = r["price_score"] + r["quality_score"] + r["sv_scale_score"] + r[f"{lens}_score"]
        eligible = r[r["eligible"]]
        order = total[eligible.index].sort_values(ascending=False).index
        assert r.loc[order, f"{lens}_rank"].tolist() == list(range(1, len(order) + 1))


def test_figures_lens_is_pro_rata_to_the_best_eligible_claim(ev):
    r = ev.results
    best = r.loc[r["eligible"], "claimed_value"].max()
    sv = ev.rubric.sv_criterion.weight
    assert np.allclose(r["figures_score"], sv * np.minimum(1, r["claimed_value"] / best))


def test_scale_marks_use_moderated_score_else_median(ev):
    s = ev.scale
    top = ev.rubric.scale_max
    mod = s[s["moderated"].notna()]
    assert np.allclose(mod["marks"], mod["weight"] * mod["moderated"] / top)
    med = s[s["moderated"].isna() & (s["n_evaluators"] > 0)]
    assert np.allclose(med["marks"], med["weight"] * med["evaluator_median"] / top)


def test_the_samples_show_a_different_winner_under_each_lens():
    winners = []
    for name in TENDERS:
        rubric, bids, scores = tender_paths(name)
        r = load_rubric(rubric)
        b = load_bids(bids, r)
        ev = evaluate(r, b, load_scores(scores, r, b.bidders))
        winners.append((ev.winner("figures"), ev.winner("design")))
    assert any(f != d for f, d in winners)


def test_disqualified_bids_get_no_rank_and_say_why():
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    b = load_bids(bids, r)
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    dq = ev.results[~ev.results["eligible"]]
    assert len(dq) == 1
    assert dq["rank"].isna().all() and dq["figures_rank"].isna().all() and dq["design_rank"].isna().all()
    assert (ev.flags[(ev.flags["bidder"] == dq["bidder"].iat[0])]["code"] == "SV203").any()


def test_no_claims_means_zero_figures_marks_not_a_division_by_zero(tmp_path):
    rubric, _, _ = tender_paths("home_care_north")
    r = load_rubric(rubric)
    for i in range(2):
        (tmp_path / f"b{i}.yaml").write_text(f"bidder: Bidder {i}\nprice: {4_500_000 + i}\ncommitments: []\n")
    ev = evaluate(r, load_bids(tmp_path, r))
    assert (ev.results["figures_score"] == 0).all() and (ev.results["claimed_value"] == 0).all()


def test_abnormally_low_messages_say_which_figure_is_the_threshold():
    """Issue 19: "£4,580,000 (3,664,000)" left the reader to guess; the threshold is named, in £."""
    from types import SimpleNamespace

    from evaluator.scoring import price_flags
    prices = pd.DataFrame({"bidder": ["Acme", "Beta", "Cheap"], "price": [4_580_000, 4_580_000, 3_500_000.5]})
    assert price_flags(prices)["message"].tolist() == [
        "price £3,500,000.50 is under 80% of the median bid price £4,580,000: the threshold is £3,664,000"]
    prices = pd.DataFrame({"bidder": ["Low", "Mid", "C", "High"], "price": [100_000, 110_000, 130_000, 200_000]})
    rule = SimpleNamespace(rule="below_mean_excluding_highest", share=None)
    assert price_flags(prices, rule)["message"].tolist() == [
        "price £100,000 is more than 15% below £120,000, the mean of the other bids' prices leaving out the "
        "highest (£200,000): the threshold is £102,000"]
