"""The negative-share rule: the share of negatives over the last hours, with a minimum
volume, so two angry mentions out of three never fire."""

from __future__ import annotations

from datetime import timedelta

from api.alerts.rules import HOUR, NegativeShare, NegativeShareOptions, reading

WEEK = 7 * 24


def rule(**options: object) -> NegativeShare:
    return NegativeShare(NegativeShareOptions(name="share", **options))  # type: ignore[arg-type]


def test_a_mostly_negative_window_fires_once(make_series, end) -> None:
    # A week at 10% negative, then 12 hours at 60% of 10 mentions an hour.
    series = make_series([1] * WEEK + [6] * 12, [9] * WEEK + [4] * 12)
    alerts = rule().evaluate(series, end(series))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.observed >= 0.5
    assert round(alert.baseline, 2) == 0.1
    # It fires once the 6-hour window is half negative: after five bad hours.
    bad = series.buckets[WEEK].start
    assert alert.window_end == bad + 5 * HOUR
    assert alert.window_start == alert.window_end - timedelta(hours=6)
    assert "% of mentions negative over 6h, usually 10%" in alert.summary
    assert reading(alert) == (f"{alert.observed:.0%} of mentions negative over 6 hours, "
                              "10% in the 7 days before")


def test_low_volume_never_fires(make_series, end) -> None:
    # All negative, but 2 mentions an hour: 12 in the window, under the minimum of 20.
    series = make_series([0] * WEEK + [2] * 6, [3] * WEEK + [0] * 6)
    assert rule().evaluate(series, end(series)) == []
    assert len(rule(min_volume=10).evaluate(series, end(series))) == 1


def test_cooldown_holds_back_a_second_bout(make_series, end) -> None:
    calm, bad = ([1] * 12, [9] * 12), ([6] * 6, [4] * 6)
    negatives = [1] * WEEK + bad[0] + calm[0] + bad[0]
    others = [9] * WEEK + bad[1] + calm[1] + bad[1]
    series = make_series(negatives, others)
    assert len(rule().evaluate(series, end(series))) == 1  # 18 hours apart, cooldown 24h
    assert len(rule(cooldown_hours=12).evaluate(series, end(series))) == 2
