"""The mention store's errors. Backends translate their driver's errors into these at their
boundary, so callers never catch `sqlite3` or `elasticsearch` exceptions.

    StoreError
    ├── QueryError          the user's query is malformed (the API answers 400)
    └── BackendUnavailable  the backend cannot be reached or stayed busy (the API answers 503)
"""

from __future__ import annotations

__all__ = ["BackendUnavailable", "QueryError", "StoreError"]


class StoreError(Exception):
    """Raised by every `MentionStore` method when the backend fails; the driver's own
    exception is chained as `__cause__`."""


class QueryError(StoreError):
    """Raised by `index.query.parse` (and by backends given an AST they cannot compile)
    when a query is malformed. `position` is the 0-based character offset in the query
    text and `expected` says what would have been valid there."""

    def __init__(
        self, position: int, expected: str, *, found: str | None = None, after: str | None = None
    ) -> None:
        self.position = position
        self.expected = expected
        message = f"position {position}: expected {expected}"
        message += f" after '{after}'" if after else ""
        message += f", found '{found}'" if found is not None else ""
        super().__init__(message)


class BackendUnavailable(StoreError):
    """Raised by a backend that cannot open or reach its storage (a missing directory, an
    unreachable Elasticsearch), or whose storage stayed locked past the busy timeout.
    Retrying later may succeed; nothing was written."""
