"""`workspace user add|list|remove|reset`, `workspace declare|mitigate` and the panel's rules from the command
line: on a workspace with users, `workspace score` and `complete` need `--user` and the password, and every refusal
is one line and exit 2. Passwords come from a prompt typed twice (getpass) or one line of standard input."""
from __future__ import annotations

import getpass
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from evaluator.cli import main
from evaluator.workspace import Workspace

from .conftest import ROOT, tender_paths

PY = sys.executable
RUBRIC, BIDS, SCORES = tender_paths("home_care_north")
APEX = "Apex Care Group Ltd"
LEAD_PW, HELEN_PW = "the lead's passphrase", "helen marsh passphrase"


def cli(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=120)


def one_line_refusal(out: subprocess.CompletedProcess, words: str) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in out.stderr, out.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A workspace with a lead and an evaluator (Helen Marsh, the sample's 12 scores), made once through the
    command line, with the module's own SOCIAL_VALUE_HOME (its key)."""
    home = tmp_path_factory.mktemp("home")
    db = tmp_path_factory.mktemp("ws") / "hc.sqlite"
    env = {"SOCIAL_VALUE_HOME": str(home)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIAL_VALUE_HOME", str(home))
        assert cli("workspace", "init", "--db", db, "--rubric", RUBRIC, "--bids", BIDS, "--scores", SCORES).returncode == 0
        out = cli("workspace", "user", "add", "--db", db, "--user", "lee", "--role", "lead", "--password-stdin",
                  stdin=LEAD_PW + "\n")
        assert out.returncode == 0 and "added lee (lead)" in out.stdout, out.stderr
        out = cli("workspace", "user", "add", "--db", db, "--user", "Helen Marsh", "--role", "evaluator",
                  "--password-stdin", stdin=HELEN_PW + "\n")
        assert out.returncode == 0, out.stderr
    return db, env


@pytest.fixture
def db(made, tmp_path, monkeypatch):
    """A copy of the made workspace for one test (same key, so it can be written)."""
    src, env = made
    home = tmp_path / "home"  # the same key, and a head record of this copy's own
    home.mkdir()
    shutil.copy(Path(env["SOCIAL_VALUE_HOME"]) / "secret.key", home / "secret.key")
    monkeypatch.setenv("SOCIAL_VALUE_HOME", str(home))
    copy = tmp_path / "hc.sqlite"
    con = sqlite3.connect(src)
    try:
        con.execute(f"VACUUM INTO '{copy}'")
    finally:
        con.close()
    return copy


def score(db, *extra, stdin=HELEN_PW + "\n", evaluator="Helen Marsh", criterion="SVQ", value="60"):
    return cli("workspace", "score", "--db", db, "--bidder", APEX, "--criterion", criterion, "--evaluator", evaluator,
               "--score", value, "--rationale", "Strong local supply chain", *extra, stdin=stdin)


def test_user_list_shows_the_panel_and_never_a_password_or_hash(db):
    out = cli("workspace", "user", "list", "--db", db)
    assert out.returncode == 0 and "lee" in out.stdout and "Helen Marsh" in out.stdout and "evaluator" in out.stdout
    assert LEAD_PW not in out.stdout and "argon2" not in out.stdout
    out = cli("workspace", "user", "list", "--db", db, "--json")
    assert "argon2" not in out.stdout and '"role":"lead"' in out.stdout.replace(" ", "")


def test_user_add_refuses_a_short_password_and_a_first_user_who_is_not_a_lead_in_one_line(db, tmp_path):
    out = cli("workspace", "user", "add", "--db", db, "--user", "eve", "--role", "evaluator", "--password-stdin",
              stdin="short\n")
    one_line_refusal(out, "at least 12 characters")
    assert "short" not in out.stderr.replace("too short", "")
    fresh = tmp_path / "fresh.sqlite"
    Workspace.create(fresh, RUBRIC, BIDS)
    out = cli("workspace", "user", "add", "--db", fresh, "--user", "eve", "--role", "evaluator", "--password-stdin",
              stdin="a long enough passphrase\n")
    one_line_refusal(out, "the first user of a workspace must be its procurement lead")
    one_line_refusal(cli("workspace", "user", "add", "--db", db, "--user", "x", "--role", "admin", "--password-stdin",
                         stdin="a long enough passphrase\n"), "is not a role")


def test_user_add_asks_for_the_password_twice(db, monkeypatch, capsys):
    typed = iter(["a long enough passphrase", "a long enough passphrase", "one passphrase here", "another one here!"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    assert main(["workspace", "user", "add", "--db", str(db), "--user", "eve", "--role", "evaluator"]) == 0
    assert Workspace.open(db).sign_in("eve", "a long enough passphrase").user == "eve"
    assert main(["workspace", "user", "add", "--db", str(db), "--user", "obs", "--role", "observer"]) == 2
    assert "the two passwords typed differ" in capsys.readouterr().err
    assert "obs" not in Workspace.open(db).users()["user"].tolist()


def test_score_on_a_workspace_with_users_needs_the_user_and_their_password(db):
    one_line_refusal(score(db, stdin=""), "sign in with --user NAME")
    one_line_refusal(score(db, "--user", "Helen Marsh", "--password-stdin", stdin="not my password\n"),
                     "User name or password is wrong")
    one_line_refusal(score(db, "--user", "Helen Marsh", "--password-stdin"), "must declare any conflict of interest")
    out = cli("workspace", "declare", "--db", db, "--no-conflict", "--user", "Helen Marsh", "--password-stdin",
              stdin=HELEN_PW + "\n")
    assert out.returncode == 0 and "declared no conflict" in out.stdout, out.stderr
    out = score(db, "--user", "Helen Marsh", "--password-stdin")
    assert out.returncode == 0 and "saved:" in out.stdout, out.stderr
    assert Workspace.open(db).audit_log()[["actor", "action"]].iloc[-1].tolist() == ["Helen Marsh (command line)",
                                                                                     "score"]
    # the rules hold from the command line too
    one_line_refusal(score(db, "--user", "Helen Marsh", "--password-stdin", evaluator="MODERATED"),
                     "only the procurement lead may record a consensus score")
    one_line_refusal(score(db, "--user", "Helen Marsh", "--password-stdin", evaluator="David Okafor"),
                     "only David Okafor may change David Okafor's scores")
    out = score(db, "--user", "lee", "--password-stdin", evaluator="MODERATED", stdin=LEAD_PW + "\n")
    assert out.returncode == 0, out.stderr


def test_a_conflict_is_declared_and_mitigated_from_the_command_line(db):
    out = cli("workspace", "declare", "--db", db, "--conflict", "I advised Apex in 2024", "--user", "Helen Marsh",
              "--password-stdin", stdin=HELEN_PW + "\n")
    assert out.returncode == 0 and "declared a conflict of interest" in out.stdout
    one_line_refusal(score(db, "--user", "Helen Marsh", "--password-stdin"), "records how it is mitigated")
    one_line_refusal(cli("workspace", "mitigate", "--db", db, "--evaluator", "Helen Marsh", "--how", "ok",
                         "--user", "Helen Marsh", "--password-stdin", stdin=HELEN_PW + "\n"),
                     "only the procurement lead may manage the panel")
    out = cli("workspace", "mitigate", "--db", db, "--evaluator", "Helen Marsh", "--how", "Does not score Apex",
              "--user", "lee", "--password-stdin", stdin=LEAD_PW + "\n")
    assert out.returncode == 0, out.stderr
    out = cli("workspace", "status", "--db", db)
    assert "conflict, mitigated: Does not score Apex" in out.stdout and "not yet declared" in out.stdout
    out = cli("audit", "--db", db)  # every panel action is explained by the log
    assert out.returncode == 0 and out.stdout.startswith("intact:"), out.stdout + out.stderr


def test_complete_needs_every_score_and_reopening_is_the_leads(db):
    cli("workspace", "declare", "--db", db, "--no-conflict", "--user", "Helen Marsh", "--password-stdin",
        stdin=HELEN_PW + "\n")
    ws = Workspace.open(db)
    helen = ws.sign_in("Helen Marsh", HELEN_PW)
    ws.delete_score(APEX, "SVQ", "Helen Marsh", by=helen)
    complete = ("workspace", "complete", "--db", db, "--evaluator", "Helen Marsh", "--password-stdin")
    one_line_refusal(cli(*complete, "--user", "Helen Marsh", stdin=HELEN_PW + "\n"),
                     "1 score(s) with a rationale missing, the first for bidder Apex Care Group Ltd, criterion SVQ")
    assert score(db, "--user", "Helen Marsh", "--password-stdin").returncode == 0
    out = cli(*complete, "--user", "Helen Marsh", stdin=HELEN_PW + "\n")
    assert out.returncode == 0 and "scoring complete" in out.stdout, out.stderr
    one_line_refusal(cli(*complete, "--reopen", "--user", "Helen Marsh", stdin=HELEN_PW + "\n"),
                     "only the procurement lead may reopen a submission")
    status = cli("workspace", "status", "--db", db).stdout
    assert "submitted 20" in status and "no conflict" in status
    assert cli(*complete, "--reopen", "--user", "lee", stdin=LEAD_PW + "\n").returncode == 0


def test_user_reset_and_remove(db):
    out = cli("workspace", "user", "reset", "--db", db, "--user", "Helen Marsh", "--password-stdin",
              stdin="a fresh new passphrase\n")
    assert out.returncode == 0, out.stderr
    one_line_refusal(cli("workspace", "declare", "--db", db, "--no-conflict", "--user", "Helen Marsh",
                         "--password-stdin", stdin=HELEN_PW + "\n"), "User name or password is wrong")
    one_line_refusal(cli("workspace", "user", "remove", "--db", db, "--user", "lee"), "only procurement lead")
    assert cli("workspace", "user", "remove", "--db", db, "--user", "Helen Marsh").returncode == 0
    assert "Helen Marsh" not in cli("workspace", "user", "list", "--db", db).stdout
    assert len(Workspace.open(db).scores(evaluator="Helen Marsh")) == 12  # their scores stay on record
    one_line_refusal(cli("workspace", "user", "remove", "--db", db, "--user", "nobody"), "is not a user")


def test_a_workspace_without_users_scores_from_the_command_line_as_before(tmp_path):
    db = tmp_path / "plain.sqlite"
    Workspace.create(db, RUBRIC, BIDS, scores_path=SCORES)
    assert score(db, stdin="").returncode == 0
    out = cli("workspace", "status", "--db", db)
    assert out.returncode == 0 and "The panel:" not in out.stdout
    one_line_refusal(score(db, "--user", "lee", stdin=""), "this workspace has no users yet")


def test_the_password_typed_at_the_prompt_is_read_with_getpass(db, monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or HELEN_PW)
    code = main(["workspace", "declare", "--db", str(db), "--no-conflict", "--user", "Helen Marsh"])
    assert code == 0 and asked == ["Password for Helen Marsh: "]
    assert HELEN_PW not in capsys.readouterr().out
