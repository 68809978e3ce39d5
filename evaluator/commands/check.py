"""`check`: a supplier's self-assessment of one draft bid (the buyer's checks, what to fix, the marks to
expect under each lens), or, without a bid, the buyer's checks on the rubric's design."""
from __future__ import annotations

import sys
from pathlib import Path

from ..exceptions import EvaluatorError
from ..terminal import shown
from ..flags import flag_words
from ..formatting import amount, figure, gbp
from .output import EXIT_OK, print_json
from .tender_args import add_rubric_args


def add_parsers(sub) -> None:
    c = sub.add_parser("check", help="a supplier's self-assessment of one draft bid (or, without --bid, the "
                                     "buyer's checks on the rubric's design)")
    add_rubric_args(c)
    c.add_argument("--bid", type=Path, help="the draft bid: YAML, JSON or a filled XLSX template")
    c.add_argument("--best-claimed", type=float,
                   help="the best claimed £ you expect in the field, for the figures lens (default: your own)")
    c.add_argument("--pdf", type=Path, help="also write the self-assessment as a PDF report to this file")


def _cmd_check(args) -> int:
    from ..bids import load_bid
    from ..design_checks import check_rubric
    from ..evaluation import self_assess, self_assessment_json, _flag_records
    from ..expected_marks import expected_marks, range_json, range_lines
    from ..rubric import load_rubric

    rubric = load_rubric(args.rubric, proxies_path=args.proxies)
    if args.bid is None:
        flags = check_rubric(rubric)
        if args.json:
            doc = {"tender": rubric.tender.id, "social_value_weight": rubric.social_value_weight,
                   "rubric_flags": _flag_records(flags)}
            if getattr(rubric, "has_lots", False):
                doc["lots"] = [{"id": x.id, **_lot_json(x)} for x in rubric.lots]
            print_json(doc)
        else:
            print(render_rubric_check(rubric, flags))
        return EXIT_OK
    if args.best_claimed is not None and not (args.best_claimed >= 0 and args.best_claimed < float("inf")):
        raise EvaluatorError("must be a finite £ amount, 0 or more", field="--best-claimed", value=args.best_claimed)
    if args.pdf is not None:
        _check_pdf_path(args.pdf)
    bidset = load_bid(args.bid, rubric).require_valid()
    sa = self_assess(rubric, bidset, args.best_claimed)
    lot = sa.get("lot")
    if lot is not None:  # a tender with lots: the bid was assessed against its lot's figures (rubric.for_lot)
        tender_rubric, rubric = rubric, sa["evaluation"].rubric
    if args.pdf is not None:
        from ..report_set import write_file
        from ..self_assessment_report import self_assessment_pdf
        write_file(args.pdf, self_assessment_pdf(sa, rubric))
        if not args.json:
            print(f"Wrote the self-assessment report to {args.pdf}", file=sys.stderr)
    if args.json:
        doc = self_assessment_json(sa, rubric)
        doc["expected_marks"] = range_json(expected_marks(sa, rubric))  # issue 19: the range, a new key
        if lot is not None:
            doc["lot_figures"] = _lot_json(rubric.lot)
        print_json(doc)
    else:
        text = render_self_assessment(sa, rubric)
        text += "\n\n" + "\n".join(shown(x) for x in range_lines(expected_marks(sa, rubric)))  # issue 19
        if lot is not None:
            first, _, rest = text.partition("\n")
            text = "\n".join([first, *_lot_lines(rubric.lot, tender_rubric), rest])
        print(text)
    return EXIT_OK


def _targets(rubric) -> dict:
    return {str(o.id): o.target for o in rubric.spec.design.outcomes}


def _lot_json(lot) -> dict:
    """The lot's own figures, which override the tender's (DESIGN 9): what the bid was assessed against."""
    return {"title": lot.title, "contract_value": getattr(lot, "contract_value", None),
            "duration_years": getattr(lot, "duration_years", None), "local_area": getattr(lot, "local_area", None),
            "targets": dict(getattr(lot, "targets", None) or {})}


def _lot_lines(lot, tender_rubric) -> list[str]:
    """What the bid's lot changes: its contract value and term, and the outcome targets it is judged on."""
    t = tender_rubric.tender
    value = lot.contract_value if getattr(lot, "contract_value", None) is not None else t.contract_value
    years = lot.duration_years if getattr(lot, "duration_years", None) is not None else t.duration_years
    out = [shown(f"Your bid is for lot {lot.id}" + (f" ({lot.title})" if lot.title else "")
                 + f": contract value {gbp(value)} over {years} year{'s' if years != 1 else ''}.")]
    overrides = dict(getattr(lot, "targets", None) or {})
    tender_targets = _targets(tender_rubric)
    units = {str(o.id): o.unit or "" for o in tender_rubric.spec.design.outcomes}
    parts = []
    for oid, target in tender_targets.items():
        lot_target = overrides.get(oid, target)
        if lot_target is None:
            continue
        text = f"{oid} {amount(lot_target, units[oid]) if units[oid] else figure(lot_target)}"
        if oid in overrides and target is not None and overrides[oid] != target:
            text += f" (tender-wide {target:g})"
        parts.append(text)
    if parts:
        out.append(shown("This lot's outcome targets: " + "; ".join(parts) + "."))
    return out


def _check_pdf_path(path: Path) -> None:
    if path.suffix.lower() != ".pdf":
        raise EvaluatorError("the report is a PDF: give a file name ending .pdf", field="--pdf", value=str(path))
    if not path.parent.exists() or not path.parent.is_dir():
        raise EvaluatorError("the folder to write into does not exist", field="--pdf", value=str(path))
    if path.is_dir():
        raise EvaluatorError("is a folder: give a file name ending .pdf", field="--pdf", value=str(path))


def render_self_assessment(sa: dict, rubric) -> str:
    t = rubric.tender
    sv = rubric.sv_criterion
    out = [f"Self-assessment of {shown(sa['bidder'])} against {shown(t.id)} {shown(t.title)}",
           f"Official lens: {rubric.official_lens}. The buyer runs these same checks on every bid.", ""]
    if sv is not None:
        out.append(f"Social-value marks you could expect for {shown(sv.id)} ({shown(sv.name or sv.id)}, {sv.weight:g} marks):")
        out.append(f"  design lens:  {sa['design_score']:.2f}  (priority-weighted attainment of the buyer's outcomes "
                   f"{sa['design_fraction']:.1%})" + ("  <- official" if rubric.official_lens == "design" else ""))
        out.append(f"  figures lens: {sa['figures_score']:.2f}  (your claimed {gbp(sa['claimed_value'])} against a best "
                   f"claim of {gbp(sa['best_claimed'])}; pass --best-claimed to try another)"
                   + ("  <- official" if rubric.official_lens == "figures" else ""))
    sv_scale = [c for c in rubric.scale_criteria if c.social_value]
    if sv_scale:
        out.append("  plus the panel's score for " + ", ".join(f"{shown(c.id)} ({c.weight:g} marks)" for c in sv_scale))
    pass_fail = getattr(rubric, "pass_fail_criteria", None) or []
    if pass_fail:  # DESIGN 9.2
        out.append("Pass/fail questions the panel will judge (a fail disqualifies the bid): "
                   + ", ".join(shown(f"{c.id} ({c.name or c.id})") for c in pass_fail) + ".")
    out += ["", f"Claimed {gbp(sa['claimed_value'])}; the design lens credits {gbp(sa['credited_value'])} "
                "(validated, net, evidenced, discounted)."]
    walk = sa["walk"]
    for step in walk.itertuples(index=False):
        if step.amount == step.amount and abs(step.amount) >= 0.5:
            out.append(f"  {shown(step.step)}: {gbp(step.amount)}")
    att = sa["attainment"]
    if len(att):
        out += ["", "Attainment of the buyer's outcomes:"]
        mandatory = set(getattr(rubric, "mandatory_outcomes", None) or [])
        for a in att.itertuples(index=False):
            target = "no target" if a.target != a.target else f"the target of {amount(a.target, a.unit)}"
            share = "" if a.attainment != a.attainment else f" = {a.attainment:.0%}"
            must = " (mandatory: a bid with nothing credited towards it is disqualified)" if a.outcome in mandatory else ""
            out.append(shown(f"  {a.outcome} {a.name}: net {figure(a.net_quantity)} of {target}{share}{must}"))
    flags = sa["flags"]
    out += ["", f"Flags ({len(flags)}), with what to fix:" if len(flags) else "No flags: nothing to fix."]
    for sev in ("error", "warning", "info"):
        for x in flags[flags["severity"] == sev].itertuples(index=False):
            where = x.commitment if isinstance(x.commitment, str) else (x.criterion if isinstance(x.criterion, str) else "bid")
            out.append(f"  {flag_words(x.code)} ({x.code}, {sev}) [{shown(where)}]: {shown(x.message)}")
            out.append(f"      fix: {shown(x.fix)}")
    return "\n".join(out)


def render_rubric_check(rubric, flags) -> str:
    t = rubric.tender
    ppqp = getattr(rubric, "award", "weighted") == "price_per_quality_point"
    out = [f"Design checks for {shown(t.id)} {shown(t.title)}",
           ("Quality points sum to 100 (awarded by price per quality point: lowest £ per point wins)"
            if ppqp else "Weights sum to 100") + f"; social value carries {rubric.social_value_weight:g}%. "
           f"{len(rubric.spec.design.outcomes)} design outcome(s); official lens: {rubric.official_lens}."]
    if getattr(rubric, "has_tree", False):  # DESIGN 9.1: the tree with each node's effective weight
        out.append("Criteria tree (points of 100; a group's are the sum of its sub-criteria's):")
        for n in rubric.nodes.itertuples(index=False):
            weight = "pass/fail" if n.kind == "pass_fail" else f"{n.weight:g}" + (
                f" ({n.share:g}% of {n.parent})" if n.share == n.share and n.share is not None else "")
            out.append(shown("  " + "  " * (int(n.level) - 1) + f"{n.id} {n.name}: {weight}"))
    if getattr(rubric, "has_lots", False):
        limit = getattr(rubric.spec, "max_lots_per_supplier", None)
        out.append(shown(f"{len(rubric.lots)} lots: " + "; ".join(
            f"{x.id} {x.title or ''}".rstrip() + (f" ({gbp(x.contract_value)})" if x.contract_value is not None else "")
            for x in rubric.lots) + (f". At most {limit} lot{'s' if limit != 1 else ''} per supplier." if limit else ".")))
    if flags.empty:
        out.append("No design problems found.")
    for f in flags.itertuples(index=False):
        out.append(f"  {flag_words(f.code)} ({f.code}, {f.severity}): {shown(f.message)}\n      fix: {shown(f.fix)}")
    return "\n".join(out)


VERBS = {"check": _cmd_check}
