"""The rules a finished page passes (tests/page_text.py), on what issue 19 saw on screen and on text that
must pass: prose, e-mail addresses, web addresses, a user's file names, bid ids, money and marks as a
commissioner reads them."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st

from tests.page_text import (COMMAND, DECIMALS, EMPTY_CELL, NAN, NONE, POUND_MINUS, SECTION, SERVER_PATH, SNAKE,
                             format_decimals, page_offences, table_offences)


def rules(text) -> list[str]:
    return [o.split(":", 1)[0] for o in page_offences(text)]


@pytest.mark.parametrize("text, rule", [
    ("Rank: None", NONE),
    ("Rationale: None", NONE),
    ("switching value None", NONE),
    ("None", NONE),
    ("total NaN", NAN),
    ("nan", NAN),
    ("deadline NaT", NAN),
    ("running_total", SNAKE),
    ("win_probability", SNAKE),
    ("total_p05 and net_quantity", SNAKE),
    ("promised_value_to_date", SNAKE),
    ("n_evaluators", SNAKE),
    ("Kendall's W, df, p_value", SNAKE),
    ("chi_square", SNAKE),
    ("evidence_required", SNAKE),
    ("7,800 fte_year", SNAKE),
    ("**running\\_total**", SNAKE),              # markdown's escaped underscore
    ("-398117.264", DECIMALS),
    ("628185.5955", DECIMALS),
    ("wins 0.2996 of draws", DECIMALS),
    ("12.5000", DECIMALS),
    ("2.930436e+06", DECIMALS),
    ("credited £-858,400", POUND_MINUS),
    ("£−858,400", POUND_MINUS),
    ("Scores and ranks (6.1)", SECTION),
    ("the checks (6.3)", SECTION),
    ("as in section 6.3", SECTION),
    ("see Section 10", SECTION),
    ("run `python -m evaluator evaluate --rubric r.yaml`", COMMAND),
    ("social-value report --out x", COMMAND),
    ("A real panel runs with `--workspace`", COMMAND),
    ("streamlit run streamlit_app.py", COMMAND),
    ("saved in /home/alex/.social_value/ws.sqlite", SERVER_PATH),
    ("/tmp/pytest-1/bids/WRel1.json", SERVER_PATH),
    (".../WRel1.json", SERVER_PATH),
    ("Bid file /work/main/sample_bids/x/bid.xlsx", SERVER_PATH),
    ("workspace home_care.sqlite", SERVER_PATH),
    ("rubrics/home_care_north.yaml", SERVER_PATH),
    ("~/social_value", SERVER_PATH),
])
def test_what_issue_19_saw_is_an_offence(text, rule):
    assert rule in rules(text), page_offences(text)


@pytest.mark.parametrize("text", [
    "None of the bids is below the threshold.",
    "Under the official design lens Northtown Community Care CIC comes first.",
    "Write to helen_marsh@council.gov.uk or see https://www.gov.uk/guidance/social_value_model.html",
    "Uploaded bid_apex_care.xlsx and scores_round_2.csv",
    "Opened My bid v1.250.xlsx",
    "Bid A5 claims £1,500,000; total 62.50 marks; weight 30%; 29.9% of draws; −£858,400 net",
    "Contract value £4,800,000 over 5 years, 7 December 2026, 1,234 FTE-years, £12.21 per hour",
    "Claimed £1.76 per £ spent; the table's high is £1.00 (SV103)",
    "Figures vs design: claimed and credited, and/or the design's gaps",
    "",
    "Priority: high — evidence: payroll records",
    "Lowest accident rate of the bidders (0.07); Q1 (22.50 of 30 marks)",
])
def test_finished_text_passes(text):
    assert page_offences(text) == []


def test_each_offence_names_its_rule_and_shows_the_text():
    [offence] = page_offences("Ranked by running_total across bids")
    assert offence.startswith("snake_case:") and "running_total" in offence


def test_a_table_that_reads_as_finished_work_passes():
    df = pd.DataFrame({"bidder": ["Apex Care Group Ltd", "Northtown Community Care CIC"],
                       "rank": ["1", ""], "total": ["62.50", "58.25"], "credited": ["£1,200,000", "−£858,400"]})
    assert table_offences(df) == []


def test_a_raw_engine_table_is_named_cell_by_cell():
    df = pd.DataFrame({"bidder": ["Apex", "Riverside"], "running_total": [628185.5955, -398117.264],
                       "rank": [1.0, None], "rationale": ["Strong evidence", None], "unit": ["fte_year", "hour"],
                       "note": ["None", "nan"]})
    found = table_offences(df)
    text = "\n".join(found)
    assert any(o.startswith("header snake_case") and "running_total" in o for o in found), text
    assert any(o.startswith(DECIMALS) and "628185.5955" in o for o in found), text
    assert any(o.startswith(EMPTY_CELL) and "'rank'" in o for o in found), text
    assert any(o.startswith(EMPTY_CELL) and "'rationale'" in o for o in found), text
    assert any(o.startswith(SNAKE) and "fte_year" in o for o in found), text
    assert any(o.startswith(NONE) and "'note'" in o for o in found), text
    assert any(o.startswith(NAN) and "'note'" in o for o in found), text


def test_a_number_column_formatted_to_two_decimals_is_fine():
    df = pd.DataFrame({"bidder": ["Apex"], "marks": [12.3456], "share": [0.2996], "claimed £": [628185.5955]})
    config = {"marks": st.column_config.NumberColumn(format="%.2f"),
              "share": st.column_config.NumberColumn(format="percent"),
              "claimed £": st.column_config.NumberColumn(format="£%,.0f")}
    assert table_offences(df, config) == []
    assert [o.split(":")[0] for o in table_offences(df)] == [DECIMALS] * 3
    loose = {"marks": st.column_config.NumberColumn(format="%.3f"), "share": st.column_config.NumberColumn(format="%g")}
    assert len(table_offences(df, loose)) == 3


def test_a_label_from_the_column_config_is_the_header_read():
    df = pd.DataFrame({"running_total": ["£1"]})
    assert table_offences(df, {"running_total": "running total"}) == []
    assert table_offences(df, '{"running_total": {"label": "running total"}}') == []  # the proto's JSON
    assert table_offences(df, {"running_total": st.column_config.TextColumn("p_value")})


def test_negative_money_in_a_pound_format_is_drawn_as_pound_minus():
    df = pd.DataFrame({"net £": [-858400.0, 100.0]})
    assert [o.split(":")[0] for o in table_offences(df, {"net £": st.column_config.NumberColumn(format="£%,.0f")})] \
        == [POUND_MINUS]


def test_a_shown_index_is_read_and_a_hidden_one_is_not():
    df = pd.DataFrame({"total": ["1"]}, index=pd.Index(["fte_year"], name="unit_code"))
    assert table_offences(df)
    assert table_offences(df, {"_index": {"hidden": True}}) == []


@pytest.mark.parametrize("fmt, decimals", [("%.2f", 2), ("£%,.0f", 0), ("%d", 0), ("%.3f", 3), ("percent", 2),
                                           ("%g", None), ("localized", None), (None, None), ("%.2f%%", 2)])
def test_format_decimals(fmt, decimals):
    assert format_decimals(fmt) == decimals


def test_a_raw_timestamp_is_one_offence():
    assert rules("last change 2026-12-07T15:28:31.750582+00:00") == ["raw timestamp"]
    assert rules("last change 7 December 2026, 15:28") == []


def test_many_cells_with_one_offence_are_one_line_per_column():
    df = pd.DataFrame({"source": [f"ocds_wales/WRel{i}.json" for i in range(40)]})
    [line] = table_offences(df)
    assert line.startswith(SERVER_PATH) and "40 cells" in line


def test_empty_cells_are_fine_when_the_table_draws_them_empty():
    df = pd.DataFrame({"rank": [1.0, None], "rationale": ["Strong", None]})
    assert [o.split(":")[0] for o in table_offences(df)] == [EMPTY_CELL, EMPTY_CELL]
    assert table_offences(df, placeholder="") == []
    assert table_offences(df, placeholder="null")
