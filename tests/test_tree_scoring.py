"""Real tenders in the engine (DESIGN.md 9, issue 16): the criteria tree (sub-criteria, shares, a scale of
their own, group minimums), pass/fail questions, mandatory outcomes, a budget ceiling, price per quality
point, tie-break orders, the abnormally-low rules, and rubrics with no quality question at all."""
from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest
import yaml

from evaluator import check_scores, evaluate, load_bids, parse_rubric
from evaluator.scores import SCORE_COLUMNS

from .conftest import RUBRICS

OUTCOME = {"id": "O1", "name": "Local residents employed", "measures": ["EMP-LOCAL"], "unit": "fte_year",
           "baseline": 0, "target": 10, "priority": 1, "evidence_required": "E2", "if_not_delivered": "service credits"}


def rubric(criteria: list, *, outcomes=None, tender=None, **keys):
    """A rubric as data (the shipped proxy table), parsed exactly as a file is."""
    data = {"tender": {"id": "T-16", "title": "Test tender", "contract_value": 1_000_000, "duration_years": 2,
                       "local_area": ["Westvale"], **(tender or {})},
            "proxies": "proxies/public_2025.csv", "criteria": criteria,
            "design": {"outcomes": [dict(OUTCOME)] if outcomes is None else outcomes}, **keys}
    return parse_rubric(data, "tender.yaml", folder=RUBRICS)


def commitment(quantity=5.0, grade="E2", **extra) -> dict:
    return {"id": "C1", "measure": "EMP-LOCAL", "outcome": "O1", "quantity": quantity, "unit": "fte_year",
            "location": "Westvale", "beneficiaries": "borough residents", "evidence": {"grade": grade},
            "deadweight": 0.2, "attribution": 0.1, "deflator_rationale": "local claimant trend",
            "narrative": " ".join(["word"] * 30), "kpi": "quarterly payroll count", **extra}


def bids(folder: Path, r, *specs: dict, responses=True):
    """One YAML file per bid: {bidder, price[, commitments]}; responses to every scale criterion."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, spec in enumerate(specs):
        doc = {"price": 100_000, **spec}
        if responses:
            doc.setdefault("responses", {c.id: "our answer" for c in r.scale_criteria})
        (folder / f"bid{i}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_bids(folder, r).require_valid()


def scores(r, bidset, *rows):
    """(bidder, criterion, evaluator, score) rows, checked as a scores.csv is."""
    frame = pd.DataFrame([{"bidder": b, "criterion": c, "evaluator": e, "score": s, "rationale": "as the bid says"}
                          for b, c, e, s in rows], columns=SCORE_COLUMNS)
    return check_scores(frame, r, bidset.bidders)


def row(ev, bidder) -> pd.Series:
    return ev.results.set_index("bidder").loc[bidder]


def codes(ev, bidder) -> list[str]:
    return ev.flags[ev.flags["bidder"] == bidder]["code"].tolist()


TREE = [
    {"id": "PRICE", "kind": "price", "weight": 40},
    {"id": "Q", "kind": "group", "name": "Quality", "weight": 40, "criteria": [
        {"id": "Q1", "kind": "scale", "name": "Service model", "share": 70, "scale": [0, 1, 2, 3, 4], "threshold": 2},
        {"id": "Q2", "kind": "group", "name": "Safeguarding", "share": 30, "criteria": [
            {"id": "Q2a", "kind": "scale", "name": "Policies", "share": 50},
            {"id": "Q2b", "kind": "scale", "name": "Training", "share": 50}]}]},
    {"id": "SVQ", "kind": "scale", "name": "Social value plan", "weight": 5, "social_value": True},
    {"id": "SV", "kind": "social_value", "name": "Social value commitments", "weight": 15},
]


def _tree_tender(tmp_path, q1=(3, 3), q2a=60, q2b=80, min_share=None, q1_scale=None):
    crits = [dict(c) for c in TREE]
    if min_share is not None:
        crits[1] = {**crits[1], "min_share": min_share}
    if q1_scale is not None:
        crits[1] = {**crits[1], "criteria": [{**crits[1]["criteria"][0], "scale": q1_scale}, crits[1]["criteria"][1]]}
    r = rubric(crits)
    b = bids(tmp_path / "bids", r, {"bidder": "A", "price": 100_000}, {"bidder": "B", "price": 120_000})
    s = scores(r, b, ("A", "Q1", "MODERATED", q1[0]), ("B", "Q1", "MODERATED", q1[1]),
               ("A", "Q2a", "MODERATED", q2a), ("A", "Q2b", "MODERATED", q2b),
               ("B", "Q2a", "MODERATED", 100), ("B", "Q2b", "MODERATED", 100),
               ("A", "SVQ", "MODERATED", 60), ("B", "SVQ", "MODERATED", 60))
    return r, evaluate(r, b, s)


# ------------------------------------------------------------------------------------------ 9.1 the tree
def test_sub_criteria_marks_sum_to_their_groups_marks_exactly(tmp_path):
    r, ev = _tree_tender(tmp_path)
    scale = ev.scale.set_index(["bidder", "criterion"])["marks"]
    groups = ev.groups.set_index(["bidder", "group"])["marks"]
    # Q1: 28 points (70% of 40) x 3 / 4 (its own scale); Q2a and Q2b: 6 points each (50% of 30% of 40)
    assert scale["A", "Q1"] == 28 * 3 / 4
    assert scale["A", "Q2a"] == 6 * 60 / 100 and scale["A", "Q2b"] == 6 * 80 / 100
    assert groups["A", "Q2"] == scale["A", "Q2a"] + scale["A", "Q2b"]  # no rounding drift
    assert groups["A", "Q"] == scale["A", "Q1"] + scale["A", "Q2a"] + scale["A", "Q2b"]
    assert round(groups["A", "Q"], 2) == 29.4
    # thirds: Q1 on a 0-3 scale scored 2 earns 28 x 2/3 = 18.67 (to 2 places); the group adds the marks,
    # not their rounded display: 18.6666... + 3.6 + 4.8 = 27.07, where the rounded rows would add to 27.07
    # only by luck of the last digit
    r, ev = _tree_tender(tmp_path / "thirds", q1=(2, 2), q1_scale=[0, 1, 2, 3])
    scale = ev.scale.set_index(["bidder", "criterion"])["marks"]
    groups = ev.groups.set_index(["bidder", "group"])["marks"]
    assert scale["A", "Q1"] == 28 * 2 / 3
    assert groups["A", "Q"] == scale["A", "Q1"] + scale["A", "Q2a"] + scale["A", "Q2b"]
    assert round(groups["A", "Q"], 2) == 27.07
    # the bid's quality marks are the leaves' (SVQ is social value: not quality)
    assert row(ev, "A")["quality_score"] == pytest.approx(groups["A", "Q"], abs=1e-12)


def test_explain_gives_the_tree_one_row_per_node_with_level_path_weight_score_and_marks(tmp_path):
    r, ev = _tree_tender(tmp_path)
    tree = ev.explain("A")["tree"]
    assert tree["criterion"].tolist() == ["PRICE", "Q", "Q1", "Q2", "Q2a", "Q2b", "SVQ", "SV"]
    t = tree.set_index("criterion")
    assert t.loc["Q2a", "level"] == 3 and t.loc["Q2a", "path"] == "Q > Q2 > Q2a"
    assert t.loc["Q2", "weight"] == pytest.approx(12) and t.loc["Q1", "score"] == 3 and t.loc["Q1", "result"] is None
    assert t.loc["Q", "marks"] == t.loc["Q1", "marks"] + t.loc["Q2a", "marks"] + t.loc["Q2b", "marks"]
    assert "3 / 4" in ev.explain("A")["marks"].set_index("criterion").loc["Q1", "working"]


def test_a_threshold_on_a_sub_criterion_disqualifies_below_it_and_not_at_it(tmp_path):
    r, ev = _tree_tender(tmp_path, q1=(1, 2))  # Q1's minimum is 2 on its own 0-4 scale
    a, b = row(ev, "A"), row(ev, "B")
    assert not a["eligible"] and pd.isna(a["rank"]) and a["disqualified_by"] == "SV203"
    assert "SV203" in codes(ev, "A")
    assert b["eligible"] and b["rank"] == 1 and b["disqualified_by"] == "" and "SV203" not in codes(ev, "B")


def test_a_group_minimum_share_disqualifies_with_sv203_and_exactly_at_it_does_not(tmp_path):
    # A on Q: 28 x 2/4 + 6 x 0 + 6 x 40/100 = 16.4 of 40 marks (41%); B: 28 x 2/4 + 12 = 26 (65%)
    r, ev = _tree_tender(tmp_path, q1=(2, 2), q2a=0, q2b=40, min_share=0.5)
    a = row(ev, "A")
    assert not a["eligible"] and a["disqualified_by"] == "SV203"
    flag = ev.flags[(ev.flags["bidder"] == "A") & (ev.flags["code"] == "SV203")].iloc[0]
    assert flag["criterion"] == "Q" and "16.40 of 40 marks" in flag["message"] and "50%" in flag["message"]
    g = ev.groups.set_index(["bidder", "group"])
    assert g.loc[("A", "Q"), "below_min_share"] and not g.loc[("B", "Q"), "below_min_share"]
    # near miss: exactly half the group's marks is not below the minimum
    r, ev = _tree_tender(tmp_path / "near", q1=(2, 2), q2a=100, q2b=0, min_share=0.5)  # 14 + 6 + 0 = 20 of 40
    assert ev.groups.set_index(["bidder", "group"]).loc[("A", "Q"), "marks"] == 20
    assert row(ev, "A")["eligible"] and "SV203" not in codes(ev, "A")


# ------------------------------------------------------------------------------------------ 9.2 pass/fail
PF = [{"id": "PRICE", "kind": "price", "weight": 50}, {"id": "Q1", "kind": "scale", "weight": 30},
      {"id": "SV", "kind": "social_value", "weight": 20},
      {"id": "PF", "kind": "pass_fail", "name": "Insurance and operator licence"}]


def _pass_fail(tmp_path, *pf_rows):
    r = rubric(PF)
    b = bids(tmp_path / "bids", r, *({"bidder": x, "price": 100_000} for x in "ABCDE"))
    rows = [(x, "Q1", "MODERATED", 60) for x in "ABCDE"] + [(x, "PF", e, v) for x, e, v in pf_rows]
    return evaluate(r, b, scores(r, b, *rows))


def test_pass_fail_is_the_moderated_result_else_the_unanimous_one_else_unresolved(tmp_path):
    ev = _pass_fail(tmp_path,
                    ("A", "E1", "fail"), ("A", "E2", "fail"), ("A", "MODERATED", "PASS"),  # moderated wins
                    ("B", "E1", "pass"), ("B", "E2", "1"),                                  # unanimous
                    ("C", "E1", "pass"), ("C", "E2", "fail"),                               # unresolved
                    ("E", "E1", "0"), ("E", "E2", "Fail"))                                  # unanimous fail
    pf = ev.pass_fail.set_index("bidder")
    assert pf.loc["A", "result"] == "pass" and pf.loc["A", "basis"] == "moderated"
    assert pf.loc["B", "result"] == "pass" and pf.loc["B", "basis"] == "unanimous"
    assert pf.loc["C", "result"] is None and pf.loc["D", "result"] is None and pf.loc["E", "result"] == "fail"
    r = ev.results.set_index("bidder")
    assert r.loc[["A", "B"], "complete"].all() and r.loc[["A", "B"], "eligible"].all()
    assert "SV206" not in codes(ev, "A") and "SV208" not in codes(ev, "A")  # moderation settled it
    # unresolved: SV206, incomplete until moderated, still ranked; never scored: SV207, incomplete
    assert "SV206" in codes(ev, "C") and not r.loc["C", "complete"] and r.loc["C", "eligible"]
    assert "SV207" in codes(ev, "D") and not r.loc["D", "complete"] and r.loc["D", "eligible"]
    # a fail disqualifies: SV208
    assert "SV208" in codes(ev, "E") and not r.loc["E", "eligible"] and pd.isna(r.loc["E", "rank"])
    assert r.loc["E", "disqualified_by"] == "SV208" and "SV208" not in codes(ev, "A")
    message = ev.flags[ev.flags["code"] == "SV208"]["message"].iat[0]
    assert "PF (Insurance and operator licence" in message and "disqualified" in message
    tree = ev.explain("E")["tree"].set_index("criterion")  # a flat rubric with a pass/fail question shows it
    assert tree.loc["PF", "result"] == "fail" and tree.loc["Q1", "result"] is None
    assert "fail (unanimous): disqualified" in ev.explain("E")["marks"].set_index("criterion").loc["PF", "working"]


def test_a_pass_fail_question_carries_no_marks(tmp_path):
    ev = _pass_fail(tmp_path, *((x, "MODERATED", "pass") for x in "ABCDE"))
    assert (ev.results["total"] <= 100).all()
    assert ev.results.set_index("bidder").loc["A", "quality_score"] == 30 * 60 / 100


# ------------------------------------------------------------------------------------------ SV209 mandatory outcome
def test_nothing_credited_towards_a_mandatory_outcome_disqualifies_and_a_little_does_not(tmp_path):
    r = rubric([{"id": "PRICE", "kind": "price", "weight": 80}, {"id": "SV", "kind": "social_value", "weight": 20}],
               outcomes=[{**OUTCOME, "mandatory": True}])
    b = bids(tmp_path / "bids", r,
             {"bidder": "Nothing", "price": 90_000},
             {"bidder": "Unevidenced", "price": 95_000, "commitments": [commitment(5, grade="E0")]},
             {"bidder": "A little", "price": 100_000, "commitments": [commitment(0.5)]})
    ev = evaluate(r, b)
    res = ev.results.set_index("bidder")
    for who in ("Nothing", "Unevidenced"):  # no commitment; one not credited (no evidence, SV105)
        assert not res.loc[who, "eligible"] and res.loc[who, "disqualified_by"] == "SV209"
        assert "SV209" in codes(ev, who)
    assert res.loc["A little", "eligible"] and res.loc["A little", "rank"] == 1 and "SV209" not in codes(ev, "A little")
    # the disqualified cheaper bids do not set the lowest price
    assert res.loc["A little", "price_score"] == 80
    message = ev.flags[ev.flags["code"] == "SV209"]["message"].iat[0]
    assert "O1 (Local residents employed)" in message


# ------------------------------------------------------------------------------------------ SV210 budget
def test_a_price_above_a_budget_ceiling_disqualifies_and_one_at_the_budget_does_not(tmp_path):
    crits = [{"id": "PRICE", "kind": "price", "weight": 80}, {"id": "SV", "kind": "social_value", "weight": 20}]
    r = rubric(crits, tender={"budget": 100_000, "budget_is_ceiling": True})
    b = bids(tmp_path / "bids", r, {"bidder": "Over", "price": 100_001}, {"bidder": "At", "price": 100_000})
    ev = evaluate(r, b)
    res = ev.results.set_index("bidder")
    assert not res.loc["Over", "eligible"] and res.loc["Over", "disqualified_by"] == "SV210"
    assert "£100,001" in ev.flags[ev.flags["code"] == "SV210"]["message"].iat[0]
    assert res.loc["At", "eligible"] and "SV210" not in codes(ev, "At")
    # a budget that is not a ceiling disqualifies nobody
    r = rubric(crits, tender={"budget": 100_000})
    ev = evaluate(r, bids(tmp_path / "b2", r, {"bidder": "Over", "price": 100_001}))
    assert ev.results["eligible"].all() and ev.flags[ev.flags["code"] == "SV210"].empty


def test_disqualified_by_names_every_code_that_disqualified(tmp_path):
    r = rubric(PF, tender={"budget": 100_000, "budget_is_ceiling": True})
    b = bids(tmp_path / "bids", r, {"bidder": "A", "price": 150_000}, {"bidder": "B", "price": 90_000})
    ev = evaluate(r, b, scores(r, b, ("A", "PF", "MODERATED", "fail"), ("B", "PF", "MODERATED", "pass")))
    assert ev.results["disqualified_by"].tolist() == ["SV208, SV210", ""]


# ------------------------------------------------------------------------------------------ price
def test_relative_price_on_fixed_quotes_published_example(tmp_path):
    """Crown Commercial Service's Digital Marketplace example: divide the cheapest quote by each quote.
    £10,000 / £15,000 / £30,000 give 1 / 0.667 / 0.333, so 100 / 66.67 / 33.33 of 100 marks. A rubric of
    price only (no quality question) evaluates: issue 16's KeyError."""
    r = rubric([{"id": "PRICE", "kind": "price", "weight": 100, "method": "relative"}], outcomes=[])
    b = bids(tmp_path / "bids", r, {"bidder": "Supplier A", "price": 15_000}, {"bidder": "Supplier B", "price": 10_000},
             {"bidder": "Supplier C", "price": 30_000})
    ev = evaluate(r, b)
    res = ev.results.set_index("bidder")
    assert [round(res.loc[f"Supplier {x}", "total"], 2) for x in "ABC"] == [66.67, 100.0, 33.33]
    assert res["rank"].tolist() == [2, 1, 3] and res["complete"].all()
    doc = orjson.loads(ev.json_bytes())
    assert [bid["price_score"] for bid in doc["bids"]] == [66.6667, 100.0, 33.3333]
    assert ev.explain("Supplier A")["marks"]["criterion"].tolist() == ["PRICE", "TOTAL"]


def test_price_and_social_value_with_no_quality_question_evaluate(tmp_path):
    r = rubric([{"id": "PRICE", "kind": "price", "weight": 80}, {"id": "SV", "kind": "social_value", "weight": 20}])
    b = bids(tmp_path / "bids", r, {"bidder": "A", "price": 100_000, "commitments": [commitment(5)]},
             {"bidder": "B", "price": 90_000})
    ev = evaluate(r, b)
    assert ev.results["eligible"].all() and ev.results["rank"].notna().all()
    assert ev.results["disqualified_by"].tolist() == ["", ""]
    assert "tree" not in ev.explain("A") and len(orjson.loads(ev.json_bytes())["bids"]) == 2


PPP = [{"id": "Q1", "kind": "scale", "name": "Quality", "weight": 80},
       {"id": "SV", "kind": "social_value", "name": "Social value", "weight": 20}]


def test_price_per_quality_point_lowest_wins(tmp_path):
    """Price per quality point: each bid's price over its quality points; the lowest wins, so neither the
    cheapest bid (B) nor the best (C) wins here. A £100,000 / 80 points = £1,250 per point; B £90,000 / 60
    = £1,500; C £120,000 / 90 = £1,333.33. The method as published (Local Government Procurement, "Methods
    of Evaluating Price in Tenders, Part 4", the cost-effectiveness ratio: the non-price criteria weighted to
    total 100%, each tender's price divided by its non-price score, the lowest ratio best); the figures are
    worked by hand here, the source giving none."""
    crits = [{"id": "Q1", "kind": "scale", "weight": 90}, {"id": "SVQ", "kind": "scale", "weight": 10,
                                                           "social_value": True}]
    r = rubric(crits, award="price_per_quality_point", outcomes=[])
    b = bids(tmp_path / "bids", r, {"bidder": "A", "price": 100_000}, {"bidder": "B", "price": 90_000},
             {"bidder": "C", "price": 120_000})
    s = scores(r, b, ("A", "Q1", "MODERATED", 80), ("A", "SVQ", "MODERATED", 80),
               ("B", "Q1", "MODERATED", 60), ("B", "SVQ", "MODERATED", 60),
               ("C", "Q1", "MODERATED", 100), ("C", "SVQ", "MODERATED", 0))
    ev = evaluate(r, b, s)
    res = ev.results.set_index("bidder")
    assert res["quality_points"].tolist() == pytest.approx([80, 60, 90])
    assert res["price_per_point"].tolist() == pytest.approx([1250, 1500, 120_000 / 90])
    assert res["rank"].tolist() == [1, 3, 2] and ev.winner() == "A"
    doc = {bid["bidder"]: bid for bid in orjson.loads(ev.json_bytes())["bids"]}
    assert doc["A"]["quality_points"] == 80.0 and doc["A"]["price_per_point"] == 1250.0
    assert doc["C"]["price_per_point"] == 1333.3333 and doc["C"]["rank"] == 2
    assert "£100,000 / 80.00 quality points" in ev.explain("A")["marks"]["working"].iat[-1]


def test_price_per_quality_point_a_weighted_rubric_has_no_such_columns(tmp_path):
    r = rubric([{"id": "PRICE", "kind": "price", "weight": 80}, {"id": "SV", "kind": "social_value", "weight": 20}])
    ev = evaluate(r, bids(tmp_path / "bids", r, {"bidder": "A"}))
    assert "price_per_point" not in ev.results.columns
    assert "price_per_point" not in orjson.loads(ev.json_bytes())["bids"][0]


# ------------------------------------------------------------------------------------------ ties, abnormally low
def _tied(tmp_path, tie_break=None):
    """A and B tie on 76 marks: A has more quality marks (48 v 36), B more social-value marks (20 v 8)."""
    crits = [{"id": "PRICE", "kind": "price", "weight": 20}, {"id": "Q1", "kind": "scale", "weight": 60},
             {"id": "SVQ", "kind": "scale", "weight": 20, "social_value": True}]
    r = rubric(crits, outcomes=[], **({"tie_break": tie_break} if tie_break else {}))
    b = bids(tmp_path / "bids", r, {"bidder": "A", "price": 100_000}, {"bidder": "B", "price": 100_000})
    s = scores(r, b, ("A", "Q1", "MODERATED", 80), ("A", "SVQ", "MODERATED", 40),
               ("B", "Q1", "MODERATED", 60), ("B", "SVQ", "MODERATED", 100))
    return evaluate(r, b, s)


def test_ties_break_in_the_rubrics_order(tmp_path):
    ev = _tied(tmp_path / "default")  # quality first: A (48 quality marks) over B (36)
    assert ev.results["total"].round(9).tolist() == [76.0, 76.0] and ev.results["rank"].tolist() == [1, 2]
    ev = _tied(tmp_path / "sv", ["social_value", "quality"])  # social value first: B (20) over A (12)
    assert ev.results["rank"].tolist() == [2, 1]
    ev = _tied(tmp_path / "price", ["price"])  # equal prices, nothing else: a shared rank
    assert ev.results["rank"].tolist() == [1, 1]


def test_abnormally_low_below_the_mean_excluding_the_highest(tmp_path):
    crits = [{"id": "PRICE", "kind": "price", "weight": 80}, {"id": "SV", "kind": "social_value", "weight": 20}]
    r = rubric(crits, abnormally_low={"rule": "below_mean_excluding_highest"})
    # for the £100,000 bid the others are 110k, 130k and 200k: leaving out 200k, their mean is £120,000,
    # and 15% below it is £102,000: flagged. For the £110,000 bid: others 100k, 130k (200k left out) mean
    # £115,000, 15% below £97,750: not flagged (the near miss).
    b = bids(tmp_path / "bids", r, {"bidder": "Low", "price": 100_000}, {"bidder": "Mid", "price": 110_000},
             {"bidder": "C", "price": 130_000}, {"bidder": "High", "price": 200_000})
    ev = evaluate(r, b)
    flagged = ev.flags[ev.flags["code"] == "SV204"]
    assert flagged["bidder"].tolist() == ["Low"]
    assert "£120,000" in flagged["message"].iat[0] and "15%" in flagged["message"].iat[0]
    # the default rule: under 80% of the median (here £110,000: under £88,000)
    r = rubric(crits)
    ev = evaluate(r, bids(tmp_path / "b2", r, {"bidder": "Low", "price": 87_000}, {"bidder": "Mid", "price": 110_000},
                          {"bidder": "C", "price": 130_000}, {"bidder": "D", "price": 88_000},
                          {"bidder": "E", "price": 110_000}))
    assert ev.flags.query("code == 'SV204'")["bidder"].tolist() == ["Low"]  # £88,000 is not under: the near miss
    r = rubric(crits, abnormally_low={"rule": "median_share", "share": 0.95})  # a share of its own
    ev = evaluate(r, bids(tmp_path / "b3", r, {"bidder": "Low", "price": 100_000}, {"bidder": "Mid", "price": 110_000},
                          {"bidder": "C", "price": 130_000}))
    assert ev.flags.query("code == 'SV204'")["bidder"].tolist() == ["Low"]
    assert "under 95% of the median" in ev.flags.query("code == 'SV204'")["message"].iat[0]
