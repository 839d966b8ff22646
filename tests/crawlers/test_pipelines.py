from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.pipelines import DedupePipeline, SentimentPipeline, enrich
from index.record import Author, Mention, Rating, Sentiment
from sentiment import SentimentResult


class RecordingScorer:
    """Labels by a keyword and records each batch it is asked to score."""

    name = "keyword-test"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.batches.append(list(texts))
        return [SentimentResult("negative", -0.8, 0.9, self.name) if "broke" in t
                else SentimentResult("positive", 0.7, 0.8, self.name) for t in texts]


def mention(n: int, text: str, rating: Rating | None = None) -> Mention:
    return Mention.create(source="schemaorg", native_id=str(n), kind="review",
                          url=f"https://shop.example/{n}", text=text, author=Author("a"),
                          published_at=datetime(2026, 10, 1, tzinfo=UTC), rating=rating)


async def process_all(pipeline: SentimentPipeline, items: list[Mention]) -> list[Mention]:
    return list(await asyncio.gather(*(pipeline.process_item(m) for m in items)))


def test_mentions_are_scored_in_batches_in_order() -> None:
    scorer = RecordingScorer()
    items = [mention(n, "it broke" if n % 2 else "lovely") for n in range(5)]
    out = asyncio.run(process_all(SentimentPipeline(scorer, batch_size=2, max_wait=0.01), items))
    assert [len(b) for b in scorer.batches] == [2, 2, 1]
    assert [m.id for m in out] == [m.id for m in items]
    assert [m.sentiment.label for m in out if m.sentiment] == [
        "positive", "negative", "positive", "negative", "positive"]


def test_a_partial_batch_is_scored_after_max_wait() -> None:
    scorer = RecordingScorer()
    out = asyncio.run(process_all(SentimentPipeline(scorer, batch_size=32, max_wait=0.01),
                                  [mention(1, "lovely"), mention(2, "lovely too")]))
    assert scorer.batches == [["lovely", "lovely too"]]
    assert all(m.sentiment and m.sentiment.model == "keyword-test" for m in out)


def test_nps_comes_from_the_rating_else_is_estimated() -> None:
    positive = SentimentResult("positive", 0.7, 0.8, "m")
    rated = enrich(mention(1, "ok", Rating(4, 5, 1)), positive)
    assert (rated.nps_class, rated.nps_estimated) == ("passive", False)
    ten = enrich(mention(2, "ok", Rating(9, 10, 1)), positive)
    assert (ten.nps_class, ten.nps_estimated) == ("promoter", False)
    unrated = enrich(mention(3, "ok"), positive)
    assert (unrated.nps_class, unrated.nps_estimated) == ("promoter", True)


def test_a_rated_review_gets_its_overall_sentiment_from_the_rating_and_keeps_the_texts() -> None:
    polite = SentimentResult("positive", 0.8, 0.9, "m")
    two_stars = enrich(mention(1, "Lovely staff, but it broke", Rating(2, 5, 1)), polite)
    assert two_stars.sentiment == Sentiment("negative", -0.5, 1.0, "m+rating")
    assert two_stars.text_sentiment == Sentiment("positive", 0.8, 0.9, "m")
    assert (two_stars.nps_class, two_stars.nps_estimated) == ("detractor", False)
    unrated = enrich(mention(2, "Lovely staff"), polite)
    assert unrated.sentiment == unrated.text_sentiment == Sentiment("positive", 0.8, 0.9, "m")


def test_dedupe_drops_a_repeated_id_and_counts_it() -> None:
    crawler = get_crawler()
    crawler.stats.open_spider()  # type: ignore[union-attr]
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.process_item(mention(1, "a"))
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(mention(1, "a"))
    assert crawler.stats.get_value("mentionwatch/dropped/duplicate") == 1  # type: ignore[union-attr]
