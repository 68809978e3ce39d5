"""Social-value bid evaluation: figures as claimed, against what the buyer designed.

Pure Python (no Streamlit): load -> check -> value -> score -> compare. See DESIGN.md and README.md.

The names below load on first use, so `python -m evaluator` can set up the process (tuning.py)
before numpy, pandas and the rest of the tool are imported.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for editors and type checkers; at run time see __getattr__
    from .bids import BidSet, load_bid, load_bids
    from .evaluation import Evaluation, evaluate, self_assess
    from .exceptions import EvaluatorError, InputError, InputErrors, RubricRefused
    from .rubric import Rubric, load_rubric
    from .scoring import load_scores

_HOME = {"BidSet": "bids", "load_bid": "bids", "load_bids": "bids",
         "Evaluation": "evaluation", "evaluate": "evaluation", "self_assess": "evaluation",
         "EvaluatorError": "exceptions", "InputError": "exceptions", "InputErrors": "exceptions",
         "RubricRefused": "exceptions", "Rubric": "rubric", "load_rubric": "rubric", "load_scores": "scoring"}

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
