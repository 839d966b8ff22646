"""Item pipelines: each does one job to a `Mention` and hands it on.

Dedupe drops a mention already seen in this crawl; Sentiment scores mentions in batches,
combines a review's text result with its rating and sets the NPS class; Index writes them
to the store in batches.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.signals import index_written
from index.record import Mention, Sentiment
from index.stores import open_configured
from sentiment import SentimentResult, load_scorer
from sentiment.nps import nps_from_rating, nps_from_sentiment
from sentiment.rating import combine

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

    from index.backend import MentionStore
    from sentiment import Scorer

__all__ = ["DedupePipeline", "IndexPipeline", "SentimentPipeline", "enrich"]


# One model per process, however many spiders (crawlers) it runs.
_shared_scorer = functools.cache(load_scorer)


def _heads(settings: Settings) -> Path | None:
    """The refit heads directory the crawl was given (`MENTIONWATCH_HEADS`), if any."""
    heads = settings.get("MENTIONWATCH_HEADS")
    return Path(heads) if heads else None


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None
    return crawler.stats


class DedupePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(_stats(crawler))

    def process_item(self, item: Mention) -> Mention:
        if item.id in self.seen:
            self.stats.inc_value("mentionwatch/dropped/duplicate")
            raise DropItem(f"duplicate mention {item.id} ({item.url})")
        self.seen.add(item.id)
        return item


def _sentiment(result: SentimentResult) -> Sentiment:
    return Sentiment(result.label, result.score, result.confidence, result.model)


def enrich(mention: Mention, result: SentimentResult) -> Mention:
    """Attach the text model's result as `text_sentiment`, the overall sentiment (the text
    and the rating together, `sentiment.rating.combine`) and the NPS class: from the rating
    when there is one, else estimated from the sentiment."""
    rating = mention.rating
    overall = combine(result, rating.normalized if rating is not None else None)
    scored = mention.with_(sentiment=_sentiment(overall), text_sentiment=_sentiment(result))
    if rating is not None:
        return scored.with_(nps_class=nps_from_rating(rating.value, rating.best),
                            nps_estimated=False)
    return scored.with_(nps_class=nps_from_sentiment(overall.label), nps_estimated=True)


class SentimentPipeline:
    """Scores mentions in batches: each item waits until its batch is full or
    `max_wait` seconds have passed, so the model is never called once per item."""

    def __init__(self, scorer: Scorer, batch_size: int, max_wait: float) -> None:
        self.scorer = scorer
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._pending: list[tuple[str, asyncio.Future[SentimentResult]]] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SentimentPipeline:
        settings = crawler.settings
        if not settings.getbool("MENTIONWATCH_SENTIMENT_ENABLED"):
            raise NotConfigured
        return cls(
            _shared_scorer(settings.get("MENTIONWATCH_MODEL"), heads=_heads(settings)),
            settings.getint("MENTIONWATCH_SENTIMENT_BATCH_SIZE"),
            settings.getfloat("MENTIONWATCH_SENTIMENT_MAX_WAIT"),
        )

    async def process_item(self, item: Mention) -> Mention:
        future: asyncio.Future[SentimentResult] = asyncio.get_running_loop().create_future()
        self._pending.append((" ".join(filter(None, (item.title, item.text))), future))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        return enrich(item, await future)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            asyncio.get_running_loop().create_task(self._score(batch))

    async def _score(self, batch: list[tuple[str, asyncio.Future[SentimentResult]]]) -> None:
        try:
            results = await asyncio.to_thread(self.scorer.score_batch, [t for t, _ in batch])
        except Exception as exc:  # every waiting item must learn of the failure
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)


class IndexPipeline:
    """Writes mentions to the store in batches; a mention counts as acknowledged once its
    batch is committed (then `index_written` is sent), and the last partial batch is written
    when the spider closes."""

    def __init__(self, store: MentionStore, stats: StatsCollector, batch_size: int,
                 signals: SignalManager) -> None:
        self.store = store
        self.stats = stats
        self.batch_size = batch_size
        self.signals = signals
        self._batch: list[Mention] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        settings = crawler.settings
        store = open_configured(settings.get("MENTIONWATCH_DB"))
        return cls(store, _stats(crawler), settings.getint("MENTIONWATCH_INDEX_BATCH_SIZE"),
                   crawler.signals)

    def process_item(self, item: Mention) -> Mention:
        self._batch.append(item)
        if len(self._batch) >= self.batch_size:
            self._write()
        return item

    def _write(self) -> None:
        batch, self._batch = self._batch, []
        new = self.store.upsert(batch)
        self.stats.inc_value("mentionwatch/indexed/new", new)
        self.stats.inc_value("mentionwatch/indexed/updated", len(batch) - new)
        self.signals.send_catch_log(index_written)

    def close_spider(self) -> None:
        if self._batch:
            self._write()
        self.store.close()
