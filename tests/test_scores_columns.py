"""split_scores checks every column at once (issue 16, speed): on many generated rows it gives exactly the
usable rows and the problems (same words, same row numbers, same order) that the row-by-row check gave,
kept in tests/scores_oracle.py; and a few hand cases a user would meet."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluator import load_rubric
from evaluator.scores import SCORE_COLUMNS, split_scores
from tests.conftest import RUBRICS
from tests.scores_oracle import split_scores_by_row

FLAT = load_rubric(RUBRICS / "home_care_north.yaml")
LOTTED = load_rubric(RUBRICS / "school_catering.yaml")
NAMES = ["Apex Care Group Ltd", "Carewell Services Ltd", "Brackenford Fresh Kitchens Ltd", "Crown Dining"]


def _frame(rng: np.random.Generator, n: int, with_lot: bool, with_row: bool, lots: bool) -> pd.DataFrame:
    """n rows mixing good cells with every kind of bad one (blank, NaN, None, numbers, typos, duplicates)."""
    def pick(options, p_blank=0.05):
        out = np.array(options, dtype=object)[rng.integers(len(options), size=n)]
        out[rng.random(n) < p_blank] = None
        return out
    frame = pd.DataFrame({
        "bidder": pick(NAMES + ["Apex Care Group Ltd ", "Apex Care Grup Ltd", ""]),
        "criterion": pick(["Q1", "Q2", "Q3", "SVQ", "PF1", "PF2", "Q9", "SV", "PRICE", " Q1"]),
        "evaluator": pick(["E1", "E2", "E3", "MODERATED", ""], 0.02),
        "score": pick(["0", "20", "40", "60", "80", "100", "25", "50", "75", "3", "1", "4", "pass", "FAIL",
                       "maybe", "1.0", "0", "1,000", "0x3C", "060", "nan", "", 60, 3.0, 100.5, float("nan")]),
        "rationale": pick(["because", "  ", "", "Scored against the descriptors"], 0.03),
    })
    if with_lot:
        frame.insert(0, "lot", pick(["L1", "L2", "L3", "l1", ""] if lots else ["", "", "", "L1"], 0.03))
    blank = rng.random(n) < 0.02
    frame.loc[blank, :] = None  # rows blank in every column: skipped
    if with_row:
        frame["_row"] = rng.permutation(n) + 10
    return frame


def _same(frame, rubric, bidders):
    got_rows, got = split_scores(frame, rubric, bidders, source="scores.csv")
    want_rows, want = split_scores_by_row(frame, rubric, bidders, source="scores.csv")
    assert [(n, e.line()) for n, e in got] == [(n, e.line()) for n, e in want]
    pd.testing.assert_frame_equal(got_rows, want_rows)
    return got_rows, got


@pytest.mark.parametrize("seed", range(6))
def test_many_rows_give_the_problems_and_rows_the_row_by_row_check_gave(seed):
    rng = np.random.default_rng(seed)
    n, usable_rows, problem_rows = 3000, 0, 0
    for rubric, with_lot in ((FLAT, False), (FLAT, True), (LOTTED, True), (LOTTED, False)):
        for bidders in (None, NAMES[:2], {"L1": NAMES[:3], "L2": NAMES[2:]}):
            frame = _frame(rng, n, with_lot, bool(seed % 2), rubric.has_lots)
            if rubric.has_lots and not with_lot:
                with pytest.raises(Exception) as caught:
                    split_scores(frame, rubric, bidders)
                assert "'lot'" in caught.value.line()
                continue
            usable, problems = _same(frame, rubric, bidders)
            usable_rows, problem_rows = usable_rows + len(usable), problem_rows + len(problems)
    assert usable_rows > 100 and problem_rows > 1000  # both kinds met


def test_clean_rows_and_the_empty_table_agree_with_the_row_by_row_check():
    good = pd.DataFrame([{"lot": lot, "bidder": b, "criterion": c, "evaluator": e, "score": s, "rationale": "ok"}
                         for lot, b in (("L1", NAMES[2]), ("L2", NAMES[3]))
                         for c, s in (("Q1", "3"), ("Q2", "75"), ("PF1", "pass"))
                         for e in ("A", "B", "MODERATED")])
    usable, problems = _same(good, LOTTED, {"L1": [NAMES[2]], "L2": [NAMES[3]]})
    assert problems == [] and len(usable) == 18 and usable["score"].tolist()[:3] == [3.0, 3.0, 3.0]
    usable, problems = _same(good.iloc[:0], LOTTED, None)
    assert problems == [] and usable.empty and list(usable.columns) == SCORE_COLUMNS + ["lot", "_row"]


def test_hand_cases_name_row_field_and_value_in_row_order():
    frame = pd.DataFrame([
        {"lot": "L1", "bidder": NAMES[2], "criterion": "Q1", "evaluator": "A", "score": "3", "rationale": "ok"},
        {"lot": "L3", "bidder": NAMES[2], "criterion": "Q1", "evaluator": "A", "score": "9", "rationale": ""},
        {"lot": "L1", "bidder": NAMES[2], "criterion": "PF1", "evaluator": "A", "score": "maybe", "rationale": "ok"},
        {"lot": "L1", "bidder": NAMES[2], "criterion": "Q1", "evaluator": "A", "score": "4", "rationale": "ok"},
        {"lot": "L2", "bidder": NAMES[2], "criterion": "Q2", "evaluator": "A", "score": "1,5", "rationale": "ok"},
    ])
    usable, problems = split_scores(frame, LOTTED, {"L1": [NAMES[2]], "L2": [NAMES[3]]})
    assert [e.line() for _, e in problems] == [
        "scores.csv, row 3, field 'lot', value 'L3': is not a lot of this tender (L1, L2)",
        "scores.csv, row 3, field 'score', value '9': is not on Q1's scale (0, 1, 2, 3, 4)",
        "scores.csv, row 3, field 'rationale', value '': is empty: every score needs a rationale "
        "(reg 31 asks for an explanation)",
        "scores.csv, row 4, field 'score', value 'maybe': is not pass or fail (also 1 or 0)",
        "scores.csv, row 5, field 'evaluator', value 'A': scores this bidder and criterion twice (also row 2)",
        "scores.csv, row 6, field 'bidder', value 'Brackenford Fresh Kitchens Ltd': is not a bidder in lot L2",
        "scores.csv, row 6, field 'score', value '1,5': " + problems[-1][1].line().split("value '1,5': ")[1],
    ]
    assert [n for n, _ in problems] == [3, 3, 3, 4, 5, 6, 6]
    assert usable[["lot", "criterion", "score", "_row"]].to_dict("records") == [
        {"lot": "L1", "criterion": "Q1", "score": 3.0, "_row": 2}]
