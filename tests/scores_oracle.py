"""The row-by-row split_scores as it was before issue 16's speed work (evaluator/scores.py now checks the
columns at once): kept here as the oracle the column-wise version is compared with on generated frames."""
from __future__ import annotations

from typing import Any, Iterable, Optional

import pandas as pd

from evaluator.exceptions import EvaluatorError, InputError, InputErrors
from evaluator.numbers import AmbiguousNumber, NotANumber, read_number
from evaluator.rubric import Rubric
from evaluator.scores import LOT_COLUMN, PASS_FAIL, SCORE_COLUMNS, _cell
from evaluator.suggestions import suggest


def split_scores_by_row(frame: pd.DataFrame, rubric: Rubric, bidders: Optional[Iterable[str]] = None,
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
    problems: list[tuple[int, EvaluatorError]] = []
    scale_ids = [c.id for c in rubric.scale_criteria]
    pass_fail_ids = [c.id for c in rubric.pass_fail_criteria]
    scored_ids = scale_ids + pass_fail_ids
    what = "scale or pass/fail criterion" if pass_fail_ids else "scale criterion"
    scales = {cid: [float(v) for v in rubric.criterion_scale(cid)] for cid in scale_ids}
    by_lot = isinstance(bidders, dict)
    known = ({k: set(v) for k, v in bidders.items()} if by_lot else set(bidders)) if bidders is not None else None
    numbers = frame["_row"].tolist() if "_row" in frame.columns else list(range(2, len(frame) + 2))
    columns = SCORE_COLUMNS + ([LOT_COLUMN] if LOT_COLUMN in frame.columns else [])
    records, seen = [], {}
    for n, raw in zip(numbers, frame[columns].to_dict("records")):
        rec = {k: _cell(v) for k, v in raw.items()}
        if not any(rec.values()):
            continue
        rec.setdefault(LOT_COLUMN, "")

        def bad(field: str, problem: str) -> None:
            problems.append((n, InputError(problem, file=source, where=f"row {n}", field=field, value=rec[field])))

        ok = True
        if lots and not rec[LOT_COLUMN]:
            bad(LOT_COLUMN, f"required but empty: this tender has lots ({', '.join(lots)})"); ok = False
        elif lots and rec[LOT_COLUMN] not in lots:
            bad(LOT_COLUMN, f"is not a lot of this tender ({', '.join(lots)})" + suggest(rec[LOT_COLUMN], lots)); ok = False
        elif not lots and rec[LOT_COLUMN]:
            bad(LOT_COLUMN, "this tender has no lots: leave the lot blank"); ok = False
        if not rec["bidder"]:
            bad("bidder", "required but empty"); ok = False
        elif known is not None and by_lot and ok and rec["bidder"] not in known.get(rec[LOT_COLUMN], ()):
            bad("bidder", f"is not a bidder in lot {rec[LOT_COLUMN]}"
                + suggest(rec["bidder"], known.get(rec[LOT_COLUMN], ()))); ok = False
        elif known is not None and not by_lot and rec["bidder"] not in known:
            bad("bidder", "is not a bidder in this tender" + suggest(rec["bidder"], known)); ok = False
        if rec["criterion"] not in scored_ids:
            bad("criterion", f"is not a {what} of this rubric ({', '.join(scored_ids) or 'none'})"
                + suggest(rec["criterion"], scored_ids)); ok = False
        if not rec["evaluator"]:
            bad("evaluator", "required but empty"); ok = False
        score = None
        if rec["criterion"] in pass_fail_ids:
            score = PASS_FAIL.get(rec["score"].strip().lower())
            if score is None:
                try:
                    number = read_number(rec["score"])
                except (AmbiguousNumber, NotANumber):
                    number = None
                score = {1.0: 1.0, 0.0: 0.0}.get(number)
            if score is None:
                bad("score", "is not pass or fail (also 1 or 0)"); ok = False
        else:
            try:
                score = read_number(rec["score"])
            except AmbiguousNumber as exc:
                bad("score", str(exc)); ok = False
            except NotANumber:
                bad("score", "not a number"); ok = False
            else:
                scale = scales.get(rec["criterion"], [float(v) for v in rubric.spec.scale])
                if score not in scale:
                    own = rec["criterion"] in scales and rubric.criterion(rec["criterion"]).scale is not None
                    whose = f"{rec['criterion']}'s scale" if own else "the rubric's scale"
                    bad("score", f"is not on {whose} (" + ", ".join(f"{s:g}" for s in scale) + ")"); ok = False
        if not rec["rationale"]:
            bad("rationale", "is empty: every score needs a rationale (reg 31 asks for an explanation)"); ok = False
        key = (rec[LOT_COLUMN], rec["bidder"], rec["criterion"], rec["evaluator"])
        if ok and key in seen:
            bad("evaluator", f"scores this bidder and criterion twice (also row {seen[key]})"); ok = False
        if ok:
            seen[key] = n
            records.append({**rec, "score": score, "_row": n})
    return pd.DataFrame(records, columns=SCORE_COLUMNS + [LOT_COLUMN, "_row"]), problems
