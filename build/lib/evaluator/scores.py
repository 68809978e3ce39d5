"""Evaluators' scores (DESIGN.md 4.4, 9.2, 9.3), checked row by row, whether they come from a scores.csv or
from a table the app holds: known bidder and scored criterion (scale or pass/fail), a score on the
criterion's own scale (a pass/fail answer: pass or fail, also 1 or 0, stored as 1.0 / 0.0), a rationale
(reg 31 needs an explanation for every score), the lot (required when the tender has lots), no row given twice.

Each row carries the row number its user sees (`_row`: the spreadsheet row of a CSV, the table row in
the app) as data, so a problem names that row and a caller that keeps the good rows needs no message
read back.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pandas as pd

from .exceptions import EvaluatorError, InputError, InputErrors
from .numbers import AmbiguousNumber, NotANumber, read_number
from .rubric import Rubric
from .suggestions import suggest

SCORE_COLUMNS = ["bidder", "criterion", "evaluator", "score", "rationale"]
LOT_COLUMN = "lot"  # optional in a scores.csv; required when the tender has lots; "" in frames without lots
MODERATED = "MODERATED"
PASS_FAIL = {"pass": 1.0, "fail": 0.0, "1": 1.0, "0": 0.0}


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame(columns=SCORE_COLUMNS + [LOT_COLUMN, "_row"])


def scores_for_lot(frame: pd.DataFrame, lot_id: str) -> pd.DataFrame:
    """The scores of one lot (all of them when the frame has no lot column)."""
    if LOT_COLUMN not in frame.columns:
        return frame.reset_index(drop=True)
    return frame[frame[LOT_COLUMN].astype(str) == str(lot_id)].reset_index(drop=True)


def load_scores(path: Path | str, rubric: Rubric, bidders: Optional[Iterable[str]] = None) -> pd.DataFrame:
    """A scores.csv, every row checked (check_scores); any problem refuses the file, every problem named."""
    from .documents import parse_small_csv
    from .documents import read_text

    path = Path(path)
    header, rows = parse_small_csv(read_text(path), path, SCORE_COLUMNS + [LOT_COLUMN], SCORE_COLUMNS)
    columns = SCORE_COLUMNS + ([LOT_COLUMN] if LOT_COLUMN in header else []) + ["_row"]
    frame = pd.DataFrame([{**rec, "_row": n} for n, rec in rows], columns=columns)
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

    `frame` has the columns bidder, criterion, evaluator, score, rationale (and `lot`: required when the
    tender has lots), and may carry `_row`, the row number its user sees; without it rows are numbered
    as a CSV with a header row (the first is row 2). Cells are read as typed: blank (None, NaN) is empty,
    a number score is its text; a row blank in every column is skipped, as a blank line in a CSV is.
    `bidders`: the names of the tender's bids, or a mapping of lot id to the names bidding in that lot.
    The usable rows carry `lot` ("" without lots).
    """
    lots = [lot.id for lot in rubric.lots]
    missing_columns = [c for c in SCORE_COLUMNS if c not in frame.columns]
    if lots and LOT_COLUMN not in frame.columns:
        missing_columns.append(LOT_COLUMN)
    if missing_columns:
        raise InputErrors([InputError("required column missing" + (
            f": this tender has lots ({', '.join(lots)}), so each score names its lot" if name == LOT_COLUMN else ""),
            file=source, where="row 1", field=name) for name in missing_columns])
    scale_ids = [c.id for c in rubric.scale_criteria]
    pass_fail_ids = [c.id for c in rubric.pass_fail_criteria]
    scored_ids = scale_ids + pass_fail_ids
    what = "scale or pass/fail criterion" if pass_fail_ids else "scale criterion"
    columns = SCORE_COLUMNS + ([LOT_COLUMN] if LOT_COLUMN in frame.columns else [])
    numbers = frame["_row"].tolist() if "_row" in frame.columns else list(range(2, len(frame) + 2))
    cells = {c: _cells(frame[c]) for c in columns}  # every cell as its text, as a CSV holds it
    kept = np.zeros(len(frame), dtype=bool)  # a row blank in every column is skipped
    for c in columns:
        kept |= cells[c] != ""
    numbers = [n for n, k in zip(numbers, kept) if k]
    cells = {c: v[kept] for c, v in cells.items()}
    lot = cells.get(LOT_COLUMN, np.full(len(numbers), "", dtype=object))
    bidder, criterion, evaluator = cells["bidder"], cells["criterion"], cells["evaluator"]
    score_text, rationale = cells["score"], cells["rationale"]
    checks: list[tuple[str, np.ndarray, Any]] = []  # (field, rows with the problem, its words), in check order

    # the lot
    if lots:
        lot_known = pd.Series(lot).isin(lots).to_numpy()
        lot_blank = lot == ""
        checks.append((LOT_COLUMN, lot_blank, f"required but empty: this tender has lots ({', '.join(lots)})"))
        checks.append((LOT_COLUMN, ~lot_blank & ~lot_known, lambda v, i: f"is not a lot of this tender "
                       f"({', '.join(lots)})" + suggest(v, lots)))
        lot_ok = lot_known
    else:
        lot_ok = lot == ""
        checks.append((LOT_COLUMN, ~lot_ok, "this tender has no lots: leave the lot blank"))
    # the bidder (by lot: only once the lot is known)
    bidder_blank = bidder == ""
    checks.append(("bidder", bidder_blank, "required but empty"))
    if bidders is not None and isinstance(bidders, dict):
        known = {k: set(v) for k, v in bidders.items()}
        pairs = {(k, b) for k, names in known.items() for b in names}
        in_lot = np.fromiter(((l, b) in pairs for l, b in zip(lot, bidder)), dtype=bool, count=len(lot))
        rows_lots = lot
        checks.append(("bidder", ~bidder_blank & lot_ok & ~in_lot, lambda v, i: f"is not a bidder in lot "
                       f"{rows_lots[i]}" + suggest(v, known.get(rows_lots[i], ()))))
    elif bidders is not None:
        known_names = set(bidders)
        checks.append(("bidder", ~bidder_blank & ~pd.Series(bidder).isin(known_names).to_numpy(),
                       lambda v, i: "is not a bidder in this tender" + suggest(v, known_names)))
    # the criterion and the evaluator
    checks.append(("criterion", ~pd.Series(criterion).isin(scored_ids).to_numpy(), lambda v, i: f"is not a {what} "
                   f"of this rubric ({', '.join(scored_ids) or 'none'})" + suggest(v, scored_ids)))
    checks.append(("evaluator", evaluator == "", "required but empty"))
    # the score: each distinct text read once; a pass/fail answer, else a number on the criterion's scale
    codes, texts = pd.factorize(score_text)
    read = [_read_score(t) for t in texts]
    pass_fail_of = np.array([_pass_fail(t, r) for t, r in zip(texts, read)] or [np.nan], dtype=float)
    number_of = np.array([r if isinstance(r, float) else np.nan for r in read] or [np.nan], dtype=float)
    is_pass_fail = pd.Series(criterion).isin(pass_fail_ids).to_numpy()
    score = np.where(is_pass_fail, pass_fail_of[codes], number_of[codes]) if len(codes) else np.zeros(0)
    checks.append(("score", is_pass_fail & np.isnan(score), "is not pass or fail (also 1 or 0)"))
    unread = np.array([isinstance(r, str) for r in read] or [False], dtype=bool)[codes] & ~is_pass_fail
    checks.append(("score", unread, lambda v, i: read[codes[i]]))
    off_scale = np.zeros(len(score), dtype=bool)
    numbered = ~is_pass_fail & ~unread
    for cid in pd.unique(criterion[numbered]):
        rows = numbered & (criterion == cid)
        off_scale[rows] = ~np.isin(score[rows], _score_scale(rubric, cid, scale_ids))
    checks.append(("score", off_scale, lambda v, i: _off_scale(rubric, criterion[i], scale_ids)))
    checks.append(("rationale", rationale == "",
                   "is empty: every score needs a rationale (reg 31 asks for an explanation)"))
    # the same lot, bidder, criterion and evaluator twice: the later rows of those otherwise usable
    ok = np.ones(len(numbers), dtype=bool)
    for _, rows, _ in checks:
        ok &= ~rows
    keys = pd.DataFrame({"lot": lot, "bidder": bidder, "criterion": criterion, "evaluator": evaluator})[ok]
    first = pd.Series(np.flatnonzero(ok), index=keys.index).groupby(
        [keys["lot"], keys["bidder"], keys["criterion"], keys["evaluator"]], sort=False).transform("first")
    twice = np.zeros(len(numbers), dtype=bool)
    twice[np.flatnonzero(ok)] = keys.duplicated(keep="first").to_numpy()
    firsts = np.zeros(len(numbers), dtype=np.int64)
    firsts[np.flatnonzero(ok)] = first.to_numpy()
    checks.append(("evaluator", twice, lambda v, i: f"scores this bidder and criterion twice "
                   f"(also row {numbers[firsts[i]]})"))
    ok &= ~twice

    found = sorted((i, k) for k, (_, rows, _) in enumerate(checks) for i in np.flatnonzero(rows).tolist())
    problems: list[tuple[int, EvaluatorError]] = []
    for i, k in found:
        field, _, words = checks[k]
        value = cells[field][i] if field in cells else ""
        if callable(words):
            words = words(value, i)
        n = numbers[i]
        problems.append((n, InputError(words, file=source, where=f"row {n}", field=field, value=value)))
    if not ok.any():
        return pd.DataFrame([], columns=SCORE_COLUMNS + [LOT_COLUMN, "_row"]), problems
    usable = {"bidder": bidder[ok].tolist(), "criterion": criterion[ok].tolist(),
              "evaluator": evaluator[ok].tolist(), "score": score[ok].tolist(), "rationale": rationale[ok].tolist(),
              LOT_COLUMN: lot[ok].tolist(), "_row": [n for n, k in zip(numbers, ok) if k]}
    return pd.DataFrame(usable, columns=SCORE_COLUMNS + [LOT_COLUMN, "_row"]), problems


def _cells(column: pd.Series) -> np.ndarray:
    """A column's cells as text (an object array), each as _cell reads it; text needs only its spaces cut."""
    return np.array([v.strip() if type(v) is str else _cell(v) for v in column.to_numpy(dtype=object)]
                    or [], dtype=object)


def _read_score(text: str) -> Any:
    """A score's text read as a number (float), or the words saying why it is not one (str)."""
    try:
        return read_number(text)
    except AmbiguousNumber as exc:
        return str(exc)
    except NotANumber:
        return "not a number"


def _pass_fail(text: str, number: Any) -> float:
    """A pass/fail answer: pass or fail (any case), 1 or 0 (also as 1.0); NaN for anything else."""
    answer = PASS_FAIL.get(text.strip().lower())
    if answer is None and isinstance(number, float):
        answer = {1.0: 1.0, 0.0: 0.0}.get(number)
    return np.nan if answer is None else answer


def _score_scale(rubric: Rubric, cid: str, scale_ids: list[str]) -> list[float]:
    """The scale a criterion's score must be on: its own (a scale criterion), else the rubric's."""
    if cid in scale_ids:
        return [float(v) for v in rubric.criterion_scale(cid)]
    return [float(v) for v in rubric.spec.scale]


def _off_scale(rubric: Rubric, cid: str, scale_ids: list[str]) -> str:
    own = cid in scale_ids and rubric.criterion(cid).scale is not None
    whose = f"{cid}'s scale" if own else "the rubric's scale"
    return f"is not on {whose} (" + ", ".join(f"{s:g}" for s in _score_scale(rubric, cid, scale_ids)) + ")"


def _cell(value: Any) -> str:
    """A cell as text, as a CSV holds it: blank for None or NaN, a number as it reads (7, not 7.0)."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value).strip()
