"""THE catalogue of flag codes (DESIGN.md section 5): each code's name, severity and the fix a reader can
act on, written once here. Every producer (commitment checks, design checks, bid checks, practice
reviews, delivery) takes names, severities and fixes from this catalogue, and builds its flags with
:func:`make_flags`. A new flag is a new entry here plus the rule that raises it.

A fix may hold {placeholders} for the numbers and names of the flag it is for (:func:`fix_text`). A code
raised in more than one situation (SV301 on a rubric, on a published notice's exact weights and on its
weight ranges) keeps one fix per situation, named, in `fixes`.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np
import pandas as pd

from .columns import repeated

FLAG_COLUMNS = ["code", "name", "severity", "bidder", "commitment", "criterion", "message", "fix"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
NARRATIVE_MIN_WORDS = 25


@dataclass(frozen=True)
class FlagCode:
    code: str
    name: str
    severity: str
    fix: str
    fixes: Mapping[str, str] = field(default_factory=dict)  # the fix in other situations, by situation


def _entries(*rows: tuple) -> dict[str, FlagCode]:
    return {row[0]: FlagCode(*row) for row in rows}


CATALOGUE: dict[str, FlagCode] = _entries(
    # commitment checks (checks.py)
    ("SV101", "unknown-measure", "error", "Use a measure code from the buyer's proxy table (the template's "
     "Measures sheet lists them), or ask the buyer to add one with a published, open-licence value."),
    ("SV102", "arithmetic", "warning", "Make the claimed value equal the quantity × the claimed proxy (£ a unit), or "
     "correct the quantity or the proxy."),
    ("SV103", "proxy-inflated", "warning", "Use the reference value of {ref_value} per {ref_unit} from the proxy "
     "table, or cite a published source for a higher one."),
    ("SV104", "unit-mismatch", "error", "State the quantity in {ref_unit}, the unit of {measure} (convert it, e.g. "
     "hours to FTE-years)."),
    ("SV105", "no-evidence", "error", "Give evidence of at least E1 (a plan or logic model); better, your own "
     "monitoring data (E2) or an independent evaluation (E3, E4)."),
    ("SV106", "evidence-below-required", "warning", "Provide evidence of grade {required_grade} or better, as the "
     "buyer's design asks for this outcome."),
    ("SV107", "beyond-term", "warning", "Limit delivery to the contract term (years 1-{duration}); claim "
     "persistence only with E3+ evidence that outcomes last."),
    ("SV108", "double-count", "error", "Count each person once: remove this commitment or merge it into the one "
     "that already counts this cohort."),
    ("SV109", "implausible-quantity", "error", "Check the quantity: it must be above 0 and within what this "
     "contract can deliver (bid price, buyer's workforce × years)."),
    ("SV110", "output-not-outcome", "warning", "Report the activity as a quantity without a £ value, and link it "
     "to an outcome the buyer set, with evidence of the change it makes."),
    ("SV111", "no-additionality", "warning", "State deadweight (what would happen anyway) and attribution (what "
     "others contribute), with the reasons in the deflator rationale."),
    ("SV112", "nominal-deflator", "warning", "Explain the deflators in the deflator rationale (with a source), or use "
     "realistic ones."),
    ("SV113", "not-local", "error", "Deliver this measure in the local area ({area}) and say where, or use a "
     "measure that is not local-only."),
    ("SV114", "off-design", "warning", "Link the commitment to one of the buyer's outcomes ({outcomes}) with a "
     "measure that evidences it; otherwise it earns no design-lens credit."),
    ("SV115", "no-narrative", "warning", f"Write a narrative of {NARRATIVE_MIN_WORDS}+ words: how it will be "
     "delivered, with whom, and how you will know."),
    ("SV116", "no-monitoring", "warning", "Add a KPI: what will be counted, how often, and from what records."),
    ("SV117", "not-contract-specific", "error", "Offer activity delivered because of this contract, or leave it "
     "out of the bid."),
    # bid checks (scoring.py)
    ("SV118", "quantity-outlier", "warning", "Check the quantity against what this contract can deliver, and give "
     "the evidence behind it: it is far beyond what the other bids offer for the same outcome."),
    ("SV201", "claimed-share-outlier", "warning", "Check every figure: claims on this scale need strong evidence "
     "and net (deadweight, attribution) quantities."),
    ("SV202", "missing-response", "warning", "Answer every quality question; a missing response scores 0."),
    ("SV203", "below-threshold", "error", "A bid must meet every minimum score; the buyer cannot award to it "
     "(Procurement Act 2023 s23(3)(a))."),
    ("SV204", "abnormally-low-price", "warning", "Explain how the price covers the service (e.g. pay at least the "
     "wage floor, travel time): the buyer must investigate abnormally low tenders."),
    ("SV205", "evaluator-disagreement", "warning", "Moderate: the panel discusses the evidence in the bid and "
     "records a consensus score with its rationale."),
    ("SV206", "no-consensus", "info", "Record a MODERATED consensus score with a rationale."),
    ("SV207", "unscored", "warning", "Score it: each evaluator's score with a rationale, then a MODERATED score."),
    ("SV208", "failed-pass-fail", "error", "Meet every pass/fail requirement (the tender says what evidence each "
     "asks for); a fail means the buyer cannot award to the bid."),
    ("SV209", "mandatory-outcome-unmet", "error", "Offer at least one commitment towards every outcome the buyer "
     "made mandatory, with evidence of the grade it asks for and no error flag, so some of it is credited."),
    ("SV210", "over-budget", "error", "Price within the buyer's budget: it is a ceiling, and a dearer bid cannot be "
     "awarded."),
    # rubric and design checks (rubric.py, design_checks.py, review.py)
    ("SV301", "weights-sum", "error", "Change the weights so they sum to exactly 100.",
     {"published": "Publish every criterion with its weight, as percentages summing to 100.",
      "ranges": "Publish ranges whose sums include 100, or exact weights."}),
    ("SV302", "social-value-weight-low", "warning", "Weight social value at 10% or more of the total."),
    ("SV303", "too-many-outcomes", "warning", "Keep the 3-6 outcomes that matter most to this contract's users "
     "and place."),
    ("SV304", "outcome-no-target", "warning", "Set a baseline and a target for {outcome} over the term."),
    ("SV305", "outcome-no-evidence-requirement", "info", "Say what evidence grade (E1-E4) you will require for "
     "{outcome}."),
    ("SV306", "figures-only", "warning", "Add design outcomes with measures, baselines, targets and evidence "
     "requirements."),
    ("SV308", "no-remedy", "info", "Say what happens if {outcome} is not delivered (the remedy): a KPI consequence, "
     "service credits or a recovery plan."),
    # designs that cannot be served or valued (design_checks.py; issue 18)
    ("SV315", "unknown-outcome-measure", "error", "Name a measure code from the proxy table for {outcome} (or add "
     "the measure to the table with a published, open-licence value)."),
    ("SV316", "no-proxy-table", "error", "Name a proxy table in the rubric (the shipped one is public_2025.csv) so "
     "commitments can be valued and the template can list the measures."),
    ("SV317", "outcome-unit-mismatch", "warning", "Give {outcome} the unit of its measures, or measures in its unit."),
    ("SV318", "unservable-outcome", "warning", "Give {outcome} measures (or a unit) a bid can offer; as written no "
     "commitment can count towards it, so every bid loses its share of the marks."),
    # practice reviews of published tenders (review.py): the fix depends on what the notice got wrong
    ("SV309", "weight-unparsed", "warning", "Publish the weight as a number (70 for 70%).",
     {"not-a-list": "Publish the criteria as a list, one entry per criterion.",
      "not-an-object": "Publish each criterion as an object with type, name and weight.",
      "unknown-kind": "Use a criterionWeight code such as percentageExact.",
      "unread-text": "Publish the weight as a number or percentage (\"70\", \"70%\", \"15-40%\"), or in awardCriteria numbers.",
      "negative": "Publish the weight as a number from 0 to 100.",
      "decimal-over-1": "Publish 0.7 for 70% (decimalExact), or use percentageExact."}),
    ("SV310", "mislabelled-criterion", "warning", "Publish price and cost criteria with type price or cost, and "
     "name quality criteria for what they judge.",
     {"quality-typed-as-price": "Publish it with type quality, and keep type price or cost for the price itself."}),
    ("SV311", "social-value-unweighted", "warning", "Give the social-value criterion a weight of at least 10%.",
     {"goals-unweighted": "Add a weighted social-value criterion (at least 10%) for those goals.",
      "text-only": "Weight social value as an award criterion (at least 10%), with outcomes and targets, instead of leaving it to the text."}),
    ("SV312", "criteria-unpublished", "info", "Publish each award criterion with its weight.",
     {"each-weight": "Publish a weight for every criterion (Procurement Act 2023 s23 and its notices).",
     "no-tender-section": "Review the tender release of this procurement."}),
    ("SV313", "duplicate-ocid", "warning", "Remove duplicate releases, or load a record package with compiled "
     "releases."),
    ("SV314", "unreadable-input", "error", "Publish the ocid on every release.",
     {"lot-not-an-object": "Publish each lot as an object.",
      # reading the files of a review (ocds.py): what to do about a file that is not readable OCDS
      "unreadable": "Check the file exists, is a regular file and can be opened (its permissions, and any symlink's target).",
      "not-ocds": "Check the file is OCDS JSON (a release, a release or record package, or JSON Lines).",
      "key-twice": "Remove one of the two '{key}' entries (keeping the right value) and review again.",
      "corrupt": "Remove the file or download it again.",
      "truncated": "Download the file again: it may be truncated.",
      "releases-late": "Publish the releases as a package with 'releases' near the start, or as JSON Lines.",
      "too-big": "Split the file into smaller packages, or publish JSON Lines (one release per line).",
      "records-without-releases": "Download the record package with compiled releases, or the releases themselves.",
      "empty-folder": "Point the review at a folder of .json/.jsonl(.gz) releases or .yaml rubrics.",
      "not-found": "Check the path.",
      "package-on-a-line": "Split the line's package into one release per line.",
      "linked-releases": "Download the full releases, or a record package with compiledRelease."}),
    # promised against delivered at contract stage (delivery.py)
    ("SV401", "delivery-without-evidence", "warning", "Send the records behind the figure (payroll, registers, "
     "surveys) and grade them E1-E4."),
    ("SV402", "delivery-not-credited", "warning", "Report delivery against the commitments the contract credits, "
     "or agree a variation that brings this one into the design."),
    ("SV403", "no-delivery-reported", "warning", "Report delivery for every credited commitment each period, "
     "including nil returns."),
)


# A flag's name as a commissioner reads it; the catalogue's short names (below-threshold) are for machines.
WORDS = {
    "SV101": "Measure not in the proxy table", "SV102": "Arithmetic does not add up", "SV103": "£ per unit above the reference",
    "SV104": "Unit does not match the measure", "SV105": "Evidence missing or a bare assertion",
    "SV106": "Evidence below what the buyer requires", "SV107": "Runs beyond the contract term",
    "SV108": "Counted twice", "SV109": "Implausible quantity", "SV110": "An activity, not an outcome",
    "SV111": "No deadweight or attribution stated", "SV112": "Not in one price base", "SV113": "Not local",
    "SV114": "Serves none of the buyer's outcomes", "SV115": "Too little narrative", "SV116": "No way to monitor it",
    "SV117": "Not specific to this contract", "SV118": "Quantity far above the other bids'",
    "SV201": "Claims far more than the other bids", "SV202": "Question not answered",
    "SV203": "Below a minimum score", "SV204": "Abnormally low price", "SV205": "Evaluators far apart",
    "SV206": "No consensus score yet", "SV207": "Not scored yet", "SV208": "Failed a pass/fail question",
    "SV209": "A mandatory outcome is unmet", "SV210": "Priced over the budget",
    "SV301": "Weights do not sum to 100", "SV302": "Social value weighted under 10%",
    "SV303": "Too many outcomes", "SV304": "Outcome without a target", "SV305": "No evidence grade required",
    "SV306": "Claims only, no outcomes designed", "SV308": "No remedy if not delivered",
    "SV309": "Weight not a number", "SV310": "Criterion mislabelled", "SV311": "Social value not weighted",
    "SV312": "Criteria not published", "SV313": "Release published twice", "SV314": "Release without an ocid",
    "SV315": "Outcome measure not in the proxy table", "SV316": "No proxy table",
    "SV317": "Outcome unit does not match its measures", "SV318": "No bid can serve this outcome",
    "SV401": "Delivery reported without evidence", "SV402": "Delivery not credited",
    "SV403": "No delivery reported",
}


def flag_words(code: str) -> str:
    """A flag's name in plain English ("Below a minimum score" for SV203); a code without words here reads as
    its catalogue name with spaces ("weights sum")."""
    if code in WORDS:
        return WORDS[code]
    name = CATALOGUE[code].name if code in CATALOGUE else ""
    return name.replace("-", " ").capitalize() or str(code)


def flag_label(code: str) -> str:
    """The words first, the code second: "Below a minimum score (SV203)"."""
    return f"{flag_words(code)} ({code})"


def fix_text(code: str, situation: Optional[str] = None, **values):
    """The catalogue's fix for `code` (in a named situation, if given) with its {placeholders} filled.
    Each value is text, or a column of text (an array or Series, one per flag): then the fix is built
    column-wise, one per row."""
    entry = CATALOGUE[code]
    template = entry.fixes[situation] if situation is not None else entry.fix
    if not any(isinstance(v, (np.ndarray, pd.Series)) for v in values.values()):
        return template.format(**values)
    out = None
    for literal, name, _, _ in string.Formatter().parse(template):
        for piece in ([literal] if literal else []) + ([values[name]] if name is not None else []):
            if isinstance(piece, np.ndarray):
                piece = pd.Series(piece, dtype=object)
            out = piece if out is None else out + piece
    return out


def empty_flags() -> pd.DataFrame:
    """No flags, with the flag columns (built from arrays: a lot's evaluation asks for several)."""
    return pd.DataFrame({c: np.empty(0, dtype=object) for c in FLAG_COLUMNS}, index=pd.RangeIndex(0), dtype=object)


def make_flags(code: str, bidder, message, fix=None, commitment=None, criterion=None) -> pd.DataFrame:
    """A block of flags of one code, its name and severity from the catalogue; `fix` defaults to the
    catalogue's (give one filled by :func:`fix_text` when it names the flag's own numbers). Every
    argument may be a scalar or a column of the same length."""
    entry = CATALOGUE[code]
    columns = {"bidder": bidder, "commitment": commitment, "criterion": criterion, "message": message,
               "fix": entry.fix if fix is None else fix}
    length = max((len(v) for v in columns.values() if isinstance(v, (np.ndarray, pd.Series, list))), default=1)
    columns.update(code=code, name=entry.name, severity=entry.severity)
    data = {k: np.array(v, dtype=object) if isinstance(v, (np.ndarray, pd.Series, list)) else repeated(length, v)
            for k, v in ((k, columns[k]) for k in FLAG_COLUMNS)}
    # one fresh array per column, taken as it is: no second copy into a 2-D block, no frame grown column by column
    return pd.DataFrame(data, index=pd.RangeIndex(length), dtype=object, copy=False)

