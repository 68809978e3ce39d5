"""Money as people in UK procurement read it (GBP with thousands separators), for every report and screen."""
from __future__ import annotations

import math


def gbp(value: float | None, decimals: int = 0) -> str:
    """£1,234,567 the way a commissioner writes it; '-' for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{decimals}f}"

