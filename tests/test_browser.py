"""One real-browser test: `streamlit run streamlit_app.py` driven by Debian's chromium through Playwright, from
the first page to "Figures vs design", with a screenshot and no exception box anywhere on the way.

CI installs chromium (see .ci/run), so this runs there; locally it skips only when chromium is absent."""
from __future__ import annotations

import shutil

import pytest

from tests.browser import (ARGS, CHROMIUM, EXCEPTION, app_url,  # noqa: F401,F811 (a fixture)
                           charts_drawn, needs_chromium, settled)
from tests.conftest import ROOT

pytestmark = needs_chromium


def test_first_page_to_figures_vs_design(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    artifacts = ROOT / "tests" / "artifacts"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.goto(app_url, wait_until="domcontentloaded")
            settled(page)
            page.get_by_role("heading", name="Tender").first.wait_for(timeout=60_000)
            assert page.locator(EXCEPTION).count() == 0
            assert page.get_by_text("HC-2026-014").first.is_visible()

            page.get_by_role("link", name="Figures vs design").click()
            page.get_by_role("heading", name="Figures vs design").first.wait_for(timeout=60_000)
            settled(page)
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
            charts_drawn(page, 4)
            shot = tmp_path / "figures_vs_design.png"
            page.screenshot(path=str(shot), full_page=True)
            if artifacts.is_dir():
                shutil.copy(shot, artifacts / shot.name)
            assert shot.stat().st_size > 10_000
            assert page.locator(EXCEPTION).count() == 0
            body = page.inner_text("body")
            assert "Something went wrong inside the tool" not in body
            assert "Under the official design lens Northtown Community Care CIC comes first" in body
            assert "Under the figures lens the award would go to Apex Care Group Ltd instead" in body
        finally:
            browser.close()
