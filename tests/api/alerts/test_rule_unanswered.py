"""`unanswered`: a negative review the brand has not replied to `hours` after it was
published alerts once; the brand's reply (`brand_replies`) keeps it quiet. Through the
runner on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from api.alerts.rules import Mentions, Unanswered, UnansweredOptions
from index.record import Aspect
from tests.api.alerts.mention_rules import NOW, add, mention, reply, runner

RULE = '[[alerts]]\nname = "unanswered"\ntype = "unanswered"\n'


def test_a_negative_review_without_reply_after_a_day_alerts_once(tmp_path: Path) -> None:
    reviews = [
        mention("waiting", 30, stars=1).with_(aspects=(Aspect("charging", "negative"),)),
        mention("answered", 30, stars=1, replies=[reply(20)]),
        mention("answered-undated", 30, stars=1, replies=[reply(None)]),
        mention("recent", 10, stars=1),  # not due before tomorrow
        mention("happy", 30, "positive", stars=5),
        mention("a-post", 30, kind="post"),  # reviews only, by default
    ]
    with runner(tmp_path, RULE, reviews) as r:
        first = r.run_once(NOW)
        again = r.run_once(NOW + timedelta(minutes=5))
    [alert] = first.raised
    assert alert["mention_id"] == reviews[0].id
    assert alert["summary"] == ("Acme: a negative review by Ann on schemaorg has no reply "
                                "after 30 hours")
    assert (alert["observed"], alert["baseline"], alert["sentiment"]) == (30.0, 24, "negative")
    assert alert["reading"] == "unanswered for 30 hours (limit 24 h)"
    assert alert["window_start"] == (NOW - timedelta(hours=30)).isoformat()
    assert alert["window_end"] == (NOW - timedelta(hours=6)).isoformat()
    assert alert["explanation"]["examples"][0]["url"] == "https://shop.example/waiting"
    # One review's aspects are no change against the usual: the review itself shows them.
    assert alert["explanation"]["top_aspects"] == []
    assert again.raised == []


def test_it_alerts_when_the_review_becomes_due(tmp_path: Path) -> None:
    with runner(tmp_path, RULE, [mention("recent", 10, stars=1)]) as r:
        assert r.run_once(NOW).raised == []
        assert len(r.run_once(NOW + timedelta(hours=15)).raised) == 1


def test_a_reply_crawled_in_time_keeps_it_quiet(tmp_path: Path) -> None:
    review = mention("recent", 10, stars=1)
    with runner(tmp_path, RULE, [review]) as r:
        add(r, review.with_(brand_replies=(reply(2),)))  # the re-crawl found the reply
        assert r.run_once(NOW + timedelta(hours=15)).raised == []


def test_hours_and_kinds_are_options(tmp_path: Path) -> None:
    rule = RULE + 'hours = 4\nkinds = ["review", "post"]\n'
    mentions = [mention("recent", 10, stars=1), mention("a-post", 6, kind="post"),
                mention("a-comment", 6, kind="comment")]
    with runner(tmp_path, rule, mentions) as r:
        raised = r.run_once(NOW).raised
    assert sorted(a["mention_id"] for a in raised) == sorted(m.id for m in mentions[:2])


def test_the_dry_run_lists_every_review_still_unanswered() -> None:
    rule = Unanswered(UnansweredOptions(name="u", hours=24))
    reviews = [mention("last-week", 24 * 7, stars=2), mention("yesterday", 30, stars=1),
               mention("answered", 24 * 5, stars=1, replies=[reply(24 * 4)])]
    found = rule.evaluate(Mentions("Acme", "brand", reviews), NOW - timedelta(days=14), NOW)
    assert [a.mention_id for a in found] == [reviews[0].id, reviews[1].id]
    assert found[0].summary.endswith("has no reply after 7 days")
    assert rule.query == "sentiment:negative (kind:review)"
