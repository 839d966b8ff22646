"""`new_low_rating`: each new review rated 1-2 of 5 (or as low on its own scale) alerts
once, through the runner on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from api.alerts.rules import Mentions, NewLowRating, NewLowRatingOptions
from index.watchlist import WatchlistError
from tests.api.alerts.mention_rules import NOW, add, configured, mention, runner

RULE = '[[alerts]]\nname = "low"\ntype = "new_low_rating"\n'


def test_each_low_review_alerts_once_on_any_scale(tmp_path: Path) -> None:
    reviews = [
        mention("one", 2, stars=1),
        mention("two", 3, stars=2),
        mention("two-of-ten", 4, stars=2, best=10),  # 1.8 stars
        mention("three", 5, stars=3),
        mention("four-of-ten", 6, stars=4, best=10),  # 2.6 stars
        mention("five", 7, "positive", stars=5),
        mention("unrated", 1),
    ]
    with runner(tmp_path, RULE, reviews) as r:
        first = r.run_once(NOW)
        again = r.run_once(NOW + timedelta(minutes=5))
    raised = {a["mention_id"]: a for a in first.raised}
    ids = {m.id: m.url.rsplit("/", 1)[1] for m in reviews}
    assert sorted(ids[i] for i in raised) == ["one", "two", "two-of-ten"]
    assert again.raised == []
    one = raised[reviews[0].id]
    assert one["summary"] == "Acme: a 1/5 review by Ann on schemaorg"
    assert (one["observed"], one["baseline"]) == (1.0, 2.0)
    assert one["reading"] == "rated 1 of 5 stars (alerts at 2 or below)"
    assert one["key"] == f"low|brand=Acme|mention={reviews[0].id}"
    assert [e["url"] for e in one["explanation"]["examples"]] == ["https://shop.example/one"]


def test_a_second_low_review_soon_after_still_alerts(tmp_path: Path) -> None:
    """One alert per review: no cooldown between two reviews of the same brand."""
    with runner(tmp_path, RULE, [mention("first", 1, stars=1)]) as r:
        first = r.run_once(NOW)
        add(r, mention("second", 0.5, stars=1))
        second = r.run_once(NOW + timedelta(minutes=5))
        third = r.run_once(NOW + timedelta(minutes=10))
    assert len(first.raised) == len(second.raised) == 1
    assert first.raised[0]["mention_id"] != second.raised[0]["mention_id"]
    assert third.raised == []


def test_a_restart_remembers_what_alerted(tmp_path: Path) -> None:
    reviews = [mention("one", 2, stars=1)]
    with runner(tmp_path, RULE, reviews) as r:
        assert len(r.run_once(NOW).raised) == 1
    with runner(tmp_path, RULE, reviews) as r:  # the same file, a new process
        assert r.run_once(NOW + timedelta(hours=1)).raised == []
        assert len(r.state.history()) == 1


def test_old_reviews_found_late_do_not_alert_but_show_in_a_dry_run(tmp_path: Path) -> None:
    """A pass looks back 24 hours: a source's first crawl does not flood with old reviews;
    a dry run over a longer time shows them."""
    with runner(tmp_path, RULE, [mention("old", 30, stars=1)]) as r:
        assert r.run_once(NOW).raised == []
        assert len(r.dry_run("low", NOW - timedelta(days=2), NOW)) == 1


def test_max_stars_sets_the_threshold() -> None:
    rule = NewLowRating(NewLowRatingOptions(name="low", max_stars=1))
    reviews = [mention("one", 1, stars=1), mention("two", 1, stars=2),
               mention("zero-of-ten", 1, stars=0, best=10)]
    found = rule.evaluate(Mentions("Acme", "brand", reviews), NOW - timedelta(days=1), NOW)
    assert [a.mention_id for a in found] == [reviews[0].id, reviews[2].id]
    assert rule.query == "rating<=1"


def test_a_cooldown_is_refused_for_a_rule_that_alerts_once_per_review() -> None:
    with pytest.raises((WatchlistError, ValueError), match="cooldown_hours"):
        configured(RULE + "cooldown_hours = 6\n")
