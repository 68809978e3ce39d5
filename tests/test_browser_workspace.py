"""A real server restart, in a real browser: `streamlit run` with a workspace home, an evaluator marks their
scoring complete on the Moderation page, the server is stopped and started again, and the page reopens
with the mark in place; the Sensitivity page draws its charts with no exception.

Runs where chromium is installed (CI installs it); skips otherwise."""
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

from evaluator.workspace import Workspace, default_workspace_path
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


class Server:
    def __init__(self, home: Path, log: Path):
        self.home, self.log = home, log
        self.proc = None
        self.url = ""

    def start(self) -> str:
        port = _free_port()
        env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "SOCIAL_VALUE_HOME": str(self.home)}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                                          "--server.headless", "true", "--server.port", str(port),
                                          "--server.address", "127.0.0.1"],
                                         cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self.url
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def _settled(page) -> None:
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(500)


def test_scoring_complete_survives_a_server_restart(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    server = Server(tmp_path / "home", tmp_path / "server.log")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 2000})
                page.goto(f"{server.start()}/moderation", wait_until="domcontentloaded")
                _settled(page)
                page.get_by_role("heading", name="Moderation").first.wait_for(timeout=60_000)
                assert page.locator(EXCEPTION).count() == 0
                page.get_by_role("button", name="Mark my scoring complete").click()
                page.get_by_text("scoring complete. The panel's scores are shown below").first.wait_for(timeout=60_000)
                _settled(page)
                assert page.locator(EXCEPTION).count() == 0

                server.stop()  # the server goes away with everything it held in memory
                page.goto(f"{server.start()}/moderation", wait_until="domcontentloaded")
                _settled(page)
                page.get_by_role("heading", name="Moderation").first.wait_for(timeout=60_000)
                page.get_by_text("scoring complete. The panel's scores are shown below").first.wait_for(timeout=60_000)
                page.get_by_role("button", name="Reopen my scoring").first.wait_for(timeout=60_000)

                page.goto(f"{server.url}/sensitivity", wait_until="domcontentloaded")
                _settled(page)
                page.get_by_role("heading", name="Sensitivity of the winner").first.wait_for(timeout=60_000)
                page.wait_for_function(
                    "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg, "
                    "[data-testid=\"stVegaLiteChart\"] canvas').length >= 2", timeout=60_000)
                assert page.locator(EXCEPTION).count() == 0
                assert "Something went wrong inside the tool" not in page.inner_text("body")
            finally:
                browser.close()
    finally:
        server.stop()
    ws = Workspace.open(Path(tmp_path / "home") / default_workspace_path("HC-2026-014").name)
    assert ws.evaluators()["complete"].sum() == 1 and ws.verify().intact
