"""The Score and Moderation pages as a panel uses them (DESIGN.md 10), driven by AppTest per role: a server
started on a workspace with users (`--workspace F`), each person signed in with the real sign-in form.

An evaluator declares any conflict of interest before the bids are shown; a declared conflict stops scoring
until the lead records a mitigation; an evaluator sees only their own scores until they submit, cannot submit
with a gap (the workspace's line: how many, and the first), has a read-only grid once submitted and no Reopen;
the lead sees who has submitted, records the consensus, mitigates and reopens; an observer reads. Every action
is in the audit log under the signed-in name, and a refusal is one line where the user acted, the typed row kept.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evaluator.panel import EVALUATOR, LEAD, OBSERVER, Identity
from evaluator.workspace import Workspace
from tests.apptest import ok, unescape
from tests.conftest import ROOT, tender_paths

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

SCORE = str(ROOT / "app_pages" / "score.py")
MODERATION = str(ROOT / "app_pages" / "moderation.py")
PASSWORD = "correct horse battery staple"
LEAD_NAME, ANN, BEN, OLU = "Lena Lead", "Ann Evaluator", "Ben Evaluator", "Olu Observer"
BENS_WORDS = "Ben's own reading: strong patch model"   # a rationale only Ben wrote
APEX, NORTHTOWN = "Apex Care Group Ltd", "Northtown Community Care CIC"
FAR_APART = "Evaluators far apart (SV205)"  # the panel table's flag column: words first, the code second


@pytest.fixture
def panel(tmp_path, monkeypatch) -> Path:
    """The home-care sample as a panel's workspace (no scores yet): a lead, two evaluators and an observer;
    the app started with `-- --workspace F`."""
    rubric, bids, _ = tender_paths("home_care_north")
    db = tmp_path / "panel.sqlite"
    ws = Workspace.create(db, rubric, bids)
    for name, role in ((LEAD_NAME, LEAD), (ANN, EVALUATOR), (BEN, EVALUATOR), (OLU, OBSERVER)):
        ws.add_user(name, role, PASSWORD)
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py", "--workspace", str(db)])
    return db


def who(name: str, role: str) -> Identity:
    return Identity(name, role)


def signed_in(page: str, user: str) -> "AppTest":
    """A new session on `page`, signed in as `user` through the sign-in form."""
    at = (AppTest.from_function(page, default_timeout=60) if callable(page) else
          AppTest.from_file(page, default_timeout=60)).run()
    ok(at)
    next(t for t in at.text_input if t.label == "User name").set_value(user)
    next(t for t in at.text_input if t.label == "Password").set_value(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    ok(at)
    assert not any(t.label == "Password" for t in at.text_input), [unescape(e.value) for e in at.error]
    return at


def shown(at) -> str:
    parts = [df.value.to_csv() for df in at.dataframe] + [df.value.to_csv() for df in at.data_editor]
    for kind in ("markdown", "caption", "text", "warning", "success", "info", "error", "subheader", "title"):
        parts += [unescape(str(getattr(e, "value", ""))) for e in getattr(at, kind)]
    parts += [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(parts)


def errors(at) -> list[str]:
    return [unescape(e.value) for e in at.error]


def declare(at, conflict: bool = False, details: str = "") -> None:
    at.radio(key="coi_choice").set_value("I declare a conflict" if conflict else "I have no conflict of interest")
    at.text_area(key="coi_details").set_value(details)
    next(b for b in at.button if b.label == "Record my declaration").click().run()
    ok(at)


def edit(at, bidder: str, criterion: str, score_label: str | None, rationale: str | None) -> None:
    grid = at.data_editor[0].value
    row = int(grid.index[(grid["bidder"] == bidder) & (grid["criterion"] == criterion)][0])
    at.session_state["score_editor"] = {"edited_rows": {row: {"score": score_label, "rationale": rationale}},
                                        "added_rows": [], "deleted_rows": []}
    at.run()
    ok(at)


def score_all(db: Path, user: str, skip: tuple = ()) -> int:
    """`user` declares no conflict and scores every cell (but `skip`) through the workspace, as themselves."""
    ws = Workspace.open(db)
    me = who(user, EVALUATOR)
    ws.declare(me, False)
    n = 0
    for bidder in ws.bidders():
        for c in ("Q1", "SVQ"):
            if (bidder, c) not in skip:
                ws.set_score(bidder, c, user, 60, f"{user} on {bidder} {c}", by=me)
                n += 1
    return n


def label(score: float) -> str:
    from app.panel import score_label
    from evaluator import load_rubric
    return score_label(score, load_rubric(tender_paths("home_care_north")[0]))


def actors(db: Path, action: str) -> list[str]:
    log = Workspace.open(db).audit_log()
    return log[log["action"] == action]["actor"].tolist()


# ------------------------------------------------------------------------------------------------ evaluator

def test_an_evaluator_declares_before_seeing_the_bids_then_scores_as_themselves(panel):
    at = signed_in(SCORE, ANN)
    assert not any(t.label == "I am" for t in at.selectbox)  # the drop-down of names is gone
    page = shown(at)
    assert "Declare any conflict of interest first" in page and "Procurement Act 2023" in page
    assert APEX not in page and NORTHTOWN not in page and not at.data_editor  # no bid before the declaration
    declare(at)
    assert Workspace.open(panel).declaration(ANN)["conflict"] is False
    assert len(at.data_editor[0].value) == 12 and at.data_editor[0].value["score"].isna().all()
    edit(at, APEX, "Q1", label(60), "Clear local plan, thin on contingency")
    saved = Workspace.open(panel).scores(evaluator=ANN)
    assert saved[["bidder", "criterion", "score"]].values.tolist() == [[APEX, "Q1", 60.0]]
    assert actors(panel, "declare") == [ANN] and actors(panel, "score")[-1] == ANN


def _scores_in_use():
    """What every page reads: app.state.get_scores(), for the person signed in."""
    import streamlit as st

    from app.access import require_identity
    from app.state import get_scores
    require_identity()
    st.dataframe(get_scores())


def test_the_scores_every_page_reads_are_what_the_workspace_lets_the_viewer_see(panel):
    score_all(panel, ANN)
    score_all(panel, BEN)
    Workspace.open(panel).set_score(APEX, "Q1", "MODERATED", 60, "Panel agreed", by=who(LEAD_NAME, LEAD))
    ann = signed_in(_scores_in_use, ANN)
    assert set(ann.dataframe[0].value["evaluator"]) == {ANN}  # not Ben's, nor the consensus, before she submits
    Workspace.open(panel).set_complete(ANN, True, by=who(ANN, EVALUATOR))
    ann.run()
    assert set(ann.dataframe[0].value["evaluator"]) == {ANN, BEN, "MODERATED"}
    for name in (LEAD_NAME, OLU):
        assert set(signed_in(_scores_in_use, name).dataframe[0].value["evaluator"]) == {ANN, BEN, "MODERATED"}


def test_a_declared_conflict_stops_scoring_until_the_lead_records_a_mitigation(panel):
    at = signed_in(SCORE, ANN)
    declare(at, conflict=True, details="My sister works at Apex Care Group")
    assert not at.data_editor
    line = [e for e in errors(at) if "conflict of interest" in e]
    assert len(line) == 1 and "lead records how it is mitigated" in line[0]

    lead = signed_in(MODERATION, LEAD_NAME)
    assert "My sister works at Apex Care Group" in shown(lead)
    lead.selectbox(key="mitigate_who").set_value(ANN)
    lead.text_area(key="mitigate_how").set_value("Does not score Apex; a second reader checks her Apex notes")
    next(b for b in lead.button if b.label == "Record the mitigation").click().run()
    ok(lead)
    assert Workspace.open(panel).declaration(ANN)["mitigation"].startswith("Does not score Apex")
    assert actors(panel, "mitigate") == [LEAD_NAME]
    at.run()
    ok(at)
    assert at.data_editor and not errors(at)  # she scores now


def test_an_evaluator_sees_only_their_own_scores_and_cannot_submit_with_a_gap(panel):
    score_all(panel, BEN, skip=((APEX, "SVQ"),))
    ws = Workspace.open(panel)
    ws.set_score(NORTHTOWN, "Q1", BEN, 80, BENS_WORDS, by=who(BEN, EVALUATOR))
    at = signed_in(SCORE, ANN)
    declare(at)
    edit(at, APEX, "Q1", label(40), "Generic to the group; no district plan")
    assert BEN not in shown(at) and BENS_WORDS not in shown(at)
    assert not any(b.label.startswith("Reopen") for b in at.button)
    next(b for b in at.button if b.label == "Submit my scoring").click().run()
    ok(at)
    refused = errors(at)
    assert len(refused) == 1 and "\n" not in refused[0], refused
    assert "11 score(s)" in refused[0] and "Apex Care Group Ltd" in refused[0] and "SVQ" in refused[0], refused
    assert not Workspace.open(panel).evaluators().set_index("evaluator")["complete"].get(ANN, False)
    kept = Workspace.open(panel).scores(evaluator=ANN)  # her work is kept, and still hers to change
    assert kept[["bidder", "criterion", "score"]].values.tolist() == [[APEX, "Q1", 40.0]] and at.data_editor

    mod = signed_in(MODERATION, ANN)  # the Moderation page says why there is nothing else to see
    assert BENS_WORDS not in shown(mod) and BEN not in shown(mod)
    assert any("hidden until you submit" in unescape(i.value) for i in mod.info)
    assert not any(b.label == "Record consensus" for b in mod.button)


def test_once_submitted_the_grid_is_read_only_and_only_the_lead_reopens_it(panel):
    score_all(panel, ANN, skip=((APEX, "Q1"),))
    score_all(panel, BEN)
    Workspace.open(panel).set_complete(BEN, True, by=who(BEN, EVALUATOR))
    at = signed_in(SCORE, ANN)
    edit(at, APEX, "Q1", label(80), "Evidenced continuity data")
    next(b for b in at.button if b.label == "Submit my scoring").click().run()
    ok(at)
    assert not errors(at) and not at.data_editor  # read-only now
    assert BEN in next(df.value for df in at.dataframe if FAR_APART in df.value.columns).columns  # the panel shows
    assert not any(b.label.startswith("Reopen") or b.label == "Submit my scoring" for b in at.button)
    assert actors(panel, "complete") == [BEN, ANN]

    lead = signed_in(SCORE, LEAD_NAME)
    status = next(df.value for df in lead.dataframe if "Panel member" in df.value.columns).set_index("Panel member")
    assert status.loc[ANN, "Submitted"] == "yes" and status.loc[OLU, "Role"] == OBSERVER
    lead.selectbox(key="score_reopen_who").set_value(ANN).run()
    lead.button(key="score_reopen").click().run()
    ok(lead)
    assert actors(panel, "reopen") == [LEAD_NAME]
    at.run()
    ok(at)
    assert at.data_editor  # hers to change again


def test_a_second_tab_cannot_change_a_submitted_score_and_the_typed_row_stays(panel):
    score_all(panel, ANN)
    first, second = signed_in(SCORE, ANN), signed_in(SCORE, ANN)
    next(b for b in first.button if b.label == "Submit my scoring").click().run()
    ok(first)
    before = Workspace.open(panel).scores(evaluator=ANN)
    edit(second, APEX, "Q1", label(100), "Changed in the other tab")
    refused = errors(second)
    assert len(refused) == 1 and "submitted" in refused[0], refused
    assert Workspace.open(panel).scores(evaluator=ANN)["rationale"].tolist() == before["rationale"].tolist()
    mine = next(df.value for df in second.dataframe if "Rationale" in df.value.columns)
    assert "Changed in the other tab" in set(mine["Rationale"])  # shown as typed, and said to be not saved
    assert any("not saved" in unescape(w.value) for w in second.warning)


# ------------------------------------------------------------------------------------------------ lead, observer

def test_the_lead_sees_who_has_submitted_and_records_the_consensus(panel):
    score_all(panel, ANN)
    score_all(panel, BEN)
    Workspace.open(panel).set_complete(ANN, True, by=who(ANN, EVALUATOR))
    lead = signed_in(MODERATION, LEAD_NAME)
    status = next(df.value for df in lead.dataframe if "Panel member" in df.value.columns).set_index("Panel member")
    assert (status.loc[ANN, "Submitted"], status.loc[BEN, "Submitted"]) == ("yes", "no")
    assert any(BEN in unescape(w.value) and "Not yet submitted" in unescape(w.value) for w in lead.warning)
    lead.selectbox(key="mod_cell").set_value((APEX, "SVQ")).run()
    # each panel member's score and rationale as a line (readable on a phone, where a table's right is off screen)
    lines = [unescape(m.value) for m in lead.markdown]
    assert f"{ANN}: 60. {ANN} on {APEX} SVQ" in "\n".join(lines), lines
    score = lead.selectbox(key="mod_score")
    score.set_value(next(o for o in score.options if o.startswith("60")))
    lead.text_area(key="mod_rationale").set_value("Panel agreed Satisfactory")
    next(b for b in lead.button if b.label == "Record consensus").click().run()
    ok(lead)
    assert any("Saved" in unescape(s.value) for s in lead.success)
    assert actors(panel, "consensus") == [LEAD_NAME]
    moderated = Workspace.open(panel).scores(evaluator="MODERATED")
    assert moderated[["bidder", "criterion", "score"]].values.tolist() == [[APEX, "SVQ", 60.0]]


def test_an_evaluator_once_submitted_reads_the_panel_but_records_no_consensus(panel):
    score_all(panel, ANN)
    score_all(panel, BEN)
    Workspace.open(panel).set_complete(ANN, True, by=who(ANN, EVALUATOR))
    mod = signed_in(MODERATION, ANN)
    assert BEN in next(df.value for df in mod.dataframe if FAR_APART in df.value.columns).columns
    assert not any(b.label == "Record consensus" for b in mod.button)
    assert not any(b.label.startswith("Reopen") for b in mod.button)


def test_an_observer_reads_and_changes_nothing(panel):
    score_all(panel, ANN)
    for page in (SCORE, MODERATION):
        at = signed_in(page, OLU)
        assert not at.data_editor and not [b for b in at.button if b.label != "Sign out"], [b.label for b in at.button]
        assert any(ANN in df.value.columns for df in at.dataframe)  # every score, read only
    log = Workspace.open(panel).audit_log()
    assert OLU not in set(log[log["action"] != "sign_in"]["actor"])  # nothing done as the observer


# ------------------------------------------------------------------------------------ what a reader sees (issue 19)

def offences(at, where: str) -> list[str]:
    """Every offence against tests/page_text.py's rules on the page AppTest drew, but a "section number" in a
    rationale's own words ("lowest accident rate (0.07)": what an evaluator typed is shown as typed)."""
    from tests.every_page import Visit, read_page
    visit = Visit("", "", where)
    read_page(at, visit)
    return [f"{where}: {element}: {o}" for element, o in visit.offences
            if not (o.startswith("spec section number: column 'Rationale"))]


def test_score_and_moderation_read_as_finished_work_for_every_role(panel):
    """No None or NaN, no snake_case header, no float past two decimals, no SV code as a label, no server path,
    command line or section number: for the lead, an evaluator before and after submitting, and an observer."""
    score_all(panel, BEN, skip=((APEX, "SVQ"),))
    found = []
    ann = signed_in(SCORE, ANN)
    declare(ann)
    edit(ann, APEX, "Q1", label(40), "Generic to the group; no district plan")
    found += offences(ann, "Score, Ann scoring")
    found += offences(signed_in(MODERATION, ANN), "Moderation, Ann scoring")
    score_all(panel, ANN)
    Workspace.open(panel).set_complete(ANN, True, by=who(ANN, EVALUATOR))
    found += offences(signed_in(SCORE, ANN), "Score, Ann submitted")
    for name in (LEAD_NAME, OLU):
        for page in (SCORE, MODERATION):
            at = signed_in(page, name)
            found += offences(at, f"{Path(page).stem}, {name}")
            text = shown(at)
            assert "panel.sqlite" not in text and str(panel.parent) not in text  # the workspace, not its path
            assert "n_evaluators" not in text and "spread_steps" not in text and "moderated_rationale" not in text
    assert not found, "\n".join(found)


def test_the_lead_reads_who_has_not_submitted_once(panel):
    score_all(panel, ANN)
    score_all(panel, BEN)
    for page in (SCORE, MODERATION):
        lead = signed_in(page, LEAD_NAME)
        said = [unescape(w.value) for w in lead.warning if "Not yet submitted" in unescape(w.value)]
        assert len(said) == 1 and ANN in said[0] and BEN in said[0], said
        submitted = next(df.value for df in lead.dataframe if "Panel member" in df.value.columns)
        assert set(submitted["Submitted at"]) == {""}  # nobody yet: empty, never None


def test_the_submission_time_reads_as_a_date(panel):
    import re
    score_all(panel, ANN)
    Workspace.open(panel).set_complete(ANN, True, by=who(ANN, EVALUATOR))
    lead = signed_in(MODERATION, LEAD_NAME)
    status = next(df.value for df in lead.dataframe if "Panel member" in df.value.columns).set_index("Panel member")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d", status.loc[ANN, "Submitted at"]), status


ONE = "One bid at a time"


def test_one_bid_at_a_time_puts_score_and_rationale_one_under_another_and_loses_nothing(panel):
    """On a phone the grid's right-hand columns are off screen: one bid at a time shows each question with its
    score and rationale full width; each is saved as entered, and moving between bids keeps what was typed."""
    at = signed_in(SCORE, ANN)
    declare(at)
    at.radio(key="score_mode").set_value(ONE).run()
    ok(at)
    assert not at.data_editor  # no grid: the questions one under another
    bid = at.selectbox(key=next(s.key for s in at.selectbox if s.label == "Bid"))
    assert bid.value == APEX and bid.format_func(APEX) == f"{APEX} (0 of 2 scored)"
    scores = [s for s in at.selectbox if s.label == "Score"]
    rationales = [t for t in at.text_area if t.label == "Rationale (required)"]
    assert len(scores) == 2 and len(rationales) == 2
    assert scores[0].options == [label(s) for s in (0, 20, 40, 60, 80, 100)]
    scores[0].set_value(label(60))
    rationales[0].set_value("Clear local plan, thin on contingency").run()
    ok(at)
    saved = Workspace.open(panel).scores(evaluator=ANN)
    assert saved[["bidder", "criterion", "score", "rationale"]].values.tolist() == [
        [APEX, "Q1", 60.0, "Clear local plan, thin on contingency"]]
    # a score typed without its rationale yet: saved as typed, said to be incomplete, and kept on the way back
    [s for s in at.selectbox if s.label == "Score"][1].set_value(label(20)).run()
    ok(at)
    assert any("rationale" in unescape(w.value) for w in at.warning)
    next(b for b in at.button if b.label == "Next bid").click().run()
    ok(at)
    assert at.selectbox(key=bid.key).value != APEX
    next(b for b in at.button if b.label == "Previous bid").click().run()
    ok(at)
    assert [s.value for s in at.selectbox if s.label == "Score"] == [label(60), label(20)]
    assert [t.value for t in at.text_area if t.label == "Rationale (required)"][0].startswith("Clear local plan")
    assert at.selectbox(key=bid.key).format_func(APEX) == f"{APEX} (1 of 2 scored)"
    # the grid shows the same scores
    at.radio(key="score_mode").set_value("All bids in one table").run()
    grid = at.data_editor[0].value.set_index(["bidder", "criterion"])
    assert grid.loc[(APEX, "Q1"), "score"] == label(60) and grid.loc[(APEX, "SVQ"), "score"] == label(20)


def test_the_grid_puts_the_score_and_rationale_next_to_the_pinned_bid_and_question(panel):
    import json
    at = signed_in(SCORE, ANN)
    declare(at)
    editor = at.data_editor[0]
    config = json.loads(editor.proto.columns)
    assert config["bidder"]["pinned"] is True and config["bidder"]["label"] == "Bid"
    assert list(editor.proto.column_order)[:4] == ["bidder", "criterion", "score", "rationale"]
    assert config["criterion"]["pinned"] is True  # two rows of one bid are told apart on a phone
    assert config["rationale"]["label"] == "Rationale (required)"
    assert not offences(at, "Score grid")


def test_a_tender_with_lots_reads_as_finished_work_on_score_and_moderation(tmp_path):
    """The lotted tender (criteria tree, own scales, pass/fail): the evaluator's grids and one bid at a time,
    the lead's Score and Moderation, each lot: no offence against the page rules."""
    from tests.test_app_lots import GARETH, opened
    from tests.test_workspace_lots import lotted_tender
    tender = lotted_tender(tmp_path / "tender")
    found = []
    at = opened(tender, "score", evaluator=GARETH)
    for lot in ("L1", "L2"):
        at.selectbox(key="score_lot").set_value(lot).run()
        found += offences(at, f"Score grids, {GARETH}, lot {lot}")
        at.radio(key="score_mode").set_value(ONE).run()
        ok(at)
        assert [s.options for s in at.selectbox if s.label == "Result"] == [["Pass", "Fail"]]  # the pass/fail question
        found += offences(at, f"Score one bid at a time, {GARETH}, lot {lot}")
        at.radio(key="score_mode").set_value("All bids in one table").run()
    lead = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90).run()  # the lead, the same tender
    lead.switch_page("app_pages/score.py").run()
    ok(lead)
    found += offences(lead, "Score, lead")
    lead.switch_page("app_pages/moderation.py").run()
    for lot in ("L1", "L2"):
        lead.selectbox(key="mod_lot").set_value(lot).run()
        ok(lead)
        found += offences(lead, f"Moderation, lead, lot {lot}")
    found = [f for f in found if "A real panel runs with" not in f]  # app/access.py's demonstration note
    assert not found, "\n".join(found)
