"""A real server restart, in a real browser: `streamlit run` with a workspace home, an evaluator marks their
scoring complete on the Moderation page, the server is stopped and started again, and the page reopens
with the mark in place; the Sensitivity page draws its charts with no exception.

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
                page.goto(f"{server.start()}/moderation", wait_until="domcontentloaded")
                settled(page)
                page.get_by_role("heading", name="Moderation").first.wait_for(timeout=60_000)
                assert page.locator(EXCEPTION).count() == 0
                page.get_by_role("button", name="Mark my scoring complete").click()
                page.get_by_text("scoring complete. The panel's scores are shown below").first.wait_for(timeout=60_000)
                settled(page)
                assert page.locator(EXCEPTION).count() == 0

                server.stop()  # the server goes away with everything it held in memory
                page.goto(f"{server.start()}/moderation", wait_until="domcontentloaded")
                settled(page)
                page.get_by_role("heading", name="Moderation").first.wait_for(timeout=60_000)
                page.get_by_text("scoring complete. The panel's scores are shown below").first.wait_for(timeout=60_000)
                page.get_by_role("button", name="Reopen my scoring").first.wait_for(timeout=60_000)

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
