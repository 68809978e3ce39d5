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
from app.design_editor import field_words
from app.ui import escape_md, guard, plain_flags, show_problems, show_table
from app.uploads import error_lines
from evaluator import (EvaluatorError, delivery_chart, flag_rows, formula_safe_frame, lot_rows, portfolio_charts,
                       review_paths, track)
from evaluator.formatting import percent
from evaluator.review_output import STATUS_WORDS

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
    """A reviewed file as a table shows it: by its name (an upload as the user named it, a shipped file or a
    lead's own file without the server's folders)."""
    if source is None or source != source:
        return ""
    return Path(str(source)).name


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
    m[4].metric("Figures only", f"{s['design']['figures_only']:,}",
                help="Social value weighted, but marked on the £ figures claimed, with no outcomes designed (check SV306)")
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

    st.subheader("How mature each buyer's social-value practice is (Moxham's levels)")
    st.markdown(MATURITY_WORDS)
    buyers = pd.DataFrame(s["buyers"])
    show_table(first(buyers_table(buyers), ["buyer", "stage", "why"]), kinds={"buyer": "text", "stage": "text",
                                                                              "why": "text"})

    st.subheader("Every tender and lot")
    lots = got["lots"]
    only = st.checkbox("Only tenders with flags", value=False, key="review_only_flagged")
    shown = lots[lots["flags"].astype(str) != ""] if only and len(lots) else lots
    show_table(first(lots_table(shown), ["title", "buyer", "lot", "design", "social value weight", "flags (codes)"]),
               kinds=TEXT_KINDS | {"weights add up to": "number", "social value weight": "number"})
    st.subheader("Flags")
    show_table(first(flags_table(got["flags"]), ["flag", "title", "buyer", "lot", "message", "fix"]), kinds=TEXT_KINDS)
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
    label = re.sub(r"(\S+)[.]sqlite3?", r"\1", str(tender.label))  # a workspace by its name, never its file
    st.caption(escape_md(f"Contract stage for the tender in use: {label}. "
                         "Delivery returns are a CSV file with a row per commitment and period: the bidder, the "
                         "commitment, the period, the quantity delivered, the evidence grade and what the evidence "
                         "is. Periods are contract years (Y2) or quarters (Y2-Q3)."))
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
        st.caption(f"Showing the delivery returns shipped with the sample ({SAMPLE_DELIVERY.name}).")
    else:
        st.info("Upload the contract holders' delivery returns for this tender.")
        return
    tr, problems = run_track(f"{tender.key}:{rubric.tender.id}:{id(rubric)}", rubric, tender.bidset, name, data)
    if problems:
        show_problems(problems)
        return
    contracts = tr.contracts
    show_table(first(contracts.rename(columns=CONTRACT_WORDS).assign(**{
        "reported to the end of": contracts["as_of"].map(period_words)}),
        ["bidder", "rating", "share of what was due", "delivered and credited", "promised to date"]),
        kinds=CONTRACT_KINDS)
    holder = st.selectbox("Contract holder", contracts["bidder"].tolist(), key="review_holder")
    c = contracts.set_index("bidder").loc[holder]
    share = percent(c["share_to_date"])
    st.markdown(escape_md(f"{holder}, to the end of {period_words(c['as_of'])}: {c['rating'] or 'nothing due yet'}"
                          + (f" ({share} of what was due)." if share else ".")))
    st.altair_chart(delivery_chart(tr.by_period, holder), width="stretch")
    st.markdown("**Each commitment: promised against delivered**")
    mine = tr.commitments[tr.commitments["bidder"] == holder].drop(columns=["bidder", "_due_value"], errors="ignore")
    show_table(first(mine.rename(columns=COMMITMENT_WORDS),
                     ["commitment", "rating", "share of what was due", "delivered", "promised to date", "unit"]),
               kinds=COMMITMENT_KINDS)
    st.markdown("**The buyer's outcomes: promised against delivered**")
    outcomes = tr.outcomes[tr.outcomes["bidder"] == holder].drop(columns=["bidder"], errors="ignore")
    show_table(first(outcomes.rename(columns=OUTCOME_WORDS),
                     ["outcome", "attainment so far", "promised attainment to date", "name"]), kinds=OUTCOME_KINDS)
    flags = tr.flags[tr.flags["bidder"] == holder]
    if len(flags):
        st.markdown("**Flags on the delivery returns**")
        show_table(first(flags_table(flags.drop(columns=["bidder"], errors="ignore")),
                         ["flag", "commitment", "message", "fix"]), kinds=TEXT_KINDS)


# ------------------------------------------------------------------------------------------ tables in words

MATURITY_WORDS = (
    "Each buyer is placed at one of four levels of Moxham's performance-management matrix, read from its tenders:\n"
    "- **Stagnation**: no tender weights social value (at most it is mentioned in the text), so nothing is measured.\n"
    "- **Compliance**: social value is weighted, but most weighted tenders publish no design (outcomes, targets "
    "and the evidence required), so figures are collected only to report upwards.\n"
    "- **Standardisation**: most weighted tenders are designed with outcomes, targets and evidence requirements, "
    "but no delivery data comes back.\n"
    "- **Learning**: designed as above, and delivery data comes back for at least one contract (delivery returns, "
    "or the contract's published implementation data), so the buyer can learn from what was delivered.")
KIND_WORDS = {"rubric": "Rubric", "ocds": "Published notice"}
TEXT_KINDS = {c: "text" for c in ("file", "kind", "OCID", "title", "buyer", "lot", "criteria", "design",
                                   "flags (codes)", "flag", "code", "severity", "commitment", "criterion", "message",
                                   "fix", "why")}
BUYER_WORDS = {"weighted": "weight social value", "meet_minimum": "meet the 10% minimum",
               "designed": "designed with outcomes", "delivered": "delivery data comes back",
               "text_only": "social value in the text only", "maturity": "stage", "reason": "why"}
CONTRACT_WORDS = {"as_of": "reported to the end of", "as_of_years": "years into the contract",
                  "commitments_due": "commitments due", "promised_value_to_date": "promised to date",
                  "credited_delivered_value": "delivered and credited", "share_to_date": "share of what was due"}
CONTRACT_KINDS = {"reported to the end of": "text", "years into the contract": "number", "commitments": "whole",
                  "commitments due": "whole", "promised to date": "money", "delivered and credited": "money",
                  "share of what was due": "percent", "rating": "text"}
COMMITMENT_WORDS = {"promised_quantity": "promised", "promised_to_date": "promised to date",
                    "delivered_quantity": "delivered", "periods_reported": "periods reported",
                    "share_of_commitment": "share of the commitment delivered",
                    "share_to_date": "share of what was due", "not_credited_reason": "not credited because",
                    "promised_value_to_date": "promised to date, £",
                    "credited_delivered_value": "delivered and credited, £"}
COMMITMENT_KINDS = {"commitment": "text", "measure": "text", "outcome": "text", "promised": "number",
                    "promised to date": "number", "delivered": "number", "periods reported": "whole",
                    "share of the commitment delivered": "percent", "share of what was due": "percent",
                    "credited": "text", "not credited because": "text", "promised to date, £": "money",
                    "delivered and credited, £": "money", "rating": "text"}
OUTCOME_WORDS = {"promised_net_quantity": "promised (net)", "promised_attainment": "promised attainment",
                 "promised_net_to_date": "promised to date (net)",
                 "promised_attainment_to_date": "promised attainment to date",
                 "delivered_net_quantity": "delivered (net)", "attainment": "attainment so far"}
OUTCOME_KINDS = {"outcome": "text", "name": "text", "target": "number", "promised (net)": "number",
                 "promised attainment": "percent", "promised to date (net)": "number",
                 "promised attainment to date": "percent", "delivered (net)": "number", "attainment so far": "percent"}


def first(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns a reader looks for first (on a phone, the rest are a scroll away), then the others."""
    lead = [c for c in columns if c in table.columns]
    return table[lead + [c for c in table.columns if c not in lead]]


def period_words(period) -> str:
    """A contract period as said: 'Y2-Q2' -> 'year 2, quarter 2', 'Y3' -> 'year 3'; anything else as it is."""
    m = re.fullmatch(r"Y(\d+)(?:-Q(\d))?", str(period or "").strip())
    if not m:
        return "" if period is None or period != period else str(period)
    return f"year {m.group(1)}" + (f", quarter {m.group(2)}" if m.group(2) else "")


def buyers_table(buyers: pd.DataFrame) -> pd.DataFrame:
    """Each buyer's maturity as a reviewer reads it: counts of its tenders, its stage in words and why."""
    if buyers.empty:
        return buyers
    out = buyers.rename(columns=BUYER_WORDS)
    if "stage" in out.columns:
        out["stage"] = out["stage"].astype(str).str.capitalize()
    return out


def _criteria_words(text) -> str:
    """'quality:Social value delivery plan=10; social_value:Social value commitments=20' as
    'Social value delivery plan 10; Social value commitments 20'."""
    if text is None or text != text:
        return ""
    parts = []
    for part in str(text).split("; "):
        kind, sep, rest = part.partition(":")
        rest = rest if sep and re.fullmatch(r"[a-z_?]+", kind) else part
        name, eq, weight = rest.rpartition("=")
        parts.append(f"{name} {weight}".strip() if eq else rest)
    return "; ".join(p for p in parts if p)


def lots_table(lots: pd.DataFrame) -> pd.DataFrame:
    """Every tender and lot in words: the file by its name, the criteria as names and weights, the design
    status in words, the flags by their codes (each is in words in the Flags table)."""
    out = lots.copy()
    if out.empty:
        return out
    out["source"] = out["source"].map(lambda s: "" if s is None or s != s else Path(str(s)).name)
    out["criteria"] = out["criteria"].map(_criteria_words)
    out["design_status"] = out["design_status"].map(lambda v: STATUS_WORDS.get(v, str(v or "").replace("_", " ")))
    out["kind"] = out["kind"].map(lambda k: KIND_WORDS.get(k, "" if k is None or k != k else str(k)))
    return out.rename(columns={"source": "file", "ocid": "OCID", "weight_total": "weights add up to",
                               "social_value_weight": "social value weight", "design_status": "design",
                               "flags": "flags (codes)"})


def flags_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Flags with their names in words first, messages with field names in words, no column left empty."""
    if flags.empty or "code" not in flags.columns:
        return flags
    out = plain_flags(flags).rename(columns={"ocid": "OCID"})
    for col in ("message", "fix"):
        if col in out.columns:
            out[col] = out[col].map(field_words)
    empty = [c for c in out.columns if out[c].map(lambda v: v is None or v != v or str(v).strip() == "").all()]
    return out.drop(columns=empty)


def main() -> None:
    st.title("Review")
    st.caption("Pilot reviews of commissioning practice: how social value is weighted and designed across many "
               "tenders, and whether what was promised is delivered.")
    with guard("the portfolio review"):
        portfolio_section()
    with guard("promised against delivered"):
        delivery_section()


main()
