"""The crawler's DNS resolver: Scrapy's caching one, but it never answers with an address the
crawler may not connect to.

Checking a host name before a request is not enough: its DNS answer may change between the
check and the connection (DNS rebinding), and the connection resolves it again. Every
connection of Scrapy's HTTP handler gets its address from the reactor's resolver, so vetting
each answer here means the address connected to is always one that was checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawlers.addresses import NO_PRIVATE_HOSTS, PrivateHosts, is_allowed_address

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

__all__ = ["GuardedResolver", "RefusedAddress"]


class RefusedAddress(DNSLookupError):
    """Raised by `GuardedResolver` for a name whose address is private, loopback or otherwise
    non-global. A lookup error, so a connection using the answer fails as an unknown name."""


class GuardedResolver(CachingThreadedResolver):
    """`TWISTED_DNS_RESOLVER`: refuses answers that are not `is_allowed_address` (loopback is
    allowed with MENTIONWATCH_ALLOW_LOOPBACK, and any address of a name
    MENTIONWATCH_PRIVATE_HOSTS lists: a resolver knows no port, the guard judged the URL's).
    Cached answers are vetted on every use."""

    allow_loopback = False
    private_hosts: PrivateHosts = NO_PRIVATE_HOSTS

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_loopback = crawler.settings.getbool("MENTIONWATCH_ALLOW_LOOPBACK")
        resolver.private_hosts = PrivateHosts.parse(
            crawler.settings.get("MENTIONWATCH_PRIVATE_HOSTS"))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        return super().getHostByName(name, timeout).addCallback(self._vet, name)

    def _vet(self, address: str, name: str) -> str:
        if not is_allowed_address(address, allow_loopback=self.allow_loopback, host=name,
                                  private_hosts=self.private_hosts):
            raise RefusedAddress(name, f"resolves to {address}, a private, loopback or "
                                       "otherwise non-global address")
        return address
