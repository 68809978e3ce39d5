"""The Review page, driven by AppTest: the portfolio and delivery figures it shows are the engine's, and bad
input (broken OCDS files, a bad delivery file) is a message in place, never a traceback."""
from __future__ import annotations

import pytest

from evaluator import load_bids, load_rubric
from evaluator.delivery import track
from evaluator.review import review_paths
from tests.apptest import ok, table
from tests.conftest import ROOT, RUBRICS, SAMPLES
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
    buyers = table(at, {"buyer", "maturity"}).set_index("buyer")
    assert buyers.loc["Northshire Council", "maturity"] == "learning"  # designed, and the sample returns flow back
    lots = table(at, {"ocid", "social_value_weight", "flags"})
    assert len(lots) == s["lots"]


def test_a_folder_with_broken_files_is_reviewed_with_the_problems_listed(monkeypatch):
    at = start(monkeypatch)
    at.checkbox(key="review_wales").uncheck().run()
    at.checkbox(key="review_rubrics").uncheck().run()
    at.text_input(key="review_local").input(str(FIX)).run()
    ok(at)
    assert metrics(at)["Tenders"] == "12"
    warning = " ".join(w.value for w in at.warning)
    assert "malformed" in warning and "not valid JSON" in warning
    flags = table(at, {"code", "lot", "message"})
    assert {"SV309", "SV310", "SV311", "SV313"} <= set(flags["code"])


def test_promised_against_delivered_for_the_sample():
    at = start()
    r = load_rubric(RUBRICS / "home_care_north.yaml")
    tr = track(r, load_bids(SAMPLES / "home_care_north", r).require_valid(), SAMPLES / "home_care_north" / "delivery.csv")
    contracts = table(at, {"bidder", "as_of", "rating"}).set_index("bidder")
    assert contracts.loc["Northtown Community Care CIC", "rating"] == "approaching target"
    assert contracts.loc["Apex Care Group Ltd", "rating"] == tr.contracts.set_index("bidder").loc[
        "Apex Care Group Ltd", "rating"]
    commitments = table(at, {"commitment", "share_to_date", "rating"}).set_index("commitment")
    assert commitments.loc["N1", "share_to_date"] == pytest.approx(17.5 / 18.75)
    at.selectbox(key="review_holder").select("Apex Care Group Ltd").run()
    ok(at)
    flags = at.dataframe[-1].value  # the holder's delivery flags close the page
    assert set(flags["code"]) == {"SV402", "SV403"} and set(flags["bidder"]) == {"Apex Care Group Ltd"}


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
    lots = table(at, {"ocid", "social_value_weight", "flags"})
    assert not lots["source"].astype(str).str.contains(str(ROOT.parent)).any()
    assert "rubrics/home_care_north.yaml" in set(lots["source"])
    assert metrics(at)["Tenders"]  # the review itself still works


def test_the_lead_may_review_a_folder_on_this_machine(monkeypatch):
    at = _start_as(monkeypatch, "lead")
    inputs = {t.key for t in at.text_input}
    assert {"review_local", "review_delivery_local"} <= inputs
