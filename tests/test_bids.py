"""The bid loaders (evaluator/bids.py, bid_documents.py): bids given as files in a folder or as uploaded
data (name, bytes) become the same tables, and each message names the file as its user named it."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from evaluator import InputError, InputErrors, load_bid_files, load_bids, load_rubric
from evaluator.bid_documents import read_bid_workbook
from evaluator.template import write_template
from tests.conftest import RUBRICS, SAMPLES, TENDERS


def _named(frame, folder: Path):
    """The tables of a folder, with each file named as an upload names it (its bare name)."""
    out = frame.copy()
    for column in ("_file", "_bid"):
        if column in out:
            out[column] = out[column].map(lambda v: v.replace(f"{folder}/", "") if isinstance(v, str) else v
                                          ).astype(frame[column].dtype)
    return out


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]


@pytest.mark.parametrize("tender", TENDERS)
def test_uploaded_bids_are_the_bids_of_their_folder(tender):
    rubric = load_rubric(RUBRICS / f"{tender}.yaml")
    folder = SAMPLES / tender
    from_folder, uploaded = load_bids(folder, rubric), load_bid_files(_files(folder), rubric)
    for table in ("bids", "commitments", "responses"):
        assert _named(getattr(from_folder, table), folder).equals(getattr(uploaded, table)), table
    assert uploaded.ignored_files == from_folder.ignored_files and not uploaded.problems


def _bulk(folder: Path, tmp_path: Path) -> Path:
    """The sample's YAML/JSON bids written as the bulk pair bids.csv + commitments.csv."""
    from evaluator.util import load_document
    out = tmp_path / "bulk"
    out.mkdir()
    bids, commitments = [], []
    for p in sorted(folder.glob("*.y*ml")):
        doc = load_document(p)
        bids.append({"bidder": doc["bidder"], "price": doc["price"]})
        for c in doc.get("commitments", []):
            row = {k: v for k, v in c.items() if k != "evidence"}
            row.update({f"evidence_{k}": v for k, v in (c.get("evidence") or {}).items()})
            commitments.append({"bidder": doc["bidder"], **row})
    for name, rows in (("bids.csv", bids), ("commitments.csv", commitments)):
        columns = list(dict.fromkeys(k for r in rows for k in r))
        buf = io.StringIO()
        w = csv.DictWriter(buf, columns)
        w.writeheader()
        w.writerows(rows)
        (out / name).write_text(buf.getvalue(), encoding="utf-8")
    return out


def test_an_uploaded_bulk_pair_is_the_bulk_pair_of_its_folder_named_as_uploaded(tmp_path):
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    folder = _bulk(SAMPLES / "home_care_north", tmp_path)
    from_folder, uploaded = load_bids(folder, rubric), load_bid_files(_files(folder), rubric)
    assert len(uploaded.bids) == 5 and not uploaded.problems
    for table in ("bids", "commitments", "responses"):
        assert _named(getattr(from_folder, table), folder).equals(getattr(uploaded, table)), table
    assert set(uploaded.commitments["_file"]) == {"commitments.csv"}


def test_a_problem_in_an_uploaded_bulk_pair_names_the_upload_not_a_server_folder(tmp_path):
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    folder = _bulk(SAMPLES / "home_care_north", tmp_path)
    files = dict(_files(folder))
    rows = list(csv.DictReader(io.StringIO(files["commitments.csv"].decode("utf-8"))))
    rows[0]["quantity"] = "many"
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    files["commitments.csv"] = buf.getvalue().encode("utf-8")
    one_bid = load_bid_files(list(files.items()), rubric)
    assert [e.line() for e in one_bid.problems] == [
        "commitments.csv, row 2, field 'quantity', value 'many': not a number (write digits only, e.g. 4650000, "
        "without £ or units)"]
    assert one_bid.skipped == [{"file": "bids.csv", "bidder": "Apex Care Group Ltd"}]
    del files["bids.csv"]
    alone = load_bid_files(list(files.items()), rubric)
    assert [e.line() for e in alone.problems] == [
        "the bulk form needs both bids.csv and commitments.csv; bids.csv is missing"]


def test_an_uploaded_workbook_is_read_as_its_file_is(tmp_path):
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    bid = yaml.safe_load((SAMPLES / "home_care_north" / "apex_care_group.yaml").read_bytes())
    path = write_template(rubric, tmp_path / "apex.xlsx", bid)
    assert read_bid_workbook(path.read_bytes(), source="apex.xlsx") == read_bid_workbook(path)
    from_folder = load_bids(tmp_path, rubric)
    uploaded = load_bid_files([("apex.xlsx", path.read_bytes())], rubric)
    assert _named(from_folder.commitments, tmp_path).equals(uploaded.commitments)
    assert uploaded.bids["_file"].tolist() == ["apex.xlsx"]


def test_uploads_without_bids_or_with_a_name_twice_are_refused_in_one_line():
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    with pytest.raises(InputError) as caught:
        load_bid_files([("notes.txt", b"hello")], rubric)
    assert caught.value.line().startswith("no bids found")
    with pytest.raises(InputErrors) as caught:
        load_bid_files([("a.yaml", b"bidder: A"), ("a.yaml", b"bidder: B")], rubric)
    assert caught.value.line() == "a.yaml: two files have this name; rename one"
