"""The volume-spike rule counts every mention, whatever its sentiment."""

from __future__ import annotations

from api.alerts.rules import (
    NegativeSpike,
    NegativeSpikeOptions,
    VolumeSpike,
    VolumeSpikeOptions,
    reading,
)

DAY = [30, 28, 33, 31, 29, 30, 32]  # about 30 mentions an hour, 2 of them negative


def test_a_burst_of_praise_is_a_volume_spike_not_a_negative_one(make_series, end) -> None:
    hours = 15 * 24
    negatives = [2] * hours + [2]
    positives = [DAY[i % 7] - 2 for i in range(hours)] + [150]
    series = make_series(negatives, positives)
    volume = VolumeSpike(VolumeSpikeOptions(name="vol")).evaluate(series, end(series))
    assert [(a.observed, a.sentiment, a.type) for a in volume] == [(152, None, "volume_spike")]
    assert "152 mentions in an hour" in volume[0].summary
    assert reading(volume[0]).startswith("152 mentions in an hour, usually ")
    assert NegativeSpike(NegativeSpikeOptions(name="neg")).evaluate(series, end(series)) == []


def test_volume_needs_more_than_the_negative_minimum(make_series, end) -> None:
    # 12 mentions where there are usually 1: a burst, but under the volume rule's 20.
    series = make_series([0] * (15 * 24) + [0], [1] * (15 * 24) + [12])
    assert VolumeSpike(VolumeSpikeOptions(name="vol")).evaluate(series, end(series)) == []
    lowered = VolumeSpike(VolumeSpikeOptions(name="vol", min_count=10))
    assert [a.observed for a in lowered.evaluate(series, end(series))] == [12]
