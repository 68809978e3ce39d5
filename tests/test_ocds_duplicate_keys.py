"""Duplicate keys in published OCDS JSON (issue 14, hole 7): a release, package or JSON Lines line that
holds a key twice in one object is one problem line naming the file, its line or item and the key, never
read with the last value silently kept; the other releases and files are still reviewed."""
import copy
import gzip
import json
from pathlib import Path

import pytest

import evaluator.ocds as ocds
from evaluator.review import review_paths

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "ocds"
GOOD = FIXTURES / "core_rated.json"


def _release(ocid: str) -> dict:
    doc = json.loads(GOOD.read_text())
    rel = copy.deepcopy(doc["releases"][0] if "releases" in doc else doc)
    rel["ocid"] = ocid
    rel["tender"]["value"] = {"amount": 1000, "currency": "GBP"}
    return rel


def _dup_ocid(rel: dict, indent=None) -> str:
    """The release as JSON with `ocid` given a second time (the first one a different value)."""
    return '{"ocid": "ocds-dup-first", ' + json.dumps(rel, indent=indent)[1:]


def _dup_amount(rel: dict) -> str:
    """The release as JSON with tender.value.amount given twice."""
    text = json.dumps(rel)
    assert text.count('"value": {"amount": 1000') == 1
    return text.replace('"value": {"amount": 1000', '"value": {"amount": 5, "amount": 1000')


def _review(folder: Path) -> dict:
    return review_paths([folder]).to_json()


def _name(source: str) -> str:
    return Path(source.split(" (")[0]).name


def _reviewed(doc) -> set[str]:
    return {_name(t["source"]) for t in doc["tenders"]}


def _ocids(doc) -> set[str]:
    return {t.get("ocid") for t in doc["tenders"]}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    (folder / "a_good.json").write_text(json.dumps(_release("ocds-a-1")))
    (folder / "z_after.json").write_text(json.dumps(_release("ocds-z-1")))
    return folder


def _dup_problems(doc, name: str) -> list[dict]:
    return [p for p in doc["problems"] if _name(p["source"]) == name and "twice" in p["message"]]


def _assert_one_problem(doc, name: str, key: str, where="any") -> dict:
    problems = _dup_problems(doc, name)
    assert len(problems) == 1, doc["problems"]
    p = problems[0]
    assert p["code"] == "SV314" and f"'{key}'" in p["message"], p
    if where != "any":
        assert p["where"] == where, p
    assert {"a_good.json", "z_after.json"} <= _reviewed(doc), doc["tenders"]
    return p


def test_a_release_with_ocid_twice_in_a_json_file_is_a_problem_naming_the_key(tmp_path):
    folder = _folder(tmp_path)
    (folder / "m_dup.json").write_text(_dup_ocid(_release("ocds-m-1"), indent=2))  # on many lines: read whole
    doc = _review(folder)
    _assert_one_problem(doc, "m_dup.json", "ocid", None)
    assert "m_dup.json" not in _reviewed(doc)
    assert "ocds-m-1" not in _ocids(doc)


def test_a_package_with_one_bad_release_keeps_the_others(tmp_path):
    folder = _folder(tmp_path)
    rels = [json.dumps(_release("ocds-p-0")), _dup_ocid(_release("ocds-p-1")), json.dumps(_release("ocds-p-2"))]
    (folder / "m_package.json").write_text('{"uri": "x",\n"releases": [\n' + ",\n".join(rels) + "\n]}\n")
    doc = _review(folder)
    _assert_one_problem(doc, "m_package.json", "ocid", "releases[1]")
    assert {"ocds-p-0", "ocds-p-2"} <= _ocids(doc) and "ocds-p-1" not in _ocids(doc)


def test_a_json_lines_line_with_ocid_twice_is_a_problem_naming_the_line(tmp_path):
    folder = _folder(tmp_path)
    lines = [json.dumps(_release("ocds-l-1")), _dup_ocid(_release("ocds-l-2")), json.dumps(_release("ocds-l-3"))]
    (folder / "m_lines.jsonl").write_text("\n".join(lines) + "\n")
    doc = _review(folder)
    _assert_one_problem(doc, "m_lines.jsonl", "ocid", "line 2")
    assert {"ocds-l-1", "ocds-l-3"} <= _ocids(doc) and "ocds-l-2" not in _ocids(doc)


def test_a_gzipped_release_with_ocid_twice_is_a_problem(tmp_path):
    folder = _folder(tmp_path)
    (folder / "m_dup.json.gz").write_bytes(gzip.compress(_dup_ocid(_release("ocds-g-1")).encode()))
    doc = _review(folder)
    _assert_one_problem(doc, "m_dup.json.gz", "ocid", "line 1")
    assert "ocds-g-1" not in _ocids(doc)


def test_a_streamed_package_with_ocid_twice_is_a_problem_naming_the_item(tmp_path, monkeypatch):
    monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 256)
    folder = _folder(tmp_path)
    rels = [json.dumps(_release("ocds-s-0")), _dup_ocid(_release("ocds-s-1")), json.dumps(_release("ocds-s-2"))]
    (folder / "m_big.json").write_text('{"uri": "x",\n"releases": [\n' + ",\n".join(rels) + "\n]}\n")
    assert (folder / "m_big.json").stat().st_size > 256  # streamed with ijson, not read whole
    doc = _review(folder)
    _assert_one_problem(doc, "m_big.json", "ocid", "releases 1")
    assert {"ocds-s-0", "ocds-s-2"} <= _ocids(doc) and "ocds-s-1" not in _ocids(doc)


def test_a_duplicate_deep_inside_a_release_is_a_problem_naming_the_key(tmp_path):
    folder = _folder(tmp_path)
    (folder / "m_deep.json").write_text(_dup_amount(_release("ocds-d-1")))
    (folder / "m_deep.jsonl").write_text(json.dumps(_release("ocds-d-2")) + "\n" + _dup_amount(_release("ocds-d-3")) + "\n")
    doc = _review(folder)
    p = _assert_one_problem(doc, "m_deep.json", "amount")
    assert "tender.value" in p["message"], p
    _assert_one_problem(doc, "m_deep.jsonl", "amount", "line 2")
    assert "ocds-d-2" in _ocids(doc) and not {"ocds-d-1", "ocds-d-3"} & _ocids(doc)


def test_a_duplicate_deep_inside_a_streamed_release_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 256)
    folder = _folder(tmp_path)
    rels = [_dup_amount(_release("ocds-t-0")), json.dumps(_release("ocds-t-1"))]
    (folder / "m_big.json").write_text("[\n" + ",\n".join(rels) + "\n]\n")
    doc = _review(folder)
    _assert_one_problem(doc, "m_big.json", "amount", "item 0")
    assert "ocds-t-1" in _ocids(doc) and "ocds-t-0" not in _ocids(doc)


@pytest.mark.parametrize("streamed", [False, True])
def test_the_same_key_in_two_different_objects_is_not_flagged(tmp_path, monkeypatch, streamed):
    if streamed:
        monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 256)
    folder = _folder(tmp_path)
    rel = _release("ocds-n-1")
    rel["awards"] = [{"id": "1", "value": {"amount": 1000, "currency": "GBP"}}]  # amount, currency, id again
    text = json.dumps(rel).replace('"title"', '"note": "a \\"quoted\\": colon", "title"', 1)
    (folder / "m_near.json").write_text("[\n" + text + "\n]\n")  # read whole, or streamed
    (folder / "m_near.jsonl").write_text(json.dumps(_release("ocds-n-2")) + "\n")
    doc = _review(folder)
    assert not [p for p in doc["problems"] if "twice" in p["message"]], doc["problems"]
    assert {"ocds-n-1", "ocds-n-2"} <= _ocids(doc)


@pytest.mark.parametrize("text, key", [
    ('{"ocid": "ocds-w-1", "tender": {"id": "1"}, "ocid" : "ocds-w-2"}', "ocid"),  # whitespace before a colon
    ('{"ocid": "ocds-w-1", "tender": {"id": "1", "id": "2"}}', "id"),
    ('{"ocid": "ocds-w-1", "tender": {"title": "a\\u003ab", "title": "c"}}', "title"),  # an escaped colon
    ('{"ocid": "ocds-w-1", "tender": {"t": "x", "t": "https://a:b"}}', "t"),  # the value kept holds colons
    ('{"ocid": "ocds-w-1", "tender": {"lots": [{"id": "1"}, {"id": "2", "id": "3"}]}}', "id"),
])
@pytest.mark.parametrize("streamed", [False, True])
def test_duplicates_however_written_are_found(tmp_path, monkeypatch, text, key, streamed):
    if streamed:
        monkeypatch.setattr(ocds, "WHOLE_FILE_BYTES", 16)
    folder = _folder(tmp_path)
    (folder / "m_dup.json").write_text("[\n" + text + "\n]\n")
    doc = _review(folder)
    _assert_one_problem(doc, "m_dup.json", key, "item 0")


def test_colons_and_escapes_without_duplicates_are_not_flagged(tmp_path):
    folder = _folder(tmp_path)
    rel = _release("ocds-e-1")
    rel["tender"]["description"] = 'Time 10:30, see https://x.example/a:b; "quoted": yes; back\\slash\\":'
    text = json.dumps(rel).replace('"title"', '"note": "a\\u003ab \\\\u003a c\\u003A", "title"', 1)
    (folder / "m_escapes.jsonl").write_text(text + "\n")
    doc = _review(folder)
    assert not [p for p in doc["problems"] if "twice" in p["message"]], doc["problems"]
    assert "ocds-e-1" in _ocids(doc)


def test_a_workspace_export_manifest_with_a_key_twice_is_refused_naming_it(tmp_path):
    """The other JSON a user hands the tool: `workspace import` reads an export folder's manifest.json."""
    from evaluator.exceptions import EvaluatorError
    from evaluator.workspace import Workspace

    from .test_workspace_integrity import BIDS, RUBRIC, SCORES
    ws = Workspace.create(tmp_path / "hc.sqlite", RUBRIC, BIDS, scores_path=SCORES)
    out = tmp_path / "export"
    ws.export(out)
    text = (out / "manifest.json").read_text()
    assert text.lstrip().startswith("{")
    (out / "manifest.json").write_text('{"scores": {"path": "elsewhere.csv", "sha256": "0"},' + text.lstrip()[1:])
    with pytest.raises(EvaluatorError, match="'scores' twice") as err:
        Workspace.import_export(tmp_path / "copy.sqlite", out)
    assert "manifest.json" in str(err.value)
    assert not (tmp_path / "copy.sqlite").exists()
