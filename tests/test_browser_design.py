"""Issue 16 in a real browser: on the Design page a commissioner adds a group of sub-criteria, then a
sub-criterion under it with a share of 60, and sees at once, in place, that the group's shares add up to 60,
not 100 (and the draft is not used); a second sub-criterion with 40 makes the design valid again.

Runs `streamlit run streamlit_app.py` driven by Debian's chromium through Playwright (see tests/browser.py)."""
from __future__ import annotations

import re

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
                page.get_by_text("counted in FTE-years").first.wait_for(timeout=60_000)
                page.get_by_text("Add an outcome from the Social Value Model").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_library_{width}x{height}.png"))
                page.get_by_role("button", name="Add this outcome", exact=True).click()
                settled(page)
                page.get_by_text("with the measure EMP-LOCAL-BARRIERS (counted in FTE-years)").first.wait_for(timeout=60_000)
                page.get_by_text("The design is valid and in use on every page.").first.wait_for(timeout=60_000)
                page.get_by_text("Add this outcome").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_library_added_{width}x{height}.png"))
                assert page.locator(EXCEPTION).count() == 0
                assert "Something went wrong inside the tool" not in page.inner_text("body")
                page.close()
        finally:
            browser.close()


FIELDS = [("O1", "Target over the term", "31"), ("O1", "Priority", "36"), ("O1", "Baseline", "2"),
          ("O2", "Target over the term", "12"), ("O2", "Priority", "27"), ("Q1", "Minimum score", "45")]


def _open_design(page, app_url: str, width: int) -> None:
    page.goto(app_url, wait_until="domcontentloaded")
    settled(page)
    if width < 600:  # on a phone the page list sits behind the sidebar button
        page.goto(f"{app_url}/design", wait_until="domcontentloaded")
    else:
        page.get_by_role("link", name="Design", exact=True).click()
    page.get_by_role("heading", name="Outcomes the buyer wants to buy").first.wait_for(timeout=60_000)
    settled(page)


def _form(page, rid: str):
    """The expander of criterion or outcome `rid`, opened."""
    box = page.locator("details").filter(
        has=page.locator("summary [data-testid='stMarkdownContainer']",
                         has_text=re.compile(rf"^{re.escape(rid)} "))).first
    box.scroll_into_view_if_needed()
    if box.get_attribute("open") is None:
        box.locator("summary").first.click()
    return box


def _box(form, label: str):
    return form.locator("input").and_(form.get_by_label(label, exact=True)).first


def _no_sideways_scroll(page) -> None:
    """Neither the document nor Streamlit's page body (stMain, which is what scrolls) is wider than the window;
    a table may scroll within its own frame."""
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"the page scrolls sideways: {wide[0]} px wide in a {wide[1]} px window"
    body = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                         " return [m.scrollWidth, m.clientWidth]; }")
    assert body[0] <= body[1], f"the page body scrolls sideways: {body[0]} px wide in {body[1]} px"


def test_quick_typing_keeps_every_value_and_nothing_scrolls_sideways(app_url, tmp_path):
    """A commissioner types into six fields of three forms, one every half second without waiting for the app,
    then leaves the page and comes back: every value is there. At 1440x900 and 390x844 the page never
    scrolls sideways, and each form shows its fields with their labels (screenshots kept in
    SOCIAL_VALUE_SHOTS when set)."""
    import os
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    shots = Path(os.environ.get("SOCIAL_VALUE_SHOTS") or tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            _open_design(page, app_url, 1440)
            forms = {rid: _form(page, rid) for rid in ("O1", "O2", "Q1")}
            settled(page)
            for rid, label, value in FIELDS:  # one every half second, never waiting for the app
                box = _box(forms[rid], label)
                box.click()
                box.fill(value)
                box.press("Tab")
                page.wait_for_timeout(500)
            settled(page)
            for rid, label, value in FIELDS:
                assert float(_box(forms[rid], label).input_value()) == float(value), (rid, label)
            page.get_by_role("link", name="Results", exact=True).click()
            settled(page)
            page.get_by_role("link", name="Design", exact=True).click()
            page.get_by_role("heading", name="Outcomes the buyer wants to buy").first.wait_for(timeout=60_000)
            settled(page)
            forms = {rid: _form(page, rid) for rid in ("O1", "O2", "Q1")}
            settled(page)
            for rid, label, value in FIELDS:
                assert float(_box(forms[rid], label).input_value()) == float(value), (rid, label, "after leaving")
            page.get_by_text("The design is valid and in use on every page.").first.wait_for(timeout=60_000)
            assert page.locator(EXCEPTION).count() == 0
            page.close()
            for width, height in ((1440, 900), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                _open_design(page, app_url, width)
                _no_sideways_scroll(page)
                form = _form(page, "O1")
                settled(page)
                for label in ("Target over the term", "Priority", "Evidence required", "If not delivered"):
                    form.get_by_text(label, exact=True).first.wait_for(timeout=30_000)
                form.scroll_into_view_if_needed()
                _no_sideways_scroll(page)
                page.screenshot(path=str(shots / f"design_outcome_form_{width}x{height}.png"))
                crit = _form(page, "Q1")
                settled(page)
                for label in ("Minimum score", "Counts as social value", "Own scale", "Question wording"):
                    crit.get_by_text(label, exact=True).first.wait_for(timeout=30_000)
                page.get_by_role("heading", name="Criteria and weights").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_criteria_{width}x{height}.png"))
                page.get_by_role("heading", name="Checks").first.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"design_checks_{width}x{height}.png"))
                _no_sideways_scroll(page)
                assert page.locator(EXCEPTION).count() == 0
                assert "Something went wrong inside the tool" not in page.inner_text("body")
                page.close()
        finally:
            browser.close()
