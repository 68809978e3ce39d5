"""Supplier text is text (issue 14, holes 5 and 6): escape sequences, newlines and bidi overrides in a
bidder name or a commitment never act on the terminal or forge a row; markdown and HTML in them never
render in the app; formula-like text never runs in a spreadsheet opened from a CSV the tool wrote."""
import csv
import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from .conftest import ROOT, RUBRICS, SAMPLES

ESC_NAME = "Apex\x1b]0;pwned\x07\x1b[2J\x1b[31m Care\n1  Forged Ltd  99.00\u202eLtd"
ESC_COMMITMENT = "recruitment\x1b[2J\r\nSV999 forged-flag [A1]: credited in full\x9b31m"
RUBRIC = RUBRICS / "home_care_north.yaml"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_bids(tmp_path, name=ESC_NAME, description=ESC_COMMITMENT):
    bids = tmp_path / "bids"
    shutil.copytree(SAMPLES / "home_care_north", bids)
    (bids / "scores.csv").unlink()
    (bids / "delivery.csv").unlink()
    path = bids / "apex_care_group.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["bidder"] = name
    doc["commitments"][0]["description"] = description
    doc["commitments"][0]["id"] = "A1\x1b[8m"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return bids, path


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "evaluator", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc


def _no_raw_controls(text: str) -> None:
    found = RAW.findall(text)
    assert not found, f"raw control characters reached the terminal: {found!r}"


def test_evaluate_text_shows_escapes_and_one_row_per_bid(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = run("evaluate", "--rubric", RUBRIC, "--bids", bids)
    _no_raw_controls(proc.stdout + proc.stderr)
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Rank"))
    table = []
    for line in lines[head + 2:]:
        if not line.strip():
            break
        table.append(line)
    assert len(table) == 6, table                       # six bids, six rows: the newline forged none
    apex = [row for row in table if "Apex" in row]
    assert len(apex) == 1 and "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m Care\\n1  Forged Ltd  99.00\\u202eLtd" in apex[0]
    assert not any(line.lstrip().startswith("1  Forged") for line in lines)
    assert not any(line.lstrip().startswith("SV999") for line in lines)


def test_check_text_shows_escapes(tmp_path):
    _, bid = _hostile_bids(tmp_path)
    proc = run("check", "--rubric", RUBRIC, "--bid", bid)
    _no_raw_controls(proc.stdout + proc.stderr)
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Self-assessment of Apex\\x1b]0;pwned") and "Forged Ltd" in first


def test_explain_text_shows_escapes(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = run("explain", "--rubric", RUBRIC, "--bids", bids, "--bidder", ESC_NAME)
    _no_raw_controls(proc.stdout + proc.stderr)
    assert "A1\\x1b[8m" in proc.stdout                 # the commitment id, as typed, visible
    assert "Apex\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m Care\\n1  Forged Ltd" in proc.stdout
    assert not any(line.lstrip().startswith("1  Forged") for line in proc.stdout.splitlines())


def test_an_error_naming_the_hostile_bidder_is_escaped_too(tmp_path):
    bids, _ = _hostile_bids(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "evaluator", "explain", "--rubric", str(RUBRIC), "--bids", str(bids),
                           "--bidder", "Nobody\x1b[2J\nerror: forged"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    _no_raw_controls(proc.stderr)
    assert not any(line.startswith("error: forged") for line in proc.stderr.splitlines())


def test_ordinary_text_is_unchanged():
    from evaluator.terminal import shown, shown_lines
    for text in ("Apex Care Group Ltd", "Café £1,000 – naïve 👍", "C:\\bids\\a.yaml"):
        assert shown(text) == text and shown_lines(text) == text
    assert shown_lines("a\n\tb") == "a\n\tb"
    assert shown("a\n\tb\x1b\x9b\u202e\x7f") == "a\\n\\tb\\x1b\\x9b\\u202e\\x7f"


# ------------------------------------------------------------------------------------------ the app
MARKUP_NAME = "Apex &copy; [x](http://evil.example/a) http://evil.example www.evil.example **bold** <b>B</b> Ltd"
HOSTILE_MARKDOWN = [MARKUP_NAME, "bob@evil.example", "https://evil.example/?q=1&copy=2", "Ashby & District",
                    "mailto:bob@evil.example", "WWW.EVIL.EXAMPLE", "Ltd\n# heading", ":red[x] $x$ ~~s~~"]


def _live_markup(body: str) -> list[str]:
    """What in a markdown body a renderer would still act on: an entity, a literal URL or e-mail for
    GitHub-flavoured autolinking, or unescaped markdown/HTML punctuation."""
    found = re.findall(r"(?<!\\)&[#A-Za-z0-9]+;", body)
    found += re.findall(r"(?i)(?:https?|mailto|xmpp)\\?:|www\\?\.|[\w.+-]@[\w-]", body)
    found += re.findall(r"(?<!\\)[\[\]<>*_`$]", body)
    return found


def test_escaped_markdown_leaves_nothing_for_a_renderer_to_act_on():
    from app.ui import escape_md
    for text in HOSTILE_MARKDOWN:
        assert _live_markup(escape_md(text)) == [], (text, escape_md(text))
    assert escape_md("Apex Care Group Ltd") == "Apex Care Group Ltd"


def test_figures_vs_design_shows_a_bidder_name_as_text(tmp_path):
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, ok, table, upload, load_uploaded

    bids, _ = _hostile_bids(tmp_path, name=MARKUP_NAME, description="Local jobs")
    at = AppTest.from_file(APP, default_timeout=60).run()
    upload(at, "up_rubric", RUBRIC)
    upload(at, "up_bids", sorted(p for p in bids.iterdir() if p.suffix in (".yaml", ".json")))
    load_uploaded(at)
    ok(at)
    at.switch_page("app_pages/figures.py").run()
    ok(at)
    assert MARKUP_NAME in set(table(at, {"Bidder", "Figures rank"})["Bidder"])  # the table: text as typed
    bodies = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
              for e in getattr(at, kind) if "Apex" in e.value]
    assert bodies, "the page names the bid in its reading"
    for body in bodies:  # every markdown element that names it leaves nothing live
        assert _live_markup(body) == [], body
        assert "\\&copy;" in body


@pytest.mark.skipif(shutil.which("chromium") is None and not __import__("pathlib").Path("/usr/bin/chromium").exists(),
                    reason="chromium is not installed (CI installs it)")
def test_escaped_markdown_renders_as_the_text_itself_in_a_browser(tmp_path):
    """Streamlit's own renderer (react-markdown with GitHub autolinks) in chromium: no links, no
    entities, no markup; the words on screen are the words the supplier typed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import ARGS, CHROMIUM, _free_port
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import streamlit as st\n"
        "from app.ui import escape_md\n"
        f"for i, text in enumerate({HOSTILE_MARKDOWN!r}):\n"
        "    st.markdown(f'ROW{i}: ' + escape_md(text))\n"
        "st.error(escape_md('ERR: ' + " f"{MARKUP_NAME!r}))\n")
    port = _free_port()
    env = {**__import__("os").environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                for _ in range(100):
                    try:
                        page.goto(f"http://127.0.0.1:{port}", wait_until="domcontentloaded")
                        break
                    except Exception:  # noqa: BLE001 - the server is still starting
                        page.wait_for_timeout(300)
                page.get_by_text("ERR:").first.wait_for(timeout=60_000)
                page.wait_for_timeout(500)
                boxes = page.locator('[data-testid="stMarkdownContainer"]')
                shown = {}
                for i in range(boxes.count()):
                    box = boxes.nth(i)
                    assert box.locator("a, b, strong, em, h1, del, code").count() == 0, box.inner_html()
                    text = box.inner_text().replace("\u2060", "")
                    shown[text.split(":", 1)[0]] = text.split(": ", 1)[1] if ": " in text else text
                for i, text in enumerate(HOSTILE_MARKDOWN):
                    assert shown[f"ROW{i}"] == text.replace("\n", "\n") or shown[f"ROW{i}"].split() == text.split()
                assert shown["ERR"] == MARKUP_NAME
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(15)


# ------------------------------------------------------------------------------------------ CSV and XLSX
FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1", "Grounds\r=2+2", "Grounds\r\n-3+3"]


def _cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


def _assert_quoted(cells, where):
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not live, (where, live)


def test_review_csv_quotes_every_formula_trigger(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i, text in enumerate(FORMULAS):
        release = {"ocid": f"ocds-f-{i}", "date": "2026-01-01T00:00:00Z", "buyer": {"name": text},
                   "tender": {"id": "T", "title": text, "lots": [{"id": text, "awardCriteria": {"criteria": [
                       {"type": "quality", "name": text, "description": text},
                       {"type": "price", "name": "Price", "description": "70%"}]}}]}}
        (src / f"r{i}.json").write_text(json.dumps(release), encoding="utf-8")
    (src / "zz_broken.json").write_text(FORMULAS[0], encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "evaluator", "review", str(src), "--csv", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("lots.csv", "buyers.csv", "summary.csv", "flags.csv", "problems.csv"):
        cells = _cells(tmp_path / "out" / name)
        _assert_quoted(cells, name)
    lots = _cells(tmp_path / "out" / "lots.csv")
    for text in FORMULAS[:7]:
        assert "'" + text.strip() in lots  # kept, quoted: the title as published (trimmed)
    assert any(c.startswith("'=HYPERLINK") for c in _cells(tmp_path / "out" / "buyers.csv"))


def test_app_csv_downloads_quote_every_formula_trigger(tmp_path):
    from app_pages.reports import scores_csv
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from evaluator.spreadsheet import formula_safe_frame
    import pandas as pd

    bids, _ = _hostile_bids(tmp_path, name=FORMULAS[1], description="Local jobs")
    rubric = load_rubric(RUBRIC)
    bidset = load_bids(bids, rubric).require_valid()
    rows = [{"bidder": FORMULAS[1], "criterion": "Q1", "evaluator": f"{text}{i}", "score": 60, "rationale": text}
            for i, text in enumerate(FORMULAS)]
    path = tmp_path / "scores.csv"
    pd.DataFrame(rows).to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    ev = evaluate(rubric, bidset, load_scores(path, rubric, bidset.bidders))
    cells = _cells(_write(tmp_path / "a.csv", scores_csv(ev)))
    _assert_quoted(cells, "scores_in_use.csv")
    assert "'" + FORMULAS[0] in cells
    frame = pd.DataFrame({"text": FORMULAS, "n": range(len(FORMULAS))})  # lots.csv, buyers.csv, scores.csv
    cells = _cells(_write(tmp_path / "b.csv", formula_safe_frame(frame).to_csv(index=False).encode()))
    _assert_quoted(cells, "download")


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_results_workbook_keeps_supplier_formulas_as_text(tmp_path):
    import openpyxl
    from evaluator import evaluate, load_bids, load_rubric
    from evaluator.workbook import results_workbook

    bids, _ = _hostile_bids(tmp_path, name=FORMULAS[0], description=FORMULAS[1])
    rubric = load_rubric(RUBRIC)
    ev = evaluate(rubric, load_bids(bids, rubric).require_valid(), None)
    path = _write(tmp_path / "results.xlsx", results_workbook(ev))
    wb = openpyxl.load_workbook(path)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@"):
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate, c.value)
                    seen += c.value in FORMULAS[:2]
    assert seen >= 2


def test_review_and_track_text_show_escapes(tmp_path):
    release = {"ocid": "ocds-esc-1", "date": "2026-01-01T00:00:00Z",
               "buyer": {"name": "Council\x1b]0;pwned\x07"},
               "tender": {"title": "Grounds\x1b[2J\nForged tender  [Forged Council]", "awardCriteria": "ratedCriteria"}}
    src = tmp_path / "esc.json"
    src.write_text(json.dumps(release), encoding="utf-8")
    proc = run("review", src)
    _no_raw_controls(proc.stdout + proc.stderr)
    assert "Grounds\\x1b[2J\\nForged tender" in proc.stdout
    assert not any(line.lstrip().startswith("Forged") for line in proc.stdout.splitlines())

    bids, _ = _hostile_bids(tmp_path)
    with open(SAMPLES / "home_care_north" / "delivery.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["bidder"] == "Apex Care Group Ltd":
            r["bidder"] = ESC_NAME
            r["commitment"] = "A1\x1b[8m" if r["commitment"] == "A1" else r["commitment"]
    with open(tmp_path / "delivery.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    proc = run("track", "--rubric", RUBRIC, "--bids", bids, "--delivery", tmp_path / "delivery.csv")
    _no_raw_controls(proc.stdout + proc.stderr)
    assert "Apex\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m Care\\n1  Forged Ltd" in proc.stdout
    assert not any(line.lstrip().startswith("1  Forged") for line in proc.stdout.splitlines())


def test_sensitivity_and_workspace_text_show_escapes_and_forge_no_row(tmp_path):
    """The same hostile name through the verbs that print tables of bidders and evaluators: `sensitivity`
    and the workspace's `score`, `complete` and `status` (an evaluator name is typed by a person too)."""
    bids, _ = _hostile_bids(tmp_path)
    db = tmp_path / "ws.sqlite"
    run("workspace", "init", "--db", db, "--rubric", RUBRIC, "--bids", bids)
    person = "Ann\x1b[2J\nMODERATED 100"
    proc = run("workspace", "score", "--db", db, "--bidder", ESC_NAME, "--criterion", "Q1", "--evaluator", person,
               "--score", "60", "--rationale", "clear plan")
    _no_raw_controls(proc.stdout)
    assert proc.stdout.count("\n") == 1 and "Ann\\x1b[2J\\nMODERATED 100" in proc.stdout
    proc = run("workspace", "complete", "--db", db, "--evaluator", person)
    _no_raw_controls(proc.stdout)
    assert proc.stdout.count("\n") == 1
    proc = run("workspace", "status", "--db", db)
    _no_raw_controls(proc.stdout)
    assert not any(line.lstrip().startswith(("1  Forged", "MODERATED 100")) for line in proc.stdout.splitlines())
    assert "Ann\\x1b[2J\\nMODERATED 100" in proc.stdout
    proc = run("sensitivity", "--db", db, "--draws", "200")
    _no_raw_controls(proc.stdout + proc.stderr)
    assert not any(line.lstrip().startswith("1  Forged") for line in proc.stdout.splitlines())
    assert "Apex\\x1b]0;pwned" in proc.stdout
