"""Why a bid scored what it did, and why it did not win, in sentences a supplier can follow: the prose of
the assessment summaries (reg 31), beside reading.py's plain-words reading of the figures against the design."""
from __future__ import annotations

import pandas as pd

from .assessment_method import criteria_rows, criterion_title, how_assessed, is_flat, per_point, scores_available
from .bid_slices import by_bidder, is_lots, shown_commitments, tree_marks
from .pdf_kit import marks, money, pct, pence

DQ_CODES = ("SV203", "SV208", "SV209", "SV210")   # the flags that disqualify a bid


def dq_reasons(fl) -> tuple[list[str], list[str]]:
    """The codes and messages of the flags that disqualified a bid."""
    if fl is None or not len(fl):
        return [], []
    hit = fl[fl["code"].isin(DQ_CODES)]
    return hit["code"].astype(str).tolist(), hit["message"].astype(str).tolist()


def _why_not_per_point(bidder, row, winner, win_row, compare) -> list[str]:
    out = []
    mine, theirs = float(row["price_per_point"]), float(win_row["price_per_point"])
    gap = mine - theirs
    if gap <= 1e-9:
        out.append(f"Your tender costs the same per quality point as {winner}'s ({pence(mine)}); the tie was broken "
                   "as the tender documents set out.")
    else:
        out.append(f"The winning tender, from {winner}, costs {pence(theirs)} per quality point ({money(win_row['price'])} "
                   f"for {float(win_row['quality_points']):.2f} quality points); yours costs {pence(mine)} per quality "
                   f"point ({money(row['price'])} for {float(row['quality_points']):.2f} quality points), "
                   f"{pence(gap)} more.")
    behind = sorted([x for x in compare if x[2] - x[1] > 0.005], key=lambda x: x[1] - x[2])
    if behind:
        out.append("You scored fewer quality points than the winning tender on: " + "; ".join(
            f"{t} ({m:.2f} against {w:.2f})" for t, m, w in behind) + ".")
    if float(row["price"]) > float(win_row["price"]) + 0.005:
        out.append(f"Your price {money(row['price'])} is higher than the winning tender's {money(win_row['price'])}.")
    return out


def award_rows(lev) -> list[dict]:
    """The award across lots in the order it was made, each passed-over supplier with the reason (the lot
    limit, naming the lots they already hold)."""
    limit = getattr(lev.rubric.spec, "max_lots_per_supplier", None)
    held: dict[str, list[str]] = {}
    out = []
    a = lev.award.sort_values("order", kind="stable") if "order" in lev.award.columns else lev.award
    for x in a.to_dict("records"):
        passed, before = [], {}
        for b in list(x.get("passed_over") or []):
            got = held.get(b, [])
            before[b] = list(got)
            passed.append((b, f"already awarded {', '.join('lot ' + str(g) for g in got) or 'its limit of lots'}; "
                              f"the tender allows {limit} lot{'s' if limit != 1 else ''} per supplier"))
        winner = x.get("awarded_to")
        if isinstance(winner, str) and winner:
            held.setdefault(winner, []).append(str(x["lot"]))
        out.append({"lot": str(x["lot"]), "title": x.get("title") or "", "contract_value": x.get("contract_value"),
                    "awarded_to": winner if isinstance(winner, str) and winner else None, "passed_over": passed,
                    "order": x.get("order"), "held": before, "limit": limit})
    return out


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
        codes, msgs = dq_reasons(cache["flags"].get(bidder))
        if set(codes) <= {"SV203"}:
            out.append("Your tender did not reach a minimum score: " + ("; ".join(msgs) if msgs else
                                                                       "see the scores above")
                       + ". A tender below a minimum score set in the award criteria cannot be the most advantageous "
                       "tender, so it was not ranked.")
        else:
            out.append("Your tender is disqualified: " + "; ".join(msgs) + ". A disqualified tender cannot be the "
                       "most advantageous tender, so it was not ranked.")
        return out
    passed = cache.get("passed_over", {}).get(bidder)
    if passed:  # the lot limit, not the marks: the table below still sets the marks side by side
        return [passed + ("" if winner is None else f" This lot is being awarded to {winner}.")]
    if winner is None or win_row is None:
        out.append("No eligible tender was ranked first." if winner is None else "")
        return [o for o in out if o]
    if per_point(ev.rubric):
        return out + _why_not_per_point(bidder, row, winner, win_row, compare)
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


def summary_context(ev, lot=None) -> dict:
    """Per-bid slices computed once for all the summaries of a tender (of one lot of a lotted tender:
    `ev` a LotsEvaluation and `lot` its id; the winner is then the lot's award, not its first rank)."""
    extra: dict = {}
    if is_lots(ev):
        if lot is None:
            from .exceptions import InputError
            raise InputError("a tender with lots needs the lot of each summary", field="lot", value="")
        lots_ev = ev
        ev = lots_ev.evaluation(lot)
        rows = {a["lot"]: a for a in award_rows(lots_ev)}
        a = rows.get(str(lot), {})
        lot_obj = next((x for x in lots_ev.rubric.lots if x.id == lot), None)
        reasons = {}
        for b, why in a.get("passed_over", []):
            got = a.get("held", {}).get(b) or []
            limit = a.get("limit")
            held = ", ".join("lot " + str(g) for g in got)
            reasons[b] = (f"Your tender ranked above the tender this lot is awarded to, but you are passed over: you "
                          f"have already been awarded {held or 'your limit of lots'} and the tender allows {limit} "
                          f"lot{'s' if limit != 1 else ''} per supplier. Lots are awarded in descending contract value"
                          + (f", so {held} came before this one." if held else "."))
        extra = {"lot": lot_obj, "award": a, "passed_over": reasons, "winner": a.get("awarded_to")}
    r = ev.rubric
    res = ev.results.set_index("bidder", drop=False)
    if is_flat(r):
        crit_rows = [[f"{c.id} {criterion_title(c)}", f"{c.weight:g}", how_assessed(r, c), scores_available(r, c)]
                     for c in r.spec.criteria]
    else:
        crit_rows = [[f"{x[0]} {x[1]}", x[2], x[5], scores_available(r, r.criterion(x[0]))] for x in criteria_rows(r)]
        extra["tree"] = by_bidder(tree_marks(ev))
    return {"ev": ev, **_slices(ev, res, crit_rows), **extra}


def _slices(ev, res, crit_rows) -> dict:
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
