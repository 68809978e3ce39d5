"""Money as people in UK procurement read it (GBP with thousands separators), for every report and screen."""
from __future__ import annotations

import math


def gbp(value: float | None, decimals: int = 0) -> str:
    """£1,234,567 the way a commissioner writes it; '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and any(ch in "123456789" for ch in text) else ""   # rounding noise is £0, not -£0
    return f"{sign}£{text}"

