from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.pipelines import DedupePipeline, SentimentPipeline, enrich
from index.record import Author, Mention, NamedBrand, Rating, Sentiment
from index.sqlite import SqliteStore
from sentiment import SentimentResult
from sentiment.enricher import Enricher
from sentiment.persona import RulePersonaClassifier


class RecordingScorer:
    """Labels by a keyword and records each batch it is asked to score."""

    name = "keyword-test"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.batches.append(list(texts))
        return [SentimentResult("negative", -0.8, 0.9, self.name) if "broke" in t
                else SentimentResult("positive", 0.7, 0.8, self.name) for t in texts]


def mention(n: int, text: str, rating: Rating | None = None, *, author: str = "a",
            brand: str | None = None) -> Mention:
    return Mention.create(source="schemaorg", native_id=str(n), kind="review",
                          url=f"https://shop.example/{n}", text=text, author=Author(author),
                          published_at=datetime(2026, 10, 1, tzinfo=UTC), rating=rating,
                          brand=brand)


def pipeline(scorer: RecordingScorer, batch_size: int = 32,
             store: SqliteStore | None = None) -> SentimentPipeline:
    return SentimentPipeline(Enricher(scorer, RulePersonaClassifier()), batch_size=batch_size,
                             max_wait=0.01, store=store)


async def process_all(pipeline: SentimentPipeline, items: list[Mention]) -> list[Mention]:
    return list(await asyncio.gather(*(pipeline.process_item(m) for m in items)))


def test_mentions_are_scored_in_batches_in_order() -> None:
    scorer = RecordingScorer()
    items = [mention(n, "it broke" if n % 2 else "lovely") for n in range(5)]
    out = asyncio.run(process_all(pipeline(scorer, batch_size=2), items))
    assert [len(b) for b in scorer.batches] == [2, 2, 1]
    assert [m.id for m in out] == [m.id for m in items]
    assert [m.sentiment.label for m in out if m.sentiment] == [
        "positive", "negative", "positive", "negative", "positive"]


def test_a_partial_batch_is_scored_after_max_wait() -> None:
    scorer = RecordingScorer()
    out = asyncio.run(process_all(pipeline(scorer),
                                  [mention(1, "lovely"), mention(2, "lovely too")]))
    assert scorer.batches == [["lovely", "lovely too"]]
    assert all(m.sentiment and m.sentiment.model == "keyword-test" for m in out)


RECOMMENDS = "Two months in: the battery lasts two days. I recommend it, worth every penny."


def test_a_mention_is_written_with_its_advocate_record() -> None:
    out = asyncio.run(process_all(pipeline(RecordingScorer()), [
        mention(1, RECOMMENDS, Rating(5, 5, 1), author="Maya", brand="Acme"),
        mention(2, RECOMMENDS, author="Acme Newsroom", brand="Acme"),  # the brand itself
        mention(3, "It broke after a week", Rating(1, 5, 1), author="Tom", brand="Acme"),
        mention(4, RECOMMENDS, author="Ann"),  # of no brand
    ]))
    fan = out[0].advocate
    assert fan is not None and fan.persona == "validator" and fan.score >= 0.5
    assert any("recommends in 100%: I recommend" in signal for signal in fan.signals)
    assert out[1].advocate is None and out[3].advocate is None
    assert out[2].advocate is not None and out[2].advocate.score == 0  # negative: no advocacy


def test_a_recrawl_of_unchanged_text_runs_no_model_and_keeps_the_new_fields(
    tmp_path: Path,
) -> None:
    first = [mention(1, RECOMMENDS, brand="Acme"), mention(2, "it broke", brand="Acme")]
    with SqliteStore(tmp_path / "m.db") as store:
        enriched = asyncio.run(process_all(pipeline(RecordingScorer()), first))
        store.upsert(enriched)
        scorer = RecordingScorer()
        again = [mention(1, RECOMMENDS, Rating(2, 5, 1), brand="Acme"),
                 mention(2, "it broke, and support never answered", brand="Acme")]
        out = asyncio.run(process_all(pipeline(scorer, store=store), again))
    assert scorer.batches == [["it broke, and support never answered"]]  # the changed one
    kept = out[0]
    assert kept.text_sentiment == Sentiment("positive", 0.7, 0.8, "keyword-test")
    assert kept.rating == Rating(2, 5, 1) and kept.nps_class == "detractor"  # the new rating
    assert kept.sentiment and kept.sentiment.label == "negative"  # combined with it again
    assert kept.advocate == enriched[0].advocate


def answer(n: int) -> Mention:
    text = "1. Acme: lovely sound. 2. Zephyr: it broke."
    return mention(n, text, brand="Acme").with_(kind="ai_answer", named=(
        NamedBrand("Acme", 1, "1. Acme: lovely sound."),
        NamedBrand("Zephyr", 2, "2. Zephyr: it broke.")))


def test_the_brands_an_answer_names_are_scored_in_the_batch_and_kept_on_a_recrawl(
    tmp_path: Path,
) -> None:
    scorer = RecordingScorer()
    first = asyncio.run(process_all(pipeline(scorer), [answer(1), mention(2, "lovely")]))
    # One model call: the texts, then each named brand's excerpt.
    assert scorer.batches == [[answer(1).text, "lovely", "1. Acme: lovely sound.",
                               "2. Zephyr: it broke."]]
    assert [(n.name, n.sentiment, n.score) for n in first[0].named] == [
        ("Acme", "positive", 0.7), ("Zephyr", "negative", -0.8)]
    assert first[1].named == ()
    assert first[0].advocate is None  # an engine praising a brand is nobody's advocacy
    with SqliteStore(tmp_path / "m.db") as store:
        store.upsert(first)
        again = RecordingScorer()
        out = asyncio.run(process_all(pipeline(again, store=store), [answer(1)]))
    assert again.batches == []  # no model call at all
    assert out[0].named == first[0].named


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


def test_a_persons_correction_decides_the_tone_of_the_advocate_record() -> None:
    persona = RulePersonaClassifier().classify([RECOMMENDS])[0]
    positive = SentimentResult("positive", 0.7, 0.8, "m")
    stored = mention(1, RECOMMENDS, author="Maya", brand="Acme").with_(
        sentiment=Sentiment("negative", -1.0, 1.0, "m", corrected_by="ann"))
    again = enrich(stored, positive, (), persona)
    assert again.advocate is not None and again.advocate.score == 0
    fresh = enrich(mention(1, RECOMMENDS, author="Maya", brand="Acme"), positive, (), persona)
    assert fresh.advocate is not None and fresh.advocate.score >= 0.5


def test_a_recrawl_enriches_a_corrected_mention_again(tmp_path: Path) -> None:
    first = mention(1, RECOMMENDS, author="Maya", brand="Acme")
    with SqliteStore(tmp_path / "m.db") as store:
        store.upsert(asyncio.run(process_all(pipeline(RecordingScorer()), [first])))
        store.correct_sentiment(first.id, "negative", "ann")
        scorer = RecordingScorer()
        [again] = asyncio.run(process_all(pipeline(scorer, store=store), [first]))
        store.upsert([again])
        stored = store.get(first.id)
    assert scorer.batches == [[RECOMMENDS]]
    assert stored and stored.advocate and stored.advocate.score == 0  # the person's label
