"""The weighted rubric and the commissioner-led design (DESIGN.md 4.1), loaded and validated.

Validation is pydantic's: every problem comes back with its key path, which we turn into a one-line
message naming the file, key, field and value. Unknown keys are refused with a suggestion, because a
mistyped optional key (``threshhold``) would otherwise be dropped without a word.

A rubric comes as a file (load_rubric) or as data (parse_rubric: an upload's bytes, or the mapping the
design editor holds), checked by the same code. Its `proxies:` entry may reach only the rubric's own
folder or the shipped tables (an upload: the shipped tables only), so no message shows a server file.
"""
from __future__ import annotations

import datetime as _dt
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

import numpy as np
import pandas as pd
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from .exceptions import EvaluatorError, InputError, InputErrors, RubricRefused
from .numbers import AmbiguousNumber, NotANumber, read_number
from .flags import CATALOGUE
from .shipped import SHIPPED_PROXIES, SHIPPED_RUBRICS  # noqa: F401 - importers name them from here too
from .suggestions import suggest
from .valued_design import refuse_unvalued  # SV315, SV316: refused like SV301 (issue 18)

GRADES = ("E0", "E1", "E2", "E3", "E4")
DEFAULT_EVIDENCE_FACTORS = {"E0": 0.0, "E1": 0.5, "E2": 0.75, "E3": 0.9, "E4": 1.0}
DEFAULT_SCALE = [0, 20, 40, 60, 80, 100]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_as_written(cls, v: Any, info: ValidationInfo) -> Any:
        """Text in a number field is read as a person reads it (numbers.py): '4,800,000' is a number,
        '0x10', '1:30' and '1,5' are refused with the reason; other text is left for pydantic to refuse."""
        return _read_numbers(v, cls.model_fields[info.field_name].annotation)


def _is_number_type(t: Any) -> bool:
    return t in (float, int) or (typing.get_origin(t) is typing.Union
                                 and any(a in (float, int) for a in typing.get_args(t)))


def _one_number(v: Any, typed: Any, inside: bool = False) -> Any:
    if not isinstance(v, str) or not _is_number_type(typed):
        return v
    try:
        return read_number(v)
    except AmbiguousNumber as exc:  # in a list or mapping the message names the item, not only the field
        raise ValueError(f"{v.strip()!r} {exc}" if inside else str(exc)) from None
    except NotANumber:
        return v


def _read_numbers(v: Any, typed: Any) -> Any:
    """Numbers typed as text, in a field (or a list or mapping of them) whose type is a number."""
    args = [a for a in typing.get_args(typed) if a is not type(None)]
    origin = typing.get_origin(typed)
    if origin is typing.Union and len(args) == 1:
        typed, args, origin = args[0], list(typing.get_args(args[0])), typing.get_origin(args[0])
    if origin is list and isinstance(v, list) and args:
        return [_one_number(x, args[0], True) for x in v]
    if origin is dict and isinstance(v, dict) and len(args) == 2:
        return {_one_number(k, args[0], True): _one_number(x, args[1], True) for k, x in v.items()}
    return _one_number(v, typed)


class Tender(_Model):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    criteria_url: Optional[str] = None
    buyer: Optional[str] = None
    subject_matter: Optional[str] = None
    contract_value: float = Field(gt=0)
    duration_years: int = Field(ge=1, le=75)
    local_area: list[str] = Field(default_factory=list)
    workforce_fte: Optional[float] = Field(default=None, gt=0)
    budget: Optional[float] = Field(default=None, gt=0)       # DESIGN 9: the most the buyer can pay, £
    budget_is_ceiling: bool = False                            # a dearer bid is non-compliant (SV210)

    @field_validator("id", "title", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Criterion(_Model):
    """A criterion, or (kind group) a heading whose marks are the sum of its sub-criteria's (DESIGN 9.1).

    `weight` is points of 100; a sub-criterion may give `share` instead (percent of its group). The checks
    across a tree (sums, depth, which keys a kind takes) are parse_rubric's, so each names its place."""
    id: str = Field(min_length=1)
    kind: Literal["price", "scale", "social_value", "group", "pass_fail"]
    name: Optional[str] = None
    weight: Optional[float] = Field(default=None, ge=0, le=100)
    share: Optional[float] = Field(default=None, gt=0, le=100)
    method: Optional[Literal["relative", "linear"]] = None
    threshold: Optional[float] = None
    social_value: bool = False
    description: Optional[str] = None
    scale: Optional[list[float]] = Field(default=None, min_length=2)
    descriptors: Optional[dict[float, str]] = None
    min_share: Optional[float] = Field(default=None, gt=0, le=1)
    criteria: Optional[list["Criterion"]] = None

    @field_validator("id", mode="before")
    @classmethod
    def _text_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("scale")
    @classmethod
    def _own_scale(cls, v: Optional[list[float]]) -> Optional[list[float]]:
        return None if v is None else _check_scale(v)

    @model_validator(mode="after")
    def _by_kind(self) -> "Criterion":
        if self.method is not None and self.kind != "price":
            raise ValueError(f"'method' applies only to price criteria, not to kind {self.kind}")
        if self.threshold is not None and self.kind != "scale":
            raise ValueError(f"'threshold' applies only to scale criteria, not to kind {self.kind}"
                             + ("; a group's minimum is 'min_share'" if self.kind == "group" else ""))
        if self.social_value and self.kind not in ("scale", "group"):
            raise ValueError("'social_value: true' marks a scale criterion or a group; kind social_value already is one"
                             if self.kind == "social_value" else
                             f"'social_value: true' marks a scale criterion or a group, not kind {self.kind}")
        if (self.scale is not None or self.descriptors is not None) and self.kind != "scale":
            raise ValueError(f"'scale' and 'descriptors' apply only to scale criteria, not to kind {self.kind}")
        if self.min_share is not None and self.kind != "group":
            raise ValueError(f"'min_share' applies only to a group (kind group), not to kind {self.kind}")
        if self.kind == "group" and not self.criteria:
            raise ValueError("a group (kind group) needs its sub-criteria under 'criteria'")
        if self.criteria is not None and self.kind != "group":
            raise ValueError(f"only a group (kind group) holds sub-criteria under 'criteria', not kind {self.kind}")
        return self


Criterion.model_rebuild()


class Outcome(_Model):
    id: str = Field(min_length=1)
    name: Optional[str] = None
    measures: list[str] = Field(default_factory=list)
    unit: Optional[str] = None
    baseline: Optional[float] = None
    target: Optional[float] = Field(default=None, gt=0)
    priority: float = Field(default=1.0, ge=0)
    evidence_required: Optional[Literal["E0", "E1", "E2", "E3", "E4"]] = None
    if_not_delivered: Optional[str] = None
    rationale: Optional[str] = None
    mandatory: bool = False          # DESIGN 9: a bid with nothing credited towards it is disqualified (SV209)

    @field_validator("evidence_required", mode="before")
    @classmethod
    def _grade(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v


class Require(_Model):
    """What the buyer will hold a supplier to before crediting a commitment in the design lens (issue 18):
    each true turns its warning into an error there (not credited): `narrative` SV115, `kpi` SV116,
    `additionality` SV111 (deadweight or attribution stated). All default off."""
    narrative: bool = False
    kpi: bool = False
    additionality: bool = False


class Design(_Model):
    require: Require = Field(default_factory=Require)
    evidence_factors: dict[Literal["E0", "E1", "E2", "E3", "E4"], float] = Field(
        default_factory=lambda: dict(DEFAULT_EVIDENCE_FACTORS))
    attainment_cap: float = Field(default=1.0, gt=0)
    outcomes: list[Outcome] = Field(default_factory=list)

    @field_validator("evidence_factors")
    @classmethod
    def _factors(cls, v: dict) -> dict:
        for grade, factor in v.items():
            if not 0 <= factor <= 1:
                raise ValueError(f"evidence factor for {grade} must be between 0 and 1, not {factor}")
        return {**DEFAULT_EVIDENCE_FACTORS, **v}


class Discount(_Model):
    rate: float = Field(default=0.035, ge=0, lt=1)
    first_year_discounted: bool = True
    mid_year: bool = False           # DESIGN 9: DF(y) = 1/(1+r)^(y-0.5), flows at the middle of each year


class Benchmarks(_Model):
    max_claimed_share: float = Field(default=0.24, gt=0)


class DeliveryRatings(_Model):
    """Thresholds for the Procurement Act's contract performance categories, as % of the commitment due
    to date that was delivered: at or above `good` is good, at or above `approaching_target` is approaching
    target, at or above `requires_improvement` requires improvement, below it inadequate."""
    good: float = Field(default=95.0, gt=0, le=100)
    approaching_target: float = Field(default=80.0, gt=0, le=100)
    requires_improvement: float = Field(default=50.0, gt=0, le=100)

    @model_validator(mode="after")
    def _descending(self) -> "DeliveryRatings":
        if not self.good > self.approaching_target > self.requires_improvement:
            raise ValueError(f"thresholds must fall from good to requires_improvement (got good {self.good:g}, "
                             f"approaching_target {self.approaching_target:g}, requires_improvement "
                             f"{self.requires_improvement:g})")
        return self


class Lot(_Model):
    """One lot of a tender (DESIGN 9.3): evaluated on its own, with the tender's criteria and design; it may
    override the contract value, duration, local area and outcome targets."""
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    contract_value: Optional[float] = Field(default=None, gt=0)
    duration_years: Optional[int] = Field(default=None, ge=1, le=75)
    local_area: Optional[list[str]] = None
    targets: dict[str, float] = Field(default_factory=dict)

    @field_validator("id", "title", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict) -> dict:
        for outcome, target in v.items():
            if not target > 0:
                raise ValueError(f"the target for {outcome} must be above 0, not {target:g}")
        return v


ABNORMALLY_LOW_SHARES = {"median_share": 0.8, "below_mean_excluding_highest": 0.15}


class AbnormallyLow(_Model):
    """When a price is abnormally low (SV204): under `share` of the median price (median_share, default 0.8),
    or more than `share` below the mean of the other prices with the highest left out
    (below_mean_excluding_highest, default 0.15)."""
    rule: Literal["median_share", "below_mean_excluding_highest"] = "median_share"
    share: Optional[float] = Field(default=None, gt=0, lt=1)

    @property
    def effective_share(self) -> float:
        return self.share if self.share is not None else ABNORMALLY_LOW_SHARES[self.rule]


TIE_BREAKS = ("quality", "price", "social_value")


class RubricSpec(_Model):
    tender: Tender
    proxies: Optional[str] = None
    lens: Literal["design", "figures"] = "design"
    scale: list[float] = Field(default_factory=lambda: list(DEFAULT_SCALE), min_length=2)
    descriptors: dict[float, str] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(min_length=1)
    design: Design = Field(default_factory=Design)
    discount: Discount = Field(default_factory=Discount)
    benchmarks: Benchmarks = Field(default_factory=Benchmarks)
    delivery_ratings: DeliveryRatings = Field(default_factory=DeliveryRatings)
    # DESIGN 9: real tenders
    award: Literal["weighted", "price_per_quality_point"] = "weighted"
    lots: list[Lot] = Field(default_factory=list)
    max_lots_per_supplier: Optional[int] = Field(default=None, ge=1)
    tie_break: list[Literal["quality", "price", "social_value"]] = Field(
        default_factory=lambda: ["quality", "price"])
    abnormally_low: AbnormallyLow = Field(default_factory=AbnormallyLow)
    # DESIGN 9.4: every £ in this price year (default: the latest price year in the proxy table)
    price_base: Optional[int] = Field(default=None, ge=1900, le=2200)

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: list[float]) -> list[float]:
        return _check_scale(v)

    @field_validator("price_base")
    @classmethod
    def _price_base(cls, v: Optional[int]) -> Optional[int]:
        this_year = _dt.date.today().year
        if v is not None and v > this_year:
            raise ValueError(f"is in the future (this year is {this_year}): a price base must be this year or an "
                             "earlier one, whose prices the GDP deflator series publishes (DESIGN 9.4)")
        return v

    @field_validator("tie_break")
    @classmethod
    def _tie_break(cls, v: list[str]) -> list[str]:
        repeated = sorted({x for x in v if v.count(x) > 1})
        if repeated:
            raise ValueError(f"names {', '.join(repeated)} twice; list each of quality, price, social_value once")
        return v

    def settings(self) -> dict:
        """The rubric as the engine read it, defaults filled in, for the settings fingerprint. DESIGN 9's
        keys appear only when the rubric uses them, so a rubric written to sections 4-6 keeps its fingerprint."""
        return _without_section9_defaults(self.model_dump(mode="json"))

    def as_written(self) -> dict:
        """The rubric as a commissioner writes it (what the Design page downloads): no empty keys, and
        DESIGN 9's keys only when the rubric uses them."""
        return _without_section9_defaults(self.model_dump(mode="python", exclude_none=True))


def _without_section9_defaults(doc: dict) -> dict:
    for key, default in _SECTION9_DEFAULTS["spec"].items():
        if key in doc and doc[key] in (default, _drop_none(default)):
            doc.pop(key)
    for key, default in _SECTION9_DEFAULTS["tender"].items():
        if key in doc["tender"] and doc["tender"][key] == default:
            doc["tender"].pop(key)
    if doc.get("price_base") is None:
        doc.pop("price_base", None)
    if doc.get("discount", {}).get("mid_year") is False:
        doc["discount"].pop("mid_year")
    if doc.get("design", {}).get("require") in ({"narrative": False, "kpi": False, "additionality": False},):
        doc["design"].pop("require")
    for outcome in doc.get("design", {}).get("outcomes", []):
        if outcome.get("mandatory") is False:
            outcome.pop("mandatory")

    def plain(criteria: list[dict]) -> None:
        for c in criteria:
            for key in ("share", "scale", "descriptors", "min_share", "criteria"):
                if key in c and c[key] is None:
                    c.pop(key)
            plain(c.get("criteria") or [])
    plain(doc["criteria"])
    return doc


def _drop_none(value: Any) -> Any:
    return {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value


_SECTION9_DEFAULTS = {
    "spec": {"award": "weighted", "lots": [], "max_lots_per_supplier": None, "tie_break": ["quality", "price"],
             "abnormally_low": {"rule": "median_share", "share": None}},
    "tender": {"budget": None, "budget_is_ceiling": False},
}


def _check_scale(v: list[float]) -> list[float]:
    if any(x < 0 for x in v):
        raise ValueError("scale values must be 0 or more")
    if any(b <= a for a, b in zip(v, v[1:])):
        raise ValueError("scale values must rise from left to right with no repeats")
    if v[-1] <= 0:
        raise ValueError("the top of the scale must be above 0")
    return v


NODE_COLUMNS = ["id", "kind", "name", "weight", "share", "parent", "level", "path", "social_value", "min_share",
                "threshold", "scale_max", "method"]
MAX_LEVELS = 3


@dataclass
class Rubric:
    """A validated rubric with its proxy table, and the tables the rest of the engine works from.

    The criteria tree (DESIGN 9.1) is read here once: `nodes` has every criterion and group with its
    effective weight (a share resolved through its parents, in points of 100), `criteria` the leaves the
    engine scores. A flat rubric is a tree of one level, so the engine has one path for both."""

    spec: RubricSpec
    path: Path
    proxies: pd.DataFrame            # indexed by measure code (see proxies.py)
    proxies_path: Optional[Path]
    lot: Optional[Lot] = None        # the lot this rubric was made for (for_lot), else None
    criteria: pd.DataFrame = field(init=False)
    nodes: pd.DataFrame = field(init=False)
    outcomes: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        records = list(_walk(self.spec.criteria))
        for r in records:
            if r["kind"] == "scale" and r["spec"].scale is None:
                r["scale_max"] = float(self.spec.scale[-1])
        self._effective = {r["id"]: r for r in records}
        self.nodes = pd.DataFrame(
            [{k: r[k] for k in NODE_COLUMNS} for r in records], columns=NODE_COLUMNS)
        self._groups = self.nodes[self.nodes["kind"] == "group"].reset_index(drop=True)  # read per lot: made once
        leaves = [r for r in records if r["kind"] != "group"]
        self._by_kind: dict[str, list[Criterion]] = {}  # the leaves with their effective weights, made once
        for r in leaves:
            self._by_kind.setdefault(r["kind"], []).append(self.criterion(r["id"]))
        self.criteria = pd.DataFrame(
            [{"id": r["id"], "kind": r["kind"], "name": r["name"], "weight": r["weight"],
              "method": r["method"] or ("relative" if r["kind"] == "price" else None),
              "threshold": r["threshold"], "social_value": r["social_value"] or r["kind"] == "social_value",
              "parent": r["parent"], "level": r["level"], "path": r["path"], "scale_max": r["scale_max"]}
             for r in leaves],
            columns=["id", "kind", "name", "weight", "method", "threshold", "social_value", "parent", "level",
                     "path", "scale_max"])
        self.outcomes = pd.DataFrame(
            [{"id": o.id, "name": o.name or o.id, "measures": list(o.measures), "unit": o.unit,
              "baseline": o.baseline, "target": o.target, "priority": o.priority,
              "evidence_required": o.evidence_required, "if_not_delivered": o.if_not_delivered,
              "mandatory": o.mandatory}
             for o in self.spec.design.outcomes],
            columns=["id", "name", "measures", "unit", "baseline", "target", "priority",
                     "evidence_required", "if_not_delivered", "mandatory"])

    # Convenience views used across the engine -------------------------------------------------
    @property
    def tender(self) -> Tender:
        return self.spec.tender

    @property
    def scale(self) -> np.ndarray:
        return np.asarray(self.spec.scale, dtype=float)

    @property
    def scale_max(self) -> float:
        return float(self.spec.scale[-1])

    @property
    def official_lens(self) -> str:
        return self.spec.lens

    def _leaves(self, kind: str) -> list[Criterion]:
        return list(self._by_kind.get(kind, []))

    @property
    def price_criterion(self) -> Optional[Criterion]:
        found = self._leaves("price")
        return found[0] if found else None

    @property
    def sv_criterion(self) -> Optional[Criterion]:
        found = self._leaves("social_value")
        return found[0] if found else None

    @property
    def scale_criteria(self) -> list[Criterion]:
        """Every scale criterion, sub-criteria included, with its effective weight and social value."""
        return self._leaves("scale")

    @property
    def pass_fail_criteria(self) -> list[Criterion]:
        return self._leaves("pass_fail")

    @property
    def groups(self) -> pd.DataFrame:
        return self._groups.copy()

    @property
    def has_tree(self) -> bool:
        return bool((self.nodes["kind"] == "group").any())

    def criterion(self, cid: str) -> Criterion:
        """A criterion or group of the tree by id, as a copy carrying its effective weight (points of 100)
        and social value (inherited from a social-value group); its sub-criteria are not copied."""
        r = self._effective.get(cid)
        if r is None:
            raise KeyError(f"no criterion {cid!r} in this rubric")
        return r["spec"].model_copy(update={"weight": r["weight"], "social_value": bool(r["social_value"]),
                                            "criteria": None})

    def children(self, group_id: str) -> list[str]:
        return self.nodes.loc[self.nodes["parent"] == group_id, "id"].tolist()

    def leaves_under(self, group_id: str) -> list[str]:
        """The scored criteria (not groups) anywhere under a group, in tree order."""
        prefix = self._effective[group_id]["path"] + " > "
        return self.criteria.loc[self.criteria["path"].str.startswith(prefix), "id"].tolist()

    def criterion_scale(self, cid: str) -> np.ndarray:
        own = self._effective[cid]["spec"].scale
        return np.asarray(own if own is not None else self.spec.scale, dtype=float)

    def criterion_scale_max(self, cid: str) -> float:
        return float(self.criterion_scale(cid)[-1])

    @property
    def social_value_weight(self) -> float:
        c = self.criteria
        return float(c.loc[(c["kind"] == "social_value") | c["social_value"].astype(bool), "weight"].sum())

    def descriptor(self, score: float, criterion: Optional[str] = None) -> str:
        """The words for a score: the criterion's own descriptors, else the rubric's when it uses the
        rubric's scale (a criterion with its own scale and no descriptors has none)."""
        if criterion is not None and criterion in self._effective:
            spec = self._effective[criterion]["spec"]
            if spec.descriptors is not None:
                return spec.descriptors.get(float(score), "")
            if spec.scale is not None:
                return ""
        return self.spec.descriptors.get(float(score), "")

    # DESIGN 9: award, tie break, lots ---------------------------------------------------------
    @property
    def award(self) -> str:
        return self.spec.award

    @property
    def tie_break(self) -> list[str]:
        return list(self.spec.tie_break)

    @property
    def abnormally_low(self) -> AbnormallyLow:
        return self.spec.abnormally_low

    @property
    def lots(self) -> list[Lot]:
        return list(self.spec.lots)

    @property
    def has_lots(self) -> bool:
        return bool(self.spec.lots)

    @property
    def mandatory_outcomes(self) -> list[str]:
        return [o.id for o in self.spec.design.outcomes if o.mandatory]

    def for_lot(self, lot_id: str) -> "Rubric":
        """The rubric one lot is evaluated on: the tender's contract value, duration and local area and the
        outcomes' targets replaced by the lot's own where it gives them. It has no lots itself (to the
        engine it is a plain tender); `lot` names the lot."""
        lot = next((x for x in self.spec.lots if x.id == lot_id), None)
        if lot is None:
            raise KeyError(f"no lot {lot_id!r} in this rubric")
        tender = self.spec.tender.model_copy(update={
            k: getattr(lot, k) for k in ("contract_value", "duration_years", "local_area")
            if getattr(lot, k) is not None})
        outcomes = [o.model_copy(update={"target": lot.targets[o.id]}) if o.id in lot.targets else o
                    for o in self.spec.design.outcomes]
        design = self.spec.design.model_copy(update={"outcomes": outcomes})
        spec = self.spec.model_copy(update={"tender": tender, "design": design, "lots": [],
                                            "max_lots_per_supplier": None})
        return Rubric(spec=spec, path=self.path, proxies=self.proxies, proxies_path=self.proxies_path, lot=lot)


def _walk(criteria: list[Criterion], parent: Optional[dict] = None, loc: str = "criteria"):
    """Every node of the criteria tree, depth first, with its effective weight: a child's `share` is that
    percent of its parent's weight (the top level's parent is 100); a `weight` is points of 100."""
    base = 100.0 if parent is None else parent["weight"]
    for i, c in enumerate(criteria):
        if c.kind == "pass_fail":
            weight = 0.0
        elif c.share is not None:
            weight = base * c.share / 100.0
        else:
            weight = float(c.weight) if c.weight is not None else 0.0
        path = c.id if parent is None else f"{parent['path']} > {c.id}"
        record = {"id": c.id, "kind": c.kind, "name": c.name or c.id, "weight": weight, "share": c.share,
                  "parent": None if parent is None else parent["id"], "level": 1 if parent is None else parent["level"] + 1,
                  "path": path, "social_value": bool(c.social_value or (parent is not None and parent["social_value"])),
                  "min_share": c.min_share, "threshold": c.threshold, "method": c.method,
                  "scale_max": np.nan, "spec": c, "loc": f"{loc}[{i}]"}
        if c.kind == "scale":
            record["scale_max"] = float((c.scale or [])[-1]) if c.scale else np.nan
        yield record
        if c.criteria:
            yield from _walk(c.criteria, record, f"{loc}[{i}].criteria")


def _where_from_loc(loc: tuple, data: Any) -> tuple[str, str | None, Any]:
    """Turn pydantic's location into ('criteria[2] (id Q1)', 'weight', value typed)."""
    path, node, label = [], data, None
    value: Any = ...
    for part in loc:
        if isinstance(part, int):
            path[-1:] = [f"{path[-1]}[{part}]"] if path else [f"[{part}]"]
        else:
            path.append(str(part))
        try:
            node = node[part]
            if isinstance(node, dict) and "id" in node and isinstance(part, int):
                label = f"id {node['id']}"
        except (KeyError, IndexError, TypeError):
            node = ...
    value = node
    key = ".".join(path)
    field_name = next((str(p) for p in reversed(loc) if isinstance(p, str)), None)
    where = f"key {key}" + (f" ({label})" if label else "") if key else None
    return where, field_name, value


def validation_errors(exc: ValidationError, data: Any, source: Any) -> list[EvaluatorError]:
    """pydantic's problems with a rubric as one-line messages naming `source`, key, field and value."""
    known = {name: set(model.model_fields) for name, model in (
        ("", RubricSpec), ("tender", Tender), ("criteria", Criterion), ("design", Design),
        ("outcomes", Outcome), ("discount", Discount), ("benchmarks", Benchmarks),
        ("delivery_ratings", DeliveryRatings))}
    errors: list[EvaluatorError] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where, field_name, value = _where_from_loc(loc, data)
        if value is ...:
            value = err.get("input", ...)
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
            problem = f"unknown key '{loc[-1]}'{suggest(loc[-1], known.get(parent, set()))}"
            value = ...
        elif kind == "missing":
            problem = "required but missing"
            value = ...
        else:
            problem = err["msg"].replace("Value error, ", "")
            if kind in ("finite_number",):
                problem = "must be a finite number"
        errors.append(InputError(problem, file=source, where=where, field=field_name, value=value))
    return errors


def validate_spec(data: Any, source: Any) -> RubricSpec:
    """The rubric's keys and values checked (pydantic), without the checks across them (unique ids, the
    weights' sum): what a reviewer needs to read a rubric that would be refused. Raises InputErrors with
    every problem, each naming `source`."""
    if not isinstance(data, dict):
        raise InputError(f"must be a mapping of keys (tender, criteria, ...), not {type(data).__name__}",
                         file=source)
    try:
        return RubricSpec.model_validate(data)
    except ValidationError as exc:
        raise InputErrors(validation_errors(exc, data, source)) from None


def load_rubric(path: Path | str, *, proxies_path: Path | str | None = None) -> Rubric:
    """Read, validate and refuse (SV301) a rubric file; load the proxy table it names, which must lie in
    the rubric's folder (or one inside it) or among the shipped tables.

    `proxies_path` overrides the rubric's own `proxies:` entry (for a commissioner trying another table).
    """
    from .documents import load_document

    path = Path(path)
    return parse_rubric(load_document(path), path, folder=path.parent,
                        proxies=Path(proxies_path) if proxies_path is not None else None)


ProxiesGiven = Union[Path, str, bytes, tuple[str, bytes], pd.DataFrame, None]


def parse_rubric(data: bytes | str | dict, source: Any, *, folder: Path | str | None = None,
                 proxies: ProxiesGiven = None) -> Rubric:
    """A rubric given as data: YAML (or JSON, when `source` ends .json) text or bytes, or the mapping
    already parsed (an edited design). Validated and refused (SV301) exactly as a file is.

    `source` is the name every message gives it (the file name the user knows). `folder` is where its
    `proxies:` may resolve: inside that folder or among the shipped tables (rubrics/proxies/); None (an
    upload) allows the shipped tables only. `proxies` stands in for the table the rubric names: a file
    path (Path or str), an uploaded table as (name, bytes) or bare bytes (named proxies.csv in messages),
    or a table already checked (a DataFrame, e.g. the proxies of the rubric being edited). Anything else the rubric names is refused before it is
    opened, so no message shows a line of a file the user did not give.
    """
    from .documents import parse_document, parse_yaml
    from .proxies import empty_proxies, load_proxies, parse_proxies

    if isinstance(data, (bytes, str)):
        suffix = Path(str(source)).suffix.lower()
        data = parse_document(data, source) if suffix in (".json", ".yaml", ".yml") else parse_yaml(data, source)
    spec = validate_spec(data, source)

    problems: list[EvaluatorError] = []
    nodes = list(_walk(spec.criteria))
    _unique_nodes(nodes, source, problems)
    _unique(spec.design.outcomes, "design.outcomes", source, problems)
    for kind in ("price", "social_value"):
        found = [n["id"] for n in nodes if n["kind"] == kind]
        if len(found) > 1:
            problems.append(InputError(f"only one {kind} criterion is allowed; found {', '.join(found)}",
                                       file=source, where="key criteria", field="kind", value=kind))
    for n in nodes:
        _check_node(n, spec, source, problems)
    for key in spec.descriptors:
        if key not in spec.scale:
            problems.append(InputError("descriptor for a score that is not on the scale", file=source,
                                       where="key descriptors", field=str(key), value=key))
    if spec.design.outcomes and sum(o.priority for o in spec.design.outcomes) <= 0:
        problems.append(InputError("outcome priorities add up to 0; give at least one a priority above 0",
                                   file=source, where="key design.outcomes", field="priority", value=0))
    _check_tender_structure(spec, nodes, source, problems)
    if problems:
        raise InputErrors(problems)

    total = sum(c.weight or 0.0 for c in spec.criteria if c.share is None and c.kind != "pass_fail")
    if all(c.share is None for c in spec.criteria) and not math.isclose(total, 100.0, rel_tol=0, abs_tol=1e-9):
        weights = " + ".join(f"{c.id} {c.weight:g}" for c in spec.criteria if c.kind != "pass_fail")
        entry = CATALOGUE["SV301"]
        raise RubricRefused(
            f"{entry.name}: the criteria weights add up to {total:g}, not 100 ({weights}); the rubric is "
            f"refused. {entry.fix.removesuffix('.')} (the tool never rescales them).",
            file=source, where="key criteria", field="weight", value=total, code="SV301")
    _check_sums(spec.criteria, None, "criteria", source)

    table_path: Optional[Path] = None
    if isinstance(proxies, pd.DataFrame):
        table = proxies
    elif isinstance(proxies, (bytes, bytearray)):
        table = parse_proxies(bytes(proxies), "proxies.csv")
    elif isinstance(proxies, tuple):
        name, content = proxies
        table, table_path = parse_proxies(content, name), Path(name)
    elif proxies is not None:
        table_path = Path(proxies)
        table = load_proxies(table_path)
    elif spec.proxies:
        table_path = _named_proxies(source, folder, spec.proxies)
        table = load_proxies(table_path)
    else:
        table = empty_proxies()
    rubric = Rubric(spec=spec, path=Path(str(source)), proxies=table, proxies_path=table_path)
    refuse_unvalued(rubric, source)
    from .price_base import conversions
    conversions(rubric)  # DESIGN 9.4: a price year or price base the deflator series cannot serve is refused here
    return rubric


def _named_proxies(source: Any, folder: Path | str | None, named: str) -> Path:
    """The proxy table the rubric's `proxies:` names, where it may be: in `folder` (or one inside it) or
    shipped; with no folder (an upload), shipped only. Refused before anything is opened otherwise."""
    if folder is None:
        shipped = shipped_proxies(named)
        if shipped is None:
            raise upload_proxies_refused(source, named)
        return shipped
    table_path = contained_proxies(Path(folder) / Path(str(source)).name, named, source)
    if not table_path.is_file():
        raise InputError(f"the proxy table this rubric names does not exist (looked for {table_path})",
                         file=source, where="key proxies", field="proxies", value=named)
    return table_path




def _shipped_names() -> str:
    names = sorted(p.name for p in SHIPPED_PROXIES.glob("*.csv")) if SHIPPED_PROXIES.is_dir() else []
    return ", ".join(f"proxies/{n}" for n in names) or "none"


def contained_proxies(rubric_path: Path, named: str, source: Any = None) -> Path:
    """The proxy table a rubric names, relative to the rubric: it must lie inside the rubric's own folder
    (or a folder inside it) or among the shipped tables in rubrics/proxies/. Anything else (/etc/passwd,
    ../../secret.csv, a link leading out) is refused before it is opened, so no message can show a line
    of a file the user did not give."""
    base = rubric_path.parent.resolve()
    target = (rubric_path.parent / named).resolve()
    shipped = SHIPPED_PROXIES.resolve()
    if target.is_relative_to(base) or target.is_relative_to(shipped):
        return rubric_path.parent / named
    raise InputError(
        "the proxy table must be in the rubric's folder (or a folder inside it) or be a shipped table in "
        f"rubrics/proxies/ ({_shipped_names()}); this path leads outside them, so it is not opened",
        file=rubric_path if source is None else source, where="key proxies", field="proxies", value=named)


def shipped_proxies(named: Any) -> Optional[Path]:
    """A shipped table named the way rubrics name it (proxies/public_2025.csv, ../proxies/public_2025.csv or
    public_2025.csv), or None. Only a plain file name in rubrics/proxies/ can match: nothing else is opened."""
    if not isinstance(named, str) or not named.strip():
        return None
    parts = [p for p in named.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    while parts and parts[0] == "..":
        parts.pop(0)
    if len(parts) == 2 and parts[0] == "proxies":
        parts.pop(0)
    if len(parts) != 1 or parts[0] == "..":
        return None
    candidate = SHIPPED_PROXIES / parts[0]
    return candidate if candidate.is_file() and candidate.resolve().parent == SHIPPED_PROXIES.resolve() else None


def upload_proxies_refused(rubric_name: Any, named: Any) -> InputError:
    """The refusal for an uploaded rubric whose `proxies:` names neither an uploaded table nor a shipped one."""
    return InputError(
        "an uploaded rubric's proxy table must be uploaded with it, or be a shipped table named like "
        f"proxies/public_2025.csv (shipped: {_shipped_names()}); this one is neither, so it is not opened",
        file=rubric_name, where="key proxies", field="proxies", value=named)


def _unique(items: list, key: str, path: Any, problems: list) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            problems.append(InputError(f"duplicate id (also {key}[{seen[item.id]}])", file=path,
                                       where=f"key {key}[{i}]", field="id", value=item.id))
        seen.setdefault(item.id, i)


def _unique_nodes(nodes: list[dict], source: Any, problems: list) -> None:
    """Ids are unique across the whole tree: a score names a criterion by id alone."""
    seen: dict[str, str] = {}
    for n in nodes:
        if n["id"] in seen:
            problems.append(InputError(f"duplicate id (also {seen[n['id']]})", file=source,
                                       where=f"key {n['loc']}", field="id", value=n["id"]))
        seen.setdefault(n["id"], n["loc"])


def _check_node(n: dict, spec: RubricSpec, source: Any, problems: list) -> None:
    """One criterion's keys against its place in the tree: depth, weight or share, its scale."""
    c: Criterion = n["spec"]
    where = f"key {n['loc']} (id {c.id})"

    def bad(problem: str, field_name: str, value: Any) -> None:
        problems.append(InputError(problem, file=source, where=where, field=field_name, value=value))

    if n["level"] > MAX_LEVELS:
        bad(f"is {n['level']} levels deep; a criteria tree has {MAX_LEVELS} levels at most (group, "
            "sub-criterion, sub-sub-criterion)", "criteria", c.id)
    if c.kind == "pass_fail":
        for key in ("weight", "share"):
            if getattr(c, key) is not None:
                bad("a pass/fail question carries no weight: a fail disqualifies the bid and a pass adds no "
                    f"marks; remove '{key}'", key, getattr(c, key))
    elif c.weight is not None and c.share is not None:
        bad("give 'weight' (points of 100) or 'share' (percent of its group), never both", "share", c.share)
    elif c.weight is None and c.share is None:
        problems.append(InputError("required but missing" + ("" if n["parent"] is None else
                                   " (or give 'share', the percent of its group)"),
                                   file=source, where=where, field="weight"))
    if c.kind == "price" and n["social_value"]:
        bad("a price criterion cannot sit in a social-value group", "kind", c.kind)
    own = c.scale if c.scale is not None else spec.scale
    if c.threshold is not None and not (own[0] <= c.threshold <= own[-1]):
        bad(f"threshold must lie on the scale {own[0]:g}-{own[-1]:g}", "threshold", c.threshold)
    for key in (c.descriptors or {}):
        if key not in own:
            bad("descriptor for a score that is not on the criterion's scale ("
                + ", ".join(f"{x:g}" for x in own) + ")", "descriptors", key)


def _check_tender_structure(spec: RubricSpec, nodes: list[dict], source: Any, problems: list) -> None:
    """Lots, award method and budget against the rest of the rubric (DESIGN 9)."""
    if spec.award == "price_per_quality_point":
        for n in nodes:
            if n["kind"] == "price":
                problems.append(InputError(
                    "award: price_per_quality_point divides each price by its quality points, so the criteria "
                    "hold no price criterion; remove it and let the other weights add up to 100 quality points",
                    file=source, where=f"key {n['loc']} (id {n['id']})", field="kind", value="price"))
    if spec.tender.budget_is_ceiling and spec.tender.budget is None:
        problems.append(InputError("budget_is_ceiling needs the budget itself (tender.budget, in £)",
                                   file=source, where="key tender", field="budget_is_ceiling", value=True))
    if spec.max_lots_per_supplier is not None and not spec.lots:
        problems.append(InputError("applies only to a tender with lots (this rubric lists none)", file=source,
                                   where="key max_lots_per_supplier", field="max_lots_per_supplier",
                                   value=spec.max_lots_per_supplier))
    _unique(spec.lots, "lots", source, problems)
    outcome_ids = [o.id for o in spec.design.outcomes]
    for i, lot in enumerate(spec.lots):
        for outcome in lot.targets:
            if outcome not in outcome_ids:
                problems.append(InputError(
                    "overrides the target of an outcome the design does not have ("
                    + (", ".join(outcome_ids) or "it has no outcomes") + ")" + suggest(outcome, outcome_ids),
                    file=source, where=f"key lots[{i}] (id {lot.id})", field="targets", value=outcome))


def _check_sums(criteria: list[Criterion], parent: Optional[dict], loc: str, source: Any,
                parent_weight: float = 100.0) -> None:
    """Each group's children add up exactly: shares to 100, weights to the group's weight (SV301, naming
    the group; the tool never rescales them). The top level's weights are checked by parse_rubric itself,
    with its long-standing message."""
    scored = [c for c in criteria if c.kind != "pass_fail"]
    shares = [c for c in scored if c.share is not None]
    weights = [c for c in scored if c.weight is not None]
    entry = CATALOGUE["SV301"]
    group = "the top level" if parent is None else f"group {parent['id']}"
    where = f"key {loc}" + ("" if parent is None else f" (group {parent['id']})")
    if shares and weights:
        raise RubricRefused(
            f"{entry.name}: the criteria of {group} mix 'share' ({', '.join(c.id for c in shares)}) and 'weight' "
            f"({', '.join(c.id for c in weights)}); give all of them shares (percent of the group) or all weights "
            "(points of 100); the rubric is refused", file=source, where=where, field="share",
            value=", ".join(c.id for c in shares), code="SV301")
    if shares:
        total = sum(c.share for c in shares)
        if not math.isclose(total, 100.0, rel_tol=0, abs_tol=1e-9):
            parts = " + ".join(f"{c.id} {c.share:g}" for c in shares)
            raise RubricRefused(
                f"{entry.name}: the shares of {group}'s criteria add up to {total:g}, not 100 ({parts}); the "
                f"rubric is refused. Make them add up to exactly 100 (percent of the group; the tool never "
                "rescales them).", file=source, where=where, field="share", value=total, code="SV301")
    elif weights and parent is not None:
        total = sum(c.weight for c in weights)
        if not math.isclose(total, parent_weight, rel_tol=0, abs_tol=1e-9):
            parts = " + ".join(f"{c.id} {c.weight:g}" for c in weights)
            raise RubricRefused(
                f"{entry.name}: the weights of {group}'s criteria add up to {total:g}, not the group's "
                f"{parent_weight:g} ({parts}); the rubric is refused. Make them add up to the group's weight, or "
                "give shares (percent of the group) instead (the tool never rescales them).", file=source,
                where=where, field="weight", value=total, code="SV301")
    base = 100.0 if parent is None else parent_weight
    for i, c in enumerate(criteria):
        if c.criteria:
            weight = base * c.share / 100.0 if c.share is not None else float(c.weight or 0.0)
            _check_sums(c.criteria, {"id": c.id}, f"{loc}[{i}].criteria", source, weight)
