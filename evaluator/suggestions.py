"""'Did you mean ...?': the nearest known name to one a user mistyped, for the messages that refuse it."""
from __future__ import annotations

import difflib
from typing import Any, Iterable


def suggest(name: Any, options: Iterable[str]) -> str:
    """' (did you mean X?)' for a likely typo, else ''. Case does not count: 'APEX CARE GROUP LTD' and
    'apex care grop ltd' both find 'Apex Care Group Ltd'."""
    options = [str(o) for o in options]
    typed = " ".join(str(name).split()).casefold()
    folded: dict[str, str] = {}
    for o in options:
        folded.setdefault(" ".join(o.split()).casefold(), o)
    if typed in folded and folded[typed] != str(name):
        return f" (did you mean '{folded[typed]}'?)"
    match = difflib.get_close_matches(typed, list(folded), n=1, cutoff=0.75)
    return f" (did you mean '{folded[match[0]]}'?)" if match else ""
