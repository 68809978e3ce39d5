"""Reports: the documents that close the procurement, for the tender in use, as downloads: the evaluation
report (PDF), one regulation 31 assessment summary per bidder (PDF), the results workbook (XLSX), the
whole set as one ZIP, and the scores in use (CSV, fingerprinted in the report). A tender with lots: the award
across lots, then the documents of one lot at a time (the lot picker): each lot is evaluated on its own, so
its report, summaries and workbook are its own."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

import streamlit as st

from app import access, workspaces
from app.state import LOT, can, evaluation_key, get_evaluation, get_rubric, get_tender, heavy_cache, with_lot
from app.ui import escape_md, guard, lot_picker, show_award
from evaluator import (SCORE_COLUMNS, EvaluatorError, Inputs, assessment_summary_pdf, evaluation_report_pdf,
                       formula_safe_frame, results_workbook, summary_context, summary_file_names)
from evaluator.panel import SEE_ALL_SCORES
from evaluator.panel_record import panel_appendix

BUTTONS = 30   # bidders listed with a button each; beyond that, choose one (the ZIP holds them all)


def scores_csv(ev, lot: str = "", every_lot: bool = False) -> bytes:
    """The scores in use as CSV, safe to open in a spreadsheet (formula-like text neutralised); for one lot of
    a tender with lots, that lot's scores with their `lot` column (`every_lot`: every lot's)."""
    columns = SCORE_COLUMNS + ([LOT] if lot or every_lot else [])
    frame = with_lot(ev.scores) if lot or every_lot else ev.scores
    if lot and not every_lot:
        frame = frame[frame[LOT].isin([lot, ""])].assign(**{LOT: lot})
    frame = frame[[c for c in columns if c in frame.columns]]
    return formula_safe_frame(frame).to_csv(index=False).encode("utf-8")


def withheld(tender) -> Optional[str]:
    """Why the viewer may not have documents holding every evaluator's scores (None: they may). An evaluator
    sees only their own scores until they submit (DESIGN.md section 10); the lead and an observer may. The
    panel's rules decide (app.state.can: the workspace's, or the session's for a tender without one). No one
    signed in: on a panel's server, nothing."""
    who = access.current_identity()
    if who is None:
        return None if access.is_demonstration() else "sign in first"
    return can(tender, SEE_ALL_SCORES, by=who)


def own_scores_csv(ev, user: str) -> bytes:
    """The viewer's own scores (what an evaluator who has not submitted may take away)."""
    frame = with_lot(ev.scores) if LOT in ev.scores.columns else ev.scores
    frame = frame[frame["evaluator"].astype(str) == user]
    frame = frame[[c for c in SCORE_COLUMNS + [LOT] if c in frame.columns and (c != LOT or (frame[c] != "").any())]]
    return formula_safe_frame(frame).to_csv(index=False).encode("utf-8")


def panel_rows(ws) -> list[dict]:
    """The panel for the report's appendix (evaluator/panel_record.py): [] for a workspace with no users."""
    if ws is None or not getattr(ws, "has_users", False):
        return []
    return panel_appendix(ws)


def record_head() -> tuple[Optional[dict], Optional[str]]:
    """The evaluation record behind the scores in use: its workspace's audit-log head, printed in the report
    and the workbook so that a later copy of the record can be checked against them (`audit --manifest`).
    (None, why) when the tender has no workspace or its record does not verify."""
    try:
        ws = workspaces.workspace_for(get_tender())
        if ws is None:
            return None, None
        report = ws.verify()
    except EvaluatorError as exc:
        return None, exc.line()
    if report.problems:
        return None, report.first.line()
    # the workspace is named by its file name only: no server path in a document
    head = {"file": ws.path.name, "entries": report.entries, "head_hash": report.head_hash,
            "head": report.head, "chain": report.chain}
    panel = panel_rows(ws)  # the panel, its declarations and submissions, in the report's appendix
    return ({**head, "panel": panel} if panel else head), None


@heavy_cache(max_entries=2, show_spinner=False)
def _report_set(key: str, _ev, head: Optional[dict] = None, lot: str = "") -> dict:
    """Every document for one evaluation (keyed by its content digest, the record's head and the lot, so a
    rerun costs nothing and a new save gives new documents)."""
    ev = _ev
    csv = scores_csv(ev, lot)
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


@heavy_cache(max_entries=2, show_spinner=False)
def _tender_report_set(key: str, _ev, head: Optional[dict] = None) -> dict:
    """Every document of a tender with lots, whole (report_set.iter_summaries): the summaries by lot."""
    from evaluator import iter_summaries
    ev = _ev
    csv = scores_csv(ev, every_lot=True)
    with tempfile.TemporaryDirectory() as tmp:
        scores_path = Path(tmp) / "scores_in_use.csv"
        scores_path.write_bytes(csv)
        report = evaluation_report_pdf(ev, Inputs(scores_path=scores_path, options={"source": "app"},
                                                  workspace=head))
    by_lot: dict = {}
    for lot, bidder, name, data in iter_summaries(ev):
        by_lot.setdefault(lot or "", {})[bidder] = (name, data)
    book = results_workbook(ev, workspace=head)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("evaluation_report.pdf", report)
        for summaries in by_lot.values():
            for name, data in summaries.values():
                z.writestr(name, data)
        z.writestr("results.xlsx", book)
        z.writestr("scores_in_use.csv", csv)
    return {"report": report, "by_lot": by_lot, "workbook": book, "zip": buf.getvalue(), "scores": csv}


def main() -> None:
    key = evaluation_key()
    st.title("Reports")
    lot = lot_picker(get_rubric(), key="reports_lot") or ""
    ev = get_evaluation(key, lot=lot or None)
    whole = bool(lot)  # a tender with lots: its documents cover every lot
    t = ev.rubric.tender
    st.caption(escape_md(f"Tender {t.id}: {t.title}. Official lens: {ev.official_lens}." + (
        f" The evaluation report and the workbook cover every lot and the award across them; the assessment "
        f"summaries below are lot {lot}'s." if whole else "")))
    if lot:
        show_award(get_evaluation(key))
    st.write("The documents that close the procurement: the evaluation report to keep on file (Procurement Act "
             "2023 s98, for at least 3 years), one assessment summary per bidder with what regulation 31 of the "
             "Procurement Regulations 2024 requires, and the results workbook.")
    reason = withheld(get_tender())
    if reason is not None:
        st.warning(escape_md(f"The reports hold every evaluator's scores, so they are not offered to you yet: "
                             f"{reason}."))
        who = access.current_identity()
        if who is not None:
            st.download_button("Your scores (CSV)", own_scores_csv(ev, who.user), file_name="my_scores.csv",
                               mime="text/csv", key="dl_own_scores")
        return
    head, why = record_head()
    if why:
        st.warning(escape_md(f"The evaluation record does not verify, so the documents carry no record head: {why}"))
    with st.spinner(f"Drawing the reports for {len(ev.results)} bids..."):
        if whole:
            made = _tender_report_set(key, get_evaluation(key), head)
            made["summaries"] = made["by_lot"].get(lot, {})
        else:
            made = _report_set(key, ev, head, lot)
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

    st.subheader("Assessment summaries (regulation 31)" + (f": lot {lot}" if lot else ""))
    missing = [b for b in ev.results["bidder"] if not _has_contact(ev, b)]
    if missing:
        st.warning(escape_md(f"{len(missing)} bid(s) give no supplier identifier, contact address or email; their "
                             "summaries say so plainly. Add the details before sending: " + ", ".join(missing[:10])
                             + (" ..." if len(missing) > 10 else "")))
    summaries = made["summaries"]
    winner = get_evaluation(key).awarded_to(lot) if lot else ev.winner()  # a lot's award follows the limit
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
