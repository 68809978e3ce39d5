"""What the review tests share: the OCDS fixtures, the Sell2Wales folder, and finding a tender or its codes."""
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
