"""Downloader middlewares: keep the crawler off private networks, honour Retry-After.

A watchlist URL that resolves to a loopback, private or link-local address could make the
crawler probe the machine it runs on or its network; such requests are refused unless
MENTIONWATCH_ALLOW_PRIVATE_ADDRESSES is on (tests and the loopback demo set it).

A 429 or 503 that says when to come back (`Retry-After`) is retried no sooner than that;
Scrapy's own retry would ask again at once, which rate-limited APIs (Reddit, Mastodon)
punish.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawlers.addresses import is_public_address

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

__all__ = ["PrivateAddressMiddleware", "RetryAfterMiddleware", "retry_after_seconds"]

_log = logging.getLogger(__name__)


class PrivateAddressMiddleware:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self._verdicts: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        if crawler.settings.getbool("MENTIONWATCH_ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(crawler.stats)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = await self._resolves_public(host)
        if not self._verdicts[host]:
            self.stats.inc_value("mentionwatch/refused/private_address")
            raise IgnoreRequest(f"{host} resolves to a private or loopback address: {request.url}")

    @staticmethod
    async def _resolves_public(host: str) -> bool:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except socket.gaierror:
            return True  # unresolvable: let the downloader report the DNS error itself
        return all(is_public_address(str(info[4][0])) for info in infos)


def retry_after_seconds(value: str | bytes | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (never
    negative); None when absent or unreadable."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not value or not (text := value.strip()):
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, but a response with `Retry-After` is retried only after that wait.
    A wait longer than MENTIONWATCH_RETRY_AFTER_MAX seconds is not worth holding a crawl
    for: that request is given up, counted and logged."""

    max_wait: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.max_wait = crawler.settings.getfloat("MENTIONWATCH_RETRY_AFTER_MAX")
        return middleware

    # Async, which Scrapy awaits; without the `spider` argument it deprecates.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        wait = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
        retries_left = request.meta.get("retry_times", 0) < request.meta.get(
            "max_retry_times", self.max_retry_times)
        if (wait is None or response.status not in self.retry_http_codes or not retries_left
                or request.meta.get("dont_retry", False)):
            return super().process_response(request, response)
        stats = self.crawler.stats
        assert stats is not None
        if wait > self.max_wait:
            stats.inc_value("mentionwatch/retry_after/too_long")
            _log.warning("giving up %s: Retry-After %.0fs exceeds %.0fs", request.url, wait,
                         self.max_wait)
            return response
        stats.inc_value("mentionwatch/retry_after/waited")
        await asyncio.sleep(wait)
        return super().process_response(request, response)
