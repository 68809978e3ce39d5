"""Tender: open a shipped sample or upload a rubric, bids and scores; see what was loaded and every problem."""
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from app import access, workspaces
from app.loading import (apply_change, apply_load, finish_load, load_uploads, may_load_files, propose_change,
                         replacement)
from app.samples import SAMPLES
from app.state import (LOT, REOPEN_PROBLEM, get_evaluation, get_rubric, get_scores, get_tender, has_lots,
                       sample_tender, score_problems, set_tender, with_lot, workspace_tender)
from app.design_editor import field_words
from app.ui import escape_md, guard, plain_flags, show_problems, show_table
from app.uploads import error_lines
from evaluator import MODERATED, EvaluatorError, gbp

_LAST = "sv_last_load"  # the outcome of the last load, shown after the rerun it triggers
_WS_PROBLEM = "sv_ws_open_problem"  # why the workspace asked for was not opened (one line)
_WS_OPENED = "sv_ws_opened"  # the workspace just opened, said under the button that opened it
_CONFIRM = "sv_confirm_load"  # an upload read but not yet in use: what it would replace, to confirm

SAMPLE_TITLES = {
    "home_care_north": "Adult home care, North district (6 bids, an exemplary design)",
    "schools_fm": "Schools and civic buildings maintenance (5 bids, a less careful design)",
    "school_catering": "School catering in two lots (a criteria tree, pass/fail, a mandatory outcome)",
}


def _load_sample() -> None:
    name = st.session_state.get("sample_choice")
    tender = sample_tender(name)
    set_tender(tender)
    st.session_state.pop(_CONFIRM, None)
    st.session_state[_LAST] = {"ok": True, "problems": [], "notes": [f"Opened the {label(tender)}"],
                               "sample": True}


def _open_workspace(path_text: str) -> None:
    """Open a workspace file (checked and verified first; a bad one changes nothing already loaded)."""
    path, problem = workspaces.open_problem(path_text)
    tender = None
    if problem is None:
        try:
            tender = workspace_tender(path)
        except EvaluatorError as exc:
            problem = error_lines(exc)[0]
    if problem is not None:
        st.session_state[_WS_PROBLEM] = problem
        return
    st.session_state.pop(_WS_PROBLEM, None)
    st.session_state.pop(_CONFIRM, None)
    set_tender(tender)
    st.session_state[_WS_OPENED] = f"Opened the {label(tender)}, with every score saved in it"


def _open_by_path() -> None:
    _open_workspace(st.session_state.get("ws_path", ""))


def _open_saved() -> None:
    _open_workspace(st.session_state.get("ws_saved") or "")


def saved_section() -> None:
    """Workspace files on the server: listed, reopened or opened by path (server_paths_allowed() only)."""
    st.subheader("Saved evaluations")
    st.caption("Every uploaded tender is saved in a workspace of its own on this server, so a refresh or a "
               "server restart reopens it with every score. Reopen one here, or open a workspace file made "
               "elsewhere (by the tool's command line, say) by typing where it is on this server.")
    saved = workspaces.saved_workspaces()
    w1, w2 = st.columns(2)
    with w1:
        usable = saved[saved["problem"] == ""]
        if saved.empty:
            st.info("No saved workspaces yet.")
        else:
            show_table(saved_table(saved), kinds={"last change": "date", "bids": "whole", "scores": "whole"})
        if len(usable):
            labels = {r.file: workspace_label(r.tender, r.title, r.file) for r in usable.itertuples()}
            st.selectbox("Saved workspace", list(labels), key="ws_saved", format_func=lambda f: labels.get(f, f))
            st.button("Reopen this workspace", on_click=_open_saved)
    with w2:
        st.text_input("Workspace file (where it is on this server)", key="ws_path",
                      placeholder="The folder and file name of the workspace")
        st.button("Open the workspace file", on_click=_open_by_path)
    if st.session_state.get(_WS_PROBLEM):
        st.error(escape_md(st.session_state[_WS_PROBLEM] + ": nothing was changed"))
    elif st.session_state.get(_WS_OPENED):
        st.success(escape_md(st.session_state.pop(_WS_OPENED)))


def _uploads() -> tuple:
    return (st.session_state.get("up_rubric"), st.session_state.get("up_proxies"),
            st.session_state.get("up_bids") or [])


def _load_uploads() -> None:
    """Read the uploads (nothing is put in use or saved yet): what confirming would replace is asked first."""
    st.session_state.pop(_CONFIRM, None)
    bar = st.progress(0.0, text="Loading")
    result = load_uploads(*_uploads(), st.session_state.get("up_scores"), save=False,
                          progress=lambda f, text: bar.progress(min(1.0, f), text=text))
    bar.empty()
    if result.tender is None:
        st.session_state[_LAST] = {"ok": False, "problems": result.problems, "notes": result.notes}
        return
    st.session_state.pop(_LAST, None)
    st.session_state[_CONFIRM] = {"result": result, "summary": replacement(result)}


def _confirm_load() -> None:
    held = st.session_state.pop(_CONFIRM, None)
    if not held:
        return
    result = held["result"]
    bar = st.progress(0.5, text="Saving the tender in its workspace")
    finish_load(result)
    apply_load(result)
    bar.progress(1.0, text="Evaluating")
    get_evaluation()  # evaluate now, under the progress bar, not on the next page
    bar.empty()
    st.session_state[_LAST] = {"ok": True, "problems": result.problems, "notes": result.notes}


def _cancel() -> None:
    st.session_state.pop(_CONFIRM, None)
    st.session_state[_LAST] = {"ok": True, "problems": [], "notes": [], "cancelled": True}


def _propose_change() -> None:
    """The lead's upload to the panel's workspace: the engine's summary of what it would change, to confirm."""
    st.session_state.pop(_CONFIRM, None)
    st.session_state.pop(_LAST, None)
    ws = workspaces.workspace_for(get_tender())
    try:
        change = propose_change(ws, access.current_identity(), *_uploads())
    except EvaluatorError as exc:
        st.session_state[_LAST] = {"ok": False, "problems": error_lines(exc), "notes": []}
        return
    st.session_state[_CONFIRM] = {"change": change, "summary": change.summary}


def _confirm_change() -> None:
    held = st.session_state.pop(_CONFIRM, None)
    if not held:
        return
    ws = workspaces.workspace_for(get_tender())
    try:
        tender, done = apply_change(ws, access.current_identity(), held["change"])
    except EvaluatorError as exc:
        st.session_state[_LAST] = {"ok": False, "problems": error_lines(exc), "notes": []}
        return
    st.session_state[_LAST] = {"ok": True, "problems": [], "notes": [f"Done: {done} Every page now works from "
                                                                     f"the new files ({label(tender)})."]}


def upload_section(panel: bool) -> None:
    """The lead's upload of the tender's files, with the confirmation and the outcome right under its button."""
    st.subheader("Upload" if not panel else "Load or replace the tender's files")
    with st.form("uploads", clear_on_submit=False, border=False):
        st.file_uploader("Rubric (YAML)", type=["yaml", "yml"], key="up_rubric",
                         help="Leave empty to read new bids against the rubric in use.")
        st.file_uploader("Proxy table (CSV, optional)", type=["csv"], key="up_proxies",
                         help="Only with a rubric. Without it, the shipped table the rubric names is used.")
        st.file_uploader("Bids: YAML, JSON or XLSX files, or bids.csv + commitments.csv (+ responses.csv)",
                         type=["yaml", "yml", "json", "xlsx", "csv"], accept_multiple_files=True, key="up_bids")
        if not panel:  # on a panel, each evaluator enters their own scores on the Score page, under their name
            st.file_uploader("Evaluator scores (scores.csv)", type=["csv"], key="up_scores")
        st.form_submit_button("Load the uploaded files", on_click=_propose_change if panel else _load_uploads)
    held = st.session_state.get(_CONFIRM)
    if held:
        st.warning(escape_md(held["summary"]))
        b1, b2, _ = st.columns([1, 1, 2])
        b1.button("Confirm", type="primary", on_click=_confirm_change if panel else _confirm_load, key="confirm_load")
        b2.button("Cancel", on_click=_cancel, key="cancel_load")
    _outcome()


def _outcome() -> None:
    """The outcome of the last load, where the user is looking: under the button they pressed."""
    last = st.session_state.get(_LAST)
    if not last:
        return
    if last.get("cancelled"):
        st.info("Cancelled: nothing was loaded and nothing in use has changed.")
    elif last["ok"]:
        for note in last["notes"]:
            st.success(escape_md(_no_server_folder(note)))
        if last["problems"]:
            st.warning("Loaded, but some files or rows were not: see the load problems below, each naming "
                       "the file, row and field.")
            if not get_tender().problems:  # problems not kept with the tender (a scores file) shown here
                show_problems(last["problems"], kind="warning")
    else:
        st.error("Nothing was loaded and nothing already loaded has changed. The problems:")
        show_problems(last["problems"])


def main() -> None:
    st.title("Tender")
    panel = access.panel_workspace() is not None
    lead = may_load_files()
    paths = access.server_paths_allowed()
    if panel:
        st.caption("The tender this panel evaluates. Every page works from what is loaded here.")
    else:
        st.caption("Open a shipped sample tender, or upload your own rubric, bids and evaluator scores. "
                   "Every page works from what is loaded here.")

    if not panel:
        left, right = st.columns(2)
        with left:
            st.subheader("Shipped samples")
            names = list(SAMPLES)
            current = get_tender()
            index = next((i for i, n in enumerate(names) if current.key.startswith(f"sample:{n}:")), 0)
            st.selectbox("Sample tender", names, index=index, key="sample_choice",
                         format_func=lambda n: SAMPLE_TITLES.get(n, n))
            st.button("Open this sample", on_click=_load_sample)
            if st.session_state.get(_LAST, {}).get("sample"):
                st.success(escape_md(st.session_state.pop(_LAST)["notes"][0]))
        with right:
            if lead:
                upload_section(panel=False)
            else:
                st.subheader("Upload")
                st.info("Loading or replacing the tender's files is the procurement lead's: pick the lead persona "
                        "to upload a rubric, bids or scores.")
    elif lead:
        upload_section(panel=True)
    else:
        st.info("Loading or replacing the tender's files is the procurement lead's.")

    if paths and not panel:  # a panel's server serves its one workspace: no other file is opened on it
        saved_section()
    if st.session_state.get(REOPEN_PROBLEM):
        problem = st.session_state.pop(REOPEN_PROBLEM)
        st.warning(escape_md(problem if paths else "The last workspace could not be reopened: the shipped sample "
                                                    "is open"))

    tender = get_tender()
    rubric = get_rubric()
    ev = get_evaluation()
    t = rubric.tender
    st.divider()
    st.subheader("What is loaded")
    st.text(f"{t.id}  {t.title}" + (f"  ({t.buyer})" if t.buyer else ""))
    cols = st.columns(5)
    cols[0].metric("Contract value", gbp(t.contract_value))
    cols[1].metric("Term", f"{t.duration_years} years")
    cols[2].metric("Bids loaded", f"{len(tender.bidset.bids):,}")
    cols[3].metric("Bids set aside", f"{len(tender.skipped):,}")
    cols[4].metric("Social value weight", f"{rubric.social_value_weight:g}%")
    st.text(f"Official lens: {rubric.official_lens}.  Source: {label(tender)}")
    ws = workspaces.workspace_for(tender)
    if ws is not None and getattr(ws, "read_only", False):
        st.warning(escape_md(f"The workspace {_where(ws)} is on read-only storage (an archived record): it opened "
                             "read-only for reading, results and reports; scores cannot be saved to it."))
    elif ws is not None:
        st.caption(escape_md(f"Scores are saved in the workspace {_where(ws)} on this server: a refresh or a server "
                             "restart reopens this evaluation with every score in place."))
    else:
        why = workspaces.workspace_problem(tender)
        st.warning(escape_md("Scores for this tender are kept for this browser session only"
                             + (f" ({why})." if why else ".")))
    if rubric is not tender.rubric:
        st.info("The design has been edited on the Design page; the edited rubric is the one in use.")
    lotted = has_lots(rubric) and LOT in tender.bidset.bids.columns
    if has_lots(rubric):
        st.markdown("**Lots** (each evaluated on its own; the award across lots is on the Results page)")
        show_table(lots_table(rubric, tender.bidset.bids), kinds={"contract value": "money", "term (years)": "whole",
                                                                  "bids": "whole"})

    scores = get_scores()
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Bids**")
        bids = pd.DataFrame({
            **({"lot": tender.bidset.bids[LOT].astype(str).to_numpy()} if lotted else {}),
            "bidder": tender.bidset.bids["bidder"].to_numpy(),
            "price": tender.bidset.bids["price"].to_numpy(),
            "commitments": _commitments(tender.bidset, lotted),
            "file": [_file_name(f) for f in tender.bidset.bids["_file"]],
        })
        show_table(bids, kinds={"commitments": "whole", "lot": "text"})
    with c2:
        st.markdown("**Evaluator scores**")
        if scores.empty:
            st.info("No evaluator scores yet: enter them on the Score page"
                    + (" or upload scores.csv." if access.panel_workspace() is None else "."))
        else:
            keys = ["evaluator", LOT] if lotted else ["evaluator"]
            per = with_lot(scores).groupby(keys).size().rename("scores").reset_index()
            per["evaluator"] = per["evaluator"].astype(str).replace({MODERATED: "Panel consensus (moderated)"})
            show_table(per, kinds={"scores": "whole", "lot": "text"})
        st.markdown("**Design checks**")
        if ev.rubric_flags.empty:
            st.success("The design passes every design check.")
        else:
            checks = plain_flags(ev.rubric_flags[["code", "name", "severity", "message"]])
            checks["message"] = checks["message"].map(field_words)
            show_table(checks, kinds={"code": "text"})

    if tender.skipped:
        st.markdown("**Bids set aside** (not ranked because of the problems listed)")
        skipped = pd.DataFrame(tender.skipped)
        if "file" in skipped.columns:
            skipped["file"] = skipped["file"].map(_file_name)
        show_table(skipped, kinds={c: "text" for c in skipped.columns})
    if tender.problems:
        st.markdown("**Load problems**, one per line (file, row or key, field, value)")
        show_problems(tender.problems, kind="warning")
    left_out = score_problems()
    if left_out:
        st.markdown("**Scores not used**")
        show_problems(left_out, kind="warning")
    if tender.files:
        st.caption(escape_md("Files: " + ", ".join(tender.files[:30])
                             + (f" and {len(tender.files) - 30} more" if len(tender.files) > 30 else "")))


def _no_server_folder(text: str) -> str:
    """A note as anyone reads it: no folder of the server (a workspace by its name, a file by the name it was
    uploaded with)."""
    return re.sub(r"(?:/[^/\s:]+)+/([^/\s:]+)", r"\1", text.replace(str(workspaces.home()) + "/", ""))


def _where(ws, paths: bool = False) -> str:
    """A workspace as the page names it: by its name (the tender id and, for an upload, its fingerprint), never
    by where the server keeps it."""
    return Path(str(ws.path)).stem


def _file_name(f) -> str:
    """A bid file by the name it was uploaded (or shipped) with."""
    return "" if f is None or f != f else str(f).replace("\\", "/").rsplit("/", 1)[-1]


def label(tender) -> str:
    """The tender's label as the page says it: a workspace by its name, not its file (no ".sqlite")."""
    return re.sub(r"(\S+)\.sqlite3?\b", r"\1", str(tender.label))


def workspace_label(tender_id, title, file) -> str:
    """A saved workspace as offered: its tender, and its name when that is not the tender id alone."""
    stem = Path(str(file)).stem
    return f"{tender_id} {title}".strip() + (f" (workspace {stem})" if stem != str(tender_id) else "")


def saved_table(saved: pd.DataFrame) -> pd.DataFrame:
    """The saved workspaces as a table reads: each by its name (never its place on the server), the last
    change as a date."""
    out = saved.assign(workspace=[Path(str(f)).stem for f in saved["file"]])
    named = (out["workspace"] != out["tender"].astype(str)).any()  # an upload's: its id and a fingerprint
    cols = ["tender", "title"] + (["workspace"] if named else []) + ["bids", "scores", "last change"]
    if (saved["problem"] != "").any():
        cols.append("problem")
    return out[cols]


def lots_table(rubric, bids: pd.DataFrame) -> pd.DataFrame:
    """The tender's lots as loaded: id, title, contract value and term (the lot's own, else the tender's), and
    how many bids each received."""
    t = rubric.tender
    counts = bids[LOT].astype(str).value_counts() if LOT in bids.columns else pd.Series(dtype=int)
    return pd.DataFrame([{"lot": lot.id, "title": lot.title,
                          "contract value": float(lot.contract_value or t.contract_value),
                          "term (years)": int(lot.duration_years or t.duration_years),
                          "bids": int(counts.get(lot.id, 0))} for lot in rubric.lots],
                        columns=["lot", "title", "contract value", "term (years)", "bids"])


def _commitments(bidset, lotted: bool):
    """Commitments per bid (per bidder and lot when the same supplier bids in several lots)."""
    bids, c = bidset.bids, bidset.commitments
    if lotted and LOT in c.columns:
        n = c.groupby(["bidder", LOT]).size()
        return [int(n.get((b, lot), 0)) for b, lot in zip(bids["bidder"], bids[LOT].astype(str))]
    return c.groupby("bidder").size().reindex(bids["bidder"]).fillna(0).astype(int).to_numpy()


with guard("the Tender page"):
    main()
