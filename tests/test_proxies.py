"""The proxy table loader (evaluator/proxies.py): a number means what it looks like (issue 14, hole 8)."""
from __future__ import annotations

import csv
import io

import pytest

from evaluator import EvaluatorError, InputErrors
from evaluator.proxies import load_proxies
from tests.conftest import RUBRICS

PROXIES = RUBRICS / "proxies" / "public_2025.csv"


def test_proxy_csv_decimal_comma_is_refused_and_thousands_are_read(tmp_path):
    text = PROXIES.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = next(csv.reader([text[1]]))
    i = header.index("value")
    row[i] = "25000,5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / "p.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_proxies(path)
    assert "'25000,5'" in caught.value.line() and "decimal comma" in caught.value.line()
    row[i] = "25,000"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert load_proxies(path)["value"].iat[0] == 25000.0


@pytest.mark.parametrize("content", [
    "", "code,name,unit,value\nA,B,hour,ten\n", "code,name,unit,value,kind\nA,B,hour,10,impact\n",
    "code,name,unit,value,local_only\nA,B,hour,10,sometimes\n", "code,name,unit,value,low,high\nA,B,hour,10,12,8\n",
])
def test_a_bad_proxy_table_raises_evaluator_errors_naming_the_file(tmp_path, content):
    path = tmp_path / "p.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(EvaluatorError) as info:
        load_proxies(path)
    errors = info.value.errors if isinstance(info.value, InputErrors) else [info.value]
    assert errors and all("p.csv" in e.line() and "\n" not in e.line() for e in errors)


# ------------------------------------------------------------------ the shipped values (issue 18, values-library)

SHIPPED = load_proxies(PROXIES)


def _year(text: str) -> int:
    """A price year as the table writes it: '2026' or a financial year '2015/16' (its first calendar year)."""
    head, _, tail = str(text).partition("/")
    assert head.isdigit() and len(head) == 4 and (not tail or (tail.isdigit() and len(tail) == 2)), text
    return int(head)


@pytest.mark.parametrize("code", list(SHIPPED.index))
def test_every_shipped_row_has_a_source_a_readable_price_year_and_an_open_licence(code):
    row = SHIPPED.loc[code]
    assert len(row["source"]) > 30
    assert 2010 <= _year(row["price_year"]) <= 2026
    if code == "LOCAL-SPEND":  # face value: no third-party value, so no third-party licence
        assert row["licence"].startswith("Not applicable")
    else:
        assert row["licence"] == "Open Government Licence v3.0"
        assert "https://www.gov.uk/" in row["source"] or "https://www.ons.gov.uk/" in row["source"]
    for banned in ("TOMs", "HACT", "PSSRU", "Social Value Bank", "Unit Cost Database"):
        assert banned.lower() not in row["source"].lower()


def test_the_wage_rows_are_the_2024_25_rates_worked_by_hand():
    """The wage rows are in 2024-25 prices, the latest year of the GDP deflator series with published
    outturn (the table's price base): the rates in force from 1 April 2024 (GOV.UK), with ONS ASHE April 2024
    as the high; the April 2026 rates are named as newer, to replace these once 2026-27 outturn is out."""
    hours = 37.5 * 52.14  # a full-time year as the table's sources state it
    assert SHIPPED.loc["EMP-LOCAL", "value"] == round(11.44 * hours) == 22368  # National Living Wage
    assert SHIPPED.loc["EMP-LOCAL-BARRIERS", "value"] == round(11.44 * hours)
    assert SHIPPED.loc["APPRENTICE", "value"] == round(6.40 * hours) == 12514   # Apprentice Rate
    assert SHIPPED.loc["EMP-YOUNG", "value"] == round(8.60 * hours) == 16815    # 18-20 Year Old Rate
    assert SHIPPED.loc["EMP-YOUNG", "high"] == SHIPPED.loc["APPRENTICE", "high"] == round(11.44 * hours)
    assert SHIPPED.loc["VOLUNTEER-HOUR", "value"] == SHIPPED.loc["TRAINING-HOUR", "value"] == 11.44
    assert SHIPPED.loc["EMP-LOCAL", "high"] == 37430                           # ONS ASHE April 2024 median, full-time
    assert SHIPPED.loc["VOLUNTEER-HOUR", "high"] == round(37430 / hours, 2) == 19.14
    for code in ("EMP-LOCAL", "EMP-LOCAL-BARRIERS", "APPRENTICE", "EMP-YOUNG", "VOLUNTEER-HOUR", "TRAINING-HOUR"):
        source = SHIPPED.loc[code, "source"]
        assert SHIPPED.loc[code, "price_year"] == "2024/25" and "1 April 2024" in source
        assert "https://www.gov.uk/" in source and "£12.71" in source and "2026-27 outturn" in source


def test_every_shipped_price_year_is_one_the_deflator_series_covers():
    """No row waits for a deflator the series has not published (DESIGN 9.4)."""
    from evaluator.price_base import load_deflators, price_year_of
    covered = set(load_deflators()["first_year"])
    assert {price_year_of(y) for y in SHIPPED["price_year"]} <= covered


def test_existing_codes_are_kept_for_the_bids_that_use_them():
    assert {"EMP-LOCAL-BARRIERS", "EMP-LOCAL", "APPRENTICE", "WELLBY", "CRIME-VIOLENCE-INJURY", "CRIME-ROBBERY",
            "CRIME-CRIMINAL-DAMAGE", "CARBON-TCO2E", "LOCAL-SPEND", "VOLUNTEER-HOUR", "TRAINING-HOUR"} <= set(SHIPPED.index)
    assert SHIPPED.loc["EMP-YOUNG", "exclusive_group"] == "EMP"  # one person is not counted twice in EMP
