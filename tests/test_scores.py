"""The scores loader (evaluator/scores.py): evaluators' scores from a scores.csv or from a table the app
holds are checked by the same rules, and every problem names the row its user sees."""
from __future__ import annotations

import pandas as pd
import pytest

from evaluator import InputErrors, check_scores, load_rubric, load_scores
from evaluator.scores import SCORE_COLUMNS, split_scores
from tests.conftest import RUBRICS, SAMPLES

RUBRIC = load_rubric(RUBRICS / "home_care_north.yaml")
BIDDERS = ["Apex Care Group Ltd", "Carewell Services Ltd"]


def _rows(*scores) -> pd.DataFrame:
    return pd.DataFrame([{"bidder": "Apex Care Group Ltd", "criterion": "Q1", "evaluator": f"E{i}",
                          "score": s, "rationale": "because"} for i, s in enumerate(scores)], columns=SCORE_COLUMNS)


def test_a_frame_is_checked_as_its_csv_is_and_names_the_row_a_spreadsheet_shows():
    with pytest.raises(InputErrors) as caught:
        check_scores(_rows(60, 7), RUBRIC, BIDDERS)
    assert [e.line() for e in caught.value.errors] == [
        "scores.csv, row 3, field 'score', value '7': is not on the rubric's scale (0, 20, 40, 60, 80, 100)"]


def test_a_frame_carrying_its_own_row_numbers_is_named_by_them():
    frame = _rows(60, 7).assign(_row=[11, 12])
    usable, problems = split_scores(frame, RUBRIC, BIDDERS, source="scores")
    assert [(n, e.line()) for n, e in problems] == [
        (12, "scores, row 12, field 'score', value '7': is not on the rubric's scale (0, 20, 40, 60, 80, 100)")]
    assert usable[["evaluator", "score", "_row"]].to_dict("records") == [{"evaluator": "E0", "score": 60.0, "_row": 11}]


def test_blank_cells_and_number_scores_read_as_a_csv_holds_them():
    frame = pd.concat([_rows(40, "80", None), pd.DataFrame([{c: None for c in SCORE_COLUMNS}])],
                      ignore_index=True)  # the last row is blank in every column: skipped, as a blank CSV line
    usable, problems = split_scores(frame, RUBRIC, BIDDERS)
    assert usable["score"].tolist() == [40.0, 80.0]
    assert [e.line() for _, e in problems] == ["scores.csv, row 4, field 'score', value '': not a number"]


def test_a_scores_csv_and_its_frame_give_the_same_scores():
    path = SAMPLES / "home_care_north" / "scores.csv"
    bidders = sorted(set(pd.read_csv(path)["bidder"]))
    from_file = load_scores(path, RUBRIC, bidders)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert check_scores(frame, RUBRIC, bidders).equals(from_file)
