"""Issue 14, the loaders' holes, as the app shows them: an uploaded rubric's `proxies:` must not lead to
server files (2), and text a loader cannot encode is a one-line problem naming the upload (9). The engine's
side of each hole is tested beside its loader (test_rubric.py, test_bids.py, test_scores.py,
test_proxies.py). Each test asserts what a user sees on the page."""
from __future__ import annotations

import pytest

from tests.apptest import APP, messages, ok, unescape, upload
from tests.conftest import RUBRICS, SAMPLES
from tests.test_bids import cp1252_bulk

HOME = RUBRICS / "home_care_north.yaml"
HOME_BIDS = SAMPLES / "home_care_north"


def _self_assessment():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/self_assessment.py").run()
    return at


@pytest.mark.parametrize("named", ["/etc/passwd", "../../../etc/passwd", "../../../../../../../../etc/passwd",
                                   "rubric.yaml"])
def test_self_assessment_upload_cannot_name_a_server_file(named):
    text = HOME.read_text(encoding="utf-8").replace("proxies: proxies/public_2025.csv", f"proxies: {named}")
    at = _self_assessment()
    upload(at, "draft_rubric", ("rubric.yaml", text.encode("utf-8"), "text/yaml"))
    at.run()
    ok(at)
    shown = messages(at)
    page = " ".join(shown + [unescape(m.value) for m in at.markdown] + [t.value for t in at.text] +
                    [unescape(c.value) for c in at.caption] + [unescape(e.value) for e in at.exception])
    assert "root:" not in page and "/bin/bash" not in page
    refusal = [m for m in shown if "proxies" in m and "proxies/public_2025.csv" in m]
    assert refusal, shown
    assert "rubric.yaml" in refusal[0] and repr(named) in refusal[0]
    assert "uploaded" in refusal[0] and "shipped" in refusal[0]
    assert not at.metric  # nothing was assessed against it


def test_self_assessment_upload_of_a_rubric_naming_a_shipped_table_still_works():
    at = _self_assessment()
    upload(at, "draft_rubric", HOME)
    at.run()
    ok(at)
    assert any(t.value.startswith("Rubric: HC-2026-014") for t in at.text)
    assert any("Proxy table: the shipped table public_2025.csv" in unescape(c.value) for c in at.caption)
    draft = RUBRICS / "drafts" / "grounds_maintenance_tom_style.yaml"  # names ../proxies/public_2025.csv
    upload(at, "draft_rubric", draft)
    at.run()
    ok(at)
    assert not messages(at), messages(at)
    assert any("Proxy table: the shipped table public_2025.csv" in unescape(c.value) for c in at.caption)


# ------------------------------------------------------------------------------------------------ hole 9


def test_tender_page_upload_with_a_lone_surrogate_is_one_line_and_the_good_bids_load():
    import re
    from streamlit.testing.v1 import AppTest
    from tests.apptest import load_uploaded
    files = [p for p in sorted(HOME_BIDS.iterdir()) if p.suffix in (".yaml", ".json")]
    bad = (HOME_BIDS / "carewell_services.json").read_text(encoding="utf-8").replace(
        '"bidder": "Carewell Services Ltd"', '"bidder": "Sur\\ud800rogate Ltd"')
    at = AppTest.from_file(APP, default_timeout=60).run()
    upload(at, "up_rubric", HOME)
    upload(at, "up_bids", files + [("surrogate.json", bad.encode("utf-8"), "application/json")])
    load_uploaded(at)
    ok(at)
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == str(len(files))
    warnings = "\n".join(messages(at, "warning") + messages(at))
    found = [ln for ln in warnings.splitlines() if ln.startswith("surrogate.json")]
    assert len(found) == 1 and "surrogate" in found[0] and "bidder" in found[0], warnings
    assert not re.search(r"Traceback|unexpected", warnings)


def test_tender_page_upload_of_a_windows_1252_bulk_pair_says_how_it_was_read(tmp_path):
    """No silent fix in the app either: the note the command line prints (read as Windows-1252) is shown
    where the user is looking, naming the file as uploaded (no server path)."""
    from streamlit.testing.v1 import AppTest
    from tests.apptest import load_uploaded
    folder = cp1252_bulk(tmp_path, address="£1 Pound Lane")
    at = AppTest.from_file(APP, default_timeout=60).run()
    upload(at, "up_rubric", HOME)
    upload(at, "up_bids", [("bids.csv", (folder / "bids.csv").read_bytes(), "text/csv"),
                           ("commitments.csv", (folder / "commitments.csv").read_bytes(), "text/csv")])
    load_uploaded(at)
    ok(at)
    shown = "\n".join(unescape(m) for kind in ("info", "success", "warning") for m in messages(at, kind))
    read = [ln for ln in shown.splitlines() if "Windows-1252" in ln]
    assert [ln.split(":")[0] for ln in read] == ["bids.csv", "commitments.csv"], shown
    assert not any("/" in ln.split(":")[0] or "sv-bids-" in ln for ln in read), read
