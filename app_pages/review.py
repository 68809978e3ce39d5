"""Review: commissioning practice across many tenders, and promised against delivered at contract stage.

For reviewers of practice. Load published tenders (OCDS releases, packages, records, JSON Lines, gzipped)
and rubrics, or use the shipped rubrics and, when present, the Sell2Wales releases; see the portfolio
(who weights social value and how much, designed against figures-only, the commonest design gaps, each
buyer's maturity), every tender and lot with its flags; then track a contract's delivery returns against
the bid that won.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app import access
from app.samples import ROOT
from app.state import HEAVY_TTL, get_rubric, get_tender, heavy_cache
from app.ui import escape_md, guard, show_problems, text_table
from app.uploads import error_lines
from evaluator import (EvaluatorError, delivery_chart, flag_rows, formula_safe_frame, lot_rows, portfolio_charts,
                       review_paths, track)

WALES = ROOT.parent / "shared" / "data" / "ocds_wales"
SHIPPED_RUBRICS = [ROOT / "rubrics" / "home_care_north.yaml", ROOT / "rubrics" / "schools_fm.yaml"]
SAMPLE_DELIVERY = ROOT / "sample_bids" / "home_care_north" / "delivery.csv"
UPLOAD_TYPES = ["json", "jsonl", "ndjson", "gz", "yaml", "yml"]


def _stamp(paths: list[Path]) -> tuple:
    """What makes a cached review stale: every file's path, size and time."""
    out = []
    for p in paths:
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
        out += [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    return tuple(out)


@st.cache_data(show_spinner="Reviewing…", max_entries=8, ttl=HEAVY_TTL)
def run_review(paths: tuple[str, ...], stamp: tuple, uploads: tuple[tuple[str, bytes], ...],
               delivered: tuple[str, ...]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        extra = []
        for i, (name, data) in enumerate(uploads):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = folder / (Path(name).name or "upload.json")
            path.write_bytes(data)
            extra.append(path)
        review = review_paths([Path(p) for p in paths] + extra, delivered)
        doc = _no_server_folders(review.to_json(), tmp)
        tables = {"lots": pd.DataFrame(lot_rows(review)), "flags": pd.DataFrame(flag_rows(review)),
                  "problems": pd.DataFrame(review.problems)}
    for t in tables.values():  # upload and shipped files by name, never the server's folders
        if "source" in t:
            t["source"] = t["source"].astype(object).map(lambda s: _shown(s, tmp))
    return {"doc": doc, **tables}


def _no_server_folders(doc: dict, tmp: str) -> dict:
    """The review's JSON with the server's folders taken out of every file it names (as _shown does)."""
    import json
    text = json.dumps(doc)
    text = re.sub(re.escape(json.dumps(tmp)[1:-1]) + r"/\d+/", "", text)
    for base in (ROOT, WALES.parent):
        text = text.replace(json.dumps(str(base) + "/")[1:-1], "")
    return json.loads(text)


def _shown(source, tmp: str) -> str:
    """A reviewed file as a table shows it: an upload by its name, a shipped file from its shipped folder
    (rubrics/home_care_north.yaml, ocds_wales/...), anything else (a lead's own path) as given."""
    text = str(source)
    if text.startswith(tmp):
        return Path(text).name
    for base in (ROOT, WALES.parent):
        prefix = str(base) + "/"
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


@heavy_cache(max_entries=8)
def run_track(rubric_key: str, _rubric, _bidset, name: str, data: bytes):
    """(tracking or None, problem lines). The lines, not the exception: a cached value is pickled, and an
    exception does not come back from that whole (InputErrors cannot be rebuilt at all)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(name).name or "delivery.csv")
        path.write_bytes(data)
        try:
            return track(_rubric, _bidset, path), []
        except EvaluatorError as exc:
            return None, [line.replace(str(path), path.name) for line in error_lines(exc)]


def portfolio_section() -> None:
    st.subheader("Tenders to review")
    c1, c2 = st.columns(2)
    use_rubrics = c1.checkbox("The shipped rubrics", value=True, key="review_rubrics")
    use_wales = c2.checkbox(f"Sell2Wales releases ({len(list(WALES.glob('*.json')))} files)" if WALES.is_dir()
                            else "Sell2Wales releases (not present on this machine)", value=WALES.is_dir(),
                            disabled=not WALES.is_dir(), key="review_wales")
    files = st.file_uploader("OCDS files (release, release or record package, JSON Lines; .gz too) or rubrics (YAML)",
                             type=UPLOAD_TYPES, accept_multiple_files=True, key="review_uploads")
    local = ""
    if access.server_paths_allowed():  # a server path is the lead's alone (DESIGN.md section 10)
        local = st.text_input("Or a file or folder on this machine (for large downloads)", key="review_local").strip()
    delivered = st.text_input("Tenders whose delivery data flows back (rubric ids or OCIDs, comma-separated)",
                              value="HC-2026-014" if SAMPLE_DELIVERY.is_file() else "", key="review_delivered",
                              help="Used for the maturity reading. HC-2026-014 has the shipped delivery returns.")
    paths = ([str(p) for p in SHIPPED_RUBRICS] if use_rubrics else []) + ([str(WALES)] if use_wales and WALES.is_dir() else [])
    if local:
        paths.append(local)
    uploads = tuple((f.name, f.getvalue()) for f in files or [])
    if not paths and not uploads:
        st.info("Choose the shipped rubrics, the Sell2Wales releases, upload files or give a folder to review.")
        return
    got = run_review(tuple(paths), _stamp([Path(p) for p in paths]), uploads,
                     tuple(x.strip() for x in delivered.split(",") if x.strip()))
    s = got["doc"]["summary"]
    problems = got["problems"]
    if len(problems):
        show_problems([f"{p['source']}" + (f" ({p['where']})" if isinstance(p.get("where"), str) else "")
                       + f": {p['message']}" for p in problems.to_dict("records")], kind="warning")
    st.subheader("Portfolio")
    m = st.columns(5)
    m[0].metric("Tenders", f"{s['tenders']:,}", help=f"{s['lots']:,} lots")
    m[1].metric("Weight social value", f"{s['weight_social_value']['tenders']:,}")
    m[2].metric("Meet the 10% minimum", f"{s['meet_10_percent']['tenders']:,}")
    m[3].metric("Designed with outcomes", f"{s['design']['designed']:,}")
    m[4].metric("Figures only (SV306)", f"{s['design']['figures_only']:,}")
    med = s["social_value_weight"].get("median")
    st.caption(("Social-value weight where weighted: median " + f"{med:g}%, range {s['social_value_weight']['min']:g}-"
                f"{s['social_value_weight']['max']:g}%. " if med is not None else "No tender weights social value. ")
               + "A tender counts as weighting social value when an award criterion about social value, community "
               "benefits, wellbeing or the environment carries a weight; published notices rarely carry the design "
               "itself, so OCDS tenders are 'design not published'.")
    charts = portfolio_charts(s)
    c1, c2 = st.columns(2)
    c1.altair_chart(charts["weight"], width="stretch")
    c2.altair_chart(charts["design"], width="stretch")
    c1, c2 = st.columns(2)
    c1.altair_chart(charts["gaps"], width="stretch")
    c2.altair_chart(charts["maturity"], width="stretch")

    st.subheader("Maturity per buyer (Moxham)")
    st.caption(s["maturity_rule"])
    buyers = pd.DataFrame(s["buyers"])
    st.dataframe(text_table(buyers), hide_index=True, width="stretch")

    st.subheader("Every tender and lot")
    lots = got["lots"]
    only = st.checkbox("Only tenders with flags", value=False, key="review_only_flagged")
    shown = lots[lots["flags"].astype(str) != ""] if only and len(lots) else lots
    st.dataframe(text_table(shown), hide_index=True, width="stretch")
    st.subheader("Flags")
    st.dataframe(text_table(got["flags"]), hide_index=True, width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Review (JSON)", _json(got["doc"]), "review.json", "application/json")
    c2.download_button("Tenders and lots (CSV)", formula_safe_frame(lots).to_csv(index=False), "lots.csv", "text/csv")
    c3.download_button("Buyers (CSV)", formula_safe_frame(buyers).to_csv(index=False), "buyers.csv", "text/csv")


def _json(doc: dict) -> bytes:
    import orjson
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def delivery_section() -> None:
    st.subheader("Promised against delivered")
    tender = get_tender()
    rubric = get_rubric()
    st.caption(f"Contract stage for the tender in use: {tender.label}. Delivery returns are "
               "bidder,commitment,period,delivered_quantity,evidence_grade,evidence_description; periods are "
               "contract years (Y2) or quarters (Y2-Q3).")
    up = st.file_uploader("Delivery returns (CSV)", type=["csv"], key="review_delivery")
    local = ""
    if access.server_paths_allowed():
        local = st.text_input("Or a delivery file on this machine", key="review_delivery_local").strip()
    if up is not None:
        name, data = up.name, up.getvalue()
    elif local:
        path = Path(local)
        if not path.is_file():
            show_problems([f"{local}: file not found"])
            return
        name, data = path.name, path.read_bytes()
    elif rubric.tender.id == "HC-2026-014" and SAMPLE_DELIVERY.is_file():
        name, data = SAMPLE_DELIVERY.name, SAMPLE_DELIVERY.read_bytes()
        st.caption("Showing the shipped sample returns (sample_bids/home_care_north/delivery.csv).")
    else:
        st.info("Upload the contract holders' delivery returns for this tender.")
        return
    tr, problems = run_track(f"{tender.key}:{rubric.tender.id}:{id(rubric)}", rubric, tender.bidset, name, data)
    if problems:
        show_problems(problems)
        return
    contracts = tr.contracts
    st.dataframe(text_table(contracts), hide_index=True, width="stretch")
    holder = st.selectbox("Contract holder", contracts["bidder"].tolist(), key="review_holder")
    c = contracts.set_index("bidder").loc[holder]
    share = "-" if c["share_to_date"] != c["share_to_date"] else f"{c['share_to_date']:.0%}"
    st.markdown(escape_md(f"{holder}, to the end of {c['as_of']}: {c['rating'] or 'nothing due yet'} "
                          f"({share} of what was due)."))
    st.altair_chart(delivery_chart(tr.by_period, holder), width="content")
    st.dataframe(text_table(tr.commitments[tr.commitments["bidder"] == holder].drop(columns=["_due_value"],
                                                                                   errors="ignore")),
                 hide_index=True, width="stretch")
    st.dataframe(text_table(tr.outcomes[tr.outcomes["bidder"] == holder]), hide_index=True, width="stretch")
    flags = tr.flags[tr.flags["bidder"] == holder]
    if len(flags):
        st.dataframe(text_table(flags), hide_index=True, width="stretch")


def main() -> None:
    st.title("Review")
    st.caption("Pilot reviews of commissioning practice: how social value is weighted and designed across many "
               "tenders, and whether what was promised is delivered.")
    with guard("the portfolio review"):
        portfolio_section()
    with guard("promised against delivered"):
        delivery_section()


main()
