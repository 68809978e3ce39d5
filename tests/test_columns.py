"""The shortcuts a bulk tender relies on must give exactly the answers of the long way.

Text codes from the CSV parse stand in for pandas' own grouping in every check, so they are tested
against pd.factorize column by column on a real tender in the bulk form; a table changed in place must
be grouped again, not by stale codes.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluator import columns as util
from evaluator.bids import load_bids
from evaluator.rubric import load_rubric

from .test_bad_input import ROOT, copy_tender

TEXT_COLUMNS = ["bidder", "id", "measure", "outcome", "description", "unit", "location", "beneficiaries",
                "evidence_grade", "evidence_description", "deflator_rationale", "narrative", "kpi", "_bid"]


@pytest.fixture
def bulk(tmp_path: Path):
    tender = copy_tender(tmp_path / "tender")
    tender.to_bulk()
    return tender


def test_codes_from_the_parse_are_pandas_codes(bulk):
    """Every text column of the sample tender, read in the bulk form, groups exactly as pd.factorize."""
    bidset = load_bids(bulk.bids, load_rubric(bulk.rubric))
    c = bidset.commitments
    assert len(c) > 20
    known = 0
    for name in TEXT_COLUMNS:
        values = c[name].to_numpy()
        codes, uniques = util.factorize_text(values)
        want_codes, want_uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        assert np.array_equal(codes, want_codes), name
        assert list(uniques) == list(want_uniques), name
        known += util.known_codes(values) is not None
    assert known >= 10  # most columns came with their codes from the parse (none had to be hashed again)


def test_a_column_changed_in_place_is_grouped_again(bulk):
    bidset = load_bids(bulk.bids, load_rubric(bulk.rubric))
    values = bidset.commitments["measure"].to_numpy()
    assert util.known_codes(values) is not None
    owner = values.base if values.base is not None else values
    changed = owner.copy()
    util.remember_codes(changed, *util.known_codes(values))
    changed[3] = "A-MEASURE-NOBODY-ELSE-USES"  # an edit after the codes were recorded
    assert util.known_codes(changed) is None
    codes, uniques = util.factorize_text(changed)
    want_codes, want_uniques = pd.factorize(pd.Series(changed, dtype=object), use_na_sentinel=True)
    assert np.array_equal(codes, want_codes) and list(uniques) == list(want_uniques)
    assert "A-MEASURE-NOBODY-ELSE-USES" in list(uniques)


def test_spread_groups_equal_text_as_pandas_does():
    # two spellings that normalise to the same text, and a value that normalises to nothing
    codes, _ = pd.factorize(pd.Series(["Leeds ", "leeds", None, "York", "Leeds ", "york"], dtype=object))
    out = util.spread(["leeds", "leeds", "york", "york"], codes)
    assert list(out) == ["leeds", "leeds", None, "york", "leeds", "york"]
    got = util.known_codes(out)
    assert got is not None
    want_codes, want_uniques = pd.factorize(pd.Series(out, dtype=object), use_na_sentinel=True)
    assert np.array_equal(got[0], want_codes) and list(got[1]) == list(want_uniques)


def test_spread_of_numbers_or_a_filled_gap_records_nothing():
    codes = np.array([0, 1, -1, 0])
    assert list(util.spread([1.5, 2.5], codes, 0.0)) == [1.5, 2.5, 0.0, 1.5]
    filled = util.spread(["a", "b"], codes, "none given")
    assert list(filled) == ["a", "b", "none given", "a"] and util.known_codes(filled) is None


def test_command_line_on_the_bulk_form_matches_the_single_files(bulk, tmp_path):
    """The command line (with its process tuning) ranks the bulk form exactly as the bid files it came from."""
    def run(bids: Path) -> dict:
        out = subprocess.run([sys.executable, "-m", "evaluator", "evaluate", "--rubric", str(bulk.rubric),
                              "--bids", str(bids), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    single = copy_tender(tmp_path / "single")
    got, want = run(bulk.bids), run(single.bids)
    strip = lambda doc: [{k: v for k, v in b.items() if k != "flags"} for b in doc["bids"]]  # noqa: E731
    assert strip(got) == strip(want)
    assert [sorted(f["code"] for f in b["flags"]) for b in got["bids"]] == \
        [sorted(f["code"] for f in b["flags"]) for b in want["bids"]]


def test_codes_recorded_from_a_view_are_read_safely():
    """Distinct values handed over as a reversed view are copied before their pointers are read."""
    values = np.array(["north", "south", "north", None], dtype=object)
    uniques = np.array(["east", "south", "north"], dtype=object)[::-1]  # a view running backwards
    util.remember_codes(values, np.array([0, 1, 0, -1]), uniques)
    codes, got = util.known_codes(values)
    assert list(codes) == [0, 1, 0, -1] and list(got) == ["north", "south", "east"]


def test_positions_are_pandas_positions(bulk):
    """Each commitment's bid found once per distinct name gives exactly pandas' row-by-row look-up,
    including names that are not among the bids."""
    bidset = load_bids(bulk.bids, load_rubric(bulk.rubric))
    names = bidset.bids["bidder"].tolist()
    rows = bidset.commitments["bidder"].to_numpy()
    some = names[::2]  # half the bids: the other half's rows must come back as -1
    assert np.array_equal(util.positions(some, rows), pd.Index(some, dtype=object).get_indexer(rows))
    assert (util.positions(some, rows) == -1).any() and (util.positions(names, rows) >= 0).all()
