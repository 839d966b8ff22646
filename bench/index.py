"""`mentionwatch bench index`: a synthetic corpus, ingested into a temporary SQLite store,
then the queries the API and the alerts run most, timed.

    >>> result = run_bench(docs=2000, seed=1)   # doctest: +SKIP
    >>> sorted(result)
    ['advocates', 'collapsed', 'docs', 'export', 'file_mib', 'histogram', 'ingest', 'machine',
     'nps', 'order', 'overview', 'responses', 'search']

The corpus is deterministic for a seed: about 45 words a mention, 85% English, 10% Chinese
(Simplified and Traditional), 5% mixed; 20 brands, 10 sources, 90 days, a vocabulary with
Zipf-like word frequencies (real words at the head, made-up ones in the long tail),
sentiment labels that the wording follows, and the enrichment the crawl stores: an NPS
class (from the rating, else estimated) and an advocate record whose score follows the label
(about two positive mentions in three reach 0.5); the brand answered 60% of the negative
mentions, 40% of the neutral and 30% of the positive, after about three hours (log-normal).
"""

from __future__ import annotations

import math
import os
import platform
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice, product
from pathlib import Path
from typing import Any

import numpy as np

from api.advocates import find_leads
from api.overview import overview, period_of
from index.analyzer import streams
from index.backend import Filters
from index.record import (
    SENTIMENT_LABELS,
    Advocate,
    Author,
    BrandReply,
    Mention,
    NpsClass,
    Rating,
    Sentiment,
    SentimentLabel,
)
from index.sqlite import SqliteStore

__all__ = ["BRANDS", "END", "KEYWORDS", "ORDERS", "SOURCES", "Draws", "export_window",
           "generate", "measure_export", "run_bench", "timed"]

BRANDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Stark", "Wayne", "Wonka",
    "Tyrell", "Cyberdyne", "Aperture", "Vandelay", "Pied Piper", "Massive Dynamic", "Oscorp",
    "Monarch", "Virtucon", "Zephyr", "Gringotts",
)
SOURCES = (
    ("trustpilot", "trustpilot.com"), ("appstore", "apps.apple.com"),
    ("googleplay", "play.google.com"), ("reddit", "reddit.com"),
    ("hackernews", "news.ycombinator.com"), ("mastodon", "mastodon.social"),
    ("bluesky", "bsky.app"), ("feed", "news.example"), ("schemaorg", "shop.example"),
    ("youtube", "youtube.com"),
)
END = datetime(2026, 11, 1, tzinfo=UTC)  # the corpus covers the 90 days before
DAYS = 90
#: Product words of middling frequency (each in roughly 1 to 10% of English mentions):
#: what people search for.
KEYWORDS = ("battery", "screen", "delivery", "price", "support", "camera", "refund", "update")

_ENGLISH_HEAD = [
    "the", "and", "i", "it", "a", "to", "is", "of", "this", "for", "my", "was", "in", "with",
    "but", "that", "not", "on", "have", "they", "you", "are", "so", "be", "very", "phone",
    "app", "just", "all", "at", "product", "from", "one", "after", "would", "no", "like",
    "customer", "battery", "service", "good", "great", "time", "can", "get", "use", "order",
    "screen", "an", "if", "out", "really", "delivery", "price", "support", "had", "use",
    "when", "update", "even", "days", "work", "or", "only", "quality", "me", "camera", "what",
    "will", "about", "back", "money", "again", "now", "because", "two", "well", "refund",
    "could", "also", "first", "buy", "then", "than", "new", "still", "fast", "better",
    "worth", "easy", "bad", "best", "love", "recommend", "problem", "issue", "never"
]
_CHINESE_HEAD = [
    "的", "了", "是", "我", "很", "这个", "手机", "电池", "服务", "质量", "客服", "快递",
    "价格", "屏幕", "不错", "喜欢", "问题", "推荐", "没有", "非常", "一个", "使用", "感觉", "已经",
    "还是", "可以", "東西", "電池", "螢幕", "客服", "物流", "退款", "更新", "相机", "拍照", "续航",
    "充电", "发热", "卡顿", "好用", "满意", "失望", "垃圾", "便宜", "贵", "速度", "包装", "态度",
]
_SENTIMENT_WORDS: dict[SentimentLabel, dict[str, tuple[str, ...]]] = {
    "positive": {"en": ("excellent", "amazing", "perfect", "fantastic", "reliable"),
                 "zh": ("好评", "满意", "赞")},
    "neutral": {"en": ("okay", "average", "fine", "decent", "expected"),
                "zh": ("一般", "还行", "普通")},
    "negative": {"en": ("terrible", "broken", "awful", "useless", "disappointed"),
                 "zh": ("差评", "失望", "坑")},
}
_LABEL_SHARES = (0.45, 0.25, 0.30)  # in SENTIMENT_LABELS order
_SYLLABLES = ("ka", "lo", "mi", "ten", "ra", "vo", "sel", "dun", "pri", "ga", "zo", "fen",
              "tri", "mor", "bel", "qua", "ni", "ster", "op", "ux")
_HAN = (  # the most common characters, for the made-up tail of the Chinese vocabulary
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着"
    "去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主"
    "行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二"
    "理美点月明"
)
_PERSONAS = ("educator", "validator", "connector", "builder")
# Advocate scores per label: uniform in these ranges (negative mentions score 0).
_ADVOCACY: dict[SentimentLabel, tuple[float, float]] = {
    "positive": (0.3, 0.9), "neutral": (0.05, 0.3), "negative": (0.0, 0.0)}
_NPS: dict[SentimentLabel, NpsClass] = {
    "positive": "promoter", "neutral": "passive", "negative": "detractor"}
# How often the brand answers, per label: complaints first.
_ANSWERED: dict[SentimentLabel, float] = {"positive": 0.3, "neutral": 0.4, "negative": 0.6}
_MIXED_SHARE, _CHINESE_SHARE = 0.05, 0.10
_WORDS_PER_MENTION = 45
_AUTHORS = 100_000
#: How the corpus reaches the index: dates in random order (a backfill of many sources at
#: once), or in crawl order (oldest first, as a running crawl finds mentions), which is
#: also the order of the store's keys.
ORDERS = ("random", "crawl")


def _zipf(size: int, exponent: float = 1.05) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / float(weights.sum())


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    words: tuple[str, ...]
    cumulative: np.ndarray

    @classmethod
    def of(cls, head: list[str], tail: Iterator[str], size: int) -> _Vocabulary:
        words = tuple(dict.fromkeys([*head, *islice(tail, size)]))[:size]
        return cls(words, np.cumsum(_zipf(len(words))))

    def sample(self, rng: np.random.Generator, count: int) -> list[str]:
        picks = np.searchsorted(self.cumulative, rng.random(count) * self.cumulative[-1])
        return [self.words[i] for i in picks]


def _english_tail() -> Iterator[str]:
    for a, b, c in product(_SYLLABLES, repeat=3):
        yield a + b + c


def _chinese_tail() -> Iterator[str]:
    for a, b in product(_HAN, repeat=2):
        yield a + b


_ENGLISH = _Vocabulary.of(_ENGLISH_HEAD, _english_tail(), 8000)
_CHINESE = _Vocabulary.of(_CHINESE_HEAD, _chinese_tail(), 5000)


def _text(rng: np.random.Generator, kind: str, brand: str, label: SentimentLabel) -> str:
    words_of = _SENTIMENT_WORDS[label]["en" if kind == "en" else "zh"]
    feeling = [str(w) for w in rng.choice(words_of, 2)]
    if kind == "en":
        words = _ENGLISH.sample(rng, _WORDS_PER_MENTION - 3)
        return " ".join([brand, *feeling, *words]).capitalize() + "."
    if kind == "zh":
        words = _CHINESE.sample(rng, _WORDS_PER_MENTION - 3)
        clauses = ["".join(words[i : i + 6]) for i in range(0, len(words), 6)]
        # Clauses joined by a full-width comma, ended by a full stop.
        return brand + "".join(feeling) + "\uff0c".join(clauses) + "\u3002"
    english = _ENGLISH.sample(rng, _WORDS_PER_MENTION // 2)
    chinese = _CHINESE.sample(rng, _WORDS_PER_MENTION // 2)
    return f"{brand} {' '.join(english)} {''.join(feeling)}{''.join(chinese)}。"


def _advocate(rng: np.random.Generator, label: SentimentLabel) -> Advocate:
    low, high = _ADVOCACY[label]
    score = round(float(low + (high - low) * rng.random()), 4)
    persona = _PERSONAS[int(rng.integers(len(_PERSONAS)))] if label != "negative" else None
    return Advocate(score, persona, (f"tone {label}", f"persona {persona}"))  # type: ignore[arg-type]


def _replies(rng: np.random.Generator, label: SentimentLabel, brand: str,
             published: datetime) -> tuple[BrandReply, ...]:
    """The brand's answer, if it gave one: more often to complaints, after a time around
    three hours (log-normal: minutes to days)."""
    if rng.random() >= _ANSWERED[label]:
        return ()
    after = timedelta(seconds=float(rng.lognormal(math.log(3 * 3600), 1.5)))
    return (BrandReply(f"Thank you for your review. {brand} support", f"{brand} support",
                       published + after),)


def generate(docs: int, *, seed: int = 0, batch: int = 1000,
             order: str = "random") -> Iterator[list[Mention]]:
    """`docs` synthetic mentions in batches; the same seed gives the same mentions. In
    `crawl` order their dates rise through the 90 days (up to a minute apart out of order)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    rng = np.random.default_rng(seed)
    # The enrichment and the replies draw from generators of their own, so the texts (and
    # the advocate scores) stay what they were.
    enrichment = np.random.default_rng([seed, 1])
    answering = np.random.default_rng([seed, 2])
    authors = np.cumsum(_zipf(_AUTHORS, 0.9))
    for first in range(0, docs, batch):
        count = min(batch, docs - first)
        kinds = rng.choice(["en", "zh", "mixed"], count,
                           p=[1 - _CHINESE_SHARE - _MIXED_SHARE, _CHINESE_SHARE, _MIXED_SHARE])
        labels = rng.choice(len(SENTIMENT_LABELS), count, p=_LABEL_SHARES)
        brands = rng.integers(len(BRANDS), size=count)
        sources = rng.integers(len(SOURCES), size=count)
        ages = rng.random(count) * DAYS * 86400
        if order == "crawl":  # the same texts; up to a minute out of order
            at = first + np.arange(count)
            ages = np.maximum((1 - at / docs) * DAYS * 86400 - (at * 7919) % 60, 0)
        writers = np.searchsorted(authors, rng.random(count) * authors[-1])
        out = []
        for i in range(count):
            label, brand = SENTIMENT_LABELS[labels[i]], BRANDS[brands[i]]
            source, domain = SOURCES[sources[i]]
            lang = {"en": "en", "zh": ("zh-Hans", "zh-Hant")[i % 2], "mixed": "zh-Hans"}[
                kinds[i]]
            stars = {"positive": 5, "neutral": 3, "negative": 1}[label]
            out.append(Mention.create(
                source=source, native_id=f"{seed}-{first + i}",
                kind="review" if i % 5 < 2 else "post",
                url=f"https://{domain}/m/{seed}-{first + i}",
                text=_text(rng, str(kinds[i]), brand, label),
                author=Author(f"user{writers[i]}"),
                published_at=END - timedelta(seconds=float(ages[i])),
                collected_at=END, brand=brand, lang=lang,
                rating=Rating(stars, 5, 1) if i % 5 < 2 else None,
                sentiment=Sentiment(label, {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[
                    label], 0.9, "bench"),
                nps_class=_NPS[label], nps_estimated=i % 5 >= 2,
                advocate=_advocate(enrichment, label),
                brand_replies=_replies(answering, label, brand,
                                       END - timedelta(seconds=float(ages[i]))),
            ))
        yield out


# --- measuring -----------------------------------------------------------------------------


def _rss() -> int:
    """This process's resident memory in bytes, now."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak so far, in KiB
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(runs: int, call: Callable[[int], object]) -> dict[str, float]:
    """Wall and CPU milliseconds per call: on a shared machine the CPU time says what the
    wall time would be without the other processes."""
    call(-1)  # warm the caches once
    laps, cpu = [], []
    for run in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        call(run)
        laps.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(laps), 2),
        "p95_ms": _p95(laps),
        "max_ms": round(max(laps), 2),
        "p95_cpu_ms": _p95(cpu),
    }


def _p95(values: list[float]) -> float:
    return round(sorted(values)[max(0, round(0.95 * len(values)) - 1)], 2)


def _ingest(store: SqliteStore, docs: int, seed: int, batch: int,
            order: str) -> dict[str, float]:
    """Upsert the corpus batch by batch. `analysis_cpu_seconds` is the text analyzer's share
    of `cpu_seconds`: each batch analysed again after it is written, outside the timing
    (its word caches as warm as a running ingest's), so the rest is what writing costs."""
    spent = cpu = analysis = 0.0
    for mentions in generate(docs, seed=seed, batch=batch, order=order):
        start, start_cpu = time.perf_counter(), time.process_time()
        store.upsert(mentions)
        spent += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        start_cpu = time.process_time()
        for mention in mentions:
            streams(mention.title, mention.text, mention.brand)
        analysis += time.process_time() - start_cpu
    return {"seconds": round(spent, 2), "per_second": round(docs / spent),
            "cpu_seconds": round(cpu, 3), "analysis_cpu_seconds": round(analysis, 3)}


def export_window(docs: int) -> tuple[datetime, datetime]:
    """The days before END holding about 100,000 mentions (all of them in a smaller corpus)."""
    return END - timedelta(days=min(DAYS, DAYS * 100_000 / docs)), END


def measure_export(records: Iterable[object]) -> dict[str, float]:
    """Time, CPU and memory growth of reading every record `records` yields."""
    before = peak = _rss()
    start, start_cpu = time.perf_counter(), time.process_time()
    exported = 0
    for exported, _ in enumerate(records, start=1):
        if exported % 1000 == 0:
            peak = max(peak, _rss())
    seconds = time.perf_counter() - start
    return {"matches": exported, "seconds": round(seconds, 2),
            "cpu_seconds": round(time.process_time() - start_cpu, 2),
            "per_second": round(exported / seconds),
            "peak_rss_delta_mib": round((max(peak, _rss()) - before) / 2**20, 1)}


_LAST_30_DAYS = f"published:{(END - timedelta(days=30)).date()}..{(END - timedelta(days=1)).date()}"
_ANSWERABLE = "(kind:review OR kind:post OR kind:comment)"


@dataclass(frozen=True, slots=True)
class Draws:
    """What each timed run asks about: a brand, a product word, the end of a 30-day window."""

    brands: list[str]
    keywords: list[str]
    ends: list[datetime]

    @classmethod
    def of(cls, runs: int, seed: int) -> Draws:
        rng = np.random.default_rng(seed + 1)
        return cls([BRANDS[i] for i in rng.integers(len(BRANDS), size=runs)],
                   [KEYWORDS[i] for i in rng.integers(len(KEYWORDS), size=runs)],
                   [END - timedelta(days=float(d)) for d in rng.random(runs) * (DAYS - 30)])


def run_bench(docs: int, *, seed: int = 0, runs: int = 100, batch: int = 1000,
              order: str = "random", against: str | None = None,
              directory: str | Path | None = None) -> dict[str, Any]:
    """Ingest `docs` mentions into a new store in a temporary directory, time the queries
    `runs` times each, and say what was measured (the directory is removed afterwards).
    `against="tantivy"` asks the same of tantivy (`bench.anchor`) and adds the ratios."""
    if docs < 1 or runs < 1 or batch < 1:
        raise ValueError(f"docs, runs and batch must be >= 1, got {docs}, {runs}, {batch}")
    if against not in (None, "tantivy"):
        raise ValueError(f"against must be tantivy, got {against!r}")
    draws = Draws.of(runs, seed)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = Path(tmp) / "bench.db"
        with SqliteStore(path) as store:
            ingest = _ingest(store, docs, seed, batch, order)
            hits: dict[bool, list[int]] = {False: [], True: []}  # totals, by collapse

            def search(run: int, collapse: bool = False) -> None:
                end = draws.ends[run]
                window = Filters(brand=draws.brands[run], since=end - timedelta(days=30),
                                 until=end, collapse=collapse)
                hits[collapse].append(store.search(draws.keywords[run], window, size=20).total)

            def histogram(run: int, collapse: bool = False) -> None:
                store.histogram("sentiment:negative",
                                Filters(brand=draws.brands[run], collapse=collapse),
                                interval="hour", since=END - timedelta(days=30), until=END)

            def advocates(run: int) -> None:
                store.advocates("", Filters(brand=draws.brands[run]), min_score=0.5, size=100)

            def leads_route(run: int) -> None:
                find_leads(store, draws.brands[run], min_score=0.5, limit=100)

            def nps(run: int) -> None:
                store.nps_days("", Filters(brand=draws.brands[run]))

            def home(run: int) -> None:
                # GET /overview: the dashboard's home view, the 30 days before END.
                overview(store, draws.brands[run], period_of(None, END), watched=BRANDS)

            def responses(run: int) -> None:
                # What GET /responses asks the store for each brand of the watchlist.
                store.responses(f'brand:"{draws.brands[run]}" {_LAST_30_DAYS} {_ANSWERABLE}',
                                Filters(collapse=True))

            searched = timed(runs, search)
            histograms = timed(runs, histogram)
            # As the API and CLI ask by default: duplicates counted once.
            collapsed = {"search": timed(runs, partial(search, collapse=True)),
                         "histogram": timed(runs, partial(histogram, collapse=True))}
            collapsed["search"]["mean_groups"] = round(statistics.mean(hits[True]))
            leads = timed(runs, advocates)
            routed = timed(runs, leads_route)
            nps_days = timed(runs, nps)
            answers = timed(runs, responses)
            overviews = timed(runs, home)
            since, until = export_window(docs)
            exported = measure_export(store.export("", Filters(since=since, until=until)))
        size = path.stat().st_size  # the last close checkpointed the WAL into it
        anchor = None
        if against:
            from bench.anchor import run_anchor  # tantivy is a dev extra

            anchor = run_anchor(docs, draws, seed=seed, batch=batch, order=order,
                                directory=Path(tmp))
    result: dict[str, Any] = {
        "docs": docs,
        "order": order,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version, "platform": platform.platform()},
        "ingest": {**ingest, "batch": batch},
        "search": {**searched, "query": "KEYWORD, brand filter, 30-day range, top 20",
                   "mean_matches": round(statistics.mean(hits[False]))},
        "histogram": {**histograms, "query": "sentiment:negative, one brand, hourly, 30 days"},
        "collapsed": collapsed,
        "advocates": {**leads, "query": "GET /advocates: one brand's top 100 authors with "
                                        "a mention scoring >= 0.5 (store.advocates)",
                      "with_engagement": {**routed, "query": "what GET /advocates answers: "
                                          "the same leads with each one's engagement "
                                          "(api.advocates.find_leads)"}},
        "nps": {**nps_days, "query": "GET /reports/nps: one brand's NPS classes per day, "
                                     "all time (store.nps_days)"},
        "responses": {**answers, "query": "GET /responses, per brand: one brand's reviews, "
                                          "posts and comments of 30 days, answered or not, "
                                          "and times to answer (store.responses)"},
        "overview": {**overviews, "query": "GET /overview: one brand's home view of 30 days "
                                           "against the 30 before (api.overview.overview)"},
        "export": exported,
        "file_mib": round(size / 2**20, 1),
    }
    if anchor:
        result["tantivy"] = anchor
        result["ratios"] = _ratios(result, anchor)
    return result


def _ratios(ours: dict[str, Any], anchor: dict[str, Any]) -> dict[str, float]:
    """How many times tantivy's figure ours is: above 1, ours is slower (for ingest, how
    many times faster tantivy ingests)."""
    def ratio(a: float, b: float) -> float:
        return round(a / b, 2) if b else float("inf")

    return {
        "search_p95": ratio(ours["search"]["p95_ms"], anchor["search"]["p95_ms"]),
        "histogram_p95": ratio(ours["histogram"]["p95_ms"], anchor["histogram"]["p95_ms"]),
        "export_seconds": ratio(ours["export"]["seconds"], anchor["export"]["seconds"]),
        "ingest_per_second": ratio(anchor["ingest"]["per_second"],
                                   ours["ingest"]["per_second"]),
    }
