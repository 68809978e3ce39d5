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


# ------------------------------------------------------------------------------------------- every page

NO_CACHE = ("--global.minCachedMessageSize", str(2 ** 40))  # every message whole (none as a cache reference)


class DrawnTables:
    """Every st.dataframe/st.table the server sends a Playwright page, read from its websocket (a table is
    drawn on a canvas: no DOM text): [(DataFrame, column config JSON, placeholder or None)]. Start the server
    with options=NO_CACHE, so no table is sent as a reference to one the browser already holds."""

    def __init__(self, page) -> None:
        self.tables: list = []
        self.undecoded = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg
            self.undecoded += 1
            return
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "dataframe":
            proto = element.dataframe
            data = proto.arrow_data.data or (proto.lazy_data.initial_chunk.data if proto.HasField("lazy_data") else b"")
            placeholder = proto.placeholder if proto.HasField("placeholder") else None
            self.tables.append((_arrow_frame(data), proto.columns, placeholder))
        elif kind == "table":
            self.tables.append((_arrow_frame(element.table.arrow_data.data), "", None))

    def take(self) -> list:
        """The tables received since the last take."""
        out, self.tables = self.tables, []
        return out


def _arrow_frame(data: bytes):
    from streamlit import dataframe_util
    return dataframe_util.convert_arrow_bytes_to_pandas_df(data)


def go_to(page, title: str) -> None:
    """A page by the sidebar's navigation (the session stays); waits for its heading (which starts with the
    title: "Sensitivity of the winner")."""
    import re
    settled(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=re.compile("^" + re.escape(title))).first.wait_for(timeout=90_000)
    settled(page)


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the selectbox `label` (typed, so the list narrows to it)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    settled(page)


def screenshot(page, folder: Path, name: str) -> Path:
    """A full-page screenshot in `folder`, copied to tests/artifacts/pages/ when tests/artifacts exists."""
    shot = folder / f"{name}.png"
    viewport = page.viewport_size
    tall = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
                         "[data-testid=\"stAppViewContainer\"], [data-testid=\"stSidebarContent\"]')]"
                         ".map(e => e.scrollHeight), document.body.scrollHeight)")
    if tall > viewport["height"]:  # the app scrolls inside its main block: the window is made as tall as it
        page.set_viewport_size({"width": viewport["width"], "height": min(int(tall) + 40, 16000)})
        page.wait_for_timeout(500)
        settled(page)
    page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size(viewport)
    artifacts = ROOT / "tests" / "artifacts"
    if artifacts.is_dir():
        (artifacts / "pages").mkdir(exist_ok=True)
        shutil.copy(shot, artifacts / "pages" / shot.name)
    return shot
