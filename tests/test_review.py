"""Pilot reviews: award criteria in both encodings, the checks, the portfolio and the CLI."""
import csv
import json
import subprocess
import sys

import pytest

from evaluator.review import (MATURITY_RULE, parse_weight_text, read_criteria, review_paths, review_release,
                              portfolio_charts, render)

from .conftest import ROOT, RUBRICS, SAMPLES

FIX = ROOT / "tests" / "fixtures" / "ocds"
WALES = ROOT.parent / "shared" / "data" / "ocds_wales"
needs_wales = pytest.mark.skipif(not WALES.is_dir(), reason="Sell2Wales releases not present")


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


def tender(review, ocid):
    return next(t for t in review.tenders if t["ocid"] == ocid)


def codes(obj):
    return [f["code"] for f in obj["flags"]]


@pytest.mark.parametrize("text, expected", [
    ("70", (70, 70, 70, "descriptionExact")), ("70%", (70, 70, 70, "descriptionExact")),
    ("17.5", (17.5, 17.5, 17.5, "descriptionExact")), ("17,5 %", (17.5, 17.5, 17.5, "descriptionExact")),
    ("15-40%", (27.5, 15, 40, "descriptionRange")), ("40 to 15", (27.5, 15, 40, "descriptionRange")),
    ("Weighting: 20%", (20, 20, 20, "descriptionExact")),
    ("Social value counts for 10% of the total", (10, 10, 10, "descriptionExact")),
    ("about two thirds", None), ("", None), (None, None), ("10% or 20%", None)])
def test_weights_written_as_text(text, expected):
    assert parse_weight_text(text) == expected


def test_extension_weights_of_every_kind(fixtures):
    t = tender(fixtures, "ocds-nsh001-HC-2026-014")
    lot1, lot2, lot3, lot4 = t["lots"]
    assert [(c["name"], c["weight"], c["weight_kind"], c["social_value"]) for c in lot1["criteria"]] == [
        ("Price", 40, "percentageExact", False), ("Service delivery model", 30, "percentageExact", False),
        ("Social value delivery plan", 10, "percentageExact", True),
        ("Social value commitments", 20, "percentageExact", True)]
    assert lot1["weight_total"] == 100 and lot1["social_value_weight"] == 30 and lot1["flags"] == []
    assert lot1["sustainability_goals"] == ["social.disadvantagedEmployment"]
    # a range's middle keeps no invented bounds; decimals become percentages
    price, quality, cb = lot2["criteria"]
    assert (price["weight"], price["weight_min"], price["weight_max"]) == (50, None, None)
    assert (quality["weight"], quality["weight_min"]) == (40, 40) and cb["social_value"] and cb["weight"] == 5
    assert codes(lot2) == ["SV302"]
    assert codes(lot3) == ["SV312"] and lot3["weight_total"] is None
    assert [c["weight"] for c in lot4["criteria"]] == [60, 30, 10] and lot4["social_value_weight"] == 10


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


def test_mislabelled_unparsed_and_unweighted_social_value(fixtures):
    lot = tender(fixtures, "ocds-nsh001-FM-2026-031")["lots"][0]
    assert codes(lot) == ["SV310", "SV310", "SV309", "SV309", "SV311"]
    assert "'Price' is published as type 'quality'" in lot["flags"][0]["message"]
    assert "'five' is not a number" in lot["flags"][2]["message"]
    assert lot["social_value_weight"] is None


def test_sustainability_goals_without_a_weight_are_social_value_unweighted(fixtures):
    lot = tender(fixtures, "ocds-nsh001-GR-2026-007")["lots"][0]
    assert codes(lot) == ["SV311"] and "environmental.climateChangeMitigation" in lot["flags"][0]["message"]


def test_text_weights_ranges_and_sums(fixtures):
    t = tender(fixtures, "ocds-wbc001-2026-102")
    assert t["lots"][0]["social_value_weight"] == 17.5 and t["lots"][0]["weight_total"] == 100
    youth = tender(fixtures, "ocds-wbc001-2026-103")
    crit = youth["lots"][0]["criteria"]
    assert [(c["weight_min"], c["weight_max"]) for c in crit] == [(40, 60), (15, 40), (20, 30)]
    assert codes(youth["lots"][0]) == []  # 75-130 can make 100
    assert codes(youth["lots"][1]) == ["SV301"] and "70-90" in youth["lots"][1]["flags"][0]["message"]


def test_text_only_social_value_and_a_stated_refusal(fixtures):
    meals = tender(fixtures, "ocds-wbc001-2026-104")
    assert codes(meals["lots"][0]) == ["SV309", "SV312", "SV311"] and meals["design_status"] == "text_only"
    tyres = tender(fixtures, "ocds-wbc001-2026-105")
    assert codes(tyres["lots"][0]) == [] and tyres["design_status"] == "not_weighted"


def test_core_award_criteria_codes(fixtures):
    price_only = tender(fixtures, "ocds-nsh001-ST-2026-002")["lots"][0]
    assert price_only["id"] is None and price_only["criteria"][0]["weight"] == 100 and price_only["flags"] == []
    rated = tender(fixtures, "ocds-nsh001-CS-2026-003")["lots"][0]
    assert codes(rated) == ["SV312", "SV311"] and "'ratedCriteria'" in rated["flags"][0]["message"]


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


def test_odd_shapes_inside_a_release_are_flags():
    rec = review_release({"ocid": "x", "tender": {"lots": ["lot", {"id": 7, "awardCriteria": {"criteria": "70/30"}}]}},
                         "f.json")
    assert codes(rec) == ["SV314"] and codes(rec["lots"][0])[0] == "SV309" and rec["lots"][0]["id"] == "7"
    rec = review_release({"ocid": "y", "tag": ["award"]}, "f.json")
    assert codes(rec) == ["SV312"] and rec["lots"] == []
    crit, flags = read_criteria([{"type": "quality", "numbers": [{"number": -5, "weight": "percentageExact"}]},
                                 {"type": "quality", "numbers": [{"number": 1.5, "weight": "decimalExact"}]}, 3], "1")
    assert [f["code"] for f in flags] == ["SV309", "SV309", "SV309"]


def test_rubrics_are_reviewed_with_the_design_checks():
    r = review_paths([RUBRICS / "home_care_north.yaml", RUBRICS / "schools_fm.yaml"])
    hc, fm = r.tenders
    assert hc["kind"] == "rubric" and hc["ocid"] == "HC-2026-014" and hc["design_status"] == "designed"
    assert hc["lots"][0]["social_value_weight"] == 30 and hc["flags"] == []
    assert {"SV303", "SV304", "SV305"} <= set(codes(fm)) and fm["design_status"] == "partly_designed"


def test_a_refused_rubric_is_a_flag_and_a_broken_one_a_problem(tmp_path):
    text = (RUBRICS / "home_care_north.yaml").read_text().replace("weight: 40, method", "weight: 45, method")
    (tmp_path / "over.yaml").write_text(text)
    (tmp_path / "broken.yaml").write_text("tender: [unclosed\n")
    r = review_paths([tmp_path])
    assert len(r.tenders) == 1 and codes(r.tenders[0])[0] == "SV301"
    assert "add up to 105" in r.tenders[0]["flags"][0]["message"]
    assert len(r.problems) == 1 and r.problems[0]["source"].endswith("broken.yaml")


def test_portfolio_summary_and_maturity(fixtures):
    s = fixtures.summary
    # weighted: HC (30), 101 (10), 102 (17.5), 103 (27.5), ES-55 (10)
    assert s["weight_social_value"]["tenders"] == 5
    assert s["social_value_weight"]["median"] == 17.5 and s["social_value_weight"]["max"] == 30
    assert s["meet_10_percent"] == {"tenders": 5, "share_of_all": round(5 / 12, 4), "share_of_weighted": 1.0, "below": 0}
    assert s["design"]["text_only"] == 4 and s["design"]["design_not_published"] == 5
    assert s["design_gaps"][0]["code"] in ("SV311", "SV312")
    assert s["maturity_rule"] == MATURITY_RULE
    buyers = {b["buyer"]: b for b in s["buyers"]}
    assert buyers["Eastshire County Council"]["delivered"] == 1  # OCDS implementation data flows back
    assert buyers["Eastshire County Council"]["maturity"] == "compliance"  # but no published design


def test_maturity_climbs_with_design_and_delivery():
    delivery = SAMPLES / "home_care_north" / "delivery.csv"
    plain = review_paths([RUBRICS / "home_care_north.yaml"])
    assert plain.summary["buyers"][0]["maturity"] == "standardisation"
    tracked = review_paths([RUBRICS / "home_care_north.yaml"], delivered=["HC-2026-014"])
    assert tracked.summary["buyers"][0]["maturity"] == "learning"
    assert delivery.is_file()
    figures = review_paths([RUBRICS / "drafts"])
    levels = {b["maturity"] for b in figures.summary["buyers"]}
    assert levels <= {"compliance", "stagnation", "standardisation"}


def test_readable_report_and_charts(fixtures):
    text = render(fixtures)
    assert "Reviewed 12 tender(s)" in text and "Maturity per buyer (Moxham)" in text and "SV313" in text
    charts = portfolio_charts(fixtures.summary)
    assert set(charts) == {"weight", "design", "gaps", "maturity"}
    spec = charts["weight"].to_dict()
    assert sum(v["tenders"] for v in spec["datasets"][next(iter(spec["datasets"]))]) == 5


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
def run(*args):
    return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


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


def test_review_csv_never_hands_a_spreadsheet_a_formula(tmp_path):
    """Buyer names and titles come from published notices: a title that starts with '=' is written as text."""
    release = {"ocid": "ocds-test-formula", "date": "2026-01-01T00:00:00Z",
               "buyer": {"name": "=HYPERLINK(\"http://evil\",\"Council\")"},
               "tender": {"id": "T1", "title": "@SUM(1+1) Grounds maintenance",
                          "awardCriteria": "priceOnly"}}
    src = tmp_path / "formula.json"
    src.write_text(json.dumps(release), encoding="utf-8")
    proc = run("review", src, "--csv", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    for name in ("lots.csv", "buyers.csv"):
        with open(tmp_path / "out" / name, newline="", encoding="utf-8") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], name
        assert any(c.startswith("'=HYPERLINK") or c.startswith("'@SUM") for c in cells), name


def test_cli_review_bad_arguments_exit_2(tmp_path):
    proc = run("review", FIX, "--delivery", "no-equals-sign")
    assert proc.returncode == 2 and "TENDER=CSV" in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "d.csv"
    bad.write_text("bidder,commitment,when\n")
    proc = run("review", FIX, "--delivery", f"X={bad}")
    assert proc.returncode == 2 and "when" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("review", tmp_path / "missing")
    assert proc.returncode == 0 and "not found" in proc.stdout  # a missing path is a listed problem


def test_a_rubric_written_as_json_and_a_bid_that_is_not_a_rubric(tmp_path):
    import yaml
    spec = yaml.safe_load((RUBRICS / "home_care_north.yaml").read_text())
    spec["proxies"] = None
    (tmp_path / "hc.json").write_text(json.dumps(spec, indent=1))
    (tmp_path / "bid.yaml").write_text((SAMPLES / "home_care_north" / "northtown_community_care.yaml").read_text())
    r = review_paths([tmp_path])
    assert [(t["kind"], t["ocid"], t["design_status"]) for t in r.tenders] == [("rubric", "HC-2026-014", "designed")]
    assert len(r.problems) == 1 and "is not a rubric" in r.problems[0]["message"]
