"""Each buyer's maturity on Moxham's performance-management matrix, read from its tenders.

The rule is published with every review (MATURITY_RULE, in the JSON, the CSV and the readable text), so
a buyer can see why it sits where it does; `maturity` gives the level and the reason in words.
"""
from __future__ import annotations

MATURITY_LEVELS = ("stagnation", "compliance", "standardisation", "learning")
MATURITY_RULE = (
    "Moxham's performance-management matrix for the third sector, read per buyer from its tenders: "
    "stagnation = no tender weights social value (at most it is mentioned in text), so nothing is "
    "measured; compliance = social value is weighted, but most weighted tenders do not publish a design "
    "with outcomes, targets and evidence requirements, so figures are collected for upward "
    "accountability; standardisation = most weighted tenders are designed (outcomes with targets and "
    "evidence requirements), but no delivery data flows back; learning = designed as for "
    "standardisation and delivery data flows back for at least one contract (a delivery file given "
    "with --delivery, or OCDS contract implementation data), so the buyer can learn from what was "
    "delivered.")


def maturity(buyer: str, b: dict) -> dict:
    """One buyer on Moxham's matrix (see MATURITY_RULE), with the reason in words."""
    designed_most = b["weighted"] > 0 and b["designed"] * 2 >= b["weighted"]
    if b["weighted"] == 0:
        level = "stagnation"
        why = ("no tender weights social value" + (f"; {b['text_only']} mention it only in text" if b["text_only"] else ""))
    elif not designed_most:
        level = "compliance"
        why = (f"{b['weighted']} of {b['tenders']} tenders weight social value, but only {b['designed']} publish a "
               "design with outcomes, targets and evidence requirements")
    elif not b["delivered"]:
        level = "standardisation"
        why = (f"{b['designed']} of {b['weighted']} weighted tenders are designed with outcomes, targets and evidence "
               "requirements, but no delivery data flows back")
    else:
        level = "learning"
        why = (f"{b['designed']} of {b['weighted']} weighted tenders are designed, and delivery data flows back for "
               f"{b['delivered']}")
    return {"buyer": buyer, **b, "maturity": level, "reason": why}
