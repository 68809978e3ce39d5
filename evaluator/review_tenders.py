"""One tender reviewed: a published OCDS release, or a commissioner's rubric, in the same record shape.

A release gives its lots, each lot's criteria (the lot's own, the breakdown published once for the
tender, or only the core ``tender.awardCriteria`` code such as ``priceOnly``), the sustainability
extension's ``goal`` codes and whether contract implementation data flows back; the lot gets SV311 when
social value is asked for (a criterion, a goal or the notice's text) but carries no weight. A rubric is
read with the rubric loader's rules and gets the design checks SV302-SV308 of
:func:`evaluator.design_checks.check_rubric`; its design status says whether its outcomes have targets,
baselines and evidence requirements.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from .ocds import Problem
from .review_criteria import (SOCIAL_VALUE_MENTION, SOCIAL_VALUE_NEGATED, flag, mislabelled, read_criteria,
                              text_or_none, weight_checks)

CORE_CODES = {  # core OCDS tender.awardCriteria: what a code alone says about the weights
    "priceOnly": ("price", 100.0), "lowestPrice": ("price", 100.0), "lowestCost": ("cost", 100.0),
    "costOnly": ("cost", 100.0), "qualityOnly": ("quality", 100.0),
}


def _buyer(rel: dict) -> Optional[str]:
    b = rel.get("buyer")
    if isinstance(b, dict) and text_or_none(b.get("name")):
        return text_or_none(b.get("name"))
    parties = rel.get("parties")
    if isinstance(parties, list):
        for p in parties:
            if isinstance(p, dict) and isinstance(p.get("roles"), list) and "buyer" in p["roles"] \
                    and text_or_none(p.get("name")):
                return text_or_none(p.get("name"))
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
    ocid = text_or_none(rel.get("ocid")) or (str(rel["ocid"]) if rel.get("ocid") is not None else None)
    rec = {"source": source if where is None else f"{source} ({where})", "kind": "ocds", "ocid": ocid,
           "title": None, "buyer": _buyer(rel), "date": text_or_none(rel.get("date")), "lots": [], "flags": [],
           "design_status": "not_weighted", "delivery_reported": _has_implementation(rel)}
    if not isinstance(tender, dict):
        rec["flags"].append(flag("SV312", "the release has no tender section, so there are no award criteria "
                                 "to review" if tender is None else f"'tender' is a JSON {type(tender).__name__}, "
                                 "not an object", 'no-tender-section', None))
        rec["design_status"] = "design_not_published"
        rec["_has_tender"] = False
        return rec
    rec["_has_tender"] = True
    rec["title"] = text_or_none(tender.get("title"))
    if not ocid:
        rec["flags"].append(flag("SV314", "the release has no ocid, so it cannot be matched with other releases "
                                 "of the same procurement", None, None))
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
                                     'lot-not-an-object', None))
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
                          None, lot_id))
    else:
        flags.append(flag("SV312", "no award criteria are published" + (" for this lot" if lot_id else ""),
                          None, lot_id))
    total, sv_weight, more = weight_checks(criteria, lot_id)
    flags += more
    goals = tender_goals + _goals(raw)
    award_goals = sorted({g for g, s in goals if not s or "awardCriteria" in s})
    if not sv_weight:
        sv_named = [c for c in criteria if c["social_value"]]
        if sv_named:
            names = ", ".join(c["name"] or "?" for c in sv_named)
            flags.append(flag("SV311", f"social value is a criterion ({names}) but carries no weight that could be "
                              "read", None, lot_id))
        elif award_goals:
            flags.append(flag("SV311", "the notice codes sustainability goal(s) " + ", ".join(award_goals)
                              + " for the award, but no award criterion for social value carries a weight",
                              'goals-unweighted', lot_id))
        elif notice_mentions or _mentions_social_value(raw.get("title"), raw.get("description")):
            flags.append(flag("SV311", "social value or community benefits are asked for in the notice's text, "
                              "but no award criterion for them carries a weight",
                              'text-only', lot_id))
    return {"id": lot_id, "criteria": [{k: c[k] for k in ("type", "name", "weight", "weight_min", "weight_max",
                                                          "weight_kind", "social_value")} for c in criteria],
            "weight_total": total, "social_value_weight": sv_weight,
            "sustainability_goals": sorted({g for g, _ in goals}), "flags": flags}


def review_rubric(path: Path | str) -> dict:
    """A commissioner's rubric, reviewed like a published tender: weights, then the design checks.

    Its keys and values are checked as the loader checks them (`validate_spec`, the same messages), but not
    refused: weights that do not sum to 100 are a flag here (SV301), so a draft can still be reviewed, and the
    proxy table it names is not read (the review values no commitments)."""
    from .design_checks import check_rubric
    from .exceptions import EvaluatorError, InputErrors
    from .proxies import empty_proxies
    from .rubric import Rubric, validate_spec
    from .documents import load_document

    path = Path(path)
    source = str(path)
    try:
        data = load_document(path)
        if isinstance(data, dict) and "tender" not in data and "criteria" not in data:
            raise EvaluatorError("is not a rubric (it has neither 'tender' nor 'criteria'), so it was skipped",
                                 file=path)
        spec = validate_spec(data, path)
    except EvaluatorError as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        return {"_problem": [Problem(source, None, _by_name(e), f"Fix the rubric {path.name}: uploading it on the "
                                     "Tender page, or the check command, names every problem.") for e in errors]}
    tree = any(c.kind in ("group", "pass_fail") for c in spec.criteria)
    flags: list[dict] = []
    if tree:  # DESIGN 9.1: every node with its effective weight; SV301 for each group that does not add up
        criteria, total, sv_tree = _tree_records(spec.criteria, flags)
    else:
        kinds = {"price": "price", "scale": "quality", "social_value": "social_value"}
        criteria = [{"type": kinds[c.kind], "name": c.name or c.id, "weight": c.weight, "weight_min": c.weight,
                     "weight_max": c.weight, "weight_kind": "rubric", "social_value": c.kind == "social_value" or c.social_value}
                    for c in spec.criteria]
        total = sum(c.weight for c in spec.criteria)
        if abs(total - 100) > 1e-9:
            parts = " + ".join(f"{c.id} {c.weight:g}" for c in spec.criteria)
            flags.append(flag("SV301", f"the criteria weights add up to {total:g}, not 100 ({parts}); the rubric "
                              "would be refused for an award", None, None))
        for c, rec in zip(spec.criteria, criteria):
            mislabelled({**rec, "type": {"price": "price"}.get(c.kind, "quality")}, rec["name"], None, flags)
    if getattr(spec, "award", "weighted") == "price_per_quality_point":  # DESIGN 9.5: no price criterion
        priced = [r for r in criteria if r["type"] == "price"]
        if priced:
            points = total - sum(r["weight"] or 0 for r in priced)
            flags.append(flag("SV301", "award: price_per_quality_point divides each price by its quality points, "
                              f"but the criteria hold a price criterion ({', '.join(r['name'] for r in priced)}); "
                              f"the quality points add up to {points:g}, not 100; the rubric would be refused",
                              None, None))
    if not tree:
        rubric = Rubric(spec=spec, path=path, proxies=empty_proxies(), proxies_path=None)
    else:
        try:
            rubric = Rubric(spec=spec, path=path, proxies=empty_proxies(), proxies_path=None)
        except Exception:  # noqa: BLE001 - a tree the engine would refuse is still reviewed (SV301 says why)
            rubric = None
    try:
        design = None if rubric is None else check_rubric(rubric)
    except Exception:  # noqa: BLE001 - a design the checks cannot read is reported, never a traceback
        design = None
    if design is not None and not design.empty:
        for f in design.to_dict("records"):
            flags.append(flag(f["code"], f["message"], fix=f["fix"]))
    sv = rubric.social_value_weight if rubric is not None else sv_tree
    if tree and rubric is None and sv < 10:  # the design checks could not run: PPN 002's minimum still applies
        flags.append(flag("SV302", f"social value carries {sv:g}% of the marks, under the 10% minimum of PPN 002"))
    outcomes = spec.design.outcomes
    if sv <= 0:
        status = "not_weighted"
    elif not outcomes:
        status = "figures_only"
    elif all(o.target is not None and o.baseline is not None and o.evidence_required for o in outcomes):
        status = "designed"
    else:
        status = "partly_designed"
    lots = [{"id": None, "criteria": criteria, "weight_total": round(total, 6),
             "social_value_weight": sv if sv > 0 else None, "sustainability_goals": [], "flags": []}]
    if getattr(spec, "lots", None):  # DESIGN 9.3: each lot is awarded on the same criteria
        lots = [{**lots[0], "id": lot.id, "criteria": [dict(c) for c in criteria]} for lot in spec.lots]
    return {"source": source, "kind": "rubric", "ocid": spec.tender.id, "title": spec.tender.title,
            "buyer": spec.tender.buyer, "date": None, "lots": lots, "flags": flags, "design_status": status,
            "delivery_reported": False, "outcomes": len(outcomes), "_has_tender": True}


def _by_name(e: EvaluatorError) -> str:
    """The loader's one line with its file named as it was given (an upload sits in a server folder that the
    reader has no use for; the problem's source names where it was read)."""
    line = e.line()
    return line.replace(str(e.file), Path(str(e.file)).name, 1) if e.file else line


MAX_LEVELS = 3  # DESIGN 9.1: a criteria tree has three levels at most
_TREE_KINDS = {"price": "price", "scale": "quality", "social_value": "social_value", "group": "quality",
               "pass_fail": "pass_fail"}


def _tree_records(top: list, flags: list) -> tuple[list[dict], float, float]:
    """Every node of a criteria tree in tree order (depth first) as a review record with its effective weight
    (points of 100: a share resolved through its parents), its level and path; the top level's sum; the
    effective social-value weight. Each group whose children do not add up, mixes `share` and `weight`, or
    nests deeper than three levels gets an SV301 flag naming the group and the sum, as the loader refuses it."""
    records: list[dict] = []
    sv_total = [0.0]

    def walk(children: list, parent, parent_weight: Optional[float], level: int, sv: bool, prefix: str) -> None:
        label = "the top level" if parent is None else f"group {parent.id}"
        shared = [c for c in children if getattr(c, "share", None) is not None]
        weighted = [c for c in children if c.weight is not None]
        if parent is not None and shared and weighted:
            flags.append(flag("SV301", f"{label} mixes share ({', '.join(c.id for c in shared)}) and weight "
                              f"({', '.join(c.id for c in weighted)}) among its sub-criteria; use one or the other",
                              None, None, parent.id))
        elif shared and parent is not None:
            total = sum(c.share for c in shared)
            if abs(total - 100) > 1e-9:
                parts = " + ".join(f"{c.id} {c.share:g}" for c in shared)
                flags.append(flag("SV301", f"the shares in {label} add up to {total:g}, not 100 ({parts}); the rubric "
                                  "would be refused for an award", None, None, parent.id))
        elif weighted and parent is not None and parent_weight is not None:
            total = sum(c.weight for c in weighted)
            if abs(total - parent_weight) > 1e-9:
                parts = " + ".join(f"{c.id} {c.weight:g}" for c in weighted)
                flags.append(flag("SV301", f"the weights in {label} add up to {total:g}, not the group's "
                                  f"{parent_weight:g} ({parts}); the rubric would be refused for an award",
                                  None, None, parent.id))
        for c in children:
            share = getattr(c, "share", None)
            if c.kind == "pass_fail":
                w = None
                if c.weight is not None or share is not None:
                    flags.append(flag("SV301", f"the pass/fail question {c.id} carries a "
                                      f"{'weight' if c.weight is not None else 'share'} "
                                      f"({c.weight if c.weight is not None else share:g}); a pass/fail question has "
                                      "none (a fail disqualifies)", None, None, c.id))
            elif share is not None:
                w = None if parent_weight is None else parent_weight * share / 100
            else:
                w = c.weight
            path = f"{prefix} > {c.id}" if prefix else c.id
            social = bool(sv or c.kind == "social_value" or c.social_value)
            rec = {"type": _TREE_KINDS.get(c.kind, "quality"), "name": c.name or c.id, "weight": w, "weight_min": w,
                   "weight_max": w, "weight_kind": "pass_fail" if c.kind == "pass_fail" else "rubric",
                   "social_value": social, "id": c.id, "level": level, "path": path}
            records.append(rec)
            if c.kind != "pass_fail":
                mislabelled({**rec, "type": {"price": "price"}.get(c.kind, "quality")}, rec["name"], None, flags)
            sub = getattr(c, "criteria", None) or []
            if c.kind == "group":
                if level >= MAX_LEVELS and sub:
                    flags.append(flag("SV301", f"group {c.id} ({path}) nests sub-criteria below level {MAX_LEVELS}; "
                                      f"a criteria tree has {MAX_LEVELS} levels at most", None, None, c.id))
                walk(sub, c, w, level + 1, social, path)
            elif social and w is not None:
                sv_total[0] += w

    walk(top, None, 100.0, 1, False, "")
    total = sum(r["weight"] for r in records if r["level"] == 1 and r["weight"] is not None)
    if abs(total - 100) > 1e-9:
        parts = " + ".join(f"{r['id']} {r['weight']:g}" for r in records if r["level"] == 1 and r["weight"] is not None)
        flags.insert(0, flag("SV301", f"the criteria weights add up to {total:g}, not 100 ({parts}); the rubric "
                             "would be refused for an award", None, None))
    return records, total, sv_total[0]
