"""The shortcuts a bulk tender relies on must give exactly the answers of the long way.

Text codes from the CSV parse stand in for pandas' own grouping in every check, so they are tested
against pd.factorize column by column on a real tender in the bulk form.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator import columns as util
from evaluator.bids import load_bids
from evaluator.rubric import load_rubric

from .test_bad_input import ROOT, copy_tender

TEXT_COLUMNS = ["bidder", "id", "measure", "outcome", "description", "unit", "location", "beneficiaries",
                "evidence_grade", "evidence_description", "deflator_rationale", "narrative", "kpi", "_bid"]



def test_codes_from_the_parse_are_pandas_codes(bulk):
    """Every text column of the sample tender, read in the bulk form, groups its rows exactly as
    pd.factorize groups the values; the repeated ones come as categoricals (codes from the parse), and
    their values are the text as loaded."""
    bidset = load_bids(bulk.bids, load_rubric(bulk.rubric))
    c = bidset.commitments
    assert len(c) > 20
    plain = pd.read_csv(bulk.bids / "commitments.csv", dtype=str, keep_default_na=False)
    assert len(plain) == len(c)
    typed = {name: [v.strip() or None for v in plain[name]] for name in TEXT_COLUMNS if name in plain}
    assert len(typed) >= 10
    coded = [name for name in TEXT_COLUMNS if isinstance(c[name].dtype, pd.CategoricalDtype)]
    assert {"bidder", "measure", "unit", "evidence_grade", "_bid"} <= set(coded)
    for name in TEXT_COLUMNS:
        codes, uniques = util.factorize(c[name])
        values = np.append(uniques, None)[codes]
        if name in typed:  # the text as the CSV holds it, read the plain way: trimmed, blank = missing
            assert list(values) == typed[name], name
        want_codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        assert np.array_equal(pd.factorize(codes)[0], pd.factorize(want_codes)[0]), name
        assert np.array_equal(codes < 0, want_codes < 0), name


def test_spread_codes_groups_equal_text_as_pandas_does():
    # two spellings that normalise to the same text, and a value that normalises to nothing
    codes, _ = pd.factorize(pd.Series(["Leeds ", "leeds", None, "York", "Leeds ", "york"], dtype=object))
    out = util.spread_codes(["leeds", "leeds", "york", "york"], codes)
    assert list(pd.Series(out).astype(object).where(pd.notna(out), None)) == \
        ["leeds", "leeds", None, "york", "leeds", "york"]
    assert list(out.categories) == ["leeds", "york"] and list(out.codes) == [0, 0, -1, 1, 0, 1]


def test_spread_of_numbers_or_a_filled_gap():
    codes = np.array([0, 1, -1, 0])
    assert list(util.spread([1.5, 2.5], codes, 0.0)) == [1.5, 2.5, 0.0, 1.5]
    assert list(util.spread(["a", "b"], codes, "none given")) == ["a", "b", "none given", "a"]


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


def test_positions_are_pandas_positions(bulk):
    """Each commitment's bid found once per distinct name gives exactly pandas' row-by-row look-up,
    including names that are not among the bids."""
    bidset = load_bids(bulk.bids, load_rubric(bulk.rubric))
    names = bidset.bids["bidder"].tolist()
    rows = bidset.commitments["bidder"].to_numpy()
    some = names[::2]  # half the bids: the other half's rows must come back as -1
    assert np.array_equal(util.positions(some, rows), pd.Index(some, dtype=object).get_indexer(rows))
    assert (util.positions(some, rows) == -1).any() and (util.positions(names, rows) >= 0).all()
