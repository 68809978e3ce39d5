"""`evaluate` and `explain`: the ranking of every bid under both lenses, and the working behind one bid's
numbers."""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from ..exceptions import EvaluatorError
from ..explain_tables import explain_tables
from ..terminal import shown
from ..flags import flag_words
from ..formatting import gbp
from ..suggestions import suggest
from ..tuning import widen_pipe
from .explain_text import explain_text, write_explain_csv
from .output import EXIT_OK, mark, print_json, rank, text_table
from .tender_args import add_rubric_args, load_tender, pick_lot, report_skipped


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
    x.add_argument("--lot", help="for a tender with lots: the lot whose bid to explain (needed when the bidder "
                                 "bids in more than one)")
    x.add_argument("--skip-invalid", action="store_true")
    x.add_argument("--csv", type=Path, metavar="DIR",
                   help="write each table as a CSV file into DIR (every column and digit) instead of printing it")


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
    print(render_lots(ev) if _lotted(ev) else render_ranking(ev))
    return EXIT_OK


def _lotted(ev) -> bool:
    """A LotsEvaluation (evaluator.lots): a tender with lots, one evaluation per lot."""
    return hasattr(ev, "lots") and hasattr(ev, "award")


def _cmd_explain(args) -> int:
    rubric, bidset, ev = load_tender(args)
    report_skipped(bidset)
    lot = None
    if _lotted(ev):
        lot = pick_lot(ev, args.bidder, args.lot)
        ev = ev.evaluation(lot)
    elif args.lot is not None:
        raise EvaluatorError("this tender has no lots: leave --lot out", file=args.rubric, field="--lot",
                             value=args.lot)
    bidders = ev.results["bidder"].tolist()
    if args.bidder not in set(bidders):
        raise EvaluatorError("is not a bidder in this tender" + suggest(args.bidder, bidders), field="--bidder",
                             value=args.bidder)
    tables = explain_tables(ev, args.bidder)
    if args.json:
        doc = {"tender": rubric.tender.id, "bidder": args.bidder}
        if lot is not None:
            doc["lot"] = lot
        doc["tables"] = {t.key: json.loads(t.frame.to_json(orient="records")) for t in tables}
        print_json(doc)
        return EXIT_OK
    if args.csv:
        written = write_explain_csv(tables, args.csv)
        print(shown(f"Wrote {len(written)} tables for {args.bidder} as CSV into {args.csv}: "
                    + ", ".join(p.name for p in written)))
        return EXIT_OK
    if lot is not None:
        title = next((x.title for x in rubric.lots if str(x.id) == lot), None)
        print(shown(f"Lot {lot}" + (f": {title}" if title else "") + f"; bid of {args.bidder}"))
    else:
        print(shown(f"The working behind {args.bidder}'s marks ({rubric.tender.id})"))
    print(explain_text(tables, args.bidder))
    return EXIT_OK



# the codes that disqualify a bid (DESIGN 5 and 9): the reasons a ranking gives for a DQ
DISQUALIFYING = ("SV203", "SV208", "SV209", "SV210")


def render_ranking(ev) -> str:
    r = _ranked(ev)
    official, other = ev.official_lens, ev.other_lens
    t = ev.rubric.tender
    head = [shown(f"{t.id}  {t.title}" + (f"  ({t.buyer})" if t.buyer else "")),
            f"Official lens: {official}; the {other} lens is shown beside it for comparison. "
            f"{len(r)} bids ranked " + ("by £ per quality point (lowest wins)." if _ppqp(ev.rubric)
                                         else "out of 100 marks.")]
    by_bid = _flags_by_bidder(ev.flags)
    out = head + ["", _ranking_table(ev, r, by_bid), ""] + _winner_lines(ev, r, "wins", by_bid)
    if ev.bidset.skipped:
        out.append(_skipped_line(ev.bidset))
    out += _rubric_flag_lines(ev.rubric_flags)
    out += _flag_lines(r, by_bid)
    return "\n".join(out)


def _flags_by_bidder(flags: pd.DataFrame) -> dict:
    """Each bidder's flags in the table's order, read once (a lotted or bulk tender has thousands of bids)."""
    out: dict = {}
    for x in flags.itertuples(index=False):
        out.setdefault(x.bidder, []).append(x)
    return out


def _ppqp(rubric) -> bool:
    return getattr(rubric, "award", "weighted") == "price_per_quality_point"


def _ranked(ev) -> pd.DataFrame:
    r = ev.results.copy()
    r["_order"] = r["rank"].astype("Float64").fillna(10**9)
    return r.sort_values(["_order", "total"], ascending=[True, False])


def _ranking_table(ev, r: pd.DataFrame, by_bid: dict) -> str:
    other = ev.other_lens
    ppqp = _ppqp(ev.rubric)
    rows = []
    for b in r.itertuples(index=False):
        counts = Counter(x.severity for x in by_bid.get(b.bidder, ()))
        flags = ", ".join(f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}"
                          for s in ("error", "warning", "info") if counts.get(s, 0))
        marks = ([mark(b.quality_points), gbp(b.price), gbp(b.price_per_point, 2)] if ppqp
                 else [mark(b.total), mark(b.price_score)])
        rows.append([rank(b.rank) if b.eligible else "DQ", b.bidder, *marks,
                     mark(b.quality_score), mark(b.social_value_score), rank(getattr(b, f"{other}_rank")),
                     gbp(b.claimed_value), gbp(b.credited_value), ("" if b.complete else "incomplete; ") + (flags or "none")])
    if ppqp:
        headers = ["Rank", "Bidder", "Quality points", "Price £", "£ per point"]
        right = {0, 2, 3, 4, 5, 6, 7, 8, 9}
    else:
        headers = ["Rank", "Bidder", "Total", "Price"]
        right = {0, 2, 3, 4, 5, 6, 7, 8}
    return text_table(rows, headers + ["Quality", "Social value", f"{other.title()} rank", "Claimed £", "Credited £",
                                       "Flags"], right=right)


def _winner_lines(ev, r: pd.DataFrame, verb: str, by_bid: dict) -> list[str]:
    official, other = ev.official_lens, ev.other_lens
    out = []
    w_off, w_oth = ev.winner(official), ev.winner(other)
    if w_off and w_oth and w_off != w_oth:
        out.append(f"The winner changes with the lens: {shown(w_off)} under the {official} lens, {shown(w_oth)} under "
                   f"the {other} lens." if verb == "wins" else
                   f"First place changes with the lens: {shown(w_off)} under the {official} lens, {shown(w_oth)} "
                   f"under the {other} lens.")
    elif w_off:
        out.append(f"{shown(w_off)} {verb} under both lenses.")
    dq = r[~r["eligible"]]
    for b in dq.itertuples(index=False):
        reasons = [x.message for x in by_bid.get(b.bidder, ()) if x.code in DISQUALIFYING]
        out.append(f"Disqualified: {shown(b.bidder)}: " + "; ".join(shown(x) for x in reasons))
    return out


def _skipped_line(bidset) -> str:
    return "Skipped (problems in the files): " + ", ".join(
        shown(f"{s['bidder'] or '?'} ({Path(s['file']).name})") for s in bidset.skipped)


def _rubric_flag_lines(rubric_flags) -> list[str]:
    if rubric_flags.empty:
        return []
    return ["", "Design checks on the rubric:"] + [
        f"  {flag_words(f.code)} ({f.code}, {f.severity}): {shown(f.message)}" for f in rubric_flags.itertuples(index=False)]


def _flag_lines(r: pd.DataFrame, by_bid: dict) -> list[str]:
    out = ["", "Flags by bid (error: not credited in the design lens; warning: credited but questioned; info):"]
    for b in r.itertuples(index=False):
        f = by_bid.get(b.bidder, [])
        out.append(f"\n{shown(b.bidder)}" + ("" if len(f) else ": no flags"))
        for sev in ("error", "warning", "info"):
            g = [x for x in f if x.severity == sev]
            if not g:
                continue
            out.append(f"  {sev}s ({len(g)})" if len(g) != 1 else f"  {sev} (1)")
            for x in g:
                where = x.commitment if isinstance(x.commitment, str) else (x.criterion if isinstance(x.criterion, str) else "bid")
                out.append(f"    {flag_words(x.code)} ({x.code}) [{shown(where)}]: {shown(x.message)}")
    return out


def render_lots(lev) -> str:
    """A tender with lots (DESIGN 9.3): each lot's ranking, who it is awarded to and anyone passed over
    by the limit on lots per supplier, then the award across lots."""
    rubric = lev.rubric
    t = rubric.tender
    award = lev.award
    limit = getattr(rubric.spec, "max_lots_per_supplier", None)
    ppqp = _ppqp(rubric)
    out = [shown(f"{t.id}  {t.title}" + (f"  ({t.buyer})" if t.buyer else "")),
           f"{len(rubric.lots)} lots, each evaluated on its own. Official lens: {rubric.official_lens}; the other "
           "lens is shown beside it for comparison. Bids ranked "
           + ("by £ per quality point (lowest wins)." if ppqp else "out of 100 marks.") + " Lots are awarded in "
           "descending contract value" + (f"; at most {limit} lot{'s' if limit != 1 else ''} per supplier."
                                          if limit else ".")]
    by_lot = {str(a["lot"]): a for a in award.to_dict("records")}
    for lot in rubric.lots:
        ev = lev.evaluation(lot.id)
        r = _ranked(ev)
        by_bid = _flags_by_bidder(ev.flags)
        a = by_lot.get(str(lot.id), {})
        value = getattr(lot, "contract_value", None)
        if value is None:
            value = a.get("contract_value")
        out += ["", f"=== Lot {shown(lot.id)}: {shown(lot.title or lot.id)}"
                + (f" (contract value {gbp(value)})" if value is not None else "") + " ==="]
        if r.empty:
            out.append("No bids for this lot: not awarded.")
            continue
        out += [f"{len(r)} bid{'s' if len(r) != 1 else ''}.", "", _ranking_table(ev, r, by_bid), ""]
        out += _winner_lines(ev, r, "ranks first", by_bid)
        out += _award_lines(a, by_lot, limit)
        out += _flag_lines(r, by_bid)
    if lev.bidset.skipped:
        out += ["", _skipped_line(lev.bidset)]
    out += ["", "Award across lots (in the order awarded):", _award_table(award)]
    out += _rubric_flag_lines(lev.rubric_flags)
    return "\n".join(out)


def _passed_over(a: dict) -> list[str]:
    p = a.get("passed_over")
    return [] if p is None or (isinstance(p, float) and p != p) else [str(x) for x in p]


def _award_lines(a: dict, by_lot: dict, limit) -> list[str]:
    if not a:
        return []
    to = a.get("awarded_to")
    out = [f"Awarded to {shown(to)}." if isinstance(to, str) and to else "Not awarded: no eligible bid."]
    order = a.get("order")
    for b in _passed_over(a):
        held = [lot for lot, x in by_lot.items() if x.get("awarded_to") == b and order is not None
                and x.get("order") is not None and x["order"] < order]
        out.append(f"Passed over: {shown(b)}, already awarded {len(held)} lot{'s' if len(held) != 1 else ''}"
                   + (f" ({', '.join(map(shown, held))})" if held else "")
                   + (f", the most one supplier may hold ({limit})." if limit else "."))
    return out


def _award_table(award: pd.DataFrame) -> str:
    rows = []
    for a in award.sort_values("order").to_dict("records"):
        to = a.get("awarded_to")
        rows.append([str(a["order"]), a["lot"], a.get("title") or "", gbp(a.get("contract_value")),
                     to if isinstance(to, str) and to else "not awarded", ", ".join(_passed_over(a)) or "-"])
    return text_table(rows, ["Order", "Lot", "Title", "Contract value", "Awarded to", "Passed over"], right={0, 3})


VERBS = {"evaluate": _cmd_evaluate, "explain": _cmd_explain}
