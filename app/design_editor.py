"""The Design page's editor, without Streamlit: a rubric's YAML structure (DESIGN.md 4.1 and 9) as the tables
a commissioner edits, and those tables back into the YAML structure, which the page then hands to
evaluator.parse_rubric (the same checks as a file).

The criteria tree is one table in tree order: each row names the group it is `part of` (blank: the top
level); a sub-criterion carries a `share` of its group (percent, summing to 100) or a `weight` (points of
100, summing to its group's). Kinds, the award method and the tie break are shown in a commissioner's
words (KIND_LABELS, AWARD_LABELS, TIE_LABELS); the YAML keeps the format's own words.

Problems the tables themselves show (a scale that is not numbers, a group nobody defined) are one line each,
naming 'the design (edited)', the row's criterion, lot or outcome, the column and the value, like a file's.
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

import pandas as pd

from evaluator import InputError
from evaluator.library import suggest_measures

SOURCE = "the design (edited)"
TOP = ""  # `parent` of a top-level criterion

KIND_LABELS = {"price": "Price", "scale": "Scored question", "social_value": "Social value commitments",
               "group": "Group of sub-criteria", "pass_fail": "Pass/fail question"}
KIND_OF = {label: kind for kind, label in KIND_LABELS.items()}
AWARD_LABELS = {"weighted": "Highest total marks",
                "price_per_quality_point": "Lowest price per quality point"}
TIE_LABELS = {"quality": "Quality marks", "price": "Price", "social_value": "Social value marks"}
TIE_OF = {label: key for key, label in TIE_LABELS.items()}
LOW_LABELS = {"median_share": "Under a share of the median price",
              "below_mean_excluding_highest": "Below the mean of the others (the highest left out)"}

# the first seven as before issue 16 (a flat rubric's rows read as they did); then the tree's
CRITERIA_COLUMNS = ["id", "kind", "name", "weight", "method", "threshold", "social_value", "parent", "share",
                    "min_share", "scale", "descriptors", "description"]
OUTCOME_COLUMNS = ["id", "name", "measures", "unit", "baseline", "target", "priority", "evidence_required",
                   "if_not_delivered", "rationale", "mandatory"]
LOT_COLUMNS = ["id", "title", "contract_value", "duration_years", "local_area", "targets"]
_NUMBERS = {"criteria": ("weight", "threshold", "share", "min_share"),
            "outcomes": ("baseline", "target", "priority"),
            "lots": ("contract_value", "duration_years")}


# ------------------------------------------------------------------------------------------ small words

def given(v: Any) -> bool:
    """A cell holds something (not None, NaN or blank text)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    if isinstance(v, str) and not v.strip():
        return False
    try:
        return not bool(pd.isna(v))
    except (TypeError, ValueError):
        return True


def number(v: Any) -> int | float:
    """A number as a person writes it: 40, not 40.0."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


def numbers_text(values) -> str:
    return ", ".join(f"{float(v):g}" for v in values)


def parse_numbers(text: str) -> list:
    """'0, 1, 2; 3' -> [0, 1, 2, 3]; ValueError if a part is not a number."""
    return [number(v) for v in str(text).replace(";", ",").split(",") if v.strip()]


def descriptors_text(descriptors: dict) -> str:
    return "; ".join(f"{float(k):g}: {v}" for k, v in descriptors.items())


def parse_descriptors(text: str) -> dict:
    """'0: None; 1: Poor' -> {0: 'None', 1: 'Poor'} ('1: Poor; no evidence' keeps its ';'); ValueError naming the
    part that is not 'score: words'."""
    out = {}
    # a new descriptor starts at "; <score>:", so words with a ';' of their own ("on paper; no analysis") stay whole
    for part in re.split(r";\s*(?=[-+]?\d+(?:\.\d+)?\s*:)", str(text).strip().rstrip(";")):
        if not part.strip():
            continue
        score, sep, words = part.partition(":")
        if not sep or not words.strip():
            raise ValueError(part.strip())
        try:
            out[number(score.strip())] = words.strip()
        except ValueError:
            raise ValueError(part.strip()) from None
    return out


def targets_text(targets: dict) -> str:
    return "; ".join(f"{k}: {float(v):g}" for k, v in targets.items())


def parse_targets(text: str) -> dict:
    """'O1: 2; O2: 15' -> {'O1': 2, 'O2': 15}; ValueError naming the part that is not 'outcome: number'."""
    out = {}
    for part in str(text).replace(",", ";").split(";"):
        if not part.strip():
            continue
        outcome, sep, n = part.partition(":")
        try:
            if not sep or not outcome.strip():
                raise ValueError
            out[outcome.strip()] = number(n.strip())
        except ValueError:
            raise ValueError(part.strip()) from None
    return out


def _typed(frame: pd.DataFrame, numeric: tuple, flags: tuple = ()) -> pd.DataFrame:
    for col in frame.columns:
        if col in numeric:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        elif col in flags:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), False).astype(bool)
        else:
            frame[col] = frame[col].astype(object)
    return frame


# ------------------------------------------------------------------------------------------ spec -> tables

def criteria_rows(criteria: list[dict], parent: str = TOP) -> list[dict]:
    """The tree, depth first, one row per node, each naming its group (`parent`)."""
    rows = []
    for c in criteria:
        kind = c.get("kind")
        row = {"id": c.get("id"), "kind": KIND_LABELS.get(kind, kind), "name": c.get("name"),
               "weight": c.get("weight"), "method": c.get("method"), "threshold": c.get("threshold"),
               "social_value": bool(c.get("social_value", False)), "parent": parent, "share": c.get("share"),
               "min_share": None if c.get("min_share") is None else round(float(c["min_share"]) * 100, 9),
               "scale": numbers_text(c["scale"]) if c.get("scale") else None,
               "descriptors": descriptors_text(c["descriptors"]) if c.get("descriptors") else None,
               "description": c.get("description")}
        rows.append(row)
        rows += criteria_rows(c.get("criteria") or [], str(c.get("id")))
    return rows


def tables_from_spec(spec: dict) -> dict:
    """A rubric's YAML structure as the editor's tables and fields."""
    crit = _typed(pd.DataFrame(criteria_rows(spec.get("criteria", [])), columns=CRITERIA_COLUMNS),
                  _NUMBERS["criteria"], ("social_value",))
    outs = []
    for o in spec.get("design", {}).get("outcomes", []):
        row = {c: o.get(c) for c in OUTCOME_COLUMNS}
        row["measures"] = ", ".join(o.get("measures", []))
        row["mandatory"] = bool(o.get("mandatory", False))
        outs.append(row)
    outcomes = _typed(pd.DataFrame(outs, columns=OUTCOME_COLUMNS), _NUMBERS["outcomes"], ("mandatory",))
    lots = []
    for lot in spec.get("lots") or []:
        row = {c: lot.get(c) for c in LOT_COLUMNS}
        row["local_area"] = ", ".join(lot.get("local_area") or []) or None
        row["targets"] = targets_text(lot.get("targets") or {}) or None
        lots.append(row)
    lots = _typed(pd.DataFrame(lots, columns=LOT_COLUMNS), _NUMBERS["lots"])
    desc = pd.DataFrame({"score": [float(k) for k in spec.get("descriptors", {})],
                         "descriptor": list(spec.get("descriptors", {}).values())}, columns=["score", "descriptor"])
    desc["descriptor"] = desc["descriptor"].astype(object)
    tender = spec.get("tender", {})
    low = spec.get("abnormally_low") or {}
    return {"criteria": crit, "outcomes": outcomes, "descriptors": desc, "lots": lots,
            "scale": numbers_text(spec.get("scale", [])), "lens": spec.get("lens", "design"),
            "award": spec.get("award", "weighted"),
            "tie_break": list(spec.get("tie_break", ["quality", "price"])),
            "max_lots_per_supplier": spec.get("max_lots_per_supplier"),
            "budget": tender.get("budget"), "budget_is_ceiling": bool(tender.get("budget_is_ceiling", False)),
            "low_rule": low.get("rule", "median_share"),
            "low_share": None if low.get("share") is None else round(float(low["share"]) * 100, 9)}


# ------------------------------------------------------------------------------------------ tables -> spec

def _problem(where: str | None, field: str, value: Any, problem: str) -> InputError:
    return InputError(problem, file=SOURCE, where=where, field=field, value=value)


SECTIONS = ("criteria", "scale", "award", "outcomes", "lots", "general")


def section_of(error: Any) -> str:
    """Which part of the page a problem belongs under (its key or row): criteria, scale, award, outcomes,
    lots, else general."""
    where = str(getattr(error, "where", None) or "")
    field = str(getattr(error, "field", None) or "")
    if "price_per_quality_point" in str(getattr(error, "problem", "")):
        return "award"  # the award method against the price criterion: shown where the method is chosen
    head = where.removeprefix("key ").replace("[", " ").replace(".", " ").split(" ")[0] if where else field
    if head in ("criteria", "criterion"):
        return "criteria"
    if head in ("lots", "lot", "max_lots_per_supplier"):
        return "lots"
    if head in ("design", "outcome", "outcomes"):
        return "outcomes"
    if head in ("scale", "descriptors", "lens"):
        return "scale"
    if head in ("award", "tie_break", "tender", "budget", "budget_is_ceiling", "abnormally_low"):
        return "award"
    return "general"


def _clean(row: dict, columns) -> dict:
    return {k: (row[k].strip() if isinstance(row[k], str) else row[k]) for k in columns if given(row.get(k))}


def _kind(value: Any) -> Any:
    return KIND_OF.get(value, value)


def _criterion(row: dict, problems: list) -> dict:
    c = _clean(row, ("id", "kind", "name", "weight", "method", "threshold", "share", "description"))
    if "kind" in c:
        c["kind"] = _kind(c["kind"])
    where = f"criterion {c.get('id', '?')}"
    for k in ("weight", "threshold", "share"):
        if k in c:
            c[k] = number(c[k])
    if given(row.get("social_value")) and bool(row["social_value"]):
        c["social_value"] = True
    if given(row.get("min_share")):
        c["min_share"] = number(round(float(row["min_share"]), 9) / 100)
    if given(row.get("scale")):
        try:
            c["scale"] = parse_numbers(row["scale"])
        except ValueError:
            problems.append(_problem(where, "own scale", row["scale"], "the scale must be numbers separated by "
                                     "commas, lowest to highest, e.g. 0, 1, 2, 3, 4"))
    if given(row.get("descriptors")):
        try:
            c["descriptors"] = parse_descriptors(row["descriptors"])
        except ValueError as exc:
            problems.append(_problem(where, "own descriptors", row["descriptors"],
                                     f"each descriptor is 'score: words', separated by ';' (not {str(exc)!r})"))
    return c


def criteria_tree(frame: pd.DataFrame, problems: list) -> list[dict]:
    """The criteria table back into the tree (rows in table order within each group). A row that names a
    group no row defines, or a criterion that is not a group, is a problem; so is a loop of groups."""
    rows = [r for r in frame.to_dict("records")
            if any(given(r.get(c)) for c in ("id", "kind", "name", "weight", "share"))]  # an empty added row
    order = []
    for r in rows:
        c = _criterion(r, problems)
        parent = str(r["parent"]).strip() if given(r.get("parent")) else TOP
        order.append((c, parent))
    groups = {}
    for c, _ in order:
        if c.get("kind") == "group" and c.get("id"):
            groups.setdefault(str(c["id"]), c)
    top = []
    for c, parent in order:
        if parent == TOP:
            top.append(c)
        elif parent in groups and groups[parent] is not c:
            groups[parent].setdefault("criteria", []).append(c)
        elif parent in groups:
            problems.append(_problem(f"criterion {c.get('id', '?')}", "part of", parent,
                                     "a group cannot be part of itself"))
        else:
            known = [str(n.get("id")) for n, _ in order if str(n.get("id")) == parent]
            problems.append(_problem(f"criterion {c.get('id', '?')}", "part of", parent,
                                     f"{parent} is not a group of sub-criteria" if known else
                                     "no group has this id (blank: the top level)"))
    reached: set[int] = set()

    def walk(items, depth):
        for c in items:
            if id(c) in reached or depth > 10:
                return
            reached.add(id(c))
            walk(c.get("criteria", []), depth + 1)
    walk(top, 1)
    for c, parent in order:
        if id(c) not in reached and parent in groups and groups[parent] is not c:
            problems.append(_problem(f"criterion {c.get('id', '?')}", "part of", parent,
                                     "its groups are part of each other, so it never reaches the top level"))
    return top


def _outcomes(frame: pd.DataFrame) -> list[dict]:
    outcomes = []
    for row in frame.to_dict("records"):
        if not any(given(row.get(c)) for c in OUTCOME_COLUMNS if c != "mandatory"):
            continue
        o = _clean(row, [c for c in OUTCOME_COLUMNS if c != "mandatory"])
        text = str(row["measures"]) if given(row.get("measures")) else ""
        o["measures"] = [m.strip() for m in text.split(",") if m.strip()]
        for k in ("baseline", "target", "priority"):
            if k in o:
                o[k] = number(o[k])
        if given(row.get("mandatory")) and bool(row["mandatory"]):
            o["mandatory"] = True
        outcomes.append(o)
    return outcomes


def _lots(frame: pd.DataFrame, problems: list) -> list[dict]:
    lots = []
    for row in frame.to_dict("records"):
        if not any(given(row.get(c)) for c in LOT_COLUMNS):
            continue
        lot = _clean(row, ("id", "title", "contract_value", "duration_years"))
        for k in ("contract_value", "duration_years"):
            if k in lot:
                lot[k] = number(lot[k])
        if given(row.get("local_area")):
            lot["local_area"] = [a.strip() for a in str(row["local_area"]).split(",") if a.strip()]
        if given(row.get("targets")):
            try:
                lot["targets"] = parse_targets(row["targets"])
            except ValueError as exc:
                problems.append(_problem(f"lot {lot.get('id', '?')}", "outcome targets", row["targets"],
                                         f"each target is 'outcome: number', separated by ';' (not {str(exc)!r})"))
        lots.append(lot)
    return lots


def spec_from_tables(draft: dict, base: dict) -> tuple[dict, list[InputError]]:
    """The editor's tables back into the rubric's YAML structure, with what they cannot say (tender, proxies,
    discounting...) kept from `base` (a spec dict). Returns (spec, problems found in the tables, each an
    InputError: .line() is its message, section_of() where it belongs)."""
    spec = {k: v for k, v in base.items()}
    problems: list[InputError] = []
    spec["criteria"] = criteria_tree(draft["criteria"], problems)
    design = dict(spec.get("design", {}))
    design["outcomes"] = _outcomes(draft["outcomes"])
    spec["design"] = design
    scale_text = str(draft["scale"] or "")
    try:
        spec["scale"] = parse_numbers(scale_text)
    except ValueError:
        problems.append(InputError("the scale must be numbers separated by commas, e.g. 0, 20, 40, 60, 80, 100",
                                   file="the design", field="scale", value=scale_text))
    descriptors = {}
    for row in draft["descriptors"].to_dict("records"):
        if given(row.get("score")) and given(row.get("descriptor")):
            descriptors[number(row["score"])] = str(row["descriptor"]).strip()
    spec["descriptors"] = descriptors
    _set(spec, base, "lens", draft["lens"], "design")
    lots = _lots(draft.get("lots", pd.DataFrame(columns=LOT_COLUMNS)), problems)
    if lots or base.get("lots"):
        spec["lots"] = lots
    _set(spec, base, "max_lots_per_supplier", draft.get("max_lots_per_supplier"), None)
    _set(spec, base, "award", draft.get("award", "weighted"), "weighted")
    _set(spec, base, "tie_break", list(draft.get("tie_break", ["quality", "price"])), ["quality", "price"])
    low = {"rule": draft.get("low_rule", "median_share")}
    if given(draft.get("low_share")):
        low["share"] = number(round(float(draft["low_share"]), 9) / 100)
    _set(spec, base, "abnormally_low", low, {"rule": "median_share"})
    tender = dict(spec.get("tender", {}))
    _set(tender, base.get("tender", {}), "budget", draft.get("budget"), None)
    _set(tender, base.get("tender", {}), "budget_is_ceiling", bool(draft.get("budget_is_ceiling")), False)
    spec["tender"] = tender
    return spec, problems


def _set(target: dict, base: dict, key: str, value: Any, default: Any) -> None:
    """Write `key` when it differs from the format's default or the base wrote it; otherwise leave it out
    (an untouched flat rubric keeps its YAML as written)."""
    if not isinstance(value, (list, bool)) and not given(value):
        value = None
    if isinstance(value, float):
        value = number(value)
    if value == default and key not in base:
        target.pop(key, None)
    elif value is None:
        target.pop(key, None)
    else:
        target[key] = value


# ------------------------------------------------------------------------------------------ live sums

def group_label(row: dict) -> str:
    name = str(row.get("name")).strip() if given(row.get("name")) else ""
    return f"{name} ({row['id']})" if name and name != str(row["id"]) else str(row["id"])


def group_sums(frame: pd.DataFrame) -> list[dict]:
    """For each group in the criteria table: how its sub-criteria add up, straight from the table (live,
    before any check). {id, label, basis ("share" | "weight" | None), total, expected, ok, message}."""
    rows = [r for r in frame.to_dict("records") if given(r.get("id"))]
    weights = effective_weights(frame)
    out = []
    for g in rows:
        if _kind(g.get("kind")) != "group":
            continue
        gid = str(g["id"]).strip()
        kids = [r for r in rows if given(r.get("parent")) and str(r["parent"]).strip() == gid]
        label = group_label(g)
        shares = [float(r["share"]) for r in kids if given(r.get("share"))]
        kid_weights = [float(r["weight"]) for r in kids if given(r.get("weight"))]
        item = {"id": gid, "label": label, "basis": None, "total": 0.0, "expected": 100.0, "ok": False}
        if not kids:
            item["message"] = f"{label} has no sub-criteria yet: add one under it"
        elif shares and kid_weights:
            item["basis"] = "share"
            item["total"] = sum(shares)
            item["message"] = f"{label}: its sub-criteria mix shares and weights; use one or the other"
        elif kid_weights:
            item.update(basis="weight", total=sum(kid_weights), expected=weights.get(gid, float("nan")))
            item["ok"] = math.isclose(item["total"], item["expected"], abs_tol=1e-9)
            item["message"] = None if item["ok"] else (
                f"{label}: the weights of its sub-criteria add up to {item['total']:g}, not its own weight "
                f"{item['expected']:g}")
        else:
            item.update(basis="share", total=sum(shares))
            item["ok"] = math.isclose(item["total"], 100.0, abs_tol=1e-9)
            item["message"] = None if item["ok"] else (
                f"{label}: the shares of its sub-criteria add up to {item['total']:g}, not 100")
        out.append(item)
    return out


def top_level_weight(frame: pd.DataFrame) -> float:
    """The sum of the top-level criteria's weights (what must be exactly 100)."""
    top = frame[~frame["parent"].map(given)] if "parent" in frame.columns else frame
    return float(pd.to_numeric(top["weight"], errors="coerce").fillna(0.0).sum())


def effective_weights(frame: pd.DataFrame) -> dict[str, float]:
    """Each criterion's points of 100 as the table stands: a share resolved through its groups."""
    rows = {str(r["id"]).strip(): r for r in frame.to_dict("records") if given(r.get("id"))}
    out: dict[str, float] = {}

    def resolve(cid: str, seen: tuple = ()) -> float:
        if cid in out:
            return out[cid]
        r = rows[cid]
        parent = str(r["parent"]).strip() if given(r.get("parent")) else TOP
        if given(r.get("weight")):
            w = float(r["weight"])
        elif given(r.get("share")) and parent in rows and parent not in seen:
            w = resolve(parent, seen + (cid,)) * float(r["share"]) / 100
        else:
            w = 0.0
        out[cid] = w
        return w
    for cid in rows:
        resolve(cid)
    return out


def social_value_weight(frame: pd.DataFrame) -> float:
    """Points of 100 on social value as the table stands (leaves only; a social-value group's children)."""
    rows = {str(r["id"]).strip(): r for r in frame.to_dict("records") if given(r.get("id"))}
    weights = effective_weights(frame)

    def is_sv(cid: str, depth: int = 0) -> bool:
        r = rows[cid]
        if _kind(r.get("kind")) == "social_value" or (given(r.get("social_value")) and bool(r["social_value"])):
            return True
        parent = str(r["parent"]).strip() if given(r.get("parent")) else TOP
        return parent in rows and depth < 5 and is_sv(parent, depth + 1)
    return float(sum(weights[c] for c, r in rows.items() if _kind(r.get("kind")) != "group" and is_sv(c)))


def add_row(frame: pd.DataFrame, *, under: str, cid: str, name: str, kind: str, share: Optional[float],
            weight: Optional[float]) -> pd.DataFrame:
    """A new criterion placed after the last row of group `under` (TOP: at the end), so the table keeps
    reading in tree order."""
    row = {c: None for c in CRITERIA_COLUMNS}
    row.update(id=cid, name=name or None, kind=KIND_LABELS.get(kind, kind), parent=under, social_value=False,
               share=share if under != TOP else None, weight=weight)
    ids = [str(v).strip() if given(v) else "" for v in frame["id"]]
    parents = [str(v).strip() if given(v) else TOP for v in frame["parent"]]
    at = len(frame)
    if under != TOP and under in ids:
        inside = {under}
        at = ids.index(under) + 1
        for i in range(at, len(frame)):
            if parents[i] in inside:
                inside.add(ids[i])
                at = i + 1
            else:
                break
    new = pd.concat([frame.iloc[:at], pd.DataFrame([row], columns=CRITERIA_COLUMNS), frame.iloc[at:]],
                    ignore_index=True)
    return _typed(new, _NUMBERS["criteria"], ("social_value",))


# ------------------------------------------------------------------------------------------ the design library

def next_outcome_id(frame: pd.DataFrame) -> str:
    """The first O<n> no row uses (O1, O2, ...)."""
    ids = {str(v).strip() for v in frame["id"] if given(v)} if "id" in frame.columns else set()
    n = 1
    while f"O{n}" in ids:
        n += 1
    return f"O{n}"


def add_library_outcome(frame: pd.DataFrame, outcome, proxies: Optional[pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """An outcome of the Social Value Model (evaluator.library.LibraryOutcome) as a new row of the outcomes table:
    its published title as the name; its published wording, source, URL and licence as the rationale; the
    suggested measures of the first suggested unit (evaluator.library.suggest_measures) with that unit, or no
    measure when none fits. Returns (the table with the row, {id, measures, unit, note})."""
    codes = suggest_measures(outcome, proxies) if proxies is not None else []
    table = proxies.reset_index(drop=True).set_index("code", drop=False) if codes else None
    unit = str(table.loc[codes[0], "unit"]) if codes else None
    measures = [c for c in codes if str(table.loc[c, "unit"]) == unit]
    oid = next_outcome_id(frame)
    wording = outcome.wording.replace("\n", " ")
    rationale = f"{outcome.mission_kind.capitalize()}: {outcome.mission}. {wording}. Source: {outcome.citation}"
    row = {c: None for c in OUTCOME_COLUMNS}
    row.update(id=oid, name=outcome.name, measures=", ".join(measures) or None, unit=unit, rationale=rationale,
               mandatory=False)
    note = None if measures else ("No measure in the proxy table fits this outcome, so none was chosen: "
                                  "name a measure in 'measures' before any bid can serve it.")
    new = pd.concat([frame, pd.DataFrame([row], columns=OUTCOME_COLUMNS)], ignore_index=True)
    return _typed(new, _NUMBERS["outcomes"], ("mandatory",)), {"id": oid, "measures": measures, "unit": unit,
                                                               "note": note}


# ------------------------------------------------------------------------------------------ one row as a form
# Each criterion and each outcome is also shown as a form of labelled fields (the page's expanders), so no
# field is off to the right of a table. (column, label in a commissioner's words, kind of field, help)

CRITERION_FIELDS = [
    ("threshold", "Minimum score", "number", "Below it the bid is disqualified; blank: none"),
    ("social_value", "Counts as social value", "flag", "Its marks count towards the social value weight"),
    ("method", "Price formula", "choice", "A price criterion only: relative (lowest price / price) or linear"),
    ("min_share", "Group minimum %", "number", "A group only: a bid with under this % of the group's marks "
                                               "is disqualified"),
    ("scale", "Own scale", "text", "Scores allowed for this question, e.g. 0, 1, 2, 3, 4; blank: the tender's"),
    ("descriptors", "Own descriptors", "text", "e.g. 0: No answer; 1: Poor; 2: Fair; 3: Good; 4: Excellent"),
    ("description", "Question wording", "long", None),
]
CRITERION_TABLE = ["id", "name", "kind", "parent", "weight", "share"]
OUTCOME_FIELDS = [
    ("target", "Target over the term", "number", "Quantity wanted over the term"),
    ("priority", "Priority", "number", "Higher: matters more"),
    ("evidence_required", "Evidence required", "choice", "The evidence grade a claim must reach (E1 strongest)"),
    ("unit", "Unit", "unit", "The unit its measures count in (FTE-years, hours, £ spent...)"),
    ("baseline", "Baseline", "number", "Where things stand now"),
    ("if_not_delivered", "If not delivered", "long", "The remedy: a KPI consequence, service credits..."),
    ("rationale", "Rationale", "long", None),
]
OUTCOME_TABLE = ["id", "name", "measures", "mandatory"]
CHOICES = {"method": ["", "relative", "linear"]}


def same(a: Any, b: Any) -> bool:
    """Two cells hold the same thing (blank, None and NaN alike)."""
    if not given(a) or not given(b):
        return given(a) == given(b)
    try:
        return bool(a == b) or float(a) == float(b)
    except (TypeError, ValueError):
        return False


def cell(value: Any, kind: str) -> Any:
    """A table cell as its form field holds it: numbers or None, a flag, text ('' when blank)."""
    if kind == "number":
        return float(value) if given(value) else None
    if kind == "flag":
        return bool(value) if given(value) else False
    return str(value) if given(value) else ""


def row_title(row: dict, what: str) -> str:
    """An expander's title: 'Q1 Service delivery model' ('New criterion' when the row has no id yet)."""
    rid = str(row.get("id")).strip() if given(row.get("id")) else ""
    name = str(row.get("name")).strip() if given(row.get("name")) else ""
    return " ".join(p for p in (rid, name if name != rid else "") if p) or f"New {what}"


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table (criteria, outcomes) with its columns' types as tables_from_spec gives them."""
    flags = {"criteria": ("social_value",), "outcomes": ("mandatory",)}.get(name, ())
    return _typed(frame, _NUMBERS.get(name, ()), flags)


# ------------------------------------------------------------------------------------------ field names in words
# the rubric format's own field names, as the Design page labels them (messages from the checks name them)
FIELD_WORDS = {"if_not_delivered": "'If not delivered'", "evidence_required": "'Evidence required'",
               "min_share": "'Group minimum'", "social_value": "'Counts as social value'",
               "contract_specific": "'contract specific'", "deflator_rationale": "'deflator rationale'",
               "max_lots_per_supplier": "'most lots one supplier may win'", "tie_break": "'if bids tie'",
               "budget_is_ceiling": "'the budget is a ceiling'", "local_area": "'local area'"}


def field_words(text) -> str:  # move to formatting (with FIELD_WORDS)
    """A check's message with the rubric's or a bid's field names in words ("Add 'If not delivered' for O3")."""
    if text is None or text != text:
        return ""
    out = re.sub(r"\s*\((?:design|tender|lots?|criteria)\.[\w.\[\]]+\)", "", str(text))  # a key path: not for readers
    for name, words in FIELD_WORDS.items():
        out = re.sub(rf"(?<![\w/.]){name}(?![\w])", words, out)
    return re.sub(r"(?<![\w/.@-])([a-z]+(?:_[a-z0-9]+)+)(?![\w@/])", lambda m: m.group(1).replace("_", " "), out)
