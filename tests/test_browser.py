"""One real-browser test: `streamlit run streamlit_app.py` driven by Debian's chromium through Playwright, from
the first page to "Figures vs design", with a screenshot and no exception box anywhere on the way.

CI installs chromium (see .ci/run), so this runs there; locally it skips only when chromium is absent."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
EXCEPTION = '[data-testid="stException"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    # the app keeps a sample's scores in a workspace under $SOCIAL_VALUE_HOME: a fresh one, never the real home
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "SOCIAL_VALUE_HOME": str(tmp_path_factory.mktemp("social_value_home"))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
                                 "--server.port", str(port), "--server.address", "127.0.0.1"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _settled(page) -> None:
    """Wait until the app has finished running the script (no 'Running...' status) and drawn."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(500)


def test_first_page_to_figures_vs_design(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    artifacts = ROOT / "tests" / "artifacts"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.goto(app_url, wait_until="domcontentloaded")
            _settled(page)
            page.get_by_role("heading", name="Tender").first.wait_for(timeout=60_000)
            assert page.locator(EXCEPTION).count() == 0
            assert page.get_by_text("HC-2026-014").first.is_visible()

            page.get_by_role("link", name="Figures vs design").click()
            page.get_by_role("heading", name="Figures vs design").first.wait_for(timeout=60_000)
            _settled(page)
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg, "
                "[data-testid=\"stVegaLiteChart\"] canvas').length >= 4", timeout=60_000)
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
