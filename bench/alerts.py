"""`mentionwatch bench alerts`: how well the negative-spike rule finds spikes, on synthetic data.

Each brand gets 90 days of hourly negative counts drawn from a Poisson process with a daily
cycle (quiet nights), a weekly one (its own weekend level) and day-to-day drift; spikes of 2x
to 10x the usual rate, 1 to 3 hours long, are injected at random. The rule runs with its
default options over the whole series, exactly as the runner calls it. A spike is found when
an alert's window overlaps it; any other alert is false.

A spike whose expected count stays under the rule's `min_count` is, by design, not an alert
("3 against 1 never fires"), and one just above it is as often drawn under it, so recall is
reported over all spikes, over those expecting at least `min_count` negatives in their peak
hour, and over those expecting twice that. The goal (recall >= 95% for spikes of 3x and
more) is counted over the last: spikes expecting at least 10 negatives in their peak hour.
Under that, a 3x hour is too often drawn where Poisson noise reaches alone.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from api.alerts.rules import HOUR, NegativeSpike, NegativeSpikeOptions, Series
from index.backend import TimeBucket

__all__ = ["MULTIPLIERS", "Spike", "bench_alerts", "synthetic_brand"]

MULTIPLIERS = (2, 3, 5, 10)
_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True, slots=True)
class Spike:
    first: int  # hour index
    hours: int
    multiplier: int
    expected: float  # expected negatives in the spike's peak hour


def _rates(rng: np.random.Generator, hours: int, level: float) -> np.ndarray:
    """Expected negatives per hour: `level` on average, low at night, a brand-specific
    weekend factor, and a slow random drift of the daily level."""
    t = np.arange(hours)
    hour_of_day = (t % 24).astype(float)
    daily = 1 + 0.7 * np.sin((hour_of_day - 9) / 24 * 2 * math.pi)  # peak mid-afternoon
    weekend = rng.uniform(0.5, 1.5)
    weekly = np.where((t // 24) % 7 >= 5, weekend, 1.0)
    drift = np.repeat(np.exp(np.cumsum(rng.normal(0, 0.05, hours // 24 + 1))), 24)[:hours]
    return level * daily * weekly * drift


def synthetic_brand(rng: np.random.Generator, days: int, level: float,
                    spikes_per_week: float) -> tuple[Series, list[Spike]]:
    """One brand's series and the spikes injected in it (none in the first two weeks,
    which are the baseline's warm-up)."""
    hours = days * 24
    rates = _rates(rng, hours, level)
    spikes: list[Spike] = []
    n = rng.poisson(spikes_per_week * (days - 14) / 7)
    for first in sorted(rng.choice(np.arange(14 * 24, hours - 3), size=n, replace=False)):
        if spikes and first < spikes[-1].first + spikes[-1].hours + 24:
            continue  # keep spikes a day apart, so each is judged on its own
        length, multiplier = int(rng.integers(1, 4)), int(rng.choice(MULTIPLIERS))
        peak = float(rates[first:first + length].max() * multiplier)
        rates[first:first + length] *= multiplier
        spikes.append(Spike(int(first), length, multiplier, peak))
    negatives = rng.poisson(rates)
    others = rng.poisson(rates * 3)
    buckets = [TimeBucket(_START + i * HOUR, int(neg + other),
                          {"negative": int(neg), "positive": int(other)})
               for i, (neg, other) in enumerate(zip(negatives, others, strict=True))]
    return Series(f"brand{level:g}", "brand", buckets), spikes


def bench_alerts(*, days: int = 90, brands: int = 8, seed: int = 1,
                 spikes_per_week: float = 3.0) -> dict[str, Any]:
    """Precision, recall per multiplier and false alerts per brand per week, as JSON."""
    rng = np.random.default_rng(seed)
    rule = NegativeSpike(NegativeSpikeOptions(name="bench"))
    floors = {"all": 0, "expected_5_or_more": rule.options.min_count,
              "expected_10_or_more": 2 * rule.options.min_count}
    levels = [round(float(x), 1) for x in np.geomspace(1, 30, brands)]
    found: dict[str, dict[int, list[bool]]] = {f: {m: [] for m in MULTIPLIERS} for f in floors}
    true_alerts = false_alerts = 0
    seconds = 0.0
    for level in levels:
        series, spikes = synthetic_brand(rng, days, level, spikes_per_week)
        started = time.perf_counter()
        alerts = rule.evaluate(series, series.buckets[-1].start + HOUR)
        seconds += time.perf_counter() - started
        windows = [frozenset(range(int((a.window_start - _START) / HOUR),
                                   int((a.window_end - _START) / HOUR))) for a in alerts]
        hits: set[frozenset[int]] = set()
        for spike in spikes:
            span = set(range(spike.first, spike.first + spike.hours))
            found_by = {w for w in windows if w & span}
            hits |= found_by
            for name, floor in floors.items():
                if spike.expected >= floor:
                    found[name][spike.multiplier].append(bool(found_by))
        true_alerts += len(hits)
        false_alerts += len(windows) - len(hits)

    def rate(hits: list[bool]) -> float | None:
        return round(sum(hits) / len(hits), 3) if hits else None

    return {
        "rule": rule.type,
        "days": days, "brands": brands, "seed": seed,
        "brand_mean_negatives_per_hour": levels,
        "spikes": sum(len(v) for v in found["all"].values()),
        "alerts": true_alerts + false_alerts,
        "precision": rate([True] * true_alerts + [False] * false_alerts),
        # Spikes counted by the negatives expected in their peak hour: `all`, or at least
        # min_count (5), or twice it.
        "recall": {name: {f"{m}x": rate(by[m]) for m in MULTIPLIERS}
                   for name, by in found.items()},
        "spikes_counted": {name: {f"{m}x": len(by[m]) for m in MULTIPLIERS}
                           for name, by in found.items()},
        "recall_3x_and_more": {name: rate([h for m in MULTIPLIERS if m >= 3 for h in by[m]])
                               for name, by in found.items()},
        "false_alerts_per_brand_per_week": round(false_alerts / ((days - 14) / 7 * brands), 3),
        "evaluate_seconds_per_brand": round(seconds / brands, 3),
        "goal": {"recall_3x_and_more": ">= 0.95 over expected_10_or_more",
                 "false_alerts_per_brand_per_week": "<= 1"},
    }
