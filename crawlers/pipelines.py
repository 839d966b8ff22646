"""Item pipelines: each does one job to a `Mention` and hands it on.

Dedupe drops a mention already seen in this crawl; Sentiment enriches mentions in batches:
it scores the sentiment and the advocacy persona from one encoder pass, combines a review's
text result with its rating, sets the NPS class, the advocate record (score, persona,
signals) and what each mention says per aspect (with its brand's own aspect terms from the
watchlist); a re-crawled mention whose text is unchanged keeps what the store already has
from the models. Index writes them to the store in batches, with the brand's accounts'
replies (`crawlers.extract.accounts.AccountReply`) in the `brand_replies` of the mentions they
answer.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.extract.accounts import AccountReply
from crawlers.extract.brands import is_brand_account
from crawlers.signals import index_written, stop_forced
from index.record import Advocate, Aspect, BrandReply, Mention, Sentiment
from index.stores import open_configured
from index.watchlist import NETWORKS
from sentiment import SentimentResult
from sentiment.advocates import Post, assess_author
from sentiment.aspects import SEED_VOCABULARY, Vocabulary, extract, lexicon_polarity
from sentiment.enricher import load_enricher
from sentiment.nps import nps_from_rating, nps_from_sentiment
from sentiment.persona import PersonaResult
from sentiment.rating import combine

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

    from index.backend import MentionStore
    from sentiment.enricher import Enricher

__all__ = [
    "BrandAspects",
    "DedupePipeline",
    "IndexPipeline",
    "SentimentPipeline",
    "StoredEnrichment",
    "advocate_of",
    "enrich",
    "enrich_batch",
    "enrich_stored",
    "is_brand_account",
    "with_replies",
]


# One model per process, however many spiders (crawlers) it runs.
_shared_enricher = functools.cache(load_enricher)


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


def _may_advocate(mention: Mention) -> bool:
    """Whether the mention's author can be the brand's advocate: not for a brandless
    mention, one by the brand's own account, or an AI answer (its author is an engine:
    what it praises, nobody advocates)."""
    return bool(mention.brand and mention.kind != "ai_answer"
                and not is_brand_account(mention.author, mention.brand))


def advocate_of(mention: Mention, persona: PersonaResult, *,
                reply_to_brand: bool = False) -> Advocate | None:
    """The mention's advocacy (`sentiment.advocates.assess_author` of it alone) with its
    text's persona; None when its author cannot be an advocate (`_may_advocate`)."""
    if not _may_advocate(mention):
        return None
    assessed = assess_author([Post(
        text=mention.text, url=mention.url, published_at=mention.published_at,
        sentiment=mention.sentiment.label if mention.sentiment else None,
        rating=mention.rating.normalized if mention.rating else None,
        followers=mention.author.followers, reply_to_brand=reply_to_brand,
        personas=persona.scores, cues=persona.signals,
    )])
    return Advocate(assessed.score, assessed.persona,  # type: ignore[arg-type]
                    assessed.signals)


def enrich(mention: Mention, result: SentimentResult, aspects: tuple[Aspect, ...] = (),
           persona: PersonaResult | None = None, *, reply_to_brand: bool = False) -> Mention:
    """Attach the text model's result as `text_sentiment`, the overall sentiment (the text
    and the rating together, `sentiment.rating.combine`), the NPS class (from the rating
    when there is one, else estimated from the sentiment), the aspects and, given the
    text's persona, the advocate record."""
    rating = mention.rating
    overall = combine(result, rating.normalized if rating is not None else None)
    scored = mention.with_(sentiment=_sentiment(overall), text_sentiment=_sentiment(result),
                           aspects=aspects)
    if rating is not None:
        scored = scored.with_(nps_class=nps_from_rating(rating.value, rating.best),
                              nps_estimated=False)
    else:
        scored = scored.with_(nps_class=nps_from_sentiment(overall.label), nps_estimated=True)
    if persona is None:
        return scored
    # A mention a person corrected (stored, or re-crawled): their label is the tone, as the
    # store will show it.
    judged = scored.with_(sentiment=mention.sentiment) if _corrected(mention) else scored
    return scored.with_(advocate=advocate_of(judged, persona, reply_to_brand=reply_to_brand))


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


def _toward_brands(mention: Mention, results: Iterator[SentimentResult]) -> Mention:
    """The AI answer with the sentiment toward each brand it names: the next of `results`
    (its excerpt's), in the order of `named`."""
    if not mention.named:
        return mention
    # `results` goes on with the next answers' excerpts: take only this answer's.
    return mention.with_(named=tuple(
        replace(named, sentiment=result.label, score=result.score)
        for named, result in zip(mention.named, results, strict=False)))


def enrich_batch(mentions: list[Mention], enricher: Enricher, aspects: BrandAspects,
                 replies_to_brand: Callable[[Mention], bool]) -> list[Mention]:
    """`enrich` each mention with its sentiment, persona (one model pass for the batch) and
    aspects, and an AI answer's named brands with the sentiment of their excerpts (scored in
    the same pass: the tone toward each brand, not the answer's); `replies_to_brand` tells a
    reply to the brand's own account (it weighs half)."""
    if not mentions:  # a re-crawl where nothing changed: no model call
        return []
    excerpts = [named.excerpt for mention in mentions for named in mention.named]
    analyses = enricher.analyse([*(_text(m) for m in mentions), *excerpts])
    toward = iter(result for result, _ in analyses[len(mentions):])
    return [_toward_brands(enrich(mention, result, found, persona,
                                  reply_to_brand=replies_to_brand(mention)), toward)
            for mention, (result, persona), found
            in zip(mentions, analyses[:len(mentions)], aspects.extract(mentions), strict=True)]


def _reply_to_brand(store: MentionStore, mention: Mention) -> bool:
    parent = store.get(mention.parent_id) if mention.parent_id else None
    return bool(parent and parent.brand and is_brand_account(parent.author, parent.brand))


def enrich_stored(store: MentionStore, enricher: Enricher, aspects: BrandAspects, *,
                  everything: bool = False, batch_size: int = 64) -> int:
    """Enrich again the stored mentions that lack their advocate record (every mention with
    `everything`, e.g. after `model refit`) and write them back; people's corrections are
    kept by the store. Returns how many were written."""
    written = 0
    todo = (m for m in store.export() if everything or (
        m.advocate is None and _may_advocate(m)))
    while batch := list(islice(todo, batch_size)):
        store.upsert(enrich_batch(batch, enricher, aspects,
                                  functools.partial(_reply_to_brand, store)))
        written += len(batch)
    return written


def _corrected(mention: Mention | None) -> bool:
    return bool(mention and mention.sentiment and mention.sentiment.corrected_by)


def _named_alike(stored: Mention, mention: Mention) -> bool:
    """Whether the stored answer names the brands the re-crawled one does, with the same
    excerpts (a watchlist's new competitor changes them), each scored."""
    def key(m: Mention) -> list[tuple[str, int, str]]:
        return [(named.name, named.position, named.excerpt) for named in m.named]
    return all(named.sentiment for named in stored.named) and key(stored) == key(mention)


def _still_holds(stored: Mention, mention: Mention, model: str) -> bool:
    """Whether the stored copy's model results hold for the re-crawled mention: the same
    text, title, brand, named brands and model, and no correction since (it changes the
    advocate's tone)."""
    return (stored.text_sentiment is not None and stored.text_sentiment.model == model
            and (stored.advocate is not None or not _may_advocate(stored))
            and not _corrected(stored)
            and (stored.content_hash, stored.title, stored.brand)
            == (mention.content_hash, mention.title, mention.brand)
            and _named_alike(stored, mention))


def _with_correction(mention: Mention, stored: Mention | None) -> Mention:
    """The re-crawled mention carrying the person's label of its stored copy, if any."""
    return mention.with_(sentiment=stored.sentiment) if stored and _corrected(stored) else mention


def _reused(mention: Mention, stored: Mention) -> Mention:
    """The re-crawled mention with the models' results of its stored copy (same text): the
    rating and the rest are the new ones, the sentiment is combined with them again."""
    assert stored.text_sentiment is not None
    text = stored.text_sentiment
    result = SentimentResult(text.label, text.score, text.confidence, text.model)
    return enrich(mention, result, stored.aspects).with_(advocate=stored.advocate,
                                                         named=stored.named)


class StoredEnrichment:
    """`enrich_batch` for a stream of batches (the crawl's sentiment pipeline, a worker).
    With a `store`, a mention whose stored copy has the same text, brand and model keeps that
    copy's results (a re-crawl does not run the models again on what did not change),
    unless a person corrected its sentiment since (its advocate record is made again with
    their label). A reply to a brand account's mention seen earlier weighs half."""

    def __init__(self, enricher: Enricher, aspects: BrandAspects | None = None,
                 store: MentionStore | None = None) -> None:
        self.enricher = enricher
        self.aspects = aspects or BrandAspects({})
        self.store = store
        self._brand_posts: set[str] = set()  # ids of the brand accounts' own mentions

    def note(self, mention: Mention) -> None:
        """Remember a mention by the brand's own account (its replies weigh half)."""
        if mention.brand and is_brand_account(mention.author, mention.brand):
            self._brand_posts.add(mention.id)

    def _stored(self, mentions: list[Mention]) -> dict[str, Mention]:
        if self.store is None:
            return {}
        return self.store.get_many(mention.id for mention in mentions)

    def __call__(self, mentions: list[Mention]) -> list[Mention]:
        stored = self._stored(mentions)
        model = self.enricher.scorer.name
        unchanged = {m.id: stored[m.id] for m in mentions
                     if m.id in stored and _still_holds(stored[m.id], m, model)}
        fresh = iter(enrich_batch(
            [_with_correction(m, stored.get(m.id)) for m in mentions if m.id not in unchanged],
            self.enricher, self.aspects, lambda m: m.parent_id in self._brand_posts))
        return [_reused(m, unchanged[m.id]) if m.id in unchanged else next(fresh)
                for m in mentions]


class SentimentPipeline:
    """Enriches mentions in batches (`StoredEnrichment`): each item waits until its batch is
    full or `max_wait` seconds have passed, so the models are never called once per item."""

    def __init__(self, enricher: Enricher, batch_size: int, max_wait: float,
                 aspects: BrandAspects | None = None, store: MentionStore | None = None) -> None:
        self.enrichment = StoredEnrichment(enricher, aspects, store)
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.store = store
        self._pending: list[tuple[Mention, asyncio.Future[Mention]]] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SentimentPipeline:
        settings = crawler.settings
        if not settings.getbool("MENTIONWATCH_SENTIMENT_ENABLED"):
            raise NotConfigured
        return cls(
            _shared_enricher(settings.get("MENTIONWATCH_MODEL"), heads=_heads(settings)),
            settings.getint("MENTIONWATCH_SENTIMENT_BATCH_SIZE"),
            settings.getfloat("MENTIONWATCH_SENTIMENT_MAX_WAIT"),
            BrandAspects(settings.getdict("MENTIONWATCH_ASPECTS")),
            open_configured(settings.get("MENTIONWATCH_DB")),
        )

    async def process_item(self, item: Mention | AccountReply) -> Mention | AccountReply:
        if isinstance(item, AccountReply):  # the brand's words: no customer's sentiment
            return item
        self.enrichment.note(item)
        future: asyncio.Future[Mention] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.max_wait, self._flush)
        return await future

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            asyncio.get_running_loop().create_task(self._score(batch))

    async def _score(self, batch: list[tuple[Mention, asyncio.Future[Mention]]]) -> None:
        try:
            results = await asyncio.to_thread(self.enrichment, [m for m, _ in batch])
        except Exception as exc:  # every waiting item must learn of the failure
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)


def with_replies(mention: Mention, replies: Iterable[BrandReply]) -> Mention:
    """`mention` with `replies` added to its `brand_replies`; a reply with the URL of one it
    has (the same post, read again) replaces it."""
    added = tuple(replies)
    if not added:
        return mention
    merged = {reply.url or reply: reply for reply in (*mention.brand_replies, *added)}
    return mention.with_(brand_replies=tuple(merged.values()))


class IndexPipeline:
    """Writes mentions to the store in batches; a mention counts as acknowledged once its
    batch is committed (then `index_written` is sent), and the last partial batch is written
    when the spider closes, or when a stop is forced (`stop_forced`).

    A brand account's reply goes into the `brand_replies` of the mention it answers: at once
    when that mention is in the batch or the store, else when it comes in this crawl (the
    spider sends the replies after their parent, but the parent may still be scored). A
    re-crawled mention of a social network keeps the replies its stored copy has: they are
    other posts, which a crawl does not necessarily read again."""

    def __init__(self, store: MentionStore, stats: StatsCollector, batch_size: int,
                 signals: SignalManager) -> None:
        self.store = store
        self.stats = stats
        self.batch_size = batch_size
        self.signals = signals
        self._batch: dict[str, Mention] = {}
        self._waiting: dict[str, list[BrandReply]] = {}  # parent id -> replies to it

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        settings = crawler.settings
        store = open_configured(settings.get("MENTIONWATCH_DB"))
        pipeline = cls(store, _stats(crawler), settings.getint("MENTIONWATCH_INDEX_BATCH_SIZE"),
                       crawler.signals)
        crawler.signals.connect(pipeline.write_pending, signal=stop_forced)
        return pipeline

    def process_item(self, item: Mention | AccountReply) -> Mention | AccountReply:
        if isinstance(item, AccountReply):
            self._attach(item)
        else:
            self._batch[item.id] = self._with_known_replies(item)
        if len(self._batch) >= self.batch_size:
            self._write()
        return item

    def _earlier(self, mention_id: str) -> Mention | None:
        """The mention as this crawl last had it: in the batch, else in the store."""
        return self._batch.get(mention_id) or self.store.get(mention_id)

    def _with_known_replies(self, mention: Mention) -> Mention:
        kept: tuple[BrandReply, ...] = ()
        if mention.source in NETWORKS and (earlier := self._earlier(mention.id)):
            kept = earlier.brand_replies
        waiting = self._waiting.pop(mention.id, [])
        if waiting:
            self.stats.inc_value("mentionwatch/brand_replies/attached", len(waiting))
        return with_replies(with_replies(mention, kept), waiting)

    def _attach(self, item: AccountReply) -> None:
        assert item.parent_id is not None  # the spider sends a reply once its parent is known
        self.stats.inc_value("mentionwatch/brand_replies/received")  # not a mention found
        parent = self._earlier(item.parent_id)
        if parent is None:
            self._waiting.setdefault(item.parent_id, []).append(item.reply)
            return
        self._batch[parent.id] = with_replies(parent, [item.reply])
        self.stats.inc_value("mentionwatch/brand_replies/attached")

    def _write(self) -> None:
        batch, self._batch = list(self._batch.values()), {}
        new = self.store.upsert(batch)
        self.stats.inc_value("mentionwatch/indexed/new", new)
        self.stats.inc_value("mentionwatch/indexed/updated", len(batch) - new)
        self.signals.send_catch_log(index_written, mentions=batch)

    def write_pending(self) -> None:
        """The partial batch, now."""
        if self._batch:
            self._write()

    def close_spider(self) -> None:
        self.write_pending()
        if unanswered := sum(map(len, self._waiting.values())):
            # Their parent was sent but never arrived (a pipeline dropped it).
            self.stats.inc_value("mentionwatch/brand_replies/parent_lost", unanswered)
        self.store.close()
