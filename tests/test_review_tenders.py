"""One tender reviewed: a published release (lots, core codes, goals, social value asked for in text) or a rubric."""
import json

import pytest

from evaluator.review import review_paths
from evaluator.review_criteria import read_criteria
from evaluator.review_tenders import review_release

from .conftest import RUBRICS, SAMPLES
from .reviewing import FIX, codes, tender


@pytest.fixture(scope="module")
def fixtures():
    return review_paths([FIX])


def test_sustainability_goals_without_a_weight_are_social_value_unweighted(fixtures):
    lot = tender(fixtures, "ocds-nsh001-GR-2026-007")["lots"][0]
    assert codes(lot) == ["SV311"] and "environmental.climateChangeMitigation" in lot["flags"][0]["message"]


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


def test_a_rubric_written_as_json_and_a_bid_that_is_not_a_rubric(tmp_path):
    import yaml
    spec = yaml.safe_load((RUBRICS / "home_care_north.yaml").read_text())
    spec["proxies"] = None
    (tmp_path / "hc.json").write_text(json.dumps(spec, indent=1))
    (tmp_path / "bid.yaml").write_text((SAMPLES / "home_care_north" / "northtown_community_care.yaml").read_text())
    r = review_paths([tmp_path])
    assert [(t["kind"], t["ocid"], t["design_status"]) for t in r.tenders] == [("rubric", "HC-2026-014", "designed")]
    assert len(r.problems) == 1 and "is not a rubric" in r.problems[0]["message"]


def test_a_rubric_the_loader_refuses_for_its_keys_is_a_problem_in_the_loaders_own_words(tmp_path):
    """A reviewer and a commissioner running `check` must read the same message for the same broken rubric."""
    from evaluator.exceptions import InputErrors
    from evaluator.rubric import load_rubric

    text = (RUBRICS / "home_care_north.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("weight: 40, method", "weight: forty, method").replace("tender:\n", "tender:\n  budget_code: 1\n", 1))
    with pytest.raises(InputErrors) as refused:
        load_rubric(bad)
    r = review_paths([bad])
    assert r.tenders == []
    # the same words, the file named by its name (not the folder the server read it from)
    assert [p["message"] for p in r.problems] == [e.line().replace(str(bad), "bad.yaml") for e in refused.value.errors]
    assert all(p["message"].startswith("bad.yaml") and str(tmp_path) not in p["message"] for p in r.problems)
    assert all("python -m" not in p["fix"] and "Tender page" in p["fix"] for p in r.problems)
    assert len(r.problems) == 2 and all(p["code"] == "SV314" for p in r.problems)


def test_a_three_level_tree_is_read_with_effective_weights_and_each_group_checked(tmp_path):
    """Shares resolve through their parents (Q 40 -> Q2 25% = 10 -> Q2a 60% = 6); a group whose children are
    weights must add up to the group's own weight, and is named with its sum when it does not."""
    from pathlib import Path
    text = (Path(__file__).parent / "fixtures" / "lots" / "rubric.yaml").read_text()
    three = text.replace("      - {id: Q2, kind: scale, name: Safeguarding, share: 25}\n", """\
      - id: Q2
        kind: group
        name: Safeguarding
        share: 25
        criteria:
          - {id: Q2a, kind: scale, name: Training, share: 60}
          - {id: Q2b, kind: scale, name: Vetting, share: 40}
""")
    good = tmp_path / "three.yaml"
    good.write_text(three)
    t = review_paths([good]).tenders[0]
    rows = {c["path"]: (c["level"], c["weight"]) for c in t["lots"][0]["criteria"]}
    assert rows["Q > Q2"] == (2, 10) and rows["Q > Q2 > Q2a"] == (3, 6) and rows["Q > Q2 > Q2b"] == (3, 4)
    assert "SV301" not in codes(t)
    bad = tmp_path / "bad.yaml"
    bad.write_text(three.replace("name: Training, share: 60}", "name: Training, weight: 7}")
                   .replace("name: Vetting, share: 40}", "name: Vetting, weight: 4}"))
    t = review_paths([bad]).tenders[0]
    assert [f["message"] for f in t["flags"] if f["code"] == "SV301"] == [
        "the weights in group Q2 add up to 11, not the group's 10 (Q2a 7 + Q2b 4); the rubric would be refused "
        "for an award"]
