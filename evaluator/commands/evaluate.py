"""`evaluate` and `explain`: the ranking of every bid under both lenses, and the working behind one bid's
numbers."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from ..explain_tables import explain_tables
from ..terminal import shown
from ..formatting import gbp
from ..tuning import widen_pipe
from .output import EXIT_OK, mark, print_json, rank, shown_frame, text_table
from .tender_args import add_rubric_args, load_tender, report_skipped


def add_parsers(sub) -> None:
    e = sub.add_parser("evaluate", help="score and rank every bid under both lenses")
    add_rubric_args(e, rubric_required=False)
    e.add_argument("--bids", type=Path, help="folder of bids (one file per bid, or bulk CSVs)")
    e.add_argument("--db", type=Path, help="a workspace (from `workspace init`): its files and scores are used")
    e.add_argument("--scores", type=Path, help="evaluator scores CSV (bidder,criterion,evaluator,score,rationale)")
    e.add_argument("--skip-invalid", action="store_true",
                   help="rank the good bids even if some bid files have problems (they are listed as skipped)")

    x = sub.add_parser("explain", help="the working behind every number for one bid")
    add_rubric_args(x)
    x.add_argument("--bids", required=True, type=Path)
    x.add_argument("--scores", type=Path)
    x.add_argument("--bidder", required=True, help="the bidder's name as in its bid")
    x.add_argument("--skip-invalid", action="store_true")


def _cmd_evaluate(args) -> int:
    rubric, bidset, ev = load_tender(args)
    report_skipped(bidset)
    if args.json:
        sys.stdout.flush()
        widen_pipe(sys.stdout)
        ev.write_json(sys.stdout.buffer)  # streamed: a bulk tender's 200+ MB is never held whole
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        return EXIT_OK
    print(render_ranking(ev))
    return EXIT_OK


def _cmd_explain(args) -> int:
    rubric, bidset, ev = load_tender(args)
    report_skipped(bidset)
    tables = explain_tables(ev, args.bidder)
    if args.json:
        print_json({"tender": rubric.tender.id, "bidder": args.bidder,
                    "tables": {t.key: json.loads(t.frame.to_json(orient="records")) for t in tables}})
        return EXIT_OK
    with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_colwidth", 60,
                           "display.max_rows", 500):
        for t in tables:
            print(f"\n== {t.title} ==")
            print("(none)" if t.frame.empty else shown_frame(t.frame).to_string(index=False))
    return EXIT_OK



def render_ranking(ev) -> str:
    r = ev.results.copy()
    official, other = ev.official_lens, ev.other_lens
    r["_order"] = r["rank"].astype("Float64").fillna(10**9)
    r = r.sort_values(["_order", "total"], ascending=[True, False])
    t = ev.rubric.tender
    head = [shown(f"{t.id}  {t.title}" + (f"  ({t.buyer})" if t.buyer else "")),
            f"Official lens: {official}; the {other} lens is shown beside it for comparison. "
            f"{len(r)} bids ranked out of 100 marks."]
    rows = []
    for b in r.itertuples(index=False):
        counts = ev.flags[ev.flags["bidder"] == b.bidder]["severity"].value_counts()
        flags = ", ".join(f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}"
                          for s in ("error", "warning", "info") if counts.get(s, 0))
        rows.append([rank(b.rank) if b.eligible else "DQ", b.bidder, mark(b.total), mark(b.price_score),
                     mark(b.quality_score), mark(b.social_value_score), rank(getattr(b, f"{other}_rank")),
                     gbp(b.claimed_value), gbp(b.credited_value), ("" if b.complete else "incomplete; ") + (flags or "none")])
    table = text_table(rows, ["Rank", "Bidder", "Total", "Price", "Quality", "Social value", f"{other.title()} rank",
                              "Claimed £", "Credited £", "Flags"], right={0, 2, 3, 4, 5, 6, 7, 8})
    out = head + ["", table, ""]
    w_off, w_oth = ev.winner(official), ev.winner(other)
    if w_off and w_oth and w_off != w_oth:
        out.append(f"The winner changes with the lens: {shown(w_off)} under the {official} lens, {shown(w_oth)} under "
                   f"the {other} lens.")
    elif w_off:
        out.append(f"{shown(w_off)} wins under both lenses.")
    dq = r[~r["eligible"]]
    for b in dq.itertuples(index=False):
        reasons = ev.flags[(ev.flags["bidder"] == b.bidder) & (ev.flags["code"] == "SV203")]["message"]
        out.append(f"Disqualified: {shown(b.bidder)}: " + "; ".join(shown(x) for x in reasons))
    if ev.bidset.skipped:
        out.append("Skipped (problems in the files): " + ", ".join(
            shown(f"{s['bidder'] or '?'} ({Path(s['file']).name})") for s in ev.bidset.skipped))
    if not ev.rubric_flags.empty:
        out += ["", "Design checks on the rubric:"]
        out += [f"  {f.code} {f.name} ({f.severity}): {shown(f.message)}" for f in ev.rubric_flags.itertuples(index=False)]
    out += ["", "Flags by bid (error: not credited in the design lens; warning: credited but questioned; info):"]
    for b in r.itertuples(index=False):
        f = ev.flags[ev.flags["bidder"] == b.bidder]
        out.append(f"\n{shown(b.bidder)}" + ("" if len(f) else ": no flags"))
        for sev in ("error", "warning", "info"):
            g = f[f["severity"] == sev]
            if g.empty:
                continue
            out.append(f"  {sev}s ({len(g)})" if len(g) != 1 else f"  {sev} (1)")
            for x in g.itertuples(index=False):
                where = x.commitment if isinstance(x.commitment, str) else (x.criterion if isinstance(x.criterion, str) else "bid")
                out.append(f"    {x.code} {x.name} [{shown(where)}]: {shown(x.message)}")
    return "\n".join(out)


VERBS = {"evaluate": _cmd_evaluate, "explain": _cmd_explain}
