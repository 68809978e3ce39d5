"""The Social Value Model as a design library (issue 18): the shipped file loads; every outcome carries its
published wording, source, version and licence; a suggested measure always fits the outcome's units (and none
is forced when none fits); a bad library file is one line naming the file, the entry and the field."""
from __future__ import annotations

import pytest
import yaml

from evaluator import EvaluatorError
from evaluator.library import DEFAULT_LIBRARY, load_library, missions, suggest_measures
from evaluator.proxies import load_proxies
from tests.conftest import RUBRICS

PROXIES = load_proxies(RUBRICS / "proxies" / "public_2025.csv")


def test_the_shipped_library_loads_with_wording_source_and_licence_on_every_outcome():
    outcomes = load_library()
    assert DEFAULT_LIBRARY == RUBRICS / "library" / "social_value_model_2025.yaml"
    assert len(outcomes) >= 3
    for o in outcomes:
        assert o.name and o.wording.startswith(o.name), o.id
        assert o.source and o.version and o.url.startswith("https://www.gov.uk/"), o.id
        assert o.licence == "Crown copyright, Open Government Licence v3.0", o.id
        assert o.mission and o.mission_kind in ("mission", "theme")
        assert o.url in o.citation and o.licence in o.citation
    assert len({o.id for o in outcomes}) == len(outcomes)


def test_published_wording_is_kept_word_for_word():
    by_id = {o.id: o for o in load_library()}
    assert by_id["T2020-INEQUALITY-1"].name == "Create new businesses, new jobs and new skills"
    assert by_id["T2020-INEQUALITY-1"].mission == "Tackling economic inequality"
    assert ("By creating employment and training opportunities for people who face barriers to employment or "
            "who live in deprived areas") in by_id["T2020-INEQUALITY-1"].wording.splitlines()
    assert by_id["T2020-COVID-1"].name == "Help local communities to manage and recover from the impact of COVID-19"


def test_the_2025_missions_are_listed_and_say_why_their_outcomes_are_not_included():
    ms = {m["name"]: m for m in missions() if m["kind"] == "mission"}
    assert set(ms) == {"Kickstarting Economic Growth", "An NHS Fit for the Future", "Safer Streets",
                       "Break Down Barriers to Opportunity", "Make Britain a Clean Energy Superpower"}
    for m in ms.values():
        assert m["outcomes"] == [] and m["not_included"] and m["licence"].endswith("Open Government Licence v3.0")
        assert "ppn-002" in m["model_url"]


@pytest.mark.parametrize("outcome", load_library(), ids=lambda o: o.id)
def test_every_suggestion_fits_the_outcomes_units(outcome):
    suggested = suggest_measures(outcome, PROXIES)
    units = set(outcome.fit_units)
    for code in suggested:
        assert code in PROXIES.index
        assert PROXIES.loc[code, "unit"] in units, (outcome.id, code)
    if not outcome.fits:
        assert suggested == []


def test_suggestions_by_unit_and_name_and_none_when_nothing_fits():
    by_id = {o.id: o for o in load_library()}
    jobs = suggest_measures(by_id["T2020-INEQUALITY-1"], PROXIES)
    assert jobs[0] == "EMP-LOCAL-BARRIERS"  # fte_year whose name says 'barriers', first
    assert "EMP-LOCAL" not in jobs and "APPRENTICE" in jobs
    assert suggest_measures(by_id["T2020-INEQUALITY-2"], PROXIES) == []  # no measure values supply chains
    hours_only = PROXIES[PROXIES["unit"] == "hour"]
    assert suggest_measures(by_id["T2020-INEQUALITY-1"], hours_only) == ["TRAINING-HOUR"]
    assert suggest_measures(by_id["T2020-INEQUALITY-1"], PROXIES[PROXIES["unit"] == "wellby"]) == []
    assert suggest_measures(by_id["T2020-WELLBEING-1"], PROXIES) == ["WELLBY"]
    assert suggest_measures(by_id["T2020-WELLBEING-2"], PROXIES) == ["VOLUNTEER-HOUR"]


def _write(tmp_path, doc) -> str:
    path = tmp_path / "lib.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def _good() -> dict:
    return yaml.safe_load(DEFAULT_LIBRARY.read_text("utf-8"))


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["missions"][5]["outcomes"][0].pop("wording"), ["mission T2020-COVID", "outcome T2020-COVID-1",
                                                                  "'wording'"]),
    (lambda d: d["missions"][6].update(licence=""), ["mission T2020-INEQUALITY", "'licence'"]),
    (lambda d: d["missions"][6].update(kind="pillar"), ["'kind'", "'pillar'"]),
    (lambda d: d["missions"][0].pop("not_included"), ["mission M2025-GROWTH", "'not_included'"]),
    (lambda d: d["missions"][6]["outcomes"][1].update(id="T2020-INEQUALITY-1"), ["'id'", "the same id"]),
    (lambda d: d["missions"][6]["outcomes"][0].update(fits=[{"words": ["x"]}]), ["fit 1", "'unit'"]),
    (lambda d: d.pop("missions"), ["top level", "'missions'"]),
])
def test_a_bad_library_file_is_one_line_naming_file_entry_and_field(tmp_path, edit, expected):
    doc = _good()
    edit(doc)
    with pytest.raises(EvaluatorError) as caught:
        load_library(_write(tmp_path, doc))
    line = caught.value.line()
    assert "\n" not in line and line.startswith("lib.yaml")
    for part in expected:
        assert part in line, line


@pytest.mark.parametrize("text", ["missions: [\n", "- just\n- a list\n", ""])
def test_a_broken_library_file_is_one_line(tmp_path, text):
    with pytest.raises(EvaluatorError) as caught:
        load_library(_write(tmp_path, text))
    assert "\n" not in caught.value.line() and "lib.yaml" in caught.value.line()


def test_a_missing_library_file_is_one_line(tmp_path):
    with pytest.raises(EvaluatorError) as caught:
        load_library(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in caught.value.line() and "\n" not in caught.value.line()


def test_a_review_of_the_rubrics_folder_passes_the_library_by():
    from evaluator.review import review_paths
    review = review_paths([RUBRICS])
    assert not [p for p in review.problems if "library" in str(p.get("source"))], review.problems
    assert {t["ocid"] for t in review.tenders} >= {"HC-2026-014", "SC-2026-007"}
