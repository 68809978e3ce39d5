"""The portfolio view of a review: who weights social value and how much, designed against figures only,
the commonest design gaps, and each buyer's maturity (:mod:`evaluator.review_maturity`)."""
from __future__ import annotations

from typing import Optional

from .flags import CATALOGUE
from .review_criteria import SV_MINIMUM
from .review_maturity import MATURITY_LEVELS, MATURITY_RULE, maturity


DESIGN_STATUSES = ("designed", "partly_designed", "figures_only", "design_not_published", "text_only",
                   "not_weighted")
DATA_CODES = ("SV313", "SV314")
SV_BANDS = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, 100.0001)]


def tender_sv_weight(t: dict) -> Optional[float]:
    """The tender's social-value weight: the highest over its lots (null when no lot weights it)."""
    ws = [lot["social_value_weight"] for lot in t["lots"] if lot["social_value_weight"] is not None]
    return max(ws) if ws else None


def tender_codes(t: dict) -> set:
    return {f["code"] for f in t["flags"]} | {f["code"] for lot in t["lots"] for f in lot["flags"]}


def portfolio(tenders: list[dict], delivered: set, problems: int) -> dict:
    """The portfolio view: who weights social value and how much, designed against figures-only, the
    commonest design gaps, and each buyer's maturity on Moxham's matrix (rule in MATURITY_RULE).
    `tenders` are the reviewed tenders' records, `delivered` the OCIDs with delivery data given, and
    `problems` how many inputs could not be read."""
    import numpy as np

    n = len(tenders)
    weights = []
    status_counts = {s: 0 for s in DESIGN_STATUSES}
    gap_tenders: dict[str, int] = {}
    gap_lots: dict[str, int] = {}
    buyers: dict[str, dict] = {}
    n_lots = 0
    for t in tenders:
        w = tender_sv_weight(t)
        if w is not None and w > 0:
            weights.append(w)
        status_counts[t["design_status"]] = status_counts.get(t["design_status"], 0) + 1
        for code in tender_codes(t):
            gap_tenders[code] = gap_tenders.get(code, 0) + 1
        for lot in t["lots"]:
            n_lots += 1
            for code in {f["code"] for f in lot["flags"]}:
                gap_lots[code] = gap_lots.get(code, 0) + 1
        b = buyers.setdefault(t["buyer"] or "(buyer not named)", {
            "tenders": 0, "weighted": 0, "meet_minimum": 0, "designed": 0, "delivered": 0,
            "text_only": 0})
        b["tenders"] += 1
        if w is not None and w > 0:
            b["weighted"] += 1
            b["meet_minimum"] += w >= SV_MINIMUM
        b["designed"] += t["design_status"] == "designed"
        b["text_only"] += t["design_status"] == "text_only"
        b["delivered"] += bool(t["delivery_reported"] or (t["ocid"] in delivered))
    arr = np.asarray(weights, dtype=float)
    dist = {"tenders": int(arr.size)}
    if arr.size:
        dist.update(min=float(arr.min()), p25=float(np.percentile(arr, 25)), median=float(np.median(arr)),
                    mean=round(float(arr.mean()), 4), p75=float(np.percentile(arr, 75)), max=float(arr.max()))
    dist["bands"] = [{"band": f"{lo:g}-{min(hi, 100):g}%", "from": lo, "to": min(hi, 100),
                      "tenders": int(((arr >= lo) & (arr < hi)).sum())} for lo, hi in SV_BANDS]
    weighted = int(arr.size)
    meet = int((arr >= SV_MINIMUM).sum())
    gaps = sorted((c for c in gap_tenders if c not in DATA_CODES), key=lambda c: (-gap_tenders[c], c))
    buyer_rows = [maturity(name, b) for name, b in sorted(buyers.items(), key=lambda kv: (-kv[1]["tenders"], kv[0]))]
    return {
        "tenders": n, "lots": n_lots, "problems": problems,
        "rubrics": sum(t["kind"] == "rubric" for t in tenders),
        "ocds_tenders": sum(t["kind"] == "ocds" for t in tenders),
        "weight_social_value": {"tenders": weighted, "share": _share(weighted, n)},
        "social_value_weight": dist,
        "meet_10_percent": {"tenders": meet, "share_of_all": _share(meet, n), "share_of_weighted": _share(meet, weighted),
                            "below": weighted - meet},
        "design": status_counts,
        "figures_only": status_counts["figures_only"],
        "designed": status_counts["designed"],
        "design_gaps": [{"code": c, "name": CATALOGUE[c].name, "tenders": gap_tenders[c], "lots": gap_lots.get(c, 0)}
                        for c in gaps],
        "data_problems": {c: gap_tenders.get(c, 0) for c in DATA_CODES},
        "buyers": buyer_rows,
        "maturity_counts": {m: sum(r["maturity"] == m for r in buyer_rows) for m in MATURITY_LEVELS},
        "maturity_rule": MATURITY_RULE,
    }


def _share(a: int, b: int) -> Optional[float]:
    return round(a / b, 4) if b else None
