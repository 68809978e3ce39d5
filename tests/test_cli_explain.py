"""`explain` as a commissioner reads it in a terminal (issue 19): aligned tables that fit 100 columns, money as £
with separators, marks to two decimals, nothing as NaN, None or 2.930436e+06; `--csv DIR` writes the tables as
CSV files instead; a bidder typed in other capitals or with a slip gets "did you mean"."""
from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from evaluator.cli import main
from evaluator.commands.explain_text import text_table

from .conftest import ROOT

HOME = ["--rubric", str(ROOT / "rubrics/home_care_north.yaml"), "--bids", str(ROOT / "sample_bids/home_care_north"),
        "--scores", str(ROOT / "sample_bids/home_care_north/scores.csv")]
FM = ["--rubric", str(ROOT / "rubrics/schools_fm.yaml"), "--bids", str(ROOT / "sample_bids/schools_fm"),
      "--scores", str(ROOT / "sample_bids/schools_fm/scores.csv")]
CATERING = ["--rubric", str(ROOT / "rubrics/school_catering.yaml"), "--bids", str(ROOT / "sample_bids/school_catering"),
            "--scores", str(ROOT / "sample_bids/school_catering/scores.csv")]
CASES = [(HOME, "Apex Care Group Ltd", []), (HOME, "Riverside Care Co-operative", []),
         (FM, "Meridian FM Solutions plc", []), (CATERING, "Brackenford Fresh Kitchens Ltd", ["--lot", "L2"])]


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _bidders(args) -> list[str]:
    from evaluator import load_bids, load_rubric
    r = load_rubric(args[1])
    return sorted(set(load_bids(args[3], r).bidders))


@pytest.mark.parametrize("args,bidder,extra", CASES, ids=["apex", "riverside", "meridian", "catering_lot"])
def test_every_line_fits_100_columns_and_reads_as_finished_work(capsys, args, bidder, extra):
    if bidder not in _bidders(args):
        pytest.skip(f"{bidder} is not in this sample any more")
    code, out, err = _cli(capsys, "explain", *args, "--bidder", bidder, *extra)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 100, max(lines, key=len)
    assert not re.search(r"\bNaN\b|\bNone\b|\bnan\b|\d\.\d+e[+-]\d", out)
    heads = [lines[i - 1] for i, x in enumerate(lines) if i and x and set(x) <= {"-", " "}]
    assert heads and not [h for h in heads if re.search(r"\b[a-z]+_[a-z_]+\b", h)]  # no snake_case headers
    # numbers a user reads: no float with more than two decimals, the working's design fraction included
    assert not re.search(r"(?<![\w.])\d+\.\d{3,}\b", out), [x for x in lines if re.search(r"\d\.\d{3,}", x)]
    assert re.search(r"design\s+fraction\s+\d{1,3}\.\d{2}%", out)  # a share, as a percentage
    assert re.search(r"£\d{1,3},\d{3}", out)  # money with its separators
    assert "== From claimed £ to credited £ ==" in out


def test_the_walk_reads_in_pounds_and_the_marks_in_two_decimals(capsys):
    """The same numbers as `explain --json`, as a commissioner writes them."""
    import json
    code, out, err = _cli(capsys, "explain", *HOME, "--bidder", "Apex Care Group Ltd", "--json")
    tables = json.loads(out)["tables"]
    claimed, credited = tables["walk"][0], tables["walk"][-1]
    total = next(r for r in tables["marks"] if r["criterion"] == "TOTAL")["marks"]
    code, out, err = _cli(capsys, "explain", *HOME, "--bidder", "Apex Care Group Ltd")
    assert code == 0, err
    walk = out.split("== From claimed £ to credited £ ==")[1]
    assert re.search(r"Claimed by the supplier\s+" + re.escape(f"£{claimed['amount']:,.0f}"), walk)
    assert claimed["amount"] >= 1e6 and "e+0" in f"{claimed['amount']:e}"  # pandas printed it as 2.930436e+06
    assert re.search(r"Credited \(validated £\)\s+" + re.escape(f"£{credited['running_total']:,.0f}"), walk)
    marks = out.split("== Marks: the inputs and the sum ==")[1].split("==")[0]
    assert re.search(r"TOTAL\s+official lens: design\s+100\.00\s+.*" + re.escape(f"{total:.2f}"), marks)
    assert not re.search(r"\d\.\d+e[+-]\d", out) and f"{total:.6f}" not in out
    header = out.splitlines()[0]
    assert "Apex Care Group Ltd" in header


def test_a_wide_table_is_split_into_parts_that_repeat_its_key():
    frame = pd.DataFrame({"id": ["A1", "A2"], **{f"walk_step_{i}": [-1234567.891 * i, 0.0] for i in range(12)},
                          "not_credited_reason": ["", "off-design (SV114)"]})
    lines = text_table(frame)
    assert max(len(x) for x in lines) <= 100
    parts = [x for x in lines if x.startswith("(part ")]
    assert len(parts) >= 2
    assert sum(1 for x in lines if x.startswith("A1")) == len(parts)  # the key repeated in every part
    assert "\u2212£12,345,679" in "\n".join(lines)  # walk_step_10: negatives as −£, whole pounds
    assert "£0" in "\n".join(lines) and "nan" not in "\n".join(lines).lower()


def test_years_have_no_thousands_separator_and_quantities_do():
    frame = pd.DataFrame({"code": ["A"], "price_year": [2025], "price_base": [2026.0], "start_year": [1],
                          "per_year_quantity": [162500.0]})
    text = "\n".join(text_table(frame))
    assert "2,025" not in text and "2,026" not in text and "2026" in text and "162,500" in text


def test_empty_cells_are_empty_not_nan():
    frame = pd.DataFrame({"id": ["A1", "A2"], "claimed_proxy": [45000.0, float("nan")],
                          "served_outcome": ["O1", None], "credited": [True, False]})
    text = "\n".join(text_table(frame))
    assert "NaN" not in text and "None" not in text and "nan" not in text
    assert "£45,000" in text and "yes" in text and "no" in text


def test_csv_writes_each_table_instead_of_printing_it(capsys, tmp_path):
    code, out, err = _cli(capsys, "explain", *HOME, "--bidder", "Apex Care Group Ltd", "--csv", tmp_path / "x")
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "x").glob("*.csv"))
    assert {"marks.csv", "walk.csv", "checks.csv"} <= set(files)
    assert "==" not in out and "x" in out and "walk.csv" in out
    with open(tmp_path / "x" / "walk.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["step"] == "Claimed by the supplier" and float(rows[0]["amount"]) == pytest.approx(2930436)
    for p in (tmp_path / "x").glob("*.csv"):  # formula-safe: no cell a spreadsheet would run
        with open(p, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not (cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not re.fullmatch(r"-[\d.e+-]+", cell))), (p.name, cell)


@pytest.mark.parametrize("typed", ["APEX CARE GROUP LTD", "apex care group ltd", "Apex Care Grop Ltd"])
def test_a_bidder_in_other_capitals_or_with_a_slip_gets_did_you_mean(capsys, typed):
    code, out, err = _cli(capsys, "explain", *HOME, "--bidder", typed)
    assert code == 2
    assert err.count("\n") == 1 and "--bidder" in err and "did you mean 'Apex Care Group Ltd'?" in err, err


def test_a_bidder_of_no_lot_gets_did_you_mean_too(capsys):
    code, out, err = _cli(capsys, "explain", *CATERING, "--bidder", "brackenford fresh kitchens ltd")
    assert code == 2 and "did you mean 'Brackenford Fresh Kitchens Ltd'?" in err, err
