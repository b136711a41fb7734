"""Small numeric helpers: percentiles and summaries, no numpy."""

from __future__ import annotations

import math
import statistics


def percentile(values, q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return float(data[low] + (data[high] - data[low]) * (pos - low))


def summary(values, digits: int = 1) -> dict:
    values = list(values)
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    r = lambda x: None if x is None else round(x, digits)  # noqa: E731
    return {"n": len(values), "p50": r(percentile(values, 50)), "p95": r(percentile(values, 95)),
            "p99": r(percentile(values, 99)), "max": r(max(values)), "mean": r(statistics.fmean(values))}


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
