"""The Moderation page and the app's workspace, driven by AppTest in the demonstration (a persona picked, as
the sidebar's picker does): independent scoring until submitted, side-by-side with SV205, a consensus with a
mandatory rationale recorded by the lead, Kendall's W; every score survives a fresh run of the app (a browser
refresh or a server restart) because it lives in the workspace."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from evaluator.panel import EVALUATOR, LEAD, demonstration
from evaluator.workspace import Workspace, default_workspace_path
from tests.apptest import APP, ok, table, unescape
from tests.conftest import ROOT

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

PAGE = str(ROOT / "app_pages" / "moderation.py")
SCORE_PAGE = str(ROOT / "app_pages" / "score.py")
TENDER_ID = "HC-2026-014"
FAR_APART = "Evaluators far apart (SV205)"  # the panel table's flag column: words first, the code second


LEAD_PERSONA = ("Procurement lead", LEAD)  # the demonstration's lead persona (app.access)


def fresh(path: str = PAGE, persona: tuple = LEAD_PERSONA):
    """A new AppTest: a new session with nothing in memory, as after a refresh or a server restart, as the
    demonstration persona `persona` (user, role)."""
    at = AppTest.from_file(path, default_timeout=60)
    at.session_state["sv_persona"] = persona
    at.run()
    ok(at)
    return at


def evaluator(name: str, path: str = PAGE, declared: bool = True):
    """A fresh session as the evaluator persona `name` (who has declared no conflict, when `declared`)."""
    if declared:
        if not default_workspace_path(TENDER_ID).exists():
            fresh()  # the sample's workspace is made on first use
        ws = Workspace.open(default_workspace_path(TENDER_ID))
        if ws.declaration(name) is None:
            ws.declare(demonstration(name, EVALUATOR), False)
    return fresh(path, (name, EVALUATOR))


def submit(name: str) -> None:
    """`name` submits their scoring on the Score page."""
    at = evaluator(name, SCORE_PAGE)
    next(b for b in at.button if b.label == "Submit my scoring").click().run()
    ok(at)
    assert not at.error, [unescape(e.value) for e in at.error]


def test_the_default_workspace_is_made_outside_the_repository_with_no_set_up():
    fresh()
    path = default_workspace_path(TENDER_ID)
    assert path.is_file()
    assert Path(os.environ["SOCIAL_VALUE_HOME"]) in path.parents and ROOT not in path.parents
    ws = Workspace.open(path)
    assert ws.verify().intact and len(ws.scores()) == len(pd.read_csv(ROOT / "sample_bids/home_care_north/scores.csv"))


def test_an_evaluator_sees_only_their_own_scores_until_submitted():
    at = evaluator("Helen Marsh")
    mine = table(at, {"Bid", "Criterion", "Score", "Rationale"})
    assert len(mine) == 12
    page_text = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    assert "David Okafor" not in page_text and "Priya Raman" not in page_text
    assert "MODERATED" not in page_text and "Panel agreed" not in page_text
    assert any("hidden until you submit" in unescape(i.value) for i in at.info)  # the page says why
    assert not any(b.label == "Record consensus" for b in at.button)
    submit("Helen Marsh")
    at = evaluator("Helen Marsh")
    panel = table(at, {"Bid", "Criterion", FAR_APART, "Status"})
    assert {"David Okafor", "Helen Marsh", "Priya Raman"} <= set(panel.columns)
    assert not [c for c in panel.columns if "_" in c]  # spread steps, evaluators: headers in words
    assert {"Evaluators", "Lowest score", "Scale steps apart", "Consensus score", "Consensus rationale"} <= set(
        panel.columns)
    assert any("Evaluators far apart (SV205), more than two scale steps: 1 cell(s)" in unescape(c.value)
               for c in at.caption)
    flagged = panel[panel[FAR_APART] == "yes"]
    assert list(zip(flagged["Bid"], flagged["Criterion"])) == [("Carewell Services Ltd", "Q1")]
    agreed = "How far the panel agreed (Kendall's W: 0 none, 1 complete)"  # plain words first, the name second
    agree = table(at, {"Criterion", agreed, "Reading"})
    assert set(agree["Criterion"]) == {"Q1", "SVQ"} and agree[agreed].map(float).between(0, 1).all()
    assert agree[agreed].str.fullmatch(r"\d\.\d\d").all()  # two decimals, as every figure on the page
    p_value = agree["Chance of this much agreement by luck (p-value)"]
    assert p_value.str.fullmatch(r"\d\.\d\d|below 0\.01").all(), p_value.tolist()
    assert not [c for c in agree.columns if "_" in c or c in ("W", "df")]  # no engine names as headers
    assert not any(b.label == "Record consensus" for b in at.button)  # the consensus is the lead's
    # another evaluator who has not submitted still sees only their own
    assert "Helen Marsh" not in " ".join(df.value.to_csv() for df in evaluator("David Okafor").dataframe)


def _submit(at, cell, label_start: str, rationale: str):
    at.selectbox(key="mod_cell").set_value(cell).run()
    score = at.selectbox(key="mod_score")
    score.set_value(next(o for o in score.options if o.startswith(label_start)))
    at.text_area(key="mod_rationale").set_value(rationale)
    next(b for b in at.button if b.label == "Record consensus").click().run()
    ok(at)


def test_consensus_needs_a_rationale_then_is_saved_beside_the_originals_and_survives_a_restart():
    at = fresh()  # the lead
    cell = ("Easton Homecare Partnership", "SVQ")
    _submit(at, cell, "60", "   ")
    assert any("rationale" in unescape(e.value) for e in at.error)
    ws = Workspace.open(default_workspace_path(TENDER_ID))
    assert ws.scores(evaluator="MODERATED").query("bidder == @cell[0] and criterion == 'SVQ'").empty

    _submit(at, cell, "60", "Panel agreed Satisfactory: relevant partners, carbon plan still a model")
    assert any("Saved" in unescape(s.value) and "audit entry" in unescape(s.value) for s in at.success)
    saved = ws.scores(evaluator="MODERATED").set_index(["bidder", "criterion"]).loc[cell]
    assert saved["score"] == 60 and saved["rationale"].startswith("Panel agreed")
    assert ws.audit_log().iloc[-1]["actor"] == "Procurement lead (demonstration persona)"  # who recorded it
    assert len(ws.scores().query("bidder == @cell[0] and criterion == 'SVQ'")) == 4  # three originals kept

    restarted = fresh()  # a new session: nothing in memory
    panel = table(restarted, {"Bid", "Criterion", "Consensus score", "Status"})
    row = panel[(panel["Bid"] == cell[0]) & (panel["Criterion"] == "SVQ")].iloc[0]
    assert row["Consensus score"] == "60" and row["Status"] == "consensus recorded"
    assert ws.verify().intact


def test_a_submission_survives_a_restart_and_only_the_lead_reopens_it():
    submit("Priya Raman")
    again = evaluator("Priya Raman", SCORE_PAGE)
    assert not again.data_editor and not any(b.label.startswith("Reopen") for b in again.button)
    lead = fresh()
    lead.selectbox(key="mod_reopen_who").set_value("Priya Raman").run()
    lead.button(key="mod_reopen").click().run()
    ok(lead)
    assert evaluator("Priya Raman", SCORE_PAGE).data_editor  # hers to change again
    log = Workspace.open(default_workspace_path(TENDER_ID)).audit_log()
    assert log[log["action"] == "reopen"]["actor"].tolist() == ["Procurement lead (demonstration persona)"]


def test_a_score_entered_on_the_score_page_survives_a_restart():
    from app.panel import score_label
    at = evaluator("Helen Marsh", SCORE_PAGE)
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
    assert ws.audit_log().iloc[-1]["actor"] == "Helen Marsh (demonstration persona)"

    restarted = evaluator("Helen Marsh", SCORE_PAGE)  # a new session: the score comes back from the workspace
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
    at = evaluator("Helen Marsh", SCORE_PAGE)
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
    a = evaluator("Helen Marsh", SCORE_PAGE)
    b = evaluator("David Okafor", SCORE_PAGE)  # both read the scores before either saves
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
    at = fresh(persona=("Helen Marsh", EVALUATOR))
    assert any("browser session only" in unescape(w.value) for w in at.warning)
    score = fresh(SCORE_PAGE, ("Helen Marsh", EVALUATOR))
    score.radio(key="coi_choice").set_value("I have no conflict of interest")
    next(b for b in score.button if b.label == "Record my declaration").click().run()
    ok(score)
    next(b for b in score.button if b.label == "Submit my scoring").click().run()
    ok(score)
    assert any("your scoring is submitted" in unescape(s.value) for s in score.success)
    assert "David Okafor" in table(score, {"Bid", FAR_APART}).columns
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/results.py").run()
    ok(app)
