"""Reports: the documents that close the procurement, for the tender in use, as downloads: the evaluation
report (PDF), one regulation 31 assessment summary per bidder (PDF), the results workbook (XLSX), the
whole set as one ZIP, and the scores in use (CSV, fingerprinted in the report)."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

import streamlit as st

from app_pages import workspace_state
from app_pages.common import escape_md, evaluation_key, get_evaluation, get_tender, guard, heavy_cache
from evaluator.exceptions import EvaluatorError
from evaluator.report import (Inputs, assessment_summary_pdf, evaluation_report_pdf, summary_context,
                              summary_file_names)
from evaluator.scoring import SCORE_COLUMNS
from evaluator.spreadsheet import formula_safe_frame
from evaluator.workbook import results_workbook

BUTTONS = 30   # bidders listed with a button each; beyond that, choose one (the ZIP holds them all)


def scores_csv(ev) -> bytes:
    """The scores in use as CSV, safe to open in a spreadsheet (formula-like text neutralised)."""
    frame = ev.scores[[c for c in SCORE_COLUMNS if c in ev.scores.columns]]
    return formula_safe_frame(frame).to_csv(index=False).encode("utf-8")


def record_head() -> tuple[Optional[dict], Optional[str]]:
    """The evaluation record behind the scores in use: its workspace's audit-log head, printed in the report
    and the workbook so that a later copy of the record can be checked against them (`audit --manifest`).
    (None, why) when the tender has no workspace or its record does not verify."""
    try:
        ws = workspace_state.workspace_for(get_tender())
        if ws is None:
            return None, None
        report = ws.verify()
    except EvaluatorError as exc:
        return None, exc.line()
    if report.problems:
        return None, report.first.line()
    # the workspace is named by its file name only: no server path in a document
    return {"file": ws.path.name, "entries": report.entries, "head_hash": report.head_hash,
            "head": report.head, "chain": report.chain}, None


@heavy_cache(max_entries=2, show_spinner=False)
def _report_set(key: str, _ev, head: Optional[dict] = None) -> dict:
    """Every document for one evaluation (keyed by its content digest and the record's head, so a rerun
    costs nothing and a new save gives new documents)."""
    ev = _ev
    csv = scores_csv(ev)
    with tempfile.TemporaryDirectory() as tmp:
        scores_path = Path(tmp) / "scores_in_use.csv"   # fingerprinted as the CSV offered for download
        scores_path.write_bytes(csv)
        report = evaluation_report_pdf(ev, Inputs(scores_path=scores_path, options={"source": "app"},
                                                  workspace=head))
    cache = summary_context(ev)
    names = summary_file_names(ev.results["bidder"].tolist())
    summaries = {b: (name, assessment_summary_pdf(ev, b, context=cache)) for b, name in names.items()}
    book = results_workbook(ev, workspace=head)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("evaluation_report.pdf", report)
        for name, data in summaries.values():
            z.writestr(name, data)
        z.writestr("results.xlsx", book)
        z.writestr("scores_in_use.csv", csv)
    return {"report": report, "summaries": summaries, "workbook": book, "zip": buf.getvalue(), "scores": csv}


def main() -> None:
    ev = get_evaluation()
    t = ev.rubric.tender
    st.title("Reports")
    st.caption(escape_md(f"Tender {t.id}: {t.title}. Official lens: {ev.official_lens}."))
    st.write("The documents that close the procurement: the evaluation report to keep on file (Procurement Act "
             "2023 s98, for at least 3 years), one assessment summary per bidder with what regulation 31 of the "
             "Procurement Regulations 2024 requires, and the results workbook.")
    head, why = record_head()
    if why:
        st.warning(escape_md(f"The evaluation record does not verify, so the documents carry no record head: {why}"))
    with st.spinner(f"Drawing the reports for {len(ev.results)} bids..."):
        made = _report_set(evaluation_key(), ev, head)
    stem = "".join(ch if ch.isalnum() else "_" for ch in t.id)[:40] or "tender"

    st.subheader("For the file")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Evaluation report (PDF)", made["report"], file_name="evaluation_report.pdf",
                       mime="application/pdf", key="dl_report")
    c2.download_button("Results workbook (XLSX)", made["workbook"], file_name="results.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_workbook")
    c3.download_button("Everything (ZIP)", made["zip"], file_name=f"reports_{stem}.zip", mime="application/zip",
                       key="dl_zip")
    st.download_button("Scores in use (CSV)", made["scores"], file_name="scores_in_use.csv", mime="text/csv",
                       key="dl_scores", help="The scores the report was made with; its SHA-256 is in the report's appendix.")

    st.subheader("Assessment summaries (regulation 31)")
    missing = [b for b in ev.results["bidder"] if not _has_contact(ev, b)]
    if missing:
        st.warning(escape_md(f"{len(missing)} bid(s) give no supplier identifier, contact address or email; their "
                             "summaries say so plainly. Add the details before sending: " + ", ".join(missing[:10])
                             + (" ..." if len(missing) > 10 else "")))
    summaries = made["summaries"]
    winner = ev.winner()
    if len(summaries) <= BUTTONS:
        for i, (bidder, (name, data)) in enumerate(summaries.items()):
            label = f"{bidder}" + (" (intended award)" if bidder == winner else "")
            st.download_button(escape_md(label), data, file_name=name, mime="application/pdf", key=f"dl_summary_{i}")
    else:
        bidders = list(summaries)
        chosen = st.selectbox("Bidder", bidders, key="report_bidder")
        if chosen is not None:
            name, data = summaries[chosen]
            st.download_button(escape_md(f"Assessment summary: {chosen}"), data, file_name=name,
                               mime="application/pdf", key="dl_summary_chosen")
        st.caption(f"All {len(bidders)} summaries are in the ZIP.")


def _has_contact(ev, bidder: str) -> bool:
    bids = ev.bidset.bids
    row = bids[bids["bidder"] == bidder]
    if row.empty:
        return False
    return all(isinstance(row[f].iat[0], str) and row[f].iat[0].strip()
               for f in ("supplier_id", "contact_email", "contact_address") if f in row.columns)


with guard("the Reports page"):
    main()
