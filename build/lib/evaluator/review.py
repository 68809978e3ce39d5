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

Where each part lives: reading criteria and checking weights in :mod:`evaluator.review_criteria`; one
release or rubric in :mod:`evaluator.review_tenders`; the portfolio in :mod:`evaluator.review_portfolio`
and each buyer's maturity in :mod:`evaluator.review_maturity`; text, CSV and charts in
:mod:`evaluator.review_output`. This module reads the inputs and builds the portfolio from them.

Messy data never stops a review: a bad file, line or lot is a flag and the rest go on. The hot path is
one pass over a stream of releases with plain dicts and precompiled regular expressions, so 100,000
releases review in well under two minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .ocds import Problem, expand, is_ocds_path, iter_releases
from .review_criteria import flag
from .review_portfolio import portfolio
from .review_tenders import review_release, review_rubric

RUBRIC_SUFFIXES = (".yaml", ".yml")


def is_rubric_path(path: Path) -> bool:
    return path.suffix.lower() in RUBRIC_SUFFIXES


def _wanted(path: Path) -> bool:
    return is_ocds_path(path) or is_rubric_path(path)

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
                                   "with a tender section is the one reviewed", None, None))
    review = Review(tenders=tenders, problems=problems, delivered=set(delivered))
    review.summary = portfolio(review.tenders, review.delivered, len(review.problems))
    return review


def _problem(p: Problem) -> dict:
    return {**flag("SV314", p.message, fix=p.fix), "source": p.source, "where": p.where}


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
