"""The self-assessment (PDF) a supplier writes with `check --pdf`: the buyer's checks on a draft bid."""
from __future__ import annotations

from typing import Optional

from .assessment_method import method_story, walk_rows
from .expected_marks import expected_marks
from .flags import flag_label
from .pdf_kit import Kit, esc, marks, money, num, pct, plain, quantity, when_made


def self_assessment_pdf(sa: dict, rubric, *, generated: Optional[str] = None) -> bytes:
    """A supplier's check of a draft bid (from `check --pdf`): the buyer's checks with what to fix, the
    walk from claimed to credited £, attainment and the marks to expect under each lens."""
    k = Kit()
    t = rubric.tender
    ev = sa["evaluation"]
    generated = generated or when_made()
    story: list = [k.p("Self-assessment of a draft bid", k.title),
                   k.p(f"{esc(sa['bidder'])}", k.h1),
                   k.p(f"against {esc(t.id)}: {esc(t.title)}" + (f" ({esc(t.buyer)})" if t.buyer else ""), k.h2)]
    lot = getattr(ev.rubric, "lot", None)
    if lot is not None:  # a bid for one lot of a tender with lots is checked against that lot's figures
        story.append(k.p(f"Lot {esc(lot.id)}: {esc(lot.title or lot.id)} (contract value "
                         f"{money(ev.rubric.tender.contract_value)})", k.h2))
    story.append(k.p(f"Generated {esc(generated)}. The buyer runs these same checks on every bid; the official lens "
                     f"for this tender is the <b>{esc(rubric.official_lens)} lens</b>.", k.small))
    sv = rubric.sv_criterion
    if sv is not None:
        story.append(k.p("Social-value marks you could expect", k.h2))
        story.append(k.table(["Lens", "Marks (of " + f"{sv.weight:g})", "Basis"], [
            ["design" + (" (official)" if rubric.official_lens == "design" else ""), marks(sa["design_score"]),
             f"priority-weighted attainment of the buyer's outcomes {pct(sa['design_fraction'], 1)}"],
            ["figures" + (" (official)" if rubric.official_lens == "figures" else ""), marks(sa["figures_score"]),
             f"your claimed {money(sa['claimed_value'])} against a best claim of {money(sa['best_claimed'])}"],
        ], [30, 25, 125], right={1}))
        sv_scale = [c for c in rubric.scale_criteria if c.social_value]
        if sv_scale:
            story.append(k.p("Plus the panel's score for " + esc(", ".join(f"{c.id} ({c.weight:g} marks)" for c in sv_scale))
                             + ".", k.small))
    story += _range_story(k, expected_marks(sa, rubric))
    story.append(k.p("From claimed £ to credited £", k.h2))
    story.append(k.p(f"You claim {money(sa['claimed_value'])}; the design lens credits {money(sa['credited_value'])} "
                     "(validated, net of deadweight and attribution, weighted by evidence, discounted)."))
    story.append(k.table(["Step", "Amount", "Running total"], walk_rows(ev.commitments), [120, 30, 30],
                         right={1, 2}, bold_last=True))
    att = sa["attainment"]
    if len(att):
        story.append(k.p("Attainment of the buyer's outcomes", k.h2))
        story.append(k.table(["Outcome", "Target", "Your net contribution", "Share of target", "Priority"],
                             [[f"{a.outcome} {plain(a.name)}", quantity(a.target, a.unit),
                               num(a.net_quantity), pct(a.attainment), num(a.priority)] for a in att.itertuples(index=False)],
                             [80, 30, 30, 22, 18], right={2, 3, 4}))
    c = ev.commitments
    story.append(k.p("Your commitments", k.h2))
    story.append(k.table(["Id", "Measure", "Outcome", "Claimed £", "Credited £", "Not credited because"],
                         [[x.id, x.measure, plain(x.served_outcome) or "-", money(x.figures_value), money(x.credited_value),
                           x.not_credited_reason or ""] for x in c.itertuples(index=False)],
                         [12, 36, 16, 24, 24, 68], right={3, 4}))
    flags = sa["flags"]
    story.append(k.p(f"Flags ({len(flags)}) and what to fix" if len(flags) else "No flags: nothing to fix", k.h2))
    if len(flags):
        story.append(k.table(["Flag", "Severity", "Where", "Finding", "What to fix"],
                             [[flag_label(x.code), x.severity, plain(x.commitment) or plain(x.criterion) or "bid", x.message,
                               x.fix]
                              for x in flags.itertuples(index=False)], [14, 15, 13, 69, 69]))
    story.append(k.p("How the buyer will assess", k.h2))
    story += method_story(k, ev)
    return k.build(story, title=f"Self-assessment {t.id} {sa['bidder']}",
                   header=f"{t.id} · Self-assessment · {sa['bidder']}", author=str(sa["bidder"]))


def _range_story(k: Kit, er: dict) -> list:
    """Issue 19: the range of marks to expect, per criterion and in total, with its assumptions."""
    rows = [[f"{r['criterion']} {plain(r['name'])}" + ("" if r["lens"] == "scale" else f" ({r['lens']} lens"
             + ("" if r["official"] else ", not counted") + ")"), f"{r['weight']:g}", marks(r["low"]), marks(r["high"]),
             r["assumption"]] for r in er["criteria"]]
    t = er["total"]
    rows.append([f"Total ({t['lens']} lens for social value)", f"{t['of']:g}", marks(t["low"]), marks(t["high"]), er["note"]])
    return [k.p("Range of marks you could expect", k.h2),
            k.p("The panel has not scored your responses and you cannot see the other bids, so each criterion's "
                "marks are a range; the assumptions behind each end are stated.", k.small),
            k.table(["Criterion", "Of", "Low", "High", "Assuming"], rows, [42, 12, 14, 14, 98], right={1, 2, 3},
                    bold_last=True)]
