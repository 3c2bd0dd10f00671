"""Chapter 07: the sampling cost, milliseconds per sample, as the median of repeated timed runs with its spread.

    timed(fn)                     fn's result and the seconds it took (one run, on an injectable clock)
    ms_per_sample(seconds, n)     the median, min and max over the runs, in milliseconds per sample
    ratio_bounds(a, b)            a's cost over b's: the ratio of the medians and its bounds from the two spreads

One timed run is noisy (10-15 % on a shared CPU: other processes, caches, frequency scaling), so a cost is never
one run: ``measure`` times every seed's draw of the n samples (the same computation, five times in ``full``), after
an untimed warm-up, and keeps the median with the min-max range. Taken together, the min and the max of k runs hold
the median of the run times with probability 1 - 2 / 2^k, whatever their distribution (order statistics: 94 % for
k = 5, 75 % for k = 3), so "at least r times slower" is read from the ratio's lower bound, low_a / high_b.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable, Mapping, Sequence, TypeVar

from ...input_checks import CourseInputError

T = TypeVar("T")
KEYS = ("sample_ms", "sample_ms_low", "sample_ms_high", "sample_runs")


def timed(fn: Callable[[], T], clock: Callable[[], float] = time.perf_counter) -> tuple[T, float]:
    """``fn()`` and the seconds it took on ``clock`` (a fake clock makes the timing testable)."""
    start = clock()
    result = fn()
    return result, clock() - start


def ms_per_sample(seconds: Sequence[float], n: int) -> dict[str, float]:
    """Timed runs that each drew ``n`` samples -> ``sample_ms`` (the median over the runs, in ms per sample),
    ``sample_ms_low`` and ``sample_ms_high`` (the fastest and the slowest run) and ``sample_runs`` (how many)."""
    if not seconds:
        raise CourseInputError("seconds: expected at least one timed run, got none.")
    if not isinstance(n, int) or n < 1:
        raise CourseInputError(f"n: expected the positive number of samples each run drew, got {n!r}.")
    if any(not s >= 0 for s in seconds):  # also rejects NaN
        raise CourseInputError(f"seconds: expected durations >= 0, got {list(seconds)}.")
    ms = [1000 * s / n for s in seconds]
    return {"sample_ms": statistics.median(ms), "sample_ms_low": min(ms), "sample_ms_high": max(ms),
            "sample_runs": len(ms)}


def ratio_bounds(a: Mapping[str, float | None], b: Mapping[str, float | None]) -> tuple[float, float, float]:
    """How many times ``a``'s cost is ``b``'s (rows with the keys of :func:`ms_per_sample`): (low, ratio, high), the
    ratio of the medians between a_low / b_high and a_high / b_low. A row without a spread (a run recorded before
    the spreads were) counts its ``sample_ms`` as both ends, so its bounds are the ratio itself."""
    def ends(row: Mapping[str, float | None]) -> tuple[float, float, float]:
        mid = row.get("sample_ms")
        if mid is None:
            raise CourseInputError("expected a row with 'sample_ms' (milliseconds per sample).")
        low, high = row.get("sample_ms_low"), row.get("sample_ms_high")
        return (mid, mid, mid) if low is None or high is None else (low, mid, high)

    (a_low, a_mid, a_high), (b_low, b_mid, b_high) = ends(a), ends(b)
    if min(b_low, b_mid, b_high) <= 0:
        raise CourseInputError(f"the cost to compare with must be > 0 ms per sample, got {b_low}-{b_high}.")
    return a_low / b_high, a_mid / b_mid, a_high / b_low


def has_spread(row: Mapping[str, float | None]) -> bool:
    """True when ``row`` holds the min and max of its timed runs (tables measured since the spreads were added)."""
    return row.get("sample_ms_low") is not None and row.get("sample_ms_high") is not None


__all__ = ["KEYS", "has_spread", "ms_per_sample", "ratio_bounds", "timed"]
