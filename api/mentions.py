"""Mention search and lookup: the HTTP routes and the functions the CLI shares with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, StoreDep, require
from api.export import ExportFormat, export_chunks, export_response, neutralise_cell
from api.models import DuplicateMode, HitOut, Instant, MentionOut, SearchOut
from index.backend import NO_FILTERS, Filters, MentionStore, Sort
from index.record import Mention, SentimentLabel

__all__ = [
    "COLUMN_FIELDS",
    "MENTION_COLUMNS",
    "NOT_EXPORTED",
    "SentimentCorrection",
    "correct_sentiment",
    "mention_cells",
    "mention_chunks",
    "router",
    "search_mentions",
]

router = APIRouter(tags=["mentions"])

QueryText = Annotated[str, Query(max_length=1000, description="Query language text")]

#: The CSV export's columns, in order, and the record field each holds (a path into `Mention`).
COLUMN_FIELDS: dict[str, str] = {
    "id": "id", "published_at": "published_at", "collected_at": "collected_at",
    "source": "source", "source_domain": "source_domain", "kind": "kind", "url": "url",
    "parent_id": "parent_id", "brand": "brand", "author": "author.name",
    "author_handle": "author.handle", "author_url": "author.url",
    "author_followers": "author.followers", "lang": "lang", "title": "title", "text": "text",
    "rating": "rating.value", "rating_best": "rating.best", "rating_worst": "rating.worst",
    "sentiment": "sentiment.label", "sentiment_score": "sentiment.score",
    "corrected_by": "sentiment.corrected_by", "nps_class": "nps_class",
    "nps_estimated": "nps_estimated", "advocate_score": "advocate.score",
    "persona": "advocate.persona", "matched_terms": "matched_terms",
    "likes": "engagement.likes", "replies": "engagement.replies",
    "reposts": "engagement.reposts", "views": "engagement.views", "citations": "citations",
    "brands": "brands",
}
MENTION_COLUMNS = tuple(COLUMN_FIELDS)
#: Record fields (or whole parts) with no column yet. Every field is in a column or here
#: (tests/test_record_shape.py checks); a new column goes last, so exports keep their layout.
NOT_EXPORTED = frozenset({
    "content_hash", "author.verified", "engagement.score", "sentiment.confidence",
    "sentiment.model", "advocate.signals", "text_sentiment", "aspects", "named",
    "brand_replies",
})


async def mention_filters(  # async: FastAPI would run a plain def in a thread of its pool
    brand: str | None = None,
    source: str | None = None,
    sentiment: SentimentLabel | None = None,
    lang: str | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
) -> Filters:
    """The filter parameters /mentions and /mentions/export share."""
    return Filters(brand=brand, source=source, sentiment=sentiment, lang=lang,
                   since=since, until=until)


FiltersDep = Annotated[Filters, Depends(mention_filters)]


def search_mentions(store: MentionStore, q: str = "", filters: Filters = NO_FILTERS, *,
                    sort: Sort = "relevance", page: int = 1, size: int = 20) -> SearchOut:
    """Search with the query language; raises QueryError on a malformed query."""
    result = store.search(q, filters, sort=sort, page=page, size=size)
    return SearchOut(query=q, total=result.total, page=page, size=size,
                     results=[HitOut.of(h) for h in result.hits])


@router.get("/mentions", response_model=SearchOut)
async def get_mentions(
    store: StoreDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: QueryText = "",
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1)] = 20,
    duplicates: DuplicateMode = "collapse",
) -> SearchOut:
    """Matches, a page at a time; the same text at several URLs is one hit (its earliest
    copy, with how many others and their first URLs) unless `duplicates=include`."""
    if size > settings.max_page_size:
        raise HTTPException(400, f"size must be at most {settings.max_page_size}")
    # Async, the search in a thread: a plain def route costs a second thread hop, FastAPI
    # validating its answer in the pool too.
    return await run_in_threadpool(search_mentions, store, q,
                                   replace(filters, collapse=duplicates == "collapse"),
                                   sort=sort, page=page, size=size)


def _getter(path: str) -> Callable[[Mention], object]:
    """The field at `path` (`name` or `part.name`); None when the mention has no such part
    (no rating: no rating.best)."""
    part, _, name = path.rpartition(".")
    field = attrgetter(name)
    if not part:
        return field
    outer = attrgetter(part)
    return lambda m: None if (value := outer(m)) is None else field(value)


_GETTERS = tuple(_getter(path) for path in COLUMN_FIELDS.values())


def _text(value: object) -> str:
    # Only text from the page can start a formula; numbers we wrote (-0.9) stay numbers.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return neutralise_cell(" | ".join(value))
    return str(value)


def mention_cells(m: Mention) -> list[str]:
    """One CSV row, in MENTION_COLUMNS order; text cells neutralised for spreadsheets."""
    return [_text(get(m)) for get in _GETTERS]


def mention_chunks(mentions: Iterable[Mention], fmt: ExportFormat) -> Iterator[str]:
    """Mentions as CSV (MENTION_COLUMNS) or JSON lines shaped like `GET /mentions/{id}`."""
    return export_chunks(mentions, fmt, columns=MENTION_COLUMNS, cells=mention_cells,
                         json_line=lambda m: MentionOut.of(m).model_dump_json())


# Declared before /mentions/{mention_id}, which would otherwise take "export" for an id.
@router.get("/mentions/export", response_class=StreamingResponse,
            dependencies=[require("analyst")],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_mentions(store: StoreDep, filters: FiltersDep, q: QueryText = "",
                    format: ExportFormat = "csv",
                    duplicates: DuplicateMode = "include") -> Response:
    """Every match, oldest first, streamed: CSV (spreadsheet-safe) or JSON lines. A record
    dump: every copy of a syndicated text is a row, unless `duplicates=collapse`."""
    # store.export parses the query now, so a bad one is a 400 before any row is sent.
    mentions = store.export(q, replace(filters, collapse=duplicates == "collapse"))
    return export_response(mention_chunks(mentions, format), format, "mentions")


@router.get("/mentions/{mention_id}", response_model=MentionOut)
def get_mention(mention_id: str, store: StoreDep) -> MentionOut:
    mention = store.get(mention_id)
    if mention is None:
        raise HTTPException(404, f"no mention with id {mention_id!r}")
    return MentionOut.of(mention)


class SentimentCorrection(BaseModel):
    label: SentimentLabel
    by: str = Field(min_length=1, max_length=200, description="Who corrected it.")


def correct_sentiment(store: MentionStore, mention_id: str,
                      correction: SentimentCorrection) -> MentionOut | None:
    """Keep a person's label for a mention; it wins over the model from now on."""
    mention = store.correct_sentiment(mention_id, correction.label, correction.by)
    return MentionOut.of(mention) if mention else None


@router.put("/mentions/{mention_id}/sentiment", response_model=MentionOut,
            dependencies=[require("analyst")])
def put_sentiment(mention_id: str, correction: SentimentCorrection,
                  store: StoreDep) -> MentionOut:
    corrected = correct_sentiment(store, mention_id, correction)
    if corrected is None:
        raise HTTPException(404, f"no mention with id {mention_id!r}")
    return corrected
