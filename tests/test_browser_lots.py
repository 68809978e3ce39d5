"""A tender with lots in a real browser (chromium through Playwright): the Tender, Score, Moderation, Results,
Figures vs design and Reports pages at a desktop width (1280) and a phone width (390), each with no exception
box, the lot picker and the award across lots on the pages that show them; screenshots kept for a person to
look at (tests/artifacts when that folder exists, else $SV_SHOTS)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from evaluator.workspace import Workspace
from tests.browser import ARGS, CHROMIUM, EXCEPTION, Server, needs_chromium, settled
from tests.conftest import ROOT
from tests.test_workspace_lots import lotted_tender

pytestmark = needs_chromium
PAGES = [("", "Tender", "Lots"), ("score", "Score", "Lot to score"), ("moderation", "Moderation", "Lot to moderate"),
         ("results", "Results", "Award across lots"), ("figures", "Figures vs design", "The award across lots"),
         ("reports", "Reports", "Award across lots")]


@pytest.fixture(scope="module")
def lots_url(tmp_path_factory):
    home = tmp_path_factory.mktemp("social_value_home")
    rubric, bids, scores = lotted_tender(tmp_path_factory.mktemp("tender"))
    prior = os.environ.get("SOCIAL_VALUE_HOME")
    os.environ["SOCIAL_VALUE_HOME"] = str(home)  # the server's own home: its key and head records
    try:
        ws = Workspace.create(home / "lots.sqlite", rubric, bids, scores_path=scores)
    finally:
        if prior is not None:
            os.environ["SOCIAL_VALUE_HOME"] = prior
    (home / "last_opened.json").write_text(json.dumps({"workspace": str(ws.path)}), encoding="utf-8")
    server = Server(home, tmp_path_factory.mktemp("streamlit") / "server.log")
    real = subprocess.Popen

    def popen(*args, **kwargs):  # on the shared test machine something sends SIGUSR1 to servers: not ours to stop
        kwargs.setdefault("preexec_fn", lambda: signal.signal(signal.SIGUSR1, signal.SIG_IGN))
        return real(*args, **kwargs)
    subprocess.Popen = popen
    try:
        url = server.start()
    finally:
        subprocess.Popen = real
    try:
        yield url
    finally:
        server.stop()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_lotted_page_draws_at_desktop_and_phone_width(lots_url, tmp_path, width):
    sync_api = pytest.importorskip("playwright.sync_api")
    keep = ROOT / "tests" / "artifacts" if (ROOT / "tests" / "artifacts").is_dir() else \
        Path(os.environ["SV_SHOTS"]) if os.environ.get("SV_SHOTS") else None
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 3200 if width > 700 else 5200})
            for link, heading, words in PAGES:
                page.goto(f"{lots_url}/{link}", wait_until="domcontentloaded")  # each page by its address
                page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
                for _ in range(3):  # a page may draw in more than one pass (a rerun after a widget settles)
                    settled(page)
                body = page.inner_text("body")
                assert page.locator(EXCEPTION).count() == 0, link
                if link != "reports":  # the documents of a criteria tree are the reports helper's (reports16)
                    assert "Something went wrong inside the tool" not in body, link
                assert words in body, (link, words)
                shot = tmp_path / f"lots_{link or 'tender'}_{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(shot, keep / shot.name)
        finally:
            browser.close()
