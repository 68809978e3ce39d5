"""How the buyer assesses, in words and tables a supplier can follow: each criterion's method (reg 31),
the weights, scale and design outcomes, and the walk from claimed £ to credited £. Shared by the
evaluation report, the assessment summaries and the self-assessment."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .pdf_kit import Kit, esc, money, quantity


def criterion_title(c) -> str:
    return c.name or c.id


def is_flat(rubric) -> bool:
    """A rubric written to sections 4-6 only (no groups, pass/fail questions, own scales or lots; weighted
    award): its documents are exactly as they always were. Anything else is shown as a tree."""
    if getattr(rubric, "has_lots", False) or getattr(rubric, "lot", None) is not None:
        return False
    if getattr(rubric, "award", "weighted") != "weighted":
        return False
    return not any(c.kind in ("group", "pass_fail") or getattr(c, "scale", None) or getattr(c, "descriptors", None)
                   for c in rubric.spec.criteria)


def per_point(rubric) -> bool:
    """Awarded on price per quality point (price ÷ quality points, lowest wins)."""
    return getattr(rubric, "award", "weighted") == "price_per_quality_point"


def tree_nodes(rubric) -> list:
    """Every criterion, groups and sub-criteria, in tree order as (level, Criterion with its effective
    weight); a flat rubric's criteria at level 1 as written."""
    nodes = getattr(rubric, "nodes", None)
    if nodes is None or is_flat(rubric):
        return [(1, c) for c in rubric.spec.criteria]
    return [(int(lv), rubric.criterion(cid)) for cid, lv in zip(nodes["id"], nodes["level"])]


def indented(level: int, text: str) -> str:
    """A title shown at its level of the tree (two spaces a level, as the tables print)."""
    return "\u00a0\u00a0\u00a0" * (max(int(level), 1) - 1) + text


def weight_text(c) -> str:
    return "pass/fail" if c.kind == "pass_fail" else f"{c.weight:g}"


def _own_scale(rubric, c) -> list:
    if hasattr(rubric, "criterion_scale"):
        return list(rubric.criterion_scale(c.id))
    return list(rubric.scale)


def _scale_max(rubric, c) -> float:
    return float(rubric.criterion_scale_max(c.id)) if hasattr(rubric, "criterion_scale_max") else rubric.scale_max


def _scale_text(rubric, c=None) -> str:
    return ", ".join(f"{s:g}" for s in (rubric.scale if c is None else _own_scale(rubric, c)))


def _children(rubric, c) -> list[str]:
    return list(rubric.children(c.id)) if hasattr(rubric, "children") else [x.id for x in (c.criteria or [])]


def how_assessed(rubric, c) -> str:
    """How one criterion was assessed, in words a supplier can follow (reg 31)."""
    w = f"{c.weight:g}"
    if c.kind == "group":
        kids = _children(rubric, c)
        text = (f"Group of {len(kids)} sub-criteria ({', '.join(kids)}), each assessed as set out for it; marks = "
                f"the sum of their marks (out of {w}).")
        if getattr(c, "min_share", None):
            text += (f" A bid with under {c.min_share:.0%} of the group's marks ({c.weight * c.min_share:.2f}) is "
                     "disqualified.")
        return text
    if c.kind == "pass_fail":
        return ("Pass or fail, carrying no marks: the panel's moderated result, else the evaluators' unanimous "
                "one. A fail disqualifies the tender.")
    if c.kind == "price":
        if (c.method or "relative") == "linear":
            return (f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × (1 − "
                    "(its price − lowest) ÷ lowest), and never less than 0.")
        return f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × lowest price ÷ its price."
    if c.kind == "scale":
        text = (f"Quality response scored by each evaluator on the scale {_scale_text(rubric, c)} and moderated by "
                f"the panel to a consensus score; marks = {w} × score ÷ {_scale_max(rubric, c):g}.")
        if c.social_value:
            text = "Social value (qualitative). " + text
        if c.threshold is not None and c.threshold == c.threshold:
            text += f" Minimum score {c.threshold:g}: a bid scoring below it is disqualified."
        return text
    if rubric.official_lens == "design":
        outs = ", ".join(f"{o.id}" for o in rubric.spec.design.outcomes) or "none"
        text = (f"Social value commitments judged against the buyer's published outcomes ({outs}). Each "
                "commitment is checked (flags); those without an error count at net quantity (after deadweight, "
                "attribution, displacement and an evidence factor) towards each outcome's target; "
                f"marks = {w} × the priority-weighted share of the targets reached.")
        mandatory = list(getattr(rubric, "mandatory_outcomes", None) or [])
        if mandatory:
            text += (f" Mandatory outcome{'s' if len(mandatory) > 1 else ''} {', '.join(mandatory)}: a bid with "
                     "nothing credited towards one is disqualified.")
        return text
    return (f"Social value commitments: marks in proportion to the claimed £ value, the highest eligible claim "
            f"getting all {w} marks.")


def scores_available(rubric, c) -> str:
    if c.kind == "scale":
        return f"Scores {_scale_text(rubric, c)} (0–{c.weight:g} marks)"
    if c.kind == "pass_fail":
        return "Pass or fail"
    if c.kind == "group":
        return f"0–{c.weight:g} marks, the sum of its sub-criteria"
    return f"0–{c.weight:g} marks, continuous"


def _outcome_rows(rubric) -> list[list[Any]]:
    rows = []
    for o in rubric.spec.design.outcomes:
        target = quantity(o.target, o.unit) if o.target is not None else "no target"
        if getattr(o, "mandatory", False):
            target += " (mandatory)"
        rows.append([o.id, o.name or "", ", ".join(o.measures) or "any measure naming it", target,
                     f"{o.priority:g}", o.evidence_required or "-", o.if_not_delivered or "-"])
    return rows


def method_story(k: Kit, ev) -> list:
    """Method, weights, scale and thresholds: shared by the report's cover and the self-assessment."""
    r = ev.rubric
    spec = r.spec
    if not is_flat(r):
        return tree_method_story(k, ev)
    story = [k.p("Criteria and weights", k.h2)]
    rows = []
    for c in spec.criteria:
        rows.append([c.id, criterion_title(c), f"{c.weight:g}", c.kind.replace("_", " ")
                     + (" (social value)" if c.social_value else ""),
                     f"{c.threshold:g}" if c.threshold is not None else "-", how_assessed(r, c)])
    story.append(k.table(["Criterion", "Title", "Weight", "Kind", "Threshold", "How it is assessed"], rows,
                         [14, 34, 12, 22, 16, 82], right={2, 4}))
    story.append(k.p(f"Weights sum to 100. Social value carries {r.social_value_weight:g}% of the marks "
                     "(PPN 002 asks for at least 10%).", k.small))
    story.append(k.p("Scoring scale", k.h2))
    desc = spec.descriptors or {}
    story.append(k.table(["Score", "Descriptor"],
                         [[f"{s:g}", desc.get(float(s), desc.get(s, "")) or "-"] for s in spec.scale], [15, 165],
                         right={0}))
    story += _design_story(k, r)
    return story


def _design_story(k: Kit, r) -> list:
    spec = r.spec
    story: list = []
    if spec.design.outcomes:
        story.append(k.p("The buyer's design: outcomes wanted", k.h2))
        story.append(k.table(["Outcome", "Name", "Measures", "Target", "Priority", "Evidence required",
                              "If not delivered"], _outcome_rows(r), [13, 36, 26, 20, 13, 15, 57], right={4}))
        ef = spec.design.evidence_factors
        story.append(k.p(
            "Evidence factors: " + ", ".join(f"{g} × {v:g}" for g, v in sorted(ef.items()))
            + f". Attainment is capped at {spec.design.attainment_cap:g} of each target. Validated £ is "
            f"discounted at {spec.discount.rate:.1%} a year (HM Treasury Green Book; year 1 "
            f"{'discounted' if spec.discount.first_year_discounted else 'not discounted'}). Claimed £ above "
            f"{spec.benchmarks.max_claimed_share:.0%} of the contract value is flagged (SV201).", k.small))
    return story


def _kind_text(rubric, c) -> str:
    text = c.kind.replace("_", " ") + (" (social value)" if c.social_value and c.kind != "social_value" else "")
    share = getattr(c, "share", None)
    parent = _parent(rubric, c.id)
    if share is not None and parent:
        text += f"; {share:g}% of {parent}"
    elif parent:
        text += f"; part of {parent}"
    return text


def _parent(rubric, cid: str):
    nodes = getattr(rubric, "nodes", None)
    if nodes is None:
        return None
    hit = nodes.loc[nodes["id"] == cid, "parent"]
    p = hit.iloc[0] if len(hit) else None
    return p if isinstance(p, str) and p else None


def criteria_rows(rubric) -> list[list[Any]]:
    """The criteria table of a tree: every group and sub-criterion in tree order, titles indented by level,
    effective weights (points of 100), each with how it is assessed."""
    rows = []
    for level, c in tree_nodes(rubric):
        thr = getattr(c, "threshold", None)
        rows.append([c.id, indented(level, criterion_title(c)), weight_text(c), _kind_text(rubric, c),
                     f"{thr:g}" if thr is not None and thr == thr else "-", how_assessed(rubric, c)])
    return rows


def award_text(rubric) -> str:
    """How the award is decided, in one or two sentences (trees, lots and price per quality point)."""
    if per_point(rubric):
        text = ("Award on price per quality point: price is not scored. The quality criteria (social value "
                "included) give up to 100 quality points; each bid's price ÷ its quality points is its £ per quality "
                "point, and the lowest £ per quality point wins.")
    else:
        text = "Weights sum to 100; the highest total of marks wins."
    tb = list(getattr(rubric, "tie_break", None) or ["quality", "price"])
    text += " Ties are broken by " + ", then ".join(
        {"quality": "the higher quality marks", "price": "the lower price",
         "social_value": "the higher social value marks"}.get(x, x) for x in tb) + "."
    text += f" Social value carries {float(rubric.social_value_weight):g}% of the marks (PPN 002 asks for at least 10%)."
    return text


def lots_text(rubric) -> str:
    limit = getattr(rubric.spec, "max_lots_per_supplier", None)
    text = ("Each lot is evaluated on its own: its own lowest eligible price, best claim, ranks and flags. Lots are "
            "awarded in descending contract value (ties: the order listed).")
    if limit:
        text += (f" No supplier is awarded more than {limit} lot{'s' if limit != 1 else ''}: a supplier already "
                 f"holding {limit} is passed over for the next eligible bid in that lot.")
    return text


def lot_rows(rubric) -> list[list[Any]]:
    t = rubric.tender
    rows = []
    for lot in rubric.lots:
        cv = lot.contract_value if lot.contract_value is not None else t.contract_value
        dy = lot.duration_years if lot.duration_years is not None else t.duration_years
        area = lot.local_area if lot.local_area else t.local_area
        targets = ", ".join(f"{o} {v:g}" for o, v in (lot.targets or {}).items()) or "as the tender"
        rows.append([lot.id, lot.title or "", money(cv), f"{dy:g}", ", ".join(area) or "-", targets])
    return rows


def tree_method_story(k: Kit, ev) -> list:
    """Method for a tree, pass/fail questions, own scales, lots or price per quality point."""
    r = ev.rubric
    spec = r.spec
    story = [k.p("Criteria and weights", k.h2)]
    story.append(k.table(["Criterion", "Title", "Weight", "Kind", "Threshold", "How it is assessed"], criteria_rows(r),
                         [14, 34, 12, 22, 16, 82], right={2, 4}))
    story.append(k.p("Weights are effective points of 100: a sub-criterion's share of its group is resolved through "
                     "its parents, and a group's marks are the sum of its sub-criteria's. " + esc(award_text(r)),
                     k.small))
    story.append(k.p("Scoring scale", k.h2))
    desc = spec.descriptors or {}
    story.append(k.table(["Score", "Descriptor"],
                         [[f"{s:g}", desc.get(float(s), desc.get(s, "")) or "-"] for s in spec.scale], [15, 165],
                         right={0}))
    for _, c in tree_nodes(r):
        if c.kind == "scale" and (getattr(c, "scale", None) or getattr(c, "descriptors", None)):
            own = c.descriptors or {}
            story.append(k.p(f"{esc(c.id)} {esc(criterion_title(c))} is scored on its own scale", k.h3))
            story.append(k.table(["Score", "Descriptor"],
                                 [[f"{s:g}", own.get(float(s), own.get(s, "")) or desc.get(float(s), "") or "-"]
                                  for s in _own_scale(r, c)], [15, 165], right={0}))
    if r.lots:
        story.append(k.p("Lots", k.h2))
        story.append(k.table(["Lot", "Title", "Contract value", "Years", "Local area", "Outcome targets"], lot_rows(r),
                             [12, 40, 24, 10, 40, 54], right={2, 3}))
        story.append(k.p(esc(lots_text(r)), k.small))
    story += _design_story(k, r)
    return story


def method_text(ev) -> str:
    off = ev.rubric.official_lens
    other = "figures" if off == "design" else "design"
    return (
        f"Every bid was evaluated twice. The <b>figures lens</b> takes each bid's social value as it claims it "
        f"(quantity × proxy £, no checks) and gives the social-value commitment marks in proportion to the best "
        f"claim. The <b>design lens</b> credits only commitments that serve the outcomes the buyer designed, after "
        f"the checks, at net quantities towards the buyer's targets, and reports the validated £ beside the "
        f"claimed £. The rubric makes the <b>{esc(off)} lens</b> official for the award; the {esc(other)} lens is "
        f"shown beside it so the effect of the method can be seen. Price and quality marks are the same under "
        f"both lenses. Disqualified bids (below a minimum score) get no rank.")


def walk_rows(c: pd.DataFrame) -> list[list[Any]]:
    from .valuation import WALK_STEPS
    rows, running = [], 0.0
    for key, label in WALK_STEPS:
        col = f"walk_{key}"
        amount = float(c[col].sum()) if col in c.columns and len(c) else 0.0
        running += amount
        rows.append([label, money(amount), money(running)])
    rows.append(["Credited (validated £)", "", money(float(c["credited_value"].sum()) if len(c) else 0.0)])
    return rows
