"""Reading the award criteria of one lot, and the checks on their weights.

Both encodings found in published notices are read here: the award-criteria extension's
``numbers[]`` (each saying what kind of weight it is) and the weight typed as text in a criterion's
``description`` ("70", "70%", "17.5", "15-40%"). A weight given as a range keeps its minimum and maximum;
``weight`` is then its middle. The checks are SV301 (weights that do not sum to 100), SV302 (social value
under 10%), SV309 (a weight that cannot be read), SV310 (a name that contradicts the type) and SV312 (no
weights). The vocabulary (regular expressions) is compiled once: a review reads 100,000 releases.
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

from .flags import CATALOGUE

SV_MINIMUM = 10.0  # PPN 002: at least 10% of the total score for social value
SUM_TOLERANCE = 0.01

# the vocabulary of published criteria
_NUM = r"(\d{1,4}(?:[.,]\d+)?)"
_UNIT = r"\s*(%|per\s*cent|percent|points?|pts|marks)?"
WEIGHT_TEXT = re.compile(
    rf"^\s*(?:weight(?:ing)?\s*[:=]?\s*)?{_NUM}{_UNIT}\s*(?:(?:-|–|—|to)\s*{_NUM}{_UNIT})?\s*\.?\s*$", re.I)
PERCENT_IN_TEXT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%(?:\s*(?:-|–|to)\s*(\d{1,3}(?:\.\d+)?)\s*%)?")
SOCIAL_VALUE = re.compile(
    r"social[\s-]+value|community[\s-]+benefit|socio[\s-]?economic|social,?\s+(?:and\s+)?(?:economic|environmental)"
    r"|well[\s-]?being|sustainab|environment|net[\s-]+zero|carbon|climate|fair[\s-]+work|modern[\s-]+slavery"
    r"|local\s+(?:employment|jobs|labour|supply\s+chain|economy|spend)|apprentice|ppn\s*0?(?:6/20|02|002)", re.I)
SOCIAL_VALUE_MENTION = re.compile(r"social[\s-]+value|community[\s-]+benefits?", re.I)
SOCIAL_VALUE_NEGATED = re.compile(
    r"(?:does|do|will)\s+not\s+(?:intend\s+to\s+)?(?:include|require)\s+any\s+(?:social[\s-]+value|community[\s-]+"
    r"benefits?)|no\s+(?:social[\s-]+value|community[\s-]+benefits?)\s+(?:requirements?|criteria|conditions)", re.I)
PRICE_NAME = re.compile(r"^\s*(?:total\s+|tendered\s+|overall\s+)?(?:price|pricing|cost|costs|fees?|rates?|"
                        r"commercial|financial)\b", re.I)
QUALITY_NAME = re.compile(r"quality|technical|method|social[\s-]+value|community[\s-]+benefit|experience|"
                          r"delivery\s+plan|approach", re.I)
PRICE_TYPES = ("price", "cost")

EXTENSION_KINDS = ("percentageExact", "percentageRangeMiddle", "decimalExact", "decimalRangeMiddle",
                   "pointsExact", "pointsRangeMiddle", "order")


def flag(code: str, message: str, situation: Optional[str] = None, lot: Any = None, criterion: Any = None, *,
         fix: Optional[str] = None) -> dict:
    """A review flag in DESIGN.md's shape. Its name, severity and fix come from the catalogue; `situation`
    names the fix for what this notice got wrong when the code has more than one (see flags.py). `fix` is
    one already written from the catalogue with this flag's own values (a design check's, a reading
    problem's)."""
    entry = CATALOGUE[code]
    if fix is None:
        fix = entry.fixes[situation] if situation else entry.fix
    return {"code": code, "name": entry.name, "severity": entry.severity, "bidder": None, "commitment": None,
            "lot": lot, "criterion": criterion, "message": message, "fix": fix}


def parse_weight_text(text: Any) -> Optional[tuple[float, float, float, str]]:
    """(weight, min, max, kind) from a weight typed as text, or None if it cannot be read.

    "70", "70%", "17.5", "17,5 %" are exact; "15-40%" and "15 to 40" are ranges (weight = middle);
    a single "N%" inside prose ("Social value 10% of total") is taken too. Anything else is None.
    """
    if not isinstance(text, str):
        return None
    m = WEIGHT_TEXT.match(text)
    if m:
        lo = float(m.group(1).replace(",", "."))
        if m.group(3):
            hi = float(m.group(3).replace(",", "."))
            lo, hi = min(lo, hi), max(lo, hi)
            return (lo + hi) / 2, lo, hi, "descriptionRange"
        return lo, lo, lo, "descriptionExact"
    found = PERCENT_IN_TEXT.findall(text)
    if len(found) == 1:
        lo = float(found[0][0])
        if found[0][1]:
            hi = float(found[0][1])
            lo, hi = min(lo, hi), max(lo, hi)
            return (lo + hi) / 2, lo, hi, "descriptionRange"
        return lo, lo, lo, "descriptionExact"
    return None


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            v = float(value.strip().rstrip("%").replace(",", "."))
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def text_or_none(value: Any) -> Optional[str]:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def read_criteria(criteria: Any, lot: Any) -> tuple[list[dict], list[dict]]:
    """The criteria of one lot (award-criteria extension or text weights) and the flags on reading them."""
    out: list[dict] = []
    flags: list[dict] = []
    if not isinstance(criteria, list):
        flags.append(flag("SV309", f"awardCriteria.criteria is a JSON {type(criteria).__name__}, not a list, so "
                          "no weight could be read", 'not-a-list', lot))
        return out, flags
    points: list[dict] = []
    for i, c in enumerate(criteria):
        if not isinstance(c, dict):
            flags.append(flag("SV309", f"criterion {i + 1} is not an object ({c!r:.60})",
                              'not-an-object', lot))
            continue
        ctype = text_or_none(c.get("type"))
        ctype = ctype.lower() if ctype else None
        name = text_or_none(c.get("name"))
        desc = text_or_none(c.get("description"))
        rec = {"type": ctype, "name": name, "weight": None, "weight_min": None, "weight_max": None,
               "weight_kind": None, "social_value": False}
        label = name or ctype or f"criterion {i + 1}"
        numbers = c.get("numbers")
        weight_numbers = [n for n in numbers if isinstance(n, dict) and n.get("weight") is not None] \
            if isinstance(numbers, list) else []
        prose = desc
        if weight_numbers:
            num = weight_numbers[0]
            kind = num.get("weight")
            value = _number(num.get("number"))
            rec["weight_kind"] = kind if isinstance(kind, str) else None
            if kind not in EXTENSION_KINDS:
                flags.append(flag("SV309", f"{label}: weight kind {kind!r} is not one of the award-criteria "
                                  f"extension's codes ({', '.join(EXTENSION_KINDS)})",
                                  'unknown-kind', lot, label))
            elif kind == "order":
                rec["order"] = value
            elif value is None:
                flags.append(flag("SV309", f"{label}: the weight number {num.get('number')!r} is not a number",
                                  None, lot, label))
            elif value < 0:
                flags.append(flag("SV309", f"{label}: the weight {value:g} is negative",
                                  'negative', lot, label))
            elif kind.startswith("percentage"):
                rec["weight"] = value
                if kind == "percentageExact":
                    rec["weight_min"] = rec["weight_max"] = value
            elif kind.startswith("decimal"):
                if value > 1:
                    flags.append(flag("SV309", f"{label}: a decimal weight must be a fraction from 0 to 1, not "
                                      f"{value:g}", 'decimal-over-1',
                                      lot, label))
                else:
                    rec["weight"] = value * 100
                    if kind == "decimalExact":
                        rec["weight_min"] = rec["weight_max"] = value * 100
            else:  # points: a share of the lot's total points, once all are known
                rec["_points"] = value
                points.append(rec)
        elif desc is not None:
            parsed = parse_weight_text(desc)
            if parsed is not None:
                rec["weight"], rec["weight_min"], rec["weight_max"], rec["weight_kind"] = parsed
                prose = None if WEIGHT_TEXT.match(desc) else desc
            else:
                rec["weight_kind"] = "unparsed"
                flags.append(flag("SV309", f"{label}: no weight could be read from the description {desc!r:.80}",
                                  'unread-text', lot, label))
        else:
            rec["weight_kind"] = "missing"
        if ctype not in PRICE_TYPES:
            rec["social_value"] = bool(SOCIAL_VALUE.search(name or "")) or bool(prose and SOCIAL_VALUE.search(prose))
        mislabelled(rec, label, lot, flags)
        out.append(rec)
    if points:
        total = sum(r["_points"] for r in points)
        for r in points:
            w = 100.0 * r["_points"] / total if total > 0 else 0.0
            r["weight"] = w
            if r["weight_kind"] == "pointsExact":
                r["weight_min"] = r["weight_max"] = w
    for r in points:
        r.pop("_points", None)
    return out, flags


def mislabelled(rec: dict, label: str, lot: Any, flags: list) -> None:
    name, ctype = rec["name"], rec["type"]
    if not name or not ctype:
        return
    if ctype not in PRICE_TYPES and PRICE_NAME.match(name) and not QUALITY_NAME.search(name):
        flags.append(flag("SV310", f"the criterion named {name!r} is published as type {ctype!r}: a {ctype} "
                          "criterion named as price or cost misleads anyone reading the weights",
                          None, lot, label))
    elif ctype in PRICE_TYPES and QUALITY_NAME.search(name) and not PRICE_NAME.match(name):
        flags.append(flag("SV310", f"the criterion named {name!r} is published as type {ctype!r}, but its name "
                          "says it judges quality or social value",
                          'quality-typed-as-price',
                          lot, label))


def weight_checks(criteria: list[dict], lot: Any) -> tuple[Optional[float], Optional[float], list[dict]]:
    """(weight_total, social_value_weight, flags) for one lot's criteria: SV301, SV302, SV312."""
    flags: list[dict] = []
    if not criteria:
        return None, None, flags
    kinds = [c["weight_kind"] for c in criteria]
    weighted = [c for c in criteria if c["weight"] is not None]
    missing = [c for c in criteria if c["weight_kind"] == "missing"]
    if any(k == "order" for k in kinds):
        flags.append(flag("SV312", "the criteria are published in order of importance only, with no weights",
                          'each-weight', lot))
    elif missing:
        names = ", ".join(c["name"] or c["type"] or "?" for c in missing)
        flags.append(flag("SV312", f"no weight is published for {names}",
                          'each-weight', lot))
    total = sum(c["weight"] for c in weighted) if weighted else None
    sv = [c for c in criteria if c["social_value"]]
    sv_weight = sum(c["weight"] for c in sv if c["weight"] is not None) if any(
        c["weight"] is not None for c in sv) else None
    complete = len(weighted) == len(criteria)
    if complete and weighted:
        lo = sum(c["weight_min"] if c["weight_min"] is not None else 0.0 for c in weighted)
        hi = sum(c["weight_max"] if c["weight_max"] is not None else 100.0 for c in weighted)
        exact = all(c["weight_min"] is not None and c["weight_min"] == c["weight_max"] for c in weighted)
        def parts() -> str:
            return " + ".join(f"{c['name'] or c['type'] or '?'} {_w(c)}" for c in weighted)
        if exact and abs(lo - 100.0) > SUM_TOLERANCE:
            gap = ("the notice leaves out criteria worth " + f"{100 - lo:g} points, or the weights are wrong"
                   if lo < 100 else "the weights are over 100" + (" (points out of 1,000?)" if abs(lo - 1000) < 0.01
                                                                  else ""))
            flags.append(flag("SV301", f"the published weights add up to {lo:g}, not 100 ({parts()}): {gap}",
                              'published', lot))
        elif not exact and not (lo - SUM_TOLERANCE <= 100.0 <= hi + SUM_TOLERANCE):
            flags.append(flag("SV301", f"the weight ranges add up to {lo:g}-{hi:g}, which cannot make 100 ({parts()})",
                              'ranges', lot))
    if sv_weight is not None and sv_weight < SV_MINIMUM:
        flags.append(flag("SV302", f"social value carries {sv_weight:g}% of the marks, under the 10% minimum "
                          "of PPN 002", None, lot))
    return (round(total, 6) if total is not None else None), (round(sv_weight, 6) if sv_weight is not None else None), flags


def _w(c: dict) -> str:
    if c["weight_min"] is not None and c["weight_max"] is not None and c["weight_min"] != c["weight_max"]:
        return f"{c['weight_min']:g}-{c['weight_max']:g}%"
    return f"{c['weight']:g}" + ("" if c["weight_min"] is not None else " (middle of a range)")
