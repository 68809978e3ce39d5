"""What the real-browser tests share: Debian's chromium (CI installs it, see .ci/run), a `streamlit run`
server on a free local port with its own workspace home, and a wait for the app to finish drawing."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
EXCEPTION = '[data-testid="stException"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_free_port = free_port  # the name test_hostile_text.py imports


class Server:
    """`streamlit run streamlit_app.py`; the app keeps a sample's scores under $SOCIAL_VALUE_HOME, so each
    server gets a fresh home, never the real one. Stopping it drops everything it held in memory."""

    def __init__(self, home: Path, log: Path, *, options: tuple[str, ...] = (), script_args: tuple[str, ...] = (),
                 env: Optional[dict] = None, port: Optional[int] = None):
        """`options`: more `streamlit run` options (say "--secrets.files", a secrets.toml in a temp folder);
        `script_args`: the app's own, after `--` (say "--workspace", F); `env`: more environment variables."""
        self.home, self.log = home, log
        self.options, self.script_args, self.env = tuple(options), tuple(script_args), dict(env or {})
        self.port = port
        self.proc = None
        self.url = ""

    def start(self) -> str:
        port = self.port or free_port()
        env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "SOCIAL_VALUE_HOME": str(self.home),
               **self.env}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                                          "--server.headless", "true", "--server.port", str(port),
                                          "--server.address", "127.0.0.1", *self.options]
                                         + (["--", *self.script_args] if self.script_args else []),
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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A server for one test module, with its own workspace home (import this fixture into the module)."""
    server = Server(tmp_path_factory.mktemp("social_value_home"), tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        yield server.start()
    finally:
        server.stop()


def settled(page) -> None:
    """Wait until the app has finished running the script (no 'Running...' status) and drawn."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(500)


def charts_drawn(page, at_least: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg, "
        "[data-testid=\"stVegaLiteChart\"] canvas').length >= n", arg=at_least, timeout=60_000)
