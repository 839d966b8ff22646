"""Checks of the arguments every `MentionStore` takes, so that each backend refuses the same
bad input with the same message (a ValueError naming the argument and what it got)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from index.backend import Interval, Sort, TermsField

__all__ = ["check_page", "check_size", "check_terms_field", "histogram_window"]


def check_page(sort: str, page: int, size: int) -> None:
    """A search's sort, 1-based page and page size."""
    if sort not in get_args(Sort):
        raise ValueError(f"sort must be one of {get_args(Sort)}, got {sort!r}")
    if page < 1 or size < 1:
        raise ValueError(f"page and size must be >= 1, got page={page} size={size}")


def check_size(size: int) -> None:
    """How many buckets an aggregation returns."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")


def check_terms_field(field: str) -> None:
    if field not in get_args(TermsField):
        raise ValueError(f"field must be one of {get_args(TermsField)}, got {field!r}")


def histogram_window(
    interval: str, tz: str, since: datetime, until: datetime
) -> tuple[ZoneInfo, datetime, datetime]:
    """The time zone, and [since, until) as aware datetimes (naive means UTC)."""
    if interval not in get_args(Interval):
        raise ValueError(f"interval must be one of {get_args(Interval)}, got {interval!r}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as "
                         f"'Europe/Berlin'") from exc
    since, until = (
        moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        for moment in (since, until)
    )
    if since >= until:
        raise ValueError(f"since ({since.isoformat()}) must be before until "
                         f"({until.isoformat()})")
    return zone, since, until
