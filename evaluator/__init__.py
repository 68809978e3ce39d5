"""Social-value bid evaluation: figures as claimed, against what the buyer designed.

Pure Python (no Streamlit): load -> check -> value -> score -> compare. See DESIGN.md and README.md.
"""
from .bids import BidSet, load_bid, load_bids
from .evaluation import Evaluation, evaluate, self_assess
from .exceptions import EvaluatorError, InputError, InputErrors, RubricRefused
from .rubric import Rubric, load_rubric
from .scoring import load_scores

__all__ = ["BidSet", "Evaluation", "EvaluatorError", "InputError", "InputErrors", "Rubric", "RubricRefused",
           "evaluate", "load_bid", "load_bids", "load_rubric", "load_scores", "self_assess"]
