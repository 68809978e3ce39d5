"""The app's session helpers (app/state.py) and its upload reader (app/uploads.py), outside a page.

Scores typed on the Score page are checked by the engine row by row: each row with a problem is named by
the row the evaluator sees (1 = the first row of the table) with its bid, question and evaluator, and left
out; the others are used. An edited design is validated exactly as a rubric file would be, its problems
naming "the design (edited)". The reader of a large upload runs in a process of its own that never loads
Streamlit."""
from __future__ import annotations

import copy
import logging
import subprocess
import sys

import pandas as pd
import pytest

from app.state import checked_scores, rubric_from_spec, rubric_spec
from app.uploads import error_lines
from evaluator import EvaluatorError, load_bids, load_rubric
from tests.conftest import ROOT, tender_paths

logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings: these run outside a page


@pytest.fixture(scope="module")
def home():
    rubric_path, bids_path, _ = tender_paths("home_care_north")
    rubric = load_rubric(rubric_path)
    return rubric, load_bids(bids_path, rubric).bidders


def _table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["bidder", "criterion", "evaluator", "score", "rationale"])


def test_typed_scores_with_problems_are_named_by_table_row_and_left_out(home):
    rubric, bidders = home
    apex, budget, carewell = bidders[:3]
    usable, problems = checked_scores(_table([
        (apex, "Q1", "Sam", 60.0, "Clear plan"),
        (apex, "Q1", "Ann", 100.0, None),
        (None, None, None, None, None),                      # a blank row is no score, and no problem
        (budget, "Q1", "Sam", 55.0, "Between two points"),
        ("Nobody Ltd", "Q1", "Sam", 60.0, "x"),
        (budget, "Q9", "Sam", 60.0, "x"),
        (carewell, "Q1", "Sam", "abc", "x"),
        (carewell, "SVQ", "Sam", 80, "=cmd()"),
    ]), rubric, bidders)
    assert problems == [
        "scores, row 2 (Apex Care Group Ltd / Q1 / Ann), field 'rationale', value '': is empty: every score needs "
        "a rationale (reg 31 asks for an explanation): not used",
        "scores, row 4 (Budget Home Support Ltd / Q1 / Sam), field 'score', value '55': is not on the rubric's "
        "scale (0, 20, 40, 60, 80, 100): not used",
        "scores, row 5 (Nobody Ltd / Q1 / Sam), field 'bidder', value 'Nobody Ltd': is not a bidder in this "
        "tender: not used",
        "scores, row 6 (Budget Home Support Ltd / Q9 / Sam), field 'criterion', value 'Q9': is not a scale "
        "criterion of this rubric (Q1, SVQ): not used",
        "scores, row 7 (Carewell Services Ltd / Q1 / Sam), field 'score', value 'abc': not a number: not used",
    ]
    assert usable[["bidder", "criterion", "evaluator", "score", "rationale"]].values.tolist() == [
        [apex, "Q1", "Sam", 60.0, "Clear plan"], [carewell, "SVQ", "Sam", 80.0, "=cmd()"]]


def test_a_score_typed_twice_names_the_first_row_as_the_evaluator_sees_it(home):
    rubric, bidders = home
    row = (bidders[0], "Q1", "Sam", 60.0, "Clear plan")
    usable, problems = checked_scores(_table([row, (bidders[1], "Q1", "Sam", 40.0, "Thin"), row]), rubric, bidders)
    assert problems == ["scores, row 3 (Apex Care Group Ltd / Q1 / Sam), field 'evaluator', value 'Sam': scores "
                        "this bidder and criterion twice (also row 1): not used"]
    assert len(usable) == 2


def test_no_scores_is_no_problem(home):
    rubric, bidders = home
    usable, problems = checked_scores(_table([]), rubric, bidders)
    assert usable.empty and problems == []


@pytest.mark.parametrize("name", ["home_care_north", "schools_fm"])
def test_an_edited_design_is_validated_as_a_file_and_names_the_design(name):
    rubric = load_rubric(tender_paths(name)[0])
    spec = rubric_spec(rubric)
    again = rubric_from_spec(spec, rubric)
    assert again.spec == rubric.spec and again.path == rubric.path
    assert again.proxies.equals(rubric.proxies)

    def lines(edit) -> list[str]:
        bad = copy.deepcopy(spec)
        edit(bad)
        with pytest.raises(EvaluatorError) as caught:
            rubric_from_spec(bad, rubric)
        return error_lines(caught.value)

    assert lines(lambda s: s["design"]["outcomes"][0].update(target=0)) == [
        "the design (edited), key design.outcomes[0].target (id O1), field 'target', value 0: Input should be "
        "greater than 0"]
    assert lines(lambda s: s.pop("tender")) == ["the design (edited), key tender, field 'tender': required but missing"]
    refused = lines(lambda s: s["criteria"][0].update(weight=s["criteria"][0]["weight"] + 1))
    assert len(refused) == 1 and refused[0].startswith("the design (edited), key criteria, field 'weight', value ")
    assert "SV301 weights-sum" in refused[0] and "the tool never rescales them" in refused[0]


def test_the_reader_of_a_large_upload_does_not_load_streamlit():
    """The spawned reading process imports app/uploads.py: it must stay light (no Streamlit) to start fast."""
    code = "import sys, app.uploads; print('streamlit' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_workspace_tender_is_named_by_its_tender_never_by_the_server_file(tmp_path):
    """The sidebar's "Tender in use" and the Tender page read the label: the tender's id and title, not the
    workspace file on the server."""
    from app.state import workspace_tender
    from evaluator.workspace import Workspace
    rubric, bids, scores = tender_paths("home_care_north")
    db = Workspace.create(tmp_path / "panel_2026.sqlite", rubric, bids, scores_path=scores).path
    label = workspace_tender(db).label
    assert label == "workspace of HC-2026-014 Adult domiciliary care, North district", label
    assert "sqlite" not in label and str(tmp_path) not in label
