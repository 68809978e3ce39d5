"""The Government's Social Value Model as a design library (issue 18): rubrics/library/social_value_model_2025.yaml.

Each outcome keeps its published wording, the document it comes from, its version and its licence, so an outcome
added to a design can say where its words came from. `suggest_measures` proposes measure codes from a proxy
table by the library's own `fits` rule (a unit, optionally words in the measure's name): it suggests nothing
rather than a measure that does not fit. Problems in a library file are one line each (InputError), naming the
file, the entry and the field.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from .documents import load_yaml
from .exceptions import EvaluatorError, InputError
from .shipped import SHIPPED_RUBRICS

DEFAULT_LIBRARY = SHIPPED_RUBRICS / "library" / "social_value_model_2025.yaml"
_MISSION_FIELDS = ("id", "kind", "name", "model", "version", "source", "url", "licence")
_OUTCOME_FIELDS = ("id", "name", "wording")
_KINDS = ("mission", "theme")


def is_library_path(path: Path | str) -> bool:
    """A file in the shipped design library's folder (rubrics/library/): not a tender, so a review of the
    rubrics folder passes it by."""
    try:
        return Path(path).resolve().parent == DEFAULT_LIBRARY.parent
    except (OSError, RuntimeError):  # a symlink loop is named by the review, not here
        return False


@dataclass(frozen=True)
class Fit:
    """The library's rule for a measure that fits an outcome: its unit, and words its name contains (any)."""
    unit: str
    words: tuple[str, ...] = ()

    def matches(self, unit: Any, name: Any) -> bool:
        if str(unit).strip() != self.unit:
            return False
        text = str(name).lower()
        return not self.words or any(w.lower() in text for w in self.words)


@dataclass(frozen=True)
class LibraryOutcome:
    """One published outcome, with its mission (or theme) and where its words come from."""
    id: str
    name: str                 # the outcome's published title
    wording: str              # the published wording (title, then any published detail, one per line)
    mission_id: str
    mission: str              # the mission's (or theme's) published name
    mission_kind: str         # "mission" (2025 model) or "theme" (2020 model)
    model: str                # which model and edition
    version: str              # version or date of the document
    source: str               # publisher, title, date and where in it
    url: str
    licence: str
    where: str = ""
    checked_against: str = ""
    fits: tuple[Fit, ...] = ()

    @property
    def citation(self) -> str:
        """One line a report or a rubric can carry: source, URL, licence."""
        where = f", {self.where}" if self.where else ""
        return f"{self.source}{where}; {self.url}; {self.licence}"

    @property
    def fit_units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.unit for f in self.fits))


def _bad(path: Path, where: str, field: str, value: Any, problem: str) -> InputError:
    return InputError(problem, file=path.name, where=where, field=field, value=value)


def _text(entry: dict, field: str, path: Path, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _bad(path, where, field, value if value is not None else "", "required text, missing or empty")
    return value.strip()


def _fits(raw: Any, path: Path, where: str) -> tuple[Fit, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _bad(path, where, "fits", raw, "must be a list of {unit, words}")
    fits = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("unit"), str) or not item["unit"].strip():
            raise _bad(path, f"{where}, fit {n}", "unit", item, "each fit names a unit, e.g. {unit: fte_year}")
        words = item.get("words") or []
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise _bad(path, f"{where}, fit {n}", "words", words, "must be a list of words")
        fits.append(Fit(item["unit"].strip(), tuple(w.strip() for w in words)))
    return tuple(fits)


def load_library(path: Optional[Path | str] = None) -> list[LibraryOutcome]:
    """Every outcome in the library file (default: the shipped Social Value Model), in the file's order.
    A mission may list no outcomes (`outcomes: []`, with `not_included` saying why); see `missions()`."""
    return [o for _, outcomes in _read(path) for o in outcomes]


def missions(path: Optional[Path | str] = None) -> list[dict]:
    """The missions and themes as published ({id, kind, name, model, version, source, url, licence,
    not_included, outcomes: [LibraryOutcome]}), those without outcomes included."""
    return [{**m, "outcomes": outcomes} for m, outcomes in _read(path)]


def _read(path: Optional[Path | str]) -> list[tuple[dict, list[LibraryOutcome]]]:
    path = Path(path) if path is not None else DEFAULT_LIBRARY
    try:
        data = load_yaml(path)
    except EvaluatorError:
        raise
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path.name) from None
    if not isinstance(data, dict) or not isinstance(data.get("missions"), list) or not data["missions"]:
        raise _bad(path, "top level", "missions", type(data).__name__ if not isinstance(data, dict)
                   else data.get("missions"), "the library lists its missions or themes under 'missions:'")
    seen: dict[str, str] = {}
    out = []
    for n, m in enumerate(data["missions"], 1):
        where = f"mission {n}"
        if not isinstance(m, dict):
            raise _bad(path, where, "missions", m, "each mission is a mapping (id, kind, name, source, ...)")
        where = f"mission {m.get('id') or n}"
        mission = {f: _text(m, f, path, where) for f in _MISSION_FIELDS}
        mission["not_included"] = str(m.get("not_included") or "").strip()
        mission["model_url"] = str(m.get("model_url") or "").strip()
        if mission["kind"] not in _KINDS:
            raise _bad(path, where, "kind", mission["kind"], "must be 'mission' or 'theme'")
        raw = m.get("outcomes")
        if not isinstance(raw, list):
            raise _bad(path, where, "outcomes", raw, "must be a list (empty, with 'not_included' saying why)")
        if not raw and not mission["not_included"]:
            raise _bad(path, where, "not_included", "", "a mission with no outcomes says why they are not included")
        outcomes = []
        for k, o in enumerate(raw, 1):
            owhere = f"{where}, outcome {k}"
            if not isinstance(o, dict):
                raise _bad(path, owhere, "outcomes", o, "each outcome is a mapping (id, name, wording, ...)")
            owhere = f"{where}, outcome {o.get('id') or k}"
            oid, name, wording = (_text(o, f, path, owhere) for f in _OUTCOME_FIELDS)
            if oid in seen:
                raise _bad(path, owhere, "id", oid, f"the same id as {seen[oid]}")
            seen[oid] = owhere
            detail = o.get("detail") or []
            if not isinstance(detail, list) or not all(isinstance(d, str) for d in detail):
                raise _bad(path, owhere, "detail", detail, "must be a list of the published lines")
            outcomes.append(LibraryOutcome(
                id=oid, name=name, wording="\n".join([wording, *[d.strip() for d in detail if d.strip()]]),
                mission_id=mission["id"], mission=mission["name"], mission_kind=mission["kind"],
                model=mission["model"], version=mission["version"], source=mission["source"], url=mission["url"],
                licence=str(o.get("licence") or mission["licence"]).strip(), where=str(o.get("where") or "").strip(),
                checked_against=str(o.get("checked_against") or "").strip(), fits=_fits(o.get("fits"), path, owhere)))
        out.append((mission, outcomes))
    return out


def suggest_measures(outcome: LibraryOutcome, proxies: pd.DataFrame) -> list[str]:
    """Proxy codes that fit the outcome by its `fits` rules, in the rules' order (the first rule's matches
    first); empty when none fits. Never a measure whose unit the outcome's rules do not name."""
    if proxies is None or len(proxies) == 0 or not outcome.fits:
        return []
    rows = proxies.reset_index(drop=True)[["code", "name", "unit"]].to_dict("records")
    found: list[str] = []
    for fit in outcome.fits:
        for r in rows:
            code = str(r["code"]).strip()
            if code and code not in found and fit.matches(r["unit"], r["name"]):
                found.append(code)
    return found
