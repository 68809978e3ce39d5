"""Issue 14, the loaders' holes: a rubric's `proxies:` must not lead to server files (2), duplicate keys in
JSON are refused (7), a number means what it looks like (8), and text a loader cannot encode is a one-line
problem naming the file (9). Each test asserts what a user sees: the exit code, the line, the value read."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from evaluator import EvaluatorError, InputError, load_bid, load_bids, load_rubric, load_scores
from evaluator.proxies import load_proxies
from tests.apptest import APP, messages, ok, unescape, upload
from tests.conftest import ROOT, RUBRICS, SAMPLES

HOME = RUBRICS / "home_care_north.yaml"
HOME_BIDS = SAMPLES / "home_care_north"
PROXIES = RUBRICS / "proxies" / "public_2025.csv"
SECRET = "root:x:0:0"  # the first line of /etc/passwd: never in any message


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr and "unexpected problem" not in proc.stderr, proc.stderr
    return proc


def rubric_naming(tmp_path: Path, proxies: str, name: str = "rubric.yaml") -> Path:
    """The shipped rubric, copied to tmp_path, with its `proxies:` line changed (the rest as shipped)."""
    text = HOME.read_text(encoding="utf-8").replace("proxies: proxies/public_2025.csv", f"proxies: {proxies}")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def a_secret_file(tmp_path: Path) -> Path:
    """A file outside the rubric's folder whose first line must never be shown (like /etc/passwd)."""
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\nmore,secret,lines,here\n", encoding="utf-8")
    return secret


OUTSIDE = ["/etc/passwd", "../../../../../../../../etc/passwd", "../outside/secret.csv", "{secret}"]


# ------------------------------------------------------------------------------------------------ hole 2

@pytest.mark.parametrize("named", OUTSIDE)
def test_engine_refuses_a_proxy_table_outside_the_rubrics_folder(tmp_path, named):
    folder = tmp_path / "tender"
    folder.mkdir()
    named = named.format(secret=a_secret_file(tmp_path))
    path = rubric_naming(folder, named)
    with pytest.raises(InputError) as caught:
        load_rubric(path)
    line = caught.value.line()
    assert "\n" not in line
    assert SECRET not in line and "root:" not in line
    assert str(path) in line and "proxies" in line and Path(named).name in line  # the value, as typed
    assert "the rubric's folder" in line and "rubrics/proxies/" in line


@pytest.mark.parametrize("named", OUTSIDE)
@pytest.mark.parametrize("verb", ["evaluate", "check"])
def test_cli_refuses_a_proxy_table_outside_the_rubrics_folder(tmp_path, named, verb):
    folder = tmp_path / "tender"
    folder.mkdir()
    path = rubric_naming(folder, named.format(secret=a_secret_file(tmp_path)))
    args = ["evaluate", "--rubric", path, "--bids", HOME_BIDS] if verb == "evaluate" else \
        ["check", "--rubric", path]
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    assert "root:" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "proxies" in lines[0] and "the rubric's folder" in lines[0], lines


def test_a_link_in_the_rubrics_folder_leading_out_is_refused_too(tmp_path):
    folder = tmp_path / "tender"
    folder.mkdir()
    (folder / "table.csv").symlink_to(a_secret_file(tmp_path))
    with pytest.raises(InputError) as caught:
        load_rubric(rubric_naming(folder, "table.csv"))
    assert "root:" not in caught.value.line() and "the rubric's folder" in caught.value.line()


def test_proxy_tables_inside_the_rubrics_folder_or_shipped_still_load(tmp_path):
    (tmp_path / "tables").mkdir()
    shutil.copy(PROXIES, tmp_path / "tables" / "mine.csv")
    assert len(load_rubric(rubric_naming(tmp_path, "tables/mine.csv")).proxies) > 0
    assert len(load_rubric(rubric_naming(tmp_path, "./tables/../tables/mine.csv", "b.yaml")).proxies) > 0
    shipped = load_rubric(rubric_naming(tmp_path, str(PROXIES), "c.yaml"))  # the shipped table by full path
    assert shipped.proxies_path.resolve() == PROXIES.resolve()


@pytest.mark.parametrize("path", sorted(RUBRICS.glob("*.yaml")) + sorted((RUBRICS / "drafts").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_rubric_still_loads_with_its_table(path):
    from evaluator import RubricRefused
    try:
        rubric = load_rubric(path)
    except RubricRefused as exc:  # the weights draft is shipped to show SV301; refused for nothing else
        assert exc.code == "SV301", exc.line()
        return
    assert rubric.proxies_path.resolve() == PROXIES.resolve()
    assert len(rubric.proxies) > 0


def _self_assessment():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/self_assessment.py").run()
    return at


@pytest.mark.parametrize("named", ["/etc/passwd", "../../../etc/passwd", "../../../../../../../../etc/passwd",
                                   "rubric.yaml"])
def test_self_assessment_upload_cannot_name_a_server_file(named):
    text = HOME.read_text(encoding="utf-8").replace("proxies: proxies/public_2025.csv", f"proxies: {named}")
    at = _self_assessment()
    upload(at, "draft_rubric", ("rubric.yaml", text.encode("utf-8"), "text/yaml"))
    at.run()
    ok(at)
    shown = messages(at)
    page = " ".join(shown + [unescape(m.value) for m in at.markdown] + [t.value for t in at.text] +
                    [unescape(c.value) for c in at.caption] + [unescape(e.value) for e in at.exception])
    assert "root:" not in page and "/bin/bash" not in page
    refusal = [m for m in shown if "proxies" in m and "proxies/public_2025.csv" in m]
    assert refusal, shown
    assert "rubric.yaml" in refusal[0] and repr(named) in refusal[0]
    assert "uploaded" in refusal[0] and "shipped" in refusal[0]
    assert not at.metric  # nothing was assessed against it


def test_self_assessment_upload_of_a_rubric_naming_a_shipped_table_still_works():
    at = _self_assessment()
    upload(at, "draft_rubric", HOME)
    at.run()
    ok(at)
    assert any(t.value.startswith("Rubric: HC-2026-014") for t in at.text)
    assert any("proxy table: the shipped rubrics/proxies/public_2025.csv" in unescape(c.value) for c in at.caption)
    draft = RUBRICS / "drafts" / "grounds_maintenance_tom_style.yaml"  # names ../proxies/public_2025.csv
    upload(at, "draft_rubric", draft)
    at.run()
    ok(at)
    assert not messages(at), messages(at)
    assert any("proxy table: the shipped rubrics/proxies/public_2025.csv" in unescape(c.value) for c in at.caption)


# ------------------------------------------------------------------------------------------------ hole 7

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


# ------------------------------------------------------------------------------------------------ hole 8

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


def _bulk(tmp_path: Path, quantity: str, price: str = "4650000") -> Path:
    folder = tmp_path / "bulk"
    folder.mkdir(exist_ok=True)
    (folder / "bids.csv").write_text(f'bidder,price\nAcme Ltd,"{price}"\n', encoding="utf-8")
    (folder / "commitments.csv").write_text(
        "bidder,id,measure,quantity,unit,evidence_grade\n"
        f'Acme Ltd,A1,EMP-LOCAL-BARRIERS,"{quantity}",fte_year,E2\n', encoding="utf-8")
    return folder


def test_bulk_csv_decimal_comma_is_refused_and_thousands_are_read(tmp_path):
    rubric = load_rubric(HOME)
    bidset = load_bids(_bulk(tmp_path, "1,5"), rubric)
    lines = [p.line() for p in bidset.problems]
    assert any("commitments.csv" in ln and "row 2" in ln and "'1,5'" in ln and "decimal comma" in ln
               for ln in lines), lines
    bidset = load_bids(_bulk(tmp_path, "1,500", "4,650,000"), rubric)
    assert not bidset.problems, [p.line() for p in bidset.problems]
    assert bidset.commitments["quantity"].iat[0] == 1500 and bidset.bids["price"].iat[0] == 4650000


def test_scores_csv_number_that_reads_differently_is_refused(tmp_path):
    rubric = load_rubric(HOME)
    bidders = load_bids(HOME_BIDS, rubric).bidders
    text = (HOME_BIDS / "scores.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = next(csv_row for csv_row in [ln for ln in text[1:]])
    import csv
    row = next(csv.reader([cells]))
    row[header.index("score")] = "0x3C"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / "scores.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_scores(path, rubric, bidders)
    assert "'0x3C'" in caught.value.line() and "hexadecimal" in caught.value.line()
    row[header.index("score")] = "060"  # a leading zero: 60, as a person reads it
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert load_scores(path, rubric, bidders)["score"].tolist() == [60.0]


def test_proxy_csv_decimal_comma_is_refused_and_thousands_are_read(tmp_path):
    text = PROXIES.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    import csv
    row = next(csv.reader([text[1]]))
    i = header.index("value")
    row[i] = "24000,5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / "p.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_proxies(path)
    assert "'24000,5'" in caught.value.line() and "decimal comma" in caught.value.line()
    row[i] = "24,000"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    assert load_proxies(path)["value"].iat[0] == 24000.0


@pytest.mark.parametrize("line,typed,why", [
    ("  contract_value: 4800000", "0x10", "hexadecimal"),
    ("  duration_years: 4", "1:30", "time"),
    ("  contract_value: 4800000", "4800000,5", "decimal comma"),
])
def test_rubric_number_that_reads_differently_is_refused(tmp_path, line, typed, why):
    text = HOME.read_text(encoding="utf-8")
    assert line in text
    path = tmp_path / "r.yaml"
    path.write_text(text.replace(line, line.split(":")[0] + f": {typed}").replace(
        "proxies: proxies/public_2025.csv", f"proxies: {PROXIES}"), encoding="utf-8")
    with pytest.raises(EvaluatorError) as caught:
        load_rubric(path)
    assert f"'{typed}'" in caught.value.line() and why in caught.value.line(), caught.value.line()


def test_rubric_leading_zero_and_thousands_read_as_written(tmp_path):
    text = HOME.read_text(encoding="utf-8")
    path = tmp_path / "r.yaml"
    path.write_text(text.replace("  contract_value: 4800000", "  contract_value: 4,800,000").replace(
        "  duration_years: 4", "  duration_years: 04").replace(
        "proxies: proxies/public_2025.csv", f"proxies: {PROXIES}"), encoding="utf-8")
    rubric = load_rubric(path)
    assert rubric.tender.contract_value == 4800000 and rubric.tender.duration_years == 4


# ------------------------------------------------------------------------------------------------ hole 9

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


def _cp1252_bulk(tmp_path: Path, header_extra: str = "", address: str = "1 High St") -> Path:
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
    folder = _cp1252_bulk(tmp_path, header_extra=",bonus (£)")
    proc = run("evaluate", "--rubric", HOME, "--bids", folder)
    assert proc.returncode == 2, proc.stderr
    assert "bids.csv" in proc.stderr and "'bonus (£)'" in proc.stderr and "unknown column" in proc.stderr


def test_a_windows_1252_bulk_csv_is_read_as_windows_1252_and_says_so(tmp_path):
    folder = _cp1252_bulk(tmp_path, address="£1 Pound Lane")
    bidset = load_bids(folder, load_rubric(HOME))
    assert not bidset.problems, [p.line() for p in bidset.problems]
    assert bidset.bids["contact_address"].tolist() == ["£1 Pound Lane"]
    assert bidset.commitments["description"].tolist() == ["£5 vouchers – café"]
    assert any("bids.csv" in n and "Windows-1252" in n for n in bidset.notes), bidset.notes
    proc = run("evaluate", "--rubric", HOME, "--bids", folder, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Windows-1252" in proc.stderr and "commitments.csv" in proc.stderr


def test_a_bulk_csv_neither_utf8_nor_windows_1252_names_the_byte(tmp_path):
    folder = _cp1252_bulk(tmp_path)
    (folder / "bids.csv").write_bytes(b"bidder,price\nAcme \x81 Ltd,4650000\n")
    proc = run("evaluate", "--rubric", HOME, "--bids", folder)
    assert proc.returncode == 2
    assert "bids.csv" in proc.stderr and "byte 18" in proc.stderr, proc.stderr


def test_tender_page_upload_with_a_lone_surrogate_is_one_line_and_the_good_bids_load():
    import re
    from streamlit.testing.v1 import AppTest
    from tests.apptest import click
    files = [p for p in sorted(HOME_BIDS.iterdir()) if p.suffix in (".yaml", ".json")]
    bad = (HOME_BIDS / "carewell_services.json").read_text(encoding="utf-8").replace(
        '"bidder": "Carewell Services Ltd"', '"bidder": "Sur\\ud800rogate Ltd"')
    at = AppTest.from_file(APP, default_timeout=60).run()
    upload(at, "up_rubric", HOME)
    upload(at, "up_bids", files + [("surrogate.json", bad.encode("utf-8"), "application/json")])
    click(at, "Load the uploaded").run()
    ok(at)
    assert {m.label: m.value for m in at.metric}["Bids loaded"] == str(len(files))
    warnings = "\n".join(messages(at, "warning") + messages(at))
    found = [ln for ln in warnings.splitlines() if ln.startswith("surrogate.json")]
    assert len(found) == 1 and "surrogate" in found[0] and "bidder" in found[0], warnings
    assert not re.search(r"Traceback|unexpected", warnings)


def test_tender_page_upload_of_a_windows_1252_bulk_pair_says_how_it_was_read(tmp_path):
    """No silent fix in the app either: the note the command line prints (read as Windows-1252) is shown
    where the user is looking, naming the file as uploaded (no server path)."""
    from streamlit.testing.v1 import AppTest
    from tests.apptest import click
    folder = _cp1252_bulk(tmp_path, address="£1 Pound Lane")
    at = AppTest.from_file(APP, default_timeout=60).run()
    upload(at, "up_rubric", HOME)
    upload(at, "up_bids", [("bids.csv", (folder / "bids.csv").read_bytes(), "text/csv"),
                           ("commitments.csv", (folder / "commitments.csv").read_bytes(), "text/csv")])
    click(at, "Load the uploaded").run()
    ok(at)
    shown = "\n".join(unescape(m) for kind in ("info", "success", "warning") for m in messages(at, kind))
    read = [ln for ln in shown.splitlines() if "Windows-1252" in ln]
    assert [ln.split(":")[0] for ln in read] == ["bids.csv", "commitments.csv"], shown
    assert not any("/" in ln.split(":")[0] or "sv-bids-" in ln for ln in read), read
