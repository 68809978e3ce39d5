"""Every input a user can get wrong: one line naming file, row or key, field and value; exit 2; no traceback.

Each case copies the shipped sample tender (rubric, proxy table, bids, scores) into a temporary folder,
breaks one thing in the copy, and runs the real command line on it (`python -m evaluator ...` in a
subprocess). The same broken inputs are then fed to the Python API, which must raise an
`EvaluatorError` (or, for bid files, collect the problem in `bidset.problems`) and nothing else.
The shipped files themselves are never touched.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from evaluator.bids import load_bid, load_bids
from evaluator.exceptions import EvaluatorError, InputError, InputErrors, RubricRefused
from evaluator.rubric import load_rubric
from evaluator.scores import load_scores
from evaluator.documents import load_json, load_yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RUBRIC = ROOT / "rubrics" / "home_care_north.yaml"
SAMPLE_PROXIES = ROOT / "rubrics" / "proxies" / "public_2025.csv"
SAMPLE_BIDS = ROOT / "sample_bids" / "home_care_north"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bad"


def _digest(paths) -> dict:
    import hashlib
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths) if p.is_file()}


SHIPPED = [SAMPLE_RUBRIC, SAMPLE_PROXIES, *SAMPLE_BIDS.iterdir()]
SHIPPED_DIGEST = _digest(SHIPPED)   # checked by the last test in this file: only copies are ever broken

APEX = "apex_care_group.yaml"        # bidder "Apex Care Group Ltd"
CAREWELL = "carewell_services.json"  # bidder "Carewell Services Ltd"


# ------------------------------------------------------------------------------------------ the tender
@dataclass
class Tender:
    """A private copy of the shipped sample tender, laid out as a commissioner keeps it."""

    root: Path
    rubric: Path
    proxies: Path
    bids: Path
    scores: Path

    # -- reading and writing documents in the copy
    def bid(self, name: str) -> Path:
        return self.bids / name

    def load_bid_doc(self, name: str) -> dict:
        path = self.bid(name)
        return json.loads(path.read_text("utf-8")) if path.suffix == ".json" else yaml.safe_load(path.read_text("utf-8"))

    def save_bid_doc(self, name: str, doc: Any) -> Path:
        path = self.bid(name)
        if path.suffix == ".json":
            path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), "utf-8")
        else:
            path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
        return path

    def edit_bid(self, name: str, fn: Callable[[dict], Any]) -> Path:
        doc = self.load_bid_doc(name)
        fn(doc)
        return self.save_bid_doc(name, doc)

    def edit_rubric(self, fn: Callable[[dict], Any]) -> Path:
        doc = yaml.safe_load(self.rubric.read_text("utf-8"))
        fn(doc)
        self.rubric.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
        return self.rubric

    def replace_in(self, path: Path, old: str, new: str) -> Path:
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1), "utf-8")
        return path

    def score_rows(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.scores.read_text("utf-8"))))

    def write_scores(self, rows: list[list[str]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self.scores.write_text(buf.getvalue(), "utf-8")

    def edit_score(self, row: int, column: str, value: str) -> None:
        """Set one cell of scores.csv; `row` is the spreadsheet row number (2 = first data row)."""
        rows = self.score_rows()
        rows[row - 1][rows[0].index(column)] = value
        self.write_scores(rows)

    def to_bulk(self) -> None:
        """Replace the single bid files by the bulk form (bids.csv + commitments.csv + responses.csv)."""
        write_bulk(self.bids, [self.load_bid_doc(p.name) for p in sorted(self.bids.iterdir())
                               if p.suffix in (".yaml", ".json")])
        for p in list(self.bids.iterdir()):
            if p.suffix in (".yaml", ".json"):
                p.unlink()

    # -- command lines
    def evaluate_args(self, *extra: str, scores: bool = False) -> list[str]:
        args = ["evaluate", "--rubric", str(self.rubric), "--bids", str(self.bids)]
        if scores:
            args += ["--scores", str(self.scores)]
        return args + list(extra)


def copy_tender(dest: Path) -> Tender:
    (dest / "rubrics" / "proxies").mkdir(parents=True)
    rubric = dest / "rubrics" / SAMPLE_RUBRIC.name
    proxies = dest / "rubrics" / "proxies" / SAMPLE_PROXIES.name
    shutil.copyfile(SAMPLE_RUBRIC, rubric)
    shutil.copyfile(SAMPLE_PROXIES, proxies)
    bids = dest / "bids"
    bids.mkdir()
    for p in SAMPLE_BIDS.iterdir():
        if p.suffix in (".yaml", ".yml", ".json", ".xlsx"):
            shutil.copyfile(p, bids / p.name)
    scores = dest / "scores.csv"
    shutil.copyfile(SAMPLE_BIDS / "scores.csv", scores)
    return Tender(root=dest, rubric=rubric, proxies=proxies, bids=bids, scores=scores)


BULK_BID_COLUMNS = ["bidder", "price", "supplier_id", "contact_email", "contact_address"]
BULK_COMMITMENT_COLUMNS = [
    "bidder", "id", "measure", "outcome", "description", "quantity", "unit", "claimed_proxy", "claimed_value",
    "start_year", "end_year", "persistence_years", "drop_off", "location", "beneficiaries", "evidence_grade",
    "evidence_description", "deadweight", "attribution", "displacement", "deflator_rationale", "narrative",
    "kpi", "contract_specific",
]


def bulk_rows(docs: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    bids, commitments, responses = [], [], []
    for doc in docs:
        bids.append({k: doc.get(k) for k in BULK_BID_COLUMNS})
        for crit, text in (doc.get("responses") or {}).items():
            responses.append({"bidder": doc["bidder"], "criterion": crit, "text": text})
        for c in doc.get("commitments") or []:
            row = {"bidder": doc["bidder"]}
            for k in BULK_COMMITMENT_COLUMNS[1:]:
                if k.startswith("evidence_"):
                    row[k] = (c.get("evidence") or {}).get(k[len("evidence_"):])
                else:
                    row[k] = c.get(k)
            commitments.append(row)
    return bids, commitments, responses


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in columns})
    path.write_text(buf.getvalue(), "utf-8")


def write_bulk(folder: Path, docs: list[dict]) -> None:
    bids, commitments, responses = bulk_rows(docs)
    write_csv(folder / "bids.csv", BULK_BID_COLUMNS, bids)
    write_csv(folder / "commitments.csv", BULK_COMMITMENT_COLUMNS, commitments)
    write_csv(folder / "responses.csv", ["bidder", "criterion", "text"], responses)


@pytest.fixture
def tender(tmp_path: Path) -> Tender:
    return copy_tender(tmp_path / "tender")


# ------------------------------------------------------------------------------------------ running
def run_cli(*args: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def assert_refused(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, no traceback, every stderr line an `error: ` line, one of them naming every needle."""
    shown = f"exit {result.returncode}\nstderr:\n{result.stderr}\nstdout:\n{result.stdout[:2000]}"
    assert "Traceback" not in result.stderr, shown
    assert "unexpected problem inside the tool" not in result.stderr, shown
    assert result.returncode == 2, shown
    lines = error_lines(result)
    assert lines, shown
    assert all(line.startswith("error: ") for line in result.stderr.splitlines() if line.strip()), shown
    hits = [line for line in lines if all(n in line for n in needles)]
    assert hits, f"no error line names all of {needles!r}\n{shown}"
    return hits[0]


def assert_all_evaluator_errors(problems: list) -> None:
    assert problems
    for p in problems:
        assert isinstance(p, EvaluatorError), repr(p)
        assert "\n" not in p.line(), p.line()


def api_problems(exc: BaseException | None, bidset=None) -> list[str]:
    """One line per problem, from a raised EvaluatorError or a bid set's collected problems."""
    if exc is not None:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    else:
        errors = list(bidset.problems)
    assert_all_evaluator_errors(errors)
    return [e.line() for e in errors]


# ------------------------------------------------------------------------------------------ the cases
@dataclass
class Case:
    """One broken input: how to break the copy, which stage of the API meets it, what the line must name."""

    id: str
    breaks: Callable[[Tender], Any]
    needles: Callable[[Tender], list[str]]
    stage: str = "bids"                  # which loader meets it: rubric | bids | scores | bid
    scores: bool = False                 # pass --scores to evaluate
    argv: Callable[[Tender], list[str]] | None = None   # override the command line
    api_target: Callable[[Tender], Path] | None = None  # the file the single-file stages read
    bug: str | None = None               # an open engine bug: the case is a strict xfail
    bug_in: tuple = ("cli", "api")       # ... in these of the two tests
    fixed: str | None = None             # an engine bug these tests found, since fixed: a plain regression test


def _params(kind: str) -> list:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=f"BUG: {c.bug}", strict=True)]
                         if c.bug and kind in c.bug_in else []) for c in CASES]


def _set(path: list, value: Any) -> Callable[[dict], None]:
    def fn(doc: dict) -> None:
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return fn


def _del(path: list) -> Callable[[dict], None]:
    def fn(doc: dict) -> None:
        node = doc
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
    return fn


def _write(rel: str, content: str | bytes) -> Callable[[Tender], None]:
    def fn(t: Tender) -> None:
        path = t.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    return fn


def _fixture(name: str, rel: str) -> Callable[[Tender], None]:
    def fn(t: Tender) -> None:
        shutil.copyfile(FIXTURES / name, t.root / rel)
    return fn


def _empty_folder(t: Tender) -> None:
    for p in t.bids.iterdir():
        p.unlink()


def _duplicate_bidder(t: Tender) -> None:
    shutil.copyfile(t.bid(APEX), t.bid("apex_copy.yaml"))


def _duplicate_commitment_id(doc: dict) -> None:
    doc["commitments"][1]["id"] = doc["commitments"][0]["id"]


def _bulk_then(fn: Callable[[Tender], None]) -> Callable[[Tender], None]:
    def both(t: Tender) -> None:
        t.to_bulk()
        fn(t)
    return both


def _bulk_extra_cells(t: Tender) -> None:
    lines = (t.bids / "bids.csv").read_text("utf-8").splitlines()
    lines[2] = lines[2] + ",surplus,cells"
    (t.bids / "bids.csv").write_text("\n".join(lines) + "\n", "utf-8")


def _bulk_unclosed_quote(t: Tender) -> None:
    path = t.bids / "commitments.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines.append('Apex Care Group Ltd,"A9,EMP-LOCAL-BARRIERS\n')
    path.write_text("".join(lines), "utf-8")


def _bulk_cell(file: str, row: int, column: str, value: str) -> Callable[[Tender], None]:
    def fn(t: Tender) -> None:
        path = t.bids / file
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        rows[row - 1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), "utf-8")
    return fn


def _in_lots(fn: Callable[[Tender], None]) -> Callable[[Tender], None]:
    """The tender let in two lots (each bid naming one), then `fn` breaks something."""
    def both(t: Tender) -> None:
        t.edit_rubric(_set(["lots"], [{"id": "L1", "title": "North routes"}, {"id": "L2", "title": "South routes"}]))
        for i, p in enumerate(sorted(t.bids.iterdir())):
            if p.suffix in (".yaml", ".json"):
                t.edit_bid(p.name, _set(["lot"], "L1" if i % 2 == 0 else "L2"))
        fn(t)
    return both


def _bulk_lot_column(value: str, row: int = 3) -> Callable[[Tender], None]:
    """bids.csv gains a lot column, blank but for `value` in spreadsheet row `row`."""
    def fn(t: Tender) -> None:
        path = t.bids / "bids.csv"
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        rows = [r + (["lot"] if i == 0 else [value if i == row - 1 else ""]) for i, r in enumerate(rows)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), "utf-8")
    return fn


def _scores_unclosed_quote(t: Tender) -> None:
    rows = t.score_rows()
    t.write_scores(rows)
    with open(t.scores, "a", encoding="utf-8") as fh:
        fh.write('Apex Care Group Ltd,Q1,"Helen Marsh,60,Reasonable\n')


def _scores_short_row(t: Tender) -> None:
    with open(t.scores, "a", encoding="utf-8") as fh:
        fh.write("Apex Care Group Ltd,Q1,Helen Marsh\n")


def _scores_rows(t: Tender) -> int:
    return len(t.score_rows())


BULK_BUG = "a bulk CSV refused as a whole file (parse error, unknown or missing column) crashes load_bids with KeyError '_file' (bids.py _load: the empty bids frame has no _file column); the CLI exits 1 with 'unexpected problem inside the tool'"
NAN_BUG = ("an explicit NaN (YAML .nan) in a number field is taken as 'not given' and silently accepted "
           "(bids.py ValueChecker.number: `given = present & ~isnan`), so e.g. deadweight .nan gets the table default")

CASES: list[Case] = [
    # --- documents that are not what they claim to be
    Case("malformed-yaml-bid", _write("bids/" + APEX, "bidder: Apex Care Group Ltd\nprice: [4600000\nresponses: {}\n"),
         lambda t: [APEX, "line", "YAML"]),
    Case("malformed-yaml-rubric", lambda t: t.replace_in(t.rubric, "  duration_years: 4", "  duration_years: [4"),
         lambda t: [t.rubric.name, "line", "YAML"], stage="rubric"),
    Case("duplicate-yaml-key-rubric", lambda t: t.replace_in(t.rubric, "  duration_years: 4",
                                                             "  duration_years: 4\n  duration_years: 5"),
         lambda t: [t.rubric.name, "line", "duration_years"], stage="rubric"),
    Case("malformed-json-bid", _fixture("malformed.json", "bids/" + CAREWELL),
         lambda t: [CAREWELL, "line", "JSON"]),
    Case("json-nan-price", lambda t: t.replace_in(t.bid(CAREWELL), '"price": 4540000', '"price": NaN'),
         lambda t: [CAREWELL, "NaN"]),
    Case("binary-yaml-bid", _fixture("binary.yaml", "bids/" + APEX), lambda t: [APEX, "binary"]),
    Case("binary-yaml-rubric", _fixture("binary.yaml", "rubrics/home_care_north.yaml"),
         lambda t: [t.rubric.name, "binary"], stage="rubric"),
    Case("latin1-yaml-bid", _write("bids/" + APEX, "bidder: Caf\xe9 Care\nprice: 5\n".encode("latin-1")),
         lambda t: [APEX, "UTF-8"]),
    Case("text-as-xlsx-bid", _fixture("text.xlsx", "bids/apex.xlsx"), lambda t: ["apex.xlsx", "XLSX"]),
    Case("text-as-xlsx-check", _fixture("text.xlsx", "bids/apex.xlsx"), lambda t: ["apex.xlsx", "XLSX"],
         stage="bid", argv=lambda t: ["check", "--rubric", t.rubric, "--bid", t.bid("apex.xlsx")],
         api_target=lambda t: t.bid("apex.xlsx")),
    Case("bid-is-a-list", _write("bids/" + APEX, "- bidder: Apex\n- price: 5\n"), lambda t: [APEX, "mapping", "list"]),
    Case("rubric-is-a-string", _write("rubrics/home_care_north.yaml", "just some words\n"),
         lambda t: [t.rubric.name, "mapping"], stage="rubric"),
    Case("malformed-csv-scores-unclosed-quote", _scores_unclosed_quote,
         lambda t: ["scores.csv", f"row {_scores_rows(t)}", "cells"], stage="scores", scores=True),
    Case("malformed-csv-scores-short-row", _scores_short_row,
         lambda t: ["scores.csv", f"row {_scores_rows(t)}", "3 cells"], stage="scores", scores=True),
    Case("binary-scores", _fixture("binary.yaml", "scores.csv"), lambda t: ["scores.csv", "binary"],
         stage="scores", scores=True),
    Case("malformed-csv-bulk-extra-cells", _bulk_then(_bulk_extra_cells), lambda t: ["bids.csv", "CSV", "row 3"],
         fixed=BULK_BUG),
    Case("malformed-csv-bulk-unclosed-quote", _bulk_then(_bulk_unclosed_quote), lambda t: ["commitments.csv", "CSV"],
         fixed=BULK_BUG),
    Case("bulk-without-bids-csv", _bulk_then(lambda t: (t.bids / "bids.csv").unlink()),
         lambda t: [str(t.bids), "bids.csv", "missing"], fixed=BULK_BUG),
    Case("bulk-empty-commitments-csv", _bulk_then(lambda t: (t.bids / "commitments.csv").write_text("")),
         lambda t: ["commitments.csv", "empty"], fixed=BULK_BUG),
    Case("bulk-csv-not-utf8", _bulk_then(lambda t: (t.bids / "bids.csv").write_bytes(
        (t.bids / "bids.csv").read_bytes() + b"Caf\x81 Care Ltd,4500000,,,\n")),  # 0x81: not Windows-1252 either
         lambda t: ["bids.csv", "UTF-8"],
         fixed="a bulk CSV saved as Windows-1252 (Excel's plain 'CSV') raises UnicodeDecodeError out of load_bids "
             "(pandas converts pyarrow's strings after _read_csv's guard); the CLI exits 1"),
    Case("bulk-price-all-dates", _bulk_then(lambda t: [
        _bulk_cell("bids.csv", n, "price", "2025-04-01")(t) for n in range(2, 8)]),
         lambda t: ["bids.csv", "row 2", "'price'", "2025-04-01"],
         fixed="a bulk bids.csv whose price column holds only dates (pyarrow infers date32) raises TypeError "
             "'dtype=datetime64[D] is not supported' out of load_bids; the CLI exits 1"),
    Case("bulk-deadweight-nan-text", _bulk_then(_bulk_cell("commitments.csv", 2, "deadweight", "nan")),
         lambda t: ["commitments.csv", "row 2", "'deadweight'", "nan"],
         fixed="in the bulk form the text 'nan' in a number column is read by pyarrow as NaN and then taken as "
             "'not given' (the table default is applied without a word); the YAML/JSON forms refuse 'nan'"),
    Case("yaml-empty-int-tag", lambda t: t.replace_in(t.bid(APEX), "price: 4395000", "price: !!int"),
         lambda t: [APEX, "YAML"],
         fixed="`price: !!int` (an explicit tag on an empty value) raises IndexError out of util.load_yaml "
             "(PyYAML's int constructor; only ValueError/OverflowError/RecursionError are caught); exit 1"),
    Case("yaml-impossible-date", lambda t: t.replace_in(t.bid(APEX), "price: 4395000", "price: 2025-02-30"),
         lambda t: [APEX, "line", "day is out of range"],
         fixed="an impossible date (price: 2025-02-30) is refused as 'is not valid YAML: day is out of range "
             "for month' with no line or key: the ValueError branch of util.load_yaml drops the position"),
    Case("malformed-proxy-table", _write("rubrics/proxies/public_2025.csv", "code,name,unit,value\nX,\"broken,fte,5\n"),
         lambda t: ["public_2025.csv", "row 2"], stage="rubric"),

    # --- missing required fields
    Case("missing-bidder", lambda t: t.edit_bid(APEX, _del(["bidder"])), lambda t: [APEX, "'bidder'", "missing"]),
    Case("missing-price", lambda t: t.edit_bid(APEX, _del(["price"])), lambda t: [APEX, "'price'", "missing"]),
    Case("missing-commitment-id", lambda t: t.edit_bid(APEX, _del(["commitments", 2, "id"])),
         lambda t: [APEX, "commitments[2]", "'id'", "missing"]),
    Case("missing-commitment-id-json", lambda t: t.edit_bid(CAREWELL, _del(["commitments", 0, "id"])),
         lambda t: [CAREWELL, "commitments[0]", "'id'", "missing"]),
    Case("missing-tender-id", lambda t: t.edit_rubric(_del(["tender", "id"])),
         lambda t: [t.rubric.name, "tender.id", "missing"], stage="rubric"),
    Case("missing-contract-value", lambda t: t.edit_rubric(_del(["tender", "contract_value"])),
         lambda t: [t.rubric.name, "tender.contract_value", "missing"], stage="rubric"),
    Case("missing-bulk-bidder", _bulk_then(_bulk_cell("bids.csv", 3, "bidder", "")),
         lambda t: ["bids.csv", "row 3", "'bidder'", "missing"]),

    # --- wrong types
    Case("price-lots", lambda t: t.edit_bid(APEX, _set(["price"], "lots")), lambda t: [APEX, "'price'", "'lots'"]),
    Case("price-lots-json", lambda t: t.edit_bid(CAREWELL, _set(["price"], "lots")),
         lambda t: [CAREWELL, "'price'", "'lots'"]),
    Case("price-true", lambda t: t.edit_bid(APEX, _set(["price"], True)), lambda t: [APEX, "'price'", "True"]),
    Case("price-a-list", lambda t: t.edit_bid(APEX, _set(["price"], [1, 2])), lambda t: [APEX, "'price'", "[1, 2]"]),
    Case("quantity-many", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "quantity"], "many")),
         lambda t: [APEX, "commitments[0]", "'quantity'", "'many'"]),
    Case("quantity-many-bulk", _bulk_then(_bulk_cell("commitments.csv", 4, "quantity", "many")),
         lambda t: ["commitments.csv", "row 4", "'quantity'", "'many'"]),
    Case("start-year-half", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "start_year"], 1.5)),
         lambda t: [APEX, "commitments[0]", "'start_year'", "1.5"]),
    Case("evidence-a-string", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "evidence"], "E2")),
         lambda t: [APEX, "commitments[0]", "'evidence'", "'E2'"]),
    Case("evidence-grade-E9", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "evidence", "grade"], "E9")),
         lambda t: [APEX, "commitments[0]", "'evidence_grade'", "'E9'"]),
    Case("contract-specific-maybe", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "contract_specific"], "maybe")),
         lambda t: [APEX, "commitments[0]", "'contract_specific'", "'maybe'"]),
    Case("commitments-a-mapping", lambda t: t.edit_bid(APEX, _set(["commitments"], {"A1": 1})),
         lambda t: [APEX, "'commitments'", "must be a list"]),
    Case("weight-forty", lambda t: t.edit_rubric(_set(["criteria", 1, "weight"], "forty")),
         lambda t: [t.rubric.name, "criteria[1]", "'weight'", "'forty'"], stage="rubric"),
    Case("duration-years-four", lambda t: t.edit_rubric(_set(["tender", "duration_years"], "four")),
         lambda t: [t.rubric.name, "tender.duration_years", "'four'"], stage="rubric"),
    Case("scale-a-string", lambda t: t.edit_rubric(_set(["scale"], "0-100")),
         lambda t: [t.rubric.name, "scale", "'0-100'"], stage="rubric"),

    # --- negative and non-finite numbers
    Case("price-negative", lambda t: t.edit_bid(APEX, _set(["price"], -5)), lambda t: [APEX, "'price'", "-5"]),
    Case("price-inf", lambda t: t.edit_bid(APEX, _set(["price"], float("inf"))), lambda t: [APEX, "'price'", "inf"]),
    Case("claimed-value-negative", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "claimed_value"], -1)),
         lambda t: [APEX, "commitments[0]", "'claimed_value'", "-1"]),
    Case("claimed-proxy-nan", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "claimed_proxy"], float("nan"))),
         lambda t: [APEX, "commitments[0]", "'claimed_proxy'", "nan"], fixed=NAN_BUG),
    Case("deadweight-nan", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "deadweight"], float("nan"))),
         lambda t: [APEX, "commitments[0]", "'deadweight'", "nan"], fixed=NAN_BUG),
    Case("price-nan", lambda t: t.edit_bid(APEX, _set(["price"], float("nan"))),
         lambda t: [APEX, "'price'", "nan", "finite"],
         fixed="price .nan is refused as 'required but missing' although the bid gives a price: the message "
             "should say it must be a finite number"),
    Case("price-huge-integer", lambda t: t.replace_in(t.bid(APEX), "price: 4395000", "price: 1" + "0" * 400),
         lambda t: [APEX, "'price'"],
         fixed="an integer beyond float range (price: 1 followed by 400 zeros) raises OverflowError out of "
             "load_bids (ValueChecker.number: s.astype(float)); the CLI exits 1 'unexpected problem inside the tool'"),
    Case("start-year-inf", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "start_year"], float("inf"))),
         lambda t: [APEX, "commitments[0]", "'start_year'", "inf"],
         fixed="numpy's RuntimeWarning 'invalid value encountered in remainder' (bids.py np.mod on inf) is printed "
             "to stderr with a line of the tool's source code, beside the error lines"),
    Case("weight-negative", lambda t: t.edit_rubric(_set(["criteria", 1, "weight"], -10)),
         lambda t: [t.rubric.name, "criteria[1]", "'weight'", "-10"], stage="rubric"),
    Case("contract-value-inf", lambda t: t.replace_in(t.rubric, "contract_value: 4800000", "contract_value: .inf"),
         lambda t: [t.rubric.name, "tender.contract_value", "inf"], stage="rubric"),
    Case("proxy-value-negative", lambda t: t.replace_in(t.proxies, "fte_year,22368,", "fte_year,-22368,"),
         lambda t: ["public_2025.csv", "row 2", "'value'", "-22368"], stage="rubric"),

    # --- shares outside [0, 1]
    Case("deadweight-1.5", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "deadweight"], 1.5)),
         lambda t: [APEX, "commitments[0]", "'deadweight'", "1.5"]),
    Case("attribution-minus-0.1", lambda t: t.edit_bid(CAREWELL, _set(["commitments", 0, "attribution"], -0.1)),
         lambda t: [CAREWELL, "commitments[0]", "'attribution'", "-0.1"]),
    Case("deadweight-1.5-bulk", _bulk_then(_bulk_cell("commitments.csv", 2, "deadweight", "1.5")),
         lambda t: ["commitments.csv", "row 2", "'deadweight'", "1.5"]),
    Case("proxy-deadweight-1.5", lambda t: t.replace_in(t.proxies, "outcome,true,EMP,0.25,0.1", "outcome,true,EMP,1.5,0.1"),
         lambda t: ["public_2025.csv", "row 2", "'deadweight'", "1.5"], stage="rubric"),
    Case("max-claimed-share-negative", lambda t: t.edit_rubric(_set(["benchmarks", "max_claimed_share"], -0.24)),
         lambda t: [t.rubric.name, "benchmarks.max_claimed_share", "-0.24"], stage="rubric"),

    # --- evaluator scores
    Case("scores-unknown-criterion", lambda t: t.edit_score(2, "criterion", "Q9"),
         lambda t: ["scores.csv", "row 2", "'criterion'", "'Q9'"], stage="scores", scores=True),
    Case("scores-unknown-bidder", lambda t: t.edit_score(2, "bidder", "Nortown Community Care CIC"),
         lambda t: ["scores.csv", "row 2", "'bidder'", "'Nortown Community Care CIC'", "did you mean"],
         stage="scores", scores=True),
    Case("scores-off-scale", lambda t: t.edit_score(2, "score", "55"),
         lambda t: ["scores.csv", "row 2", "'score'", "'55'"], stage="scores", scores=True),
    Case("scores-not-a-number", lambda t: t.edit_score(3, "score", "eighty"),
         lambda t: ["scores.csv", "row 3", "'score'", "'eighty'"], stage="scores", scores=True),
    Case("scores-empty-rationale", lambda t: t.edit_score(2, "rationale", "  "),
         lambda t: ["scores.csv", "row 2", "'rationale'", "''"], stage="scores", scores=True),
    Case("scores-unknown-column", lambda t: t.edit_score(1, "rationale", "rationnale"),
         lambda t: ["scores.csv", "row 1", "'rationnale'", "did you mean 'rationale'"], stage="scores", scores=True),
    Case("scores-file-missing", lambda t: t.scores.unlink(), lambda t: ["scores.csv", "not found"],
         stage="scores", scores=True),

    # --- duplicates
    Case("duplicate-bidder-two-files", _duplicate_bidder,
         lambda t: ["apex_copy.yaml", "'bidder'", "'Apex Care Group Ltd'", "duplicate"]),
    Case("duplicate-commitment-id", lambda t: t.edit_bid(APEX, _duplicate_commitment_id),
         lambda t: [APEX, "commitments[1]", "'id'", "'A1'", "duplicate"]),
    Case("duplicate-criterion-id", lambda t: t.edit_rubric(_set(["criteria", 2, "id"], "Q1")),
         lambda t: [t.rubric.name, "criteria[2]", "'id'", "'Q1'", "duplicate"], stage="rubric"),
    Case("duplicate-proxy-column", lambda t: t.replace_in(t.proxies, ",price_year,", ",code,"),
         lambda t: ["public_2025.csv", "row 1", "'code'"], stage="rubric",
         fixed="a proxy table whose header names a column twice (code,...,code) raises pandas ValueError "
             "'cannot reindex on an axis with duplicate labels' out of load_proxies; the CLI exits 1"),
    Case("duplicate-proxy-code", lambda t: t.replace_in(t.proxies, "\nEMP-LOCAL,", "\nEMP-LOCAL-BARRIERS,"),
         lambda t: ["public_2025.csv", "row 3", "'code'", "'EMP-LOCAL-BARRIERS'", "duplicate"], stage="rubric"),

    # --- folders and paths
    Case("empty-bids-folder", _empty_folder, lambda t: [str(t.bids), "no bids found"]),
    Case("bids-folder-missing", lambda t: shutil.rmtree(t.bids), lambda t: [str(t.bids), "not found"]),
    Case("bids-folder-is-a-file", lambda t: (shutil.rmtree(t.bids), t.bids.write_text("x")),
         lambda t: [str(t.bids), "folder"]),
    Case("proxy-table-missing", lambda t: t.edit_rubric(_set(["proxies"], "proxies/public_2099.csv")),
         lambda t: [t.rubric.name, "'proxies'", "'proxies/public_2099.csv'", "does not exist"], stage="rubric"),
    Case("rubric-missing", lambda t: t.rubric.unlink(), lambda t: [t.rubric.name, "not found"], stage="rubric"),
    Case("check-bid-missing", lambda t: None, lambda t: ["nobody.yaml", "not found"], stage="bid",
         argv=lambda t: ["check", "--rubric", t.rubric, "--bid", t.bid("nobody.yaml")],
         api_target=lambda t: t.bid("nobody.yaml")),
    Case("check-bid-wrong-suffix", _write("bids/apex.txt", "bidder: Apex\n"), lambda t: ["apex.txt", ".yaml"],
         stage="bid", argv=lambda t: ["check", "--rubric", t.rubric, "--bid", t.bid("apex.txt")],
         api_target=lambda t: t.bid("apex.txt")),
    Case("check-bid-bad-price", lambda t: t.edit_bid(APEX, _set(["price"], "lots")),
         lambda t: [APEX, "'price'", "'lots'"], stage="bid",
         argv=lambda t: ["check", "--rubric", t.rubric, "--bid", t.bid(APEX)], api_target=lambda t: t.bid(APEX)),
    Case("template-bad-rubric", lambda t: t.edit_rubric(_set(["criteria", 1, "weight"], "forty")),
         lambda t: [t.rubric.name, "'weight'", "'forty'"], stage="rubric",
         argv=lambda t: ["template", "--rubric", t.rubric, "--out", t.root / "template.xlsx"]),

    # --- the rubric refused, and typos
    Case("weights-sum-105", lambda t: t.edit_rubric(_set(["criteria", 1, "weight"], 35)),
         lambda t: [t.rubric.name, "SV301", "'weight'", "105"], stage="rubric"),
    Case("weights-sum-95-check", lambda t: t.edit_rubric(_set(["criteria", 1, "weight"], 25)),
         lambda t: [t.rubric.name, "SV301", "'weight'", "95"], stage="rubric",
         argv=lambda t: ["check", "--rubric", t.rubric]),
    Case("typo-threshhold", lambda t: t.replace_in(t.rubric, "threshold: 40", "threshhold: 40"),
         lambda t: [t.rubric.name, "criteria[1]", "'threshhold'", "did you mean 'threshold'"], stage="rubric"),
    Case("typo-top-level-key", lambda t: t.replace_in(t.rubric, "\nbenchmarks:", "\nbenchmark:"),
         lambda t: [t.rubric.name, "'benchmark'", "did you mean 'benchmarks'"], stage="rubric"),
    Case("typo-bid-key-prise", lambda t: t.edit_bid(APEX, lambda d: d.__setitem__("prise", d.pop("price"))),
         lambda t: [APEX, "'prise'", "did you mean 'price'"]),
    Case("typo-commitment-field", lambda t: t.edit_bid(APEX, lambda d: d["commitments"][0].__setitem__(
        "quantitiy", d["commitments"][0].pop("quantity"))),
         lambda t: [APEX, "commitments[0]", "'quantitiy'", "did you mean 'quantity'"]),
    Case("typo-proxy-column", lambda t: t.replace_in(t.proxies, ",deadweight,", ",deadwieght,"),
         lambda t: ["public_2025.csv", "row 1", "'deadwieght'", "did you mean 'deadweight'"], stage="rubric"),
    Case("typo-bulk-column", _bulk_then(lambda t: t.replace_in(t.bids / "commitments.csv", ",quantity,", ",qty,")),
         lambda t: ["commitments.csv", "row 1", "'qty'"],
         fixed=BULK_BUG),
    Case("response-unknown-criterion", lambda t: t.edit_bid(APEX, lambda d: d["responses"].__setitem__("Q2", "x")),
         lambda t: [APEX, "responses.Q2", "'Q2'"]),

    # --- lots (issue 16): a bid names a lot only when the tender is let in lots
    Case("lot-in-a-tender-without-lots", lambda t: t.edit_bid(APEX, _set(["lot"], "L1")),
         lambda t: [APEX, "'lot'", "'L1'", "not let in lots"]),
    Case("lot-column-bulk-without-lots", _bulk_then(_bulk_lot_column("L2")),
         lambda t: ["bids.csv", "row 3", "'lot'", "'L2'", "not let in lots"]),
    Case("bid-for-a-lot-that-does-not-exist", _in_lots(lambda t: t.edit_bid(APEX, _set(["lot"], "L3"))),
         lambda t: [APEX, "'lot'", "'L3'", "not a lot of this tender", "L1 (North routes)"]),
    Case("bid-without-its-lot", _in_lots(lambda t: t.edit_bid(APEX, _del(["lot"]))),
         lambda t: [APEX, "'lot'", "required", "L1 (North routes), L2 (South routes)"]),
    Case("same-supplier-twice-in-one-lot", _in_lots(_duplicate_bidder),
         lambda t: ["apex_copy.yaml", "'bidder'", "'Apex Care Group Ltd'", "twice for lot L1", APEX]),
    Case("bulk-without-lot-column-in-lots", _in_lots(lambda t: t.to_bulk()),
         lambda t: ["bids.csv", "row 1", "'lot'", "required column missing"]),

    # --- issue 19: what a newcomer gets wrong, named in words they know
    Case("bid-saved-as-xls", lambda t: shutil.copyfile(CATERING_XLSX, t.bid("late_bid.xls")),
         lambda t: ["late_bid.xls", "is a .xls file, which is not read", ".yaml, .yml, .json or .xlsx"]),
    Case("bid-saved-as-xlsm", lambda t: shutil.copyfile(CATERING_XLSX, t.bid("late_bid.xlsm")),
         lambda t: ["late_bid.xlsm", "not read", ".xlsx"]),
    Case("bid-saved-as-ods", _write("bids/late_bid.ods", b"PK\x03\x04 not really"),
         lambda t: ["late_bid.ods", "not read", ".xlsx"]),
    Case("only-bid-saved-as-xls", lambda t: [_empty_folder(t), shutil.copyfile(CATERING_XLSX, t.bid("a.xls"))],
         lambda t: ["a.xls", "not read", ".xlsx"]),
    Case("deadweight-120-percent", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "deadweight"], "120%")),
         lambda t: [APEX, "commitments[0]", "'deadweight'", "'120%'", "between 0% and 100%"]),
    Case("deadweight-120-percent-bulk", _bulk_then(_bulk_cell("commitments.csv", 2, "deadweight", "120%")),
         lambda t: ["commitments.csv", "row 2", "'deadweight'", "'120%'", "between 0% and 100%"]),
    Case("attribution-words", lambda t: t.edit_bid(APEX, _set(["commitments", 0, "attribution"], "some")),
         lambda t: [APEX, "'attribution'", "'some'", "write a share as 0.2 or 20%"]),
    Case("scores-bidder-in-capitals", lambda t: t.replace_in(t.scores, "Northtown Community Care CIC,Q1",
                                                            "NORTHTOWN COMMUNITY CARE CIC,Q1"),
         lambda t: ["scores.csv", "'bidder'", "did you mean 'Northtown Community Care CIC'"], stage="scores",
         scores=True),
]

CATERING_XLSX = ROOT / "sample_bids" / "school_catering" / "little_acorns_kitchen_coop_L2.xlsx"

@pytest.mark.parametrize("case", _params("cli"))
def test_cli_refuses_bad_input_in_one_line(case: Case, tender: Tender) -> None:
    case.breaks(tender)
    argv = case.argv(tender) if case.argv else tender.evaluate_args(scores=case.scores)
    result = run_cli(*argv)
    line = assert_refused(result, *case.needles(tender))
    assert "\n" not in line


def _run_api(case: Case, t: Tender) -> list[str]:
    """Feed the broken tender to the Python API at the stage the case breaks; the problem lines."""
    def catch(fn: Callable[[], Any]) -> list[str]:
        try:
            out = fn()
        except EvaluatorError as exc:
            return api_problems(exc)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{type(exc).__name__} escaped the API instead of an EvaluatorError: {exc}")
        pytest.fail(f"no error raised; returned {type(out).__name__}")

    if case.stage == "rubric":
        return catch(lambda: load_rubric(t.rubric))
    rubric = load_rubric(t.rubric)
    if case.stage == "scores":
        bidset = load_bids(t.bids, rubric).require_valid()
        return catch(lambda: load_scores(t.scores, rubric, bidset.bidders))
    if case.stage == "bid":
        target = case.api_target(t)
        try:
            bidset = load_bid(target, rubric)
        except EvaluatorError as exc:
            return api_problems(exc)
        return api_problems(None, bidset)
    try:
        bidset = load_bids(t.bids, rubric)
    except EvaluatorError as exc:
        return api_problems(exc)
    assert bidset.skipped, "a bid with problems must be set aside (listed in skipped)"
    with pytest.raises(InputErrors):
        bidset.require_valid()
    return api_problems(None, bidset)


@pytest.mark.parametrize("case", _params("api"))
def test_api_raises_evaluator_errors_only(case: Case, tender: Tender) -> None:
    case.breaks(tender)
    lines = _run_api(case, tender)
    needles = case.needles(tender)
    assert any(all(n in line for n in needles) for line in lines), \
        f"no problem names all of {needles!r}:\n" + "\n".join(lines)


# ------------------------------------------------------------------------------------------ single loaders
@pytest.mark.parametrize("loader, name, content", [
    (load_yaml, "x.yaml", "a: [1, 2\n"),
    (load_yaml, "x.yaml", "a: 1\na: 2\n"),
    (load_yaml, "x.yaml", "? [a, b]\n: 1\n"),
    (load_yaml, "x.yaml", b"\x00\x01\x02binary"),
    (load_yaml, "x.yaml", b"\xff\xfe\xfa not utf-8"),
    (load_yaml, "x.yaml", "!!python/object:os.system {}\n"),
    (load_json, "x.json", '{"a": 1,}'),
    (load_json, "x.json", '{"a": Infinity}'),
    (load_json, "x.json", "[" * 100_000),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_loaders_raise_evaluator_errors_naming_the_file(tmp_path: Path, loader, name: str, content) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    with pytest.raises(EvaluatorError) as info:
        loader(path)
    lines = api_problems(info.value)
    assert any(name in line for line in lines), lines


# ------------------------------------------------------------------------------------------ many problems
def _two_bad_bids(t: Tender) -> None:
    t.edit_bid(APEX, _set(["price"], "lots"))
    t.edit_bid(CAREWELL, _set(["commitments", 0, "quantity"], "many"))


def test_two_bad_bid_files_are_both_reported_in_one_run(tender: Tender) -> None:
    _two_bad_bids(tender)
    result = run_cli(*tender.evaluate_args())
    assert_refused(result, APEX, "'price'", "'lots'")
    assert_refused(result, CAREWELL, "commitments[0]", "'quantity'", "'many'")
    assert_refused(result, "2 bid(s) have problems", "--skip-invalid")


def test_problems_in_one_file_are_all_reported(tender: Tender) -> None:
    def many(doc: dict) -> None:
        doc["price"] = "lots"
        doc["commitments"][0]["quantity"] = "many"
        doc["commitments"][1]["deadweight"] = 1.5
        doc["commitments"][2]["evidence"] = {"grade": "E7"}
    tender.edit_bid(APEX, many)
    result = run_cli(*tender.evaluate_args())
    assert_refused(result, APEX, "'price'", "'lots'")
    assert_refused(result, APEX, "'quantity'", "'many'")
    assert_refused(result, APEX, "'deadweight'", "1.5")
    assert_refused(result, APEX, "'evidence_grade'", "'E7'")


def test_skip_invalid_ranks_the_good_bids_and_names_the_skipped(tender: Tender) -> None:
    _two_bad_bids(tender)
    result = run_cli(*tender.evaluate_args("--skip-invalid", scores=False))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert any(APEX in line and "Apex Care Group Ltd" in line for line in skipped), result.stderr
    assert any(CAREWELL in line and "Carewell Services Ltd" in line for line in skipped), result.stderr
    assert any("'lots'" in line for line in result.stderr.splitlines() if line.startswith("warning: "))
    assert "Northtown Community Care CIC" in result.stdout
    assert "Skipped (problems in the files)" in result.stdout


def test_skip_invalid_json_lists_skipped_bids(tender: Tender) -> None:
    _two_bad_bids(tender)
    # The scores name the skipped bidders; with --skip-invalid they must not make the run fail either.
    result = run_cli(*tender.evaluate_args("--skip-invalid", "--json", scores=False))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    skipped = {Path(s["file"]).name: s["bidder"] for s in doc["skipped_bids"]}
    assert skipped == {APEX: "Apex Care Group Ltd", CAREWELL: "Carewell Services Ltd"}
    ranked = {b["bidder"] for b in doc["bids"]}
    assert ranked == {"Budget Home Support Ltd", "Easton Homecare Partnership", "Northtown Community Care CIC",
                      "Riverside Care Co-operative"}
    assert all(b["rank"] is None or b["rank"] >= 1 for b in doc["bids"])


# Regression (found by these tests, since fixed): with --skip-invalid, the score rows of a skipped bidder are
# refused as 'is not a bidder in this tender' (load_scores is given only the ranked bidders), so the run exits 2
# and --skip-invalid cannot be used with the tender's scores.csv
def test_skip_invalid_with_scores_for_a_skipped_bidder(tender: Tender) -> None:
    """The shipped scores.csv scores every bidder; a skipped bidder's score rows are not a new error."""
    _two_bad_bids(tender)
    result = run_cli(*tender.evaluate_args("--skip-invalid", "--json", scores=True))
    shown = f"exit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr, shown
    assert result.returncode == 0, shown
    doc = json.loads(result.stdout)
    assert len(doc["skipped_bids"]) == 2


def test_skip_invalid_when_every_bid_is_bad(tender: Tender) -> None:
    for p in tender.bids.iterdir():
        if p.suffix == ".json":
            tender.edit_bid(p.name, _set(["price"], "lots"))
        else:
            tender.edit_bid(p.name, _set(["price"], -5))
    result = run_cli(*tender.evaluate_args("--skip-invalid"))
    assert_refused(result, str(tender.bids), "no usable bids")


def test_json_errors_are_machine_readable(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["price"], "lots"))
    result = run_cli(*tender.evaluate_args("--json"))
    assert_refused(result, APEX, "'price'", "'lots'")
    doc = json.loads(result.stdout)
    hit = [e for e in doc["errors"] if e["field"] == "price"]
    assert hit and hit[0]["value"] == "lots" and hit[0]["file"].endswith(APEX)


def test_bad_command_line_options(tender: Tender) -> None:
    result = run_cli("check", "--rubric", tender.rubric, "--bid", tender.bid(APEX), "--best-claimed", "-5")
    assert_refused(result, "--best-claimed", "-5")
    result = run_cli("check", "--rubric", tender.rubric, "--bid", tender.bid(APEX), "--best-claimed", "nan")
    assert_refused(result, "--best-claimed", "nan")
    result = run_cli("template", "--rubric", tender.rubric, "--out", "t.txt")
    assert_refused(result, "--out", "t.txt", ".xlsx")
    result = run_cli("template", "--rubric", tender.rubric, "--out", Path("no-such-folder") / "t.xlsx")
    assert_refused(result, "--out", "no-such-folder", "does not exist")
    assert not (ROOT / "no-such-folder").exists()
    result = run_cli("evaluate", "--rubric", tender.rubric)  # --bids missing: argparse, exit 2, no traceback
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--bids" in result.stderr


def test_the_sample_itself_is_clean(tender: Tender) -> None:
    """The control: the untouched copy evaluates with exit 0, so every refusal above is the breakage's."""
    result = run_cli(*tender.evaluate_args("--json", scores=True))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["bids"]) == 6
    tender.to_bulk()
    result = run_cli(*tender.evaluate_args("--json", scores=True))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["bids"]) == 6


def test_exception_family() -> None:
    for cls in (InputError, InputErrors, RubricRefused):
        assert issubclass(cls, EvaluatorError)
    errs = InputErrors([InputError("bad", file="f.yaml", where="row 2", field="x", value="y"),
                        InputError("worse", file="g.yaml", field="z", value=1)])
    assert errs.line().splitlines() == ["f.yaml, row 2, field 'x', value 'y': bad", "g.yaml, field 'z', value 1: worse"]


# ------------------------------------------------------------------------------------------ bugs found here
# Each test below pinned an engine bug as a strict xfail; those since fixed stay as regression tests.
# Regression (found by these tests, since fixed): values are cut to 60 characters from the end (exceptions._show),
# so a long --out path loses the file name the user typed: value '/long/folder/…'
def test_a_long_path_value_keeps_its_file_name(tender: Tender) -> None:
    folder = tender.root / ("a-folder-name-long-enough-to-push-the-file-name-past-sixty-characters" * 2)
    folder.mkdir()
    result = run_cli("template", "--rubric", tender.rubric, "--out", folder / "template.txt")
    assert_refused(result, "--out", "template.txt")


# Regression (found by these tests, since fixed): `start_year: true` in ONE bid makes every other bid's start_year
# 1 'must be a number, not true/false' (util.per_unique factorizes True and 1 as one value), so one bad bid puts
# good bids in error
def test_a_boolean_in_one_bid_does_not_accuse_the_others(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["commitments", 0, "start_year"], True))
    rubric = load_rubric(tender.rubric)
    bidset = load_bids(tender.bids, rubric)
    accused = {Path(p.file).name for p in bidset.problems if p.file}
    assert APEX in accused
    assert accused == {APEX}, sorted(p.line() for p in bidset.problems)[:5]


# Regression (found by these tests, since fixed): `start_year: true` after another commitment's `start_year: 1` is
# accepted silently as 1 (util.per_unique factorizes True and 1 as one value)
def test_true_is_not_taken_for_one(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["commitments", 1, "start_year"], True))   # commitment 0 has start_year: 1
    result = run_cli(*tender.evaluate_args())
    assert_refused(result, APEX, "commitments[1]", "'start_year'", "True")


# Regression (found by these tests, since fixed): a key with a line break (YAML "bad\nkey": 1) is printed raw in
# where/field/problem (only the value is flattened by exceptions._show), so one problem spans two lines
@pytest.mark.parametrize("where", ["rubric", "bid"])
def test_line_break_in_a_key_stays_on_one_line(tender: Tender, where: str) -> None:
    if where == "rubric":
        tender.edit_rubric(lambda d: d.__setitem__("bad\nkey", 1))
    else:
        tender.edit_bid(APEX, lambda d: d.__setitem__("bad\nkey", 1))
    result = run_cli(*tender.evaluate_args())
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.splitlines() if line.strip()), result.stderr


# Regression (found by these tests, since fixed): a bid file that does not parse is listed as 'skipped: FILE
# (nan)' instead of '(no bidder name)', and Evaluation.to_json() has bidder NaN for it in skipped_bids (the bidder
# None becomes NaN in the concatenated frame)
def test_skip_invalid_names_an_unreadable_bid_without_nan(tender: Tender) -> None:
    tender.bid(APEX).write_text("bidder: [unclosed\n", "utf-8")
    result = run_cli(*tender.evaluate_args("--skip-invalid"))
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert skipped and APEX in skipped[0], result.stderr
    assert "(nan)" not in skipped[0] and "no bidder name" in skipped[0], skipped[0]
    rubric = load_rubric(tender.rubric)
    bidset = load_bids(tender.bids, rubric)
    from evaluator.evaluation import evaluate
    doc = evaluate(rubric, bidset).to_json()
    json.dumps(doc["skipped_bids"], allow_nan=False)


@pytest.mark.parametrize("text", [
    "a: !!int\n",            # these four were found crashing load_yaml (IndexError, IndexError, KeyError,
    "a: !!float\n",          # AttributeError out of PyYAML's constructors); since fixed
    "a: !!bool maybe\n",
    "a: !!timestamp soon\n",
    "a: !!int 0x\n", "a: !!float ._\n", "a: !!set [1]\n", "a: !!python/name:os.system\n", "<<: 1\n",
    "a: !!timestamp 2020-13-45\n",
])
def test_yaml_tags_are_refused_as_input_errors(tmp_path: Path, text: str) -> None:
    """Explicit YAML tags a user can type by accident (or on purpose): refused, never a crash."""
    path = tmp_path / "doc.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(EvaluatorError) as info:
        load_yaml(path)
    assert "doc.yaml" in info.value.line()


def _limit_memory() -> None:  # run in the child: a runaway expansion hits MemoryError, not the machine
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))


# Regression (found by these tests, since fixed): a 500-byte bid with nested YAML aliases (a 'billion laughs') as
# its price is expanded in full when the error message shows the value (exceptions._show calls str() before it
# truncates): MemoryError, exit 1, or all the machine's memory
@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_AS to keep the expansion contained")
def test_yaml_alias_bomb_is_refused_without_expanding_it(tender: Tender) -> None:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    tender.bid(APEX).write_text("\n".join(lines) + "\nbidder: Bomb Ltd\nprice: *l8\n", "utf-8")
    result = subprocess.run([sys.executable, "-m", "evaluator", *map(str, tender.evaluate_args())], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert_refused(result, APEX, "'price'")


# Regression (found by these tests, since fixed): a huge but finite quantity (1e308) is evaluated (SV109) but
# numpy's RuntimeWarnings 'overflow encountered in multiply' (valuation.py) are printed on stderr with lines of
# the tool's source code
def test_odd_but_valid_numbers_do_not_print_numpy_warnings(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["commitments", 0, "quantity"], 1e308))
    result = run_cli(*tender.evaluate_args(scores=True))
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr


def test_claims_that_overflow_are_not_silently_ranked_last(tender: Tender) -> None:
    def claim(doc: dict) -> None:
        doc["commitments"][0]["claimed_value"] = 1e308
        doc["commitments"][1]["claimed_value"] = 1e308
    tender.edit_bid(APEX, claim)
    tender.replace_in(tender.rubric, "lens: design", "lens: figures")
    result = run_cli(*tender.evaluate_args("--json", scores=True))
    if result.returncode == 2:      # refusing an absurd claim is a fine answer too
        assert_refused(result, APEX, "'claimed_value'")
        return
    assert result.returncode == 0, result.stderr
    for b in json.loads(result.stdout)["bids"]:
        assert b["total"] is not None, b
        assert b["lenses"]["figures"]["score"] is not None, b


def test_zz_shipped_files_are_untouched() -> None:
    """Runs last in this file: every case above broke a copy, never the shipped sample."""
    assert _digest(SHIPPED) == SHIPPED_DIGEST
    assert not load_bids(SAMPLE_BIDS, load_rubric(SAMPLE_RUBRIC)).problems


def test_a_huge_claim_is_reported_as_a_number_in_json(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["commitments", 0, "claimed_value"], 1e306))
    result = run_cli(*tender.evaluate_args("--json", scores=True))
    if result.returncode == 2:      # refusing an absurd claim is a fine answer too
        assert_refused(result, APEX, "'claimed_value'")
        return
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    apex = next(b for b in json.loads(result.stdout)["bids"] if b["bidder"] == "Apex Care Group Ltd")
    assert apex["lenses"]["figures"]["claimed_value"] is not None, apex["lenses"]


# ------------------------------------------------------------------------------------------ issue 19
def test_no_share_message_talks_about_pounds(tender: Tender) -> None:
    tender.edit_bid(APEX, _set(["commitments", 0, "deadweight"], "120%"))
    tender.edit_bid(CAREWELL, _set(["commitments", 0, "displacement"], "a lot"))
    result = run_cli(*tender.evaluate_args())
    shares = [x for x in error_lines(result) if "deadweight" in x or "displacement" in x]
    assert len(shares) == 2 and not any("£" in x for x in shares), result.stderr


def test_a_share_typed_as_a_percentage_reads_as_the_fraction(tender: Tender) -> None:
    """deadweight "15%" is the same bid as deadweight 0.15: the same ranking, to the penny."""
    before = run_cli(*tender.evaluate_args("--json"))
    tender.edit_bid(APEX, _set(["commitments", 0, "deadweight"], "15%"))
    tender.edit_bid(APEX, _set(["commitments", 0, "attribution"], " 10 % "))
    assert tender.load_bid_doc(APEX)["commitments"][0]["deadweight"] == "15%"
    after = run_cli(*tender.evaluate_args("--json"))
    assert before.returncode == after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["bids"] == json.loads(before.stdout)["bids"]


def test_a_bid_in_a_format_not_read_is_named_when_the_rest_are_ranked(tender: Tender) -> None:
    shutil.copyfile(CATERING_XLSX, tender.bid("late_bid.xls"))
    result = run_cli(*tender.evaluate_args("--skip-invalid"))
    assert result.returncode == 0, result.stderr
    assert "late_bid.xls" in result.stdout and "late_bid.xls" in result.stderr  # skipped, and why
    assert any("late_bid.xls" in x and ".xlsx" in x for x in result.stderr.splitlines() if x.startswith("warning"))


def _semicolons(path: Path) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), "utf-8")


def test_semicolon_separated_scores_are_read_as_such(tender: Tender) -> None:
    before = run_cli(*tender.evaluate_args("--json", scores=True))
    _semicolons(tender.scores)
    assert tender.scores.read_text("utf-8").startswith("bidder;criterion;evaluator;score;rationale")
    after = run_cli(*tender.evaluate_args("--json", scores=True))
    assert after.returncode == 0 and "missing" not in after.stderr, after.stderr
    assert json.loads(after.stdout)["bids"] == json.loads(before.stdout)["bids"]


def test_semicolon_separated_bulk_files_are_read_and_said(tender: Tender) -> None:
    tender.to_bulk()
    before = run_cli(*tender.evaluate_args("--json"))
    for name in ("bids.csv", "commitments.csv", "responses.csv"):
        _semicolons(tender.bids / name)
    after = run_cli(*tender.evaluate_args("--json"))
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["bids"] == json.loads(before.stdout)["bids"]
    notes = [x for x in after.stderr.splitlines() if x.startswith("note: ")]
    assert any("commitments.csv" in x and "semicolons" in x for x in notes), after.stderr
    assert not [x for x in after.stderr.splitlines() if "missing" in x]


def test_a_blank_bidder_in_the_xlsx_names_the_bid_sheet_field_once(tmp_path: Path) -> None:
    import openpyxl
    folder = tmp_path / "bids"
    folder.mkdir()
    wb = openpyxl.load_workbook(CATERING_XLSX)
    ws = wb["Bid"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "bidder")
    row[1].value = None
    wb.save(folder / "little_acorns.xlsx")
    rubric = ROOT / "rubrics" / "school_catering.yaml"
    result = run_cli("evaluate", "--rubric", rubric, "--bids", folder)
    lines = error_lines(result)
    named = [x for x in lines if "little_acorns.xlsx" in x]
    assert len(named) == 1, result.stderr
    assert "sheet Bid" in named[0] and "field 'bidder'" in named[0] and "missing" in named[0], named[0]
    assert "Commitments" not in result.stderr and "nan" not in result.stderr
