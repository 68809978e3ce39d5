"""The rubric loader (evaluator/rubric.py): a rubric given as a file, as YAML text or bytes, or as the
mapping an editor holds is read, validated and refused the same way, and its proxy table comes only from
where the rubric may reach."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evaluator import InputError, InputErrors, RubricRefused, load_rubric, parse_rubric
from evaluator.proxies import load_proxies
from evaluator.rubric import validate_spec
from tests.conftest import RUBRICS, TENDERS

PROXIES = RUBRICS / "proxies" / "public_2025.csv"


def _same(a, b) -> None:
    assert a.spec == b.spec
    assert a.criteria.equals(b.criteria) and a.outcomes.equals(b.outcomes)
    assert a.proxies.equals(b.proxies)
    assert a.proxies_path == b.proxies_path


@pytest.mark.parametrize("tender", TENDERS)
def test_a_rubric_as_bytes_text_or_mapping_is_the_rubric_of_its_file(tender):
    path = RUBRICS / f"{tender}.yaml"
    from_file = load_rubric(path)
    data = path.read_bytes()
    for given in (data, data.decode("utf-8"), yaml.safe_load(data)):
        _same(parse_rubric(given, path, folder=path.parent), from_file)
    assert from_file.proxies_path.resolve() == PROXIES.resolve() and len(from_file.proxies) > 0


def test_an_uploaded_rubric_uses_the_shipped_table_it_names():
    data = (RUBRICS / "home_care_north.yaml").read_bytes()
    rubric = parse_rubric(data, "my_rubric.yaml")  # no folder: an upload reaches the shipped tables only
    assert rubric.proxies_path.resolve() == PROXIES.resolve()
    assert rubric.path == Path("my_rubric.yaml")
    assert rubric.proxies.equals(load_proxies(PROXIES))


def test_an_uploaded_rubric_naming_a_server_file_is_refused_naming_only_the_upload(tmp_path):
    data = (RUBRICS / "home_care_north.yaml").read_text(encoding="utf-8").replace(
        "proxies: proxies/public_2025.csv", "proxies: /etc/passwd")
    with pytest.raises(InputError) as caught:
        parse_rubric(data, "my_rubric.yaml")
    line = caught.value.line()
    assert line.startswith("my_rubric.yaml") and "root:x" not in line and "value '/etc/passwd'" in line


def test_an_uploaded_proxy_table_stands_in_for_the_one_named():
    data = (RUBRICS / "home_care_north.yaml").read_bytes()
    rubric = parse_rubric(data, "my_rubric.yaml", proxies=("my_table.csv", PROXIES.read_bytes()))
    assert rubric.proxies_path == Path("my_table.csv")
    assert rubric.proxies.equals(load_proxies(PROXIES))
    held = parse_rubric(data, "edited.yaml", proxies=rubric.proxies)  # an edited design keeps its table
    assert held.proxies is rubric.proxies


def test_a_bad_uploaded_proxy_table_names_the_upload_row_and_field():
    data = (RUBRICS / "home_care_north.yaml").read_bytes()
    bad = "code,name,unit,value\nX1,Thing,hour,1,5\n"
    with pytest.raises(InputErrors) as caught:
        parse_rubric(data, "my_rubric.yaml", proxies=("my_table.csv", bad.encode()))
    assert caught.value.line() == "my_table.csv, row 2: has 5 cells but the header has 4"


def test_an_edited_design_is_refused_like_a_file_when_the_weights_do_not_sum_to_100():
    spec = yaml.safe_load((RUBRICS / "home_care_north.yaml").read_bytes())
    spec["criteria"][0]["weight"] += 1
    with pytest.raises(RubricRefused) as caught:
        parse_rubric(spec, "the design")
    assert caught.value.line().startswith("the design, key criteria, field 'weight', value 101.0: SV301 weights-sum")


def test_validate_spec_names_every_problem_without_the_weights_rule():
    spec = yaml.safe_load((RUBRICS / "home_care_north.yaml").read_bytes())
    spec["criteria"][0]["weight"] = 7   # off 100: not validate_spec's business (a reviewer reads it)
    assert validate_spec(spec, "r.yaml").criteria[0].weight == 7
    spec["criteria"][1]["wieght"] = 1
    spec["tender"]["duration_years"] = 0
    with pytest.raises(InputErrors) as caught:
        validate_spec(spec, "r.yaml")
    lines = [e.line() for e in caught.value.errors]
    assert len(lines) == 2 and all(line.startswith("r.yaml, key ") for line in lines)
    assert any("unknown key 'wieght' (did you mean 'weight'?)" in line for line in lines)
