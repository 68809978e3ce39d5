"""Every page reads as finished work (issue 19): each page of streamlit_app.py's PAGES, on every shipped
sample, as every demonstration persona shown it (the lead, each evaluator of the sample, an observer), through
AppTest; every heading, caption, message, metric, label, option and table checked against tests/page_text.py
(no None/NaN, no snake_case, no float with more than two decimals, no "£-", no spec section number, command
line or server path), and no error message (nothing was done wrong on an untouched sample). A failure lists
every offence on that page: page | sample | persona(s) | element | text.

The sweep runs once per module (about a minute); set SV_OFFENCES_OUT=FILE to write the whole list there, or
run `python -m tests.every_page FILE`."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.every_page import SAMPLE_NAMES, pages, report, sweep

pytest.importorskip("streamlit.testing.v1")

TITLES = [title for _, title in pages()]


@pytest.fixture(scope="module")
def visits():
    found = sweep()
    out = os.environ.get("SV_OFFENCES_OUT")
    if out:
        Path(out).write_text(report(found) + "\n")
    return found


def test_every_page_was_visited_on_every_sample_by_the_lead(visits):
    seen = {(v.sample, v.page) for v in visits if v.persona == "Procurement lead"}
    assert seen == {(s, t) for s in SAMPLE_NAMES for t in TITLES}
    assert all(v.texts > 0 for v in visits), [(v.sample, v.persona, v.page) for v in visits if not v.texts]
    evaluators = {v.persona for v in visits if v.persona.endswith("(evaluator)")}
    assert len(evaluators) >= 3 * len(SAMPLE_NAMES)  # each sample's own panel


@pytest.mark.parametrize("title", TITLES)
def test_page_reads_as_finished_work(visits, title):
    mine = [v for v in visits if v.page == title]
    assert mine, f"{title} was never visited"
    lines = [line for line in report(mine).splitlines() if line.startswith(f"{title} | ")]
    if lines:
        pytest.fail(f"{len(lines)} offences on {title}:\n" + "\n".join(lines), pytrace=False)
