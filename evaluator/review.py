"""Pilot reviews of commissioning practice: how social value is weighted and designed across a portfolio.

A reviewer loads published tenders (OCDS, read by :mod:`evaluator.ocds`) and commissioners' rubrics
(YAML) side by side. For every tender and lot we read the award criteria in both encodings found in
the wild:

* the award-criteria extension, ``tender.lots[].awardCriteria.criteria[].numbers[]``, where each number
  says what kind of weight it is (``percentageExact``, ``percentageRangeMiddle``, ``decimalExact``,
  ``pointsExact``, ``order``...);
* the weight typed as text in the criterion's ``description`` ("70", "70%", "17.5", "15-40%", or
  nothing), which is how Sell2Wales and other TED-form portals publish them;

plus the core ``tender.awardCriteria`` code (``priceOnly``, ``ratedCriteria``...) and the sustainability
extension's ``goal`` codes. A weight given as a range keeps its minimum and maximum; ``weight`` is then
its middle.

Checks (flags in DESIGN.md's shape, with the lot they concern): SV301 weights that do not sum to 100
(or ranges whose sums cannot reach 100), SV302 social value under 10%, SV309 a weight that cannot be
read, SV310 a criterion whose name contradicts its type (a quality criterion called "Price"), SV311
social value or community benefits asked for in the notice's text but carrying no weight, SV312 no
weights published, SV313 an OCID seen more than once, SV314 input that cannot be read; rubrics also get
the design checks SV302-SV308 of :func:`evaluator.design_checks.check_rubric`.

Messy data never stops a review: a bad file, line or lot is a flag and the rest go on. The hot path is
one pass over a stream of releases with plain dicts and precompiled regular expressions, so 100,000
releases review in well under two minutes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .flags import CATALOGUE
from .ocds import Problem, expand, is_ocds_path, iter_releases

RUBRIC_SUFFIXES = (".yaml", ".yml")
SV_MINIMUM = 10.0  # PPN 002: at least 10% of the total score for social value
SUM_TOLERANCE = 0.01

# ------------------------------------------------------------------------------------------ vocabulary
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
CORE_CODES = {  # core OCDS tender.awardCriteria: what a code alone says about the weights
    "priceOnly": ("price", 100.0), "lowestPrice": ("price", 100.0), "lowestCost": ("cost", 100.0),
    "costOnly": ("cost", 100.0), "qualityOnly": ("quality", 100.0),
}
DESIGN_STATUSES = ("designed", "partly_designed", "figures_only", "design_not_published", "text_only",
                   "not_weighted")
DATA_CODES = ("SV313", "SV314")
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


def flag(code: str, message: str, fix: str, lot: Any = None, criterion: Any = None) -> dict:
    entry = CATALOGUE[code]
    return {"code": code, "name": entry.name, "severity": entry.severity, "bidder": None, "commitment": None,
            "lot": lot, "criterion": criterion, "message": message, "fix": fix}


# ------------------------------------------------------------------------------------------ weights
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


def _text(value: Any) -> Optional[str]:
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
                          "no weight could be read", "Publish the criteria as a list, one entry per criterion.", lot))
        return out, flags
    points: list[dict] = []
    for i, c in enumerate(criteria):
        if not isinstance(c, dict):
            flags.append(flag("SV309", f"criterion {i + 1} is not an object ({c!r:.60})",
                              "Publish each criterion as an object with type, name and weight.", lot))
            continue
        ctype = _text(c.get("type"))
        ctype = ctype.lower() if ctype else None
        name = _text(c.get("name"))
        desc = _text(c.get("description"))
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
                                  "Use a criterionWeight code such as percentageExact.", lot, label))
            elif kind == "order":
                rec["order"] = value
            elif value is None:
                flags.append(flag("SV309", f"{label}: the weight number {num.get('number')!r} is not a number",
                                  "Publish the weight as a number (70 for 70%).", lot, label))
            elif value < 0:
                flags.append(flag("SV309", f"{label}: the weight {value:g} is negative",
                                  "Publish the weight as a number from 0 to 100.", lot, label))
            elif kind.startswith("percentage"):
                rec["weight"] = value
                if kind == "percentageExact":
                    rec["weight_min"] = rec["weight_max"] = value
            elif kind.startswith("decimal"):
                if value > 1:
                    flags.append(flag("SV309", f"{label}: a decimal weight must be a fraction from 0 to 1, not "
                                      f"{value:g}", "Publish 0.7 for 70% (decimalExact), or use percentageExact.",
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
                                  "Publish the weight as a number or percentage (\"70\", \"70%\", \"15-40%\"), "
                                  "or in awardCriteria numbers.", lot, label))
        else:
            rec["weight_kind"] = "missing"
        if ctype not in PRICE_TYPES:
            rec["social_value"] = bool(SOCIAL_VALUE.search(name or "")) or bool(prose and SOCIAL_VALUE.search(prose))
        _mislabelled(rec, label, lot, flags)
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


def _mislabelled(rec: dict, label: str, lot: Any, flags: list) -> None:
    name, ctype = rec["name"], rec["type"]
    if not name or not ctype:
        return
    if ctype not in PRICE_TYPES and PRICE_NAME.match(name) and not QUALITY_NAME.search(name):
        flags.append(flag("SV310", f"the criterion named {name!r} is published as type {ctype!r}: a {ctype} "
                          "criterion named as price or cost misleads anyone reading the weights",
                          "Publish price and cost criteria with type price or cost, and name quality criteria "
                          "for what they judge.", lot, label))
    elif ctype in PRICE_TYPES and QUALITY_NAME.search(name) and not PRICE_NAME.match(name):
        flags.append(flag("SV310", f"the criterion named {name!r} is published as type {ctype!r}, but its name "
                          "says it judges quality or social value",
                          "Publish it with type quality, and keep type price or cost for the price itself.",
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
                          CATALOGUE["SV312"].fixes["each-weight"], lot))
    elif missing:
        names = ", ".join(c["name"] or c["type"] or "?" for c in missing)
        flags.append(flag("SV312", f"no weight is published for {names}",
                          CATALOGUE["SV312"].fixes["each-weight"], lot))
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
                              CATALOGUE["SV301"].fixes["published"], lot))
        elif not exact and not (lo - SUM_TOLERANCE <= 100.0 <= hi + SUM_TOLERANCE):
            flags.append(flag("SV301", f"the weight ranges add up to {lo:g}-{hi:g}, which cannot make 100 ({parts()})",
                              CATALOGUE["SV301"].fixes["ranges"], lot))
    if sv_weight is not None and sv_weight < SV_MINIMUM:
        flags.append(flag("SV302", f"social value carries {sv_weight:g}% of the marks, under the 10% minimum "
                          "of PPN 002", CATALOGUE["SV302"].fix, lot))
    return (round(total, 6) if total is not None else None), (round(sv_weight, 6) if sv_weight is not None else None), flags


def _w(c: dict) -> str:
    if c["weight_min"] is not None and c["weight_max"] is not None and c["weight_min"] != c["weight_max"]:
        return f"{c['weight_min']:g}-{c['weight_max']:g}%"
    return f"{c['weight']:g}" + ("" if c["weight_min"] is not None else " (middle of a range)")


# ------------------------------------------------------------------------------------------ one release
def _buyer(rel: dict) -> Optional[str]:
    b = rel.get("buyer")
    if isinstance(b, dict) and _text(b.get("name")):
        return _text(b.get("name"))
    parties = rel.get("parties")
    if isinstance(parties, list):
        for p in parties:
            if isinstance(p, dict) and isinstance(p.get("roles"), list) and "buyer" in p["roles"] and _text(p.get("name")):
                return _text(p.get("name"))
    return None


def _goals(obj: dict) -> list[tuple[str, list]]:
    s = obj.get("sustainability")
    out = []
    if isinstance(s, list):
        for item in s:
            if isinstance(item, dict) and isinstance(item.get("goal"), str):
                strategies = item.get("strategies")
                out.append((item["goal"], strategies if isinstance(strategies, list) else []))
    return out


def _mentions_social_value(*texts: Any) -> bool:
    for t in texts:
        if isinstance(t, str) and t:
            low = t.lower()  # a plain substring test first: regular expressions over pages of text are slow
            if "social" not in low and "community" not in low:
                continue
            if SOCIAL_VALUE_MENTION.search(low):
                if not SOCIAL_VALUE_NEGATED.search(low) or SOCIAL_VALUE_MENTION.search(SOCIAL_VALUE_NEGATED.sub(" ", low)):
                    return True
    return False


def _has_implementation(rel: dict) -> bool:
    contracts = rel.get("contracts")
    if not isinstance(contracts, list):
        return False
    for c in contracts:
        imp = c.get("implementation") if isinstance(c, dict) else None
        if isinstance(imp, dict) and any(isinstance(imp.get(k), list) and imp.get(k)
                                         for k in ("transactions", "milestones", "documents")):
            return True
    return False


def review_release(rel: dict, source: str, where: Optional[str] = None) -> dict:
    """One published tender: its lots, their criteria and weights, and the flags (the issue's JSON shape)."""
    tender = rel.get("tender")
    ocid = _text(rel.get("ocid")) or (str(rel["ocid"]) if rel.get("ocid") is not None else None)
    rec = {"source": source if where is None else f"{source} ({where})", "kind": "ocds", "ocid": ocid,
           "title": None, "buyer": _buyer(rel), "date": _text(rel.get("date")), "lots": [], "flags": [],
           "design_status": "not_weighted", "delivery_reported": _has_implementation(rel)}
    if not isinstance(tender, dict):
        rec["flags"].append(flag("SV312", "the release has no tender section, so there are no award criteria "
                                 "to review" if tender is None else f"'tender' is a JSON {type(tender).__name__}, "
                                 "not an object", "Review the tender release of this procurement.", None))
        rec["design_status"] = "design_not_published"
        rec["_has_tender"] = False
        return rec
    rec["_has_tender"] = True
    rec["title"] = _text(tender.get("title"))
    if not ocid:
        rec["flags"].append(flag("SV314", "the release has no ocid, so it cannot be matched with other releases "
                                 "of the same procurement", "Publish the ocid on every release.", None))
    core = tender.get("awardCriteria")
    core_details = tender.get("awardCriteriaDetails")
    tender_goals = _goals(tender)
    lots = tender.get("lots")
    if not isinstance(lots, list) or not lots:
        lots = [{"id": None, "_pseudo": True}]
    # the notice's own text is read once per release, not once per lot (descriptions run to pages)
    notice_mentions = _mentions_social_value(tender.get("title"), tender.get("description"), core_details,
                                             rel.get("description"))
    for raw in lots:
        if not isinstance(raw, dict):
            rec["flags"].append(flag("SV314", f"a lot is a JSON {type(raw).__name__}, not an object; it was skipped",
                                     "Publish each lot as an object.", None))
            continue
        lot_id = raw.get("id")
        lot_id = None if lot_id is None else str(lot_id)
        rec["lots"].append(_review_lot(raw, lot_id, core, tender_goals, notice_mentions))
    weighted = [lot for lot in rec["lots"] if lot["social_value_weight"]]
    if weighted:
        rec["design_status"] = "design_not_published"
    elif any(f["code"] == "SV311" for lot in rec["lots"] for f in lot["flags"]):
        rec["design_status"] = "text_only"
    return rec


def _review_lot(raw: dict, lot_id: Optional[str], core: Any, tender_goals: list, notice_mentions: bool) -> dict:
    ac = raw.get("awardCriteria")
    flags: list[dict] = []
    criteria: list[dict] = []
    if isinstance(ac, dict) and "criteria" in ac:
        criteria, flags = read_criteria(ac.get("criteria"), lot_id)
    elif isinstance(core, dict) and "criteria" in core:  # the breakdown published once for the whole tender
        criteria, flags = read_criteria(core.get("criteria"), lot_id)
    elif isinstance(core, str) and core in CORE_CODES:
        ctype, w = CORE_CODES[core]
        criteria = [{"type": ctype, "name": None, "weight": w, "weight_min": w, "weight_max": w,
                     "weight_kind": "awardCriteriaCode", "social_value": False}]
    elif isinstance(core, str) and core:
        flags.append(flag("SV312", f"the tender is awarded on {core!r} but no weights are published",
                          CATALOGUE["SV312"].fix, lot_id))
    else:
        flags.append(flag("SV312", "no award criteria are published" + (" for this lot" if lot_id else ""),
                          CATALOGUE["SV312"].fix, lot_id))
    total, sv_weight, more = weight_checks(criteria, lot_id)
    flags += more
    goals = tender_goals + _goals(raw)
    award_goals = sorted({g for g, s in goals if not s or "awardCriteria" in s})
    if not sv_weight:
        sv_named = [c for c in criteria if c["social_value"]]
        if sv_named:
            names = ", ".join(c["name"] or "?" for c in sv_named)
            flags.append(flag("SV311", f"social value is a criterion ({names}) but carries no weight that could be "
                              "read", "Give the social-value criterion a weight of at least 10%.", lot_id))
        elif award_goals:
            flags.append(flag("SV311", "the notice codes sustainability goal(s) " + ", ".join(award_goals)
                              + " for the award, but no award criterion for social value carries a weight",
                              "Add a weighted social-value criterion (at least 10%) for those goals.", lot_id))
        elif notice_mentions or _mentions_social_value(raw.get("title"), raw.get("description")):
            flags.append(flag("SV311", "social value or community benefits are asked for in the notice's text, "
                              "but no award criterion for them carries a weight",
                              "Weight social value as an award criterion (at least 10%), with outcomes and "
                              "targets, instead of leaving it to the text.", lot_id))
    return {"id": lot_id, "criteria": [{k: c[k] for k in ("type", "name", "weight", "weight_min", "weight_max",
                                                          "weight_kind", "social_value")} for c in criteria],
            "weight_total": total, "social_value_weight": sv_weight,
            "sustainability_goals": sorted({g for g, _ in goals}), "flags": flags}


# ------------------------------------------------------------------------------------------ rubrics
def review_rubric(path: Path | str) -> dict:
    """A commissioner's rubric, reviewed like a published tender: weights, then the design checks."""
    from .design_checks import check_rubric
    from .exceptions import EvaluatorError, InputErrors
    from .proxies import empty_proxies
    from .rubric import Rubric, RubricSpec, _pydantic_errors
    from .documents import load_document
    from pydantic import ValidationError

    path = Path(path)
    source = str(path)
    try:
        data = load_document(path)
        if not isinstance(data, dict):
            raise EvaluatorError(f"must be a mapping of keys (tender, criteria, ...), not {type(data).__name__}",
                                 file=path)
        if "tender" not in data and "criteria" not in data:
            raise EvaluatorError("is not a rubric (it has neither 'tender' nor 'criteria'), so it was skipped",
                                 file=path)
        try:
            spec = RubricSpec.model_validate(data)
        except ValidationError as exc:
            raise InputErrors(_pydantic_errors(exc, data, path)) from None
    except EvaluatorError as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        return {"_problem": [Problem(source, None, e.line(), "Fix the rubric (python -m evaluator check --rubric "
                                     f"{path.name} names every problem).") for e in errors]}
    rubric = Rubric(spec=spec, path=path, proxies=empty_proxies(), proxies_path=None)
    kinds = {"price": "price", "scale": "quality", "social_value": "social_value"}
    criteria = [{"type": kinds[c.kind], "name": c.name or c.id, "weight": c.weight, "weight_min": c.weight,
                 "weight_max": c.weight, "weight_kind": "rubric", "social_value": c.kind == "social_value" or c.social_value}
                for c in spec.criteria]
    flags: list[dict] = []
    total = sum(c.weight for c in spec.criteria)
    if abs(total - 100) > 1e-9:
        parts = " + ".join(f"{c.id} {c.weight:g}" for c in spec.criteria)
        flags.append(flag("SV301", f"the criteria weights add up to {total:g}, not 100 ({parts}); the rubric "
                          "would be refused for an award", CATALOGUE["SV301"].fix, None))
    for c, rec in zip(spec.criteria, criteria):
        _mislabelled({**rec, "type": {"price": "price"}.get(c.kind, "quality")}, rec["name"], None, flags)
    try:
        design = check_rubric(rubric)
    except Exception:  # noqa: BLE001 - a design the checks cannot read is reported, never a traceback
        design = None
    if design is not None and not design.empty:
        for f in design.to_dict("records"):
            flags.append(flag(f["code"], f["message"], f["fix"], None))
    sv = rubric.social_value_weight
    outcomes = spec.design.outcomes
    if sv <= 0:
        status = "not_weighted"
    elif not outcomes:
        status = "figures_only"
    elif all(o.target is not None and o.baseline is not None and o.evidence_required for o in outcomes):
        status = "designed"
    else:
        status = "partly_designed"
    lot = {"id": None, "criteria": criteria, "weight_total": round(total, 6), "social_value_weight": sv if sv > 0 else None,
           "sustainability_goals": [], "flags": []}
    return {"source": source, "kind": "rubric", "ocid": spec.tender.id, "title": spec.tender.title,
            "buyer": spec.tender.buyer, "date": None, "lots": [lot], "flags": flags, "design_status": status,
            "delivery_reported": False, "outcomes": len(outcomes), "_has_tender": True}


def is_rubric_path(path: Path) -> bool:
    return path.suffix.lower() in RUBRIC_SUFFIXES


def _wanted(path: Path) -> bool:
    return is_ocds_path(path) or is_rubric_path(path)


# ------------------------------------------------------------------------------------------ the review
@dataclass
class Review:
    """Everything loaded: one record per tender (the issue's JSON shape), input problems, the portfolio."""
    tenders: list[dict]
    problems: list[dict]
    delivered: set = field(default_factory=set)
    summary: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"tenders": [_public(t) for t in self.tenders], "summary": self.summary, "problems": self.problems}

    def json_bytes(self, indent: bool = False) -> bytes:
        import orjson
        return orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2 if indent else 0)


def _public(t: dict) -> dict:
    return {k: v for k, v in t.items() if not k.startswith("_")}


def review_paths(paths: Iterable[Path | str], delivered: Iterable[str] = ()) -> Review:
    """Review rubrics and OCDS files (or folders of them) as one portfolio.

    `delivered` names tenders (rubric tender ids or OCIDs) whose delivery data flows back to the buyer;
    OCDS contract implementation data counts too. Duplicate OCIDs are kept once: the latest release by
    date that has a tender section, with an SV313 flag saying how many were seen and where.
    """
    tenders: list[dict] = []
    problems: list[dict] = []
    by_ocid: dict[str, int] = {}
    seen: dict[str, list] = {}
    for item in expand(paths, _wanted):
        if isinstance(item, Problem):
            problems.append(_problem(item))
            continue
        if is_rubric_path(item):
            rec = review_rubric(item)
            if "_problem" in rec:
                problems.extend(_problem(p) for p in rec["_problem"])
                continue
            _add(rec, tenders, by_ocid, seen)
            continue
        for i, it in enumerate(iter_releases(item)):
            if isinstance(it, Problem):
                problems.append(_problem(it))
            elif i == 0 and (it.where is None or it.where.startswith("line ")) and "ocid" not in it.data \
                    and isinstance(it.data.get("criteria"), list):
                rec = review_rubric(item)  # a rubric written as JSON
                if "_problem" in rec:
                    problems.extend(_problem(p) for p in rec["_problem"])
                else:
                    _add(rec, tenders, by_ocid, seen)
            else:
                try:
                    rec = review_release(it.data, it.source, it.where)
                except Exception as exc:  # noqa: BLE001 - one odd release must not stop a portfolio
                    problems.append(_problem(Problem(it.source, it.where, "could not be reviewed "
                                                     f"({type(exc).__name__}: {exc})")))
                    continue
                _add(rec, tenders, by_ocid, seen)
    for ocid, sources in seen.items():
        if len(sources) > 1:
            t = tenders[by_ocid[ocid]]
            shown = "; ".join(sources[:3]) + (f"; and {len(sources) - 3} more" if len(sources) > 3 else "")
            t["flags"].append(flag("SV313", f"OCID {ocid} appears {len(sources)} times ({shown}); the latest release "
                                   "with a tender section is the one reviewed", "Remove duplicate releases, or load "
                                   "a record package with compiled releases.", None))
    review = Review(tenders=tenders, problems=problems, delivered=set(delivered))
    review.summary = portfolio(review)
    return review


def _problem(p: Problem) -> dict:
    return {**flag("SV314", p.message, p.fix), "source": p.source, "where": p.where}


def _add(rec: dict, tenders: list, by_ocid: dict, seen: dict) -> None:
    ocid = rec.get("ocid")
    if not ocid:
        tenders.append(rec)
        return
    if ocid in by_ocid:
        seen[ocid].append(rec["source"])
        old = tenders[by_ocid[ocid]]
        delivery = old["delivery_reported"] or rec["delivery_reported"]
        newer = (rec["_has_tender"] and not old["_has_tender"]) or (
            rec["_has_tender"] == old["_has_tender"] and str(rec.get("date") or "") >= str(old.get("date") or ""))
        if newer:
            tenders[by_ocid[ocid]] = rec
        tenders[by_ocid[ocid]]["delivery_reported"] = delivery
        return
    by_ocid[ocid] = len(tenders)
    seen[ocid] = [rec["source"]]
    tenders.append(rec)


# ------------------------------------------------------------------------------------------ portfolio
SV_BANDS = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, 100.0001)]


def tender_sv_weight(t: dict) -> Optional[float]:
    """The tender's social-value weight: the highest over its lots (null when no lot weights it)."""
    ws = [lot["social_value_weight"] for lot in t["lots"] if lot["social_value_weight"] is not None]
    return max(ws) if ws else None


def tender_codes(t: dict) -> set:
    return {f["code"] for f in t["flags"]} | {f["code"] for lot in t["lots"] for f in lot["flags"]}


def portfolio(review: Review) -> dict:
    """The portfolio view: who weights social value and how much, designed against figures-only, the
    commonest design gaps, and each buyer's maturity on Moxham's matrix (rule in MATURITY_RULE)."""
    import numpy as np

    tenders = review.tenders
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
        b["delivered"] += bool(t["delivery_reported"] or (t["ocid"] in review.delivered))
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
        "tenders": n, "lots": n_lots, "problems": len(review.problems),
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


# ------------------------------------------------------------------------------------------ tables
LOT_COLUMNS = ["source", "kind", "ocid", "title", "buyer", "lot", "criteria", "weight_total", "social_value_weight",
               "design_status", "flags"]


def lot_rows(review: Review) -> list[dict]:
    """One row per tender and lot, for CSV and the app's table."""
    rows = []
    for t in review.tenders:
        tcodes = [f["code"] for f in t["flags"]]
        for lot in t["lots"] or [{"id": None, "criteria": [], "weight_total": None, "social_value_weight": None,
                                  "flags": []}]:
            crit = "; ".join(f"{c['type'] or '?'}:{c['name'] or ''}={_show_weight(c)}" for c in lot["criteria"])
            codes = sorted(set(tcodes) | {f["code"] for f in lot["flags"]})
            rows.append({"source": t["source"], "kind": t["kind"], "ocid": t["ocid"], "title": t["title"],
                         "buyer": t["buyer"], "lot": lot["id"], "criteria": crit, "weight_total": lot["weight_total"],
                         "social_value_weight": lot["social_value_weight"], "design_status": t["design_status"],
                         "flags": " ".join(codes)})
    return rows


def _show_weight(c: dict) -> str:
    if c["weight"] is None:
        return c["weight_kind"] or "?"
    if c["weight_min"] is not None and c["weight_max"] is not None and c["weight_min"] != c["weight_max"]:
        return f"{c['weight_min']:g}-{c['weight_max']:g}"
    return f"{c['weight']:g}"


def flag_rows(review: Review) -> list[dict]:
    rows = []
    for t in review.tenders:
        for f in t["flags"]:
            rows.append({"ocid": t["ocid"], "title": t["title"], "buyer": t["buyer"], **f})
        for lot in t["lots"]:
            for f in lot["flags"]:
                rows.append({"ocid": t["ocid"], "title": t["title"], "buyer": t["buyer"], **f})
    return rows


def write_csv(review: Review, folder: Path | str) -> list[Path]:
    """lots.csv (one row per tender and lot), buyers.csv (maturity), summary.csv (metric, value),
    flags.csv and problems.csv into `folder`."""
    import csv

    from .spreadsheet import formula_safe

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = review.summary
    summary = [
        ("tenders", s["tenders"]), ("lots", s["lots"]), ("input problems", s["problems"]),
        ("tenders weighting social value", s["weight_social_value"]["tenders"]),
        ("share weighting social value", s["weight_social_value"]["share"]),
        ("tenders meeting the 10% minimum", s["meet_10_percent"]["tenders"]),
        ("weighted tenders below 10%", s["meet_10_percent"]["below"]),
    ] + [(f"social value weight {k}", v) for k, v in s["social_value_weight"].items() if k not in ("bands",)] \
      + [(f"tenders weighting social value {b['band']}", b["tenders"]) for b in s["social_value_weight"]["bands"]] \
      + [(f"design status {k}", v) for k, v in s["design"].items()] \
      + [(f"design gap {g['code']} {g['name']} (tenders)", g["tenders"]) for g in s["design_gaps"]] \
      + [(f"buyers at {k}", v) for k, v in s["maturity_counts"].items()] + [("maturity rule", s["maturity_rule"])]
    tables = {
        "lots.csv": (LOT_COLUMNS, lot_rows(review)),
        "buyers.csv": (["buyer", "tenders", "weighted", "meet_minimum", "designed", "delivered",
                        "text_only", "maturity", "reason"], s["buyers"]),
        "summary.csv": (["metric", "value"], [{"metric": k, "value": v} for k, v in summary]),
        "flags.csv": (["ocid", "title", "buyer", "lot", "code", "name", "severity", "criterion", "message", "fix"],
                      flag_rows(review)),
        "problems.csv": (["source", "where", "code", "name", "severity", "message", "fix"], review.problems),
    }
    written = []
    for name, (cols, rows) in tables.items():
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            # buyer names, titles and messages come from published notices: never let a spreadsheet run them
            w.writerows({k: formula_safe(v) for k, v in row.items()} for row in rows)
        written.append(path)
    return written


# ------------------------------------------------------------------------------------------ charts
def portfolio_charts(summary: dict) -> dict:
    """Altair charts of the portfolio (pure: data in, chart specs out), for the app's Review page."""
    import altair as alt
    import pandas as pd

    bands = pd.DataFrame(summary["social_value_weight"]["bands"])
    if bands.empty:
        bands = pd.DataFrame({"band": [], "from": [], "tenders": []})
    bands["meets 10%"] = bands["from"] >= SV_MINIMUM
    weight = alt.Chart(bands).mark_bar().encode(
        x=alt.X("band:N", sort=list(bands["band"]), title="Social-value weight"),
        y=alt.Y("tenders:Q", title="Tenders"),
        color=alt.Color("meets 10%:N", scale=alt.Scale(domain=[False, True], range=["#d95f02", "#1b9e77"])),
        tooltip=["band", "tenders"]).properties(title="How much social value is weighted", height=220)
    design = pd.DataFrame({"status": list(summary["design"]), "tenders": list(summary["design"].values())})
    design["status"] = design["status"].str.replace("_", " ")
    status_chart = alt.Chart(design).mark_bar().encode(
        y=alt.Y("status:N", sort=None, title=None), x=alt.X("tenders:Q", title="Tenders"),
        tooltip=["status", "tenders"]).properties(title="Designed with outcomes, or figures only", height=200)
    gaps = pd.DataFrame(summary["design_gaps"][:10] or [{"code": "", "name": "", "tenders": 0, "lots": 0}])
    gaps["gap"] = gaps["code"] + " " + gaps["name"]
    gap_chart = alt.Chart(gaps).mark_bar().encode(
        y=alt.Y("gap:N", sort="-x", title=None), x=alt.X("tenders:Q", title="Tenders affected"),
        tooltip=["gap", "tenders", "lots"]).properties(title="Most common design gaps", height=240)
    buyers = pd.DataFrame(summary["buyers"] or [{"buyer": "", "maturity": "stagnation", "tenders": 0}])
    counts = buyers.groupby("maturity").size().reindex(list(MATURITY_LEVELS), fill_value=0).reset_index(name="buyers")
    maturity_chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("maturity:N", sort=list(MATURITY_LEVELS), title="Moxham maturity"), y=alt.Y("buyers:Q", title="Buyers"),
        tooltip=["maturity", "buyers"]).properties(title="Buyers by maturity", height=220)
    return {"weight": weight, "design": status_chart, "gaps": gap_chart, "maturity": maturity_chart}


# ------------------------------------------------------------------------------------------ text output
def render(review: Review, limit: int = 40) -> str:
    """The readable report: the portfolio first, then the tenders with flags (the first `limit`)."""
    s = review.summary
    sv = s["social_value_weight"]
    out = [f"Reviewed {s['tenders']} tender(s) with {s['lots']} lot(s): {s['rubrics']} rubric(s), "
           f"{s['ocds_tenders']} from OCDS; {s['problems']} input problem(s).",
           f"Social value weighted in {s['weight_social_value']['tenders']} tender(s)"
           + (f" (share {s['weight_social_value']['share']:.0%})" if s['weight_social_value']['share'] is not None else "")
           + (f"; weight median {sv['median']:g}%, range {sv['min']:g}-{sv['max']:g}%" if sv.get("median") is not None else "")
           + f"; {s['meet_10_percent']['tenders']} meet the 10% minimum, {s['meet_10_percent']['below']} fall below it.",
           "Design: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s["design"].items() if v) + "."]
    if s["design_gaps"]:
        out.append("Most common design gaps: " + "; ".join(f"{g['code']} {g['name']} ({g['tenders']} tenders)"
                                                           for g in s["design_gaps"][:6]) + ".")
    out += ["", "Maturity per buyer (Moxham): " + ", ".join(f"{k} {v}" for k, v in s["maturity_counts"].items()),
            "  rule: " + s["maturity_rule"]]
    for b in s["buyers"][:limit]:
        out.append(f"  {b['buyer']}: {b['maturity']} ({b['reason']})")
    if len(s["buyers"]) > limit:
        out.append(f"  ... and {len(s['buyers']) - limit} more buyers (--json or --csv for all)")
    out += ["", "Tenders with flags:"]
    shown = 0
    for t in review.tenders:
        codes = tender_codes(t)
        if not codes:
            continue
        if shown >= limit:
            out.append("  ... more tenders with flags (--json or --csv for all)")
            break
        shown += 1
        sw = tender_sv_weight(t)
        out.append(f"  {t['ocid'] or '?'}  {t['title'] or ''}  [{t['buyer'] or 'buyer not named'}]  social value "
                   + ("not weighted" if sw is None else f"{sw:g}%"))
        for f in t["flags"]:
            out.append(f"    {f['code']} {f['name']} ({f['severity']}): {f['message']}")
        for lot in t["lots"]:
            for f in lot["flags"]:
                out.append(f"    {f['code']} {f['name']} ({f['severity']}) lot {lot['id'] or '-'}: {f['message']}")
    if review.problems:
        out += ["", "Input problems (skipped; the rest were reviewed):"]
        for p in review.problems[:limit]:
            out.append(f"  {p['source']}" + (f" {p['where']}" if p["where"] else "") + f": {p['message']}")
        if len(review.problems) > limit:
            out.append(f"  ... and {len(review.problems) - limit} more")
    # each entry is one line: a title, buyer or name holding a newline or an escape sequence is shown
    # escaped (terminal.shown), never as a forged line or a command to the terminal
    from .terminal import shown
    return "\n".join(shown(line) for line in out)
