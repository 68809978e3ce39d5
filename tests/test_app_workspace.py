"""The app and its workspaces, driven by AppTest: independent scoring on the Score page (an evaluator sees
only their own scores until they mark their scoring complete), an uploaded tender saved in its own
workspace and back after a restart with its scores, a workspace made by the CLI opened by path, and bad
paths or a tampered workspace refused with one line while the tender in use stays."""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluator import evaluate, load_bids, load_rubric
from evaluator.panel import EVALUATOR
from evaluator.workspace import Workspace, default_workspace_path
from tests.apptest import APP, click, ok, table, unescape, upload, load_uploaded
from tests.conftest import ROOT, tender_paths

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

SCORE_PAGE = str(ROOT / "app_pages" / "score.py")
HOME_ID = "HC-2026-014"
SCHOOLS_ID = "FM-2026-031"
# a rationale only David Okafor wrote (Northtown, Q1): Helen must not see it before she has finished
DAVIDS_WORDS = "Strong local model with walking rounds"


def fresh(path: str = APP, page: str | None = None, persona: tuple | None = None):
    """A new AppTest: a new session with nothing in memory, as after a refresh or a server restart; as the
    demonstration persona (user, role) when given (else the demonstration's lead)."""
    at = AppTest.from_file(path, default_timeout=60)
    if persona:
        at.session_state["sv_persona"] = persona
    at.run()
    ok(at)
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
        ok(at)
    return at


def everything_shown(at) -> str:
    """All text a user can read on the page: tables (and the score grid), messages, captions, text."""
    parts = [df.value.to_csv() for df in at.dataframe]
    parts += [e.value.to_csv() if hasattr(e.value, "to_csv") else str(e.value) for e in at.get("arrow_data_frame")]
    for kind in ("markdown", "caption", "text", "warning", "success", "info", "error", "metric"):
        parts += [unescape(str(getattr(e, "value", ""))) for e in getattr(at, kind)]
    return "\n".join(parts)


def as_evaluator(name: str, path: str = SCORE_PAGE, page: str | None = None):
    """A fresh session as the evaluator persona `name`, who has declared no conflict of interest."""
    at = fresh(path, page, (name, EVALUATOR))
    if any(r.key == "coi_choice" for r in at.radio):
        at.radio(key="coi_choice").set_value("I have no conflict of interest")
        next(b for b in at.button if b.label == "Record my declaration").click().run()
        ok(at)
    return at


def tender_text(at) -> str:
    return " ".join(t.value for t in at.sidebar.text)


def seed(at, edits: dict) -> None:
    at.session_state["score_editor"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}


def grid_row(at, bidder: str, criterion: str) -> int:
    grid = at.data_editor[0].value
    return int(grid.index[(grid["bidder"] == bidder) & (grid["criterion"] == criterion)][0])


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluator", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ})


def cli_workspace(tmp_path: Path, name: str = "schools_fm") -> Path:
    rubric, bids, scores = tender_paths(name)
    db = tmp_path / f"{name}.sqlite"
    done = cli("workspace", "init", "--db", str(db), "--rubric", str(rubric), "--bids", str(bids), "--scores", str(scores))
    assert done.returncode == 0, done.stderr
    return db


# ------------------------------------------------------------------------------ independent scoring

def test_evaluator_sees_only_their_own_scores_until_they_submit():
    at = as_evaluator("Helen Marsh")
    assert not any(s.label == "I am" for s in at.selectbox)  # who scores is who is signed in, not a drop-down
    grid = at.data_editor[0].value
    assert len(grid) == 12 and not {"panel scores", "lowest", "highest", "median"} & set(grid.columns)
    shown = everything_shown(at)
    assert "Well-resourced" in shown  # her own rationale is there
    for hidden in (DAVIDS_WORDS, "Panel agreed", "scale steps apart", "evaluator-disagreement"):
        assert hidden not in shown, hidden
    assert not any({"David Okafor", "Priya Raman", "lowest", "highest", "moderated"} & set(df.value.columns)
                   for df in at.dataframe)

    click(at, "Submit my scoring").run()
    ok(at)
    far_apart = "Evaluators far apart (SV205)"
    panel = table(at, {"Bid", "Criterion", far_apart, "Consensus score"})
    assert {"David Okafor", "Helen Marsh", "Priya Raman"} <= set(panel.columns)
    flagged = panel[panel[far_apart] == "yes"]
    assert list(zip(flagged["Bid"], flagged["Criterion"])) == [("Carewell Services Ltd", "Q1")]
    northtown = panel[(panel["Bid"] == "Northtown Community Care CIC") & (panel["Criterion"] == "Q1")].iloc[0]
    assert (northtown["David Okafor"], northtown["Priya Raman"], northtown["Consensus score"]) == ("80", "100", "80")
    # one submission everywhere: the workspace (what `workspace complete` and Moderation use) has it
    ws = Workspace.open(default_workspace_path(HOME_ID))
    assert ws.evaluators().set_index("evaluator").loc["Helen Marsh", "complete"]
    assert ws.audit_log().iloc[-1]["actor"] == "Helen Marsh (demonstration persona)"

    # David has not submitted: in another session he still sees only his own
    other = as_evaluator("David Okafor")
    assert "Well-resourced" not in everything_shown(other)
    # submitted from the command line (a workspace without users: as before), he sees the panel on his next run
    assert cli("workspace", "complete", "--db", str(ws.path), "--evaluator", "David Okafor").returncode == 0
    other.run()
    ok(other)
    assert "Helen Marsh" in table(other, {"Bid", far_apart}).columns


def test_an_evaluator_scores_alone_and_sees_their_own_flags():
    from app.panel import score_label
    rubric = load_rubric(tender_paths("home_care_north")[0])
    at = as_evaluator("Helen Marsh")
    grid = at.data_editor[0].value
    q1 = grid_row(at, "Apex Care Group Ltd", "Q1")
    svq = grid_row(at, "Apex Care Group Ltd", "SVQ")
    seed(at, {q1: {"score": score_label(100.0, rubric), "rationale": None},
              svq: {"score": score_label(20.0, rubric), "rationale": "Thin: no local partners named"}})
    at.run()
    ok(at)
    warnings = "\n".join(unescape(w.value) for w in at.warning)
    assert re.search(r"Apex Care Group Ltd / Q1 / Helen Marsh\), field 'rationale'", warnings), warnings
    flags = table(at, {"Bidder", "Criterion", "Flag", "Code"})
    assert set(flags["Code"]) <= {"SV203", "SV206", "SV207"} and "SV207" in set(flags["Code"])
    assert "scale steps apart" not in everything_shown(at) and DAVIDS_WORDS not in everything_shown(at)
    ws = Workspace.open(default_workspace_path(HOME_ID))
    saved = ws.scores(evaluator="Helen Marsh").set_index(["bidder", "criterion"])
    assert saved.loc[("Apex Care Group Ltd", "SVQ"), "score"] == 20.0  # the complete row is saved
    assert saved.loc[("Apex Care Group Ltd", "Q1"), "score"] == 80.0  # the one without a rationale is not
    assert [d.proto.label for d in at.get("download_button")] == ["Download my scores (scores.csv)"]


# ------------------------------------------------------------------------------ uploaded tenders

def _upload_schools(at, with_broken: bool = True):
    rubric, bids, scores = tender_paths("schools_fm")
    files = [p for p in sorted(bids.iterdir()) if p.suffix in (".yaml", ".json")]
    extra = [("broken.yaml", b"bidder: [unclosed\nprice: 1\n", "text/yaml")] if with_broken else []
    upload(at, "up_rubric", rubric)
    upload(at, "up_bids", files + extra)
    upload(at, "up_scores", scores)
    load_uploaded(at)
    ok(at)
    return files


def test_an_uploaded_tender_and_its_scores_come_back_after_a_restart():
    from app.panel import score_label
    at = fresh()
    files = _upload_schools(at)
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    made = sorted(home.glob(f"{SCHOOLS_ID}-*.sqlite"))
    assert len(made) == 1 and re.fullmatch(rf"{SCHOOLS_ID}-[0-9a-f]{{12}}\.sqlite", made[0].name)
    ws = Workspace.open(made[0])
    held = ws.files().set_index("path")
    # the files that loaded, each with its SHA-256; the broken one is not part of the evaluation
    for p in files:
        assert held.loc[f"bids/{p.name}", "sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert "bids/broken.yaml" not in held.index
    assert held.loc["rubric/schools_fm.yaml", "sha256"] == hashlib.sha256(tender_paths("schools_fm")[0].read_bytes()).hexdigest()
    assert len(ws.scores()) == len(pd.read_csv(tender_paths("schools_fm")[2])) and ws.verify().intact
    assert any("Saved in the workspace" in unescape(s.value) for s in at.success)

    who = sorted(ws.evaluators()["evaluator"])[0]
    at = as_evaluator(who, APP, "score")
    bidder = at.data_editor[0].value["bidder"].iat[0]
    criterion = at.data_editor[0].value["criterion"].iat[0]
    rubric = load_rubric(tender_paths("schools_fm")[0])
    seed(at, {grid_row(at, bidder, criterion): {"score": score_label(rubric.spec.scale[1], rubric),
                                                 "rationale": "Re-read after the site visit"}})
    at.run()
    ok(at)

    # a new session after a server restart: the uploaded tender is open again
    restarted = fresh(persona=(who, EVALUATOR))
    assert SCHOOLS_ID in tender_text(restarted)
    assert {m.label: m.value for m in restarted.metric}["Bids loaded"] == str(len(files))
    restarted.switch_page("app_pages/score.py").run()
    shown = restarted.data_editor[0].value
    row = shown[(shown["bidder"] == bidder) & (shown["criterion"] == criterion)].iloc[0]
    assert row["score"] == score_label(rubric.spec.scale[1], rubric) and row["rationale"] == "Re-read after the site visit"
    # and every page evaluates with it (the lead's Results): the engine fed the workspace's scores is the reference
    restarted = fresh(page="results")
    ok(restarted)
    r = load_rubric(tender_paths("schools_fm")[0])
    b = load_bids(tender_paths("schools_fm")[1], r).require_valid()
    expected = evaluate(r, b, ws.scores()).results.set_index("bidder")["total"]
    shown = table(restarted, {"Bidder", "Total"}).set_index("Bidder")["Total"]
    for name, total in expected.items():
        assert shown.loc[name] == f"{total:.2f}"

    # uploading the same files again reopens the same workspace, keeping the saved score
    again = fresh()
    _upload_schools(again, with_broken=False)
    assert sorted(home.glob(f"{SCHOOLS_ID}-*.sqlite")) == made
    assert Workspace.open(made[0]).scores(evaluator=who).query("bidder == @bidder and criterion == @criterion")[
        "rationale"].iat[0] == "Re-read after the site visit"


def test_an_upload_whose_bids_do_not_all_load_is_used_but_not_saved_and_the_page_says_why(tmp_path):
    from bench.bench_bulk import generate
    generate(tmp_path, n_bids=5, n_rows=40, seed=2)
    lines = (tmp_path / "commitments.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[5] = '"lots"'  # a quantity that is not a number: that bid is set aside, the others load
    lines[1] = ",".join(cells)
    (tmp_path / "commitments.csv").write_text("\n".join(lines) + "\n")
    at = fresh()
    upload(at, "up_bids", [tmp_path / "bids.csv", tmp_path / "commitments.csv"])
    load_uploaded(at)
    ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Bids loaded"], metrics["Bids set aside"]) == ("4", "1")  # the good bids are used
    warnings = [unescape(w.value) for w in at.warning]
    assert any("field 'quantity', value 'lots'" in w for w in warnings), warnings
    assert any("kept for this browser session only (a workspace holds a tender only when all of its bids load"
               in w for w in warnings), warnings
    assert not any("sv-upload-ws" in w for w in warnings)  # no temporary path in a message
    assert not list(Path(os.environ["SOCIAL_VALUE_HOME"]).glob(f"{HOME_ID}-*.sqlite"))


def test_saved_workspaces_are_listed_and_reopen():
    at = fresh()
    _upload_schools(at, with_broken=False)
    at.selectbox(key="sample_choice").set_value("home_care_north")
    click(at, "Open this sample").run()
    assert HOME_ID in tender_text(at)
    listed = table(at, {"Tender", "Title", "Workspace", "Bids", "Scores", "Last change"})
    row = listed[listed["Tender"] == SCHOOLS_ID].iloc[0]
    assert row["Bids"] == "5" and row["Scores"] == f"{len(pd.read_csv(tender_paths('schools_fm')[2])):,}"
    assert row["Workspace"].startswith(f"{SCHOOLS_ID}-") and "/" not in row["Workspace"]  # by name, not its place
    assert not any(".sqlite" in c or "/" in c for c in listed.astype(str).to_numpy().ravel())
    assert row["Last change"][:1].isdigit() and "T" not in row["Last change"]  # "7 Dec 2026 15:28", not ISO
    choice = at.selectbox(key="ws_saved")
    assert not any(".sqlite" in choice.format_func(o) for o in choice.options)
    choice.set_value(next(o for o in choice.options if Path(o).name.startswith(SCHOOLS_ID)))
    click(at, "Reopen this workspace").run()
    ok(at)
    assert SCHOOLS_ID in tender_text(at)
    assert SCHOOLS_ID in tender_text(fresh())  # remembered for the next start


def test_a_big_tender_is_not_reopened_for_every_new_visitor(monkeypatch):
    """Issue 14 hole 11: the last evaluation opened is what every new session starts on. A big tender
    (over BIG_BIDS bids) is not made that: otherwise one lead's bulk upload is loaded and evaluated by every
    visitor after it. It stays in the saved workspaces, to reopen by choice."""
    from app import state
    monkeypatch.setattr(state, "BIG_BIDS", 5)  # the 5-bid schools tender is not big, the 6-bid one is
    at = fresh()
    _upload_schools(at, with_broken=False)
    assert SCHOOLS_ID in tender_text(fresh())  # 5 bids: remembered as before
    at.selectbox(key="sample_choice").set_value("home_care_north")
    click(at, "Open this sample").run()
    assert HOME_ID in tender_text(at)
    assert SCHOOLS_ID in tender_text(fresh())  # 6 bids: "big", so new visitors still start on the schools one
    listed = table(at, {"Tender", "Title", "Bids", "Scores", "Last change"})
    assert SCHOOLS_ID in set(listed["Tender"])


# ------------------------------------------------------------------------------ opening by path

def test_a_workspace_made_by_the_cli_opens_by_path_with_its_scores(tmp_path):
    db = cli_workspace(tmp_path)
    bidder = Workspace.open(db).bidders()[0]
    done = cli("workspace", "score", "--db", str(db), "--bidder", bidder, "--criterion", "Q1",
               "--evaluator", "MODERATED", "--score", "20", "--rationale", "Panel: no method statement")
    assert done.returncode == 0, done.stderr
    at = fresh()
    at.text_input(key="ws_path").set_value(str(db))
    click(at, "Open the workspace file").run()
    ok(at)
    assert SCHOOLS_ID in tender_text(at)
    assert any(f"Scores are saved in the workspace {db.stem} on this server" in unescape(c.value) for c in at.caption)
    assert not any(str(tmp_path) in unescape(c.value) for c in at.caption)  # never the server's folders
    ws = Workspace.open(db)
    expected = ws.evaluate().results.set_index("bidder")["total"]
    at.switch_page("app_pages/results.py").run()
    ok(at)
    shown = table(at, {"Bidder", "Total"}).set_index("Bidder")["Total"]
    for name, total in expected.items():
        assert shown.loc[name] == f"{total:.2f}"
    # the files come from the workspace, not from any folder: the CLI's source files are not needed
    restarted = fresh()
    assert SCHOOLS_ID in tender_text(restarted)


def test_bad_paths_and_a_tampered_workspace_change_nothing(tmp_path):
    at = fresh()
    before = tender_text(at)
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("this is not a database")
    db = cli_workspace(tmp_path)
    con = sqlite3.connect(db)
    con.execute("UPDATE scores SET score = 100 WHERE rowid = (SELECT min(rowid) FROM scores)")
    con.commit()
    con.close()
    for path, expect in ((tmp_path / "missing.sqlite", "workspace not found"),
                         (tmp_path, "is a folder"),
                         (not_a_db, "is not a workspace"),
                         (db, "audit log does not verify")):
        at.text_input(key="ws_path").set_value(str(path))
        click(at, "Open the workspace file").run()
        ok(at)
        errors = [unescape(e.value) for e in at.error]
        assert len(errors) == 1 and "\n" not in errors[0], errors
        assert path.name in errors[0] and expect in errors[0] and errors[0].endswith("nothing was changed"), errors
        assert str(tmp_path) not in errors[0] and "`" not in errors[0]  # by its name; no command line
        assert tender_text(at) == before
    assert HOME_ID in tender_text(fresh())  # nothing bad was remembered


def test_a_remembered_workspace_tampered_with_since_opens_the_sample_and_says_why(tmp_path):
    db = cli_workspace(tmp_path)
    at = fresh()
    at.text_input(key="ws_path").set_value(str(db))
    click(at, "Open the workspace file").run()
    assert SCHOOLS_ID in tender_text(at)
    con = sqlite3.connect(db)
    con.execute("UPDATE scores SET rationale = 'changed behind the tool''s back' WHERE rowid = 1")
    con.commit()
    con.close()
    restarted = fresh()
    assert HOME_ID in tender_text(restarted)
    warnings = [unescape(w.value) for w in restarted.warning]
    assert any("could not be reopened" in w and "audit log does not verify" in w for w in warnings), warnings
