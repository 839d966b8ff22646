"""Query-language text for a figure: what to search for to list the mentions it counts.
The dashboard links each figure to that search, so the figure is counted with the same text."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["all_of", "days", "quoted"]


def quoted(value: str) -> str:
    # A quote cannot be escaped in the query language; a value never needs one to match.
    return '"' + value.replace('"', " ") + '"'


def days(since: datetime, until: datetime) -> str:
    """`published:` over the whole UTC days of [since, until)."""
    last = until - timedelta(days=1)
    return f"published:{since.date().isoformat()}..{last.date().isoformat()}"


def all_of(*parts: str) -> str:
    """The parts ANDed, empty ones left out."""
    return " ".join(part for part in parts if part)
