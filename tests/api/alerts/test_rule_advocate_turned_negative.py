"""`advocate_turned_negative`: a negative mention by an author who wrote advocate mentions
of the brand before (advocate score >= `min_score`, not negative) alerts once. Pure rule
tests and the runner on a real SQLite store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from api.alerts.rules import (
    AdvocateTurnedNegative,
    AdvocateTurnedNegativeOptions,
    Alert,
    Mentions,
    reading,
)
from crawlers.triage import triage
from index.inbox import Inbox
from index.query import Field
from index.record import Mention
from tests.api.alerts.mention_rules import NOW, mention, runner

RULE = '[[alerts]]\nname = "turned"\ntype = "advocate_turned_negative"\n'


def _praise(native: str, days_ago: float, author: str = "Bo", **fields: object) -> Mention:
    return mention(native, days_ago * 24, "positive", kind="post", author=author,
                   advocate=0.8, **fields)  # type: ignore[arg-type]


def _complaint(native: str, hours_ago: float, author: str = "Bo", **fields: object) -> Mention:
    return mention(native, hours_ago, kind="post", author=author, **fields)  # type: ignore[arg-type]


def _evaluate(mentions: Sequence[Mention], **options: float) -> list[Alert]:
    rule = AdvocateTurnedNegative(AdvocateTurnedNegativeOptions(name="t", **options))  # type: ignore[arg-type]
    return rule.evaluate(Mentions("Acme", "brand", mentions), NOW - timedelta(days=1), NOW)


def test_an_advocate_complaining_alerts_with_their_earlier_sentiment() -> None:
    mentions = [_praise("p1", 40), _praise("p2", 10), _complaint("c", 2)]
    [alert] = _evaluate(mentions)
    assert alert.mention_id == mentions[2].id
    assert alert.summary == ("Acme: Bo on schemaorg, an advocate (2 advocate mentions before), "
                             "posted a negative post")
    assert (alert.observed, alert.baseline, alert.sentiment) == (-0.8, 0.8, "negative")
    assert reading(alert) == ("sentiment -0.8 (-1 to +1), their advocate mentions before "
                              "averaged +0.8")


def test_who_was_no_advocate_before_does_not_alert() -> None:
    assert _evaluate([_complaint("c", 2)]) == []
    # Praise that is not advocacy (a low advocate score) or that came after the complaint.
    assert _evaluate([mention("weak", 50, "positive", author="Bo", advocate=0.2),
                      _complaint("c", 2)]) == []
    assert _evaluate([_complaint("c", 2), _praise("later", 0.01)]) == []


def test_the_same_name_on_another_site_is_someone_else() -> None:
    assert _evaluate([_praise("p", 10, site="forum.example"), _complaint("c", 2)]) == []


def test_min_mentions_and_history_are_options() -> None:
    mentions = [_praise("p1", 40), _praise("p2", 10), _complaint("c", 2)]
    assert _evaluate(mentions, min_mentions=3) == []
    assert len(_evaluate(mentions, min_mentions=2)) == 1
    rule = AdvocateTurnedNegative(AdvocateTurnedNegativeOptions(name="t", history_days=5))
    assert rule.context_hours == 5 * 24  # how far before the pass's window it reads


def test_it_reads_the_earlier_mentions_of_the_complaining_authors_only() -> None:
    rule = AdvocateTurnedNegative(AdvocateTurnedNegativeOptions(name="t"))
    assert rule.query == "sentiment:negative OR rating<=2"
    complaints = [_complaint(f"c{n}", 2, author=f"Author {n:03}") for n in range(250)]
    queries = rule.context(complaints)
    assert [len(q.children) for q in queries] == [200, 50]  # type: ignore[union-attr]
    # By author key (a site and a handle, else name), as leads tell authors apart.
    assert queries[0].children[0] == Field(  # type: ignore[union-attr]
        "author", "=", "shop.example/author 000")
    assert rule.context([]) == []


def test_the_runner_raises_it_once_for_the_brand_praised(tmp_path: Path) -> None:
    mentions = [_praise("p1", 40), _praise("p2", 10), _complaint("c", 2),
                _praise("z", 10, author="Cy", brand="Zephyr"), _complaint("zc", 3, author="Cy")]
    with runner(tmp_path, RULE, mentions) as r:
        first = r.run_once(NOW)
        again = r.run_once(NOW + timedelta(minutes=5))
    # Cy praised Zephyr, then complained about Acme: no advocate of Acme turned.
    assert [(a["subject"], a["mention_id"]) for a in first.raised] == [("Acme", mentions[2].id)]
    assert again.raised == []


def test_the_runner_finds_one_advocate_among_others_in_a_real_store(tmp_path: Path) -> None:
    others = [mention(f"o{n}", n, "positive", author=f"other {n}", advocate=0.9)
              for n in range(1, 40)]
    mentions = [*others, _praise("p", 60), _complaint("c", 5)]
    with runner(tmp_path, RULE, mentions) as r:
        raised = r.run_once(NOW).raised
    assert [a["mention_id"] for a in raised] == [mentions[-1].id]
    assert raised[0]["baseline"] == 0.8


def test_a_one_star_review_is_negative_too_as_in_the_inbox() -> None:
    # The text reads neutral; the rating says what the reviewer thinks.
    low = mention("low", 2, "neutral", stars=1, author="Bo")
    mentions = [_praise("p1", 40), low]
    [alert] = _evaluate(mentions)
    assert alert.mention_id == low.id


def test_the_runner_raises_it_for_a_low_rated_review_in_a_real_store(tmp_path: Path) -> None:
    low = mention("low", 2, "neutral", stars=2, author="Bo")
    with runner(tmp_path, RULE, [_praise("p", 30), low]) as r:
        assert [a["mention_id"] for a in r.run_once(NOW).raised] == [low.id]


def test_the_alert_and_the_inbox_name_the_same_advocates_turned_negative(
        tmp_path: Path) -> None:
    def complaint(author: str, **fields: object) -> Mention:
        return _complaint(f"c_{author}", 2, author=author, **fields)

    mentions = [
        # Turned: an advocate complains, or rates 1 star with a neutral text.
        _praise("fa", 10, author="Fa"), complaint("Fa"),
        _praise("bo", 10, author="Bo"), mention("c_Bo", 2, "neutral", stars=1, author="Bo"),
        # Not turned: praise without an advocate record, advocacy older than the window,
        # or advocacy by the same name on another site.
        mention("cy", 240, "positive", author="Cy"), complaint("Cy"),
        _praise("di", 200, author="Di"), complaint("Di"),
        _praise("ed", 10, author="Ed", site="forum.example"), complaint("Ed"),
    ]
    turned = {mentions[1].id, mentions[3].id}
    with runner(tmp_path, RULE, mentions) as r:
        alerted = {a["mention_id"] for a in r.run_once(NOW).raised}
        with Inbox(tmp_path / "inbox.db") as inbox:
            triage(r.store, inbox, mentions, now=NOW)
            in_inbox = {item.entry.mention_id
                        for item in inbox.items(reason="advocate_turned_negative", now=NOW)}
    assert alerted == in_inbox == turned
