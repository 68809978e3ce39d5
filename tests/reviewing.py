"""What the review tests share: the OCDS fixtures, the Sell2Wales folder, finding a tender or its codes, and
the app's Review page (AppTest)."""
import subprocess
import sys

import pytest

from .conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "ocds"
WALES = ROOT.parent / "shared" / "data" / "ocds_wales"
needs_wales = pytest.mark.skipif(not WALES.is_dir(), reason="Sell2Wales releases not present")


def tender(review, ocid):
    return next(t for t in review.tenders if t["ocid"] == ocid)


def codes(obj):
    return [f["code"] for f in obj["flags"]]


def run(*args):
    return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def start(monkeypatch=None, role: str = "lead"):
    """The app's Review page (AppTest); with `monkeypatch`, as `role`'s demonstration persona on a server
    listening on this machine only (a path on the server is the lead's alone)."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, ok
    if monkeypatch is not None:
        from tests.panel_roles import demonstration
        at = demonstration(monkeypatch, role, page="app_pages/review.py")
        ok(at)
        return at
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/review.py").run()
    ok(at)
    return at
