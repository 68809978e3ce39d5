"""`sensitivity`: how safe the winner is, over random draws of the weights, deflators and evidence
factors, with exact switching values for each weight."""
from __future__ import annotations

import sys
from pathlib import Path

from ..exceptions import EvaluatorError
from .output import EXIT_OK, print_json
from .tender_args import add_rubric_args, load_tender, report_skipped


def add_parsers(sub) -> None:
    v = sub.add_parser("sensitivity", help="how safe the winner is: win and rank probabilities over random "
                                           "draws, and exact switching values for each weight")
    add_rubric_args(v, rubric_required=False)
    v.add_argument("--bids", type=Path)
    v.add_argument("--scores", type=Path)
    v.add_argument("--db", type=Path, help="a workspace: its rubric, bids and scores are used")
    v.add_argument("--draws", type=int, default=10_000, help="number of draws (default 10000)")
    v.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same numbers")
    v.add_argument("--lens", choices=["design", "figures"], help="the lens that awards (default: the rubric's)")
    v.add_argument("--concentration", type=float, default=100.0,
                   help="Dirichlet concentration of the weights around the published ones (default 100; larger "
                        "is closer)")
    v.add_argument("--deflator-range", type=float, default=0.10,
                   help="deadweight, attribution and displacement drawn within ± this (default 0.10)")
    v.add_argument("--evidence-range", type=float, default=0.10,
                   help="each evidence factor drawn within ± this (default 0.10)")
    v.add_argument("--lot", help="a tender with lots: this lot only (default: every lot in turn, and the award "
                                 "across the lots)")
    v.add_argument("--skip-invalid", action="store_true")


def _cmd_sensitivity(args) -> int:
    from .. import sensitivity
    if args.db:
        if args.rubric or args.bids or args.scores:
            print("note: --db given: the workspace's rubric, bids and scores are used; --rubric, --bids and "
                  "--scores are ignored", file=sys.stderr)
    elif args.scores is None:
        raise EvaluatorError("give --scores (the evaluators' scores CSV), or --db with a workspace", field="--scores")
    rubric, bidset, ev = load_tender(args)
    report_skipped(bidset)
    settings = dict(lens=args.lens, concentration=args.concentration, deflator_range=args.deflator_range,
                    evidence_range=args.evidence_range)
    if hasattr(ev, "lots"):  # a tender with lots: each lot, and the award across them
        from .. import lot_sensitivity
        result = lot_sensitivity.analyse_lots(ev, args.draws, args.seed, lot=args.lot, **settings)
        if args.json:
            print_json(result.to_json())
        else:
            print(lot_sensitivity.render_lots(result))
        return EXIT_OK
    if args.lot is not None:
        raise EvaluatorError("this tender has no lots; leave --lot out", field="--lot", value=args.lot)
    result = sensitivity.analyse(ev, args.draws, args.seed, **settings)
    if args.json:
        print_json(result.to_json())
    else:
        print(sensitivity.render(result))
    return EXIT_OK


VERBS = {"sensitivity": _cmd_sensitivity}
