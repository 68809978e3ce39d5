"""A large upload does not hold the server for everyone, and its memory goes back (issue 14, hole 11).

Bid files over app.uploads.OUT_OF_PROCESS_BYTES are read in a spawned process of their own (other users'
pages keep the interpreter; the parse's transient memory is returned when the process ends); a small
upload stays in the app's process. Either way a broken file is named as uploaded, in one line. The heavy
caches are bounded, and a big tender's evaluation lives in its session's cache only."""
from __future__ import annotations

import os
import re

import pytest

from app import uploads
from tests.apptest import messages, ok, upload, load_uploaded
from tests.test_app import start

BROKEN = ("broken.yaml", b"bidder: [unclosed\nprice: 1\n", "text/yaml")


@pytest.fixture
def pids(monkeypatch):
    seen: list[int] = []
    real = uploads.parse_bids

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(result[2])
        return result

    monkeypatch.setattr(uploads, "parse_bids", spy)
    return seen


def _load_bulk_with_a_broken_file(tmp_path):
    from bench.bench_bulk import generate
    generate(tmp_path, n_bids=12, n_rows=150, seed=3)
    at = start()
    upload(at, "up_bids", [tmp_path / "bids.csv", tmp_path / "commitments.csv", BROKEN])
    load_uploaded(at)
    ok(at)
    return at


def test_a_large_upload_is_read_in_another_process_and_a_broken_file_is_still_named(tmp_path, pids, monkeypatch):
    monkeypatch.setattr(uploads, "OUT_OF_PROCESS_BYTES", 1000)  # these files are ~70 kB: "large"
    at = _load_bulk_with_a_broken_file(tmp_path)
    assert len(pids) == 1 and pids[0] not in (os.getpid(), -1)
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == "12"
    warnings = "\n".join(messages(at, "warning"))
    assert re.search(r"^broken\.yaml, line \d+, column \d+: is not valid YAML", warnings, re.M), warnings
    assert "/tmp" not in warnings and "sv-bids-" not in warnings


def test_a_small_upload_is_read_in_the_app_process(tmp_path, pids):
    at = _load_bulk_with_a_broken_file(tmp_path)
    assert pids == [os.getpid()]
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == "12"
    assert re.search(r"^broken\.yaml, line \d+", "\n".join(messages(at, "warning")), re.M)


def test_a_worker_that_dies_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    import concurrent.futures
    from evaluator import load_rubric
    from tests.conftest import tender_paths

    class Dies(concurrent.futures.ProcessPoolExecutor):  # a child killed (out of memory) before it answers
        def submit(self, fn, *args, **kwargs):
            return super().submit(os._exit, 9)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Dies)
    rubric = load_rubric(tender_paths("home_care_north")[0])
    bidset, lines, pid = uploads.parse_bids([("bid.yaml", b"bidder: A\n")], rubric, uploads.OUT_OF_PROCESS_BYTES + 1)
    assert bidset is None and len(lines) == 1 and "\n" not in lines[0] and lines[0].startswith("uploaded bids:")


def _evaluations_in_two_sessions(monkeypatch) -> int:
    import streamlit as st
    from app import state
    st.cache_data.clear()
    calls: list[int] = []
    real = state.evaluate
    monkeypatch.setattr(state, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(2):  # two users, one after the other, on the same tender
        at = start("results")
        ok(at)
    return len(calls)


def test_a_small_tender_is_shared_between_users_and_a_big_one_is_not(monkeypatch):
    from app import state
    assert _evaluations_in_two_sessions(monkeypatch) == 1  # the 6-bid sample: evaluated once for everyone
    monkeypatch.setattr(state, "BIG_BIDS", 3)  # now the sample counts as big
    assert _evaluations_in_two_sessions(monkeypatch) == 2  # each session its own: nothing left when it ends


def test_the_shared_caches_of_a_tender_are_bounded_in_count_and_time():
    from app import state
    from app_pages import figures, reports, results, self_assessment, sensitivity, review
    for fn in (state._evaluate, state._load_workspace, figures.lens_tables, figures.walk_of,
               reports._report_set, results._results_table, self_assessment._assess, sensitivity._analyse,
               review.run_track):
        info = fn.shared._info
        assert info.max_entries and info.max_entries <= 64, fn
        assert info.ttl is not None, fn
