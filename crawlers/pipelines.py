"""Item pipelines: each does one job to a `Mention` and hands it on.

Dedupe drops a mention already seen in this crawl; Sentiment scores mentions in batches,
combines a review's text result with its rating, sets the NPS class and finds what each
mention says per aspect (with its brand's own aspect terms from the watchlist); Index writes
them to the store in batches.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.signals import index_written
from index.record import Aspect, Mention, Sentiment
from index.stores import open_configured
from sentiment import SentimentResult, load_scorer
from sentiment.aspects import SEED_VOCABULARY, Vocabulary, extract, lexicon_polarity
from sentiment.nps import nps_from_rating, nps_from_sentiment
from sentiment.rating import combine

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

    from index.backend import MentionStore
    from sentiment import Scorer

__all__ = ["BrandAspects", "DedupePipeline", "IndexPipeline", "SentimentPipeline", "enrich"]


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


def enrich(mention: Mention, result: SentimentResult,
           aspects: tuple[Aspect, ...] = ()) -> Mention:
    """Attach the text model's result as `text_sentiment`, the overall sentiment (the text
    and the rating together, `sentiment.rating.combine`), the NPS class (from the rating
    when there is one, else estimated from the sentiment) and the aspects."""
    rating = mention.rating
    overall = combine(result, rating.normalized if rating is not None else None)
    scored = mention.with_(sentiment=_sentiment(overall), text_sentiment=_sentiment(result),
                           aspects=aspects)
    if rating is not None:
        return scored.with_(nps_class=nps_from_rating(rating.value, rating.best),
                            nps_estimated=False)
    return scored.with_(nps_class=nps_from_sentiment(overall.label), nps_estimated=True)


def _text(mention: Mention) -> str:
    return " ".join(filter(None, (mention.title, mention.text)))


class BrandAspects:
    """Each brand's aspect vocabulary: the seed one plus the brand's own terms
    (`MENTIONWATCH_ASPECTS`, which `run_crawl` fills from the watchlist's `aspects`)."""

    def __init__(self, terms: dict[str, list[str]]) -> None:
        self._by_brand = {brand.casefold(): SEED_VOCABULARY.with_terms(own)
                          for brand, own in terms.items() if own}

    def vocabulary(self, brand: str | None) -> Vocabulary:
        return self._by_brand.get((brand or "").casefold(), SEED_VOCABULARY)

    def extract(self, mentions: list[Mention]) -> list[tuple[Aspect, ...]]:
        """Each mention's aspects, one `extract` call per vocabulary in the batch (the
        lexicon labels the clauses: it measured better than the model, docs/SENTIMENT.md)."""
        out: list[tuple[Aspect, ...]] = [()] * len(mentions)
        groups: dict[int, tuple[Vocabulary, list[int]]] = {}
        for index, mention in enumerate(mentions):
            vocabulary = self.vocabulary(mention.brand)
            groups.setdefault(id(vocabulary), (vocabulary, []))[1].append(index)
        for vocabulary, indices in groups.values():
            found = extract([_text(mentions[i]) for i in indices], vocabulary, lexicon_polarity)
            for index, aspects in zip(indices, found, strict=True):
                out[index] = tuple(Aspect(a.name, a.polarity) for a in aspects)
        return out


_Enrichment = tuple[SentimentResult, tuple[Aspect, ...]]


class SentimentPipeline:
    """Scores mentions and finds their aspects in batches: each item waits until its batch
    is full or `max_wait` seconds have passed, so the model is never called once per item."""

    def __init__(self, scorer: Scorer, batch_size: int, max_wait: float,
                 aspects: BrandAspects | None = None) -> None:
        self.scorer = scorer
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.aspects = aspects or BrandAspects({})
        self._pending: list[tuple[Mention, asyncio.Future[_Enrichment]]] = []
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
            BrandAspects(settings.getdict("MENTIONWATCH_ASPECTS")),
        )

    async def process_item(self, item: Mention) -> Mention:
        future: asyncio.Future[_Enrichment] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        result, aspects = await future
        return enrich(item, result, aspects)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            asyncio.get_running_loop().create_task(self._score(batch))

    def _enrichments(self, mentions: list[Mention]) -> list[_Enrichment]:
        results = self.scorer.score_batch([_text(m) for m in mentions])
        return list(zip(results, self.aspects.extract(mentions), strict=True))

    async def _score(self, batch: list[tuple[Mention, asyncio.Future[_Enrichment]]]) -> None:
        try:
            results = await asyncio.to_thread(self._enrichments, [m for m, _ in batch])
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
