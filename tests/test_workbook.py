"""The results workbook (issue 4), opened with openpyxl as a commissioner's spreadsheet would open it:
sheets, values matching the engine, frozen headers, £ and % formats, and no formula from supplier text."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from evaluator import evaluate, load_bids, load_rubric, load_scores
from evaluator.spreadsheet import formula_like, formula_safe, formula_safe_frame
from evaluator.workbook import MONEY, MONEY_PENCE, results_workbook

from .conftest import ROOT

FIX = ROOT / "tests" / "fixtures" / "report"
SHEETS = ["Summary", "Scores", "Flags", "Commitments", "Rubric"]


@pytest.fixture(scope="module")
def fixture_ev():
    r = load_rubric(FIX / "rubric.yaml")
    b = load_bids(FIX / "bids", r).require_valid()
    return evaluate(r, b, load_scores(FIX / "bids" / "scores.csv", r, b.bidders))


@pytest.fixture(scope="module")
def wb(fixture_ev):
    return load_workbook(io.BytesIO(results_workbook(fixture_ev)))


def _table(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_sheets_with_frozen_headers_and_widths(wb):
    # the sample proxy table mixes price years: DESIGN 9.4's Price base sheet follows the Rubric
    assert wb.sheetnames == SHEETS + ["Price base"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.column_dimensions["B"].width and ws.column_dimensions["B"].width > 5
        assert ws["A1"].font.b


def test_summary_values_match_the_engine(wb, fixture_ev):
    s = _table(wb["Summary"]).set_index("Bidder")
    r = fixture_ev.results.set_index("bidder")
    assert set(s.index) == set(r.index)
    for b in r.index:
        assert s.loc[b, "Total (of 100)"] == pytest.approx(r.loc[b, "total"])
        assert s.loc[b, "Claimed £ (figures lens)"] == pytest.approx(r.loc[b, "claimed_value"])
        assert s.loc[b, "Credited £ (design lens)"] == pytest.approx(r.loc[b, "credited_value"])
    assert s.loc["Riverside Care Co-operative € Ltd", "Status"] == "disqualified"
    assert s.loc["Northtown Community Care CIC", "Rank"] == 1
    assert pd.isna(s.loc['=HYPERLINK("http://evil.example","Budget") Home Support', "Contact email"])


def test_number_formats_for_money_percent_and_marks(wb):
    ws = wb["Summary"]
    head = [c.value for c in ws[1]]
    row = ws[2]
    assert "£" in row[head.index("Price £")].number_format
    assert "£" in row[head.index("Credited £ (design lens)")].number_format
    assert row[head.index("Credited share of claim")].number_format.endswith("%")
    assert row[head.index("Total (of 100)")].number_format == "#,##0.00"
    c = wb["Commitments"]
    chead = [x.value for x in c[1]]
    assert "£" in c[2][chead.index("Credited £ (design lens)")].number_format
    assert c[2][chead.index("Deadweight")].number_format.endswith("%")


def test_no_number_format_shows_a_trailing_point_and_proxies_keep_their_pence(wb):
    """`#,##0.##` shows 80 as "80." in Excel (issue 19): marks, weights and scores use `#,##0.00`, money
    `£#,##0` (a negative −£, U+2212), and a proxy (VOLUNTEER-HOUR £12.21) `£#,##0.00`, so it is not shown as £12."""
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    seen.add(cell.number_format)
                    assert ".##" not in cell.number_format, (ws.title, cell.coordinate, cell.number_format)
    assert {"#,##0.00", MONEY} <= seen
    c = wb["Commitments"]
    head = [x.value for x in c[1]]
    proxies = [r[head.index("Reference proxy £")] for r in c.iter_rows(min_row=2)]
    assert {p.number_format for p in proxies if isinstance(p.value, float)} == {MONEY_PENCE}
    scores = wb["Scores"]
    shead = [x.value for x in scores[1]]
    assert {r[shead.index("Score")].number_format for r in scores.iter_rows(min_row=2)
            if isinstance(r[shead.index("Score")].value, (int, float))} == {"#,##0.00"}


def test_scores_carry_every_rationale_and_the_marks_used(wb, fixture_ev):
    s = _table(wb["Scores"])
    assert len(s[s["Evaluator"] != "(median of evaluators)"]) == len(fixture_ev.scores)
    short = {r for r in fixture_ev.scores["rationale"] if len(r) <= 32767}
    assert short <= set(s["Rationale"])
    long = [r for r in fixture_ev.scores["rationale"] if len(r) > 32767]     # the fixture's 57,000-character one
    assert long and any(x.startswith(long[0][:1000]) and x.endswith("characters in full)") for x in s["Rationale"])
    used = s[s["Used for marks"] == "yes"]
    scale = fixture_ev.scale[fixture_ev.scale["scored"]]
    assert len(used) == len(scale)
    assert used["Marks"].sum() == pytest.approx(scale["marks"].sum())
    assert "(median of evaluators)" in set(s["Evaluator"])          # Easton SVQ has no MODERATED row (SV206)


def test_flags_and_commitments_are_all_there(wb, fixture_ev):
    f = _table(wb["Flags"])
    assert len(f) == len(fixture_ev.flags) + len(fixture_ev.rubric_flags)
    c = _table(wb["Commitments"])
    assert len(c) == len(fixture_ev.commitments)
    assert c["Credited £ (design lens)"].sum() == pytest.approx(fixture_ev.commitments["credited_value"].sum())
    assert c["Claimed £ (figures lens)"].sum() == pytest.approx(fixture_ev.commitments["figures_value"].sum())
    assert "<b>Unclosed bold & <img src='file:///etc/passwd'> &copy 2026 – local jobs" in set(c["Description"])


def test_rubric_sheet_holds_criteria_and_outcomes(wb, fixture_ev):
    r = _table(wb["Rubric"])
    crit = r[r["Item"] == "Criterion"].set_index("Id")
    for c in fixture_ev.rubric.spec.criteria:
        assert crit.loc[c.id, "Weight / target"] == c.weight
    assert set(r[r["Item"] == "Outcome"]["Id"]) == {"O1", "O2", "O3", "O4"}


def test_formula_like_text_is_stored_as_text_exactly(wb):
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and formula_like(cell.value):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    found += 1
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert found >= 5
    summary = _table(wb["Summary"])
    assert '=HYPERLINK("http://evil.example","Budget") Home Support' in set(summary["Bidder"])
    rationales = set(_table(wb["Scores"])["Rationale"])
    assert any(r.startswith("+cmd|' /C calc'!A0") for r in rationales)
    assert any(r.startswith("-2 steps below; costs in € and £") for r in rationales)
    commitments = _table(wb["Commitments"])
    assert "=1+2 local jobs" in set(commitments["Description"])


def test_negative_numbers_stay_numbers(wb):
    ws = wb["Commitments"]
    head = [c.value for c in ws[1]]
    col = head.index("Walk: deflators £")
    values = [r[col] for r in ws.iter_rows(min_row=2)]
    negative = [c for c in values if isinstance(c.value, (int, float)) and c.value < 0]
    assert negative and all(c.data_type == "n" and not c.quotePrefix for c in negative)
    # Excel shows a negative £ as −£156,138 (the minus sign U+2212 the documents use), never £-156,138
    assert all(c.number_format.split(";")[1] == '"\u2212£"#,##0' for c in negative)


def test_the_record_names_the_workspace_file_and_says_how_to_check_it_in_words(fixture_ev):
    """Issue 19: the Record sheet gave the workspace's server path and `python -m evaluator audit --db FILE`;
    the unit columns gave codes (fte_year)."""
    head = {"file": "/home/sv/.social_value/workspaces/HC-2026-014.sqlite", "entries": 3, "head_hash": "ab" * 32,
            "head": "3:abababab", "chain": "keyed"}
    book = load_workbook(io.BytesIO(results_workbook(fixture_ev, workspace=head)))
    record = dict(book["Record"].iter_rows(min_row=2, values_only=True))
    assert record["Workspace file"] == "HC-2026-014.sqlite"
    assert "python" not in record["Check"] and "--db" not in record["Check"] and "audit check" in record["Check"]
    units = set(_table(book["Commitments"])["Unit"])
    assert {"FTE-years", "apprentice-years", "WELLBYs"} <= units and not any("_" in str(u) for u in units)
    rubric = _table(book["Rubric"])
    assert set(rubric.loc[rubric["Item"] == "Outcome", "Kind / unit"]) >= {"FTE-years", "apprentice-years"}
    assert "social value" in set(rubric.loc[rubric["Item"] == "Criterion", "Kind / unit"])
    flags = _table(book["Flags"])   # a flag's name in words, as the documents and pages say it
    assert "Below a minimum score" in set(flags["Name"]) and not any("-" in str(n) for n in flags["Name"])


def test_the_workbook_survives_control_characters_and_huge_text(fixture_ev):
    ev = fixture_ev
    scores = ev.scores.copy()
    scores.loc[0, "rationale"] = "bell\x07 and nul\x00 " + "x" * 40000
    ev2 = type(ev)(**{**ev.__dict__, "scores": scores})
    book = load_workbook(io.BytesIO(results_workbook(ev2)))
    text = _table(book["Scores"])["Rationale"]
    bell = [t for t in text if t.startswith("bell")]
    assert len(bell) == 1 and bell[0].startswith("bell and nul xxx") and len(bell[0]) <= 32767
    assert "cut at Excel's cell limit; 40,013 characters in full" in bell[0]


@pytest.mark.parametrize("value,expected", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\nx"),
    ("a\r=1", "a\n=1"), ("a\r\nb", "a\nb"),  # a bare CR would end the CSV row: written as a newline, so quoted
    ("plain", "plain"), ("a=b", "a=b"), (-5, -5), (-2.5, -2.5), (None, None), ("", ""),
])
def test_formula_safe(value, expected):
    assert formula_safe(value) == expected


def test_formula_safe_frame_for_csv_downloads():
    df = pd.DataFrame({"bidder": ["=cmd", "Acme", None], "total": [-1.5, 2.0, 3.0], "=h": ["@a", "b", "c"]})
    out = formula_safe_frame(df)
    assert out["bidder"].tolist()[:2] == ["'=cmd", "Acme"] and pd.isna(out["bidder"].iloc[2])
    assert out["total"].tolist() == [-1.5, 2.0, 3.0]
    assert list(out.columns) == ["bidder", "total", "'=h"] and out["'=h"].iloc[0] == "'@a"
    assert df["bidder"].iloc[0] == "=cmd"     # the original is not changed


def test_a_downloaded_scores_csv_reads_back_exactly(tmp_path):
    """The app's scores.csv download quotes formula-like rationales; loading it back gives the words as
    the evaluator wrote them, so a download-and-upload round trip changes no score and no rationale."""
    from evaluator import load_bids, load_rubric, load_scores
    from tests.conftest import tender_paths
    rubric_path, bids_path, scores_path = tender_paths("home_care_north")
    rubric = load_rubric(rubric_path)
    bidders = load_bids(bids_path, rubric).bidders
    scores = load_scores(scores_path, rubric, bidders).drop(columns="_row")
    scores.loc[0, "rationale"] = "=HYPERLINK(\"http://x\",\"click\")"
    scores.loc[1, "rationale"] = "- weak on continuity; + strong on rounds"
    scores.loc[2, "rationale"] = "'already quoted by hand"
    out = tmp_path / "scores.csv"
    formula_safe_frame(scores).to_csv(out, index=False)
    raw = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and "'- weak" in raw  # what a spreadsheet sees is text
    back = load_scores(out, rubric, bidders).drop(columns="_row")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), scores.reset_index(drop=True), check_dtype=False)
