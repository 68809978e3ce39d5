"""Money as a commissioner reads it (evaluator/formatting.py)."""
import math

import pytest

from evaluator.formatting import gbp


@pytest.mark.parametrize("value, decimals, shown", [
    (1234567, 0, "£1,234,567"), (-2500.4, 0, "\u2212£2,500"), (0, 0, "£0"), (12.5, 2, "£12.50"),
    (-1e-9, 0, "£0"), (-0.4, 0, "£0"), (-0.004, 2, "£0.00"),      # rounding noise is nothing, never "-£0"
    (-0.6, 0, "\u2212£1"), (-0.005001, 2, "\u2212£0.01"),
])
def test_pounds_with_separators_and_no_minus_on_a_value_that_rounds_to_nothing(value, decimals, shown):
    assert gbp(value, decimals) == shown


def test_nothing_is_a_dash():
    assert gbp(None) == "-" and gbp(math.nan) == "-"


@pytest.mark.parametrize("value, shown", [
    (1.76, "£1.76"), (19.97, "£19.97"), (12.2, "£12.20"), (22368, "£22,368"), (39039.0, "£39,039"),
    (1.004, "£1"), (-858400, "\u2212£858,400"), (None, "-"),
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


@pytest.mark.parametrize("fn, value, shown", [
    ("marks", 12.3456, "12.35"), ("marks", 40, "40.00"), ("marks", None, ""), ("marks", math.nan, ""),
    ("percent", 0.3, "30%"), ("percent", None, ""), ("probability", 0.2996, "30%"), ("probability", 0.6475, "64.8%"),
    ("probability", 1.0, "100%"), ("whole", 1234.0, "1,234"), ("whole", None, ""),
    ("date_text", "2026-12-07T15:22:29+00:00", "7 Dec 2026 15:22"), ("date_text", "2026-03-01", "1 Mar 2026"),
    ("date_text", None, ""), ("p_value", 0.0004, "below 0.01"), ("p_value", 0.2, "0.20"),
])
def test_one_value_as_a_commissioner_reads_it(fn, value, shown):
    import evaluator.formatting as f
    assert getattr(f, fn)(value) == shown


def test_a_table_as_a_commissioner_reads_it():
    """The app's tables and explain's take their text from display_table: headers in words, money as −£ with
    separators, marks to two decimals, probabilities as percentages, units in words, nothing as empty."""
    import pandas as pd

    from evaluator.formatting import display_table
    raw = pd.DataFrame({"bidder": ["Apex", None], "rank": [1, None], "total": [12.3456, None],
                        "win_probability": [0.2996, 1.0], "running_total": [-858400.2, 628185.5955],
                        "unit": ["fte_year", "hour"], "n_evaluators": [3, 3]})
    shown, numeric = display_table(raw)
    assert list(shown.columns) == ["Bidder", "Rank", "Total", "Wins (share of draws)", "Running total", "Unit",
                                   "Evaluators"]
    assert shown.iloc[0].tolist() == ["Apex", "1", "12.35", "30%", "\u2212£858,400", "FTE-years", "3"]
    assert shown.iloc[1].tolist() == ["", "", "", "100%", "£628,186", "hours", "3"]
    assert numeric == ["Rank", "Total", "Wins (share of draws)", "Running total", "Evaluators"]
    assert display_table(raw, kinds={"total": "text"})[0].iloc[0, 2] == "12.3456"


def test_a_terminal_without_the_minus_sign_gets_a_hyphen():
    """A Windows console or file in cp1252 cannot show U+2212: the CLI writes "-£858,400" there, not a crash."""
    import io

    from evaluator.terminal import SafeStream
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    SafeStream(stream).write("Not credited: \u2212£858,400\n")
    stream.flush()
    assert raw.getvalue().decode("cp1252") == "Not credited: -£858,400\n"
    utf8 = io.StringIO()
    SafeStream(utf8).write("\u2212£1")
    assert utf8.getvalue() == "\u2212£1"
