"""Provenance: the fingerprints and settings printed in the evaluation report can be recomputed."""
from __future__ import annotations

import hashlib

from evaluator.provenance import Inputs, settings_json

from .report_fixture import BIDS, FIX, RUBRIC, SCORES, flat
from .report_fixture import fixture_ev, report_dir, report_text  # noqa: F401 - fixtures


def test_fingerprints_match_the_files_and_the_settings(report_text, fixture_ev):
    files = [RUBRIC, FIX / "proxies" / "public_2025.csv", SCORES] + sorted(p for p in BIDS.iterdir() if p.name != "scores.csv")
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() in report_text, f.name
    inputs = Inputs(scores_path=SCORES, options={"skip_invalid": False})
    sj = settings_json(fixture_ev, inputs)
    assert hashlib.sha256(sj.encode("utf-8")).hexdigest() in report_text   # recomputable from the printed text
    assert flat(sj)[:200] in report_text


def test_the_settings_fingerprint_changes_with_a_setting(fixture_ev):
    a = settings_json(fixture_ev, Inputs(options={"skip_invalid": False}))
    assert a != settings_json(fixture_ev, Inputs(options={"skip_invalid": True}))
