"""The flag catalogue is the one place a flag's name, severity and fix are written: it must hold every code
DESIGN.md section 5 publishes, exactly as published, and every code the engine can raise."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluator.flags import CATALOGUE, FLAG_COLUMNS, fix_text, make_flags

ROOT = Path(__file__).resolve().parents[1]

# DESIGN.md section 5, copied by hand (code: name, severity): the public contract.
DESIGN = {
    "SV101": ("unknown-measure", "error"), "SV102": ("arithmetic", "warning"),
    "SV103": ("proxy-inflated", "warning"), "SV104": ("unit-mismatch", "error"),
    "SV105": ("no-evidence", "error"), "SV106": ("evidence-below-required", "warning"),
    "SV107": ("beyond-term", "warning"), "SV108": ("double-count", "error"),
    "SV109": ("implausible-quantity", "error"), "SV110": ("output-not-outcome", "warning"),
    "SV111": ("no-additionality", "warning"), "SV112": ("nominal-deflator", "warning"),
    "SV113": ("not-local", "error"), "SV114": ("off-design", "warning"),
    "SV115": ("no-narrative", "warning"), "SV116": ("no-monitoring", "warning"),
    "SV117": ("not-contract-specific", "error"),
    "SV201": ("claimed-share-outlier", "warning"), "SV202": ("missing-response", "warning"),
    "SV203": ("below-threshold", "error"), "SV204": ("abnormally-low-price", "warning"),
    "SV205": ("evaluator-disagreement", "warning"), "SV206": ("no-consensus", "info"),
    "SV207": ("unscored", "warning"),
    "SV301": ("weights-sum", "error"), "SV302": ("social-value-weight-low", "warning"),
    "SV303": ("too-many-outcomes", "warning"), "SV304": ("outcome-no-target", "warning"),
    "SV305": ("outcome-no-evidence-requirement", "info"), "SV306": ("figures-only", "warning"),
    "SV308": ("no-remedy", "info"),
}


def test_every_published_code_is_catalogued_as_published():
    assert {code: (CATALOGUE[code].name, CATALOGUE[code].severity) for code in DESIGN if code in CATALOGUE} \
        == DESIGN
    assert set(DESIGN) <= set(CATALOGUE)


def test_every_code_the_engine_names_is_catalogued():
    """A code written anywhere in the engine or the app (a rule that raises it, a page that filters on it)
    is one the catalogue knows: a new flag cannot be raised with no name, severity or fix."""
    named = set()
    for path in list((ROOT / "evaluator").rglob("*.py")) + list((ROOT / "app_pages").rglob("*.py")):
        named |= set(re.findall(r"""["'](SV\d{3})["']""", path.read_text(encoding="utf-8")))
    assert len(named) > 30
    assert named <= set(CATALOGUE), sorted(named - set(CATALOGUE))


def test_every_entry_is_complete():
    for code, entry in CATALOGUE.items():
        assert entry.code == code and re.fullmatch(r"SV\d{3}", code)
        assert entry.severity in ("error", "warning", "info")
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", entry.name)
        for fix in [entry.fix, *entry.fixes.values()]:
            assert fix[:1].isupper() and fix.endswith("."), (code, fix)
    assert len({e.name for e in CATALOGUE.values()}) == len(CATALOGUE)  # a name means one code


def test_flags_take_name_severity_and_fix_from_the_catalogue():
    flags = make_flags("SV206", np.array(["A", "B"], dtype=object), np.array(["m1", "m2"], dtype=object),
                       criterion=np.array(["Q1", "Q2"], dtype=object))
    assert list(flags.columns) == FLAG_COLUMNS
    assert flags["name"].tolist() == ["no-consensus"] * 2 and flags["severity"].tolist() == ["info"] * 2
    assert flags["fix"].tolist() == [CATALOGUE["SV206"].fix] * 2
    assert flags["commitment"].tolist() == [None, None]
    with pytest.raises(KeyError):
        make_flags("SV999", "A", "m")


def test_a_fix_names_the_flags_own_numbers_row_by_row():
    one = fix_text("SV103", ref_value="£12", ref_unit="hour")
    assert one == "Use the reference value of £12 per hour from the proxy table, or cite a published source " \
                  "for a higher one."
    rows = fix_text("SV103", ref_value=pd.Series(["£12", "£3"], dtype=object),
                    ref_unit=np.array(["hour", "tco2e"], dtype=object))
    assert rows.tolist() == [one, one.replace("£12 per hour", "£3 per tco2e")]
    assert fix_text("SV301", "published") != fix_text("SV301")
