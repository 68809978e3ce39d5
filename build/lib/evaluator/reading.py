"""A plain-English reading of an evaluation: what changes between the two lenses and why, in one
paragraph built only from the evaluation's own numbers (so it can never say what the tables do not)."""
from __future__ import annotations

import re

from .formatting import gbp
from .valuation import WALK_STEPS

_STEP_WORDS = {
    "not_credited_errors": "commitments not credited because of error flags",
    "off_design": "commitments that serve none of the buyer's outcomes",
    "proxy_corrected": "claimed proxies replaced by the reference values",
    "beyond_term": "years claimed after the contract ends",
    "persistence": "persistence after delivery",
    "deflators": "deadweight, attribution and displacement",
    "evidence": "weighting by the strength of evidence",
    "discounting": "discounting to present value",
}


_DQ_WORDS = {"SV203": "below a minimum score", "SV208": "a failed pass/fail question",
             "SV209": "nothing credited towards a mandatory outcome", "SV210": "a price over the budget"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _names(names: list[str], limit: int = 3) -> str:
    names = [str(n) for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def figures_vs_design(ev) -> str:
    """One paragraph: the winner under each lens, the £ claimed against the £ credited and the steps
    that account for the difference, the biggest rank moves, and how the field meets the outcomes."""
    r = ev.results
    official, other = ev.official_lens, ev.other_lens
    n = len(r)
    if n == 0:
        return "There are no bids to compare."
    eligible = r[r["eligible"].astype(bool)]
    parts: list[str] = []
    win_o, win_x = ev.winner(official), ev.winner(other)
    if win_o is None:
        parts.append(f"No bid can be ranked: all {n} are disqualified.")
    else:
        top = eligible.loc[eligible["bidder"] == win_o].iloc[0]
        if "price_per_point" in top.index and getattr(ev.rubric, "award", "weighted") == "price_per_quality_point":
            parts.append(f"Under the official {official} lens {win_o} comes first at {gbp(top['price_per_point'], 2)} "
                         f"per quality point ({top['total']:.2f} quality points out of 100).")
        else:
            parts.append(f"Under the official {official} lens {win_o} comes first with {top['total']:.2f} marks out "
                         "of 100.")
        if win_x is not None and win_x != win_o:
            row = eligible.loc[eligible["bidder"] == win_x].iloc[0]
            parts.append(f"Under the {other} lens the award would go to {win_x} instead, which ranks "
                         f"{_ordinal(int(row[f'{official}_rank']))} on the official lens "
                         f"(claimed {gbp(row['claimed_value'])}, credited {gbp(row['credited_value'])}).")
        elif win_x is not None:
            parts.append(f"The {other} lens picks the same winner, so the award does not depend on how social "
                         "value is counted.")

    claimed = float(r["claimed_value"].sum())
    credited = float(r["credited_value"].sum())
    if claimed > 0:
        parts.append(f"Across the {n} bid{'s' if n != 1 else ''}, suppliers claimed {gbp(claimed)} of social value; "
                     f"the design lens credits {gbp(credited)} ({credited / claimed:.0%}) after validation.")
        c = ev.commitments
        steps = []
        for key, _ in WALK_STEPS[1:]:
            col = f"walk_{key}"
            if col in c:
                steps.append((key, float(c[col].sum())))
        cuts = sorted([s for s in steps if s[1] < 0], key=lambda s: s[1])[:3]
        if cuts:
            said = [f"{_STEP_WORDS[k]} ({gbp(-v)})" for k, v in cuts]
            parts.append("Most of the difference comes from " + _names(said, 3) + ".")
    elif n:
        parts.append("No bid claims any social value in £.")

    moved = eligible.dropna(subset=["figures_rank", "design_rank"])
    if len(moved):
        delta = moved["figures_rank"].astype(float) - moved["design_rank"].astype(float)
        # the biggest move first; among equal moves, the one nearest the top of the ranking
        up = moved[delta > 0].assign(d=delta[delta > 0]).sort_values(["d", "design_rank"], ascending=[False, True])
        down = moved[delta < 0].assign(d=delta[delta < 0]).sort_values(["d", "figures_rank"], ascending=[True, True])
        if up.empty and down.empty:
            parts.append("Every bid keeps the same rank under both lenses.")
        else:
            said = []
            if len(up):
                b = up.iloc[0]
                said.append(f"{b['bidder']} rises from {_ordinal(int(b['figures_rank']))} on the figures lens to "
                            f"{_ordinal(int(b['design_rank']))} on the design lens")
            if len(down):
                b = down.iloc[0]
                said.append(f"{b['bidder']} falls from {_ordinal(int(b['figures_rank']))} to "
                            f"{_ordinal(int(b['design_rank']))}")
            moves = int((delta != 0).sum())
            parts.append(f"{moves} of {len(moved)} ranked bids change place: " + "; ".join(said) + ".")

    att = ev.attainment
    if len(att) and att["attainment"].notna().any():
        a = att[att["bidder"].isin(set(eligible["bidder"]))] if len(eligible) else att
        by_outcome = a.groupby("outcome", sort=False).agg(best=("attainment", "max"), name=("name", "first"))
        by_outcome = by_outcome[by_outcome["best"].notna()]
        met = by_outcome[by_outcome["best"] >= 1 - 1e-9]
        short = by_outcome[by_outcome["best"] < 1 - 1e-9].sort_values("best")
        if len(by_outcome):
            if len(short) == 0:
                parts.append("Every outcome with a target is met in full by at least one bid.")
            else:
                o = short.iloc[0]
                lead = ("No outcome with a target is met in full by any bid" if len(met) == 0 else
                        f"{len(met)} of {len(by_outcome)} outcomes with a target are met in full by some bid")
                parts.append(f"{lead}; the furthest from its target is {short.index[0]} ({o['name']}), where the best bid "
                             f"reaches {o['best']:.0%}.")
    elif len(ev.rubric.outcomes) == 0:
        parts.append("The design sets no outcomes, so the design lens has nothing to credit: only the figures lens "
                     "can award social-value marks.")

    dq = r[~r["eligible"].astype(bool)]
    if len(dq):
        codes = set()
        if "disqualified_by" in dq.columns:
            for c in dq["disqualified_by"].fillna("").astype(str):
                codes |= set(re.findall(r"SV\d{3}", c))
        why = " or ".join(_DQ_WORDS[c] for c in sorted(codes) if c in _DQ_WORDS) or _DQ_WORDS["SV203"]
        parts.append(f"{_names(dq['bidder'].tolist())} {'is' if len(dq) == 1 else 'are'} disqualified "
                     f"({why}) and not ranked.")
    return " ".join(parts)
