"""The scores loader (evaluator/scores.py): evaluators' scores from a scores.csv or from a table the app
holds are checked by the same rules, every problem names the row its user sees, and a number means what it
looks like (issue 14, hole 8)."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from evaluator import EvaluatorError, InputErrors, check_scores, load_bids, load_rubric, load_scores
from evaluator.scores import SCORE_COLUMNS, split_scores
from tests.conftest import RUBRICS, SAMPLES

RUBRIC = load_rubric(RUBRICS / "home_care_north.yaml")
BIDDERS = ["Apex Care Group Ltd", "Carewell Services Ltd"]
HOME = RUBRICS / "home_care_north.yaml"
HOME_BIDS = SAMPLES / "home_care_north"


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


def test_scores_csv_number_that_reads_differently_is_refused(tmp_path):
    rubric = load_rubric(HOME)
    bidders = load_bids(HOME_BIDS, rubric).bidders
    text = (HOME_BIDS / "scores.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = next(csv_row for csv_row in [ln for ln in text[1:]])
    row = next(csv.reader([cells]))
    row[header.index("score")] = "0x3C"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / "scores.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_scores(path, rubric, bidders)
    assert "'0x3C'" in caught.value.line() and "hexadecimal" in caught.value.line()
    row[header.index("score")] = "060"  # a leading zero: 60, as a person reads it
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert load_scores(path, rubric, bidders)["score"].tolist() == [60.0]


# ------------------------------------------------------------------------------------------ issue 16: real tenders
def _tree_rubric(**keys):
    from tests.test_tree_scoring import rubric
    return rubric([{"id": "PRICE", "kind": "price", "weight": 60},
                   {"id": "Q1", "kind": "scale", "weight": 40, "scale": [0, 1, 2, 3, 4]},
                   {"id": "PF", "kind": "pass_fail", "name": "Insurance"}], **keys)


def _one(criterion, score, **extra) -> pd.DataFrame:
    return pd.DataFrame([{"bidder": "A", "criterion": criterion, "evaluator": "E1", "score": score,
                          "rationale": "because", **extra}])


def test_a_pass_fail_answer_is_pass_or_fail_also_1_or_0_and_maybe_is_refused():
    r = _tree_rubric()
    for text, value in (("pass", 1.0), ("FAIL", 0.0), (" Pass ", 1.0), ("1", 1.0), ("0", 0.0), (1, 1.0)):
        assert check_scores(_one("PF", text), r, ["A"])["score"].tolist() == [value]
    for text in ("maybe", "2", "0.5", "yes"):
        with pytest.raises(InputErrors) as caught:
            check_scores(_one("PF", text), r, ["A"])
        assert [e.line() for e in caught.value.errors] == [
            f"scores.csv, row 2, field 'score', value '{text}': is not pass or fail (also 1 or 0)"]


def test_a_score_must_be_on_its_criterions_own_scale():
    r = _tree_rubric()
    assert check_scores(_one("Q1", 3), r, ["A"])["score"].tolist() == [3.0]
    with pytest.raises(InputErrors) as caught:
        check_scores(_one("Q1", 60), r, ["A"])  # on the rubric's scale, not on Q1's
    assert [e.line() for e in caught.value.errors] == [
        "scores.csv, row 2, field 'score', value '60': is not on Q1's scale (0, 1, 2, 3, 4)"]


def test_a_lotted_tender_needs_the_lot_column_and_a_lot_it_has(tmp_path):
    r = _tree_rubric(lots=[{"id": "L1", "title": "North"}, {"id": "L2", "title": "South"}])
    with pytest.raises(InputErrors) as caught:
        check_scores(_one("Q1", 3), r, ["A"])
    assert [e.line() for e in caught.value.errors] == [
        "scores.csv, row 1, field 'lot': required column missing: this tender has lots (L1, L2), so each score "
        "names its lot"]
    with pytest.raises(InputErrors) as caught:
        check_scores(_one("Q1", 3, lot="L3"), r, {"L1": ["A"], "L2": ["B"]})
    assert "field 'lot', value 'L3': is not a lot of this tender (L1, L2)" in caught.value.errors[0].line()
    with pytest.raises(InputErrors) as caught:
        check_scores(_one("Q1", 3, lot="L2"), r, {"L1": ["A"], "L2": ["B"]})
    assert "field 'bidder', value 'A': is not a bidder in lot L2" in caught.value.errors[0].line()
    usable = check_scores(_one("Q1", 3, lot="L1"), r, {"L1": ["A"], "L2": ["B"]})
    assert usable["lot"].tolist() == ["L1"]
    path = tmp_path / "scores.csv"
    path.write_text("lot,bidder,criterion,evaluator,score,rationale\nL1,A,PF,MODERATED,pass,insured\n", encoding="utf-8")
    assert load_scores(path, r, ["A"])[["lot", "score"]].to_dict("records") == [{"lot": "L1", "score": 1.0}]


def test_a_tender_without_lots_reads_scores_with_a_blank_lot():
    assert check_scores(_rows(60), RUBRIC, BIDDERS)["lot"].tolist() == [""]
    with pytest.raises(InputErrors) as caught:
        check_scores(_rows(60).assign(lot="L1"), RUBRIC, BIDDERS)
    assert "field 'lot', value 'L1': this tender has no lots" in caught.value.errors[0].line()
