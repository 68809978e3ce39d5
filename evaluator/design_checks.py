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
    if sv < 10:
        blocks.append(make_flags("SV302", None, f"social value carries {sv:g}% of the marks, under the 10% "
                                 "minimum of PPN 002 (mandatory for central government from 1 October 2025)"))
    outcomes = rubric.spec.design.outcomes
    if len(outcomes) > 6:
        blocks.append(make_flags("SV303", None, f"the design has {len(outcomes)} outcomes; more than 6 spreads "
                                 "attention and monitoring thin (\"do not measure everything\")"))
    for o in outcomes:
        if o.target is None or o.baseline is None:
            missing = " and ".join(n for n, v in (("target", o.target), ("baseline", o.baseline)) if v is None)
            blocks.append(make_flags("SV304", None, f"outcome {o.id} ({o.name or o.id}) has no {missing}"
                                     + ("; its attainment cannot be measured and it is left out of the design "
                                        "fraction" if o.target is None else ""),
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
