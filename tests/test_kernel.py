"""The scoring kernel (evaluator/kernel.py), against numbers worked by hand or published: the price
formulas, scale marks, thresholds, net quantity, attainment, the design and figures fractions, totals,
ranks with ties (6.5), and the sums, one draw or many."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluator import kernel

NAN = np.nan


def _draw(rows) -> np.ndarray:
    return np.array(rows, dtype=float)


# ---------------------------------------------------------------------- 6.1 price
def test_relative_price_is_weight_times_lowest_over_price_published_example():
    # 40 marks, lowest £100: the lowest gets 40, a £105 bid 40 x 100 / 105 = 38.095..., published as 38.1
    marks, lowest = kernel.price_marks(np.array([100.0, 105.0]), np.array([[True, True]]), 40.0, "relative")
    assert lowest.tolist() == [100.0]
    assert marks[0, 0] == 40.0 and round(marks[0, 1], 1) == 38.1
    assert marks[0, 1] == pytest.approx(4000 / 105, rel=1e-15)


def test_linear_price_loses_the_share_by_which_a_price_exceeds_the_lowest():
    # 40 x max(0, 1 - (p - 100) / 100): 5% dearer keeps 95% = 38; 50% dearer 20; double or more 0
    marks, _ = kernel.price_marks(np.array([100.0, 105.0, 150.0, 200.0, 250.0]), np.ones((1, 5), bool), 40.0, "linear")
    assert marks[0].tolist() == pytest.approx([40.0, 38.0, 20.0, 0.0, 0.0], abs=1e-12)


def test_the_lowest_price_is_among_eligible_bids_and_marks_never_exceed_the_weight():
    # a disqualified £80 bid does not set the lowest (£100); its own marks are capped at the weight
    marks, lowest = kernel.price_marks(np.array([80.0, 100.0, 105.0]), np.array([[False, True, True]]), 40.0,
                                       "relative")
    assert lowest.tolist() == [100.0]
    assert marks[0].tolist() == pytest.approx([40.0, 40.0, 4000 / 105])
    # none eligible: the lowest of all; a missing price is never the lowest and gets no marks
    marks, lowest = kernel.price_marks(np.array([NAN, 120.0, 150.0]), np.array([[False, False, False]]), 10.0,
                                       "relative")
    assert lowest.tolist() == [120.0] and np.isnan(marks[0, 0]) and marks[0, 2] == pytest.approx(8.0)


def test_price_marks_for_a_batch_of_draws_each_with_its_own_weight_and_eligibility():
    prices = np.array([100.0, 125.0])
    eligible = np.array([[True, True], [False, True]])
    weight = np.array([[40.0], [20.0]])
    marks, lowest = kernel.price_marks(prices, eligible, weight, "relative")
    assert lowest.tolist() == [100.0, 125.0]
    np.testing.assert_allclose(marks, [[40.0, 32.0], [20.0, 20.0]], rtol=1e-15)  # 40 x 100/125; 20 x 125/100, capped


# ---------------------------------------------------------------------- 6.2 scale criteria and thresholds
def test_scale_marks_are_weight_times_score_over_the_top_of_the_scale_and_unscored_earns_nothing():
    scores = _draw([[60.0, 100.0], [NAN, 20.0]])[None]  # (1 draw, 2 bids, 2 criteria), scale to 100
    marks = kernel.scale_marks(scores, np.array([30.0, 10.0]), 100.0)
    assert marks[0].tolist() == [[18.0, 10.0], [0.0, 2.0]]


def test_a_score_below_a_minimum_disqualifies_an_unscored_one_does_not():
    thresholds = np.array([40.0, NAN])
    scores = _draw([[20.0, 100.0], [40.0, 0.0], [NAN, 0.0]])[None]
    assert kernel.below_threshold(scores, thresholds)[0].tolist() == [[True, False], [False, False], [False, False]]
    assert kernel.eligibility(scores, thresholds)[0].tolist() == [False, True, True]


# ---------------------------------------------------------------------- 6.3 design lens
def test_net_quantity_is_quantity_times_additionality_times_evidence_factor():
    # 10 FTE-years, deadweight 20%, attribution 10%, no displacement, evidence factor 0.75:
    # 10 x 0.8 x 0.9 x 1.0 x 0.75 = 5.4
    add = kernel.additionality(np.array([0.2]), np.array([0.1]), np.array([0.0]))
    assert add.tolist() == pytest.approx([0.72])
    assert kernel.net_quantity(np.array([10.0]), add, np.array([0.75])).tolist() == pytest.approx([5.4])


def test_attainment_is_net_over_target_capped_and_absent_without_a_target():
    net = _draw([[5.4, 30.0, 7.0]])[None]  # one bid, three outcomes
    att = kernel.attainment(net, np.array([10.0, 20.0, NAN]), cap=1.0)
    assert att[0, 0, :2].tolist() == pytest.approx([0.54, 1.0]) and np.isnan(att[0, 0, 2])
    assert kernel.attainment(net, np.array([10.0, 20.0, NAN]), cap=1.2)[0, 0, 1] == pytest.approx(1.2)


def test_design_fraction_is_the_priority_weighted_mean_over_attainable_outcomes():
    # priorities 3 and 1 (the third outcome has no target and does not count): (0.54 x 3 + 1.0 x 1) / 4 = 0.655
    att = np.array([[[0.54, 1.0, NAN], [0.0, 0.0, NAN]]])
    frac = kernel.design_fractions(att, np.array([3.0, 1.0, 5.0]), np.array(["A", "B"], dtype=object))
    assert frac[0].tolist() == pytest.approx([0.655, 0.0])


def test_over_delivery_above_a_cap_of_one_never_gives_more_than_full_marks():
    att = np.array([[[5.0, 0.0]]])  # cap 5 on the first outcome, priority 35 of 100
    frac = kernel.design_fractions(att, np.array([35.0, 65.0]), np.array(["A"], dtype=object))
    assert frac[0].tolist() == [1.0]  # 5 x 0.35 = 1.75, held to 1


# ---------------------------------------------------------------------- section 3 figures lens
def test_figures_fraction_is_the_claim_over_the_best_eligible_claim():
    claimed = _draw([50.0, 100.0, 200.0])[None]
    frac, best = kernel.figures_fractions(claimed, np.array([[True, True, False]]))
    assert best.tolist() == [100.0]
    assert frac[0].tolist() == [0.5, 1.0, 1.0]  # the ineligible bid's 200 is not the best; it is capped
    frac, best = kernel.figures_fractions(_draw([0.0, 0.0])[None], np.array([[True, True]]))
    assert best.tolist() == [0.0] and frac[0].tolist() == [0.0, 0.0]  # nobody claims: no division by zero
    frac, best = kernel.figures_fractions(_draw([10.0])[None], np.array([[False]]))
    assert best.tolist() == [0.0] and frac[0].tolist() == [0.0]


# ---------------------------------------------------------------------- 6.5 totals and ranks
def test_total_is_price_plus_quality_plus_social_value():
    assert kernel.totals(np.array([40.0]), np.array([18.0]), np.array([5.0]), np.array([10.0])).tolist() == [73.0]


def _ranks(total, quality, price, eligible=None):
    total = np.array([total], dtype=float)
    eligible = np.ones_like(total, bool) if eligible is None else np.array([eligible])
    return kernel.ranks(total, np.array([quality], dtype=float), np.array(price, dtype=float), eligible)[0].tolist()


def test_ranks_break_ties_on_higher_quality_then_lower_price_else_share_the_rank():
    # A, B, C tie on 80; B has the best quality (35): 1st. A and C tie on quality and price: both 2nd.
    # D (70) has three bids strictly ahead: 4th.
    assert _ranks([80, 80, 80, 70], [30, 35, 30, 30], [100, 100, 100, 90]) == [2, 1, 2, 4]
    # equal total and quality: the lower price ranks first
    assert _ranks([80, 80], [30, 30], [100, 90]) == [2, 1]
    # a higher total beats better quality and a lower price
    assert _ranks([80, 80.5], [40, 10], [90, 200]) == [2, 1]


def test_an_ineligible_bid_is_not_ranked_and_does_not_push_others_down():
    assert _ranks([80, 90, 70], [30, 30, 30], [100, 100, 100], [True, False, True]) == [1, 0, 2]


def test_totals_equal_to_nine_decimal_places_are_a_tie_and_a_missing_price_counts_as_highest():
    assert _ranks([80.0, 80.0 + 1e-12], [30, 30], [100, 100]) == [1, 1]
    assert _ranks([80, 80], [30, 30], [NAN, 100]) == [2, 1]


def _ranks_by_counting(totals, quality, price, eligible) -> np.ndarray:
    """The oracle: a bid's rank is 1 + the number of eligible bids strictly ahead of it (6.5)."""
    t = np.round(totals, 9)
    q = np.round(quality, 9)
    p = np.broadcast_to(np.where(np.isnan(price), np.inf, price)[None, :], t.shape)
    ahead = ((t[:, None, :] > t[:, :, None])
             | ((t[:, None, :] == t[:, :, None]) & (q[:, None, :] > q[:, :, None]))
             | ((t[:, None, :] == t[:, :, None]) & (q[:, None, :] == q[:, :, None]) & (p[:, None, :] < p[:, :, None])))
    ahead &= eligible[:, None, :]
    return np.where(eligible, 1 + ahead.sum(axis=2), 0)


def test_ranks_by_sorting_equal_ranks_by_counting_with_ties_and_disqualified_bids():
    rng = np.random.default_rng(0)
    d, n = 400, 9
    totals = rng.integers(50, 56, (d, n)).astype(float)  # many ties on total
    quality = rng.integers(10, 12, (d, n)).astype(float)   # and on quality
    price = np.array([100, 100, 120, np.nan, 90, 100, 130, 90, 100], dtype=float)  # and on price
    eligible = rng.random((d, n)) > 0.2
    np.testing.assert_array_equal(kernel.ranks(totals, quality, price, eligible),
                                  _ranks_by_counting(totals, quality, price, eligible))


# ---------------------------------------------------------------------- sums
def test_group_sums_are_pandas_groupby_sums_one_draw_or_many():
    # 1e16 + 1 + 5: added one at a time, 1e16 + 1 rounds back to 1e16 and the total is 1e16 + 4; pandas'
    # compensated groupby sum carries the lost 1 and gets 1e16 + 6 exactly. The kernel adds as evaluate
    # always has: as pandas does.
    values = np.array([[1e16, 1.0, 1.0, 5.0, NAN]])
    labels = np.array([7, 3, 7, 7, 3])  # unsorted: compensated
    sums = kernel.group_sum(values, labels, [3, 7, 9])
    assert sums.tolist() == [[1.0, 1e16 + 6.0, 0.0]]  # NaN skipped; 9 has no row: 0
    rng = np.random.default_rng(1)
    many = rng.random((6, 300)) * 10.0 ** rng.integers(-3, 9, (6, 300))
    for labels in (np.sort(rng.integers(0, 40, 300)), rng.integers(0, 40, 300)):
        expected = np.stack([pd.Series(row).groupby(labels).sum().reindex(range(45)).fillna(0.0).to_numpy()
                             for row in many])
        np.testing.assert_array_equal(kernel.group_sum(many, labels, range(45)), expected)


def test_bid_sums_add_each_bids_criteria():
    marks = np.array([[[18.0, 2.0, 1.5], [9.0, 0.0, 0.25]]])
    names = np.array(["A", "B"], dtype=object)
    assert kernel.bid_sums(marks, names).tolist() == [[21.5, 9.25]]
    assert kernel.bid_sums(marks[:, :, :1], names).tolist() == [[18.0, 9.0]]
    assert kernel.bid_sums(marks[:, :, :0], names).tolist() == [[0.0, 0.0]]


# ---------------------------------------------------------------------- 9 real tenders (issue 16)
def test_ties_break_in_the_order_given_and_social_value_can_break_them():
    total = np.array([[76.0, 76.0, 76.0]])
    quality = np.array([[48.0, 36.0, 48.0]])
    sv = np.array([[8.0, 20.0, 8.0]])
    price = np.array([100.0, 100.0, 90.0])
    ok = np.ones((1, 3), dtype=bool)
    assert kernel.ranks(total, quality, price, ok).tolist() == [[2, 3, 1]]  # quality, then price
    assert kernel.ranks(total, quality, price, ok, tie_break=("price",)).tolist() == [[2, 2, 1]]  # price alone
    assert kernel.ranks(total, quality, price, ok, tie_break=("social_value", "quality", "price"),
                        social_value=sv).tolist() == [[3, 1, 2]]
    assert kernel.ranks(total, quality, price, ok, tie_break=()).tolist() == [[1, 1, 1]]  # nothing: shared


def test_price_per_point_ranks_lowest_first_and_a_bid_with_no_points_last():
    price = np.array([100_000.0, 90_000.0, 120_000.0, 80_000.0, 80_000.0])
    points = np.array([[80.0, 60.0, 90.0, 0.0, 0.0]])
    ppp = kernel.price_per_point(price, points)
    assert ppp[0, :3].tolist() == [1250.0, 1500.0, 120_000 / 90] and np.isnan(ppp[0, 3:]).all()
    ranks = kernel.ranks(ppp, points, price, np.ones((1, 5), dtype=bool), ascending=True)
    assert ranks.tolist() == [[1, 3, 2, 4, 4]]  # two bids without points: last, together


def test_group_marks_are_the_sum_of_their_leaves_added_left_to_right():
    leaves = np.array([[[28 * 2 / 3, 6.4, 1.6, 5.0]], [[0.1, 0.2, 0.3, 0.0]]])  # two draws, one bid, four leaves
    groups = kernel.group_marks(leaves, [[0, 1, 2], [1, 2], [3]])
    assert groups[0, 0].tolist() == [28 * 2 / 3 + 6.4 + 1.6, 6.4 + 1.6, 5.0]  # never the rounded rows
    assert groups[1, 0, 0] == sum([0.1, 0.2, 0.3])  # as a reader adds the rows shown: 0.6000000000000001


def test_gates_group_minimum_pass_fail_mandatory_outcome_and_budget():
    marks = np.array([[[19.99, 20.0], [30.0, np.nan]]])  # (1 draw, 2 bids, 2 groups)
    known = np.array([[[True, True], [True, False]]])
    below = kernel.below_min_share(marks, [40.0, 40.0], [0.5, np.nan], known)
    assert below.tolist() == [[[True, False], [False, False]]]  # exactly half is not below; no minimum: never
    results = np.array([[[1.0, np.nan], [1.0, 0.0]]])
    assert kernel.pass_fail_failed(results).tolist() == [[False, True]]  # unresolved is not a fail
    net = np.array([[[0.0, 3.0], [0.1, 0.0]]])
    assert kernel.mandatory_unmet(net, np.array([True, False])).tolist() == [[[True, False], [False, False]]]
    assert kernel.over_budget([100.0, 100.01, NAN], 100.0).tolist() == [False, True, False]
    assert kernel.over_budget([1e9], None).tolist() == [False]


def test_ranks_by_sorting_equal_ranks_by_counting_in_every_tie_break_order_and_ascending():
    rng = np.random.default_rng(4)
    d, n = 300, 8
    totals = rng.integers(50, 54, (d, n)).astype(float)
    quality = rng.integers(10, 12, (d, n)).astype(float)
    sv = rng.integers(3, 5, (d, n)).astype(float)
    price = np.array([100, 100, 120, np.nan, 90, 100, 130, 90], dtype=float)
    eligible = rng.random((d, n)) > 0.2
    keys = {"quality": -quality, "price": np.broadcast_to(np.where(np.isnan(price), np.inf, price), (d, n)),
            "social_value": -sv}
    for order in [(), ("price",), ("social_value", "quality"), ("price", "social_value", "quality")]:
        for ascending in (False, True):
            first = totals if ascending else -totals
            ahead = np.zeros((d, n, n), dtype=bool)
            equal = np.ones((d, n, n), dtype=bool)
            for k in [first] + [keys[name] for name in order]:  # j ahead of i: better on the first key that differs
                ahead |= equal & (k[:, None, :] < k[:, :, None])
                equal &= k[:, None, :] == k[:, :, None]
            expected = np.where(eligible, 1 + (ahead & eligible[:, None, :]).sum(axis=2), 0)
            got = kernel.ranks(totals, quality, price, eligible, tie_break=order, social_value=sv, ascending=ascending)
            np.testing.assert_array_equal(got, expected)
