from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crawlers.extract.dates import parse_date


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ISO 8601: a date alone is midnight UTC, offsets are converted, naive is UTC
        ("2026-11-02", _utc(2026, 11, 2)),
        ("  2026-10-14  ", _utc(2026, 10, 14)),
        ("20261102", _utc(2026, 11, 2)),
        ("2026-11-02T09:15:00+08:00", _utc(2026, 11, 2, 1, 15)),
        ("2026-11-02T09:15:00+0800", _utc(2026, 11, 2, 1, 15)),
        ("2026-10-05T18:42:00-04:00", _utc(2026, 10, 5, 22, 42)),
        ("2026-11-02T09:15:00Z", _utc(2026, 11, 2, 9, 15)),
        ("2026-11-02 19:41:07", _utc(2026, 11, 2, 19, 41, 7)),
        ("2026-11-02T09:15:00.123456789Z", _utc(2026, 11, 2, 9, 15, 0, 123456)),
        # RFC 822
        ("Mon, 02 Nov 2026 10:00:00 +0100", _utc(2026, 11, 2, 9)),
        ("Mon, 02 Nov 2026 10:00:00 GMT", _utc(2026, 11, 2, 10)),
        ("02 Nov 2026 10:00:00 -0000", _utc(2026, 11, 2, 10)),
        # epoch seconds and milliseconds, as numbers or strings
        (1793600000, _utc(2026, 11, 2, 6, 13, 20)),
        (1793600000.5, _utc(2026, 11, 2, 6, 13, 20, 500000)),
        (1793600000123, _utc(2026, 11, 2, 6, 13, 20, 123000)),
        ("1793600000", _utc(2026, 11, 2, 6, 13, 20)),
        # written forms
        ("2026年11月2日", _utc(2026, 11, 2)),
        ("2026 年 11 月 2 日", _utc(2026, 11, 2)),
        ("2026/11/02", _utc(2026, 11, 2)),
        ("2026.11.2", _utc(2026, 11, 2)),
        ("Nov 2, 2026", _utc(2026, 11, 2)),
        ("November 2nd, 2026", _utc(2026, 11, 2)),
        ("Sept 3, 2026", _utc(2026, 9, 3)),
        ("2 November 2026", _utc(2026, 11, 2)),
        ("2. Nov. 2026", _utc(2026, 11, 2)),
        # values already parsed
        (date(2026, 11, 2), _utc(2026, 11, 2)),
        (datetime(2026, 11, 2, 10), _utc(2026, 11, 2, 10)),
        (datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=8))), _utc(2026, 11, 2, 2)),
        (time.gmtime(1793600000), _utc(2026, 11, 2, 6, 13, 20)),
    ],
)
def test_parse_date(value: object, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "hello", "yesterday", "2026", "2026-13-01", "2026-02-30", "Foo 3, 2026",
     "32 November 2026", "Mon, 99 Nov 2026", "12345", True, -5, float("nan"), float("inf"),
     1e30, [], {}, b"2026-11-02"],
)
def test_junk_is_none_never_an_error(value: object) -> None:
    assert parse_date(value) is None
