"""The mention store: the record, the watchlist, the query language and the backends."""

from index.analyzer import highlight, tokens
from index.backend import NO_FILTERS, Filters, Hit, MentionStore, SearchResult
from index.errors import BackendUnavailable, QueryError, StoreError
from index.query import Node, parse
from index.record import (
    Advocate,
    Author,
    Engagement,
    Mention,
    Rating,
    RecordError,
    Sentiment,
    content_hash,
    mention_id,
)
from index.sqlite import SqliteStore
from index.watchlist import Brand, SourceOptions, Watchlist, WatchlistError

__all__ = [
    "NO_FILTERS",
    "Advocate",
    "Author",
    "BackendUnavailable",
    "Brand",
    "Engagement",
    "Filters",
    "Hit",
    "Mention",
    "MentionStore",
    "Node",
    "QueryError",
    "Rating",
    "RecordError",
    "SearchResult",
    "Sentiment",
    "SourceOptions",
    "SqliteStore",
    "StoreError",
    "Watchlist",
    "WatchlistError",
    "content_hash",
    "highlight",
    "mention_id",
    "parse",
    "tokens",
]
