"""Money as a commissioner reads it (evaluator/formatting.py)."""
import math

import pytest

from evaluator.formatting import gbp


@pytest.mark.parametrize("value, decimals, shown", [
    (1234567, 0, "£1,234,567"), (-2500.4, 0, "-£2,500"), (0, 0, "£0"), (12.5, 2, "£12.50"),
    (-1e-9, 0, "£0"), (-0.4, 0, "£0"), (-0.004, 2, "£0.00"),      # rounding noise is nothing, never "-£0"
    (-0.6, 0, "-£1"), (-0.005001, 2, "-£0.01"),
])
def test_pounds_with_separators_and_no_minus_on_a_value_that_rounds_to_nothing(value, decimals, shown):
    assert gbp(value, decimals) == shown


def test_nothing_is_a_dash():
    assert gbp(None) == "-" and gbp(math.nan) == "-"


@pytest.mark.parametrize("value, shown", [
    (1.76, "£1.76"), (19.97, "£19.97"), (12.2, "£12.20"), (22368, "£22,368"), (39039.0, "£39,039"),
    (1.004, "£1"), (-858400, "-£858,400"), (None, "-"),
])
def test_money_keeps_pence_where_the_value_has_them(value, shown):
    from evaluator.formatting import money
    assert money(value) == shown


@pytest.mark.parametrize("code, many, one, per", [
    ("fte_year", "FTE-years", "FTE-year", "per FTE-year"), ("apprentice_year", "apprentice-years",
     "apprentice-year", "per apprentice-year"), ("hour", "hours", "hour", "per hour"),
    ("gbp", "£", "£", "per £ spent"), ("wellby", "WELLBYs", "WELLBY", "per WELLBY"),
    ("tco2e", "tonnes of CO2e", "tonne of CO2e", "per tonne of CO2e"), ("incident", "incidents", "incident",
     "per incident"), ("FTE_Year", "FTE-years", "FTE-year", "per FTE-year"), ("site_visit", "site visit",
     "site visit", "per site visit"), (None, "", "", ""),
])
def test_units_in_words(code, many, one, per):
    from evaluator.formatting import per_unit, unit_words
    assert (unit_words(code), unit_words(code, plural=False), per_unit(code)) == (many, one, per)


def test_every_unit_of_the_shipped_proxy_table_has_words():
    import csv
    from pathlib import Path

    from evaluator.formatting import unit_words
    table = Path(__file__).resolve().parents[1] / "rubrics" / "proxies" / "public_2025.csv"
    units = {r["unit"] for r in csv.DictReader(table.open(encoding="utf-8"))}
    assert all("_" not in unit_words(u) and unit_words(u) != u for u in units - {"hour", "incident"}), units


@pytest.mark.parametrize("q, code, shown", [
    (7800, "hour", "7,800 hours"), (1, "fte_year", "1 FTE-year"), (100000, "gbp", "£100,000"),
    (2.5, "wellby", "2.5 WELLBYs"), (None, "hour", "?"),
])
def test_an_amount_in_its_unit(q, code, shown):
    from evaluator.formatting import amount
    assert amount(q, code) == shown
