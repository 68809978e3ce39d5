"""Every page in a real browser (issue 19, "How you will know"): one `streamlit run` server, Debian's chromium
through Playwright; each shipped sample opened on the Tender page ("Sample tender", "Open this sample"), then
every page as the lead persona (and Score as an evaluator of the sample, after declaring no conflict), each
at a desk (1440x900) and on a phone (390x844). Full-page screenshots go to the test's tmp folder and to
tests/artifacts/pages/<sample>_<page>_<size>.png when tests/artifacts exists: look at them before a change lands.

It fails on an exception box, the app's "Something went wrong inside the tool", an error message (nothing
was done wrong on an untouched sample), any offence of tests/page_text.py in the page's text (page_offences)
and in any table the page draws (table_offences; a table is drawn on a canvas, so it is read from the
websocket, as the browser received it). The failure lists every offence: sample | page | persona | where |
text. A page's text is read once, at the desk; the phone changes the layout, not the words.

Runs where chromium is installed (CI installs it); skips otherwise."""
from __future__ import annotations

import re

import pytest

from app.samples import SAMPLES
from tests.apptest import GENERIC
from tests.browser import (ARGS, CHROMIUM, EXCEPTION, NO_CACHE, DrawnTables, Server, go_to, needs_chromium, pick,
                           screenshot, settled)
from tests.every_page import pages
from tests.page_text import page_offences, table_offences

pytestmark = needs_chromium

DESK, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
SIZES = {"1440x900": DESK, "390x844": PHONE}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _open_sample(page, sample: str) -> None:
    """The Tender page's "Sample tender" (the sample's place in app/samples.py's list) and "Open this sample"."""
    go_to(page, "Tender")
    page.get_by_role("combobox", name="Sample tender").click()
    page.get_by_role("option").nth(list(SAMPLES).index(sample)).click()
    settled(page)
    page.get_by_role("button", name="Open this sample").click()
    page.get_by_text("Opened the shipped sample").first.wait_for(timeout=90_000)
    settled(page)


def _evaluator(sample: str) -> str:
    import pandas as pd
    names = sorted(set(pd.read_csv(SAMPLES[sample][2])["evaluator"].astype(str)) - {"MODERATED"})
    return names[0]


def _declare_no_conflict(page, tables: DrawnTables) -> None:
    """Declare no conflict on the Score page; a click the browser sends while the page is still being drawn can
    be lost on a loaded machine, so the form is submitted again (up to three times) until it goes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    declare = page.get_by_role("button", name="Record my declaration")
    for attempt in range(3):
        if not declare.count():
            break
        settled(page)
        choice = page.get_by_role("radio", name=re.compile("I have no conflict of interest"))
        choice.check(force=True)  # the radio's own input (its label's text is also in a refusal's message)
        page.wait_for_function("(e) => e.checked", arg=choice.element_handle(), timeout=30_000)
        tables.take()
        declare.click()
        try:
            declare.wait_for(state="detached", timeout=30_000 * (attempt + 1))
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    settled(page)


def _read(page, tables: DrawnTables, where: str, found: list[str]) -> int:
    """Everything wrong on the page drawn now, into `found` as "where | element | offence"; the number of
    tables read."""
    if page.locator(EXCEPTION).count():
        found.append(f"{where} | exception box | {page.locator(EXCEPTION).first.inner_text()[:300]}")
    for error in page.locator('[data-testid="stAlertContentError"]').all_inner_texts():  # nothing was done wrong
        found.append(f"{where} | error | an error on the untouched shipped sample: {error[:300]}")
    body = page.inner_text("body")
    for icon in set(page.locator('[data-testid="stIconMaterial"]').all_inner_texts()):  # "keyboard_arrow_right"
        body = re.sub(rf"(?m)^\s*{re.escape(icon)}\s*$", "", body)
    if GENERIC in body:
        found.append(f"{where} | message | {GENERIC}")
    found += [f"{where} | page text | {o}" for o in page_offences(body)]
    drawn = tables.take()
    for df, config, placeholder in drawn:
        name = f"table [{', '.join(map(str, list(df.columns)[:4]))}{', …' if df.shape[1] > 4 else ''}]"
        found += [f"{where} | {name} | {o}" for o in table_offences(df, config, placeholder)]
    return len(drawn)


def _both_sizes(page, tmp_path, name: str) -> list[str]:
    shots = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(600)  # columns stack, charts redraw at the new width
        settled(page)
        shots.append(screenshot(page, tmp_path, f"{name}_{size}"))
    page.set_viewport_size(DESK)
    return shots


def test_every_page_on_every_sample_at_a_desk_and_on_a_phone(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    server = Server(tmp_path / "home", tmp_path / "server.log", options=NO_CACHE)
    found: list[str] = []
    shots = []
    read = {}  # (sample, page) -> tables read from the websocket
    try:
        url = server.start()
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for sample in SAMPLES:
                    page = browser.new_page(viewport=DESK)
                    tables = DrawnTables(page)
                    page.goto(url, wait_until="domcontentloaded")
                    settled(page)
                    _open_sample(page, sample)
                    for _, title in pages():
                        tables.take()
                        go_to(page, title)
                        read[(sample, title)] = _read(page, tables, f"{sample} | {title} | lead", found)
                        shots += _both_sizes(page, tmp_path, f"{sample}_{_slug(title)}")
                    evaluator = _evaluator(sample)
                    pick(page, "Demonstration persona", evaluator)
                    tables.take()
                    go_to(page, "Score")
                    _declare_no_conflict(page, tables)  # then the page is drawn again, with the scoring
                    _read(page, tables, f"{sample} | Score | {evaluator} (evaluator)", found)
                    shots += _both_sizes(page, tmp_path, f"{sample}_score_evaluator")
                    page.close()
            finally:
                browser.close()
    finally:
        server.stop()
    assert all(read[(s, "Results")] >= 2 for s in SAMPLES), read  # the tables did come through the websocket
    assert len(shots) == len(SAMPLES) * (len(pages()) + 1) * 2 and all(s.stat().st_size > 10_000 for s in shots)
    if found:
        pytest.fail(f"{len(found)} offences (sample | page | persona | where | offence):\n" + "\n".join(found),
                    pytrace=False)
