"""The index pipeline puts the brand accounts' replies into the mentions they answer, whatever
order they come in, on a real SQLite store; the sentiment pipeline lets them pass unscored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.test import get_crawler

from crawlers.extract.accounts import AccountReply, account_reply
from crawlers.pipelines import IndexPipeline
from index.record import Author, BrandReply, Mention
from index.sqlite import SqliteStore
from index.watchlist import Brand
from tests.crawlers.test_pipelines import RecordingScorer, pipeline

ACME = Brand(name="Acme", terms=("Acme",))
WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def post(native: str, text: str = "My Acme phone broke.") -> Mention:
    return Mention.create(source="reddit", native_id=native, kind="post",
                          url=f"https://www.reddit.com/r/x/comments/{native}/", text=text,
                          author=Author("sam"), published_at=WHEN, brand="Acme")


def reply(native: str, parent: str, text: str = "Sorry! DM us.") -> AccountReply:
    return account_reply("reddit", native, ACME, parent=parent, text=text,
                         author="u/AcmeSupport", url=f"https://www.reddit.com/r/x/{native}/",
                         published_at=WHEN.replace(hour=10))


def index(db: Path, *items: Mention | AccountReply, batch_size: int = 100
          ) -> dict[str, int]:
    """Run `items` through an index pipeline on `db` as one crawl; its reply counts."""
    crawler = get_crawler()
    assert crawler.stats is not None
    indexer = IndexPipeline(SqliteStore(db), crawler.stats, batch_size, crawler.signals)
    for item in items:
        indexer.process_item(item)
    indexer.close_spider()
    return {k.rsplit("/", 1)[1]: v for k, v in crawler.stats.get_stats().items()
            if k.startswith("mentionwatch/brand_replies/")}


def replies(db: Path, native: str) -> list[BrandReply]:
    with SqliteStore(db) as store:
        stored = store.get(post(native).id)
    assert stored is not None
    return list(stored.brand_replies)


def test_a_reply_waits_for_its_parent_when_it_comes_first(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    # The parent is still being scored when its reply reaches the index.
    assert index(db, reply("t1_r", "t3_p"), post("t3_p")) == {"received": 1, "attached": 1}
    assert replies(db, "t3_p") == [reply("t1_r", "t3_p").reply]


def test_a_reply_to_a_stored_mention_is_added_and_a_recrawl_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    index(db, post("t3_p"), reply("t1_a", "t3_p", "First answer."))
    index(db, reply("t1_b", "t3_p", "Second answer."))  # a later crawl, parent not read
    index(db, post("t3_p"))  # the parent read again, without its replies
    assert [r.text for r in replies(db, "t3_p")] == ["First answer.", "Second answer."]


def test_a_reply_read_again_replaces_itself_and_batches_keep_replies(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    # Batches of one: the parent is written before its replies come.
    index(db, post("t3_p"), reply("t1_a", "t3_p", "Old text."),
          reply("t1_a", "t3_p", "Edited text."), batch_size=1)
    assert [r.text for r in replies(db, "t3_p")] == ["Edited text."]


def test_a_reply_whose_parent_never_comes_is_counted_not_stored(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert index(db, reply("t1_r", "t3_gone"), post("t3_p")) == {
        "received": 1, "parent_lost": 1}
    assert replies(db, "t3_p") == []


def test_the_sentiment_pipeline_passes_a_reply_on_unscored() -> None:
    scorer = RecordingScorer()
    item = reply("t1_r", "t3_p", "It broke? Sorry!")
    assert asyncio.run(pipeline(scorer).process_item(item)) is item
    assert scorer.batches == []
