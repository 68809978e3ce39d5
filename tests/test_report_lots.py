"""`report` for real tenders (issue 16, DESIGN 9): a tender in two lots with a criteria tree, a question on its
own scale, a pass/fail question and a lot limit (tests/fixtures/report_lots/), and one awarded on price per
quality point (tests/fixtures/report_ppqp/). Read back as a commissioner and a supplier would: the PDFs with
pypdf, the workbook with openpyxl."""
from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from evaluator.cli import main

from .conftest import ROOT
from .report_fixture import has, pdf_text

LOTS = ROOT / "tests" / "fixtures" / "report_lots"
PPQP = ROOT / "tests" / "fixtures" / "report_ppqp"
ABBEY, BROOK, CASTLE, DALE = "Abbey Catering Ltd", "Brook Kitchens CIC", "Castle Meals Ltd", "Dale Foods Ltd"


def _run(fix, out, capsys, *extra):
    code = main(["report", "--rubric", str(fix / "rubric.yaml"), "--bids", str(fix / "bids"), "--scores",
                 str(fix / "bids" / "scores.csv"), "--out", str(out), *extra])
    return code, capsys.readouterr()


@pytest.fixture(scope="module")
def lots_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lots") / "out"
    assert main(["report", "--rubric", str(LOTS / "rubric.yaml"), "--bids", str(LOTS / "bids"), "--scores",
                 str(LOTS / "bids" / "scores.csv"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def ppqp_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppqp") / "out"
    assert main(["report", "--rubric", str(PPQP / "rubric.yaml"), "--bids", str(PPQP / "bids"), "--scores",
                 str(PPQP / "bids" / "scores.csv"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def lots_report(lots_dir):
    return pdf_text(lots_dir / "evaluation_report.pdf")


def _summary(folder, lot, stem):
    return pdf_text(folder / f"assessment_summary_lot_{lot}_{stem}.pdf")


def _sheet(book, name) -> pd.DataFrame:
    rows = list(book[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.fixture(scope="module")
def lots_book(lots_dir):
    return load_workbook(lots_dir / "results.xlsx")


# ------------------------------------------------------------------------------------------ the report set
def test_one_summary_per_bid_per_lot_named_by_lot(lots_dir, capsys, tmp_path):
    files = sorted(p.name for p in lots_dir.iterdir())
    assert [f for f in files if f.startswith("assessment_summary_")] == [
        "assessment_summary_lot_l1_abbey_catering_ltd.pdf", "assessment_summary_lot_l1_brook_kitchens_cic.pdf",
        "assessment_summary_lot_l2_abbey_catering_ltd.pdf", "assessment_summary_lot_l2_brook_kitchens_cic.pdf",
        "assessment_summary_lot_l2_castle_meals_ltd.pdf"]
    assert "evaluation_report.pdf" in files and "results.xlsx" in files
    code, out = _run(LOTS, tmp_path / "j", capsys, "--json")
    assert code == 0
    doc = json.loads(out.out)
    assert sorted(doc["assessment_summaries"]) == ["L1", "L2"]
    assert doc["assessment_summaries"]["L2"][ABBEY].endswith("assessment_summary_lot_l2_abbey_catering_ltd.pdf")


# ------------------------------------------------------------------------------------------ reg 31 summaries
def test_summary_gives_every_criterion_and_sub_criterion_with_weight_score_and_explanation(lots_dir):
    text = _summary(lots_dir, "l1", "abbey_catering_ltd")
    assert "Lot L1: North schools" in text
    criteria = text[text.index("The award criteria"):text.index("Your scores")]
    assert has(criteria, "Q Quality 40 Group of 2 sub-criteria (Q1, Q2)")
    assert has(criteria, "Q1 Menu and nutrition 30")
    assert has(criteria, "Scores 0, 1, 2, 3, 4 (0–30 marks)")          # its own scale
    assert has(criteria, "Scores 0, 20, 40, 60, 80, 100 (0–10 marks)")  # Q2 on the rubric's scale
    assert has(criteria, "PF Food hygiene rating 5 and insurance pass/fail")
    scores = text[text.index("Your scores"):text.index("Sub-totals and total")]
    # Q1 moderated 4 of 4 -> 30 marks; Q2 80 of 100 -> 8 marks; the group is their exact sum
    assert has(scores, "Q1 Menu and nutrition 30 4 (Excellent) 30.00")
    assert has(scores, "Q2 Allergen management 10 80 (Good) 8.00")
    assert has(scores, "Q Quality 40 sum of Q1, Q2 38.00")
    assert has(scores, "PF Food hygiene rating 5 and insurance pass/fail pass -")
    assert has(text, "Group totals")
    assert has(text, "Q Quality 40 38.00 95.0% 50% meets the minimum")
    why = text[text.index("Why each score was given"):]
    assert "seasonal menus meeting the School Food Standards" in why                # the panel's rationale
    assert has(why, "The sum of the marks for Q1, Q2: 38.00 of 40")


def test_passed_over_supplier_is_told_the_lot_limit(lots_dir):
    text = _summary(lots_dir, "l2", "abbey_catering_ltd")
    assert "Lot L2: South schools" in text
    assert has(text, "ranked first of 2 in lot L2 (South schools), but the tender limits the lots one supplier may "
                     "be awarded: lot L2 is to be awarded to Brook Kitchens CIC")
    assert "Why lot L2 is not being awarded to you" in text
    assert has(text, "you have already been awarded lot L1 and the tender allows 1 lot per supplier")
    won = _summary(lots_dir, "l1", "abbey_catering_ltd")
    assert has(won, "the buyer intends to award lot L1 to you")
    assert "is not being awarded to you" not in won
    brook = _summary(lots_dir, "l2", "brook_kitchens_cic")
    assert has(brook, "ranked 2 of 2 in lot L2 (South schools). The tender ranked above yours is passed over under "
                      "the limit on lots per supplier, so the buyer intends to award lot L2 to you")


def test_a_fail_is_shown_as_fail_and_disqualifies(lots_dir):
    text = _summary(lots_dir, "l2", "castle_meals_ltd")
    assert has(text, "PF Food hygiene rating 5 and insurance pass/fail fail -")
    assert "disqualified" in text and "lot L2 cannot be awarded to you" in text
    assert "food hygiene rating 3 at the Southport kitchen" in text
    assert "Pass/fail questions" in text


# ------------------------------------------------------------------------------------------ evaluation report
def test_evaluation_report_shows_the_tree_each_lot_and_the_award(lots_report):
    t = lots_report
    assert has(t, "Q1 Menu and nutrition 30 scale; 75% of Q 2")
    assert "Q1 Menu and nutrition is scored on its own scale" in t
    award = t[t.index("Award across lots"):]
    assert has(award, f"1 L1 North schools £1,000,000 {ABBEY} none")
    assert has(award, f"2 L2 South schools £600,000 {BROOK} {ABBEY} (already awarded lot L1; the tender allows 1 "
                      "lot per supplier)")
    l1, l2 = t.index("Lot L1: North schools. Ranking"), t.index("Lot L2: South schools. Ranking")
    assert l1 < l2
    lot2 = t[l2:]
    assert has(lot2, "Contract value £600,000 over 3 years; local area Southport; outcome targets O1 3 FTE-years, O2 4 apprentice-years.")
    assert has(lot2, f"Lot L2 is awarded to {BROOK}. Passed over: {ABBEY}")
    assert has(lot2, "Award of this lot passed over: already awarded lot L1")
    assert has(lot2, f"DQ {CASTLE}")
    assert "Group totals" in lot2
    assert has(lot2, f"Lot L2, bid 1: {ABBEY}") and "Marks by criterion, through the tree" in lot2


# ------------------------------------------------------------------------------------------ workbook
def test_workbook_has_the_award_a_lot_column_and_the_tree(lots_book):
    assert lots_book.sheetnames[:2] == ["Award", "Summary"]
    award = _sheet(lots_book, "Award")
    assert award[["Lot", "Awarded to", "Passed over"]].fillna("").values.tolist() == [["L1", ABBEY, ""], ["L2", BROOK, ABBEY]]
    assert "already awarded lot L1; the tender allows 1 lot per supplier" in award["Why passed over"].iloc[1]
    summary = _sheet(lots_book, "Summary")
    assert summary.columns[0] == "Lot"
    assert summary[["Lot", "Bidder", "Rank"]].astype(object).fillna("DQ").values.tolist() == [
        ["L1", ABBEY, 1], ["L1", BROOK, 2], ["L2", ABBEY, 1], ["L2", BROOK, 2], ["L2", CASTLE, "DQ"]]
    scores = _sheet(lots_book, "Scores")
    pf = scores[(scores["Criterion"] == "PF") & (scores["Evaluator"] == "MODERATED")]
    assert pf[["Lot", "Bidder", "Score", "Used for marks"]].values.tolist() == [["L2", CASTLE, "fail", "yes"]]
    rubric = _sheet(lots_book, "Rubric")
    q1 = rubric[rubric["Id"] == "Q1"].iloc[0]
    assert q1["Item"] == "Sub-criterion (level 2)" and q1["Weight / target"] == 30
    assert "part of Q, 75% of it" in q1["Notes"]
    assert set(rubric.loc[rubric["Item"] == "Lot", "Id"]) == {"L1", "L2"}


def test_group_marks_are_the_exact_sum_of_their_sub_criteria(lots_book):
    tree = _sheet(lots_book, "Tree")
    for (lot, bidder), g in tree.groupby(["Lot", "Bidder"]):
        m = dict(zip(g["Criterion"], g["Marks"]))
        assert m["Q"] == m["Q1"] + m["Q2"], (lot, bidder)
        assert g.loc[g["Criterion"] == "PF", "Score"].iloc[0] in ("pass", "fail")


# ------------------------------------------------------------------------------------------ price per quality point
def test_price_per_quality_point_ranks_ascending_with_points_and_pounds(ppqp_dir):
    t = pdf_text(ppqp_dir / "evaluation_report.pdf")
    book = load_workbook(ppqp_dir / "results.xlsx")
    assert book.sheetnames[:6] == ["Summary", "Scores", "Flags", "Commitments", "Tree", "Rubric"]   # no lots: no Lot column
    assert book.sheetnames[6:] == ["Price base"]           # DESIGN 9.4: its proxy table mixes price years
    s = _sheet(book, "Summary")
    assert s.columns[:5].tolist() == ["Rank", "Bidder", "Status", "Quality points (of 100)", "£ per quality point"]
    s = s[s["Rank"].notna()].sort_values("Rank")
    per = s["£ per quality point"].tolist()
    assert per == sorted(per)                                     # lowest £ per point first
    for row in s.itertuples(index=False):
        assert row[s.columns.get_loc("£ per quality point")] == pytest.approx(
            row[s.columns.get_loc("Price £")] / row[s.columns.get_loc("Quality points (of 100)")])
    ranking = t[t.index("Ranking under the official"):]
    assert "£ per quality point" in ranking and "Ranked by £ per quality point, lowest first" in ranking
    first = s.iloc[0]
    assert has(ranking, f"1 {first['Bidder']} {first['Quality points (of 100)']:.2f} "
                        f"£{first['Price £']:,.0f} £{first['£ per quality point']:,.2f}")
    loser = s.iloc[-1]["Bidder"]
    text = _summary_ppqp(ppqp_dir, loser)
    assert "quality points (of 100) at a price of" in text and "per quality point" in text
    assert f"The winning tender, from {first['Bidder']}, costs £{first['£ per quality point']:,.2f} per quality point" in text


def _summary_ppqp(folder, bidder):
    stem = re.sub(r"[^a-z0-9]+", "_", bidder.lower()).strip("_")
    return pdf_text(folder / f"assessment_summary_{stem}.pdf")


def test_scores_without_a_lot_column_are_one_line_and_nothing_is_written(tmp_path, capsys):
    import csv
    rows = list(csv.reader((LOTS / "bids" / "scores.csv").open(encoding="utf-8")))
    with (tmp_path / "scores.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([r[:5] for r in rows])
    code = main(["report", "--rubric", str(LOTS / "rubric.yaml"), "--bids", str(LOTS / "bids"), "--scores",
                 str(tmp_path / "scores.csv"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "scores.csv" in err[0] and "'lot'" in err[0]
    assert list((tmp_path / "out").iterdir()) == []


def test_every_group_is_in_the_group_totals_however_many(tmp_path, capsys):
    """A tree of six groups: the report's group totals give all six (five to a table), none left out."""
    import shutil

    import yaml
    fix = tmp_path / "six"
    shutil.copytree(LOTS, fix)
    spec = yaml.safe_load((fix / "rubric.yaml").read_text(encoding="utf-8"))
    price, q, svq, sv, pf = spec["criteria"]
    q1, q2 = q["criteria"]
    q1.pop("share"), q2.pop("share")
    q["criteria"] = [{"id": "QA", "kind": "group", "name": "Menus", "share": 75, "criteria": [{**q1, "share": 100}]},
                     {"id": "QB", "kind": "group", "name": "Allergens", "share": 25, "criteria": [{**q2, "share": 100}]}]
    wrap = lambda gid, name, c, w: {"id": gid, "kind": "group", "name": name, "weight": w,  # noqa: E731
                                    **({"social_value": True} if c["kind"] != "price" else {}),
                                    "criteria": [{**{k: v for k, v in c.items() if k not in ("weight", "social_value")},
                                                  "share": 100}]}
    spec["criteria"] = [wrap("GP", "Price group", price, 40), q, wrap("GS", "Plan group", svq, 5),
                        wrap("GV", "Commitments group", sv, 15), pf]
    (fix / "rubric.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    code, _ = _run(fix, tmp_path / "out", capsys)
    assert code == 0
    text = pdf_text(tmp_path / "out" / "evaluation_report.pdf")
    start = text.index("Group totals")
    totals = text[start:text.index("Figures as claimed", start)]  # the first lot's group totals, whole
    for gid, name in (("GP", "Price group"), ("Q", "Quality"), ("QA", "Menus"), ("QB", "Allergens"),
                      ("GS", "Plan group"), ("GV", "Commitments group")):
        assert f"{gid} {name} (of" in totals, gid
