"""Money as a commissioner reads it (evaluator/formatting.py)."""
import math

import pytest

from evaluator.formatting import gbp


@pytest.mark.parametrize("value, decimals, shown", [
    (1234567, 0, "£1,234,567"), (-2500.4, 0, "-£2,500"), (0, 0, "£0"), (12.5, 2, "£12.50"),
    (-1e-9, 0, "£0"), (-0.4, 0, "£0"), (-0.004, 2, "£0.00"),      # rounding noise is nothing, never "-£0"
    (-0.6, 0, "-£1"), (-0.005001, 2, "-£0.01"),
])
def test_pounds_with_separators_and_no_minus_on_a_value_that_rounds_to_nothing(value, decimals, shown):
    assert gbp(value, decimals) == shown


def test_nothing_is_a_dash():
    assert gbp(None) == "-" and gbp(math.nan) == "-"
