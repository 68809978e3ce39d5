"""The engine's long tables cut per bid, once, for documents that show every bid (a tender can have
hundreds): what a report shows of each bid's commitments, the results in rank order, a bid's own details."""
from __future__ import annotations

from typing import Any

import pandas as pd


_COMMITMENT_COLS = ["bidder", "id", "measure", "served_outcome", "quantity", "unit", "evidence_grade", "figures_value",
                    "credited", "credited_value", "not_credited_reason"]


def shown_commitments(ev) -> pd.DataFrame:
    """Only the commitment columns the reports show (the engine's table is ~70 columns wide, and
    iterating wide rows is what costs time with hundreds of bids)."""
    from .valuation import WALK_STEPS
    c = ev.commitments
    return c[_COMMITMENT_COLS + [f"walk_{k}" for k, _ in WALK_STEPS if f"walk_{k}" in c.columns]]


def is_lots(ev) -> bool:
    """A LotsEvaluation (one Evaluation per lot and the award across lots), not one Evaluation."""
    return isinstance(getattr(ev, "lots", None), dict)


def by_bidder(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One pass over a long table instead of one filter per bid (a tender can have hundreds of bids)."""
    if frame is None or frame.empty or "bidder" not in frame.columns:
        return {}
    return {str(k): g for k, g in frame.groupby("bidder", sort=False, dropna=True)}


def in_rank_order(results: pd.DataFrame) -> pd.DataFrame:
    """Ranked bids first (best first), then the disqualified, by total."""
    r = results.copy()
    r["_order"] = r["rank"].astype("Float64").fillna(1e12)
    return r.sort_values(["_order", "total"], ascending=[True, False], kind="stable")


def given(info: Any, key: str, missing: str = "not given in the bid") -> str:
    v = info.get(key) if hasattr(info, "get") else None
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()):
        return missing
    return str(v)


TREE_COLUMNS = ["bidder", "id", "kind", "level", "name", "weight", "score", "score_text", "marks", "basis",
                "explanation", "below"]


def _label(rubric, cid: str, score: float) -> str:
    try:
        text = rubric.descriptor(score, criterion=cid) if hasattr(rubric, "criterion_scale") else rubric.descriptor(score)
    except TypeError:
        text = rubric.descriptor(score)
    return " ".join(str(text or "").split()).split(":")[0]


def _panel_rationale(ev) -> dict:
    """(bidder, criterion) -> the MODERATED rationale, else the evaluators' rationales joined."""
    sc = ev.scores
    if sc is None or sc.empty:
        return {}
    out: dict = {}
    mod = sc[sc["evaluator"] == "MODERATED"]
    for b, c, text in zip(mod["bidder"], mod["criterion"], mod["rationale"]):
        if isinstance(text, str) and text.strip():
            out[(b, c)] = text
    return out


def tree_marks(ev) -> pd.DataFrame:
    """Every bid's score and marks on every node of the criteria tree (groups, sub-criteria, pass/fail
    questions), in tree order per bid, with the explanation a supplier is given for it. A group's marks are
    the engine's (the exact sum of its leaves); nothing is rounded here."""
    from .pdf_kit import money, pct
    r = ev.rubric
    nodes = r.nodes
    res = ev.results
    lens = ev.official_lens
    price = {b: (p, m, lo) for b, p, m, lo in zip(ev.price["bidder"], ev.price["price"], ev.price["marks"],
                                                 ev.price["lowest"])} if len(ev.price) else {}
    scale = {}
    if len(ev.scale):
        s = ev.scale
        mr = s["moderated_rationale"] if "moderated_rationale" in s.columns else [None] * len(s)
        for key in zip(s["bidder"], s["criterion"], s["score"], s["marks"], s["scored"], s["basis"], mr,
                       s["below_threshold"]):
            scale[(key[0], key[1])] = key[2:]
    pf = getattr(ev, "pass_fail", None)
    passfail = ({(b, c): (res_, basis) for b, c, res_, basis in zip(pf["bidder"], pf["criterion"], pf["result"],
                                                                     pf["basis"])}
                if pf is not None and len(pf) else {})
    gr = getattr(ev, "groups", None)
    groups = ({(b, g): (m, share, below) for b, g, m, share, below in zip(
        gr["bidder"], gr["group"], gr["marks"], gr["share_of_marks"], gr["below_min_share"])}
        if gr is not None and len(gr) else {})
    rationale = _panel_rationale(ev)
    kids = {g: list(r.children(g)) for g in nodes.loc[nodes["kind"] == "group", "id"]}
    rows = []
    for b, p_, sv_m, claimed, frac in zip(res["bidder"], res["price"], res[f"{lens}_score"], res["claimed_value"],
                                          res["design_fraction"]):
        for cid, kind, level, name, weight in zip(nodes["id"], nodes["kind"], nodes["level"], nodes["name"],
                                                  nodes["weight"]):
            score, text, marks, basis, why, below = None, "", None, "", "", False
            if kind == "price":
                _, marks, lowest = price.get(b, (p_, 0.0, float("nan")))
                score, text = p_, money(p_)
                why = (f"Your price {money(p_)} was the lowest eligible price, so it gets all the price marks."
                       if lowest == lowest and abs(float(p_) - float(lowest)) < 0.005 else
                       f"Your price {money(p_)}; the lowest eligible price was {money(lowest)}.")
            elif kind == "scale":
                got = scale.get((b, cid))
                if got is not None and got[2]:
                    score, marks, basis = float(got[0]), float(got[1]), str(got[3])
                    label = _label(r, cid, score)
                    text = f"{score:g}" + (f" ({label})" if label else "")
                    why = (got[4] if basis == "moderated" and isinstance(got[4], str) else
                           "The panel recorded no consensus rationale; the score is the median of the evaluators' "
                           "scores.")
                    below = bool(got[5])
                    if below:
                        thr = r.criterion(cid).threshold
                        why += f" This is below the minimum score of {thr:g}, so the tender is disqualified."
                else:
                    marks, text, why = 0.0, "not scored", "This criterion was not scored (0 marks)."
            elif kind == "social_value":
                marks = float(sv_m)
                text = (f"{pct(frac, 1)} of the targets" if lens == "design" else f"{money(claimed)} claimed")
                why = (f"Priority-weighted share of the buyer's outcome targets reached: {pct(frac, 1)}; marks = "
                       f"{weight:g} × that share." if lens == "design" else
                       f"Claimed {money(claimed)}; marks in proportion to the highest eligible claim "
                       f"({money(ev.best_claimed)}).")  # the summaries explain it from the bid's commitments
            elif kind == "pass_fail":
                result, basis = passfail.get((b, cid), (None, ""))
                text = result if result in ("pass", "fail") else "unresolved"
                below = result == "fail"
                why = rationale.get((b, cid)) or {
                    "pass": "The evaluators agreed: pass.", "fail": "The evaluators agreed: fail."}.get(
                    result, "The evaluators did not agree and the panel has not yet recorded a moderated result.")
                if below:
                    why += " A fail disqualifies the tender."
            else:  # group
                m, share, below = groups.get((b, cid), (0.0, float("nan"), False))
                marks, below = float(m), bool(below)
                parts = kids.get(cid, [])
                text = "sum of " + ", ".join(parts)
                why = f"The sum of the marks for {', '.join(parts)}: {marks:.2f} of {weight:g}" + (
                    f" ({share:.0%} of the group's marks)." if share == share else ".")
                mn = r.criterion(cid).min_share
                if mn:
                    why += (f" Under {mn:.0%} of them disqualifies; this tender is below it." if below else
                            f" The minimum is {mn:.0%}.")
            rows.append([b, cid, kind, int(level), name if isinstance(name, str) and name else cid, float(weight), score, text, marks, basis, why, below])
    return pd.DataFrame(rows, columns=TREE_COLUMNS)
