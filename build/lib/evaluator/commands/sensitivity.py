"""`sensitivity`: how safe the winner is, over random draws of the weights, deflators and evidence
factors, with exact switching values for each weight (each sub-criterion's within its group); for a
tender with lots, each lot in turn (or --lot's) and the award across the lots over the same draws."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import EvaluatorError
from ..terminal import shown
from .output import EXIT_OK, print_json
from .tender_args import add_rubric_args, load_tender, report_skipped

if TYPE_CHECKING:
    from .. import lot_sensitivity, sensitivity


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
    from .. import lot_sensitivity, sensitivity
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
        result = lot_sensitivity.analyse_lots(ev, args.draws, args.seed, lot=args.lot, **settings)
        if args.json:
            print_json(result.to_json())
        else:
            print(render_lots(result))
        return EXIT_OK
    if args.lot is not None:
        raise EvaluatorError("this tender has no lots; leave --lot out", field="--lot", value=args.lot)
    result = sensitivity.analyse(ev, args.draws, args.seed, **settings)
    if args.json:
        print_json(result.to_json())
    else:
        print(render(result))
    return EXIT_OK


def render(s: sensitivity.Sensitivity) -> str:
    """The readable table: who wins how often, and how far each weight can move before the winner changes.
    Bidder names are the suppliers' text, shown escaped (terminal.shown): a newline cannot forge a row."""
    t = s.table().sort_values(["win_probability", "published_total"], ascending=False)
    st = s.settings
    head = [f"Sensitivity of the winner ({s.lens} lens): {s.draws:,} draws, seed {s.seed}",
            f"Weights Dirichlet around the published ones (concentration {st['concentration']}); deflators "
            f"±{st['deflator_range']:.0%}; evidence factors ±{st['evidence_range']:.0%}; disputed scores ±1 scale step"
            + ("; proxies between low and high" if s.lens == "figures" else "") + ".",
            f"Published winner: {shown(s.published_winner) if s.published_winner else 'none'}", ""]
    per_point = s.published_per_point is not None
    if per_point:
        head.insert(2, "Award by price per quality point: each draw ranks the lowest £ per quality point first.")
    ranks = min(len(s.bidders), 4)
    cols = (["Bidder", "Published"] + (["£ per point"] if per_point else []) + ["Wins", "Mean total", "5%-95%"]
            + [f"P(rank {r})" for r in range(1, ranks + 1)] + ["DQ"])
    rows = []
    for r in t.itertuples(index=False):
        rows.append([shown(r.bidder), f"{r.published_total:.2f}"]
                    + ([f"£{r.published_price_per_point:,.2f}"] if per_point else [])
                    + [f"{r.win_probability:.1%}", f"{r.mean_total:.2f}", f"{r.total_p05:.1f}-{r.total_p95:.1f}"]
                    + [f"{getattr(r, f'rank_{k}'):.1%}" for k in range(1, ranks + 1)] + [f"{r.disqualified_share:.1%}"])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = head + [line(cols), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out += ["", "Switching values (exact): the weight at which the winner changes, other weights rescaled in proportion"]
    if s.tree:
        out[-1] += "; a sub-criterion moves within its group (siblings rescaled, the group's weight held)"
    for r in s.switching.itertuples(index=False):
        parent = getattr(r, "parent", None) if s.tree else None
        if isinstance(parent, str):  # a sub-criterion: its weight out of 100 and its share of the group
            pad, top = "  " * int(r.level), f"{r.weight / r.share * 100:g}" if r.share else "0"
            if r.switch_at is None or r.switch_at != r.switch_at:
                out.append(f"{pad}{r.criterion}: published {r.weight:g} ({r.share:.4g}% of {parent}); the winner "
                           f"holds anywhere from 0 to {top}")
            else:
                way = "rises" if r.direction == "up" else "falls"
                out.append(f"{pad}{r.criterion}: published {r.weight:g} ({r.share:.4g}% of {parent}); if it {way} to "
                           f"{r.switch_at:.2f} ({r.share_switch_at:.2f}% of {parent}), {shown(r.new_winner)} wins")
        elif r.switch_at is None or r.switch_at != r.switch_at:
            out.append(f"  {r.criterion}: published {r.weight:g}; the winner holds anywhere from 0 to 100")
        else:
            way = "rises" if r.direction == "up" else "falls"
            out.append(f"  {r.criterion}: published {r.weight:g}; if it {way} to {r.switch_at:.2f}, {shown(r.new_winner)} wins")
    return "\n".join(out)


def render_lots(ls: lot_sensitivity.LotsSensitivity) -> str:
    """Each lot's readable table in turn, then the award across the lots."""
    out = []
    for lot_id, s in ls.lots.items():
        out += [f"Lot {shown(lot_id)}: {shown(ls.titles.get(lot_id) or '')}", render(s), ""]
    if ls.award is not None:
        out.append(f"Award across the lots ({ls.draws:,} draws; lots awarded in descending contract value)")
        for r in ls.award_table().itertuples(index=False):
            who = shown(r.awarded_to) if isinstance(r.awarded_to, str) else ""
            value = f" (£{r.contract_value:,.0f})" if r.contract_value == r.contract_value and r.contract_value else ""
            line = f"  {shown(r.lot)}{value}: " + (f"published to {who}" if isinstance(r.awarded_to, str)
                                                    else "not awarded: no eligible bid")
            if isinstance(r.awarded_to, str):
                line += f", who is awarded it in {r.awarded_to_share:.1%} of draws"
            if r.passed_over:
                line += f"; passed over: {shown(r.passed_over)}"
            if isinstance(r.most_often, str) and r.most_often != r.awarded_to:
                p = ls.award_probabilities[r.lot][r.most_often]
                line += f"; most often awarded to {shown(r.most_often)} ({p:.1%})"
            if r.no_award_share and isinstance(r.awarded_to, str):
                line += f"; no eligible bid in {r.no_award_share:.1%}"
            out.append(line)
    return "\n".join(out).rstrip("\n")


VERBS = {"sensitivity": _cmd_sensitivity}
