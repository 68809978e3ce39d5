"""Who is using the app (issue 17, DESIGN.md 10): `streamlit run streamlit_app.py -- --workspace F` serves one
panel's workspace behind a sign-in form ("User name", "Password", "Sign in"); without --workspace the shipped
samples are a demonstration, labelled so on every page, where a persona is picked in the sidebar.

The server's script arguments are sys.argv, which AppTest's script sees as it is (the test sets it)."""
from __future__ import annotations

import json
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from evaluator import Workspace
from evaluator.panel import FREE_ATTEMPTS
from tests.apptest import APP, messages, ok, unescape
from tests.conftest import tender_paths

LEAD_PASSWORD = "correct horse battery staple"
EVALUATOR_PASSWORD = "tea at four, biscuits at five"


def make_workspace(path, users=True):
    rubric, bids, scores = tender_paths("home_care_north")
    ws = Workspace.create(path, rubric, bids, scores_path=scores)
    if users:
        ws.add_user("Alex Lead", "lead", LEAD_PASSWORD)
        ws.add_user("Helen Marsh", "evaluator", EVALUATOR_PASSWORD, email="helen.marsh@example.org")
        ws.add_user("Olu Observer", "observer", EVALUATOR_PASSWORD)
    return ws


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """A workspace with a lead, an evaluator and an observer, served as the app's --workspace."""
    ws = make_workspace(tmp_path / "panel.sqlite")
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py", "--workspace", str(ws.path)])
    return ws


@pytest.fixture
def demonstration(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py"])


def fresh() -> AppTest:
    return AppTest.from_file(APP, default_timeout=90).run()


def sign_in(at: AppTest, user: str, password: str) -> AppTest:
    fields = {t.label: t for t in at.text_input}
    fields["User name"].input(user)
    fields["Password"].input(password)
    at.button(key="FormSubmitter:sv_sign_in-Sign in").click()
    return at.run()


def shown_pages(at: AppTest) -> set[str]:
    """The pages listed in the navigation (AppTest keeps what the last run's st.navigation registered)."""
    return {str(info["page_name"]) for info in at._registered_pages.values() if info.get("page_name")}


def at_the_form(at) -> bool:
    """The sign-in form and nothing else: no one signed in, no tender shown (AppTest keeps the last navigation
    it saw after a run that stopped, so the listed pages cannot tell)."""
    captions = [c.value for c in at.sidebar.caption]
    return ([t.label for t in at.text_input] == ["User name", "Password"] and "Signed in as" not in captions
            and "Tender in use" not in captions and not at.dataframe)


# ------------------------------------------------------------------------------------------- the form

def test_a_panel_workspace_shows_the_sign_in_form_first_and_nothing_else(panel):
    at = fresh()
    ok(at)
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert [b.label for b in at.button if "Sign in" == b.label] == ["Sign in"]
    assert not shown_pages(at), "no page is listed before sign-in"
    assert not at.dataframe and "Tender in use" not in [c.value for c in at.sidebar.caption]


def test_the_right_password_signs_in_and_opens_that_workspace(panel):
    at = sign_in(fresh(), "Alex Lead", LEAD_PASSWORD)
    ok(at)
    assert "Alex Lead (Procurement lead)" in [t.value for t in at.sidebar.text]
    assert "workspace of " in (side := " ".join(t.value for t in at.sidebar.text)) and ".sqlite" not in side  # not the server's file
    assert {"Tender", "Score", "Moderation", "Results", "Reports"} <= shown_pages(at)
    assert not any(i.value.startswith("Demonstration:") for i in at.info)  # a real panel, not the demonstration
    assert "User name" not in [t.label for t in at.text_input]


def test_a_wrong_password_is_one_line_in_place_and_signs_nobody_in(panel):
    at = sign_in(fresh(), "Alex Lead", "not the password at all")
    assert messages(at) == ["User name or password is wrong"]
    assert not shown_pages(at)
    at = sign_in(at, "Nobody Here", LEAD_PASSWORD)
    assert messages(at) == ["User name or password is wrong"]


def test_repeated_wrong_passwords_are_slowed_and_the_message_says_how_long(panel):
    at = fresh()
    for _ in range(FREE_ATTEMPTS):
        at = sign_in(at, "Alex Lead", "wrong wrong wrong")
        assert messages(at) == ["User name or password is wrong"]
    at = sign_in(at, "Alex Lead", "wrong wrong wrong")
    at = sign_in(at, "Alex Lead", LEAD_PASSWORD)  # even the right one waits its turn
    [line] = messages(at)
    assert line.startswith("Too many wrong passwords for this user name: wait ") and line.endswith(" s and try again")
    assert at_the_form(at)


def test_an_observer_is_not_shown_the_score_page_and_an_evaluator_not_the_results(panel):
    at = sign_in(fresh(), "Olu Observer", EVALUATOR_PASSWORD)
    ok(at)
    assert "Score" not in shown_pages(at) and "Results" in shown_pages(at)
    with pytest.raises(ValueError):
        at.switch_page("app_pages/score.py")
    at = sign_in(fresh(), "Helen Marsh", EVALUATOR_PASSWORD)
    assert "Score" in shown_pages(at) and "Results" not in shown_pages(at) and "Design" not in shown_pages(at)
    assert "Moderation" in shown_pages(at), "a submitted evaluator sees the panel there; before, only their own scores"


def test_sign_out_and_inactivity_bring_the_form_back(panel, monkeypatch):
    at = sign_in(fresh(), "Alex Lead", LEAD_PASSWORD)
    at.sidebar.button(key="sv_sign_out").click().run()
    assert at_the_form(at)

    monkeypatch.setenv("SOCIAL_VALUE_IDLE_MINUTES", "0.1")  # 6 seconds
    at = sign_in(at, "Alex Lead", LEAD_PASSWORD)
    assert shown_pages(at)
    at.run()
    assert shown_pages(at), "a session in use stays signed in"
    time.sleep(6.5)
    at.run()
    assert at_the_form(at)
    assert any("signed out after 0.1 minutes without activity" in w for w in messages(at, "warning"))


def test_the_sign_in_screen_and_its_refusals_read_in_words(panel, tmp_path):
    """Issue 19: the sign-in screen names the panel by its tender, never by where its file is; a refusal is
    one line in words with no command line (the CLI's hints stay in the terminal)."""
    from tests.every_page import Visit, read_page
    at = fresh()
    assert at_the_form(at)
    visit = Visit("", "", "Sign in")
    read_page(at, visit)
    assert visit.offences == [], visit.offences
    assert any("to the panel of HC-2026-014 Adult domiciliary care, North district" in unescape(c.value)
               for c in at.caption)
    sign_in(at, "Alex Lead", "not the password at all")
    [line] = messages(at)
    assert "`" not in line and str(tmp_path) not in line and "python -m" not in line


def test_a_workspace_that_is_missing_or_without_users_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py", "--workspace", str(tmp_path / "nowhere.sqlite")])
    at = fresh()
    [line] = messages(at)
    assert "nowhere.sqlite" in line and "workspace not found" in line
    assert str(tmp_path) not in line  # the file by its name, never the server's folders
    assert not at.text_input and not shown_pages(at)

    ws = make_workspace(tmp_path / "old.sqlite", users=False)
    monkeypatch.setattr(sys, "argv", ["streamlit_app.py", "--workspace", str(ws.path)])
    at = fresh()
    [line] = messages(at)
    assert "has no users yet, so nobody can sign in" in line and "first user" in line
    assert "Whoever runs the server must first add the procurement lead" in line and "Serving a panel" in line
    assert "python -m" not in line and "--" not in line and str(tmp_path) not in line  # no command, no server path
    assert not at.text_input and not shown_pages(at)


def test_an_openid_email_not_on_the_panel_is_told_to_ask_the_lead(panel):
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": "stranger@example.org", "sub": "s-1", "iat": time.time()}
    at.run()
    [line] = [w.replace("\u2060", "") for w in messages(at, "warning")]  # (a joiner stops the autolink)
    assert "stranger@example.org is not the email of a user of this workspace" in line and "procurement lead" in line
    assert "workspace user add" not in line and "`" not in line  # who must act, in words; no command line
    assert at_the_form(at)
    assert [b.label for b in at.button if b.key == "sv_openid_out"] == ["Sign out of the identity provider"]
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": "Helen.Marsh@example.org", "sub": "s-2", "iat": time.time()}
    at.run()
    assert "Helen Marsh (Evaluator)" in [t.value for t in at.sidebar.text]


def test_an_identity_provider_login_older_than_the_idle_time_must_sign_in_again(panel):
    at = AppTest.from_file(APP, default_timeout=90)
    at.user = {"is_logged_in": True, "email": "helen.marsh@example.org", "sub": "s-3", "iat": time.time() - 31 * 60}
    at.run()
    assert at_the_form(at)
    assert any("signed out after 30 minutes without activity" in w for w in messages(at, "warning"))


# ------------------------------------------------------------------------------------------- demonstration

def test_the_demonstration_has_its_banner_on_every_page_and_a_persona_picker(demonstration):
    at = fresh()
    ok(at)
    assert any(i.value.startswith("Demonstration:") for i in at.info)
    picker = at.sidebar.selectbox(key="sv_persona_pick")
    assert [p for p in picker.options] == ["Procurement lead", "David Okafor (evaluator)", "Helen Marsh (evaluator)",
                                           "Priya Raman (evaluator)", "Observer (reads only)"]
    for path in ("app_pages/results.py", "app_pages/score.py"):
        at.switch_page(path).run()
        assert any(i.value.startswith("Demonstration:") for i in at.info), path
    picker = at.sidebar.selectbox(key="sv_persona_pick")
    picker.set_value(("Observer", "observer")).run()
    at.run()
    assert "Score" not in shown_pages(at) and "Results" in shown_pages(at)
    assert at.sidebar.selectbox(key="sv_persona_pick").value == ("Observer", "observer")
    from app import access
    assert access.PAGES_BY_ROLE["observer"] and "Score" not in access.PAGES_BY_ROLE["observer"]


def test_a_workspace_with_users_opened_in_the_demonstration_still_asks_for_sign_in(demonstration, tmp_path,
                                                                                     monkeypatch):
    import os
    from pathlib import Path
    ws = make_workspace(tmp_path / "panel.sqlite")
    home = Path(os.environ["SOCIAL_VALUE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "last_opened.json").write_text(json.dumps({"workspace": str(ws.path)}))  # what a restart reopens
    at = fresh()
    assert at_the_form(at) and not shown_pages(at)
    at.button(key="sv_back_to_sample").click().run()   # or back to the demonstration's sample
    ok(at)
    assert at.sidebar.selectbox(key="sv_persona_pick").value == ("Procurement lead", "lead")
    at = fresh()                                        # (which is now what a new session opens)
    assert not at_the_form(at)
    (home / "last_opened.json").write_text(json.dumps({"workspace": str(ws.path)}))
    at = fresh()
    at = sign_in(at, "Alex Lead", LEAD_PASSWORD)
    assert "Alex Lead (Procurement lead)" in [t.value for t in at.sidebar.text] and shown_pages(at)


# ------------------------------------------------------------------------------------------- server paths

def _paths_allowed():
    import streamlit as st

    from app import access
    st.write(f"allowed={access.server_paths_allowed()}")


def paths_allowed(persona=None, address="127.0.0.1") -> bool:
    from streamlit import config
    at = AppTest.from_function(_paths_allowed, default_timeout=60)
    if persona:
        at.session_state["sv_persona"] = persona
    old = config.get_option("server.address")
    config.set_option("server.address", address)
    try:
        at.run()
    finally:
        config.set_option("server.address", old)
    [line] = [m.value for m in at.markdown if m.value.startswith("allowed=")]
    return line == "allowed=True"


def test_only_the_lead_opens_server_paths_and_in_the_demonstration_only_on_this_machine(demonstration):
    assert paths_allowed()                                        # the lead persona, listening on 127.0.0.1
    assert not paths_allowed(("Helen Marsh", "evaluator"))
    assert not paths_allowed(("Observer", "observer"))
    assert not paths_allowed(address="0.0.0.0")                   # served on a network: not even the lead persona


def test_the_server_listens_on_this_machine_only_unless_configured_otherwise():
    import tomllib

    from tests.conftest import ROOT
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


def test_a_persona_not_named_in_the_scores_is_kept_and_offered(demonstration):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["sv_persona"] = ("Zara New", "evaluator")
    at.run()
    ok(at)
    picker = at.sidebar.selectbox(key="sv_persona_pick")
    assert picker.value == ("Zara New", "evaluator") and "Zara New (evaluator)" in picker.options
    assert "Score" in shown_pages(at) and "Results" not in shown_pages(at)


def test_an_engine_line_loses_its_command_hints_and_keeps_its_sense():
    """Issue 19: the CLI's hints (in backticks) stay in the terminal; on a page the line says what to do in words."""
    from app.workspaces import plain
    assert plain("x.sqlite: workspace not found; make one with `workspace init --db F --rubric R --bids DIR`") \
        == "x.sqlite: workspace not found"
    assert plain("nothing was saved (`audit` says which; to carry a workspace to this machine, `workspace export` it "
                 "there and `workspace import` the export here)") == ("nothing was saved (the audit says which; to carry "
                                                                     "a workspace to this machine, export it there and "
                                                                     "import the export here)")
    assert plain("ask the procurement lead to add it (`workspace user add --email`)") == "ask the procurement lead to add it"
