"""The flatline rule: a source that stops producing is noticed, a quiet one is not."""

from __future__ import annotations

from datetime import timedelta

from api.alerts.rules import HOUR, Flatline, FlatlineOptions, reading

WEEK = 7 * 24


def rule(**options: object) -> Flatline:
    return Flatline(FlatlineOptions(name="flat", **options))  # type: ignore[arg-type]


def source(make_series, counts: list[int]):
    return make_series([0] * len(counts), counts, subject="feed", field="source")


def test_a_source_that_stops_is_noticed_once(make_series, end) -> None:
    series = source(make_series, [5] * WEEK + [0] * 30)
    alerts = rule().evaluate(series, end(series))
    assert len(alerts) == 1
    alert = alerts[0]
    # After 11 silent hours the last 12 hold 5 mentions, under a tenth of the usual 60.
    stopped = series.buckets[WEEK].start
    assert (alert.window_start, alert.window_end) == (stopped - HOUR, stopped + 11 * HOUR)
    assert (alert.observed, alert.baseline, alert.field) == (5, 60, "source")
    assert alert.summary == "feed: 5 mentions in 12h, usually 60; has it stopped producing?"
    assert reading(alert) == "5 mentions in 12 hours, usually 60 from the 7 days before"


def test_a_quiet_source_never_fires(make_series, end) -> None:
    # One mention every five hours: 2.4 expected in 12h, under min_expected.
    quiet = [1 if i % 5 == 0 else 0 for i in range(WEEK)] + [0] * 30
    series = source(make_series, quiet)
    assert rule().evaluate(series, end(series)) == []


def test_the_hour_being_filled_is_not_judged(make_series) -> None:
    series = source(make_series, [5] * WEEK + [0] * 11)
    last = series.buckets[-1].start
    assert rule().evaluate(series, last + timedelta(minutes=30)) == []  # 10 silent hours
    assert len(rule().evaluate(series, last + HOUR)) == 1


def test_a_source_that_stops_again_after_the_cooldown_alerts_again(make_series, end) -> None:
    counts = [5] * WEEK + [0] * 12 + [5] * 24 + [0] * 12
    series = source(make_series, counts)
    assert len(rule().evaluate(series, end(series))) == 2
    assert len(rule(cooldown_hours=72).evaluate(series, end(series))) == 1
