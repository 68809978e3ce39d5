"""The range of marks a supplier could expect for one draft bid (issue 19), with the assumptions that
bound it, in words. A draft has no panel scores and the supplier cannot see the other bids, so one
figure would mislead; each criterion gets a low and a high end:

- social value, design lens: the supplier's own attainment, credited as the design lens credits it.
  Both ends assume the bid goes in as drafted: error-flagged commitments stay uncredited and warnings
  are credited (as the buyer's evaluation does). Fixing the error flags can only raise it.
- social value, figures lens: pro rata to the best claim in the field. High end: your claim is the best
  (full marks). Low end: another bid claims up to the benchmark share of the contract value (SV201's
  threshold), or the best claim the supplier gave, whichever is larger.
- scale (quality) criteria: the panel has not scored. High end: the top scale step. Low end: the lowest
  step that keeps the bid in (a score below a criterion's threshold disqualifies it), else the lowest step.
- price is left out: its marks depend on the other bids' prices.

The total is the official lens's social-value marks plus every scale criterion's."""
from __future__ import annotations

from typing import Optional

from .formatting import gbp

PRICE_NOTE = "Price is not included: its marks depend on the other bids' prices, which you cannot see."


def _step_words(rubric, cid: str, step: float) -> str:
    words = None
    for c in rubric.scale_criteria:
        if c.id == cid and c.descriptors:
            words = c.descriptors.get(step)
    if words is None:
        words = (getattr(rubric.spec, "descriptors", None) or {}).get(step)
    label = f"{step:g}"
    short = str(words or "").split(":")[0].split(",")[0].strip()
    if short and len(short) <= 20 and not short.lower().startswith("as "):  # a name, not a sentence
        label += f" ({short})"
    return label


def _figures_words(claimed: float, worst: float, share: float, cap: float) -> str:
    if worst > claimed:
        return (f"high: your claim of {gbp(claimed)} is the best in the field; low: another bid claims {gbp(worst)} "
                f"(the larger of {share:.0%} of the contract value, the share above which the buyer questions a "
                "claim, and the best claim you entered)")
    return (f"your claim of {gbp(claimed)} is at or above {share:.0%} of the contract value ({gbp(cap)}), the share "
            "above which the buyer questions a claim; no other bid is assumed to claim more, so it is the best in the field "
            "at both ends")


def expected_marks(sa: dict, rubric) -> dict:
    """Low and high marks per criterion and in total for the self-assessment `sa` (evaluation.self_assess),
    each row with its assumptions in words. Marks are unrounded; round only for display."""
    rows: list[dict] = []
    sv = rubric.sv_criterion
    official = rubric.official_lens
    if sv is not None:
        w = float(sa["sv_weight"])
        design = float(sa["design_score"])
        rows.append({"criterion": sv.id, "name": sv.name or sv.id, "lens": "design", "weight": w,
                     "low": design, "high": design, "official": official == "design",
                     "assumption": ("your own attainment of the buyer's outcomes, credited as the design lens "
                                    "credits it: the bid as drafted, with error-flagged commitments uncredited "
                                    "and warnings credited; fixing the error flags can only raise it")})
        claimed = max(0.0, float(sa["claimed_value"]))
        share = float(rubric.spec.benchmarks.max_claimed_share)
        cap = share * float(rubric.tender.contract_value)
        worst = max(claimed, cap, float(sa["best_claimed"]))
        low = w * min(1.0, claimed / worst) if worst > 0 else 0.0
        high = w if claimed > 0 else 0.0
        rows.append({"criterion": sv.id, "name": sv.name or sv.id, "lens": "figures", "weight": w,
                     "low": low, "high": high, "official": official == "figures", "worst_best_claimed": worst,
                     "assumption": _figures_words(claimed, worst, share, cap)})
    for c in rubric.scale_criteria:
        steps = sorted(float(s) for s in rubric.criterion_scale(c.id))
        top = steps[-1]
        floor = steps[0]
        if c.threshold is not None:
            floor = next((s for s in steps if s >= float(c.threshold)), top)
        w = float(c.weight)
        below = (f"; a score below {float(c.threshold):g} disqualifies the bid" if c.threshold is not None else "")
        rows.append({"criterion": c.id, "name": c.name or c.id, "lens": "scale", "weight": w,
                     "low": w * floor / top if top else 0.0, "high": w, "official": True,
                     "social_value": bool(c.social_value),
                     "assumption": (f"the panel's score: if your response scores {_step_words(rubric, c.id, floor)}"
                                    f" to {_step_words(rubric, c.id, top)}{below}")})
    counted = [r for r in rows if r["official"]]
    return {
        "criteria": rows,
        "total": {"low": sum(r["low"] for r in counted), "high": sum(r["high"] for r in counted),
                  "of": sum(r["weight"] for r in counted), "lens": official},
        "note": PRICE_NOTE,
    }


def range_json(er: dict) -> dict:
    """The range for `check --json` (key "expected_marks"): marks unrounded."""
    keep = ("criterion", "name", "lens", "weight", "low", "high", "official", "assumption")
    return {"criteria": [{k: r[k] for k in keep} for r in er["criteria"]], "total": dict(er["total"]),
            "note": er["note"]}


def range_lines(er: dict) -> list[str]:
    """The range as text lines (marks to two decimals)."""
    out = [f"Range of marks you could expect (the {er['total']['lens']} lens counts for social value):"]
    for r in er["criteria"]:
        lens = "" if r["lens"] == "scale" else f", {r['lens']} lens" + ("" if r["official"] else ", not counted")
        out.append(f"  {r['criterion']} {r['name']}{lens}: {r['low']:.2f} to {r['high']:.2f} of {r['weight']:g}")
        out.append(f"      assuming {r['assumption']}")
    t = er["total"]
    out.append(f"  Total: {t['low']:.2f} to {t['high']:.2f} of {t['of']:g} marks. {er['note']}")
    return out


def range_total(er: Optional[dict]) -> str:
    t = er["total"]
    return f"{t['low']:.2f} to {t['high']:.2f} of {t['of']:g}"
