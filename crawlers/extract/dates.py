"""Dates as sources write them, to aware UTC datetimes; hand-written parsers because a
general one (dateparser) is far too slow for every review on a page.

Only dates a mention can have been written on are kept: from 1990-01-01 (before the web)
to one day after now (clocks and time zones differ). Anything else (year 1, 9999, an epoch
number out of range) is junk for sorting, histograms and alerts, and is
dropped like a missing date.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["EARLIEST", "LATEST_AHEAD", "parse_date"]

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=1)  # how far after now a date may be

_EPOCH = re.compile(r"\d{9,}(?:\.\d+)?")  # shorter digit runs are years or junk, not epochs
_EPOCH_MS = 1e11  # seconds past this are in year 5138: the number is milliseconds
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")  # fromisoformat takes at most microseconds
_YMD = re.compile(r"(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def parse_date(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 (a date alone is midnight UTC), RFC 822, epoch
    seconds or milliseconds, a `time.struct_time` in UTC (feedparser), or a few written
    forms ("2026年11月2日", "2026/11/02", "Nov 2, 2026", "2 November 2026").
    Naive times are taken as UTC. None for anything else, and for a date outside
    `EARLIEST` .. now + `LATEST_AHEAD`; never raises."""
    parsed = _parse(value)
    if parsed is None or not EARLIEST <= parsed <= datetime.now(UTC) + LATEST_AHEAD:
        return None
    return parsed


def _parse(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, time.struct_time):
        return _guard(lambda: datetime(*value[:6], tzinfo=UTC))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not (text := value.strip()):
        return None
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text))
    return _iso(text) or _rfc822(text) or _written(text)


def _utc(value: datetime) -> datetime | None:
    """In UTC; None when that leaves datetime's range (year 1 at +05:00)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return _guard(lambda: value.astimezone(UTC))


def _guard(build: Callable[[], datetime]) -> datetime | None:
    """Run a datetime constructor, turning an out-of-range result into None."""
    try:
        return build()
    except (ValueError, OverflowError, OSError):
        return None


def _from_epoch(seconds: float) -> datetime | None:
    if seconds != seconds or seconds < 0:  # NaN or before 1970: not a real timestamp
        return None
    if seconds > _EPOCH_MS:
        seconds /= 1000
    return _guard(lambda: datetime.fromtimestamp(seconds, UTC))


def _iso(text: str) -> datetime | None:
    text = _LONG_FRACTION.sub(r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _utc(parsed)


def _rfc822(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _utc(parsed)


def _written(text: str) -> datetime | None:
    if m := _YMD.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DAY_MONTH_YEAR.fullmatch(text):
        year, month, day = int(m[3]), _month(m[2]), int(m[1])
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        year, month, day = int(m[3]), _month(m[1]), int(m[2])
    else:
        return None
    return _guard(lambda: datetime(year, month, day, tzinfo=UTC))


def _month(name: str) -> int:
    """1-12 for a month name or its abbreviation ("Sept" too); 0 (rejected later) if none."""
    name = name.lower()
    return next((i for i, full in enumerate(_MONTHS, 1) if full.startswith(name)), 0)
