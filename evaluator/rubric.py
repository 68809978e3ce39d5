"""The weighted rubric and the commissioner-led design (DESIGN.md 4.1), loaded and validated.

Validation is pydantic's: every problem comes back with its key path, which we turn into a one-line
message naming the file, key, field and value. Unknown keys are refused with a suggestion, because a
mistyped optional key (``threshhold``) would otherwise be dropped without a word.

A rubric comes as a file (load_rubric) or as data (parse_rubric: an upload's bytes, or the mapping the
design editor holds), checked by the same code. Its `proxies:` entry may reach only the rubric's own
folder or the shipped tables (an upload: the shipped tables only), so no message shows a server file.
"""
from __future__ import annotations

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
from .suggestions import suggest

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

    @field_validator("id", "title", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Criterion(_Model):
    id: str = Field(min_length=1)
    kind: Literal["price", "scale", "social_value"]
    name: Optional[str] = None
    weight: float = Field(ge=0, le=100)
    method: Optional[Literal["relative", "linear"]] = None
    threshold: Optional[float] = None
    social_value: bool = False
    description: Optional[str] = None

    @model_validator(mode="after")
    def _by_kind(self) -> "Criterion":
        if self.method is not None and self.kind != "price":
            raise ValueError(f"'method' applies only to price criteria, not to kind {self.kind}")
        if self.threshold is not None and self.kind != "scale":
            raise ValueError(f"'threshold' applies only to scale criteria, not to kind {self.kind}")
        if self.social_value and self.kind != "scale":
            raise ValueError("'social_value: true' marks a scale criterion; kind social_value already is one")
        return self


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

    @field_validator("evidence_required", mode="before")
    @classmethod
    def _grade(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v


class Design(_Model):
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

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: list[float]) -> list[float]:
        if any(x < 0 for x in v):
            raise ValueError("scale values must be 0 or more")
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("scale values must rise from left to right with no repeats")
        if v[-1] <= 0:
            raise ValueError("the top of the scale must be above 0")
        return v


@dataclass
class Rubric:
    """A validated rubric with its proxy table, and the tables the rest of the engine works from."""

    spec: RubricSpec
    path: Path
    proxies: pd.DataFrame            # indexed by measure code (see proxies.py)
    proxies_path: Optional[Path]
    criteria: pd.DataFrame = field(init=False)
    outcomes: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.criteria = pd.DataFrame(
            [{"id": c.id, "kind": c.kind, "name": c.name or c.id, "weight": c.weight,
              "method": c.method or ("relative" if c.kind == "price" else None),
              "threshold": c.threshold, "social_value": c.social_value or c.kind == "social_value"}
             for c in self.spec.criteria])
        self.outcomes = pd.DataFrame(
            [{"id": o.id, "name": o.name or o.id, "measures": list(o.measures), "unit": o.unit,
              "baseline": o.baseline, "target": o.target, "priority": o.priority,
              "evidence_required": o.evidence_required, "if_not_delivered": o.if_not_delivered}
             for o in self.spec.design.outcomes],
            columns=["id", "name", "measures", "unit", "baseline", "target", "priority",
                     "evidence_required", "if_not_delivered"])

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

    @property
    def price_criterion(self) -> Optional[Criterion]:
        return next((c for c in self.spec.criteria if c.kind == "price"), None)

    @property
    def sv_criterion(self) -> Optional[Criterion]:
        return next((c for c in self.spec.criteria if c.kind == "social_value"), None)

    @property
    def scale_criteria(self) -> list[Criterion]:
        return [c for c in self.spec.criteria if c.kind == "scale"]

    @property
    def social_value_weight(self) -> float:
        return float(sum(c.weight for c in self.spec.criteria if c.kind == "social_value" or c.social_value))

    def descriptor(self, score: float) -> str:
        return self.spec.descriptors.get(float(score), "")


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
    _unique(spec.criteria, "criteria", source, problems)
    _unique(spec.design.outcomes, "design.outcomes", source, problems)
    for kind in ("price", "social_value"):
        found = [c.id for c in spec.criteria if c.kind == kind]
        if len(found) > 1:
            problems.append(InputError(f"only one {kind} criterion is allowed; found {', '.join(found)}",
                                       file=source, where="key criteria", field="kind", value=kind))
    top = spec.scale[-1]
    for i, c in enumerate(spec.criteria):
        if c.threshold is not None and not (spec.scale[0] <= c.threshold <= top):
            problems.append(InputError(f"threshold must lie on the scale {spec.scale[0]:g}-{top:g}",
                                       file=source, where=f"key criteria[{i}] (id {c.id})",
                                       field="threshold", value=c.threshold))
    for key in spec.descriptors:
        if key not in spec.scale:
            problems.append(InputError("descriptor for a score that is not on the scale", file=source,
                                       where="key descriptors", field=str(key), value=key))
    if spec.design.outcomes and sum(o.priority for o in spec.design.outcomes) <= 0:
        problems.append(InputError("outcome priorities add up to 0; give at least one a priority above 0",
                                   file=source, where="key design.outcomes", field="priority", value=0))
    if problems:
        raise InputErrors(problems)

    total = sum(c.weight for c in spec.criteria)
    if not math.isclose(total, 100.0, rel_tol=0, abs_tol=1e-9):
        weights = " + ".join(f"{c.id} {c.weight:g}" for c in spec.criteria)
        entry = CATALOGUE["SV301"]
        raise RubricRefused(
            f"{entry.name}: the criteria weights add up to {total:g}, not 100 ({weights}); the rubric is "
            f"refused. {entry.fix.removesuffix('.')} (the tool never rescales them).",
            file=source, where="key criteria", field="weight", value=total, code="SV301")

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
    return Rubric(spec=spec, path=Path(str(source)), proxies=table, proxies_path=table_path)


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


SHIPPED_PROXIES = Path(__file__).resolve().parents[1] / "rubrics" / "proxies"


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
