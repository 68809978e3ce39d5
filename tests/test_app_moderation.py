"""The Moderation page and the app's workspace, driven by AppTest: independent scoring until complete,
side-by-side with SV205, a consensus with a mandatory rationale, Kendall's W; every score survives a
fresh run of the app (a browser refresh or a server restart) because it lives in the workspace."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from evaluator.workspace import Workspace, default_workspace_path
from tests.apptest import APP, ok, table, unescape
from tests.conftest import ROOT

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGE = str(ROOT / "app_pages" / "moderation.py")
SCORE_PAGE = str(ROOT / "app_pages" / "score.py")
TENDER_ID = "HC-2026-014"


def fresh(path: str = PAGE):
    """A new AppTest: a new session with nothing in memory, as after a refresh or a server restart."""
    at = AppTest.from_file(path, default_timeout=60).run()
    ok(at)
    return at


def test_the_default_workspace_is_made_outside_the_repository_with_no_set_up():
    fresh()
    path = default_workspace_path(TENDER_ID)
    assert path.is_file()
    assert Path(os.environ["SOCIAL_VALUE_HOME"]) in path.parents and ROOT not in path.parents
    ws = Workspace.open(path)
    assert ws.verify().intact and len(ws.scores()) == len(pd.read_csv(ROOT / "sample_bids/home_care_north/scores.csv"))


def test_an_evaluator_sees_only_their_own_scores_until_complete():
    at = fresh()
    at.selectbox(key="mod_evaluator").set_value("Helen Marsh").run()
    ok(at)
    mine = table(at, {"bid", "criterion", "score", "rationale"})
    assert len(mine) == 12
    page_text = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    assert "David Okafor" not in page_text and "Priya Raman" not in page_text
    assert "MODERATED" not in page_text
    at.button(key="mod_complete").click().run()
    ok(at)
    panel = table(at, {"bidder", "criterion", "SV205", "status"})
    assert {"David Okafor", "Helen Marsh", "Priya Raman"} <= set(panel.columns)
    flagged = panel[panel["SV205"]]
    assert list(zip(flagged["bidder"], flagged["criterion"])) == [("Carewell Services Ltd", "Q1")]
    agree = table(at, {"criterion", "W", "reading"})
    assert set(agree["criterion"]) == {"Q1", "SVQ"} and agree["W"].between(0, 1).all()
    # another evaluator who has not finished still sees only their own
    at.selectbox(key="mod_evaluator").set_value("David Okafor").run()
    assert "Helen Marsh" not in " ".join(df.value.to_csv() for df in at.dataframe)


def _complete_and_open(at, who: str = "Helen Marsh"):
    at.selectbox(key="mod_evaluator").set_value(who).run()
    if any(b.key == "mod_complete" for b in at.button):
        at.button(key="mod_complete").click().run()
    ok(at)
    return at


def _submit(at, cell, label_start: str, rationale: str):
    at.selectbox(key="mod_cell").set_value(cell).run()
    score = at.selectbox(key="mod_score")
    score.set_value(next(o for o in score.options if o.startswith(label_start)))
    at.text_area(key="mod_rationale").set_value(rationale)
    next(b for b in at.button if b.label == "Record consensus").click().run()
    ok(at)


def test_consensus_needs_a_rationale_then_is_saved_beside_the_originals_and_survives_a_restart():
    at = _complete_and_open(fresh())
    cell = ("Easton Homecare Partnership", "SVQ")
    _submit(at, cell, "60", "   ")
    assert any("rationale" in unescape(e.value) for e in at.error)
    ws = Workspace.open(default_workspace_path(TENDER_ID))
    assert ws.scores(evaluator="MODERATED").query("bidder == @cell[0] and criterion == 'SVQ'").empty

    _submit(at, cell, "60", "Panel agreed Satisfactory: relevant partners, carbon plan still a model")
    assert any("Saved" in unescape(s.value) and "audit entry" in unescape(s.value) for s in at.success)
    saved = ws.scores(evaluator="MODERATED").set_index(["bidder", "criterion"]).loc[cell]
    assert saved["score"] == 60 and saved["rationale"].startswith("Panel agreed")
    assert ws.audit_log().iloc[-1]["actor"] == "Helen Marsh"  # who recorded it
    assert len(ws.scores().query("bidder == @cell[0] and criterion == 'SVQ'")) == 4  # three originals kept

    restarted = _complete_and_open(fresh())  # a new session: nothing in memory
    panel = table(restarted, {"bidder", "criterion", "moderated", "status"})
    row = panel[(panel["bidder"] == cell[0]) & (panel["criterion"] == "SVQ")].iloc[0]
    assert row["moderated"] == 60 and row["status"] == "consensus recorded"
    assert ws.verify().intact


def test_scoring_complete_survives_a_restart():
    at = fresh()
    at.selectbox(key="mod_evaluator").set_value("Priya Raman").run()
    at.button(key="mod_complete").click().run()
    again = fresh()
    again.selectbox(key="mod_evaluator").set_value("Priya Raman").run()
    assert any(b.key == "mod_reopen" for b in again.button)
    again.button(key="mod_reopen").click().run()
    assert any(b.key == "mod_complete" for b in fresh().selectbox(key="mod_evaluator").set_value("Priya Raman").run().button)


def test_a_score_entered_on_the_score_page_survives_a_restart():
    from app.panel import score_label
    at = fresh(SCORE_PAGE)
    at.selectbox(key="scoring_as").set_value("Helen Marsh").run()
    grid = at.data_editor[0].value
    row = int(grid.index[(grid["bidder"] == "Apex Care Group Ltd") & (grid["criterion"] == "Q1")][0])
    weak = next(o for o in [score_label(40.0, _rubric())])
    at.session_state["score_editor"] = {"edited_rows": {row: {"score": weak,
                                                              "rationale": "Generic to the group; no district plan"}},
                                        "added_rows": [], "deleted_rows": []}
    at.run()
    ok(at)
    ws = Workspace.open(default_workspace_path(TENDER_ID))
    saved = ws.scores(evaluator="Helen Marsh").set_index(["bidder", "criterion"]).loc[("Apex Care Group Ltd", "Q1")]
    assert saved["score"] == 40 and saved["rationale"] == "Generic to the group; no district plan"
    assert ws.audit_log().iloc[-1]["actor"] == "Helen Marsh"

    restarted = fresh(SCORE_PAGE)  # a new session: the score comes back from the workspace
    restarted.selectbox(key="scoring_as").set_value("Helen Marsh").run()
    shown = restarted.data_editor[0].value
    assert shown.loc[row, "score"] == weak
    assert shown.loc[row, "rationale"] == "Generic to the group; no district plan"
    # and the whole app (every page) evaluates with it
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/results.py").run()
    ok(app)


def _rubric():
    from evaluator import load_rubric
    return load_rubric(ROOT / "rubrics" / "home_care_north.yaml")


def test_an_incomplete_row_is_not_saved_and_the_saved_score_is_kept():
    at = fresh(SCORE_PAGE)
    at.selectbox(key="scoring_as").set_value("Helen Marsh").run()
    grid = at.data_editor[0].value
    row = int(grid.index[(grid["bidder"] == "Apex Care Group Ltd") & (grid["criterion"] == "Q1")][0])
    at.session_state["score_editor"] = {"edited_rows": {row: {"rationale": ""}}, "added_rows": [], "deleted_rows": []}
    at.run()
    ok(at)
    assert any("rationale" in unescape(w.value) for w in at.warning)  # told, in place
    ws = Workspace.open(default_workspace_path(TENDER_ID))
    kept = ws.scores(evaluator="Helen Marsh").set_index(["bidder", "criterion"]).loc[("Apex Care Group Ltd", "Q1")]
    assert kept["score"] == 80 and kept["rationale"].startswith("Well-resourced")
    assert ws.verify().intact


def test_two_sessions_do_not_overwrite_each_other():
    a = fresh(SCORE_PAGE)
    b = fresh(SCORE_PAGE)  # both read the scores before either saves
    a.selectbox(key="scoring_as").set_value("Helen Marsh").run()
    b.selectbox(key="scoring_as").set_value("David Okafor").run()
    from app.panel import score_label
    grid = a.data_editor[0].value
    q1 = int(grid.index[(grid["bidder"] == "Apex Care Group Ltd") & (grid["criterion"] == "Q1")][0])
    svq = int(grid.index[(grid["bidder"] == "Apex Care Group Ltd") & (grid["criterion"] == "SVQ")][0])
    a.session_state["score_editor"] = {"edited_rows": {q1: {"score": score_label(40.0, _rubric()),
                                                            "rationale": "Helen's revised reading"}},
                                       "added_rows": [], "deleted_rows": []}
    a.run()
    b.session_state["score_editor"] = {"edited_rows": {svq: {"rationale": "David's revised rationale"}},
                                       "added_rows": [], "deleted_rows": []}
    b.run()
    ok(a), ok(b)
    ws = Workspace.open(default_workspace_path(TENDER_ID))
    s = ws.scores().set_index(["bidder", "criterion", "evaluator"])
    assert s.loc[("Apex Care Group Ltd", "Q1", "Helen Marsh"), "rationale"] == "Helen's revised reading"
    assert s.loc[("Apex Care Group Ltd", "SVQ", "David Okafor"), "rationale"] == "David's revised rationale"
    assert ws.verify().intact


def test_the_page_is_in_the_app_navigation():
    at = AppTest.from_file(APP, default_timeout=60).run()
    ok(at)
    at.switch_page("app_pages/moderation.py").run()
    ok(at)
    assert any(t.value == "Moderation" for t in at.title)


def test_an_unwritable_workspace_home_leaves_the_app_working_and_says_why(tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the workspace folder should be")
    monkeypatch.setenv("SOCIAL_VALUE_HOME", str(blocker))
    at = fresh()
    assert any("browser session only" in unescape(w.value) for w in at.warning)
    at.selectbox(key="mod_evaluator").set_value("Helen Marsh").run()
    at.button(key="mod_complete").click().run()
    ok(at)
    assert any("scoring complete" in unescape(s.value) for s in at.success)
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/results.py").run()
    ok(app)
