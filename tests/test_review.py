"""Pilot reviews as a whole: the JSON shape, duplicate OCIDs, bad input listed, real Sell2Wales notices, the CLI."""
import csv
import json

import pytest

from evaluator.review import review_paths

from .conftest import RUBRICS, SAMPLES
from .reviewing import FIX, WALES, codes, needs_wales, run, tender


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


def test_issue_json_shape(fixtures):
    doc = fixtures.to_json()
    t = doc["tenders"][0]
    assert {"source", "ocid", "title", "buyer", "lots", "flags"} <= set(t)
    lot = t["lots"][0]
    assert {"id", "criteria", "weight_total", "social_value_weight", "flags"} <= set(lot)
    for c in lot["criteria"]:
        assert {"type", "name", "weight", "weight_min", "weight_max", "weight_kind"} <= set(c)
    flag = next(f for tt in doc["tenders"] for lo in tt["lots"] for f in lo["flags"])
    assert {"code", "severity", "bidder", "commitment", "lot", "message", "fix"} <= set(flag)
    assert "summary" in doc and "problems" in doc
    json.dumps(doc)


def test_duplicate_ocid_keeps_the_latest_release(fixtures):
    t = tender(fixtures, "ocds-wbc001-2026-101")
    assert t["title"] == "Library cleaning (amended)" and codes(t) == ["SV313"]
    assert "appears 2 times" in t["flags"][0]["message"]
    assert sum(x["ocid"] == "ocds-wbc001-2026-101" for x in fixtures.tenders) == 1


def test_bad_files_and_lines_are_listed_and_the_rest_reviewed(fixtures):
    where = sorted((p["source"].split("/")[-1], p["where"]) for p in fixtures.problems)
    assert where == [("empty.json", None), ("extension_package.json", "releases[3]"),
                     ("extension_package.json", "releases[4]"), ("malformed.json", None),
                     ("not_ocds.json", "line 1"), ("records.json.gz", "records[2]"),
                     ("text_weights.jsonl", "line 3"), ("text_weights.jsonl", "line 8")]
    assert all(p["code"] == "SV314" for p in fixtures.problems)
    assert len(fixtures.tenders) == 12


# ------------------------------------------------------------------------------- Sell2Wales (real data)


@pytest.fixture(scope="module")
def wales():
    return review_paths([WALES])


@needs_wales
def test_wales_partial_notices_do_not_sum_to_100(wales):
    # WRel14.json: lot 1 publishes quality "Business Continuity and Supply Resilience" 10 and price 63.7
    t = tender(wales, "ocds-kuma6s-148114")
    lot1 = next(lo for lo in t["lots"] if lo["id"] == "1")
    assert [(c["type"], c["name"], c["weight"]) for c in lot1["criteria"]] == [
        ("quality", "Business Continuity and Supply Resilience", 10), ("price", None, 63.7)]
    assert lot1["weight_total"] == 73.7 and codes(lot1) == ["SV301"]
    assert len(t["lots"]) == 9 and all("SV301" in codes(lo) for lo in t["lots"])


@needs_wales
def test_wales_percent_text_and_points_out_of_1000(wales):
    roofing = tender(wales, "ocds-kuma6s-148385")  # WRel17.json: "20%" and "30%"
    assert [c["weight"] for c in roofing["lots"][0]["criteria"]] == [20, 30]
    assert roofing["lots"][0]["weight_total"] == 50 and "SV301" in codes(roofing["lots"][0])
    method = tender(wales, "ocds-kuma6s-148166")  # WRel67.json: "400" and "600"
    assert "points out of 1,000" in method["lots"][0]["flags"][0]["message"]
    ok = tender(wales, "ocds-kuma6s-148243")  # WRel18.json: technical 70, price 30
    assert ok["lots"][0]["weight_total"] == 100 and codes(ok["lots"][0]) == []


@needs_wales
def test_wales_price_only_lots_publish_no_weight(wales):
    t = tender(wales, "ocds-kuma6s-148089")  # WRel46.json: 16 lots of {"type": "price"} only
    assert len(t["lots"]) == 16 and all(codes(lo) == ["SV312"] for lo in t["lots"])


@needs_wales
def test_wales_community_benefits_only_in_text(wales):
    # WRel35.json asks for community benefits in its description; its criteria are quality 90, price "10%"
    t = tender(wales, "ocds-kuma6s-148314")
    assert [c["weight"] for c in t["lots"][0]["criteria"]] == [90, 10]
    assert codes(t["lots"][0]) == ["SV311"] and t["design_status"] == "text_only"
    # WRel8.json says it "does not intend to include any community benefit requirements"
    assert "SV311" not in {c for lo in tender(wales, "ocds-kuma6s-145558")["lots"] for c in codes(lo)}


@needs_wales
def test_wales_portfolio(wales):
    s = wales.summary
    assert s["tenders"] == 90 and s["problems"] == 0 and s["lots"] == 233
    assert s["weight_social_value"]["tenders"] == 0  # no notice weights social value as a criterion
    assert s["design"]["text_only"] == 45 and s["maturity_counts"]["stagnation"] == len(s["buyers"])
    assert [g["code"] for g in s["design_gaps"][:3]] == ["SV312", "SV311", "SV301"]


# ------------------------------------------------------------------------------- CLI


def test_cli_review_json_text_and_csv(tmp_path):
    proc = run("review", FIX, RUBRICS / "home_care_north.yaml", "--json", "--csv", tmp_path / "out",
               "--delivery", f"HC-2026-014={SAMPLES / 'home_care_north' / 'delivery.csv'}")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["tenders"]) == 13 and doc["summary"]["rubrics"] == 1
    buyers = {b["buyer"]: b["maturity"] for b in doc["summary"]["buyers"]}
    assert buyers["Northshire Council"] == "compliance"  # 1 designed of 5 weighted: most are not designed
    with open(tmp_path / "out" / "lots.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(t["lots"]) for t in doc["tenders"])
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"lots.csv", "buyers.csv", "summary.csv", "flags.csv",
                                                              "problems.csv"}
    text = run("review", FIX)
    assert text.returncode == 0 and "Tenders with flags:" in text.stdout and "Input problems" in text.stdout


def test_cli_review_bad_arguments_exit_2(tmp_path):
    proc = run("review", FIX, "--delivery", "no-equals-sign")
    assert proc.returncode == 2 and "TENDER=CSV" in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "d.csv"
    bad.write_text("bidder,commitment,when\n")
    proc = run("review", FIX, "--delivery", f"X={bad}")
    assert proc.returncode == 2 and "when" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("review", tmp_path / "missing")
    assert proc.returncode == 0 and "not found" in proc.stdout  # a missing path is a listed problem
