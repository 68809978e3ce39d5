"""Uploads are bounded by what a real tender needs (issue 14, hole 11).

The bound is the server's `maxUploadSize` in .streamlit/config.toml, 100 MB a file: room for a bulk framework
of 5,000 bids with 40 commitments each (200,000 rows, about 91 MB of commitments.csv) and far beyond any
shipped or sample file; larger OCDS downloads are reviewed from a path on the machine instead. The browser
refuses a larger file with a message naming the limit, and the server refuses it from a client that does not
(413), so it is never held in the server's memory. The README says so."""
from __future__ import annotations

import tomllib

import pytest

from tests.browser import ARGS, CHROMIUM, app_url, needs_chromium, settled  # noqa: F401,F811 (a fixture)
from tests.conftest import ROOT

LIMIT_MB = 100


def test_the_configured_bound_is_what_a_tender_needs():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] == LIMIT_MB
    # every shipped file is far inside it, and so is a 5,000-bid bulk framework (455 bytes a row, measured)
    shipped = [p for d in ("rubrics", "sample_bids") for p in (ROOT / d).rglob("*") if p.is_file()]
    assert max(p.stat().st_size for p in shipped) < LIMIT_MB * 1024 * 1024 / 100
    assert 5000 * 40 * 455 < LIMIT_MB * 1024 * 1024


def test_the_readme_states_the_bound():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f"{LIMIT_MB} MB a file" in readme and "maxUploadSize" in readme


@needs_chromium
def test_a_file_over_the_bound_is_refused_naming_the_limit(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    big = tmp_path / "commitments.csv"
    with open(big, "wb") as f:
        f.write(b"bidder,id,measure,quantity\n")
        f.truncate(LIMIT_MB * 1024 * 1024 + 1)   # one byte over
    small = tmp_path / "bids.csv"
    small.write_text("bidder,price\nA Ltd,100\n")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            uploads = []
            page.on("request", lambda r: uploads.append(r.url) if "/_stcore/upload_file/" in r.url else None)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("HC-2026-014").first.wait_for(timeout=60_000)
            settled(page)
            bids = page.locator('[data-testid="stFileUploader"]').filter(has_text="Bids:")
            assert f"{LIMIT_MB}MB per file" in bids.inner_text()       # the limit shown before anyone tries
            bids.locator('input[type="file"]').set_input_files([str(small), str(big)])
            page.get_by_text(f"File must be {LIMIT_MB}.0MB or smaller.").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            assert uploads and all("commitments" not in u for u in uploads)  # the small file went, not the big one
            # A client that ignores the browser's check: the server refuses the body as too large.
            status = page.evaluate("""async ([url, size]) => {
                const token = (document.cookie.match(/_streamlit_xsrf=([^;]+)/) || [])[1] || "";
                const form = new FormData();
                form.append("file", new Blob([new Uint8Array(size)]), "commitments.csv");
                const r = await fetch(url, {method: "PUT", body: form, headers: {"X-Xsrftoken": token}});
                return r.status;
            }""", [uploads[0], LIMIT_MB * 1024 * 1024 + 4096])
            assert status == 413
        finally:
            browser.close()
