"""Why a bid scored what it did, and why it did not win, in sentences a supplier can follow: the prose of
the assessment summaries (reg 31), beside reading.py's plain-words reading of the figures against the design."""
from __future__ import annotations

import pandas as pd

from .assessment_method import criterion_title, how_assessed, scores_available
from .bid_slices import by_bidder, shown_commitments
from .pdf_kit import marks, money, pct


def sv_explanation(cache: dict, bidder: str, row: pd.Series) -> str:
    """The design lens's marks explained by the bid's own commitments: attainment per outcome, how many
    commitments counted, claimed against credited £."""
    att = cache["attainment"].get(bidder)
    parts = []
    if att is not None:
        for a in att.itertuples(index=False):
            parts.append(f"{a.outcome} reached {pct(a.attainment)} of its target")
    c = cache["comm"].get(bidder)
    n_all = 0 if c is None else len(c)
    n_cred = 0 if c is None else int(c["credited"].astype(bool).sum())
    text = (f"Of your {n_all} commitment{'s' if n_all != 1 else ''}, {n_cred} counted towards the buyer's outcomes; "
            f"you claimed {money(row['claimed_value'])} and {money(row['credited_value'])} was credited after the "
            f"checks, net of what would have happened anyway, weighted by your evidence and discounted.")
    if parts:
        text = "; ".join(parts) + ". " + text
    return text


def why_not(ev, bidder, row, winner, win_row, compare, cache) -> list[str]:
    """Why the contract is not being awarded to this bidder (reg 31): disqualified, or the gap to the winner and
    the criteria it came from, largest first."""
    out = []
    if not row["eligible"]:
        fl = cache["flags"].get(bidder)
        msgs = [] if fl is None else fl[fl["code"] == "SV203"]["message"].astype(str).tolist()
        out.append("Your tender did not reach a minimum score: " + ("; ".join(msgs) if msgs else "see the scores above")
                   + ". A tender below a minimum score set in the award criteria cannot be the most advantageous "
                   "tender, so it was not ranked.")
        return out
    if winner is None or win_row is None:
        out.append("No eligible tender was ranked first." if winner is None else "")
        return [o for o in out if o]
    gap = float(win_row["total"]) - float(row["total"])
    if gap <= 1e-9:
        out.append(f"Your tender scored the same total as {winner} ({marks(row['total'])}); the tie was broken by "
                   "the higher quality marks, then the lower price, as the tender documents set out.")
    else:
        out.append(f"The winning tender, from {winner}, scored {marks(win_row['total'])} of 100; yours scored "
                   f"{marks(row['total'])}, {gap:.2f} marks fewer.")
    behind = sorted([x for x in compare if x[2] - x[1] > 0.005], key=lambda x: x[1] - x[2])
    ahead = [x for x in compare if x[1] - x[2] > 0.005]
    if behind:
        out.append("You scored fewer marks than the winning tender on: " + "; ".join(
            f"{t} ({m:.2f} against {w:.2f})" for t, m, w in behind) + ".")
        t0, m0, w0 = behind[0]
        out.append(f"The largest difference was on {t0}, where you scored {w0 - m0:.2f} marks fewer.")
    if ahead:
        out.append("You scored more marks than the winning tender on: " + "; ".join(
            f"{t} ({m:.2f} against {w:.2f})" for t, m, w in ahead) + ", but not enough to make up the difference.")
    return out


def summary_context(ev) -> dict:
    """Per-bid slices computed once for all the summaries of a tender."""
    r = ev.rubric
    res = ev.results.set_index("bidder", drop=False)
    crit_rows = [[f"{c.id} {criterion_title(c)}", f"{c.weight:g}", how_assessed(r, c), scores_available(r, c)]
                 for c in r.spec.criteria]
    return {
        "res": res,
        "bids": ev.bidset.bids.set_index("bidder", drop=False),
        "winner": ev.winner(),
        "scale": by_bidder(ev.scale),
        "price": by_bidder(ev.price),
        "flags": by_bidder(ev.flags),
        "comm": by_bidder(shown_commitments(ev)),
        "attainment": by_bidder(ev.attainment),
        "criteria_rows": crit_rows,
    }
