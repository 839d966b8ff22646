"""Checks of the arguments every `MentionStore` takes, so that each backend refuses the same
bad input with the same message (a ValueError naming the argument and what it got). The API
runs the same checks on its parameters, so a bad one is a 4xx before any backend is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import get_args
from zoneinfo import ZoneInfo, available_timezones

from index.backend import Interval, Sort, TermsField

__all__ = [
    "as_utc",
    "check_min_score",
    "check_page",
    "check_size",
    "check_terms_field",
    "histogram_window",
    "time_zone",
    "window",
]

# Histogram buckets start at local midnights (of Mondays for weeks) up to a week past either
# end of the window, in zones up to 14 h from UTC: a window this far inside datetime's range
# keeps every edge representable.
_BUCKET_REACH = timedelta(days=8)


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


def check_min_score(min_score: float) -> None:
    """The least advocate score a lead needs."""
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be between 0 and 1, got {min_score}")


def check_terms_field(field: str) -> None:
    if field not in get_args(TermsField):
        raise ValueError(f"field must be one of {get_args(TermsField)}, got {field!r}")


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one means UTC, as everywhere in mentionwatch, so a naive and an
    aware bound of one window can be compared. Raises ValueError for a moment that is outside
    datetime's years 1 to 9999 once in UTC (`0001-01-01T00:00+14:00`)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{moment.isoformat()} is before year 1 or after year 9999 in UTC") from None


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(tz: str) -> ZoneInfo:
    """The IANA time zone named `tz`. The name is looked up among the installed ones first:
    `ZoneInfo` opens a file named after its argument, so a long name or a directory fails
    with an OSError rather than a ValueError."""
    if tz not in _zone_names():
        shown = tz if len(tz) <= 40 else tz[:40] + "…"
        raise ValueError(f"tz: unknown time zone {shown!r}: use an IANA name such as "
                         f"'Europe/Berlin'")
    return ZoneInfo(tz)


def window(since: datetime, until: datetime, *, reach: timedelta) -> tuple[datetime, datetime]:
    """[since, until) in UTC (naive means UTC), for a computation that looks up to `reach`
    before `since` and after `until`: both must leave that much of datetime's range free."""
    since, until = as_utc(since), as_utc(until)
    earliest = datetime.min.replace(tzinfo=UTC) + reach
    latest = datetime.max.replace(tzinfo=UTC) - reach
    for name, moment in (("since", since), ("until", until)):
        if not earliest <= moment <= latest:
            raise ValueError(f"{name} must be between {earliest.date()} and {latest.date()}, "
                             f"got {moment.isoformat()}")
    if since >= until:
        raise ValueError(f"since ({since.isoformat()}) must be before until "
                         f"({until.isoformat()})")
    return since, until


def histogram_window(
    interval: str, tz: str, since: datetime, until: datetime
) -> tuple[ZoneInfo, datetime, datetime]:
    """The time zone, and [since, until) in UTC (naive means UTC)."""
    if interval not in get_args(Interval):
        raise ValueError(f"interval must be one of {get_args(Interval)}, got {interval!r}")
    return (time_zone(tz), *window(since, until, reach=_BUCKET_REACH))
