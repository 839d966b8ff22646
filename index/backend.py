"""The interface every mention store implements, and the types it returns.

A backend takes the query as an AST (a `str` is parsed with `index.query.parse` first) and
compiles it to its own language; user text never reaches SQL or Elasticsearch DSL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, Protocol, runtime_checkable

from index.engagement import AuthorEngagement
from index.keys import key
from index.query import Field, FieldName, Node, conjoin, parse
from index.record import SENTIMENT_LABELS, Mention, NpsClass, SentimentLabel

__all__ = [
    "DUPLICATE_URLS",
    "NO_DUPLICATES",
    "NO_FILTERS",
    "RESPONSE_MINUTES_BELOW",
    "AspectCounts",
    "AuthorLead",
    "Bucket",
    "Duplicates",
    "Filters",
    "Hit",
    "Interval",
    "MentionStore",
    "NpsCount",
    "ResponseCount",
    "ResponseCounts",
    "ResponseTime",
    "SearchResult",
    "Sort",
    "TermsField",
    "TimeBucket",
    "aspect_counts",
    "resolve",
    "response_seconds",
]

Sort = Literal["relevance", "newest"]
Interval = Literal["hour", "day", "week"]
#: `aspect` counts `Aspect.key`s ("battery:negative"): a mention counts once per aspect;
#: `persona` the advocate personas of the mentions that have one.
TermsField = Literal["brand", "source", "source_domain", "author", "lang", "sentiment", "aspect",
                     "persona"]


def _utc(moment: datetime | None) -> datetime | None:
    # Every time in mentionwatch is UTC; a naive one from a caller means UTC too.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Filters:
    """The API's separate filter parameters, ANDed with the query. Each means what the
    query's field filter of the same name means (`lang="zh"` matches zh-Hans too);
    `since` is inclusive and `until` exclusive, on `published_at`.

    `collapse` counts duplicates once: of the matches sharing a `content_hash` (the same
    text syndicated to several URLs) only the earliest published stands for them (ties by
    id; undated ones last), in search, counts and aggregations and export alike. The
    earliest is the original: its date is when the news broke, and copies found later
    never change which one it is. Off by default here; the API and CLI turn it on."""

    brand: str | None = None
    source: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    collapse: bool = False

    def as_query(self) -> Node:
        """These filters as query AST, MatchAll when none is set."""
        named: tuple[tuple[FieldName, str | None], ...] = (
            ("brand", self.brand),
            ("source", self.source),
            ("sentiment", self.sentiment),
            ("lang", self.lang),
        )
        # An empty parameter (`?brand=`) is no filter.
        fields: list[Node] = [Field(name, ":", value) for name, value in named if value]
        if self.since is not None or self.until is not None:
            fields.append(Field("published", "..", (_utc(self.since), _utc(self.until))))
        return conjoin(fields)


NO_FILTERS = Filters()


def resolve(query: Node | str, filters: Filters) -> Node:
    """The one AST a backend compiles: the query (parsed if text) AND the filters."""
    return conjoin((parse(query) if isinstance(query, str) else query, filters.as_query()))


#: How many of a group's other URLs a collapsed hit lists.
DUPLICATE_URLS = 5


@dataclass(frozen=True, slots=True)
class Duplicates:
    """The other matches with a hit's text, when duplicates are collapsed: how many, and
    the URLs of the first `DUPLICATE_URLS` of them, earliest published first."""

    count: int
    urls: tuple[str, ...]


NO_DUPLICATES = Duplicates(0, ())


@dataclass(frozen=True, slots=True)
class Hit:
    mention: Mention
    score: float  # backend-specific relevance, higher is better; 0 when nothing ranked it
    highlight: str  # HTML-escaped snippet of the text with matches in <mark>
    duplicates: Duplicates = NO_DUPLICATES


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int  # every match (every group when collapsed), not just this page
    hits: list[Hit]


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    count: int
    # significant_terms only: how often the term is in the background set, and its score.
    background: int | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class TimeBucket:
    start: datetime  # aware, in the time zone asked for
    count: int
    by_sentiment: dict[str, int] = field(default_factory=dict)  # positive/neutral/negative


@dataclass(frozen=True, slots=True)
class AuthorLead:
    """One author's advocate mentions among the matches: those whose `advocate.score` is at
    least the minimum asked and whose sentiment is not negative. An author is one source
    domain and one handle (else name): the same name elsewhere may be someone else."""

    mentions: int  # how many advocate mentions
    best: tuple[Mention, ...]  # up to three, the highest advocate score first
    latest: Mention  # the most recently published (undated ones last)
    sources: tuple[str, ...]  # the sources (keys) they came from, sorted


@dataclass(frozen=True, slots=True)
class NpsCount:
    """How many matching mentions of a brand published on one UTC day (None: undated)
    have this NPS class, rated (`estimated` False) or estimated from sentiment."""

    brand: str  # as the mentions spell it
    day: date | None
    nps_class: NpsClass
    estimated: bool
    count: int

    def of(self, brand: str | None) -> bool:
        """Whether these are `brand`'s counts (any brand's when None): a mention naming
        several brands counts for each, so one brand's figures keep its own rows only."""
        return brand is None or key(self.brand) == key(brand)


@dataclass(frozen=True, slots=True)
class ResponseCount:
    """How many matching mentions naming `brand` (a key), from `source` (a key), that the
    brand answered (`replied`) or not, have this overall sentiment label and rating (as
    stored: normalized 0..1, 4 decimals). A mention naming several brands counts for each."""

    brand: str
    source: str
    replied: bool
    sentiment: SentimentLabel | None
    rating: float | None
    count: int


#: Times to first response are counted by the minute below a day, by the hour beyond.
RESPONSE_MINUTES_BELOW = 86_400


def response_seconds(published_at: datetime, first_reply_at: datetime) -> int:
    """How long the brand took to answer, in whole seconds (truncated); a reply dated
    before its mention (a clock off somewhere) took no time."""
    return max(0, int((first_reply_at - published_at).total_seconds()))


@dataclass(frozen=True, slots=True)
class ResponseTime:
    """How many matching mentions naming `brand` from `source` were first answered after
    `seconds` (`response_seconds`, rounded down to the minute below
    `RESPONSE_MINUTES_BELOW`, else to the hour: a figure of minutes needs no seconds, and
    a long wait no minutes); only those dated and with a dated reply."""

    brand: str
    source: str
    seconds: int
    count: int


@dataclass(frozen=True, slots=True)
class ResponseCounts:
    """What response metrics are computed from, in no set order."""

    counts: list[ResponseCount]
    times: list[ResponseTime]


@runtime_checkable
class MentionStore(Protocol):
    """Where mentions are kept and searched. Methods raise `StoreError` (or a subclass)
    for backend failures and `QueryError` for a malformed query."""

    def upsert(self, mentions: Iterable[Mention]) -> int:
        """Insert or replace mentions by id, as one batch; returns how many were new."""
        ...

    def get(self, mention_id: str) -> Mention | None: ...

    def get_many(self, mention_ids: Iterable[str]) -> dict[str, Mention]:
        """The stored mentions of `mention_ids` by id, those that exist; in one request
        where the backend allows (a worker's batch on Elasticsearch: one, not one each)."""
        ...

    def count(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> int: ...

    def search(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        sort: Sort = "relevance",
        page: int = 1,
        size: int = 20,
    ) -> SearchResult:
        """One page (1-based) of matches, best first or newest first."""
        ...

    def delete(self, ids: Iterable[str]) -> int:
        """Remove mentions by id; returns how many existed."""
        ...

    def histogram(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        interval: Interval = "day",
        tz: str = "UTC",
        since: datetime,
        until: datetime,
    ) -> list[TimeBucket]:
        """Matches per fixed interval on `published_at` in [since, until), counted by
        sentiment label; buckets start on interval boundaries in `tz` (weeks on Monday)
        and empty buckets are included; `by_sentiment` has all three labels (the corrected
        label where a person corrected one) and a mention without sentiment counts only in
        `count`."""
        ...

    def terms(
        self,
        field: TermsField,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        size: int = 10,
    ) -> list[Bucket]:
        """The most frequent values of a field among the matches, most first (ties by key).
        Keys are in the form the field's filter compares: NFKC-casefolded (`acme`,
        `zh-hans`), the author by name; a mention without the field is not counted."""
        ...

    def significant_terms(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        background: Filters = NO_FILTERS,
        size: int = 10,
    ) -> list[Bucket]:
        """Analyzer terms unusually frequent in the matches (foreground) compared with
        the mentions of `background` (e.g. the same brand over the baseline weeks); used
        to explain a spike."""
        ...

    def advocates(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        min_score: float = 0.5,
        size: int = 100,
    ) -> list[AuthorLead]:
        """The authors with advocate mentions among the matches, best score first (ties by
        source domain, then author key); at most `size`."""
        ...

    def engagement(self, brand: str,
                   author_keys: Sequence[str]) -> dict[str, AuthorEngagement]:
        """Each author's engagement with `brand` (`index.engagement`), by `author_key`
        (`domain/who`, as keys: the same author however the key was spelled), in the order
        asked; an author with no mention of the brand is left out. Any number of authors."""
        ...

    def nps_days(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> list[NpsCount]:
        """NPS classes of the matches per brand and UTC publication day, in no set order;
        mentions without a brand or an NPS class are not counted."""
        ...

    def responses(self, query: Node | str = "",
                  filters: Filters = NO_FILTERS) -> ResponseCounts:
        """The matches per brand they name and source, answered or not, by sentiment and
        rating, and the times to their first answer; mentions without a brand are not
        counted."""
        ...

    def export(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> Iterator[Mention]:
        """Every match in a stable order (published_at, then id), streamed in constant
        memory; consistent even while the crawler writes."""
        ...

    def correct_sentiment(self, mention_id: str, label: str, by: str) -> Mention | None:
        """Record a person's label for a mention. The correction is kept apart from the
        model's output, always wins over it, and survives later upserts of the same id
        (re-crawls, re-scoring). Returns the corrected mention, None for an unknown id."""
        ...

    def corrections(self) -> Iterator[tuple[Mention, str]]:
        """Every corrected mention with its corrected label (to refit the classifier)."""
        ...

    def close(self) -> None: ...


#: Mentions per aspect name, then per the polarity said of it.
AspectCounts = dict[str, dict[SentimentLabel, int]]


def aspect_counts(store: MentionStore, query: Node | str = "", filters: Filters = NO_FILTERS,
                  *, size: int = 1000) -> AspectCounts:
    """How many matching mentions say something about each aspect, by polarity, from the
    store's counts of `Aspect.key`s ("battery:negative"); at most `size` keys."""
    counts: AspectCounts = {}
    for bucket in store.terms("aspect", query, filters, size=size):
        name, _, polarity = bucket.key.rpartition(":")
        counts.setdefault(name, dict.fromkeys(SENTIMENT_LABELS, 0))[
            polarity] = bucket.count  # type: ignore[index]  # stored keys end in a label
    return counts
