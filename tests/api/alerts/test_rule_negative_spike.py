"""The negative-spike rule on synthetic hourly series: 14 days of baseline, then the hours
under test. Noise is a fixed repeating pattern, so each expectation is exact."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from api.alerts.rules import (
    HOUR,
    NegativeSpike,
    NegativeSpikeOptions,
    Series,
    poisson_tail,
    reading,
)

BASE_DAYS = 14
NOISE = [3, 2, 4, 3, 2, 3, 4]  # about 3 negatives an hour; 7 long, so each hour varies by day


def baseline(days: int = BASE_DAYS, pattern: list[int] = NOISE) -> list[int]:
    return [pattern[i % len(pattern)] for i in range(days * 24)]


def rule(**options: object) -> NegativeSpike:
    return NegativeSpike(NegativeSpikeOptions(name="neg", **options))  # type: ignore[arg-type]


End = Callable[[Series], datetime]


def test_a_burst_fires_once_with_observed_and_baseline(make_series, end: End) -> None:
    series = make_series([*baseline(), 3, 25, 3])
    alerts = rule().evaluate(series, end(series))
    assert len(alerts) == 1
    alert = alerts[0]
    burst = series.buckets[BASE_DAYS * 24 + 1].start
    assert (alert.window_start, alert.window_end) == (burst, burst + HOUR)
    assert alert.observed == 25
    assert 2 <= alert.baseline <= 4
    assert alert.baseline_start == burst - timedelta(days=14)
    assert alert.sentiment == "negative"
    assert alert.summary.startswith("Acme: 25 negative mentions in an hour, usually 3.")
    assert reading(alert) == (f"25 negative mentions in an hour, usually {alert.baseline:.1f} "
                              f"from the 14 days before (z {alert.z:.1f})")


def test_zero_against_zero_and_three_against_one_never_fire(make_series, end: End) -> None:
    silent = make_series([0] * (BASE_DAYS * 24 + 5))
    assert rule(min_count=1).evaluate(silent, end(silent)) == []
    quiet = make_series([*baseline(pattern=[1, 0, 1, 2, 0, 1, 1]), 3])
    assert rule(min_count=1).evaluate(quiet, end(quiet)) == []


def test_min_count_holds_back_a_tiny_burst(make_series, end: End) -> None:
    # 4 where there is never anything is far off the baseline, but only 4 mentions.
    series = make_series([0] * (BASE_DAYS * 24) + [4])
    assert rule().evaluate(series, end(series)) == []
    assert [a.observed for a in rule(min_count=4).evaluate(series, end(series))] == [4]


def test_a_small_rise_on_a_big_brand_is_not_a_spike(make_series, end: End) -> None:
    # 160 against ~100 is six standard deviations, but not twice the usual.
    series = make_series([*baseline(pattern=[100, 101, 99, 100]), 160])
    assert rule().evaluate(series, end(series)) == []
    assert len(rule(ratio=1.5).evaluate(series, end(series))) == 1


def test_one_spike_over_several_hours_alerts_once(make_series, end: End) -> None:
    series = make_series([*baseline(), 30, 40, 35, 28, 3])
    alerts = rule().evaluate(series, end(series))
    assert [a.observed for a in alerts] == [30]


def test_cooldown_separates_spikes(make_series, end: End) -> None:
    gap = [3, 2, 3]
    near = make_series([*baseline(), 30, *gap, 30])  # 4 hours apart, cooldown 6h
    assert len(rule().evaluate(near, end(near))) == 1
    assert len(rule(cooldown_hours=2).evaluate(near, end(near))) == 2
    far = make_series(baseline() + [30] + gap * 3 + [30])  # 10 hours apart
    assert len(rule().evaluate(far, end(far))) == 2


def test_the_clock_decides_what_is_judged(make_series) -> None:
    series = make_series([*baseline(), 3, 25, 3])
    burst = series.buckets[BASE_DAYS * 24 + 1].start
    assert rule().evaluate(series, burst - HOUR) == []  # the burst is in the future
    # The hour still being filled already counts: a spike need not wait for it to end.
    assert len(rule().evaluate(series, burst + timedelta(minutes=20))) == 1


def test_no_alert_without_a_week_of_history(make_series, end: End) -> None:
    series = make_series([*baseline(days=6), 40])
    assert rule().evaluate(series, end(series)) == []


def test_the_busy_hour_of_every_day_is_not_a_spike(make_series, end: End) -> None:
    # Every day at 14:00 brings 20 negatives (a daily newsletter, say), other hours 2.
    day = [20 if hour == 14 else 2 for hour in range(24)]
    series = make_series(day * (BASE_DAYS + 1))
    assert rule().evaluate(series, end(series)) == []
    # Without the same-hour baseline, that hour looks like a spike every day.
    assert rule(seasonal=False).evaluate(series, end(series)) != []


def test_a_quiet_weekend_makes_a_normal_weekday_no_spike(make_series, end: End) -> None:
    weekday, weekend = [6] * 24, [2] * 24
    week = weekday * 5 + weekend * 2
    series = make_series(week * 3)  # ends on a Sunday; next, an ordinary Monday
    series = make_series([b.by_sentiment["negative"] for b in series.buckets] + weekday)
    assert rule().evaluate(series, end(series)) == []


def test_a_series_with_a_gap_is_refused(make_series) -> None:
    series = make_series(baseline())
    broken = Series("Acme", "brand", [*series.buckets[:10], *series.buckets[11:]])
    with pytest.raises(ValueError, match="not hourly"):
        rule().evaluate(broken, series.buckets[-1].start)


def test_poisson_tail_is_the_chance_of_that_many_or_more() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    # 3 or more against a usual 1: 1 - e^-1 (1 + 1 + 1/2), about 8%: no reason to alert.
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5)
    assert poisson_tail(5, 0.0) == 0.0
    assert 0 < poisson_tail(400, 100.0) < 1e-50


def test_the_summary_says_how_unlikely_the_count_is(make_series, end: End) -> None:
    big = make_series([*baseline(), 25])
    [alert] = rule().evaluate(big, end(big))
    assert alert.summary.endswith(", p < 1e-9)")
    small = make_series([*baseline(), 11])
    [alert] = rule().evaluate(small, end(small))
    assert alert.summary.startswith("Acme: 11 negative mentions in an hour, usually 3.")
    assert alert.summary.endswith(", p 0.0003)")


def test_a_two_hour_burst_too_thin_for_one_hour_alerts_summed(make_series, end: End) -> None:
    # 9 against about 3 could be noise (p 0.004); 9 and 9 against 6 is not.
    one = make_series([*baseline(), 9])
    assert rule().evaluate(one, end(one)) == []
    series = make_series([*baseline(), 9, 9])
    [alert] = rule().evaluate(series, end(series))
    burst = series.buckets[BASE_DAYS * 24].start
    assert (alert.window_start, alert.window_end, alert.observed) == (burst, burst + 2 * HOUR, 18)
    assert "18 negative mentions in 2 hours" in alert.summary


def test_an_earlier_spike_does_not_raise_the_baseline(make_series, end: End) -> None:
    history = baseline()
    history[(BASE_DAYS - 3) * 24] = 60  # three days ago at this hour: a spike (alerted then)
    series = make_series([*history, 12])
    alerts = rule().evaluate(series, end(series))
    assert alerts[-1].observed == 12
    assert 2.5 <= alerts[-1].baseline <= 3.5


def test_a_quiet_brand_keeps_its_fractional_rate(make_series, end: End) -> None:
    # About one negative every two hours: the baseline says so instead of rounding to 0 or 1.
    series = make_series([*baseline(pattern=[1, 0, 1, 0, 0, 1, 0]), 7])
    [alert] = rule().evaluate(series, end(series))
    assert 0.3 <= alert.baseline <= 0.6


def test_an_hour_that_swings_by_day_needs_the_robust_z_too(make_series, end: End) -> None:
    # This hour holds 0 or 20 negatives from one day to the next: 40 is unlikely for a
    # Poisson count around 10, but not for this hour.
    day = [3] * 24
    days = [[*day[:14], 20 * (d % 2), *day[15:]] for d in range(BASE_DAYS)]
    series = make_series([n for d in days for n in d] + [3] * 14 + [40])
    last = series.buckets[-1].start

    def fired_last_hour(spike: NegativeSpike) -> list[float]:
        return [a.observed for a in spike.evaluate(series, end(series))
                if a.window_start == last]

    assert fired_last_hour(rule()) == []
    assert fired_last_hour(rule(z=1.0)) == [40]
