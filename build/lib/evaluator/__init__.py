"""Social-value bid evaluation: figures as claimed, against what the buyer designed.

Pure Python (no Streamlit): load -> check -> value -> score -> compare. See DESIGN.md and README.md.

The names below load on first use, so `python -m evaluator` can set up the process (tuning.py)
before numpy, pandas and the rest of the tool are imported.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for editors and type checkers; at run time see __getattr__
    from .bids import BidSet, load_bid, load_bid_files, load_bids
    from .evaluation import Evaluation, evaluate, self_assess
    from .lots import LotsEvaluation, evaluate_tender
    from .exceptions import EvaluatorError, InputError, InputErrors, RubricRefused
    from .rubric import Rubric, load_rubric, parse_rubric
    from .scores import check_scores, load_scores
    # what the app (app/, app_pages/) uses besides the names above: see _HOME.update below
    from .design_checks import check_rubric
    from .delivery import delivery_chart, track
    from .reading import figures_vs_design
    from .assessment_summary import assessment_summary_pdf
    from .evaluation_report import evaluation_report_pdf
    from .provenance import Inputs
    from .report_set import summary_file_names
    from .review import review_paths
    from .review_output import flag_rows, lot_rows, portfolio_charts
    from .why_not import summary_context
    from .rubric import GRADES, RubricSpec
    from .scores import LOT_COLUMN, MODERATED, SCORE_COLUMNS, scores_for_lot, split_scores
    from .scoring import scale_marks
    from .template import write_template
    from .formatting import gbp
    from .spreadsheet import formula_safe_frame
    from .workbook import results_workbook
    from .workspace import Workspace, default_workspace_path

_HOME = {"BidSet": "bids", "load_bid": "bids", "load_bid_files": "bids", "load_bids": "bids",
         "Evaluation": "evaluation", "evaluate": "evaluation", "self_assess": "evaluation",
         "LotsEvaluation": "lots", "evaluate_tender": "lots",
         "EvaluatorError": "exceptions", "InputError": "exceptions", "InputErrors": "exceptions",
         "RubricRefused": "exceptions", "Rubric": "rubric", "load_rubric": "rubric", "parse_rubric": "rubric",
         "check_scores": "scores", "load_scores": "scores"}

_HOME.update({  # what the app (app/, app_pages/) uses besides the names above: pages import only from here
    "check_rubric": "design_checks", "delivery_chart": "delivery", "track": "delivery",
    "figures_vs_design": "reading", "Inputs": "provenance", "assessment_summary_pdf": "assessment_summary",
    "evaluation_report_pdf": "evaluation_report", "summary_context": "why_not", "summary_file_names": "report_set",
    "iter_summaries": "report_set",
    "flag_rows": "review_output", "lot_rows": "review_output", "portfolio_charts": "review_output",
    "review_paths": "review",
    "GRADES": "rubric", "RubricSpec": "rubric", "MODERATED": "scores", "SCORE_COLUMNS": "scores",
    "split_scores": "scores", "LOT_COLUMN": "scores", "scores_for_lot": "scores", "scale_marks": "scoring", "write_template": "template",
    "formula_safe_frame": "spreadsheet", "gbp": "formatting", "results_workbook": "workbook", "Workspace": "workspace",
    "default_workspace_path": "workspace",
})

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:  # a submodule (from evaluator import charts) is then imported the usual way
        raise AttributeError(f"module 'evaluator' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
