"""How the buyer assesses, in words and tables a supplier can follow: each criterion's method (reg 31),
the weights, scale and design outcomes, and the walk from claimed £ to credited £. Shared by the
evaluation report, the assessment summaries and the self-assessment."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .pdf_kit import Kit, esc, money


def criterion_title(c) -> str:
    return c.name or c.id


def _scale_text(rubric) -> str:
    return ", ".join(f"{s:g}" for s in rubric.scale)


def how_assessed(rubric, c) -> str:
    """How one criterion was assessed, in words a supplier can follow (reg 31)."""
    w = f"{c.weight:g}"
    if c.kind == "price":
        if (c.method or "relative") == "linear":
            return (f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × (1 − "
                    "(its price − lowest) ÷ lowest), and never less than 0.")
        return f"Price. The lowest eligible price gets all {w} marks; each other bid gets {w} × lowest price ÷ its price."
    if c.kind == "scale":
        text = (f"Quality response scored by each evaluator on the scale {_scale_text(rubric)} and moderated by "
                f"the panel to a consensus score; marks = {w} × score ÷ {rubric.scale_max:g}.")
        if c.social_value:
            text = "Social value (qualitative). " + text
        if c.threshold is not None and c.threshold == c.threshold:
            text += f" Minimum score {c.threshold:g}: a bid scoring below it is disqualified."
        return text
    if rubric.official_lens == "design":
        outs = ", ".join(f"{o.id}" for o in rubric.spec.design.outcomes) or "none"
        return (f"Social value commitments judged against the buyer's published outcomes ({outs}). Each "
                "commitment is checked (flags); those without an error count at net quantity (after deadweight, "
                "attribution, displacement and an evidence factor) towards each outcome's target; "
                f"marks = {w} × the priority-weighted share of the targets reached.")
    return (f"Social value commitments: marks in proportion to the claimed £ value, the highest eligible claim "
            f"getting all {w} marks.")


def scores_available(rubric, c) -> str:
    if c.kind == "scale":
        return f"Scores {_scale_text(rubric)} (0–{c.weight:g} marks)"
    return f"0–{c.weight:g} marks, continuous"


def _outcome_rows(rubric) -> list[list[Any]]:
    rows = []
    for o in rubric.spec.design.outcomes:
        target = f"{o.target:g} {o.unit or ''}".strip() if o.target is not None else "no target"
        rows.append([o.id, o.name or "", ", ".join(o.measures) or "any measure naming it", target,
                     f"{o.priority:g}", o.evidence_required or "-", o.if_not_delivered or "-"])
    return rows


def method_story(k: Kit, ev) -> list:
    """Method, weights, scale and thresholds: shared by the report's cover and the self-assessment."""
    r = ev.rubric
    spec = r.spec
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


def method_text(ev) -> str:
    off, other = ev.official_lens, ev.other_lens
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
