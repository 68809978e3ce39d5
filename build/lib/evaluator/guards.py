"""The preconditions the guarded scoring steps check before they hand arrays to the kernel.

A failed precondition is a caller's bug, never a user's input (the loaders have already named every bad
file, row and field), so it is a plain ValueError naming the step, not an EvaluatorError.
"""
from __future__ import annotations

import pandas as pd


def require_columns(frame: pd.DataFrame, columns: list[str], step: str) -> None:
    """The step's table has every column it reads."""
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise ValueError(f"{step}: the table has no column {', '.join(lacking)}")


def require_unique(names: pd.Series, step: str) -> None:
    """No bidder is named twice: the kernel's sums are keyed by bidder."""
    if names.duplicated().any():
        raise ValueError(f"{step}: a bidder is named twice ({names[names.duplicated()].iat[0]!r})")
