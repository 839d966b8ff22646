"""Triage in a real crawl (`mentionwatch crawl`, the default model, a product page on
127.0.0.1): the reviews that need a response land in the inbox with their reasons; and
triage of a re-crawled mention carrying the brand's reply answers its item."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from crawlers.triage import author_history, needs_response, triage
from index.inbox import Inbox
from index.record import Advocate, Author, BrandReply, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from tests.crawlers.product_page import crawl_product_page, review

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def test_a_crawl_puts_what_needs_a_response_in_the_inbox(tmp_path: Path) -> None:
    db = crawl_product_page(tmp_path, [
        review("Dana", "2026-11-01", "Broke after two days and support never called back.", 1),
        review("Quinn", "2026-11-02", "Love it. Does it work with the Acme watch?", 5),
        review("Pat", "2026-11-03", "Lovely phone, great camera, I recommend it.", 5),
    ])
    with Inbox(db) as inbox:
        items = {i.entry.author: i for i in inbox.items(now=NOW)}
    assert set(items) == {"Dana", "Quinn"}
    assert {r.code for r in items["Dana"].entry.reasons} >= {"low_rating"}
    assert [r.detail for r in items["Dana"].entry.reasons if r.code == "low_rating"] == [
        "1-star review"]
    assert [r.code for r in items["Quinn"].entry.reasons] == ["question"]
    assert items["Dana"].status == items["Quinn"].status == "open"


def _review(native_id: str, day: int, text: str, label: str, stars: int,
            **fields: object) -> Mention:
    score = {"positive": 0.8, "negative": -0.8}[label]
    return Mention.create(
        source="trustpilot", native_id=native_id, kind="review",
        url=f"https://trustpilot.example/reviews/{native_id}", text=text,
        author=Author("Vera", handle="vera", followers=1200), brand="Acme",
        published_at=datetime(2026, 11, day, tzinfo=UTC), rating=Rating(stars, 5, 1),
        sentiment=Sentiment(label, score, 0.9, "test"),  # type: ignore[arg-type]
        **fields)


def test_an_advocate_turned_negative_is_named_and_a_captured_reply_answers(
        tmp_path: Path) -> None:
    db = tmp_path / "mentions.db"
    praise = _review("v1", 1, "I recommend Acme to everyone.", "positive", 5,
                     advocate=Advocate(0.8, "validator", ("recommends",)))
    turned = _review("v2", 10, "Acme broke twice, I am done with it.", "negative", 1)
    with SqliteStore(db) as store, Inbox(db) as inbox:
        store.upsert([praise, turned])
        assert triage(store, inbox, [praise, turned], now=NOW).opened == 1
        reasons = {r.code: r.detail for r in needs_response(turned, author_history(store, turned))}
        assert reasons["advocate_turned_negative"] == (
            "was an advocate (validator) in 1 earlier mention, now negative")
        item = inbox.get(turned.id)
        assert item is not None and item.entry.earlier == 1 and item.entry.reach == 1200

        reply = BrandReply("Sorry, Vera: we are sending a new one.", "Acme Support",
                           datetime(2026, 11, 11, 9, 30, tzinfo=UTC))
        recrawled = replace(turned, brand_replies=(reply,))
        store.upsert([recrawled])
        assert triage(store, inbox, [recrawled], now=NOW).answered == 1
        answered = inbox.get(turned.id)
        assert answered is not None and answered.status == "answered"
        assert [(a.by, a.action, a.detail) for a in inbox.audit(turned.id)][-1] == (
            "crawler", "reply captured", "Acme Support replied on 2026-11-11 09:30 UTC")
