"""Mention search and lookup: the HTTP routes and the functions the CLI shares with them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep, require
from api.models import HitOut, MentionOut, SearchOut
from index.backend import NO_FILTERS, Filters, MentionStore, Sort

__all__ = ["SentimentCorrection", "correct_sentiment", "router", "search_mentions"]

router = APIRouter(tags=["mentions"])



def search_mentions(store: MentionStore, q: str = "", filters: Filters = NO_FILTERS, *,
                    sort: Sort = "relevance", page: int = 1, size: int = 20) -> SearchOut:
    """Search with the query language; raises QueryError on a malformed query."""
    result = store.search(q, filters, sort=sort, page=page, size=size)
    return SearchOut(query=q, total=result.total, page=page, size=size,
                     results=[HitOut.of(h) for h in result.hits])


@router.get("/mentions", response_model=SearchOut)
def get_mentions(
    store: StoreDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=1000, description="Query language text")] = "",
    brand: str | None = None,
    source: str | None = None,
    sentiment: Literal["positive", "neutral", "negative"] | None = None,
    lang: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: Sort = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1)] = 20,
) -> SearchOut:
    if size > settings.max_page_size:
        raise HTTPException(400, f"size must be at most {settings.max_page_size}")
    filters = Filters(brand=brand, source=source, sentiment=sentiment, lang=lang,
                      since=since, until=until)
    return search_mentions(store, q, filters, sort=sort, page=page, size=size)


@router.get("/mentions/{mention_id}", response_model=MentionOut)
def get_mention(mention_id: str, store: StoreDep) -> MentionOut:
    mention = store.get(mention_id)
    if mention is None:
        raise HTTPException(404, f"no mention with id {mention_id!r}")
    return MentionOut.of(mention)


class SentimentCorrection(BaseModel):
    label: Literal["positive", "neutral", "negative"]
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
