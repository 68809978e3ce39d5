"""Every flag of DESIGN.md section 5 fires where it should and a near miss does not.

Fixtures are real files: tests/fixtures/checks/rubric.yaml and proxies.csv (a 4-year contract, local
area Northtown/Easton, workforce 120 FTE). Each test writes its bids (and scores) into tmp_path.
"""
from __future__ import annotations

import copy
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evaluator import RubricRefused, evaluate, load_bids, load_rubric, load_scores
from evaluator.design_checks import check_rubric
from evaluator.flags import CATALOGUE

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "checks"
RUBRIC = FIXTURES / "rubric.yaml"
DROP = object()  # an override that removes the field

# DESIGN.md section 5, copied by hand: the public contract the engine must keep.
SEVERITY = {
    "SV101": "error", "SV102": "warning", "SV103": "warning", "SV104": "error", "SV105": "error",
    "SV106": "warning", "SV107": "warning", "SV108": "error", "SV109": "error", "SV110": "warning",
    "SV111": "warning", "SV112": "warning", "SV113": "error", "SV114": "warning", "SV115": "warning",
    "SV116": "warning", "SV117": "error", "SV118": "warning",
    "SV201": "warning", "SV202": "warning", "SV203": "error", "SV204": "warning", "SV205": "warning",
    "SV206": "info", "SV207": "warning",
    "SV301": "error", "SV302": "warning", "SV303": "warning", "SV304": "warning", "SV305": "info",
    "SV306": "warning", "SV308": "info",
    "SV315": "error", "SV316": "error", "SV317": "warning", "SV318": "warning",  # issue 18
}

NARRATIVE = ("We recruit through the Jobcentre and two local charities, pay the Real Living Wage, give each "
             "recruit a mentor for six months, and report hires and retention to the council every quarter.")
GOOD = {  # EMP-LOCAL-BARRIERS serving O1: no SV1xx flag at all
    "measure": "EMP-LOCAL-BARRIERS", "outcome": "O1",
    "description": "Recruit and train local residents who are long-term unemployed",
    "quantity": 24, "unit": "fte_year", "claimed_proxy": 24000, "claimed_value": 576000,
    "start_year": 1, "end_year": 4, "location": "Northtown",
    "beneficiaries": "long-term unemployed residents",
    "evidence": {"grade": "E2", "description": "2024 programme: 18 of 25 sustained 12 months"},
    "deadweight": 0.2, "attribution": 0.1, "displacement": 0.05,
    "deflator_rationale": "ONS local claimant trend; partner college delivers training",
    "narrative": NARRATIVE, "kpi": "Quarterly count of hires sustained 26 weeks, from payroll",
    "contract_specific": True,
}
CONTROL = {  # a second clean commitment (other measure, group and cohort) beside the one under test
    "measure": "WELLBY", "outcome": "O2", "description": "Befriending calls for people living alone",
    "quantity": 20, "unit": "wellby", "claimed_proxy": 13000, "claimed_value": 260000,
    "location": "Easton", "beneficiaries": "people receiving care who live alone",
}
SPEND = {"measure": "LOCAL-SPEND", "unit": "gbp", "quantity": 100000, "outcome": DROP,
         "claimed_proxy": DROP, "claimed_value": DROP, "beneficiaries": DROP,
         "description": "Spend with Northtown suppliers"}
ROBBERY = {"measure": "CRIME-ROBBERY", "unit": "incident", "quantity": 10, "outcome": DROP,
           "claimed_proxy": 11320, "claimed_value": DROP, "beneficiaries": "young people at risk",
           "description": "Youth diversion sessions"}
RESPONSES = {"Q1": "Patch-based teams with named carers.", "SVQ": "Local recruitment and befriending."}


def commitment(id="X1", base=None, **over):
    """GOOD (or GOOD updated with `base`) with `over` applied; DROP removes a field."""
    c = {**copy.deepcopy(GOOD), **(base or {}), "id": id, **over}
    return {k: v for k, v in c.items() if v is not DROP}


def grade(g):
    return {"grade": g, "description": "monitoring data"}


def bid(bidder="Acme Care", commitments=None, price=4_650_000, responses=RESPONSES):
    if commitments is None:
        commitments = [commitment("G1", CONTROL)]
    return {"bidder": bidder, "price": price, "responses": responses, "commitments": commitments}


def run(tmp_path, *bids, rubric=None, scores=None):
    """Write the bids as YAML files, load them as a user's folder and evaluate (scores: rows or None)."""
    rubric = rubric or load_rubric(RUBRIC)
    folder = tmp_path / "bids"
    folder.mkdir(exist_ok=True)
    for i, b in enumerate(bids):
        (folder / f"bid_{i}.yaml").write_text(yaml.safe_dump(b, sort_keys=False), encoding="utf-8")
    bidset = load_bids(folder, rubric)
    assert bidset.problems == []
    return evaluate(rubric, bidset, write_scores(tmp_path, rubric, scores) if scores is not None else None)


def write_scores(tmp_path, rubric, rows):
    """rows: (bidder, criterion, evaluator, score); every score gets a rationale as reg 31 demands."""
    path = tmp_path / "scores.csv"
    pd.DataFrame([(*r, "reason given") for r in rows],
                 columns=["bidder", "criterion", "evaluator", "score", "rationale"]).to_csv(path, index=False)
    return load_scores(path, rubric)


def moderated(bidder="Acme Care", q1=60, svq=60):
    return [(bidder, "Q1", "MODERATED", q1), (bidder, "SVQ", "MODERATED", svq)]


def flags_of(frame, code):
    """The flags of one code, each checked against DESIGN 5: severity, a message and a fix."""
    hits = frame[frame["code"] == code]
    for f in hits.itertuples():
        assert f.severity == SEVERITY[code], f"{code} severity {f.severity}"
        assert isinstance(f.message, str) and f.message.strip(), f"{code} has no message"
        assert isinstance(f.fix, str) and f.fix.strip(), f"{code} has no fix"
    return hits


def digits(text):
    return text.replace(",", "")


def row(ev, cid, bidder="Acme Care"):
    c = ev.commitments
    return c[(c["bidder"] == bidder) & (c["id"] == cid)].iloc[0]


def result(ev, bidder="Acme Care"):
    return ev.results.set_index("bidder").loc[bidder]


# ----------------------------------------------------------------------------- the contract itself

def test_engine_severities_match_design():
    # new codes may be added (DESIGN 5); the published ones keep their name's severity
    assert {code: CATALOGUE[code].severity for code in SEVERITY} == SEVERITY


def test_good_commitments_raise_no_commitment_flags(tmp_path):
    ev = run(tmp_path, bid(commitments=[commitment("A1"), commitment("G1", CONTROL)]))
    assert ev.flags[ev.flags["code"].str.startswith("SV1")].empty
    assert ev.commitments["credited"].all()


@pytest.mark.parametrize("field", ["claimed_proxy", "deadweight", "start_year"])
def test_optional_numeric_field_omitted_from_every_commitment(tmp_path, field):
    # DESIGN 4.3: these are optional; a folder where no commitment states one must load and be checked
    # (regression: 2361f7c raised "ValueError: output array is read-only" in bids.ValueChecker._present)
    ev = run(tmp_path, bid(commitments=[commitment("A1", **{field: DROP})]))
    assert ev.commitments["id"].tolist() == ["A1"]


# ----------------------------------------------------------------------------- SV1xx fire / near miss

E = grade
WORDS = lambda n: " ".join(["word"] * n)  # noqa: E731
SV1_CASES = [
    # code, overrides of the commitment under test (X1), fires?
    ("SV101", dict(measure="EMP-MADE-UP"), True),
    ("SV101", dict(), False),
    ("SV102", dict(claimed_value=576000 * 1.015), True),
    ("SV102", dict(claimed_value=576000 * 0.985), True),
    ("SV102", dict(claimed_value=576000 * 1.005), False),
    ("SV102", dict(claimed_proxy=DROP, claimed_value=900000), False),  # nothing to check it against
    ("SV103", dict(claimed_proxy=39040, claimed_value=24 * 39040), True),  # just above high 39,039
    ("SV103", dict(claimed_proxy=39039, claimed_value=24 * 39039), False),  # equal to high
    # no high: > value + 10%, the value in the price base (2015/16 -> 2024-25: × 100/74.5804, DESIGN 9.4)
    ("SV103", dict(base=ROBBERY, claimed_proxy=11320 * 100 / 74.5804 * 1.11), True),
    ("SV103", dict(base=ROBBERY, claimed_proxy=11320 * 100 / 74.5804 * 1.09), False),
    ("SV104", dict(unit="hour"), True),
    ("SV104", dict(unit="FTE_Year"), False),
    ("SV104", dict(unit=DROP), False),
    ("SV105", dict(evidence=DROP), True),
    ("SV105", dict(evidence=E("E0")), True),
    ("SV105", dict(evidence=E("E1")), False),
    ("SV106", dict(evidence=E("E1")), True),  # O1 requires E2
    ("SV106", dict(evidence=E("E2")), False),
    ("SV106", dict(evidence=E("E0")), False),  # SV105's business, not SV106's
    ("SV106", dict(base=SPEND, evidence=E("E1")), False),  # off-design: no requirement applies
    ("SV107", dict(end_year=5), True),
    ("SV107", dict(end_year=4), False),
    ("SV107", dict(persistence_years=2, evidence=E("E2")), True),
    ("SV107", dict(persistence_years=2, evidence=E("E3")), False),
    ("SV109", dict(quantity=0), True),
    ("SV109", dict(quantity=-5), True),
    ("SV109", dict(quantity=float("inf")), True),
    ("SV109", dict(quantity=DROP), True),
    ("SV109", dict(quantity=481, claimed_value=481 * 24000), True),  # > 120 FTE x 4 years = 480
    ("SV109", dict(quantity=480, claimed_value=480 * 24000), False),
    ("SV109", dict(base=SPEND, quantity=4_650_001), True),  # spend above the bid price
    ("SV109", dict(base=SPEND, quantity=4_650_000), False),  # equal to it
    ("SV110", dict(base=SPEND, claimed_value=100000), True),
    ("SV110", dict(base=SPEND, claimed_proxy=1), True),
    ("SV110", dict(base=SPEND), False),
    ("SV110", dict(), False),  # an outcome measure may carry £
    ("SV111", dict(deadweight=DROP, attribution=DROP), True),
    ("SV111", dict(deadweight=DROP), False),
    ("SV111", dict(attribution=DROP), False),
    ("SV112", dict(deadweight=0.02, deflator_rationale=DROP), True),
    ("SV112", dict(attribution=0.0, deflator_rationale=DROP), True),
    ("SV112", dict(deadweight=0.03, deflator_rationale=DROP), False),
    ("SV112", dict(deadweight=0.01), False),  # explained by the rationale
    ("SV113", dict(location="Leeds"), True),
    ("SV113", dict(location=DROP), True),
    ("SV113", dict(location="northtown"), False),
    ("SV113", dict(location="  EASTON "), False),
    ("SV113", dict(base=CONTROL, location="Leeds"), False),  # WELLBY is not local-only
    ("SV114", dict(outcome="O9"), True),  # not an outcome of the design
    ("SV114", dict(outcome="O2"), True),  # O2's measures do not include EMP-LOCAL-BARRIERS
    ("SV114", dict(base=SPEND), True),  # a measure no outcome uses
    ("SV114", dict(outcome=DROP), False),  # omitted: served by O1 through its measure
    ("SV115", dict(narrative=WORDS(24)), True),
    ("SV115", dict(narrative=DROP), True),
    ("SV115", dict(narrative=WORDS(25)), False),
    ("SV116", dict(kpi=DROP), True),
    ("SV116", dict(kpi="   "), True),
    ("SV116", dict(kpi="Monthly payroll count"), False),
    ("SV117", dict(contract_specific=False), True),
    ("SV117", dict(contract_specific=True), False),
    ("SV117", dict(contract_specific=DROP), False),
]


@pytest.mark.parametrize("code,over,fires", SV1_CASES,
                         ids=[f"{c}-{'fires' if f else 'quiet'}-{i}" for i, (c, _, f) in enumerate(SV1_CASES)])
def test_commitment_check(tmp_path, code, over, fires):
    over = dict(over)
    x1 = commitment("X1", over.pop("base", None), **over)
    ev = run(tmp_path, bid(commitments=[commitment("G1", CONTROL), x1]))
    hits = flags_of(ev.flags, code)
    if fires:
        assert hits["commitment"].tolist() == ["X1"]
        assert hits["bidder"].tolist() == ["Acme Care"]
    else:
        assert hits.empty, hits["message"].tolist()


@pytest.mark.parametrize("over,needles", [
    (dict(claimed_proxy=45000, claimed_value=24 * 45000), ["SV103", "45000", "39039"]),
    (dict(quantity=481, claimed_value=481 * 24000), ["SV109", "481", "480"]),
    (dict(claimed_value=590000), ["SV102", "590000", "576000"]),
    (dict(end_year=6), ["SV107", "year 6", "4-year"]),
    (dict(deadweight=0.02, deflator_rationale=DROP), ["SV112", "2%"]),
    (dict(narrative=WORDS(24)), ["SV115", "24 words"]),
    (dict(location="Leeds"), ["SV113", "Leeds", "Northtown"]),
])
def test_commitment_messages_give_the_numbers(tmp_path, over, needles):
    ev = run(tmp_path, bid(commitments=[commitment("X1", **over)]))
    code, *numbers = needles
    message = digits(flags_of(ev.flags, code)["message"].iat[0])
    for n in numbers:
        assert n in message, message


# ----------------------------------------------------------------------------- SV108 double count

COHORT = "long-term unemployed residents"


@pytest.mark.parametrize("first,second", [("EMP-LOCAL-BARRIERS", "EMP-LOCAL"), ("EMP-LOCAL", "EMP-LOCAL-BARRIERS")])
def test_sv108_same_cohort_in_one_exclusive_group_flags_the_later_only(tmp_path, first, second):
    ev = run(tmp_path, bid(commitments=[commitment("A1", measure=first), commitment("A2", measure=second)]))
    hits = flags_of(ev.flags, "SV108")
    assert hits["commitment"].tolist() == ["A2"]
    assert "A1" in hits["message"].iat[0]
    assert row(ev, "A1")["credited"] and not row(ev, "A2")["credited"]


def test_sv108_same_cohort_written_differently_is_still_one_cohort(tmp_path):
    ev = run(tmp_path, bid(commitments=[commitment("A1"), commitment(
        "A2", measure="EMP-LOCAL", beneficiaries="  Long-term   UNEMPLOYED residents")]))
    assert flags_of(ev.flags, "SV108")["commitment"].tolist() == ["A2"]


@pytest.mark.parametrize("other", [
    dict(base=CONTROL, beneficiaries=COHORT),  # same cohort, WELLBY is another group
    dict(measure="EMP-LOCAL", beneficiaries="care leavers aged 18-25"),  # same group, another cohort
    dict(quantity=12, description="Second intake, years 3-4", start_year=3),  # same measure: not a second count
])
def test_sv108_near_misses(tmp_path, other):
    other = dict(other)
    ev = run(tmp_path, bid(commitments=[commitment("A1"), commitment("A2", other.pop("base", None), **other)]))
    assert flags_of(ev.flags, "SV108").empty


def test_sv108_duplicated_commitment_flags_the_later_copy(tmp_path):
    ev = run(tmp_path, bid(commitments=[commitment("A1"), commitment("G1", CONTROL), commitment("A2")]))
    hits = flags_of(ev.flags, "SV108")
    assert hits["commitment"].tolist() == ["A2"]
    assert "A1" in hits["message"].iat[0]
    assert row(ev, "A1")["credited"] and not row(ev, "A2")["credited"]
    assert row(ev, "A2")["figures_value"] == 576000  # the figures lens still counts both


def test_sv108_same_commitment_in_two_bids_is_not_a_double_count(tmp_path):
    ev = run(tmp_path, bid("Acme Care", [commitment("A1")]), bid("Beta Care", [commitment("A1")]))
    assert flags_of(ev.flags, "SV108").empty


# ----------------------------------------------------------------------------- what the lenses credit

ERROR_CASES = [
    ("SV101", dict(measure="EMP-MADE-UP")),
    ("SV104", dict(unit="hour")),
    ("SV105", dict(evidence=DROP)),
    ("SV105", dict(evidence=E("E0"))),
    ("SV109", dict(quantity=481, claimed_value=481 * 24000)),
    ("SV109", dict(quantity=0)),
    ("SV113", dict(location="Leeds")),
    ("SV117", dict(contract_specific=False)),
]


@pytest.mark.parametrize("code,over", ERROR_CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(ERROR_CASES)])
def test_design_lens_credits_nothing_with_an_error_but_figures_lens_counts_it(tmp_path, code, over):
    ev = run(tmp_path, bid(commitments=[commitment("G1", CONTROL), commitment("X1", **over)]))
    x = row(ev, "X1")
    assert code in x["error_codes"].split(",")
    assert not x["credited"]
    assert x["net_quantity"] == 0 and x["credited_value"] == 0
    assert x["figures_value"] > 0
    assert row(ev, "G1")["credited"]  # the clean commitment beside it is untouched
    att = ev.attainment.set_index(["bidder", "outcome"])["net_quantity"]
    assert att[("Acme Care", "O1")] == 0 and att[("Acme Care", "O2")] > 0


@pytest.mark.parametrize("over", [
    dict(claimed_value=600000),                                       # SV102
    dict(claimed_proxy=45000, claimed_value=24 * 45000),              # SV103
    dict(evidence=E("E1")),                                           # SV106
    dict(deadweight=DROP, attribution=DROP),                          # SV111
    dict(narrative=DROP, kpi=DROP),                                   # SV115, SV116
])
def test_warnings_are_credited_but_questioned(tmp_path, over):
    ev = run(tmp_path, bid(commitments=[commitment("G1", CONTROL), commitment("X1", **over)]))
    x = row(ev, "X1")
    assert not ev.flags[ev.flags["commitment"] == "X1"].empty
    assert x["error_codes"] == "" and x["credited"] and x["net_quantity"] > 0 and x["credited_value"] > 0


def _df(y, r=0.035):
    return 1 / (1 + r) ** y


@pytest.mark.parametrize("quantity,start,end,in_term", [(30, 1, 5, 24.0), (20, 3, 6, 10.0), (24, 1, 4, 24.0)])
def test_sv107_drops_only_the_years_after_the_term(tmp_path, quantity, start, end, in_term):
    ev = run(tmp_path, bid(commitments=[commitment("X1", quantity=quantity, start_year=start, end_year=end,
                                                   claimed_value=quantity * 24000)]))
    x = row(ev, "X1")
    assert bool(len(flags_of(ev.flags, "SV107"))) == (end > 4)
    assert x["quantity_in_term"] == pytest.approx(quantity * (min(end, 4) - start + 1) / (end - start + 1))
    assert x["quantity_in_term"] == pytest.approx(in_term)
    assert x["credited"]  # a warning: the in-term years still count
    additionality = (1 - 0.2) * (1 - 0.1) * (1 - 0.05)
    assert x["net_quantity"] == pytest.approx(in_term * additionality * 0.75)
    per_year = quantity / (end - start + 1)
    expected = sum(per_year * 23874 * additionality * 0.75 * _df(y) for y in range(start, min(end, 4) + 1))
    assert x["credited_value"] == pytest.approx(expected)
    assert x["figures_value"] == quantity * 24000  # the figures lens takes the whole claim


def test_sv107_persistence_without_e3_is_not_credited_with_e3_it_is(tmp_path):
    ev = run(tmp_path, bid(commitments=[
        commitment("P2", persistence_years=2, evidence=E("E2"), beneficiaries="cohort a"),
        commitment("N2", evidence=E("E2"), beneficiaries="cohort b", description="no persistence"),
        commitment("P3", persistence_years=2, evidence=E("E3"), beneficiaries="cohort c"),
        commitment("N3", evidence=E("E3"), beneficiaries="cohort d", description="no persistence")]))
    assert flags_of(ev.flags, "SV107")["commitment"].tolist() == ["P2"]
    assert row(ev, "P2")["credited_value"] == pytest.approx(row(ev, "N2")["credited_value"])
    assert row(ev, "P3")["credited_value"] > row(ev, "N3")["credited_value"]


# ----------------------------------------------------------------------------- SV2xx bid checks

def test_sv201_claimed_share_outlier(tmp_path):
    cap = 0.24 * 4_800_000  # 1,152,000
    ev = run(tmp_path, bid("Over", [commitment("X1", claimed_value=cap + 1)]),
             bid("Equal", [commitment("X1", claimed_value=cap)]),
             bid("Under", [commitment("X1", claimed_value=1_100_000)]))
    hits = flags_of(ev.flags, "SV201")
    assert hits["bidder"].tolist() == ["Over"]
    assert hits["commitment"].isna().all()
    assert "1152001" in digits(hits["message"].iat[0]) and "4800000" in digits(hits["message"].iat[0])


@pytest.mark.parametrize("responses,missing", [
    ({"Q1": "Patch-based teams."}, ["SVQ"]),
    ({"Q1": "Patch-based teams.", "SVQ": "  "}, ["SVQ"]),
    (None, ["Q1", "SVQ"]),
    (RESPONSES, []),
])
def test_sv202_missing_response(tmp_path, responses, missing):
    ev = run(tmp_path, bid(responses=responses))
    hits = flags_of(ev.flags, "SV202")
    assert sorted(hits["criterion"]) == missing
    assert set(hits["bidder"]) <= {"Acme Care"}


@pytest.mark.parametrize("q1,disqualified", [(20, True), (40, False), (60, False)])
def test_sv203_below_threshold_disqualifies(tmp_path, q1, disqualified):
    ev = run(tmp_path, bid("Acme Care", price=4_000_000), bid("Beta Care", price=4_400_000),
             scores=moderated("Acme Care", q1=q1) + moderated("Beta Care"))
    hits = flags_of(ev.flags, "SV203")
    acme, beta = result(ev, "Acme Care"), result(ev, "Beta Care")
    if disqualified:
        assert hits["bidder"].tolist() == ["Acme Care"] and hits["criterion"].tolist() == ["Q1"]
        assert "20" in hits["message"].iat[0] and "40" in hits["message"].iat[0]
        assert not acme["eligible"]
        assert pd.isna(acme["rank"]) and pd.isna(acme["design_rank"]) and pd.isna(acme["figures_rank"])
        assert beta["rank"] == 1 and beta["price_score"] == pytest.approx(40)  # lowest among eligible bids
    else:
        assert hits.empty
        assert acme["eligible"] and acme["rank"] in (1, 2)


@pytest.mark.parametrize("low_price,fires", [(3_190_000, True), (3_400_000, False)])  # median 4,000,000
def test_sv204_abnormally_low_price(tmp_path, low_price, fires):
    ev = run(tmp_path, bid("Acme Care", price=4_000_000), bid("Beta Care", price=4_000_000),
             bid("Cheap Care", price=low_price))
    hits = flags_of(ev.flags, "SV204")
    if fires:
        assert hits["bidder"].tolist() == ["Cheap Care"]
        assert "3190000" in digits(hits["message"].iat[0]) and "4000000" in digits(hits["message"].iat[0])
    else:
        assert hits.empty


def test_sv204_with_two_bids(tmp_path):
    # median of (4,000,000, 2,000,000) is 3,000,000; 80% of it is 2,400,000 and 2,000,000 is under it
    ev = run(tmp_path, bid("Acme Care", price=4_000_000), bid("Cheap Care", price=2_000_000))
    assert flags_of(ev.flags, "SV204")["bidder"].tolist() == ["Cheap Care"]


@pytest.mark.parametrize("low,high,fires", [(20, 80, True), (0, 60, True), (40, 80, False), (60, 60, False)])
def test_sv205_evaluator_disagreement(tmp_path, low, high, fires):
    ev = run(tmp_path, bid(), scores=moderated() + [("Acme Care", "Q1", "Helen", low),
                                                    ("Acme Care", "Q1", "David", high)])
    hits = flags_of(ev.flags, "SV205")
    if fires:
        assert hits["criterion"].tolist() == ["Q1"] and hits["bidder"].tolist() == ["Acme Care"]
        assert f"{low}" in hits["message"].iat[0] and f"{high}" in hits["message"].iat[0]
    else:
        assert hits.empty


@pytest.mark.parametrize("rows,fires", [
    ([("Helen", 60), ("David", 80), ("Priya", 80)], True),
    ([("Helen", 60), ("David", 80), ("MODERATED", 80)], False),
    ([("Helen", 60)], False),
])
def test_sv206_no_consensus(tmp_path, rows, fires):
    scores = [("Acme Care", "SVQ", "MODERATED", 60)] + [("Acme Care", "Q1", e, s) for e, s in rows]
    ev = run(tmp_path, bid(), scores=scores)
    hits = flags_of(ev.flags, "SV206")
    if fires:
        assert hits["criterion"].tolist() == ["Q1"]
        assert "80" in hits["message"].iat[0]  # the median that is used
        q1 = ev.scale[(ev.scale["bidder"] == "Acme Care") & (ev.scale["criterion"] == "Q1")].iloc[0]
        assert q1["marks"] == pytest.approx(30 * 80 / 100)
    else:
        assert hits.empty


@pytest.mark.parametrize("scores,unscored", [
    (None, ["Q1", "SVQ"]),
    ([("Acme Care", "Q1", "MODERATED", 60)], ["SVQ"]),
    (moderated(), []),
])
def test_sv207_unscored(tmp_path, scores, unscored):
    ev = run(tmp_path, bid(), scores=scores)
    hits = flags_of(ev.flags, "SV207")
    assert sorted(hits["criterion"]) == unscored
    assert bool(result(ev)["complete"]) == (not unscored)


# ----------------------------------------------------------------------------- SV3xx design checks

def variant(tmp_path, edit):
    """The base rubric with one change, written to tmp_path (its proxy table still the fixture's)."""
    data = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
    data["proxies"] = "proxies.csv"  # a table must be in the rubric's folder (or shipped): a copy beside it
    shutil.copy(FIXTURES / "proxies.csv", tmp_path / "proxies.csv")
    edit(data)
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rubric(path)


def weights(**w):
    def edit(data):
        data["criteria"] = [c for c in data["criteria"] if w.get(c["id"], 0) is not None]
        for c in data["criteria"]:
            c["weight"] = w.get(c["id"], c["weight"])
    return edit


@pytest.mark.parametrize("w", [dict(PRICE=39.5), dict(PRICE=40.5), dict(SV=19.99)])
def test_sv301_weights_not_100_refuse_the_rubric(tmp_path, w):
    with pytest.raises(RubricRefused) as info:
        variant(tmp_path, weights(**w))
    assert info.value.code == "SV301"
    total = 100 + sum(v - {"PRICE": 40, "SV": 20}[k] for k, v in w.items())
    assert f"{total:g}" in str(info.value)


@pytest.mark.parametrize("w", [dict(), dict(PRICE=33.3, Q1=33.3, SVQ=0, SV=33.4)])
def test_sv301_weights_of_exactly_100_are_accepted(tmp_path, w):
    rubric = variant(tmp_path, weights(**w))
    assert sum(c.weight for c in rubric.spec.criteria) == pytest.approx(100)


def outcome(i, **over):
    o = {"id": f"O{i}", "name": f"Outcome {i}", "measures": ["WELLBY"], "unit": "wellby", "baseline": 0,
         "target": 10, "priority": 1, "evidence_required": "E2", "if_not_delivered": "service credits"}
    return {k: v for k, v in {**o, **over}.items() if v is not DROP}


def outcomes(*items):
    def edit(data):
        data["design"]["outcomes"] = list(items)
    return edit


def only(*edits):
    def edit(data):
        for e in edits:
            e(data)
    return edit


SV3_CASES = [
    ("SV302", weights(SVQ=None, Q1=51, SV=9), True, ["9%"]),
    ("SV302", weights(SVQ=None, Q1=50, SV=10), False, []),
    ("SV302", weights(Q1=50, SVQ=5, SV=5), False, []),  # the qualitative half counts towards 10%
    ("SV303", outcomes(*[outcome(i) for i in range(1, 8)]), True, ["7"]),
    ("SV303", outcomes(*[outcome(i) for i in range(1, 7)]), False, []),
    ("SV304", outcomes(outcome(1), outcome(2, target=DROP)), True, ["O2", "target"]),
    ("SV304", outcomes(outcome(1), outcome(2, baseline=DROP)), True, ["O2", "baseline"]),
    ("SV304", outcomes(outcome(1), outcome(2, baseline=0)), False, []),
    ("SV305", outcomes(outcome(1), outcome(2, evidence_required=DROP)), True, ["O2"]),
    ("SV305", outcomes(outcome(1), outcome(2, evidence_required="E1")), False, []),
    ("SV306", outcomes(), True, ["30%"]),
    ("SV306", outcomes(outcome(1)), False, []),
    # no social-value weight at all (SV302 fires instead)
    ("SV306", only(outcomes(), weights(SVQ=None, Q1=60, SV=0)), False, []),
    ("SV308", outcomes(outcome(1), outcome(2, if_not_delivered=DROP)), True, ["O2"]),
    ("SV308", outcomes(outcome(1), outcome(2, if_not_delivered="   ")), True, ["O2"]),
    ("SV308", outcomes(outcome(1), outcome(2)), False, []),
]


@pytest.mark.parametrize("code,edit,fires,needles", SV3_CASES,
                         ids=[f"{c}-{'fires' if f else 'quiet'}-{i}" for i, (c, _, f, _) in enumerate(SV3_CASES)])
def test_rubric_check(tmp_path, code, edit, fires, needles):
    rubric = variant(tmp_path, edit)
    hits = flags_of(check_rubric(rubric), code)
    if fires:
        assert len(hits) == 1
        assert hits["bidder"].isna().all() and hits["commitment"].isna().all()
        for n in needles:
            assert n in hits["message"].iat[0]
    else:
        assert hits.empty, hits["message"].tolist()


def test_base_rubric_is_clean(tmp_path):
    assert check_rubric(load_rubric(RUBRIC)).empty
    assert run(tmp_path, bid()).rubric_flags.empty


def test_evaluation_carries_rubric_flags_and_keeps_them_out_of_bid_flags(tmp_path):
    rubric = variant(tmp_path, outcomes(outcome(1, evidence_required=DROP, if_not_delivered=DROP)))
    ev = run(tmp_path, bid(), rubric=rubric)
    assert sorted(flags_of(ev.rubric_flags, "SV305")["code"].tolist() +
                  flags_of(ev.rubric_flags, "SV308")["code"].tolist()) == ["SV305", "SV308"]
    assert not ev.flags["code"].str.startswith("SV3").any()


# ----------------------------------------------------------------------------- every flag, all at once

def test_every_flag_has_a_known_code_severity_message_and_fix(tmp_path):
    bad = [commitment("A1", measure="EMP-MADE-UP"), commitment("A2", unit="hour", evidence=DROP),
           commitment("A3", quantity=0, location="Leeds", contract_specific=False, kpi=DROP),
           commitment("A4", base=SPEND, claimed_value=5, narrative=DROP), commitment("A5", end_year=5),
           commitment("A6", deadweight=0.0, deflator_rationale=DROP, evidence=E("E1")),
           commitment("A7", measure="EMP-LOCAL", claimed_proxy=45000, claimed_value=1),
           commitment("A8", deadweight=DROP, attribution=DROP, outcome="O9"), commitment("A8b", end_year=5)]
    ev = run(tmp_path, bid("Acme Care", bad, price=2_000_000, responses={"Q1": "x"}),
             bid("Beta Care", price=4_000_000), bid("Gamma Care", price=4_000_000),
             scores=[("Acme Care", "Q1", "Helen", 0), ("Acme Care", "Q1", "David", 60)])  # median 30 < 40
    seen = set(ev.flags["code"])
    assert {f"SV1{i:02d}" for i in range(1, 18)} <= seen
    assert {"SV201", "SV202", "SV203", "SV204", "SV205", "SV206", "SV207"} <= seen
    for code in seen:
        flags_of(ev.flags, code)  # severity, message and fix checked for every row
    assert ev.flags["bidder"].notna().all()
    assert math.isclose(row(ev, "A1")["credited_value"], 0)


def test_sv104_in_a_bid_mixing_missing_units_and_unknown_measures(tmp_path):
    """Unit checks are decided per distinct (unit, reference unit) pair: rows with no unit, or with an
    unknown measure (no reference unit), sit beside the ones that differ without confusing them."""
    ev = run(tmp_path, bid(commitments=[
        commitment("U1", unit="hour"),                                       # differs: flagged
        commitment("U2", unit=DROP),                                         # no unit: not a mismatch
        commitment("U3", measure="NO-SUCH-MEASURE", unit=DROP),              # unknown measure, no unit
        commitment("U4", measure="NO-SUCH-MEASURE", unit="hour"),            # unknown measure: SV101 only
        commitment("U5", unit="  FTE_Year ")]))                              # same unit written differently
    assert flags_of(ev.flags, "SV104")["commitment"].tolist() == ["U1"]
    assert set(flags_of(ev.flags, "SV101")["commitment"]) == {"U3", "U4"}


def test_messages_written_once_per_combination_match_row_by_row():
    """SV111/SV114 messages are written once per distinct combination of the values they print and spread
    back: the result must be what writing each row's message gives, including values that are equal to
    Python but print differently (-0.0 and 0.0; 1 and '1') and missing text of either kind."""
    import numpy as np
    import pandas as pd

    from evaluator import checks

    frame = pd.DataFrame({
        "a": np.array([0.2, -0.0, 0.0, np.nan, 0.2, 0.0, -0.0, 0.0], dtype=float),
        "t": np.array(["x", "y", None, "x", "x", "y", "y", float("nan")], dtype=object),
        "mixed": np.array(["1", 1, 1.0, True, "1", 1, 1.0, True], dtype=object),
    })

    def message(d):
        return ("share " + checks._pct(d["a"]) + ", text '" + checks._txt(d["t"]) + "'").to_numpy(dtype=object)

    def mixed(d):
        return np.array([repr(v) for v in d["mixed"]], dtype=object)

    rows = checks._Rows(frame, np.ones(len(frame), dtype=bool))
    assert checks._per_combination(["a", "t"], message)(rows).tolist() == message(rows).tolist()
    assert "share -0%, text 'y'" in message(rows).tolist()
    rows = checks._Rows(frame, np.ones(len(frame), dtype=bool))
    assert checks._per_combination(["mixed"], mixed)(rows).tolist() == ["'1'", "1", "1.0", "True"] * 2


# ----------------------------------------------------------------------------- design.require (issue 18)
# What the buyer can hold a supplier to: each requirement turns its warning into an error in the design
# lens (not credited, the message says the buyer requires it); the figures lens is unchanged.

def require(**keys):
    def edit(data):
        data["design"]["require"] = keys
    return edit


REQUIRE_CASES = [  # (requirement, the commitment's fault, code, the words the message adds)
    ("narrative", dict(narrative="Local jobs for local people."), "SV115",
     "the buyer requires a narrative of 25+ words"),
    ("kpi", dict(kpi=DROP), "SV116", "the buyer requires a KPI"),
    ("additionality", dict(deadweight=DROP, attribution=DROP), "SV111",
     "the buyer requires deadweight or attribution stated"),
]


@pytest.mark.parametrize("key,over,code,words", REQUIRE_CASES, ids=[c[0] for c in REQUIRE_CASES])
def test_design_require_turns_the_warning_into_an_error_in_the_design_lens(tmp_path, key, over, code, words):
    plain = run(tmp_path, bid(commitments=[commitment("G1", CONTROL), commitment("X1", **over)]))
    (tmp_path / "strict").mkdir()
    strict_rubric = variant(tmp_path / "strict", require(**{key: True}))
    strict = run(tmp_path / "strict", bid(commitments=[commitment("G1", CONTROL), commitment("X1", **over)]),
                 rubric=strict_rubric)
    off, on = flags_of(plain.flags, code), strict.flags[strict.flags["code"] == code]
    assert off["severity"].tolist() == ["warning"] and words not in off["message"].iat[0]
    assert on["severity"].tolist() == ["error"] and on["message"].iat[0].endswith(
        words + ", so it is not credited in the design lens")
    assert row(plain, "X1")["credited"] and not row(strict, "X1")["credited"]
    assert code in row(strict, "X1")["error_codes"].split(",")
    assert result(strict)["design_score"] < result(plain)["design_score"]
    assert result(strict)["claimed_value"] == result(plain)["claimed_value"]          # figures lens unchanged
    assert result(strict)["figures_score"] == result(plain)["figures_score"]
    assert row(strict, "G1")["credited"]                                              # a clean one still counts


@pytest.mark.parametrize("key,over,code,words", REQUIRE_CASES, ids=[c[0] for c in REQUIRE_CASES])
def test_design_require_near_miss_a_commitment_that_meets_it_is_credited(tmp_path, key, over, code, words):
    ev = run(tmp_path, bid(commitments=[commitment("X1")]), rubric=variant(tmp_path, require(**{key: True})))
    assert ev.flags[ev.flags["commitment"] == "X1"].empty and row(ev, "X1")["credited"]


def test_design_require_off_by_default_and_other_requirements_leave_a_warning_a_warning(tmp_path):
    rubric = variant(tmp_path, require(narrative=True))
    ev = run(tmp_path, bid(commitments=[commitment("X1", kpi=DROP)]), rubric=rubric)
    assert flags_of(ev.flags, "SV116")["severity"].tolist() == ["warning"] and row(ev, "X1")["credited"]
    assert load_rubric(RUBRIC).spec.design.require.model_dump() == {"narrative": False, "kpi": False,
                                                                    "additionality": False}


# ----------------------------------------------------------------------------- SV118 quantity-outlier (issue 18)
# A commitment whose quantity per £ of contract value is more than 3 times the median of the OTHER bids'
# commitments towards the same outcome (at least 2 other bids with one), with the numbers.

def fte(cid, quantity):
    return commitment(cid, quantity=quantity, claimed_value=DROP, claimed_proxy=DROP)


def test_sv118_numbers_per_1m_of_contract_value(tmp_path):
    # contract £4.8m; the others offer 24, 36 and 48 FTE-years (5, 7.5 and 10 per £1m): median 36 (7.5)
    ev = run(tmp_path, bid("Big", [fte("B1", 144)]), bid("A", [fte("A1", 24)]), bid("C", [fte("C1", 36)]),
             bid("D", [fte("D1", 48)]))
    (f,) = flags_of(ev.flags, "SV118").itertuples()
    assert (f.bidder, f.commitment) == ("Big", "B1")
    assert f.message == ("quantity 144 FTE-years over a £4,800,000 contract is 30 FTE-years per £1m, 4.0 times "
                         "the median of the other bids' commitments towards outcome O1, 7.5 FTE-years per £1m "
                         "(3 other bids)")
    assert row(ev, "B1", "Big")["credited"]  # a warning: credited, but questioned


@pytest.mark.parametrize("others,fires", [
    ((24, 36, 48), True),     # 144 / 36 = 4
    ((48, 48, 48), False),    # 144 / 48 = 3: not more than three times
    ((30, 30), True),         # two other bids are enough: 144 / 30 = 4.8
    ((30,), False),           # one other bid is not a field to compare with
])
def test_sv118_needs_more_than_three_times_the_median_of_at_least_two_other_bids(tmp_path, others, fires):
    bids = [bid("Big", [fte("B1", 144)])] + [bid(f"Other {i}", [fte(f"O{i}", q)]) for i, q in enumerate(others)]
    hits = flags_of(run(tmp_path, *bids).flags, "SV118")
    assert hits["commitment"].tolist() == (["B1"] if fires else [])


def test_sv118_leaves_the_bids_own_commitments_out_of_the_median(tmp_path):
    # Big's own small commitments would pull an all-bids median down to 12; the others' median is 40
    ev = run(tmp_path, bid("Big", [fte("B1", 110), fte("B2", 10), fte("B3", 12)]),
             bid("A", [fte("A1", 40)]), bid("C", [fte("C1", 40)]))
    assert flags_of(ev.flags, "SV118").empty
    ev = run(tmp_path, bid("Big", [fte("B1", 121)]), bid("A", [fte("A1", 40)]), bid("C", [fte("C1", 40)]))
    assert flags_of(ev.flags, "SV118")["commitment"].tolist() == ["B1"]


def test_sv118_the_median_by_ranks_matches_a_plain_one_bid_at_a_time():
    import numpy as np
    from evaluator.checks import quantity_outliers
    rng = np.random.default_rng(1)

    class Tender:
        contract_value = 1e6

    class R:
        tender = Tender()
    for _ in range(150):
        n = int(rng.integers(3, 40))
        c = pd.DataFrame({"bidder": rng.choice(list("ABCDEF"), n).astype(object),
                          "served_outcome": pd.Categorical(rng.choice(["O1", "O2", None], n)),
                          "ref_unit": pd.Categorical(rng.choice(["u", "w"], n)),
                          "quantity": np.round(rng.lognormal(1, 1.2, n), 1), "id": [f"c{i}" for i in range(n)]})
        c.loc[rng.random(n) < 0.1, "quantity"] = np.nan
        expected = set()
        for r in c.itertuples():
            if pd.isna(r.served_outcome) or not r.quantity > 0:
                continue
            o = c[(c.served_outcome == r.served_outcome) & (c.ref_unit == r.ref_unit) & (c.bidder != r.bidder)
                  & (c.quantity > 0)]
            if o.bidder.nunique() >= 2 and r.quantity / o.quantity.median() > 3:
                expected.add(r.id)
        assert set(quantity_outliers(c, R())["commitment"]) == expected


def test_sv118_in_a_lot_uses_the_lots_contract_value(tmp_path):
    """A lot's evaluation compares the lot's bids, per £1m of the lot's value."""
    from .test_lots import lotted
    from .test_tree_scoring import commitment as tree_commitment
    r, b = lotted(tmp_path, {"L1": [{"bidder": x, "price": 500_000, "commitments": [tree_commitment(q)]}
                                    for x, q in (("X", 40), ("Y", 4), ("Z", 6))]})
    from evaluator.lots import evaluate_tender
    ev = evaluate_tender(r, b).lots["L1"]
    (message,) = flags_of(ev.flags, "SV118")["message"]
    assert "quantity 40 FTE-years over a £600,000 contract is 66.7 FTE-years per £1m, 8.0 times the median" in message
    assert message.endswith("towards outcome O1, 8.33 FTE-years per £1m (2 other bids)")


def test_sv118_spend_in_pounds_and_figures_with_separators():
    from evaluator.checks import quantity_outliers

    class R:
        class tender:
            contract_value = 1e6
    c = pd.DataFrame({"bidder": ["Big", "A", "C"], "served_outcome": pd.Categorical(["O3"] * 3),
                      "ref_unit": pd.Categorical(["gbp"] * 3), "quantity": [5_000_000.0, 100_000.0, 120_000.0],
                      "id": ["B1", "A1", "C1"]})
    assert quantity_outliers(c, R())["message"].tolist() == [
        "quantity £5,000,000 over a £1,000,000 contract is £5,000,000 per £1m, 45.5 times the median of the "
        "other bids' commitments towards outcome O3, £110,000 per £1m (2 other bids)"]


# ----------------------------------------------------------------------------- messages a commissioner reads

VOLUNTEER = {"measure": "VOLUNTEER-HOUR", "unit": "hour", "quantity": 500, "claimed_proxy": 19.98,
             "claimed_value": 500 * 19.98, "outcome": DROP, "beneficiaries": DROP,
             "description": "Staff volunteering at the Northtown food bank"}


@pytest.mark.parametrize("over, code, expected", [
    # pence kept where the value has them, the unit in words (issue 19: "£2 per gbp ... high £1" for £1.76)
    (dict(base=VOLUNTEER), "SV103", "claimed proxy £19.98 per hour is above the table's high £19.97 for "
     "VOLUNTEER-HOUR (central £12.21)"),
    (dict(claimed_proxy=45000, claimed_value=24 * 45000), "SV103", "claimed proxy £45,000 per FTE-year is above "
     "the table's high £39,039 for EMP-LOCAL-BARRIERS (central £23,874)"),
    (dict(unit="hour"), "SV104", "the unit 'hours' differs from the unit of EMP-LOCAL-BARRIERS (FTE-years)"),
    (dict(end_year=5), "SV107", "runs to year 5 of a 4-year contract: year 5 is after the term and not credited"),
    (dict(end_year=6), "SV107", "runs to year 6 of a 4-year contract: years 5-6 are after the term and not "
     "credited"),
    (dict(quantity=481, claimed_value=481 * 24000), "SV109", "quantity 481 FTE-years is more than the buyer's "
     "whole workforce of 120 FTE × 4 years = 480 FTE-years"),
    # a commitment in hours names its own unit, not the measure's (issue 19: "7,800 FTE-years")
    (dict(quantity=7800, unit="hour", claimed_proxy=12.21, claimed_value=95238), "SV109", "quantity 7,800 hours, "
     "read as FTE-years (the unit of EMP-LOCAL-BARRIERS), is more than the buyer's whole workforce of 120 FTE × "
     "4 years = 480 FTE-years"),
    (dict(base=SPEND, claimed_value=5000), "SV110", "LOCAL-SPEND counts an activity (£ spent), not a change in "
     "someone's life, yet carries a £ value of £5,000 as if it were an outcome"),
])
def test_commitment_messages_in_words(tmp_path, over, code, expected):
    ev = run(tmp_path, bid(commitments=[commitment("X1", over.pop("base", None), **over)]))
    assert flags_of(ev.flags, code)["message"].tolist() == [expected]


def test_fixes_name_units_in_words(tmp_path):
    ev = run(tmp_path, bid(commitments=[commitment("X1", VOLUNTEER), commitment("X2", unit="hour")]))
    fixes = ev.flags.set_index("code")["fix"]
    assert "£12.21 per hour" in fixes["SV103"]
    assert "State the quantity in FTE-years, the unit of EMP-LOCAL-BARRIERS" in fixes["SV104"]
