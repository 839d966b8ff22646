"""Analytics routes: sentiment over time, top values, significant terms, share of voice,
aspects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import Labels, LabelsDep, StoreDep
from api.models import DuplicateMode, Instant
from index.arguments import histogram_window
from index.backend import (
    Bucket,
    Filters,
    Interval,
    MentionStore,
    TermsField,
    TimeBucket,
    aspect_counts,
)
from index.keys import spelled
from index.query import Field
from index.record import SENTIMENT_LABELS

__all__ = ["buckets_json", "change", "period_before", "router"]

router = APIRouter(prefix="/analytics", tags=["analytics"])

_MAX_BUCKETS = 5000
_SPAN = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


class TimeBucketOut(BaseModel):
    """A histogram bucket as the API shows it (the route writes its JSON with orjson:
    `buckets_json`)."""

    start: datetime
    count: int
    positive: int
    neutral: int
    negative: int


def buckets_json(buckets: list[TimeBucket]) -> bytes:
    """`buckets` as a JSON list of `TimeBucketOut`, byte for byte what pydantic writes
    (UTC as `Z`). A chart has hundreds of buckets: validating a model for each cost more
    than counting them (docs/BENCHMARKS.md)."""
    return orjson.dumps([_bucket_row(b) for b in buckets], option=orjson.OPT_UTC_Z)


def _bucket_row(bucket: TimeBucket) -> dict[str, object]:
    by = bucket.by_sentiment
    return {"start": bucket.start, "count": bucket.count, "positive": by.get("positive", 0),
            "neutral": by.get("neutral", 0), "negative": by.get("negative", 0)}


class BucketOut(BaseModel):
    key: str
    count: int
    background: int | None = None
    score: float | None = None
    label: str | None = None

    @classmethod
    def of(cls, bucket: Bucket, label: str | None = None) -> BucketOut:
        return cls(key=bucket.key, count=bucket.count, background=bucket.background,
                   score=bucket.score, label=label)


class ShareOut(BaseModel):
    brand: str
    key: str
    count: int
    share: float


def _label(store: MentionStore, field: TermsField, key: str) -> str | None:
    """How people spell a brand or author key, read from one of its mentions: the index
    keeps keys casefolded so filters ignore case, but charts should show "Acme"."""
    if field != "brand" and field != "author":
        return None
    hits = store.search(Field(field, ":", key), sort="newest", size=1).hits
    if not hits:
        return key
    mention = hits[0].mention
    # The key may be a brand the mention names beside its primary one.
    return spelled(key, mention.brands) if field == "brand" else mention.author.name


Q = Annotated[str, Query(max_length=1000, description="Query language text")]


@router.get("/histogram", response_model=list[TimeBucketOut])
async def histogram(store: StoreDep, since: Instant, until: Instant, q: Q = "",
                    brand: str | None = None, source: str | None = None,
                    lang: str | None = None, interval: Interval = "day", tz: str = "UTC",
                    duplicates: DuplicateMode = "collapse") -> Response:
    """Mentions per hour, day or week, stacked by sentiment; empty buckets included."""
    try:
        histogram_window(interval, tz, since, until)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if (until - since) / _SPAN[interval] > _MAX_BUCKETS:
        raise HTTPException(400, f"at most {_MAX_BUCKETS} buckets: widen the interval")
    filters = Filters(brand=brand, source=source, lang=lang, collapse=duplicates == "collapse")
    buckets = await run_in_threadpool(store.histogram, q, filters, interval=interval, tz=tz,
                                      since=since, until=until)
    return Response(buckets_json(buckets), media_type="application/json")


@router.get("/top/{field}", response_model=list[BucketOut])
def top(field: TermsField, store: StoreDep, labels: LabelsDep, q: Q = "",
        brand: str | None = None, source: str | None = None, since: Instant | None = None,
        until: Instant | None = None,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
        duplicates: DuplicateMode = "collapse") -> list[BucketOut]:
    """The most frequent sources, authors, languages... among the matches."""
    filters = Filters(brand=brand, source=source, since=since, until=until,
                      collapse=duplicates == "collapse")
    return [BucketOut.of(b, labels.get((field, b.key), partial(_label, store, field, b.key)))
            for b in store.terms(field, q, filters, size=size)]


@router.get("/significant-terms", response_model=list[BucketOut])
def significant_terms(store: StoreDep, since: Instant, until: Instant,
                      baseline_since: Instant, q: Q = "", brand: str | None = None,
                      sentiment: str | None = None,
                      size: Annotated[int, Query(ge=1, le=100)] = 10,
                      duplicates: DuplicateMode = "collapse") -> list[BucketOut]:
    """Terms unusually frequent in [since, until) against the brand's mentions in
    [baseline_since, since): what a spike is about."""
    foreground = Filters(brand=brand, sentiment=sentiment, since=since, until=until,
                         collapse=duplicates == "collapse")
    background = Filters(brand=brand, since=baseline_since, until=since)
    found = store.significant_terms(q, foreground, background=background, size=size)
    return [BucketOut.of(b) for b in found]


@router.get("/share-of-voice", response_model=list[ShareOut])
async def share_of_voice(store: StoreDep, labels: LabelsDep, q: Q = "",
                         since: Instant | None = None, until: Instant | None = None,
                         duplicates: DuplicateMode = "collapse") -> list[ShareOut]:
    """Each brand's share of all matching mentions."""
    filters = Filters(since=since, until=until, collapse=duplicates == "collapse")
    return await run_in_threadpool(_shares, store, labels, q, filters)


def _shares(store: MentionStore, labels: Labels, q: str, filters: Filters) -> list[ShareOut]:
    buckets = store.terms("brand", q, filters, size=100)
    total = sum(b.count for b in buckets) or 1
    return [ShareOut(brand=labels.get(("brand", b.key), partial(_label, store, "brand", b.key))
                     or b.key, key=b.key, count=b.count,
                     share=round(b.count / total, 4))
            for b in buckets]


class AspectOut(BaseModel):
    aspect: str
    count: int  # mentions in [since, until) that say something about it
    positive: int
    neutral: int
    negative: int
    negative_share: float  # negative / count
    previous_count: int  # the same in the period of the same length just before
    previous_negative: int
    change: float | None  # count / previous_count - 1; None when there was none before
    negative_change: float | None  # the same for the negative mentions


def period_before(since: datetime, until: datetime) -> datetime:
    """The start of the period of the same length that ends at `since` (from the first
    representable day when it would start earlier)."""
    try:
        return since - (until - since)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def change(now: int, before: int) -> float | None:
    return round(now / before - 1, 4) if before else None


@router.get("/aspects", response_model=list[AspectOut])
def aspects(store: StoreDep, since: Instant, until: Instant, q: Q = "",
            brand: str | None = None,
            duplicates: DuplicateMode = "collapse") -> list[AspectOut]:
    """What mentions in [since, until) praise or blame, per aspect, most mentioned first:
    counts per polarity, the negative share, and the change against the period of the same
    length just before."""
    if until <= since:
        raise HTTPException(400, "until must be after since")
    collapse = duplicates == "collapse"
    now = aspect_counts(store, q, Filters(brand=brand, since=since, until=until,
                                          collapse=collapse))
    before = aspect_counts(store, q, Filters(brand=brand, since=period_before(since, until),
                                              until=since, collapse=collapse))
    empty = dict.fromkeys(SENTIMENT_LABELS, 0)
    rows = []
    for name, by in now.items():
        count, previous = sum(by.values()), before.get(name, empty)
        rows.append(AspectOut(
            aspect=name, count=count, **by, negative_share=round(by["negative"] / count, 4),
            previous_count=sum(previous.values()), previous_negative=previous["negative"],
            change=change(count, sum(previous.values())),
            negative_change=change(by["negative"], previous["negative"])))
    return sorted(rows, key=lambda row: (-row.count, row.aspect))
