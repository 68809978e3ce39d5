"""The command line as a commissioner and a supplier use it (DESIGN.md 7), on the shipped samples."""
import json
import subprocess
import sys

import pytest

from evaluator.bid_documents import read_bid_workbook
from evaluator.template import write_template
from evaluator import load_bid, load_rubric

from .conftest import ROOT, TENDERS, tender_paths


def run(*args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("tender", TENDERS)
def test_evaluate_prints_a_readable_ranking(tender):
    rubric, bids, scores = tender_paths(tender)
    out = run("evaluate", "--rubric", rubric, "--bids", bids, "--scores", scores).stdout
    assert "Official lens: design" in out
    for header in ("Rank", "Total", "Price", "Quality", "Social value", "Figures rank", "Claimed £", "Credited £"):
        assert header in out
    assert "The winner changes with the lens" in out
    assert "errors (" in out or "error (1)" in out


def test_evaluate_json_has_exactly_the_contract_shape():
    rubric, bids, scores = tender_paths("home_care_north")
    doc = json.loads(run("evaluate", "--rubric", rubric, "--bids", bids, "--scores", scores, "--json").stdout)
    assert set(doc) == {"tender", "official_lens", "bids", "rubric_flags"}
    assert doc["tender"] == "HC-2026-014" and doc["official_lens"] == "design"
    bid = doc["bids"][0]
    assert set(bid) == {"bidder", "eligible", "complete", "total", "rank", "price_score", "quality_score",
                        "social_value_score", "lenses", "flags"}
    assert set(bid["lenses"]) == {"figures", "design"}
    assert set(bid["lenses"]["figures"]) == {"claimed_value", "score", "rank"}
    assert set(bid["lenses"]["design"]) == {"credited_value", "score", "rank", "attainment"}
    assert set(bid["lenses"]["design"]["attainment"]) == {"O1", "O2", "O3", "O4"}
    flags = [f for b in doc["bids"] for f in b["flags"]]
    assert flags and all({"code", "severity", "commitment", "message", "fix"} <= set(f) for f in flags)
    dq = [b for b in doc["bids"] if not b["eligible"]]
    assert dq and all(b["rank"] is None for b in dq)
    ranks = sorted(b["rank"] for b in doc["bids"] if b["eligible"])
    assert ranks == list(range(1, len(ranks) + 1))
    winner = next(b for b in doc["bids"] if b["rank"] == 1)
    assert winner["lenses"]["design"]["rank"] == 1 and winner["lenses"]["figures"]["rank"] != 1


def test_json_numbers_match_the_engine():
    from evaluator import evaluate, load_bids, load_scores
    rubric, bids, scores = tender_paths("schools_fm")
    doc = json.loads(run("evaluate", "--rubric", rubric, "--bids", bids, "--scores", scores, "--json").stdout)
    r = load_rubric(rubric)
    b = load_bids(bids, r)
    ev = evaluate(r, b, load_scores(scores, r, b.bidders)).results.set_index("bidder")
    for bid in doc["bids"]:
        row = ev.loc[bid["bidder"]]
        assert bid["total"] == pytest.approx(row["total"], abs=1e-4)
        assert bid["lenses"]["figures"]["claimed_value"] == pytest.approx(row["claimed_value"], abs=1e-4)
        assert bid["lenses"]["design"]["credited_value"] == pytest.approx(row["credited_value"], abs=1e-4)


def test_check_gives_a_supplier_flags_with_fixes_attainment_and_marks_under_each_lens():
    rubric, bids, _ = tender_paths("home_care_north")
    out = run("check", "--rubric", rubric, "--bid", bids / "apex_care_group.yaml").stdout
    assert "design lens:" in out and "figures lens:" in out
    assert "fix:" in out and "SV105" in out and "Attainment of the buyer's outcomes" in out
    doc = json.loads(run("check", "--rubric", rubric, "--bid", bids / "apex_care_group.yaml", "--json").stdout)
    assert doc["lenses"]["figures"]["score"] == pytest.approx(20.0)  # own claim is the best by default
    halved = json.loads(run("check", "--rubric", rubric, "--bid", bids / "apex_care_group.yaml", "--json",
                            "--best-claimed", 2 * doc["claimed_value"]).stdout)
    assert halved["lenses"]["figures"]["score"] == pytest.approx(10.0)
    assert halved["lenses"]["design"]["score"] == pytest.approx(doc["lenses"]["design"]["score"])
    assert all(f["fix"] for f in doc["flags"])
    assert not any(f["code"] in ("SV207", "SV203") for f in doc["flags"])  # the panel's business, not the supplier's


def test_check_without_a_bid_checks_the_commissioners_design():
    out = run("check", "--rubric", ROOT / "rubrics/drafts/grounds_maintenance_tom_style.yaml").stdout
    assert "SV302" in out and "SV306" in out
    proc = run("check", "--rubric", ROOT / "rubrics/drafts/home_care_weights_draft.yaml", ok=False)
    assert proc.returncode == 2 and "SV301" in proc.stderr and "95" in proc.stderr


def test_template_writes_the_supplier_workbook_and_a_filled_one_loads_back_unchanged(tmp_path):
    rubric, bids, _ = tender_paths("home_care_north")
    out = tmp_path / "bid.xlsx"
    run("template", "--rubric", rubric, "--out", out)
    from openpyxl import load_workbook
    wb = load_workbook(out)
    assert {"Bid", "Responses", "Commitments"} <= set(wb.sheetnames)
    # fill the template with a real bid and read it back: nothing lost
    import yaml
    doc = yaml.safe_load((bids / "northtown_community_care.yaml").read_text())
    filled = tmp_path / "northtown.xlsx"
    r = load_rubric(rubric)
    write_template(r, filled, bid=doc)
    back = read_bid_workbook(filled)
    for c in back["commitments"]:
        c.pop("_where")
    assert back == doc
    from_yaml = load_bid(bids / "northtown_community_care.yaml", r)
    from_xlsx = load_bid(filled, r)
    cols = [c for c in from_yaml.commitments.columns if not c.startswith("_")]
    assert from_xlsx.commitments[cols].equals(from_yaml.commitments[cols])
    assert run("check", "--rubric", rubric, "--bid", filled, "--json").returncode == 0


def test_explain_shows_the_working_behind_every_number():
    rubric, bids, scores = tender_paths("home_care_north")
    out = run("explain", "--rubric", rubric, "--bids", bids, "--scores", scores,
              "--bidder", "Apex Care Group Ltd").stdout
    for title in ("Marks: the inputs and the sum", "From claimed £ to credited £", "Validated £ year by year",
                  "Net quantity towards the buyer's outcomes"):
        assert title in out
    doc = json.loads(run("explain", "--rubric", rubric, "--bids", bids, "--bidder", "Apex Care Group Ltd",
                         "--json").stdout)
    walk = doc["tables"]["walk"]
    assert walk[0]["step"].startswith("Claimed") and walk[-1]["step"].startswith("Credited")


def test_fast_json_encoding_says_the_same_as_the_plain_document():
    from evaluator import evaluate, load_bids, load_scores
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    b = load_bids(bids, r)
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    assert json.loads(ev.json_bytes()) == json.loads(json.dumps(ev.to_json()))


def test_fast_json_escapes_awkward_supplier_text(tmp_path):
    """Quotes, backslashes, control characters and Welsh letters in what suppliers type survive --json."""
    rubric, _, _ = tender_paths("home_care_north")
    r = load_rubric(rubric)
    nasty = 'Ysgol "Bro Ŵyr" \\ back\\slash\ttab\x01ctl – £5 <b>&copy'
    (tmp_path / "a.yaml").write_text(
        "bidder: Cwmni Gofal Ŷ\nprice: 4500000\ncommitments:\n"
        f"  - {{id: 'X1\"', measure: EMP-LOCAL, quantity: 2, location: {json.dumps(nasty)}}}\n"
        f"  - {{id: X2, measure: {json.dumps(nasty)}, quantity: 3}}\n", encoding="utf-8")
    from evaluator import evaluate, load_bids
    ev = evaluate(r, load_bids(tmp_path, r))
    fast = json.loads(ev.json_bytes())
    assert fast == json.loads(json.dumps(ev.to_json()))
    messages = " ".join(f["message"] for f in fast["bids"][0]["flags"])
    assert nasty in messages
