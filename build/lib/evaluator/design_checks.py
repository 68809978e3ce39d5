"""The rubric design checks (SV302-SV308 of DESIGN.md section 5): the commissioner's own design, judged
before any bid is read. SV301 (weights that do not sum to 100) refuses the rubric when it loads
(rubric.py); practice reviews of published tenders (review.py) raise the same codes from notices."""
from __future__ import annotations

import pandas as pd

from .flags import empty_flags, fix_text, make_flags
from .rubric import Rubric


def check_rubric(rubric: Rubric) -> pd.DataFrame:
    """SV302-SV308: the commissioner's own design, checked (SV301 refuses the rubric when it loads)."""
    blocks = []
    sv = rubric.social_value_weight
    low = _social_value_low(rubric, sv)
    if low:
        blocks.append(make_flags("SV302", None, low))
    outcomes = rubric.spec.design.outcomes
    if len(outcomes) > 6:
        blocks.append(make_flags("SV303", None, f"the design has {len(outcomes)} outcomes; more than 6 spreads "
                                 "attention and monitoring thin (\"do not measure everything\")"))
    scopes = _target_scopes(rubric, outcomes)
    for o in outcomes:
        untargeted = [label for label, targets in scopes if targets[o.id] is None]
        if untargeted or o.baseline is None:
            missing = " and ".join(n for n, absent in (("target", bool(untargeted)), ("baseline", o.baseline is None))
                                   if absent)
            blocks.append(make_flags("SV304", None, f"outcome {o.id} ({o.name or o.id}) has no {missing}"
                                     + (_left_out_in(o, outcomes, scopes, untargeted) if untargeted else ""),
                                     fix_text("SV304", outcome=o.id)))
        if o.evidence_required is None:
            blocks.append(make_flags("SV305", None, f"outcome {o.id} ({o.name or o.id}) sets no evidence "
                                     "requirement", fix_text("SV305", outcome=o.id)))
        if not o.if_not_delivered:
            blocks.append(make_flags("SV308", None, f"outcome {o.id} ({o.name or o.id}) says nothing about what "
                                     "happens if it is not delivered", fix_text("SV308", outcome=o.id)))
    if sv > 0 and not outcomes:
        blocks.append(make_flags("SV306", None, f"social value carries {sv:g}% of the marks but the design sets no "
                                 "outcomes: figures will be counted at the end instead of outcomes designed at the "
                                 "start"))
    if not blocks:
        return empty_flags()
    flags = pd.concat(blocks, ignore_index=True)
    flags["bidder"] = None
    return flags


PPN002 = "the 10% minimum of PPN 002 (mandatory for central government from 1 October 2025)"


def _social_value_low(rubric: Rubric, sv: float) -> str | None:
    """SV302's message, or None when social value carries at least 10%. A flat rubric's words are as they
    always were. In a criteria tree the social value is the effective weight of its leaves (a share of a
    share), named one by one. With award by price per quality point (DESIGN 9.5) price carries no weight:
    social value is judged against the quality points, the non-price weights the award divides price by."""
    ppqp = getattr(rubric, "award", "weighted") == "price_per_quality_point"
    groups = getattr(rubric, "groups", None)
    tree = groups is not None and len(groups) > 0
    if not (ppqp or tree):
        return (f"social value carries {sv:g}% of the marks, under {PPN002}" if sv < 10 else None)
    leaves = rubric.criteria
    total = float(leaves.loc[leaves["kind"] != "price", "weight"].sum()) if ppqp else 100.0
    share = 100.0 * sv / total if total > 0 else 0.0
    if share >= 10 - 1e-9:
        return None
    sv_leaves = leaves[(leaves["kind"] == "social_value") | (leaves["social_value"] == True)]  # noqa: E712
    where = (" (" + ", ".join(f"{r.path} {r.weight:.4g}" for r in sv_leaves.itertuples()) + ")"
             if tree and len(sv_leaves) else "")
    if ppqp:
        return (f"social value carries {sv:.4g} of the {total:.4g} quality points{where} ({share:.4g}%), under "
                f"{PPN002}: with award by price per quality point, price is divided by the quality points, so "
                "social value's share of them is its weight in the award")
    return f"social value carries {sv:.4g}% of the marks{where}, under {PPN002}"


def _pct(x: float) -> str:
    return f"{x:.1f}%"


def _target_scopes(rubric: Rubric, outcomes) -> list[tuple]:
    """(lot id or None, {outcome id: target or None}) for each place a design fraction is computed: the
    tender itself, or each of its lots with the lot's own targets over the tender's (DESIGN 9.3)."""
    lots = list(getattr(rubric.spec, "lots", None) or [])
    if not lots:
        return [(None, {o.id: o.target for o in outcomes})]
    return [(lot.id, {o.id: lot.targets.get(o.id, o.target) for o in outcomes}) for lot in lots]


def _left_out_in(outcome, outcomes, scopes, untargeted) -> str:
    """SV304's words for an outcome with no target where the fraction is computed: in a tender without
    lots (or with no target in any lot), as :func:`_left_out` says; when some lots set a target and others
    do not, the lots that leave it out are named, each with what leaving it out does there."""
    texts = {label: _left_out(outcome, outcomes, targets) for label, targets in scopes if label in untargeted}
    if len(untargeted) == len(scopes):
        if len(set(texts.values())) == 1:
            return next(iter(texts.values()))
        return "".join(f"; in lot {label}{text.removeprefix(';')}" for label, text in texts.items())
    given = [label for label, _ in scopes if label not in untargeted]
    head = (f" in lot{'s' if len(untargeted) > 1 else ''} {', '.join(untargeted)} (lot{'s' if len(given) > 1 else ''} "
            f"{', '.join(given)} set{'' if len(given) > 1 else 's'} one)")
    if len(set(texts.values())) == 1:
        return head + next(iter(texts.values())).replace("the design fraction", "those lots' design fractions"
                                                         if len(untargeted) > 1 else "that lot's design fraction", 1)
    return head + "".join(f"; in lot {label}{text.removeprefix(';')}" for label, text in texts.items())


def _left_out(outcome, outcomes, targets: dict) -> str:
    """SV304's words for an outcome with no target: it is left out of the design fraction (its attainment
    cannot be measured), so the outcomes that have a target share its priority. Said with the numbers,
    because leaving an outcome out silently raises the others' priorities."""
    text = "; its attainment cannot be measured and it is left out of the design fraction"
    total = sum(o.priority for o in outcomes)
    kept = [o for o in outcomes if targets[o.id] is not None]
    kept_total = sum(o.priority for o in kept)
    if not kept or kept_total <= 0:
        return text + ": no outcome has both a target and a priority, so every bid's design fraction is 0"
    if outcome.priority <= 0:
        return text + ", where its priority of 0 changes nothing for the others"
    dropped = [o for o in outcomes if targets[o.id] is None and o.priority > 0]
    left = (f"its priority of {outcome.priority:g} of {total:g} passes" if len(dropped) == 1 else
            f"its priority of {outcome.priority:g} and that of " + ", ".join(o.id for o in dropped if o is not outcome)
            + f" ({total - kept_total:g} of {total:g} in all) pass")
    first = max(kept, key=lambda o: o.priority)
    rise = total / kept_total
    many = len(kept) != 1
    return (text + f": {left} to the {len(kept)} outcome{'s' if many else ''} with a target, "
            f"whose priorit{'ies' if many else 'y'} ({kept_total:g} of {total:g}) "
            f"{'each count' if many else 'counts'} {_pct((rise - 1) * 100)} more "
            f"({first.id} from {_pct(100 * first.priority / total)} to {_pct(100 * first.priority / kept_total)} "
            "of the fraction)")
