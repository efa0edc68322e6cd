"""Partial credit on linear bands, as deep-learning course graders commonly score metrics.

>>> linear_band(0.75, low=0.5, high=1.0)
0.5
>>> linear_band(2.1, low=3.0, high=2.0)   # lower is better: pass low > high
0.9
"""

from __future__ import annotations

import math


def linear_band(value: float, *, low: float, high: float) -> float:
    """Fraction of credit in [0, 1]: 0 at or before `low`, 1 at or past `high`, linear between.

    When `high < low` lower values are better (a loss or a negative log-likelihood).
    A NaN or infinite `value` earns nothing.
    """
    if low == high:
        raise ValueError(f"linear_band needs low != high, got both = {low}")
    if not math.isfinite(value):
        return 0.0
    fraction = (value - low) / (high - low)
    return round(min(1.0, max(0.0, fraction)), 6)


def band_points(value: float, *, low: float, high: float, points: float) -> float:
    """`points` scaled by `linear_band`, rounded to hundredths so reports stay readable."""
    return round(points * linear_band(value, low=low, high=high), 2)
