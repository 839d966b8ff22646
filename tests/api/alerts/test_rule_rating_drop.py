"""`rating_drop`: the average rating of the last week falls by at least `drop` stars
against the week before, significantly (one-sided Mann-Whitney U), with enough ratings in
each; one alert per fall. Pure rule tests and the runner on a real SQLite store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from api.alerts.rules import Alert, Mentions, RatingDrop, RatingDropOptions, reading
from index.record import Mention
from tests.api.alerts.mention_rules import NOW, mention, runner

RULE = '[[alerts]]\nname = "drop"\ntype = "rating_drop"\n'
DAY = 24


def _week(stars: Sequence[float], days_ago: int, tag: str) -> list[Mention]:
    """Reviews with these ratings spread over the week ending `days_ago` days before NOW."""
    step = 7 * DAY / len(stars)
    return [mention(f"{tag}{n}", days_ago * DAY + 1 + n * step, stars=s, author=f"a{n}",
                    label="negative" if s <= 2 else "positive")
            for n, s in enumerate(stars)]


# The week before: mostly 4 and 5 stars (4.4); the last week: mostly 1 to 3 (2.5).
BEFORE = _week([5, 4, 5, 4, 5, 4, 5, 4, 4, 5, 3, 5, 4, 5, 4], 7, "b")
FELL = _week([2, 3, 1, 4, 2, 3, 2, 1, 3, 4, 2, 3], 0, "n")


def _evaluate(mentions: Sequence[Mention], hours: int = 1, **options: float) -> list[Alert]:
    """What the rule finds in the last `hours` hours (by default, judged at 12:00 only)."""
    rule = RatingDrop(RatingDropOptions(name="drop", **options))  # type: ignore[arg-type]
    return rule.evaluate(Mentions("Acme", "brand", mentions), NOW - timedelta(hours=hours),
                         NOW)


def test_a_significant_fall_alerts_with_both_averages() -> None:
    [alert] = _evaluate(BEFORE + FELL)
    assert (alert.observed, alert.baseline) == (2.5, 4.4)
    assert reading(alert) == "average rating 2.5 of 5 over 7 days vs 4.4 the 7 days before"
    assert alert.window_end == NOW.replace(minute=0)
    assert alert.window_end - alert.window_start == timedelta(days=7)
    assert alert.window_start - alert.baseline_start == timedelta(days=7)
    assert alert.summary.startswith(
        "Acme: average rating 2.5 of 5 over 7 days, down from 4.4 (12 ratings against 15;"
        " Mann-Whitney p ")
    assert alert.mention_id is None


def test_one_fall_alerts_once_when_it_first_shows() -> None:
    """Judged hour by hour, the fall shows before all of the last week's ratings are in;
    the hours that follow are the same fall."""
    [alert] = _evaluate(BEFORE + FELL, hours=72)
    assert NOW - timedelta(hours=72) < alert.window_end < NOW - timedelta(hours=1)
    assert alert.baseline - alert.observed >= 0.5


def test_a_small_fall_does_not_alert() -> None:
    slightly = _week([4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 3, 5], 0, "s")  # 4.25 against 4.4
    assert _evaluate(BEFORE + slightly) == []
    assert len(_evaluate(BEFORE + slightly, drop=0.1, p=0.5)) == 1


def test_too_few_ratings_do_not_alert() -> None:
    assert _evaluate(BEFORE + FELL[:9]) == []  # 9 against min_count 10
    assert len(_evaluate(BEFORE + FELL[:9], min_count=9)) == 1


def test_a_large_fall_on_a_few_scattered_ratings_is_not_significant() -> None:
    before, after = _week([5, 1, 5, 1, 5], 7, "b"), _week([1, 5, 1, 1, 5], 0, "n")
    # The average falls by 0.8 stars, but such scattered ratings fall so by chance.
    assert _evaluate(before + after, min_count=5) == []
    assert len(_evaluate(before + after, min_count=5, p=0.9)) == 1


def test_other_scales_count_as_stars() -> None:
    on_ten = [m.with_(rating=type(m.rating)(2 * (m.rating.value - 1) + 2, 10, 0))  # type: ignore[misc,union-attr]
              for m in BEFORE]  # 5 of 5 is 10 of 10, 4 is 8 (4.2 stars), 3 is 6
    [alert] = _evaluate(on_ten + FELL)
    assert alert.baseline > 4


def test_the_runner_raises_the_fall_once(tmp_path: Path) -> None:
    with runner(tmp_path, RULE, BEFORE + FELL) as r:
        first = r.run_once(NOW)
        again = r.run_once(NOW + timedelta(hours=1))
        tried = r.dry_run("drop", NOW - timedelta(days=3), NOW)
    assert len(first.raised) == 1 and first.raised[0]["rule"] == "drop"
    assert again.raised == []  # the same fall, within the cooldown
    assert len(tried) == 1
    # Explained by the 1- and 2-star ratings of the window: what the fall is about.
    low = {m.url for m in BEFORE + FELL if m.rating and m.rating.value <= 2}
    examples = [e["url"] for e in first.raised[0]["explanation"]["examples"]]
    assert len(examples) == 3 and set(examples) <= low
