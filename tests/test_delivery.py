"""Promised against delivered: the sample delivery returns for home care, worked by hand, and bad rows."""
import json
import subprocess
import sys

import pytest

from evaluator import load_bids, load_rubric
from evaluator.delivery import parse_period, track
from evaluator.exceptions import InputErrors

from .conftest import ROOT, RUBRICS, SAMPLES

HC = RUBRICS / "home_care_north.yaml"
BIDS = SAMPLES / "home_care_north"
DELIVERY = BIDS / "delivery.csv"
HEADER = "bidder,commitment,period,delivered_quantity,evidence_grade,evidence_description\n"


@pytest.fixture(scope="module")
def tender():
    r = load_rubric(HC)
    return r, load_bids(BIDS, r).require_valid()


@pytest.fixture(scope="module")
def tr(tender):
    return track(*tender, DELIVERY)


def row(tr, bidder, commitment):
    t = tr.commitments
    return t[(t["bidder"] == bidder) & (t["commitment"] == commitment)].iloc[0]


@pytest.mark.parametrize("text, expected", [("Y2", (2, None)), ("Y2-Q3", (2, 3)), ("2", (2, None)),
                                            ("year 2 quarter 3", (2, 3)), ("y1q4", (1, 4)),
                                            ("2026-Q1", None), ("Q3", None), ("", None)])
def test_periods(text, expected):
    assert parse_period(text) == expected


def test_n1_promised_and_delivered_by_hand(tr, tender):
    # N1: 25 fte_year over years 1-2 = 12.5 a year; returns run to Y2-Q2, so 1.5 years are due = 18.75
    n1 = row(tr, "Northtown Community Care CIC", "N1")
    assert n1["promised_to_date"] == pytest.approx(18.75)
    assert n1["delivered_quantity"] == pytest.approx(1.5 + 2.5 + 3.5 + 3.75 + 3.25 + 3.0)
    assert n1["share_to_date"] == pytest.approx(17.5 / 18.75) and n1["rating"] == "approaching target"
    assert n1["share_of_commitment"] == pytest.approx(17.5 / 25)
    # 6.4 on what was delivered: the table's proxy (£22,368, in the price base) × (1-0.2)(1-0.1)(1-0.05) × E2 0.75 × DF(year)
    per_unit = tender[0].proxies.loc["EMP-LOCAL-BARRIERS", "value"] * 0.8 * 0.9 * 0.95 * 0.75
    expected = per_unit * (11.25 / 1.035 + 6.25 / 1.035 ** 2)
    assert n1["credited_delivered_value"] == pytest.approx(expected, rel=1e-9)


def test_ratings_across_the_categories(tr):
    north = "Northtown Community Care CIC"
    assert row(tr, north, "N3")["rating"] == "requires improvement"  # 7.1 of 9 = 79%
    assert row(tr, north, "N4")["rating"] == "approaching target"    # 4.25 of 4.5 = 94%
    n2 = row(tr, north, "N2")  # years 3-4: nothing due yet
    assert n2["promised_to_date"] == 0 and n2["rating"] is None
    assert row(tr, "Apex Care Group Ltd", "A7")["rating"] == "inadequate"  # 2 of 6.75 = 30%
    contracts = tr.contracts.set_index("bidder")
    assert contracts.loc[north, "rating"] == "approaching target" and contracts.loc[north, "as_of"] == "Y2-Q2"
    assert contracts.loc["Apex Care Group Ltd", "rating"] == "inadequate"


def test_delivery_without_evidence_counts_nothing(tr):
    n5 = row(tr, "Northtown Community Care CIC", "N5")
    # 5.2 tCO2e with E2 in year 1 is credited; the 3.4 with no evidence is not
    assert n5["delivered_quantity"] == pytest.approx(8.6)
    # the bid's N5 deflators: deadweight 0.1, attribution 0.1, displacement 0; the carbon value £245 (2020
    # prices) in the table's price base 2024-25: × 100.0000 / 85.1002 (GDP deflator 2020-21, DESIGN 9.4)
    carbon = 245 * 100.0 / 85.1002
    assert n5["credited_delivered_value"] == pytest.approx(5.2 * carbon * 0.9 * 0.9 * 0.75 / 1.035)
    flags = tr.flags[tr.flags["code"] == "SV401"]
    assert flags["commitment"].tolist() == ["N5"] and "Y2-Q2" in flags["message"].iat[0]


def test_delivery_against_commitments_never_credited(tr):
    flags = tr.flags[tr.flags["code"] == "SV402"]
    assert flags["commitment"].tolist() == ["A3", "A4", "A6"]
    # A3 is off-design and has no KPI, which home_care_north requires (design.require.kpi): an error first
    assert "error flags: SV116" in flags["message"].iat[0] and "SV117" in flags["message"].iat[2]
    for c in ("A3", "A4", "A6"):
        assert row(tr, "Apex Care Group Ltd", c)["credited_delivered_value"] == 0


def test_delivery_messages_give_units_in_words(tr):
    """Issue 19: SV402 said "1,850 hour" and "158,000 gbp"; the report "the 25 fte_year promised" and
    "net 8.978". Units read as words, spend as £, quantities with at most two decimals."""
    from evaluator.delivery import render
    messages = tr.flags.set_index("commitment")["message"]
    assert "delivery of 1,850 hours is reported against A3" in messages["A3"]
    assert "delivery of £158,000 is reported against A4" in messages["A4"]
    text = render(tr)
    assert "of the 25 FTE-years promised" in text and "delivered £158,000 of £243,750 due" in text
    assert "(net 8.98)" in text and "Delivery reported without evidence (SV401, warning)" in text
    for raw in ("fte_year", "apprentice_year", " gbp", " hour ", "tco2e", "6.4", "8.978"):
        assert raw not in text, raw


def test_apex_sent_no_apprenticeship_return(tr):
    flags = tr.flags[tr.flags["code"] == "SV403"]
    assert flags["commitment"].tolist() == ["A2"]  # 3 a year from year 1: 4.5 apprentice_year due by Y2-Q2
    assert row(tr, "Apex Care Group Ltd", "A2")["rating"] == "inadequate"


def test_no_delivery_reported_for_a_due_commitment(tender, tmp_path):
    text = "".join(line for line in DELIVERY.read_text().splitlines(keepends=True) if ",N4," not in line)
    path = tmp_path / "delivery.csv"
    path.write_text(text)
    t = track(*tender, path)
    flags = t.flags[t.flags["code"] == "SV403"]
    assert sorted(flags["commitment"]) == ["A2", "N4"]
    assert "N4: 4.5 apprentice-years was due" in " ".join(flags["message"])


def test_outcome_attainment_from_delivered_quantities(tr):
    o = tr.outcomes[(tr.outcomes["bidder"] == "Northtown Community Care CIC")].set_index("outcome")
    net_n1 = 17.5 * 0.8 * 0.9 * 0.95 * 0.75
    assert o.loc["O1", "delivered_net_quantity"] == pytest.approx(net_n1)
    assert o.loc["O1", "attainment"] == pytest.approx(net_n1 / 30)
    assert o.loc["O1", "promised_attainment"] > o.loc["O1", "promised_attainment_to_date"] > o.loc["O1", "attainment"]


def test_promised_against_delivered_over_time(tr):
    p = tr.by_period
    o1 = p[(p["bidder"] == "Northtown Community Care CIC") & (p["outcome"] == "O1")]
    assert o1["period"].tolist() == ["Y1-Q1", "Y1-Q2", "Y1-Q3", "Y1-Q4", "Y2-Q1", "Y2-Q2"]
    assert o1["promised_quantity"].tolist() == pytest.approx([3.125, 6.25, 9.375, 12.5, 15.625, 18.75])
    assert o1["delivered_quantity"].tolist() == pytest.approx([1.5, 4.0, 7.5, 11.25, 14.5, 17.5])


def test_thresholds_come_from_the_rubric(tender, tmp_path):
    text = HC.read_text() + "delivery_ratings: {good: 90, approaching_target: 70, requires_improvement: 40}\n"
    path = tmp_path / "hc.yaml"
    path.write_text(text.replace("proxies: proxies/public_2025.csv", f"proxies: {RUBRICS / 'proxies' / 'public_2025.csv'}"))
    r = load_rubric(path)
    t = track(r, load_bids(BIDS, r).require_valid(), DELIVERY)
    assert row(t, "Northtown Community Care CIC", "N3")["rating"] == "approaching target"  # 79% >= 70
    assert t.to_json()["thresholds"] == {"good": 90, "approaching_target": 70, "requires_improvement": 40}
    path.write_text(text.replace("good: 90", "good: 60").replace("proxies: proxies/public_2025.csv",
                                                               f"proxies: {RUBRICS / 'proxies' / 'public_2025.csv'}"))
    with pytest.raises(InputErrors) as exc:
        load_rubric(path)
    assert "delivery_ratings" in exc.value.line() and "must fall" in exc.value.line()


@pytest.mark.parametrize("line, field, problem", [
    ("Nobody Ltd,N1,Y1,1,E2,x", "bidder", "has no bid in this tender"),
    ("Northtown Community Care CIC,A1,Y1,1,E2,x", "commitment", "is not a commitment in"),
    ("Northtown Community Care CIC,N1,2026-Q1,1,E2,x", "period", "is not a contract period"),
    ("Northtown Community Care CIC,N1,Y5,1,E2,x", "period", "outside the 4-year contract term"),
    ("Northtown Community Care CIC,N1,Y1,lots,E2,x", "delivered_quantity", "not a number"),
    ("Northtown Community Care CIC,N1,Y1,-2,E2,x", "delivered_quantity", "0 or more"),
    ("Northtown Community Care CIC,N1,Y1,1,E9,x", "evidence_grade", "must be E0"),
])
def test_bad_rows_name_file_row_field_value(tender, tmp_path, line, field, problem):
    path = tmp_path / "delivery.csv"
    path.write_text(HEADER + "Northtown Community Care CIC,N1,Y1,3,E2,ok\n" + line + "\n")
    with pytest.raises(InputErrors) as exc:
        track(*tender, path)
    (err,) = exc.value.errors
    assert err.where == "row 3" and err.field == field and problem in err.problem and str(path) in err.line()


def test_overlapping_periods_are_refused(tender, tmp_path):
    path = tmp_path / "delivery.csv"
    path.write_text(HEADER + "Northtown Community Care CIC,N1,Y1,3,E2,a\nNorthtown Community Care CIC,N1,Y1-Q2,1,E2,b\n"
                    "Northtown Community Care CIC,N1,Y1,3,E2,c\n")
    with pytest.raises(InputErrors) as exc:
        track(*tender, path)
    assert [e.where for e in exc.value.errors] == ["row 3", "row 4"]
    assert "overlaps Y1 already reported for N1 (row 2)" in exc.value.errors[0].problem


def run(*args):
    return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_track_json_and_text():
    proc = run("track", "--rubric", HC, "--bids", BIDS, "--delivery", DELIVERY, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    north = doc["contracts"][0]
    assert north["bidder"] == "Northtown Community Care CIC" and north["rating"] == "approaching target"
    n2 = next(c for c in north["commitments"] if c["commitment"] == "N2")
    assert n2["rating"] is None and n2["share_to_date"] is None
    assert {f["code"] for c in doc["contracts"] for f in c["flags"]} == {"SV401", "SV402", "SV403"}
    assert doc["by_period"] and doc["thresholds"]["good"] == 95
    text = run("track", "--rubric", HC, "--bids", BIDS, "--delivery", DELIVERY)
    assert text.returncode == 0 and "approaching target" in text.stdout and "SV402" in text.stdout


def test_cli_track_bad_file_exit_2(tmp_path):
    path = tmp_path / "delivery.csv"
    path.write_text(HEADER + "Northtown Community Care CIC,N1,Y1,three,E2,x\n")
    proc = run("track", "--rubric", HC, "--bids", BIDS, "--delivery", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {path}, row 2, field 'delivered_quantity', value 'three': not a number"]
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER)
    proc = run("track", "--rubric", HC, "--bids", BIDS, "--delivery", empty)
    assert proc.returncode == 2 and "has no delivery rows" in proc.stderr
