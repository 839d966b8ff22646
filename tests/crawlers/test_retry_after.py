from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawlers.middlewares import RetryAfterMiddleware, retry_after_seconds

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    (b"120", 120.0), ("  7 ", 7.0), ("Sat, 21 Nov 2026 08:01:30 GMT", 90.0),
    ("Sat, 21 Nov 2026 07:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None),
    ("-5", None),
])
def test_retry_after_is_seconds_or_an_http_date(value: str | bytes | None,
                                                seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def _middleware(max_wait: float) -> RetryAfterMiddleware:
    crawler = get_crawler(settings_dict={"MENTIONWATCH_RETRY_AFTER_MAX": max_wait})
    crawler.spider = Spider.from_crawler(crawler, name="test")
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return RetryAfterMiddleware.from_crawler(crawler)


def _answer(mw: RetryAfterMiddleware, status: int, retry_after: str | None
            ) -> tuple[Request | Response, float]:
    request = Request("https://api.example/search")
    headers = {"Retry-After": retry_after} if retry_after else {}
    response = Response(request.url, status=status, headers=headers, request=request)
    started = time.monotonic()
    result = asyncio.run(mw.process_response(request, response))
    return result, time.monotonic() - started


def test_a_429_is_retried_only_after_the_wait_it_asks_for() -> None:
    mw = _middleware(max_wait=5)
    retry, waited = _answer(mw, 429, "1")
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    assert waited >= 1.0
    assert mw.crawler.stats.get_value("mentionwatch/retry_after/waited") == 1  # type: ignore[union-attr]


def test_a_wait_longer_than_the_maximum_gives_the_request_up() -> None:
    mw = _middleware(max_wait=5)
    response, waited = _answer(mw, 429, "3600")
    assert isinstance(response, Response) and response.status == 429 and waited < 0.5
    assert mw.crawler.stats.get_value("mentionwatch/retry_after/too_long") == 1  # type: ignore[union-attr]


def test_without_retry_after_it_retries_at_once_like_scrapy() -> None:
    retry, waited = _answer(_middleware(max_wait=5), 503, None)
    assert isinstance(retry, Request) and waited < 0.5
    ok, _ = _answer(_middleware(max_wait=5), 200, "30")
    assert isinstance(ok, Response) and ok.status == 200
