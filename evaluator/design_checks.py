"""The rubric design checks (SV302-SV308 of DESIGN.md section 5, SV315-SV318 of issue 18): the
commissioner's own design, judged before any bid is read. SV301 (weights that do not sum to 100) refuses
the rubric when it loads (rubric.py), and so do SV315 and SV316 (valued_design.refuse_unvalued, called by the
loader once the proxy table is read); practice reviews of published tenders (review.py) raise the same
codes from notices.

Designs that cannot be served or valued (issue 18):

- SV315 unknown-outcome-measure (error, refused): an outcome's `measures` names a code that is not in the
  proxy table; no commitment can count towards it under that code.
- SV316 no-proxy-table (error, refused): a social_value criterion or design outcomes, and no proxy table
  (no `proxies:`, or a table with no rows): every commitment would be SV101 and every bid 0 design marks.
- SV317 outcome-unit-mismatch (warning): an outcome's `unit` differs from the unit of one of its known
  measures (its target is counted in one unit, the commitments in another), or an outcome with no `unit`
  whose measures are in different units (their quantities are added towards one target).
- SV318 unservable-outcome (warning): an outcome that no commitment can serve without an error flag. The
  engine (DESIGN 6.3) lets a commitment serve an outcome with `measures` when its measure is one of them,
  and an outcome with none when the commitment names it and is in its `unit`; a commitment's unit must be
  its measure's (SV104). So an outcome is unservable when it has no measures and either no unit, or a unit
  that no measure in the proxy table has. An outcome whose measures are all unknown is SV315's (refused),
  not flagged twice.
"""
from __future__ import annotations

import pandas as pd

from .flags import empty_flags, fix_text, make_flags
from .rubric import Rubric
from .valued_design import unvalued


def check_rubric(rubric: Rubric) -> pd.DataFrame:
    """SV302-SV308 and SV315-SV318: the commissioner's own design, checked (SV301, SV315 and SV316 refuse
    the rubric when it loads; a draft, an edited design or a reviewed file shows them here as flags)."""
    blocks = [make_flags(code, None, message, fix) for code, message, fix, _ in unvalued(rubric, _table(rubric))]
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
    blocks += [make_flags(code, None, message, fix_text(code, outcome=o.id)) for code, o, message in _unservable(rubric)]
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


# ------------------------------------------------------------------ designs that cannot be served or valued
def _table(rubric: Rubric):
    """The proxy table the design is judged against: the rubric's own; or, for a rubric read without it
    (a practice review reads no table), the one its `proxies:` names, if it can be read; None when the
    rubric names one that cannot be read (the loader refuses that itself, so nothing is judged here)."""
    table = rubric.proxies
    named = getattr(rubric.spec, "proxies", None)
    if len(table) or not named or rubric.proxies_path is not None:
        return table
    try:
        from .proxies import load_proxies
        from .rubric import _named_proxies
        return load_proxies(_named_proxies(rubric.path, rubric.path.parent, named))
    except Exception:  # noqa: BLE001 - a table that cannot be read is the loader's to refuse, with its reason
        return None


def _unit(value) -> str:
    return "" if value is None or value != value else str(value).strip().lower()


def _unservable(rubric: Rubric) -> list[tuple]:
    """SV317 and SV318: (code, outcome, message) for each outcome, in the design's order."""
    table = _table(rubric)
    if table is None or not len(table):
        return []  # no table: SV316 says so (an unknown one: the loader)
    units = {str(code): _unit(u) for code, u in zip(table.index, table["unit"])}
    out = []
    for o in rubric.spec.design.outcomes:
        label = f"outcome {o.id} ({o.name or o.id})"
        own = _unit(o.unit)
        known = [m for m in o.measures if m in units]
        if o.measures:
            if own:
                other = [m for m in known if units[m] != own]
                if other:
                    out.append(("SV317", o, f"{label} is counted in '{o.unit}' but its "
                                + ("measure " if len(other) == 1 else "measures ")
                                + ", ".join(f"{m} is in '{units[m]}'" for m in other)
                                + ": its target and the commitments' quantities are in different units"))
            elif len({units[m] for m in known}) > 1:
                out.append(("SV317", o, f"{label} sets no unit and its measures are in different units ("
                            + ", ".join(f"{m} '{units[m]}'" for m in known)
                            + "): their quantities are added together towards one target"))
            continue
        if not own:
            out.append(("SV318", o, f"{label} has no measures and no unit: an outcome without measures counts "
                        "the commitments that name it in its unit, so no commitment can count towards it"
                        + _lost(o, rubric)))
        elif own not in set(units.values()):
            have = ", ".join(sorted(set(u for u in units.values() if u)))
            out.append(("SV318", o, f"{label} has no measures and its unit '{o.unit}' is the unit of no measure in "
                        f"the proxy table ({have}): a commitment in '{o.unit}' would have an unknown measure (SV101) "
                        f"or a unit mismatch (SV104), so none can count towards it" + _lost(o, rubric)))
    return out


def _lost(o, rubric: Rubric) -> str:
    """What an unservable outcome costs every bid: its share of the design fraction."""
    total = sum(x.priority for x in rubric.spec.design.outcomes)
    return (f", and no bid can earn its priority of {o.priority:g} of {total:g}" if o.priority > 0 and
            o.target is not None else "")
