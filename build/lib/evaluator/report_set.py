"""The report set written into one folder: the evaluation report, one assessment summary per bidder and
the results workbook, with file names safe on every system."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .assessment_summary import assessment_summary_pdf
from .bid_slices import is_lots
from .evaluation_report import evaluation_report_pdf
from .exceptions import EvaluatorError
from .provenance import Inputs
from .why_not import summary_context


def safe_file_stem(name: str, taken: Optional[set] = None, limit: int = 60) -> str:
    """A bidder's name as a file name that is safe on every system: ASCII letters, digits and `_`, never
    a path; names that collapse to the same stem get a short hash of the full name."""
    ascii_ = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_").lower()[:limit].strip("_") or "bidder"
    if taken is not None:
        if stem in taken:
            stem = f"{stem}_{hashlib.sha256(str(name).encode('utf-8')).hexdigest()[:8]}"
        taken.add(stem)
    return stem


@dataclass
class ReportSet:
    evaluation_report: Path
    summaries: dict[str, Path]        # bidder -> file (with lots: "lot · bidder" -> file)
    workbook: Path
    lot_summaries: Optional[dict[str, dict[str, Path]]] = None   # with lots: lot -> bidder -> file


def summary_file_names(bidders: Iterable[str], lot: Optional[str] = None) -> dict[str, str]:
    """bidder -> `assessment_summary_<safe stem>.pdf`, unique within the tender; for one lot of a tender
    with lots, `assessment_summary_lot_<lot>_<safe stem>.pdf` (a supplier bidding in two lots gets two)."""
    taken: set = set()
    prefix = "assessment_summary_" if lot is None else f"assessment_summary_lot_{safe_file_stem(lot, limit=20)}_"
    return {b: f"{prefix}{safe_file_stem(b, taken)}.pdf" for b in bidders}


def check_out_dir(out: Path) -> Path:
    """The folder to write into: created if missing; a file in the way or no write permission is bad
    input (one line), found before any work is done."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise EvaluatorError("is a file, not a folder to write the reports into", field="--out", value=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EvaluatorError(f"cannot write into this folder ({exc.strerror or exc})", field="--out",
                             value=str(out)) from None
    return out


def write_file(path: Path, data: bytes) -> Path:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise EvaluatorError(f"cannot be written ({exc.strerror or exc})", file=path) from None
    return path


def iter_summaries(ev) -> Iterator[tuple[Optional[str], str, str, bytes]]:
    """(lot or None, bidder, file name, PDF bytes) of every assessment summary of a tender: one per bid, and
    for a tender with lots one per bid in each lot (the app's downloads and `report --out` both use it)."""
    lots = [lot.id for lot in ev.rubric.lots] if is_lots(ev) else [None]
    for lot in lots:
        cache = summary_context(ev, lot) if lot is not None else summary_context(ev)
        for b, name in summary_file_names(cache["res"]["bidder"].tolist(), lot=lot).items():
            yield lot, b, name, assessment_summary_pdf(ev, b, context=cache)


def write_report_set(ev, out: Path, inputs: Optional[Inputs] = None) -> ReportSet:
    """evaluation_report.pdf, one assessment_summary_<bidder>.pdf per bid and results.xlsx in `out`; for a
    tender with lots (`ev` a LotsEvaluation) one assessment_summary_lot_<lot>_<bidder>.pdf per bid in each lot."""
    from .workbook import results_workbook
    out = check_out_dir(out)
    report = write_file(out / "evaluation_report.pdf", evaluation_report_pdf(ev, inputs))
    summaries: dict[str, Path] = {}
    lots: dict[str, dict[str, Path]] = {}
    for lot, b, name, data in iter_summaries(ev):
        path = write_file(out / name, data)
        if lot is None:
            summaries[b] = path
        else:
            lots.setdefault(lot, {})[b] = path
            summaries[f"{lot} · {b}"] = path
    book = write_file(out / "results.xlsx", results_workbook(ev, workspace=(inputs.workspace if inputs else None)))
    return ReportSet(evaluation_report=report, summaries=summaries, workbook=book,
                     lot_summaries=lots if is_lots(ev) else None)
