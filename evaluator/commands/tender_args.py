"""The arguments that name a tender (--rubric, --proxies, --bids, --scores, or --db with a workspace) and
the tender they load: rubric, bids and evaluation, with the bids that were set aside said on stderr."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..exceptions import EvaluatorError, InputErrors
from ..suggestions import suggest
from ..terminal import shown


def add_rubric_args(sp: argparse.ArgumentParser, rubric_required: bool = True) -> None:
    """--rubric, --proxies and --json, which every verb about one tender takes."""
    sp.add_argument("--rubric", required=rubric_required, type=Path, help="the tender's rubric (YAML)")
    sp.add_argument("--proxies", type=Path, help="a proxy table (CSV) to use instead of the rubric's own")
    sp.add_argument("--json", action="store_true", help="machine-readable output")


def load_tender(args):
    """(rubric, bidset, evaluation) from --db's workspace, or from --rubric, --bids and --scores; bids with
    problems stop the run unless --skip-invalid."""
    from ..bids import load_bids
    from ..rubric import load_rubric
    from ..scores import load_scores

    if getattr(args, "db", None):  # a workspace holds its own copies of the files and the scores
        from ..scores import SCORE_COLUMNS
        from ..workspace import Workspace
        ws = Workspace.open(args.db)
        args.workspace_head = head = ws.check()  # a tampered workspace is named (exit 1), never evaluated
        if head.unchecked:
            print(f"note: {args.db}: {head.unchecked}; its contents were checked, its chain's hashes were not",
                  file=sys.stderr)
        rubric, bidset = ws.load_tender()
        frame = ws.scores()
        cols = SCORE_COLUMNS + (["lot"] if "lot" in frame.columns else []) + ["_row"]
        return rubric, bidset, evaluate_tender(rubric, bidset, frame[cols])
    if args.rubric is None or args.bids is None:
        raise EvaluatorError("give --rubric and --bids (and optionally --scores), or --db with a workspace",
                             field="--rubric" if args.rubric is None else "--bids")
    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    bidset = load_bids(args.bids, rubric, parsed=getattr(args, "parsed", None))
    if bidset.problems and not args.skip_invalid:
        tail = (f"{len(bidset.skipped)} bid(s) have problems; fix them, or pass --skip-invalid to rank the rest"
                if bidset.skipped else "the bids cannot be loaded until the problems above are fixed")
        raise InputErrors(bidset.problems + [EvaluatorError(tail, file=args.bids)])
    if bidset.bids.empty:
        raise EvaluatorError("no usable bids: every bid has problems", file=args.bids)
    scores = None
    if args.scores:
        # a skipped bid's scores are still the panel's record: accepted, just not used in the ranking
        skipped = [s["bidder"] for s in bidset.skipped if s["bidder"]]
        scores = load_scores(args.scores, rubric, bidset.bidders + skipped)
        scores = scores[scores["bidder"].isin(bidset.bidders)].reset_index(drop=True)
    return rubric, bidset, evaluate_tender(rubric, bidset, scores)


def evaluate_tender(rubric, bidset, scores):
    """An Evaluation, or for a tender with lots a LotsEvaluation (one Evaluation per lot, and the award)."""
    if getattr(rubric, "has_lots", False):
        from ..lots import evaluate_tender as evaluate_lots
        return evaluate_lots(rubric, bidset, scores)
    from ..evaluation import evaluate
    return evaluate(rubric, bidset, scores)


def pick_lot(lev, bidder: str, lot) -> str:
    """The lot of a LotsEvaluation whose bid a verb about one bidder shows (explain): --lot if given (it must
    be a lot of the tender, and the bidder must bid in it), else the one lot the bidder bids in. One line
    naming the lots when it is unknown or ambiguous."""
    ids = [str(x.id) for x in lev.rubric.lots]
    bids_in = [i for i in ids if bidder in set(lev.evaluation(i).results["bidder"])]
    if lot is not None:
        if str(lot) not in ids:
            raise EvaluatorError(f"is not a lot of this tender; its lots are {', '.join(ids)}", field="--lot", value=lot)
        if str(lot) not in bids_in:
            where = f"it bids in {', '.join(bids_in)}" if bids_in else f"it bids in none of {', '.join(ids)}"
            raise EvaluatorError(f"has no bid in lot {lot}; {where}", field="--bidder", value=bidder)
        return str(lot)
    if not bids_in:
        everyone = sorted({b for i in ids for b in lev.evaluation(i).results["bidder"]})
        raise EvaluatorError(f"is not a bidder in any lot of this tender ({', '.join(ids)})"
                             + suggest(bidder, everyone), field="--bidder", value=bidder)
    if len(bids_in) > 1:
        raise EvaluatorError(f"bids in lots {', '.join(bids_in)}: pass --lot with one of them", field="--bidder",
                             value=bidder)
    return bids_in[0]


def report_skipped(bidset) -> None:
    """On stderr: how a file was read, and each bid set aside with its problems."""
    for note in getattr(bidset, "notes", ()):  # how a file was read (a CSV saved from Excel as Windows-1252)
        print(f"note: {note}", file=sys.stderr)
    if not bidset.skipped:
        return
    for p in bidset.problems:
        print(f"warning: {shown(p.line())}", file=sys.stderr)
    for s in bidset.skipped:
        print(f"skipped: {shown(s['file'])} ({shown(s['bidder'] or 'no bidder name')}): not ranked because of the "
              "problems above",
              file=sys.stderr)
