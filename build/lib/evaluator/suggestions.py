"""'Did you mean ...?': the nearest known name to one a user mistyped, for the messages that refuse it."""
from __future__ import annotations

import difflib
from typing import Any, Iterable


def suggest(name: Any, options: Iterable[str]) -> str:
    """' (did you mean X?)' for a likely typo, else ''."""
    match = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.75)
    return f" (did you mean '{match[0]}'?)" if match else ""

