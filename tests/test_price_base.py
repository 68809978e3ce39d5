"""One price base (DESIGN.md 9.4) and mid-year discounting (DESIGN 9), checked against the published series.

The GDP deflator figures are the shipped rubrics/proxies/gdp_deflators.csv: HM Treasury, "GDP deflators at
market prices, and money GDP: March 2026 (Quarterly National Accounts)", financial years, 2024-25 = 100
(https://www.gov.uk/government/statistics/gdp-deflators-at-market-prices-and-money-gdp-march-2026-quarterly-national-accounts),
Open Government Licence v3.0: 2015-16 = 74.5804, 2019-20 = 80.8738, 2020-21 = 85.1002, 2024-25 = 100.0000.
"""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.exceptions import EvaluatorError, InputError
from evaluator.price_base import (conversion_table, conversions, default_price_base, load_deflators,
                                  price_year_of, valued_proxies, worth_showing)
from evaluator.valuation import discount_factors

from .conftest import ROOT, tender_paths
from .test_bad_input import copy_tender

PY = [sys.executable, "-m", "evaluator"]


def _table(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["code", "unit", "value", "low", "high", "price_year"])
    return frame.set_index("code", drop=False)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(PY + list(args), cwd=ROOT, capture_output=True, text=True, timeout=180)


# --- the published series ----------------------------------------------------------------------------------

def test_the_shipped_series_is_the_published_outturn_with_its_source_and_licence():
    d = load_deflators()
    assert list(d.columns[:4]) == ["year", "index", "source", "licence"]
    fy = d.set_index("year")["index"]
    # HM Treasury, March 2026 (Quarterly National Accounts), 2024-25 = 100, as published (4 d.p.)
    assert fy["2015-16"] == 74.5804 and fy["2019-20"] == 80.8738 and fy["2020-21"] == 85.1002
    assert fy["2024-25"] == 100.0 and set(d["kind"]) == {"outturn"}
    assert all(f"20{y:02d}-{y + 1:02d}" in fy.index for y in range(10, 25))     # 2010-11 onward at least
    assert d["source"].str.contains("HM Treasury").all() and d["source"].str.contains("March 2026").all()
    assert d["source"].str.contains("https://www.gov.uk/").all()
    assert (d["licence"] == "Open Government Licence v3.0").all()


def test_a_deflator_ratio_from_the_published_series_wellby_2019_to_2024_prices():
    """Published worked example: the Green Book's WELLBY, £13,000 in 2019 prices (HM Treasury wellbeing
    guidance, July 2021), in 2024 prices = 13,000 × index(2024-25) / index(2019-20) = 13,000 × 100.0000 /
    80.8738 = £16,074.43 (HM Treasury GDP deflators, March 2026 QNA, financial years, 2024-25 = 100)."""
    t = conversion_table(_table([("WELLBY", "wellby", 13000, 10000, 16000, "2019")]), 2024).iloc[0]
    assert (t.deflator_from, t.index_from, t.deflator_to, t.index_to) == ("2019-20", 80.8738, "2024-25", 100.0)
    assert t.factor == pytest.approx(100.0 / 80.8738)
    assert round(t.value_in_base, 2) == 16074.43
    assert round(t.low_in_base, 2) == 12364.94 and round(t.high_in_base, 2) == 19783.91   # the range moves too
    assert t.status == "converted"


def test_a_financial_year_uses_its_own_row_home_office_crime_costs_2015_16():
    """Home Office unit cost of violence with injury, £14,050 in 2015/16 prices (Research Report 99), in
    2024 prices = 14,050 × 100.0000 / 74.5804 (the 2015-16 row of the same release) = £18,838.73."""
    for written in ("2015/16", "2015-16"):
        t = conversion_table(_table([("VWI", "incident", 14050, np.nan, np.nan, written)]), 2024).iloc[0]
        assert t.deflator_from == "2015-16" and t.index_from == 74.5804
        assert round(t.value_in_base, 2) == 18838.73


@pytest.mark.parametrize("text, year", [("2019", 2019), (2019, 2019), ("2015/16", 2015), ("2015-16", 2015),
                                        ("2015/2016", 2015), (" 2020 ", 2020), ("1999/00", 1999)])
def test_price_years_as_commissioners_write_them(text, year):
    assert price_year_of(text) == year


@pytest.mark.parametrize("text", ["circa 2019", "2015/17", "19", "", "2019 prices", "FY2019"])
def test_a_price_year_no_one_can_read_is_refused_in_one_line(text):
    with pytest.raises(InputError) as e:
        price_year_of(text)
    assert "\n" not in e.value.line() and "is not a price year" in e.value.line()


def test_calendar_rows_for_calendar_years_financial_rows_for_financial_years(tmp_path):
    """With both kinds of row, a financial price year is converted on the financial rows and a calendar one
    on the calendar rows: a ratio never mixes two reference years (these figures are test data)."""
    series = tmp_path / "deflators.csv"
    series.write_text("year,index,source,licence\n2019,80,test,OGL\n2024,100,test,OGL\n"
                      "2019-20,50,test,OGL\n2024-25,100,test,OGL\n", "utf-8")
    d = load_deflators(series)
    t = conversion_table(_table([("A", "x", 10, 10, 10, "2019"), ("B", "x", 10, 10, 10, "2019/20")]), 2024, d)
    assert list(t["deflator_from"]) == ["2019", "2019-20"] and list(t["factor"]) == [1.25, 2.0]


def test_default_price_base_is_the_latest_price_year_in_the_table():
    assert default_price_base(_table([("A", "x", 1, 1, 1, "2015/16"), ("B", "x", 1, 1, 1, "2019"),
                                      ("C", "x", 1, 1, 1, None)])) == 2019
    assert default_price_base(_table([("A", "x", 1, 1, 1, None)])) is None


def test_pounds_at_face_value_neither_set_nor_block_the_default_price_base():
    """LOCAL-SPEND (unit gbp) counts £1 as £1 in any price base: a later price year on it does not make
    the default base a year the series lacks, and the other rows are still converted."""
    table = _table([("SPEND", "gbp", 1, 1, 1, "2026"), ("W", "wellby", 13000, 10000, 16000, "2019"),
                    ("E", "fte_year", 22368, 22368, 37430, "2024/25")])
    assert default_price_base(table) == 2024
    t = conversion_table(table, None).set_index("code")
    assert list(t["status"]) == ["face value", "converted", "in base"]
    assert round(t.loc["W", "value_in_base"], 2) == 16074.43 and t.loc["SPEND", "value_in_base"] == 1


def test_pounds_at_face_value_and_values_already_in_the_base_are_not_converted():
    t = conversion_table(_table([("SPEND", "gbp", 1, 1, 1, "2019"), ("X", "hour", 12.21, 12.21, 19.97, "2024"),
                                 ("Y", "hour", 10, 10, 10, None)]), 2024).set_index("code")
    assert list(t["factor"]) == [1.0, 1.0, 1.0]
    assert list(t["status"]) == ["face value", "in base", "no price year"]


# --- the valuation uses the price base ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def in_2024(tmp_path_factory):
    """The home-care sample with `price_base: 2024` stated (the shipped table's default base too)."""
    tender = copy_tender(tmp_path_factory.mktemp("pb") / "t")
    tender.edit_rubric(lambda d: d.update(price_base=2024))
    return tender


def test_the_shipped_table_is_in_2024_25_prices_by_default_and_every_row_is_covered():
    """The shipped table's price base is 2024-25, the latest year of the series with published outturn:
    the wage rows are the rates in force in 2024-25 (in base), WELLBY 2019, the Home Office crime costs
    2015/16 and carbon 2020 are converted; nothing is left in its own price year. Published worked
    example: WELLBY £13,000 (2019 prices) × 100.0000 / 80.8738 (2019-20) = £16,074.43 in 2024-25 prices."""
    r = load_rubric(tender_paths("home_care_north")[0])
    assert r.spec.price_base is None
    t = conversions(r).set_index("code")
    assert set(t["price_base"]) == {2024} and set(t["status"]) <= {"in base", "converted"}
    for code in ("EMP-LOCAL", "EMP-LOCAL-BARRIERS", "APPRENTICE", "EMP-YOUNG", "VOLUNTEER-HOUR", "LOCAL-SPEND"):
        assert t.loc[code, "price_year"] == "2024/25" and t.loc[code, "status"] == "in base"
    assert (t.loc["WELLBY", "deflator_from"], t.loc["WELLBY", "index_from"], t.loc["WELLBY", "index_to"]) == \
        ("2019-20", 80.8738, 100.0)
    assert round(t.loc["WELLBY", "value_in_base"], 2) == 16074.43
    assert t.loc["CRIME-ROBBERY", "deflator_from"] == "2015-16" and t.loc["CARBON-TCO2E", "deflator_from"] == "2020-21"
    v = valued_proxies(r)
    assert round(v.loc["WELLBY", "value"], 2) == 16074.43 and v.loc["EMP-LOCAL", "value"] == 22368


def test_credited_pounds_use_the_reference_proxy_in_the_price_base(in_2024):
    r = load_rubric(in_2024.rubric)
    b = load_bids(in_2024.bids, r).require_valid()
    ev = evaluate(r, b, load_scores(in_2024.scores, r, b.bidders))
    proxies = valued_proxies(r)
    assert round(proxies.loc["WELLBY", "value"], 2) == 16074.43 and proxies.loc["WELLBY", "price_year"] == "2024-25"
    assert r.proxies.loc["WELLBY", "value"] == 13000               # the table as published is kept as it is
    c = ev.commitments
    wellby = c[(c["measure"] == "WELLBY")]
    assert len(wellby) and np.allclose(wellby["ref_value"], 13000 * 100.0 / 80.8738)
    by_year = ev.explain(wellby["bidder"].iat[0])["by_year"]
    assert (by_year["reference_proxy"] > 13000).any()


def test_explain_report_and_workbook_show_every_conversion(in_2024, tmp_path):
    a = ["--rubric", str(in_2024.rubric), "--bids", str(in_2024.bids), "--scores", str(in_2024.scores)]
    out = _run("explain", *a, "--bidder", "Apex Care Group Ltd", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["code"]: r for r in json.loads(out.stdout)["tables"]["price_base"]}
    assert rows["WELLBY"]["deflator_from"] == "2019-20" and round(rows["WELLBY"]["value_in_base"], 2) == 16074.43
    assert rows["CRIME-ROBBERY"]["deflator_from"] == "2015-16" and rows["EMP-LOCAL"]["status"] == "in base"
    text = _run("explain", *a, "--bidder", "Apex Care Group Ltd").stdout
    assert "== One price base: each reference proxy converted with the GDP deflator ==" in text
    rep = _run("report", *a, "--out", str(tmp_path / "rep"))
    assert rep.returncode == 0, rep.stderr
    import openpyxl
    wb = openpyxl.load_workbook(tmp_path / "rep" / "results.xlsx")
    sheet = [r for r in wb["Price base"].iter_rows(values_only=True)]
    assert sheet[0][:3] == ("Measure", "Price year", "Price base")
    wellby = next(r for r in sheet if r[0] == "WELLBY")
    assert wellby[3:7] == ("2019-20", 80.8738, "2024-25", 100) and round(wellby[9], 2) == 16074.43
    pdf = subprocess.run(["pdftotext", "-layout", str(tmp_path / "rep" / "evaluation_report.pdf"), "-"],
                         capture_output=True, text=True).stdout
    assert "One price base: every proxy £ in 2024-25 prices" in pdf and "£16,074.43" in pdf
    import hashlib                                        # the series the £ depend on, fingerprinted (s98 record)
    assert hashlib.sha256((ROOT / "rubrics/proxies/gdp_deflators.csv").read_bytes()).hexdigest() in pdf.replace("\n", "")


def test_a_table_in_one_price_year_reads_as_before(tmp_path):
    """All proxies in one price year: nothing converted, the table object itself used, no extra table."""
    tender = copy_tender(tmp_path / "t")
    text = tender.proxies.read_text("utf-8")
    for old in (",2019,", ",2020,", ",2015/16,"):
        text = text.replace(old, ",2024/25,")
    tender.proxies.write_text(text, "utf-8")
    r = load_rubric(tender.rubric)
    assert valued_proxies(r) is r.proxies and not worth_showing(conversions(r))
    out = _run("explain", "--rubric", str(tender.rubric), "--bids", str(tender.bids), "--bidder",
               "Apex Care Group Ltd", "--json")
    assert out.returncode == 0 and "price_base" not in json.loads(out.stdout)["tables"]


def test_a_default_base_the_series_lacks_is_one_line_naming_the_row_that_set_it(tmp_path):
    """No fallback: a value whose price year is newer than the series' latest outturn makes the default
    price base a year the series lacks, and that is refused (DESIGN 9.4), never left unconverted."""
    tender = copy_tender(tmp_path / "t")
    tender.replace_in(tender.proxies, ",2019,", ",2026,")
    line = _bad(tender)
    assert "public_2025.csv" in line and "row 5" in line and "field 'price_year'" in line and "'2026'" in line
    assert "has no 2026" in line
    assert "the deflator series ends at 2024-25: state price_base: 2024 or a year it covers, or use values in a " \
           "year it covers" in line
    out = _run("check", "--rubric", str(tender.rubric))
    assert out.returncode == 2 and "has no 2026" in out.stderr


# --- bad input: one line, exit 2 ---------------------------------------------------------------------------

def _bad(tender, *extra) -> str:
    out = _run(*tender.evaluate_args(*extra))
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_a_price_year_the_series_lacks_is_one_line_naming_it(tmp_path):
    tender = copy_tender(tmp_path / "t")
    tender.replace_in(tender.proxies, ",2019,", ",1990,")
    tender.proxies.write_text(tender.proxies.read_text("utf-8").replace(",2025,", ",2024,"), "utf-8")
    line = _bad(tender)
    assert "WELLBY" in line and "'1990'" in line and "has no 1990" in line and "2000-01 to 2024-25" in line


def test_a_stated_price_base_the_series_lacks_is_one_line_naming_it(tmp_path):
    tender = copy_tender(tmp_path / "t")
    tender.edit_rubric(lambda d: d.update(price_base=2025))
    line = _bad(tender)
    assert "price_base" in line and "has no 2025" in line


def test_circa_2019_is_one_line_naming_file_row_field_and_value(tmp_path):
    tender = copy_tender(tmp_path / "t")
    tender.replace_in(tender.proxies, ",2019,", ",circa 2019,")
    line = _bad(tender)
    assert "public_2025.csv" in line and "row 5" in line and "price_year" in line and "'circa 2019'" in line


def test_a_price_base_in_the_future_is_one_line(tmp_path):
    import datetime
    tender = copy_tender(tmp_path / "t")
    tender.edit_rubric(lambda d: d.update(price_base=datetime.date.today().year + 1))
    line = _bad(tender)
    assert "price_base" in line and "is in the future" in line


def test_a_broken_series_is_refused_cell_by_cell(tmp_path):
    series = tmp_path / "deflators.csv"
    series.write_text("year,index,source,licence\n2019-20,eighty,s,l\n2019-20,80,s,l\nsoon,1,,l\n", "utf-8")
    with pytest.raises(EvaluatorError) as e:
        load_deflators(series)
    text = str(e.value)
    assert "row 2, field 'index', value 'eighty'" in text and "row 3, field 'year'" in text
    assert "row 4, field 'year', value 'soon'" in text and "row 4, field 'source'" in text


# --- mid-year discounting (DESIGN 9) ---------------------------------------------------------------------------

def test_green_book_mid_year_discount_factors():
    """`discount.mid_year: true`: DF(y) = 1/(1+r)^(y-0.5). Worked from the Green Book's published discount
    factors (HM Treasury, The Green Book 2022, Annex A6: 3.5% a year for years 0-30, 3.0% for 31-75; the
    published end-of-year factors at year 1 = 0.9662 and year 30 = 0.3563, as test_valuation checks): the
    mid-year factor of year y is the end-of-year factor of y-1 discounted half a year at year y's rate:
    year 1: 1/1.035^0.5 = 0.9829; year 2: 0.9662/1.035^0.5 = 0.9497; year 31: 0.3563/1.030^0.5 = 0.3511.
    (No stored copy of a published mid-year table was found to cite; these follow from the published rates.)"""
    mid = discount_factors(40, mid_year=True)
    end = discount_factors(40)
    assert mid[0] == 1.0
    assert mid[1] == pytest.approx(0.9829, abs=5e-5) and mid[1] == pytest.approx(1 / 1.035 ** 0.5)
    assert mid[2] == pytest.approx(0.9497, abs=5e-5) and mid[10] == pytest.approx(1 / 1.035 ** 9.5)
    assert mid[31] == pytest.approx(0.3511, abs=5e-5) and mid[31] == pytest.approx(end[30] / 1.03 ** 0.5)
    assert np.all(mid[1:] > end[1:])                      # half a year earlier: worth a little more


def test_mid_year_raises_credited_pounds_by_half_a_year_of_discounting(tmp_path):
    tender = copy_tender(tmp_path / "t")
    r0 = load_rubric(tender.rubric)
    b = load_bids(tender.bids, r0).require_valid()
    base = evaluate(r0, b).commitments
    tender.edit_rubric(lambda d: d.setdefault("discount", {}).update(mid_year=True))
    r1 = load_rubric(tender.rubric)
    mid = evaluate(r1, load_bids(tender.bids, r1).require_valid()).commitments
    one = base["credited"].to_numpy() & (base["credited_value"].to_numpy() > 0)   # all within 30 years: 3.5%
    assert one.sum() >= 5
    ratio = mid.loc[one, "credited_value"].to_numpy() / base.loc[one, "credited_value"].to_numpy()
    assert np.allclose(ratio, 1.035 ** 0.5)               # every year's factor, half a year earlier
