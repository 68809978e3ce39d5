"""Issue 16 in a real browser: on the Design page a commissioner adds a group of sub-criteria, then a
sub-criterion under it with a share of 60, and sees at once, in place, that the group's shares add up to 60,
not 100 (and the draft is not used); a second sub-criterion with 40 makes the design valid again.

Runs `streamlit run streamlit_app.py` driven by Debian's chromium through Playwright (see tests/browser.py)."""
from __future__ import annotations

import pytest

from tests.browser import ARGS, CHROMIUM, EXCEPTION, app_url, needs_chromium, settled  # noqa: F401,F811 (a fixture)

pytestmark = needs_chromium


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()  # a Streamlit selectbox opens a list of options
    page.get_by_role("option", name=option).first.click()
    settled(page)


def _type(page, label: str, text: str) -> None:
    box = page.locator("input").and_(page.get_by_label(label, exact=True)).first
    box.fill(text)
    box.press("Enter")
    settled(page)


def _add(page, under: str, cid: str, name: str, kind: str, amount: str) -> None:
    _choose(page, "Under", under)
    _type(page, "Id", cid)
    _type(page, "Name", name)
    _choose(page, "Kind", kind)
    _type(page, "Share % (weight at the top level)", amount)
    page.get_by_role("button", name="Add", exact=True).click()
    settled(page)


def test_adding_a_sub_criterion_shows_the_groups_sum_in_place(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            page.goto(app_url, wait_until="domcontentloaded")
            settled(page)
            page.get_by_role("link", name="Design", exact=True).click()
            page.get_by_role("heading", name="Criteria and weights").first.wait_for(timeout=60_000)
            settled(page)
            _add(page, "Top level", "QG", "Staffing", "Group of sub-criteria", "0")
            page.get_by_text("Staffing (QG) has no sub-criteria yet").first.wait_for(timeout=60_000)
            _add(page, "Staffing (QG)", "QG1", "Recruitment", "Scored question", "60")
            message = page.get_by_text("Staffing (QG): the shares of its sub-criteria add up to 60, not 100")
            message.first.wait_for(timeout=60_000)
            assert page.get_by_text("This draft cannot be used").count() >= 1
            _add(page, "Staffing (QG)", "QG2", "Retention", "Scored question", "40")
            page.get_by_text("The design is valid and in use on every page.").first.wait_for(timeout=60_000)
            assert message.count() == 0
            assert page.locator(EXCEPTION).count() == 0
            assert "Something went wrong inside the tool" not in page.inner_text("body")
        finally:
            browser.close()


SHOTS = None  # set SOCIAL_VALUE_SHOTS=<folder> to keep screenshots of the Social Value Model picker


def test_adding_an_outcome_from_the_social_value_model(app_url, tmp_path):
    """A commissioner opens 'Add an outcome from the Social Value Model', picks the theme 'Tackling economic
    inequality' and its outcome 'Create new businesses, new jobs and new skills', sees its published wording,
    source and the suggested measure with its unit, adds it, and the design stays valid with the new outcome."""
    import os
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    shots = Path(os.environ.get("SOCIAL_VALUE_SHOTS") or tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width, height in ((1440, 900), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(app_url, wait_until="domcontentloaded")
                settled(page)
                if width < 600:  # on a phone the page list sits behind the sidebar button
                    page.goto(f"{app_url}/design", wait_until="domcontentloaded")
                else:
                    page.get_by_role("link", name="Design", exact=True).click()
                page.get_by_role("heading", name="Outcomes the buyer wants to buy").first.wait_for(timeout=60_000)
                settled(page)
                page.get_by_text("Add an outcome from the Social Value Model").first.click()
                settled(page)
                _choose(page, "Mission or theme", "Tackling economic inequality (theme, Social Value Model 2020, PPN 06/20)")
                _choose(page, "Outcome", "Create new businesses, new jobs and new skills")
                page.get_by_text("Suggested measure: EMP-LOCAL-BARRIERS").first.wait_for(timeout=60_000)
                assert page.get_by_text("unit fte_year").count() >= 1
                page.get_by_text("Add an outcome from the Social Value Model").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_library_{width}x{height}.png"))
                page.get_by_role("button", name="Add this outcome", exact=True).click()
                settled(page)
                page.get_by_text("with the measure EMP-LOCAL-BARRIERS (unit fte_year)").first.wait_for(timeout=60_000)
                page.get_by_text("The design is valid and in use on every page.").first.wait_for(timeout=60_000)
                page.get_by_text("Add this outcome").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_library_added_{width}x{height}.png"))
                assert page.locator(EXCEPTION).count() == 0
                assert "Something went wrong inside the tool" not in page.inner_text("body")
                page.close()
        finally:
            browser.close()
