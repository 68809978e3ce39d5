"""A panel in a real browser (DESIGN.md 10, issue 17): one `streamlit run streamlit_app.py -- --workspace F`
server, three people signed in at once in three browser contexts (a lead and two evaluators, made with
`Workspace.add_user`). The evaluator cannot see another's scores before submitting, cannot submit with a gap,
cannot reopen, cannot record a consensus, cannot open a server path; the lead can do each; a wrong password is
refused and the fifth wrong try in a row is slowed; every action is in the audit log under the right name.

Runs where chromium is installed (CI installs it); skips otherwise. Set SV_SHOTS to a folder to keep the
screenshots of Score and Moderation (1440x900 and 390x844)."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from evaluator.panel import EVALUATOR, LEAD, Identity
from evaluator.workspace import Workspace
from tests.browser import ARGS, CHROMIUM, EXCEPTION, Server, needs_chromium, settled
from tests.conftest import tender_paths

pytestmark = needs_chromium

PASSWORD = "correct horse battery staple"
LEAD_NAME, ANN, BEN = "Lena Lead", "Ann Evaluator", "Ben Evaluator"
BENS_WORDS = "Ben alone read this: walking rounds evidenced"
APEX = "Apex Care Group Ltd"


def _panel(tmp_path: Path) -> Path:
    """The home-care sample as a panel's workspace: a lead and two evaluators; Ben has declared, scored every
    bid (his own words on each) and submitted."""
    rubric, bids, _ = tender_paths("home_care_north")
    ws = Workspace.create(tmp_path / "panel.sqlite", rubric, bids)
    for name, role in ((LEAD_NAME, LEAD), (ANN, EVALUATOR), (BEN, EVALUATOR)):
        ws.add_user(name, role, PASSWORD)
    _score_all(ws, BEN, BENS_WORDS)
    ws.set_complete(BEN, True, by=Identity(BEN, EVALUATOR))
    return ws.path


def _score_all(ws: Workspace, user: str, words: str) -> None:
    me = Identity(user, EVALUATOR)
    if ws.declaration(user) is None:
        ws.declare(me, False)
    for bidder in ws.bidders():
        for criterion in ("Q1", "SVQ"):
            ws.set_score(bidder, criterion, user, 60, f"{words} ({bidder} {criterion})", by=me)


def _sign_in(page, url: str, user: str, password: str = PASSWORD, expect: str | None = None) -> None:
    """Type a user name and password and press Sign in; then wait for `expect` (a refusal's words), or for the
    form to go (signed in)."""
    settled(page)  # a click while the page is still running may be lost
    refused = _refusals(page.db) if expect else 0
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if expect:
        deadline = time.monotonic() + 60
        while _refusals(page.db) == refused and time.monotonic() < deadline:  # the try has reached the workspace
            time.sleep(0.2)
        settled(page)
        page.get_by_text(re.compile(expect)).first.wait_for(timeout=60_000)
    else:
        page.get_by_role("button", name="Sign in").wait_for(state="detached", timeout=60_000)
    settled(page)


def _refusals(db: Path) -> int:
    log = Workspace.open(db).audit_log()
    return int((log["action"] == "sign_in_refused").sum())


def _open(page, title: str) -> None:
    """Go to a page by the sidebar's navigation (the session, and its sign-in, stay)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    settled(page)
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)


def _pick(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)  # the choices narrow to those with these words
    page.get_by_role("option").filter(has_text=option).first.click()
    settled(page)


def _body(page) -> str:
    """Everything a person can read: the page's text and its tables' cells (drawn on a canvas, whose
    accessible copy holds them)."""
    tables = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
                           ".map(t => t.textContent || '')")
    return "\n".join([page.inner_text("body")] + tables)


def _shows(page, text: str, timeout: float = 60) -> None:
    """Wait until `text` is on the page (its text or a table's cells)."""
    deadline = time.monotonic() + timeout
    while text not in _body(page):
        assert time.monotonic() < deadline, f"{text!r} not shown"
        time.sleep(0.3)


def _shots(page, name: str) -> None:
    folder = os.environ.get("SV_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for w, h in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        settled(page)
        page.screenshot(path=str(Path(folder) / f"{name}-{w}x{h}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_three_people_on_one_panel(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    db = _panel(tmp_path)
    # the server's home is the one the workspace was made in: its audit chain is keyed with that home's key
    server = Server(Path(os.environ["SOCIAL_VALUE_HOME"]), tmp_path / "server.log", script_args=("--workspace", str(db)))
    try:
        url = server.start()
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                pages = {}
                for who in (LEAD_NAME, ANN, BEN):  # three people, each in their own browser context, at once
                    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                    page.db = db
                    page.goto(url, wait_until="domcontentloaded")
                    settled(page)
                    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
                    pages[who] = page
                lead, ann, ben = pages[LEAD_NAME], pages[ANN], pages[BEN]

                # a wrong password is refused; the fifth wrong try in a row is slowed
                for _ in range(4):
                    _sign_in(ben, url, BEN, "not the password at all", expect="User name or password is wrong")
                _sign_in(ben, url, BEN, "not the password at all",
                         expect=r"Too many wrong passwords for this user name: wait \d+ s")
                assert ben.get_by_role("button", name="Sign in").count() == 1

                # the evaluator: declares before seeing the bids, sees only her own scores, cannot submit with a gap
                _sign_in(ann, url, ANN)
                nav = ann.get_by_test_id("stSidebarNav").inner_text()
                assert "Results" not in nav and "Reports" not in nav  # no totals built on others' scores for her
                _open(ann, "Moderation")  # listed, but before she submits it hides the others and records nothing
                ann.get_by_text("The other evaluators' scores are hidden until you submit").first.wait_for(timeout=60_000)
                _open(ann, "Score")
                ann.get_by_text("Declare any conflict of interest first").first.wait_for(timeout=60_000)
                settled(ann)
                assert APEX not in _body(ann)
                _shots(ann, "score-declaration")
                ann.get_by_text("I have no conflict of interest").click()
                ann.get_by_role("button", name="Record my declaration").click()
                settled(ann)
                ann.get_by_role("button", name="Submit my scoring").wait_for(timeout=60_000)
                settled(ann)
                _shows(ann, APEX)  # the bids, now: her own grid
                assert BENS_WORDS not in _body(ann) and BEN not in _body(ann)  # and nobody else's scores
                ann.get_by_role("button", name="Submit my scoring").click()
                ann.get_by_text("cannot submit yet").first.wait_for(timeout=60_000)
                settled(ann)
                refused = [t for t in ann.locator('[data-testid="stAlert"]').all_inner_texts() if "submit" in t]
                assert len(refused) == 1 and "12 score(s)" in refused[0] and APEX in refused[0], refused
                _shots(ann, "score-refused")
                assert ann.get_by_role("button", name="Reopen").count() == 0
                assert ann.get_by_role("button", name="Record consensus").count() == 0
                _open(ann, "Tender")  # no server path for her: no workspace file to open, no folder to review
                ann.get_by_text("What is loaded").first.wait_for(timeout=60_000)
                settled(ann)
                paths_for_her = ann.get_by_role("textbox", name="Workspace file (where it is on this server)").count()
                _open(ann, "Review")
                ann.get_by_role("textbox", name=re.compile("Tenders whose delivery data flows back")).wait_for(timeout=60_000)
                paths_for_her += ann.get_by_role("textbox", name=re.compile("on this machine")).count()

                # the lead: sees who has submitted, records a consensus, opens server paths
                _sign_in(lead, url, LEAD_NAME)
                _open(lead, "Review")  # a file or folder on the server is the lead's to open
                lead.get_by_role("textbox", name="Or a file or folder on this machine (for large downloads)").wait_for(timeout=60_000)
                _open(lead, "Moderation")
                lead.get_by_text("Not yet submitted").first.wait_for(timeout=60_000)
                _shows(lead, ANN)
                lead.get_by_role("button", name="Record consensus").wait_for(timeout=60_000)  # hers to record

                # she scores every bid (saved as herself), then submits: the panel's scores appear
                _score_all(Workspace.open(db), ANN, "Ann's reading")
                _open(ann, "Score")
                ann.get_by_role("button", name="Submit my scoring").click()
                settled(ann)
                ann.get_by_text("your scoring is submitted").first.wait_for(timeout=60_000)
                _shows(ann, BEN)  # the panel's scores
                assert ann.get_by_role("button", name="Reopen").count() == 0
                _shots(ann, "score-evaluator-submitted")

                _open(lead, "Moderation")
                lead.get_by_text("Every evaluator has submitted").first.wait_for(timeout=60_000)
                lead.get_by_role("button", name="Record consensus").wait_for(timeout=60_000)
                settled(lead)
                _pick(lead, "Consensus score", "60")
                lead.get_by_label("Rationale (required: why the panel agreed this score)").fill("Panel agreed: adequate")
                lead.get_by_role("button", name="Record consensus").click()
                settled(lead)
                lead.get_by_text("Saved:").first.wait_for(timeout=60_000)
                _shots(lead, "moderation-lead")
                _pick(lead, "Reopen a submission", ANN)
                lead.get_by_role("button", name="Reopen", exact=True).click()
                settled(lead)
                lead.get_by_text(f"Reopened {ANN}'s scoring").first.wait_for(timeout=60_000)
                _open(lead, "Score")
                _shots(lead, "score-lead")

                # Ben, signed in after the wait, sees the panel (he has submitted)
                time.sleep(5)  # the wait after the fifth wrong try
                _sign_in(ben, url, BEN)
                _open(ben, "Score")
                ben.get_by_text("your scoring is submitted").first.wait_for(timeout=60_000)

                _open(ann, "Score")  # reopened: hers to change again
                ann.get_by_role("button", name="Submit my scoring").wait_for(timeout=60_000)
                _shots(ann, "score-evaluator")
                for page in pages.values():
                    assert page.locator(EXCEPTION).count() == 0
                    assert "Something went wrong inside the tool" not in _body(page)
            finally:
                browser.close()
    finally:
        server.stop()

    log = Workspace.open(db).audit_log()
    done = {(a, who) for a, who in zip(log["action"], log["actor"])}
    for action, who in (("sign_in", LEAD_NAME), ("sign_in", ANN), ("sign_in", BEN), ("declare", ANN),
                        ("complete", ANN), ("consensus", LEAD_NAME), ("reopen", LEAD_NAME)):
        assert (action, who) in done, (action, who)
    refused = log[log["action"] == "sign_in_refused"]
    assert len(refused) >= 5 and set(refused["key"].map(lambda k: BEN in k)) == {True}
    assert Workspace.open(db).verify().intact
    assert paths_for_her == 0  # neither the Tender nor the Review page offered her a server path
