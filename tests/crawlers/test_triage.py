"""Which mentions need a response and why (`crawlers.triage`), and the crawl extension's
switch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.triage import InboxTriage, needs_response, triage
from index.inbox import Inbox
from index.record import Aspect, Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore


def _mention(text: str, *, kind: str = "review", author: str = "Lee",
             rating: Rating | None = None, label: str = "neutral",
             aspects: tuple[Aspect, ...] = ()) -> Mention:
    return Mention.create(
        source="schemaorg", native_id=text, kind=kind, url="https://shop.example/p",  # type: ignore[arg-type]
        text=text, author=Author(author), brand="Acme", rating=rating, aspects=aspects,
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        sentiment=Sentiment(label, -0.6 if label == "negative" else 0.0, 0.9, "test"))  # type: ignore[arg-type]


def _codes(mention: Mention) -> list[str]:
    return [reason.code for reason in needs_response(mention)]


def test_each_reason_is_found_and_said() -> None:
    assert _codes(_mention("Fine.", label="negative")) == ["negative"]
    assert _codes(_mention("Ok.", rating=Rating(2, 10, 0))) == ["low_rating"]
    [reason] = needs_response(_mention("Ok.", rating=Rating(2, 10, 0)))
    assert reason.detail == "rated 2 of 0..10"
    assert _codes(_mention("Ok.", rating=Rating(3, 10, 0))) == []  # 2.2 stars
    blamed = _mention("Great phone, awful battery.",
                      aspects=(Aspect("screen", "positive"), Aspect("battery", "negative")))
    assert [r.detail for r in needs_response(blamed)] == ["complains about battery"]
    assert _codes(_mention("电池可以换吗")) == ["question"]
    assert _codes(_mention("How do I pair it with my laptop")) == ["question"]
    assert _codes(_mention("Lovely phone.", label="positive", rating=Rating(5, 5, 1))) == []


@pytest.mark.parametrize(("kind", "author"), [("article", "Lee"), ("ai_answer", "Lee"),
                                              ("post", "Acme Support")])
def test_no_one_to_answer_means_no_item(tmp_path: Path, kind: str, author: str) -> None:
    mention = _mention("Why does the battery die?", kind=kind, author=author, label="negative")
    with SqliteStore(tmp_path / "m.db") as store, Inbox(tmp_path / "m.db") as inbox:
        store.upsert([mention])
        assert triage(store, inbox, [mention]).opened == 0


def test_the_crawl_extension_is_off_when_told() -> None:
    crawler = get_crawler(settings_dict={"MENTIONWATCH_INBOX_ENABLED": False})
    with pytest.raises(NotConfigured):
        InboxTriage.from_crawler(crawler)
