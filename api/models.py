"""What the HTTP API returns: its own models, separate from the stored record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel

from index.arguments import as_utc
from index.backend import Hit
from index.record import Kind, Mention, NpsClass, Persona, SentimentLabel

__all__ = ["DuplicateMode", "ErrorOut", "HealthOut", "Instant", "MentionOut", "SearchOut"]

#: A date-time parameter (ISO 8601 with or without an offset, or Unix seconds) in UTC; naive
#: means UTC, so every route compares aware datetimes only.
Instant = Annotated[datetime, AfterValidator(as_utc)]

#: The `duplicates` parameter: mentions with the same text at several URLs (equal
#: `content_hash`) counted once, as their earliest published (`collapse`), or each (`include`).
DuplicateMode = Literal["collapse", "include"]


class AuthorOut(BaseModel):
    name: str
    handle: str | None
    url: str | None
    followers: int | None
    verified: bool


class RatingOut(BaseModel):
    value: float
    best: float
    worst: float
    normalized: float


class EngagementOut(BaseModel):
    likes: int | None
    replies: int | None
    reposts: int | None
    score: int | None
    views: int | None


class SentimentOut(BaseModel):
    label: SentimentLabel
    score: float
    confidence: float
    model: str
    corrected_by: str | None


class AdvocateOut(BaseModel):
    score: float
    persona: Persona | None
    signals: list[str]


class AspectOut(BaseModel):
    name: str
    polarity: SentimentLabel


class NamedBrandOut(BaseModel):
    name: str
    position: int
    excerpt: str
    sentiment: SentimentLabel | None
    score: float | None


class BrandReplyOut(BaseModel):
    text: str
    author: str
    published_at: datetime | None
    url: str | None


class MentionOut(BaseModel):
    """The record's fields and parts as the API shows them (tests/test_record_shape.py checks
    that they are exactly `Mention`'s)."""

    id: str
    source: str
    source_domain: str
    kind: Kind
    url: str
    parent_id: str | None
    author: AuthorOut
    title: str | None
    text: str
    lang: str | None
    published_at: datetime | None
    collected_at: datetime
    rating: RatingOut | None
    engagement: EngagementOut
    brand: str | None
    matched_terms: list[str]
    sentiment: SentimentOut | None  # overall: the text and the rating, a correction wins
    text_sentiment: SentimentOut | None  # the text model's own result
    nps_class: NpsClass | None
    nps_estimated: bool
    advocate: AdvocateOut | None
    aspects: list[AspectOut]  # what it praises or blames, per aspect
    citations: list[str]  # the URLs an AI answer cites
    named: list[NamedBrandOut]  # the brands an AI answer names, with position and sentiment
    brands: list[str]  # every watched brand it names, `brand` first
    brand_replies: list[BrandReplyOut]  # the brand's public answers, earliest first
    content_hash: str

    @classmethod
    def of(cls, mention: Mention) -> MentionOut:
        # From the record's attributes: a sixteenth of the time of going through to_dict(),
        # which deep-copies every part (a search page builds 20 of these).
        return cls.model_validate(mention, from_attributes=True)


class DuplicatesOut(BaseModel):
    count: int  # the other matches with this text; 0 unless duplicates are collapsed
    urls: list[str]  # the first few of them, earliest published first


class HitOut(BaseModel):
    mention: MentionOut
    score: float
    highlight: str
    duplicates: DuplicatesOut

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        duplicates = DuplicatesOut(count=hit.duplicates.count, urls=list(hit.duplicates.urls))
        return cls(mention=MentionOut.of(hit.mention), score=hit.score, highlight=hit.highlight,
                   duplicates=duplicates)


class SearchOut(BaseModel):
    query: str
    total: int
    page: int
    size: int
    results: list[HitOut]


class HealthOut(BaseModel):
    status: Literal["ok"]
    mentions: int


class ErrorDetail(BaseModel):
    type: str
    message: str
    position: int | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail
