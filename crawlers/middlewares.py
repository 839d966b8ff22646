"""Downloader middlewares: keep the crawler to public http(s) sites, honour Retry-After.

A watched site is untrusted: its links, redirects, sitemaps and robots.txt could point the
crawler at local files (`file:`), its own machine (loopback) or its network (private
ranges, cloud metadata services). Every request, whatever it came from, passes the address
guard first; the resolver (crawlers/resolver.py) vets the address each connection uses.

A 429 or 503 that says when to come back (`Retry-After`) is retried no sooner than that;
Scrapy's own retry would ask again at once, which rate-limited APIs (Reddit, Mastodon)
punish.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, NoReturn, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawlers.addresses import (
    PrivateHosts,
    UnsafeURL,
    check_url,
    is_allowed_address,
    url_port,
)
from crawlers.resolver import RefusedAddress

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

__all__ = ["AddressGuardMiddleware", "RetryAfterMiddleware", "retry_after_seconds"]

_log = logging.getLogger(__name__)


class AddressGuardMiddleware:
    """Refuses, before any connection, a request for anything but an http(s) URL of a host
    whose address is global (or loopback, with MENTIONWATCH_ALLOW_LOOPBACK: tests and the
    demo) or that MENTIONWATCH_PRIVATE_HOSTS lists (on its port). Each refusal is counted
    (`mentionwatch/refused/<reason>`: `scheme`, `host`, `private_address`) and logged with
    its URL. A response from a peer that is not allowed (a name that changed its answer,
    under a resolver other than ours) is dropped too, and a response over DOWNLOAD_MAXSIZE,
    which Scrapy cancels, is counted (`refused/too_large`)."""

    def __init__(self, stats: StatsCollector, *, allow_loopback: bool,
                 private_hosts: PrivateHosts) -> None:
        self.stats = stats
        self.allow_loopback = allow_loopback
        self.private_hosts = private_hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(crawler.stats, allow_loopback=settings.getbool("MENTIONWATCH_ALLOW_LOOPBACK"),
                   private_hosts=PrivateHosts.parse(settings.get("MENTIONWATCH_PRIVATE_HOSTS")))

    async def process_request(self, request: Request) -> None:
        try:
            host = check_url(request.url, allow_loopback=self.allow_loopback,
                             private_hosts=self.private_hosts)
            await self._check_resolved(host, request)
        except UnsafeURL as exc:
            self._refuse(exc.reason, str(exc))

    def _allows(self, address: str, request: Request) -> bool:
        """Whether the request's host may be reached at `address`, by the one rule
        (crawlers/addresses.py): a listed private host only on the port it is listed with."""
        return is_allowed_address(address, allow_loopback=self.allow_loopback,
                                  host=urlparse_cached(request).hostname,
                                  port=url_port(request.url), private_hosts=self.private_hosts)

    async def _check_resolved(self, host: str, request: Request) -> None:
        """Refuses a host name whose address is not allowed. The resolver's cache keeps the
        answer, so the connection uses this very answer (and our resolver vets it again)."""
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
            return  # an address: check_url judged it
        except ValueError:
            pass
        from twisted.internet import reactor

        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except RefusedAddress:
            address = None
        except DNSLookupError:
            return  # unresolvable: the downloader reports the DNS error itself
        if address is None or not self._allows(address, request):
            raise UnsafeURL(f"{host} resolves to a private, loopback or otherwise non-global "
                            f"address: {request.url!r}")

    def process_response(self, request: Request, response: Response) -> Response:
        peer = response.ip_address
        # Through a proxy the peer is the proxy: the target's address is the proxy's to judge.
        if peer is not None and not request.meta.get("proxy") and not self._allows(
                str(peer), request):
            self._refuse("private_address", f"{request.url} was answered from {peer}, a "
                                            "private, loopback or otherwise non-global address")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Scrapy's HTTP handler cancels a download only when it exceeds DOWNLOAD_MAXSIZE (it
        # has logged that, with the URL); timeouts are another error.
        if isinstance(exception, DownloadCancelledError):
            self.stats.inc_value("mentionwatch/refused/too_large")
            raise IgnoreRequest(f"larger than DOWNLOAD_MAXSIZE: {request.url}")

    def _refuse(self, reason: str, message: str) -> NoReturn:
        self.stats.inc_value(f"mentionwatch/refused/{reason}")
        _log.warning("refused: %s", message)
        raise IgnoreRequest(message)


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
