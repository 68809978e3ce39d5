"""A real server restart, in a real browser: `streamlit run` with a workspace home, an evaluator persona of the
demonstration submits their scoring on the Score page, the server is stopped and started again, and the page
reopens with the submission in place; the Sensitivity page draws its charts with no exception.

Runs where chromium is installed (CI installs it); skips otherwise."""
from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.workspace import Workspace, default_workspace_path
from tests.browser import ARGS, CHROMIUM, EXCEPTION, Server, charts_drawn, needs_chromium, settled

pytestmark = needs_chromium


def test_scoring_complete_survives_a_server_restart(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    server = Server(tmp_path / "home", tmp_path / "server.log")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 2000})

                def as_helen_on_the_score_page():
                    settled(page)
                    box = page.get_by_role("combobox", name="Demonstration persona")
                    box.click()
                    box.fill("Helen Marsh")
                    page.get_by_role("option").filter(has_text="Helen Marsh").first.click()
                    settled(page)
                    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Score", exact=True).click()
                    settled(page)
                    page.get_by_role("heading", name="Score").first.wait_for(timeout=60_000)

                page.goto(server.start(), wait_until="domcontentloaded")
                as_helen_on_the_score_page()
                page.get_by_text("I have no conflict of interest").click()
                page.get_by_role("button", name="Record my declaration").click()
                page.get_by_role("button", name="Submit my scoring").click()
                page.get_by_text("your scoring is submitted").first.wait_for(timeout=60_000)
                settled(page)
                assert page.locator(EXCEPTION).count() == 0

                server.stop()  # the server goes away with everything it held in memory
                page.goto(server.start(), wait_until="domcontentloaded")
                as_helen_on_the_score_page()
                page.get_by_text("your scoring is submitted").first.wait_for(timeout=60_000)
                assert page.get_by_role("button", name="Submit my scoring").count() == 0

                page.goto(f"{server.url}/sensitivity", wait_until="domcontentloaded")
                settled(page)
                page.get_by_role("heading", name="Sensitivity of the winner").first.wait_for(timeout=60_000)
                charts_drawn(page, 2)
                assert page.locator(EXCEPTION).count() == 0
                assert "Something went wrong inside the tool" not in page.inner_text("body")
            finally:
                browser.close()
    finally:
        server.stop()
    ws = Workspace.open(Path(tmp_path / "home") / default_workspace_path("HC-2026-014").name)
    assert ws.evaluators()["complete"].sum() == 1 and ws.verify().intact


def test_the_lead_confirms_a_new_tender_and_an_evaluator_is_offered_no_upload_or_path(tmp_path):
    """The demonstration in a real browser, on a server listening on this machine only: the lead persona uploads
    another tender; the page names what is in use (its bids and saved scores) under the button and changes
    nothing until Confirm. An evaluator persona is offered neither the upload of tender files nor a server path."""
    sync_api = pytest.importorskip("playwright.sync_api")
    root = Path(__file__).resolve().parents[1]
    bids = sorted(p for p in (root / "sample_bids" / "schools_fm").iterdir() if p.suffix in (".yaml", ".json"))
    server = Server(tmp_path / "home", tmp_path / "server.log")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                server.start()
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(f"{server.url}/", wait_until="domcontentloaded")
                settled(page)
                page.get_by_role("heading", name="What is loaded").first.wait_for(timeout=60_000)
                page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
                page.get_by_role("option", name="Priya Raman (evaluator)").click()
                settled(page)
                page.get_by_text("Loading or replacing the tender's files is the procurement lead's").first.wait_for(
                    timeout=60_000)
                assert page.locator('input[aria-label="Workspace file (where it is on this server)"]').count() == 0
                assert page.locator('[data-testid="stFileUploader"]').count() == 0
                assert page.locator(EXCEPTION).count() == 0

                page = browser.new_page(viewport={"width": 1440, "height": 900})  # a new session: the lead persona
                page.goto(f"{server.url}/", wait_until="domcontentloaded")
                settled(page)
                page.get_by_role("heading", name="What is loaded").first.wait_for(timeout=60_000)
                page.locator('input[aria-label="Workspace file (where it is on this server)"]').wait_for(timeout=60_000)
                files = page.locator('[data-testid="stFileUploader"] input[type="file"]')
                files.nth(0).set_input_files(str(root / "rubrics" / "schools_fm.yaml"))
                files.nth(2).set_input_files([str(b) for b in bids])
                page.wait_for_timeout(1000)
                page.get_by_role("button", name="Load the uploaded files").click()
                asked = page.get_by_text("This replaces the tender in use, HC-2026-014").first
                asked.wait_for(timeout=60_000)
                assert "(6 bid(s), 47 saved score(s) from 3 evaluator(s))" in asked.inner_text()
                assert "HC-2026-014" in page.locator('[data-testid="stSidebar"]').inner_text()
                page.get_by_role("button", name="Confirm").click()
                page.get_by_text("Saved in the workspace").first.wait_for(timeout=60_000)
                settled(page)
                page.locator('[data-testid="stSidebar"]').get_by_text("FM-2026-031").first.wait_for(timeout=60_000)
                assert page.locator(EXCEPTION).count() == 0
            finally:
                browser.close()
    finally:
        server.stop()
