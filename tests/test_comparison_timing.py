"""The sampling cost of chapter 07: timed runs on a fake clock, the median and its spread, the cost ratio's bounds."""
import pytest

from course_lib.analysis.comparison.timing import has_spread, ms_per_sample, ratio_bounds, timed
from course_lib.input_checks import CourseInputError


def fake_clock(*readings: float):
    """A clock that returns ``readings`` in turn (and fails the test if read more often)."""
    it = iter(readings)
    return lambda: next(it)


def test_timed_returns_the_result_and_the_time_between_two_readings_of_the_clock():
    calls = []
    result, seconds = timed(lambda: calls.append("ran") or 42, clock=fake_clock(10.0, 12.5))
    assert result == 42 and seconds == 2.5 and calls == ["ran"]


def test_timed_reads_the_clock_before_and_after_the_call():
    readings, order = iter([1.0, 4.0]), []

    def clock():
        order.append("clock")
        return next(readings)

    timed(lambda: order.append("call"), clock=clock)
    assert order == ["clock", "call", "clock"]


def test_ms_per_sample_is_the_median_run_per_sample_with_the_fastest_and_slowest():
    row = ms_per_sample([0.020, 0.010, 0.030, 0.012, 0.018], n=10)  # seconds for 10 samples each
    assert row == pytest.approx({"sample_ms": 1.8, "sample_ms_low": 1.0, "sample_ms_high": 3.0, "sample_runs": 5})


def test_one_slow_run_moves_the_median_little_and_the_mean_a_lot():
    steady = [1.0, 1.02, 0.98, 1.01, 0.99]
    row = ms_per_sample(steady[:4] + [3.0], n=1000)  # one run disturbed by another process
    assert row["sample_ms"] == pytest.approx(1.01) and row["sample_ms_high"] == pytest.approx(3.0)
    assert sum(steady[:4] + [3.0]) / 5 > 1.4  # what the mean would have said


def test_an_even_number_of_runs_takes_the_middle_of_the_two_central_ones():
    assert ms_per_sample([1.0, 2.0, 4.0, 8.0], n=1000)["sample_ms"] == pytest.approx(3.0)


def test_one_run_has_no_spread_beyond_itself():
    row = ms_per_sample([0.5], n=100)
    assert row["sample_ms"] == row["sample_ms_low"] == row["sample_ms_high"] == pytest.approx(5.0)


@pytest.mark.parametrize("seconds, n, match", [
    ([], 10, "at least one"), ([1.0], 0, "positive number"), ([1.0, -0.1], 10, ">= 0"), ([float("nan")], 10, ">= 0"),
])
def test_ms_per_sample_rejects_what_is_not_a_set_of_timed_runs(seconds, n, match):
    with pytest.raises(CourseInputError, match=match):
        ms_per_sample(seconds, n)


def test_the_ratio_bounds_pair_the_fastest_run_of_one_with_the_slowest_of_the_other():
    slow = {"sample_ms": 16.0, "sample_ms_low": 15.0, "sample_ms_high": 18.0}
    fast = {"sample_ms": 0.05, "sample_ms_low": 0.04, "sample_ms_high": 0.06}
    low, ratio, high = ratio_bounds(slow, fast)
    assert (low, ratio, high) == pytest.approx((250.0, 320.0, 450.0))
    assert low <= ratio <= high


def test_a_row_without_a_spread_counts_its_median_as_both_ends():
    recorded = {"sample_ms": 16.0}  # a table recorded before the spreads were
    assert not has_spread(recorded) and has_spread({"sample_ms": 1.0, "sample_ms_low": 0.9, "sample_ms_high": 1.1})
    assert ratio_bounds(recorded, {"sample_ms": 0.05}) == pytest.approx((320.0, 320.0, 320.0))


def test_the_ratio_needs_a_cost_to_compare_with():
    with pytest.raises(CourseInputError, match="sample_ms"):
        ratio_bounds({"sample_ms_low": 1.0}, {"sample_ms": 1.0})
    with pytest.raises(CourseInputError, match="> 0"):
        ratio_bounds({"sample_ms": 1.0}, {"sample_ms": 0.0})
