"""The Review page, driven by AppTest: the portfolio and delivery figures it shows are the engine's, and bad
input (broken OCDS files, a bad delivery file) is a message in place, never a traceback."""
from __future__ import annotations

import pytest

from evaluator import load_bids, load_rubric
from evaluator.delivery import track
from evaluator.review import review_paths
from evaluator.formatting import probability
from tests.apptest import ok, table
from tests.conftest import ROOT, RUBRICS, SAMPLES
from tests.every_page import Visit, read_page
from tests.reviewing import start

pytest.importorskip("streamlit.testing.v1")

WALES = ROOT.parent / "shared" / "data" / "ocds_wales"
FIX = ROOT / "tests" / "fixtures" / "ocds"


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_portfolio_figures_are_the_engines():
    at = start()
    paths = [RUBRICS / "home_care_north.yaml", RUBRICS / "schools_fm.yaml"] + ([WALES] if WALES.is_dir() else [])
    s = review_paths(paths, ["HC-2026-014"]).summary
    m = metrics(at)
    assert m["Tenders"] == f"{s['tenders']:,}"
    assert m["Weight social value"] == f"{s['weight_social_value']['tenders']:,}"
    assert m["Meet the 10% minimum"] == f"{s['meet_10_percent']['tenders']:,}"
    buyers = table(at, {"Buyer", "Stage", "Why"}).set_index("Buyer")
    assert buyers.loc["Northshire Council", "Stage"] == "Learning"  # designed, and the sample returns flow back
    lots = table(at, {"OCID", "Social value weight", "Flags (codes)"})
    assert len(lots) == s["lots"]


def test_the_review_reads_in_words_on_the_sell2wales_releases():
    """Issue 19: Moxham's maturity in plain words first; every table with headers in words, no None/NaN, no
    snake_case value, no file named by its folder, no command line (the rules of tests/page_text.py)."""
    at = start()
    heads = [h.value for h in at.subheader]
    assert "How mature each buyer's social-value practice is (Moxham's levels)" in heads
    assert not any(h.startswith("Maturity per buyer") for h in heads)
    levels = " ".join(m.value for m in at.markdown)
    assert "**Learning**: designed as above, and delivery data comes back" in levels and "--delivery" not in levels
    lots = table(at, {"OCID", "Criteria", "Design"})
    assert "Social value commitments 20" in " ".join(lots["Criteria"])  # not "social_value:...=20"
    assert {"Mentioned in text only", "Partly designed"} <= set(lots["Design"])
    if WALES.is_dir():
        assert "WRel0.json" in set(lots["File"])  # by its name, not ocds_wales/WRel0.json
    visit = Visit("home_care_north", "lead", "Review")
    read_page(at, visit)
    assert visit.tables >= 6 and visit.offences == [], visit.offences


def test_a_folder_with_broken_files_is_reviewed_with_the_problems_listed(monkeypatch):
    at = start(monkeypatch)
    at.checkbox(key="review_wales").uncheck().run()
    at.checkbox(key="review_rubrics").uncheck().run()
    at.text_input(key="review_local").input(str(FIX)).run()
    ok(at)
    assert metrics(at)["Tenders"] == "12"
    warning = " ".join(w.value for w in at.warning)
    assert "malformed" in warning and "not valid JSON" in warning
    flags = table(at, {"Flag", "Code", "Finding"})
    assert {"SV309", "SV310", "SV311", "SV313"} <= set(flags["Code"])


def test_promised_against_delivered_for_the_sample():
    at = start()
    r = load_rubric(RUBRICS / "home_care_north.yaml")
    tr = track(r, load_bids(SAMPLES / "home_care_north", r).require_valid(), SAMPLES / "home_care_north" / "delivery.csv")
    contracts = table(at, {"Bidder", "Reported to the end of", "Rating"}).set_index("Bidder")
    assert contracts.loc["Northtown Community Care CIC", "Rating"] == "approaching target"
    assert contracts.loc["Apex Care Group Ltd", "Rating"] == tr.contracts.set_index("bidder").loc[
        "Apex Care Group Ltd", "rating"]
    assert contracts.loc["Northtown Community Care CIC", "Promised to date"] == "£345,445"
    assert contracts.loc["Northtown Community Care CIC", "Share of what was due"] == "90%"
    assert contracts.loc["Northtown Community Care CIC", "Reported to the end of"] == "year 2, quarter 2"
    assert list(contracts.columns[:2]) == ["Rating", "Share of what was due"]  # within reach on a phone
    commitments = table(at, {"Commitment", "Share of what was due", "Rating"}).set_index("Commitment")
    assert commitments.loc["N1", "Share of what was due"] == probability(17.5 / 18.75) == "93.3%"
    assert commitments.loc["N1", "Unit"] == "FTE-years"
    at.selectbox(key="review_holder").select("Apex Care Group Ltd").run()
    ok(at)
    flags = at.dataframe[-1].value  # the holder's delivery flags close the page
    assert set(flags["Code"]) == {"SV402", "SV403"} and "Bidder" not in flags.columns  # the holder is chosen above
    assert list(flags.columns[:4]) == ["Flag", "Commitment", "Finding", "Fix"]  # what a reader needs first
    assert "Criterion" not in flags.columns  # no empty column


def test_a_bad_delivery_file_is_a_message_in_place(tmp_path, monkeypatch):
    bad = tmp_path / "delivery.csv"
    bad.write_text("bidder,commitment,period,delivered_quantity,evidence_grade,evidence_description\n"
                   "Northtown Community Care CIC,N1,2026-Q1,1,E2,x\n")
    at = start(monkeypatch)
    at.text_input(key="review_delivery_local").input(str(bad)).run()
    ok(at)
    errors = " ".join(e.value for e in at.error)
    assert "row 2" in errors and "period" in errors and "not a contract period" in errors
    assert metrics(at)["Tenders"]  # the portfolio above is still shown


# --------------------------------------------------------------------------- who may name a server path

def _start_as(monkeypatch, role):
    return start(monkeypatch, role)


@pytest.mark.parametrize("role", ["evaluator", "observer"])
def test_no_server_path_for_anyone_but_the_lead_while_uploads_stay(monkeypatch, role):
    """Issue 17: "a file or folder on this machine" listed .json/.yaml files anywhere on the server for any
    visitor; now only the lead (server_paths_allowed) is offered it, and the tables name no server folder."""
    at = _start_as(monkeypatch, role)
    inputs = {t.key for t in at.text_input}
    assert "review_local" not in inputs and "review_delivery_local" not in inputs
    assert at.file_uploader(key="review_uploads") is not None and at.file_uploader(key="review_delivery") is not None
    lots = table(at, {"OCID", "Social value weight", "Flags (codes)"})
    assert not lots["File"].astype(str).str.contains("/").any()
    assert "home_care_north.yaml" in set(lots["File"])
    assert metrics(at)["Tenders"]  # the review itself still works


def test_the_lead_may_review_a_folder_on_this_machine(monkeypatch):
    at = _start_as(monkeypatch, "lead")
    inputs = {t.key for t in at.text_input}
    assert {"review_local", "review_delivery_local"} <= inputs
