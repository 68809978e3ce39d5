"""A closed tab's session is ended and its memory goes back to the machine (issue 14, hole 11).

Streamlit keeps a closed tab's session for server.disconnectedSessionTTL in case it reconnects, but forgets it
only when another session is stored after it, and never shuts it down, so after a bulk upload the server kept
its 1.2 GiB with every tab closed. app/sessions.py ends such sessions itself (see its docstring)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.sessions import Reaper
from tests.browser import ARGS, CHROMIUM, Server, needs_chromium, settled


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_closed_tab_is_ended_after_the_grace_and_an_open_or_returning_one_is_kept():
    clock, open_tabs, ended = Clock(), {"a", "b", "c"}, []
    reaper = Reaper(100, open_tabs.__contains__, ended.append, clock)
    for sid in "abc":
        reaper.seen(sid)
    open_tabs -= {"b", "c"}          # two tabs close
    reaper.sweep()
    clock.now = 60
    open_tabs.add("c")               # one comes back (a network blip) before the grace is over
    assert reaper.sweep() == [] and ended == []
    open_tabs.discard("c")           # and closes again: its grace starts again
    reaper.sweep()
    clock.now = 100
    assert reaper.sweep() == ["b"] and ended == ["b"]
    clock.now = 159
    assert reaper.sweep() == []
    clock.now = 160
    assert reaper.sweep() == ["c"]
    clock.now = 10_000
    assert reaper.sweep() == [] and reaper.watched() == ["a"]   # the open tab is never ended


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"the server ({pid}) has stopped")


@needs_chromium
def test_the_server_gives_back_a_closed_tabs_upload(tmp_path, monkeypatch):
    """A user uploads 60 MB and closes the tab, and nobody else comes: the server's memory goes back down."""
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL", "20")  # ended 5-10 s after the tab closes
    big = tmp_path / "commitments.csv"
    big.write_bytes(b"bidder,id,measure,quantity\n" + b"A Ltd,c1,local_jobs,1\n" * 2_800_000)  # about 62 MB
    (tmp_path / "home").mkdir()
    server = Server(tmp_path / "home", tmp_path / "server.log")
    url = server.start()
    try:
        pid = server.proc.pid
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("HC-2026-014").first.wait_for(timeout=120_000)
            settled(page)
            before = _rss_mib(pid)
            sent = []
            page.on("response", lambda r: sent.append(r.status) if r.request.method == "PUT" else None)
            page.locator('[data-testid="stFileUploader"]').filter(has_text="Bids:").locator(
                'input[type="file"]').set_input_files(str(big))
            while not sent:
                page.wait_for_timeout(200)
            assert sent == [204] or sent == [200]
            page.wait_for_timeout(1000)
            holding = _rss_mib(pid)
            assert holding > before + 50      # the upload is held while its tab is open
            browser.close()
        deadline = time.monotonic() + 60
        while _rss_mib(pid) > before + 20 and time.monotonic() < deadline:
            time.sleep(1)
        assert _rss_mib(pid) < before + 20, (before, holding, _rss_mib(pid))
    finally:
        server.stop()
