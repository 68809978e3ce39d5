"""The Reports page, driven by Streamlit's AppTest on the shipped default sample: it runs without an
exception and offers the evaluation report, every assessment summary, the workbook and the ZIP."""
from __future__ import annotations

import pytest

from evaluator.panel import EVALUATOR, LEAD, OBSERVER
from tests.conftest import ROOT

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    at.switch_page("app_pages/reports.py").run()
    return at


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_page_runs_without_exception(page):
    assert not page.exception, [e.value for e in page.exception]
    assert not [e.value for e in page.error]
    assert page.title[0].value == "Reports"


def test_download_buttons_for_report_workbook_zip_and_each_summary(page):
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from tests.conftest import tender_paths
    labels = _labels(page)
    for expected in ("Evaluation report (PDF)", "Results workbook (XLSX)", "Everything (ZIP)", "Scores in use (CSV)"):
        assert expected in labels
    rubric, bids, scores = tender_paths("home_care_north")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    summaries = [lab for lab in labels if lab not in ("Evaluation report (PDF)", "Results workbook (XLSX)",
                                                      "Everything (ZIP)", "Scores in use (CSV)")]
    assert len(summaries) == len(ev.results)
    plain = [s.replace("\\", "") for s in summaries]
    for bidder in ev.results["bidder"]:
        assert any(p.startswith(bidder) for p in plain), bidder
    assert any("(intended award)" in p and p.startswith(ev.winner()) for p in plain)


def test_the_report_set_behind_the_buttons_is_real():
    """The page's own builder, outside Streamlit's runner: the PDFs and workbook open and hold the tender."""
    import io
    import zipfile

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from app_pages.reports import _report_set
    from evaluator import evaluate, load_bids, load_rubric, load_scores
    from tests.conftest import tender_paths
    rubric, bids, scores = tender_paths("schools_fm")
    r = load_rubric(rubric)
    b = load_bids(bids, r).require_valid()
    ev = evaluate(r, b, load_scores(scores, r, b.bidders))
    made = _report_set.__wrapped__("k", ev) if hasattr(_report_set, "__wrapped__") else _report_set("k", ev)
    assert r.tender.id in PdfReader(io.BytesIO(made["report"])).pages[0].extract_text()
    assert load_workbook(io.BytesIO(made["workbook"])).sheetnames[0] == "Summary"
    names = zipfile.ZipFile(io.BytesIO(made["zip"])).namelist()
    assert "evaluation_report.pdf" in names and "results.xlsx" in names and len(names) == len(ev.results) + 3


def test_the_documents_carry_the_record_head_of_the_workspace_behind_them(monkeypatch):
    """Issue 14 hole 3: the head of the audit log is printed in every report. The app's report and workbook
    name the workspace (by file name, never a server path) and its head, which `audit` reads back."""
    import io

    import streamlit as st
    from openpyxl import load_workbook
    from pypdf import PdfReader

    import evaluator.evaluation_report as report
    import evaluator.workbook as workbook
    from evaluator.workspace import Workspace, default_workspace_path

    made = {}
    real_pdf, real_book = report.evaluation_report_pdf, workbook.results_workbook

    def pdf(ev, inputs=None, **kw):
        made["pdf"] = real_pdf(ev, inputs, **kw)
        return made["pdf"]

    def book(ev, workspace=None):
        made["book"] = real_book(ev, workspace=workspace)
        return made["book"]

    import evaluator  # the pages take both from the package's public names
    monkeypatch.setattr(evaluator, "evaluation_report_pdf", pdf, raising=False)
    monkeypatch.setattr(evaluator, "results_workbook", book, raising=False)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    head = Workspace.open(default_workspace_path("HC-2026-014")).verify()
    assert head.intact and head.entries > 0
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(made["pdf"])).pages).replace("\n", " ")
    assert f"audit log head {head.head}" in text
    assert head.head_hash in text.replace(" ", "")
    assert "social_value_home" not in text
    record = dict(load_workbook(io.BytesIO(made["book"]))["Record"].iter_rows(min_row=2, values_only=True))
    assert record["Audit log head"] == head.head
    assert record["Workspace file"] == "HC-2026-014.sqlite"


# ------------------------------------------------------------------------------------------------ the panel

def _panel_tables():
    import pandas as pd
    status = pd.DataFrame([
        {"user": "Priya Raman", "role": "evaluator", "declared": True, "conflict": True,
         "mitigation": "Left the room for Apex Care's presentation", "submitted": True,
         "submitted_at": "2026-03-12T14:05:00+00:00", "scores": 12},
        {"user": "Sam Lead", "role": "lead", "declared": False, "conflict": False, "mitigation": "",
         "submitted": False, "submitted_at": None, "scores": 0},
        {"user": "David Okafor", "role": "evaluator", "declared": True, "conflict": False, "mitigation": "",
         "submitted": False, "submitted_at": None, "scores": 7},
        {"user": "Olu Observer", "role": "observer", "declared": False, "conflict": False, "mitigation": "",
         "submitted": False, "submitted_at": None, "scores": 0},
    ])
    declarations = pd.DataFrame([
        {"user": "Priya Raman", "conflict": True, "details": "Her brother works for Apex Care Group Ltd",
         "declared_at": "2026-03-02T09:30:00+00:00", "mitigation": "Left the room for Apex Care's presentation",
         "mitigated_by": "Sam Lead", "mitigated_at": "2026-03-03T10:00:00+00:00"},
        {"user": "David Okafor", "conflict": False, "details": "", "declared_at": "2026-03-02T11:00:00+00:00",
         "mitigation": None, "mitigated_by": None, "mitigated_at": None},
    ])
    return status, declarations


def test_the_panel_rows_say_who_declared_what_and_when_each_submitted():
    from evaluator.panel_record import panel_appendix
    rows = panel_appendix(*_panel_tables())
    assert [r["Name"] for r in rows] == ["Sam Lead", "David Okafor", "Priya Raman", "Olu Observer"]  # lead first
    by = {r["Name"]: r for r in rows}
    assert by["Priya Raman"]["Conflict of interest"] == ("Conflict declared: Her brother works for Apex Care Group "
                                                         "Ltd (2 March 2026, 09:30 UTC)")
    assert by["Priya Raman"]["Mitigation"] == ("Left the room for Apex Care's presentation, recorded by Sam Lead "
                                               "(3 March 2026, 10:00 UTC)")
    assert by["Priya Raman"]["Submitted"] == "12 March 2026, 14:05 UTC"
    assert by["David Okafor"]["Conflict of interest"] == "No conflict (declared 2 March 2026, 11:00 UTC)"
    assert by["David Okafor"]["Submitted"] == "Not submitted" and by["David Okafor"]["Mitigation"] == "-"
    assert by["Sam Lead"]["Role"] == "Procurement lead" and by["Olu Observer"]["Submitted"] == "-"


def _report_text(ev, workspace) -> str:
    import io

    from pypdf import PdfReader

    from evaluator import Inputs, evaluation_report_pdf
    pdf = evaluation_report_pdf(ev, Inputs(options={"source": "app"}, workspace=workspace))
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


def test_the_report_appendix_lists_the_panel_only_when_made_from_a_workspace_with_users(ev):
    """The report's appendix (read back from the PDF) ends with the panel table: every member, their role,
    their conflict declaration and its mitigation, and when each submitted; without users, no such table."""
    from evaluator.panel_record import panel_appendix
    head = {"file": "evaluation.sqlite", "entries": 5, "head_hash": "ab" * 32, "head": "5:abababab", "chain": "keyed"}
    text = " ".join(_report_text(ev, {**head, "panel": panel_appendix(*_panel_tables())}).split())
    at = text.index("The evaluation panel")
    assert at > text.index("C. Fingerprints of the inputs")
    table = text[at:]
    for expected in ("Name Role Conflict of interest Mitigation Submitted", "1 of 2 evaluator(s) submitted",
                     "Priya Raman", "Evaluator", "Conflict declared: Her brother works for Apex Care Group Ltd",
                     "Left the room for Apex Care's presentation, recorded by Sam Lead", "12 March 2026, 14:05 UTC",
                     "David Okafor", "Not submitted", "Sam Lead", "Procurement lead", "Olu Observer", "Observer"):
        assert expected in table, expected
    plain = " ".join(_report_text(ev, head).split())
    assert "The evaluation panel" not in plain and "Conflict of interest" not in plain


# ---------------------------------------------------------------------- who may take every evaluator's scores

EVERYTHING = ("Evaluation report (PDF)", "Results workbook (XLSX)", "Everything (ZIP)", "Scores in use (CSV)")
PAGE = "app_pages/reports.py"


def _page_alone(monkeypatch, persona=None, argv=("streamlit_app.py",)):
    """The Reports page's script on its own (as if reached some way other than the navigation)."""
    import sys
    monkeypatch.setattr(sys, "argv", list(argv))
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    if persona:
        at.session_state["sv_persona"] = persona
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_evaluator_who_has_not_submitted_cannot_download_every_evaluators_scores(monkeypatch):
    """Issue 17: any visitor could download every evaluator's scores from the Reports page. An evaluator is not
    listed the page; reached some other way, it offers an evaluator who has not submitted their own scores
    only, and says why in place; once they submit, every document."""
    from evaluator.workspace import Workspace, default_workspace_path
    from tests.panel_roles import demonstration
    at = demonstration(monkeypatch, EVALUATOR)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    at = _page_alone(monkeypatch, ("Priya Raman", EVALUATOR))
    assert _labels(at) == ["Your scores (CSV)"]
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "not offered to you yet: Priya Raman sees only their own scores until they submit" in warning
    Workspace.open(default_workspace_path("HC-2026-014")).set_complete("Priya Raman", True)
    at = _page_alone(monkeypatch, ("Priya Raman", EVALUATOR))
    assert set(EVERYTHING) <= set(_labels(at))


def test_their_own_scores_are_all_an_evaluator_takes_away(ev):
    import io

    import pandas as pd

    from app_pages.reports import own_scores_csv
    someone = sorted(e for e in ev.scores["evaluator"].astype(str).unique() if e != "MODERATED")[0]
    mine = pd.read_csv(io.BytesIO(own_scores_csv(ev, someone)))
    assert len(mine) and set(mine["evaluator"]) == {someone}
    assert len(mine) == (ev.scores["evaluator"] == someone).sum()


@pytest.mark.parametrize("role", [LEAD, OBSERVER])
def test_the_lead_and_an_observer_get_every_document(monkeypatch, role):
    from tests.panel_roles import demonstration
    at = demonstration(monkeypatch, role, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert set(EVERYTHING) <= set(_labels(at)) and "Your scores (CSV)" not in _labels(at)


def test_on_a_panel_the_report_lists_the_panel_and_an_unsubmitted_evaluator_gets_only_their_scores(monkeypatch,
                                                                                                   tmp_path):
    """Served on a workspace with users: the lead's evaluation report ends with the panel table (its text read
    back from the PDF); the evaluator who has not submitted is offered their own scores and nothing else."""
    import io

    from pypdf import PdfReader

    import evaluator
    import evaluator.evaluation_report as report
    from evaluator.panel import Identity
    from tests.panel_roles import USERS, panel, signed_in
    ws = panel(tmp_path / "panel.sqlite")
    helen = Identity(USERS[EVALUATOR], EVALUATOR)
    ws.declare(helen, True, "Sits on the board of Riverside Care Co-operative")
    ws.mitigate(Identity(USERS[LEAD], LEAD), USERS[EVALUATOR], "Does not score Riverside's bid; the lead does")

    made = {}
    real_pdf = report.evaluation_report_pdf

    def pdf(ev, inputs=None, **kw):
        made["pdf"] = real_pdf(ev, inputs, **kw)
        return made["pdf"]
    monkeypatch.setattr(evaluator, "evaluation_report_pdf", pdf, raising=False)
    import streamlit as st
    st.cache_data.clear()
    at = signed_in(monkeypatch, ws, LEAD, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert set(EVERYTHING) <= set(_labels(at))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(made["pdf"])).pages).split())
    table = text[text.index("The evaluation panel"):]
    for expected in ("Alex Lead", "Procurement lead", "Helen Marsh", "Conflict declared: Sits on the board of "
                     "Riverside Care Co-operative", "Does not score Riverside's bid; the lead does, recorded by Alex "
                     "Lead", "Not submitted", "Olu Observer", "Observer", "0 of 3 evaluator(s) submitted",
                     "Priya Raman Evaluator (no account) Not declared"):
        assert expected in table, expected

    at = signed_in(monkeypatch, ws, EVALUATOR)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    at = _page_alone(monkeypatch, argv=("streamlit_app.py", "--workspace", str(ws.path)))  # nobody signed in
    assert not _labels(at) and "sign in first" in " ".join(w.value for w in at.warning)


def test_report_db_on_a_workspace_with_users_lists_the_panel(tmp_path, capsys):
    """The command line's `report --db F` (a workspace with users): the same panel table ends the appendix,
    with who submitted and when."""
    import io

    from pypdf import PdfReader

    from evaluator.cli import main
    from tests.panel_roles import panel
    ws = panel(tmp_path / "panel.sqlite")
    assert main(["report", "--db", str(ws.path), "--out", str(tmp_path / "out")]) == 0
    pdf = (tmp_path / "out" / "evaluation_report.pdf").read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    table = text[text.index("The evaluation panel"):]
    assert "Alex Lead Procurement lead None recorded" in table and "Helen Marsh Evaluator Not declared" in table
    assert "Olu Observer Observer" in table


@pytest.mark.parametrize("sample", ["home_care_north", "school_catering"])
def test_the_reports_page_reads_in_words_for_a_tender_with_and_without_lots(sample):
    """Issue 19: no command line, server path or raw value on the page (the banner says in words how a real panel
    is served); a tender with lots shows the award across lots first."""
    from tests.apptest import unescape
    from tests.every_page import Visit, read_page
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="sample_choice").set_value(sample)
    next(b for b in at.button if b.label == "Open this sample").click()
    at.run()
    at.switch_page("app_pages/reports.py").run()
    visit = Visit(sample, "lead", "Reports")
    read_page(at, visit)
    assert visit.offences == [] and not visit.exceptions, visit.offences
    banner = " ".join(unescape(i.value) for i in at.info)
    assert "A real panel runs on a server of its own, for one tender, with sign-in" in banner
    assert "--workspace" not in banner
    if sample == "school_catering":
        assert any("Awarded to" in df.value.columns for df in at.dataframe)  # the award across lots comes first
