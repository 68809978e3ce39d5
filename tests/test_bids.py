"""The bid loaders (evaluator/bids.py, bid_documents.py): bids given as files in a folder or as uploaded
data (name, bytes) become the same tables, and each message names the file as its user named it. A JSON key
given twice is refused (issue 14, hole 7), a number means what it looks like (hole 8), and text a loader
cannot encode is a one-line problem naming the file (hole 9)."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from evaluator import EvaluatorError, InputError, InputErrors, load_bid, load_bid_files, load_bids, load_rubric
from evaluator.bid_documents import read_bid_workbook
from evaluator.template import write_template
from tests.conftest import RUBRICS, SAMPLES, TENDERS
from tests.test_rubric import run

HOME = RUBRICS / "home_care_north.yaml"
HOME_BIDS = SAMPLES / "home_care_north"


def _named(frame, folder: Path):
    """The tables of a folder, with each file named as an upload names it (its bare name)."""
    out = frame.copy()
    for column in ("_file", "_bid"):
        if column in out:
            out[column] = out[column].astype(object).map(
                lambda v: v.replace(f"{folder}/", "") if isinstance(v, str) else v).astype(object)
    return out


def _same(folder_table, uploaded_table) -> bool:
    """Equal tables, the names of files compared as text (the bulk pair keeps them as categories)."""
    folder_table, uploaded_table = folder_table.copy(), uploaded_table.copy()
    for column in ("_file", "_bid"):
        for table in (folder_table, uploaded_table):
            if column in table:
                table[column] = table[column].astype(object)
    return folder_table.equals(uploaded_table)


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]


@pytest.mark.parametrize("tender", TENDERS)
def test_uploaded_bids_are_the_bids_of_their_folder(tender):
    rubric = load_rubric(RUBRICS / f"{tender}.yaml")
    folder = SAMPLES / tender
    from_folder, uploaded = load_bids(folder, rubric), load_bid_files(_files(folder), rubric)
    for table in ("bids", "commitments", "responses"):
        assert _same(_named(getattr(from_folder, table), folder), getattr(uploaded, table)), table
    assert uploaded.ignored_files == from_folder.ignored_files and not uploaded.problems


def _as_bulk_pair(folder: Path, tmp_path: Path) -> Path:
    """The sample's YAML/JSON bids written as the bulk pair bids.csv + commitments.csv."""
    from evaluator.documents import load_document
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
    folder = _as_bulk_pair(SAMPLES / "home_care_north", tmp_path)
    from_folder, uploaded = load_bids(folder, rubric), load_bid_files(_files(folder), rubric)
    assert len(uploaded.bids) == 5 and not uploaded.problems
    for table in ("bids", "commitments", "responses"):
        assert _same(_named(getattr(from_folder, table), folder), getattr(uploaded, table)), table
    assert set(uploaded.commitments["_file"]) == {"commitments.csv"}


def test_a_problem_in_an_uploaded_bulk_pair_names_the_upload_not_a_server_folder(tmp_path):
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    folder = _as_bulk_pair(SAMPLES / "home_care_north", tmp_path)
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
    assert _same(_named(from_folder.commitments, tmp_path), uploaded.commitments)
    assert uploaded.bids["_file"].tolist() == ["apex.xlsx"]


def test_uploads_without_bids_or_with_a_name_twice_are_refused_in_one_line():
    rubric = load_rubric(RUBRICS / "home_care_north.yaml")
    with pytest.raises(InputError) as caught:
        load_bid_files([("notes.txt", b"hello")], rubric)
    assert caught.value.line().startswith("no bids found")
    with pytest.raises(InputErrors) as caught:
        load_bid_files([("a.yaml", b"bidder: A"), ("a.yaml", b"bidder: B")], rubric)
    assert caught.value.line() == "a.yaml: two files have this name; rename one"


def _json_bid(tmp_path: Path, edit) -> Path:
    text = (HOME_BIDS / "carewell_services.json").read_text(encoding="utf-8")
    folder = tmp_path / "bids"
    folder.mkdir(exist_ok=True)
    shutil.copy(HOME_BIDS / "apex_care_group.yaml", folder)
    path = folder / "carewell_services.json"
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_a_json_bid_with_a_key_twice_is_refused_naming_the_key(tmp_path):
    path = _json_bid(tmp_path, lambda t: t.replace('"price":', '"price": 1, "price":', 1))
    rubric = load_rubric(HOME)
    bidset = load_bids(path.parent, rubric)
    lines = [p.line() for p in bidset.problems]
    assert len(lines) == 1, lines
    assert str(path) in lines[0] and "'price'" in lines[0] and "twice" in lines[0]
    assert bidset.bidders == ["Apex Care Group Ltd"]  # the other file goes on
    proc = run("check", "--rubric", HOME, "--bid", path)
    assert proc.returncode == 2 and "'price'" in proc.stderr and "twice" in proc.stderr


def test_a_json_key_twice_inside_a_commitment_is_refused_too(tmp_path):
    path = _json_bid(tmp_path, lambda t: t.replace('"quantity":', '"quantity": 999, "quantity":', 1))
    with pytest.raises(EvaluatorError) as caught:
        load_bid(path, load_rubric(HOME)).require_valid()
    assert "'quantity'" in caught.value.line() and "twice" in caught.value.line()


def _yaml_bid(tmp_path: Path, key: str, value: str) -> Path:
    """Apex's bid with one line changed: `price:` or the first commitment's `quantity:`, as typed."""
    lines = (HOME_BIDS / "apex_care_group.yaml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip().lstrip("- ").startswith(f"{key}:"):
            lines[i] = line.split(":", 1)[0] + f": {value}"
            break
    else:
        raise AssertionError(key)
    path = tmp_path / "apex.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("key,typed,why", [
    ("price", "0x10", "hexadecimal"), ("price", "0o10", "octal"), ("price", "0b10", "binary"),
    ("price", "1:30", "time"), ("quantity", "1:30", "time"), ("quantity", "1,5", "decimal comma"),
    ("quantity", "12,50", "decimal comma"), ("price", "1_0", "underscore"),
])
def test_a_yaml_number_that_reads_differently_is_refused_naming_the_value(tmp_path, key, typed, why):
    path = _yaml_bid(tmp_path, key, typed)
    bidset = load_bid(path, load_rubric(HOME))
    lines = [p.line() for p in bidset.problems]
    assert len(lines) == 1, lines
    assert str(path) in lines[0] and f"field '{key}'" in lines[0] and f"value '{typed}'" in lines[0], lines
    assert why in lines[0]
    proc = run("check", "--rubric", HOME, "--bid", path)
    assert proc.returncode == 2 and f"'{typed}'" in proc.stderr


@pytest.mark.parametrize("key,typed,read", [
    ("price", "010", 10.0), ("price", "04650000", 4650000.0), ("price", "4,650,000", 4650000.0),
    ("price", "1_500_000", 1500000.0), ("price", "4650000.50", 4650000.5), ("quantity", "1,500", 1500.0),
    ("quantity", "07.5", 7.5),
])
def test_a_yaml_number_is_read_as_a_person_reads_it(tmp_path, key, typed, read):
    bidset = load_bid(_yaml_bid(tmp_path, key, typed), load_rubric(HOME))
    assert not bidset.problems, [p.line() for p in bidset.problems]
    got = bidset.bids["price"].iat[0] if key == "price" else bidset.commitments["quantity"].iat[0]
    assert got == read


def test_a_text_id_keeps_the_digits_as_typed(tmp_path):
    path = _yaml_bid(tmp_path, "id", "007")
    bidset = load_bid(path, load_rubric(HOME))
    assert bidset.commitments["id"].iat[0] == "007"


def _xlsx_with_quantity(tmp_path: Path, text: str) -> Path:
    from evaluator.template import write_template
    rubric = load_rubric(HOME)
    doc = yaml.safe_load((HOME_BIDS / "apex_care_group.yaml").read_text(encoding="utf-8"))
    path = write_template(rubric, tmp_path / "apex.xlsx", bid=doc)
    wb = openpyxl.load_workbook(path)
    ws = wb["Commitments"]
    col = [c.value for c in ws[1]].index("quantity") + 1
    ws.cell(row=2, column=col).value = text
    ws.cell(row=2, column=col).data_type = "s"
    wb.save(path)
    return path


def test_an_xlsx_text_cell_with_a_decimal_comma_is_refused(tmp_path):
    path = _xlsx_with_quantity(tmp_path, "1,5")
    bidset = load_bid(path, load_rubric(HOME))
    lines = [p.line() for p in bidset.problems]
    assert len(lines) == 1 and "'1,5'" in lines[0] and "quantity" in lines[0] and "decimal comma" in lines[0], lines


def _one_bulk_bid(tmp_path: Path, quantity: str, price: str = "4650000") -> Path:
    folder = tmp_path / "bulk"
    folder.mkdir(exist_ok=True)
    (folder / "bids.csv").write_text(f'bidder,price\nAcme Ltd,"{price}"\n', encoding="utf-8")
    (folder / "commitments.csv").write_text(
        "bidder,id,measure,quantity,unit,evidence_grade\n"
        f'Acme Ltd,A1,EMP-LOCAL-BARRIERS,"{quantity}",fte_year,E2\n', encoding="utf-8")
    return folder


def test_bulk_csv_decimal_comma_is_refused_and_thousands_are_read(tmp_path):
    rubric = load_rubric(HOME)
    bidset = load_bids(_one_bulk_bid(tmp_path, "1,5"), rubric)
    lines = [p.line() for p in bidset.problems]
    assert any("commitments.csv" in ln and "row 2" in ln and "'1,5'" in ln and "decimal comma" in ln
               for ln in lines), lines
    bidset = load_bids(_one_bulk_bid(tmp_path, "1,500", "4,650,000"), rubric)
    assert not bidset.problems, [p.line() for p in bidset.problems]
    assert bidset.commitments["quantity"].iat[0] == 1500 and bidset.bids["price"].iat[0] == 4650000


def test_a_json_bid_holding_a_lone_surrogate_is_one_line_and_the_others_go_on(tmp_path):
    path = _json_bid(tmp_path, lambda t: t.replace('"bidder": "Carewell Services Ltd"', '"bidder": "Care\\ud800"'))
    bidset = load_bids(path.parent, load_rubric(HOME))
    lines = [p.line() for p in bidset.problems]
    assert len(lines) == 1 and str(path) in lines[0] and "bidder" in lines[0] and "surrogate" in lines[0], lines
    assert bidset.bidders == ["Apex Care Group Ltd"]
    lines[0].encode("utf-8")  # the message itself can be printed
    proc = run("evaluate", "--rubric", HOME, "--bids", path.parent)
    assert proc.returncode == 2 and "surrogate" in proc.stderr
    proc = run("evaluate", "--rubric", HOME, "--bids", path.parent, "--skip-invalid", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [b["bidder"] for b in json.loads(proc.stdout)["bids"]] == ["Apex Care Group Ltd"]
    proc = run("check", "--rubric", HOME, "--bid", path)
    assert proc.returncode == 2 and "surrogate" in proc.stderr and str(path) in proc.stderr


def test_a_yaml_bid_holding_a_lone_surrogate_is_one_line(tmp_path):
    path = _yaml_bid(tmp_path, "bidder", '"Apex\\ud800"')
    proc = run("check", "--rubric", HOME, "--bid", path)
    assert proc.returncode == 2 and "surrogate" in proc.stderr


def cp1252_bulk(tmp_path: Path, header_extra: str = "", address: str = "1 High St") -> Path:
    folder = tmp_path / "bulk1252"
    folder.mkdir(exist_ok=True)
    (folder / "bids.csv").write_bytes(
        f"bidder,price,contact_address{header_extra}\nAcme Ltd,4650000,{address}{',1' if header_extra else ''}\n"
        .encode("cp1252"))
    (folder / "commitments.csv").write_bytes(
        "bidder,id,measure,quantity,unit,evidence_grade,description\n"
        "Acme Ltd,A1,EMP-LOCAL-BARRIERS,2,fte_year,E2,£5 vouchers – café\n".encode("cp1252"))
    return folder


def test_a_windows_1252_bulk_csv_with_a_pound_in_a_header_is_one_line(tmp_path):
    folder = cp1252_bulk(tmp_path, header_extra=",bonus (£)")
    proc = run("evaluate", "--rubric", HOME, "--bids", folder)
    assert proc.returncode == 2, proc.stderr
    assert "bids.csv" in proc.stderr and "'bonus (£)'" in proc.stderr and "unknown column" in proc.stderr


def test_a_windows_1252_bulk_csv_is_read_as_windows_1252_and_says_so(tmp_path):
    folder = cp1252_bulk(tmp_path, address="£1 Pound Lane")
    bidset = load_bids(folder, load_rubric(HOME))
    assert not bidset.problems, [p.line() for p in bidset.problems]
    assert bidset.bids["contact_address"].tolist() == ["£1 Pound Lane"]
    assert bidset.commitments["description"].tolist() == ["£5 vouchers – café"]
    assert any("bids.csv" in n and "Windows-1252" in n for n in bidset.notes), bidset.notes
    proc = run("evaluate", "--rubric", HOME, "--bids", folder, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Windows-1252" in proc.stderr and "commitments.csv" in proc.stderr


def test_a_bulk_csv_neither_utf8_nor_windows_1252_names_the_byte(tmp_path):
    folder = cp1252_bulk(tmp_path)
    (folder / "bids.csv").write_bytes(b"bidder,price\nAcme \x81 Ltd,4650000\n")
    proc = run("evaluate", "--rubric", HOME, "--bids", folder)
    assert proc.returncode == 2
    assert "bids.csv" in proc.stderr and "byte 18" in proc.stderr, proc.stderr


@pytest.mark.parametrize("content", ["bidder,price\nX,5\n", b"PK\x03\x04 truncated zip", b""])
def test_a_file_that_is_not_a_workbook_is_refused_naming_it(tmp_path, content):
    path = tmp_path / "b.xlsx"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    for given, source in ((path, None), (path.read_bytes(), "b.xlsx")):
        with pytest.raises(EvaluatorError) as info:
            read_bid_workbook(given, source=source)
        errors = info.value.errors if isinstance(info.value, InputErrors) else [info.value]
        assert errors and all("b.xlsx" in e.line() and "\n" not in e.line() for e in errors)
