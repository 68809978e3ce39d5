"""Evaluators' scores (DESIGN.md 4.4), checked row by row, whether they come from a scores.csv or from a
table the app holds: known bidder and scale criterion, a score on the rubric's scale, a rationale
(reg 31 needs an explanation for every score), no row given twice.

Each row carries the row number its user sees (`_row`: the spreadsheet row of a CSV, the table row in
the app) as data, so a problem names that row and a caller that keeps the good rows needs no message
read back.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .numbers import AmbiguousNumber, NotANumber, read_number
from .rubric import Rubric
from .suggestions import suggest

SCORE_COLUMNS = ["bidder", "criterion", "evaluator", "score", "rationale"]
MODERATED = "MODERATED"


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame(columns=SCORE_COLUMNS + ["_row"])


def load_scores(path: Path | str, rubric: Rubric, bidders: Optional[Iterable[str]] = None) -> pd.DataFrame:
    """A scores.csv, every row checked (check_scores); any problem refuses the file, every problem named."""
    from .documents import parse_small_csv
    from .documents import read_text

    path = Path(path)
    _, rows = parse_small_csv(read_text(path), path, SCORE_COLUMNS, SCORE_COLUMNS)
    frame = pd.DataFrame([{**rec, "_row": n} for n, rec in rows], columns=SCORE_COLUMNS + ["_row"])
    return check_scores(frame, rubric, bidders, source=path)


def check_scores(frame: pd.DataFrame, rubric: Rubric, bidders: Optional[Iterable[str]] = None,
                 source: Any = "scores.csv") -> pd.DataFrame:
    """The scores in `frame`, checked and typed (score a number); raises InputErrors naming every problem
    (`source`, row, field, value) when any row has one. See split_scores for the rows a frame is read by."""
    usable, problems = split_scores(frame, rubric, bidders, source)
    if problems:
        raise InputErrors([e for _, e in problems])
    return usable


def split_scores(frame: pd.DataFrame, rubric: Rubric, bidders: Optional[Iterable[str]] = None,
                 source: Any = "scores.csv") -> tuple[pd.DataFrame, list[tuple[int, EvaluatorError]]]:
    """(usable rows, [(row, problem)]): the rows with no problem, and each problem with the row it is on,
    for a caller (the app) that uses the good rows and lists the others as not used.

    `frame` has the columns bidder, criterion, evaluator, score, rationale, and may carry `_row`, the row
    number its user sees; without it rows are numbered as a CSV with a header row (the first is row 2).
    Cells are read as typed: blank (None, NaN) is empty, a number score is its text; a row blank in
    every column is skipped, as a blank line in a CSV is.
    """
    missing_columns = [c for c in SCORE_COLUMNS if c not in frame.columns]
    if missing_columns:
        raise InputErrors([InputError("required column missing", file=source, where="row 1", field=name)
                           for name in missing_columns])
    problems: list[tuple[int, EvaluatorError]] = []
    scale = [float(s) for s in rubric.spec.scale]
    scale_ids = [c.id for c in rubric.scale_criteria]
    known = set(bidders) if bidders is not None else None
    numbers = frame["_row"].tolist() if "_row" in frame.columns else list(range(2, len(frame) + 2))
    records, seen = [], {}
    for n, raw in zip(numbers, frame[SCORE_COLUMNS].to_dict("records")):
        rec = {k: _cell(v) for k, v in raw.items()}
        if not any(rec.values()):
            continue

        def bad(field: str, problem: str) -> None:
            problems.append((n, InputError(problem, file=source, where=f"row {n}", field=field, value=rec[field])))

        ok = True
        if not rec["bidder"]:
            bad("bidder", "required but empty"); ok = False
        elif known is not None and rec["bidder"] not in known:
            bad("bidder", "is not a bidder in this tender" + suggest(rec["bidder"], known)); ok = False
        if rec["criterion"] not in scale_ids:
            bad("criterion", f"is not a scale criterion of this rubric ({', '.join(scale_ids) or 'none'})"
                + suggest(rec["criterion"], scale_ids)); ok = False
        if not rec["evaluator"]:
            bad("evaluator", "required but empty"); ok = False
        try:
            score = read_number(rec["score"])
        except AmbiguousNumber as exc:
            bad("score", str(exc)); ok = False
        except NotANumber:
            bad("score", "not a number"); ok = False
        else:
            if score not in scale:
                bad("score", "is not on the rubric's scale (" + ", ".join(f"{s:g}" for s in scale) + ")"); ok = False
        if not rec["rationale"]:
            bad("rationale", "is empty: every score needs a rationale (reg 31 asks for an explanation)"); ok = False
        key = (rec["bidder"], rec["criterion"], rec["evaluator"])
        if ok and key in seen:
            bad("evaluator", f"scores this bidder and criterion twice (also row {seen[key]})"); ok = False
        if ok:
            seen[key] = n
            records.append({**rec, "score": score, "_row": n})
    return pd.DataFrame(records, columns=SCORE_COLUMNS + ["_row"]), problems


def _cell(value: Any) -> str:
    """A cell as text, as a CSV holds it: blank for None or NaN, a number as it reads (7, not 7.0)."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value).strip()
