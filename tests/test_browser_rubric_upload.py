"""Issue 14, hole 2, in a real browser: a supplier on the Self-assessment page uploads "the buyer's published
rubric" whose `proxies:` names /etc/passwd (or climbs out with ../). The page must refuse it in one line that
says where a proxy table may be, and show nothing of the server file.

Runs `streamlit run streamlit_app.py` driven by Debian's chromium through Playwright (see tests/browser.py)."""
from __future__ import annotations

import pytest

from tests.browser import ARGS, CHROMIUM, EXCEPTION, app_url, needs_chromium, settled  # noqa: F401,F811 (a fixture)
from tests.conftest import RUBRICS

pytestmark = needs_chromium


@pytest.mark.parametrize("named", ["/etc/passwd", "../../../etc/passwd"])
def test_self_assessment_upload_naming_a_server_file_is_refused_showing_none_of_it(app_url, tmp_path, named):
    sync_api = pytest.importorskip("playwright.sync_api")
    text = (RUBRICS / "home_care_north.yaml").read_text(encoding="utf-8")
    assert "proxies: proxies/public_2025.csv" in text
    rubric = tmp_path / "published_rubric.yaml"
    rubric.write_text(text.replace("proxies: proxies/public_2025.csv", f"proxies: {named}"), encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.goto(app_url, wait_until="domcontentloaded")
            settled(page)
            page.get_by_role("link", name="Self-assessment").click()
            page.get_by_role("heading", name="Self-assessment").first.wait_for(timeout=60_000)
            settled(page)
            page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(rubric))
            page.get_by_text("This rubric cannot be used").first.wait_for(timeout=60_000)
            settled(page)
            assert page.locator(EXCEPTION).count() == 0
            body = page.inner_text("body")
            assert "root:" not in body and "/bin/bash" not in body and "nologin" not in body
            assert "Something went wrong inside the tool" not in body
            errors = page.locator('[data-testid="stAlertContentError"]')
            shown = "\n".join(errors.nth(i).inner_text() for i in range(errors.count()))
            lines = [ln for ln in shown.splitlines() if "proxies" in ln]
            assert len(lines) == 1, shown
            refusal = lines[0]
            assert "published_rubric.yaml" in refusal and named in refusal
            assert "uploaded" in refusal and "shipped" in refusal and "proxies/public_2025.csv" in refusal
            assert page.get_by_text("Design lens marks").count() == 0  # nothing assessed against it
        finally:
            browser.close()
