from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, ip_address
from typing import TYPE_CHECKING

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.resolver import dnscache
from scrapy.utils.test import get_crawler
from twisted.internet.testing import MemoryReactorClock

from crawlers.addresses import is_public_address
from crawlers.middlewares import AddressGuardMiddleware
from crawlers.resolver import GuardedResolver, RefusedAddress

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure


@pytest.mark.parametrize(
    ("address", "public"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.10", False), ("169.254.1.1", False),
     ("::1", False), ("fe80::1", False), ("0.0.0.0", False), ("93.184.216.34", True),
     ("2606:4700::1111", True), ("100.64.0.1", False), ("::ffff:127.0.0.1", False),
     ("2002:7f00:1::", False), ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
     ("64:ff9b::7f00:1", False), ("64:ff9b::a00:1", False), ("224.0.0.1", False),
     ("64:ff9b::808:808", True), ("2002:808:808::1", True)],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def _guard(*, allow_loopback: bool,
           private_hosts: str = "") -> tuple[AddressGuardMiddleware, StatsCollector]:
    crawler = get_crawler(settings_dict={"MENTIONWATCH_ALLOW_LOOPBACK": allow_loopback,
                                         "MENTIONWATCH_PRIVATE_HOSTS": private_hosts})
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return AddressGuardMiddleware.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/plain,hi", "ftp://127.0.0.1/x",
                                 "s3://bucket/key", "gopher://127.0.0.1:70/"])
def test_only_http_and_https_are_requested_even_with_loopback_allowed(url: str) -> None:
    guard, stats = _guard(allow_loopback=True)
    with pytest.raises(IgnoreRequest, match="must be an http or https URL"):
        asyncio.run(guard.process_request(Request(url)))
    assert stats.get_value("mentionwatch/refused/scheme") == 1


@pytest.mark.parametrize(("url", "allow_loopback", "reason"), [
    ("http://127.0.0.1:8765/", False, "private_address"),
    ("http://[::1]/", False, "private_address"),
    ("http://100.64.0.1/", True, "private_address"),  # loopback only: private stays refused
    ("http://10.1.2.3/", True, "private_address"),
    ("http://[::ffff:10.0.0.1]/", True, "private_address"),
    ("http://a..b/", True, "host"),
])
def test_private_addresses_and_bad_hosts_are_refused_and_counted(
        url: str, allow_loopback: bool, reason: str) -> None:
    guard, stats = _guard(allow_loopback=allow_loopback)
    with pytest.raises(IgnoreRequest):
        asyncio.run(guard.process_request(Request(url)))
    assert stats.get_value(f"mentionwatch/refused/{reason}") == 1


def test_loopback_is_allowed_by_the_test_setting() -> None:
    guard, _ = _guard(allow_loopback=True)
    for url in ("http://127.0.0.1:8765/", "http://[::1]/"):
        assert asyncio.run(guard.process_request(Request(url))) is None


def test_a_response_from_a_private_peer_is_dropped() -> None:
    guard, stats = _guard(allow_loopback=True)
    request = Request("http://shop.example/")
    good = HtmlResponse(request.url, request=request, ip_address=IPv4Address("127.0.0.1"))
    assert guard.process_response(request, good) is good
    rebound = HtmlResponse(request.url, request=request, ip_address=IPv4Address("10.0.0.7"))
    with pytest.raises(IgnoreRequest, match=r"answered from 10\.0\.0\.7"):
        guard.process_response(request, rebound)
    assert stats.get_value("mentionwatch/refused/private_address") == 1


def test_only_the_listed_private_hosts_pass_and_only_on_their_port() -> None:
    guard, stats = _guard(allow_loopback=False, private_hosts="10.0.0.5:8000, [::1]")
    for url, address in (("http://10.0.0.5:8000/v1/chat/completions", "10.0.0.5"),
                         ("http://[::1]:9/", "::1")):
        request = Request(url)
        assert asyncio.run(guard.process_request(request)) is None
        peer = HtmlResponse(url, request=request, ip_address=ip_address(address))
        assert guard.process_response(request, peer) is peer
    # Another port, a neighbour (where a listed host may redirect to), loopback not listed.
    for url in ("http://10.0.0.5:8001/", "http://10.0.0.6:8000/", "http://127.0.0.1:8000/"):
        with pytest.raises(IgnoreRequest, match="non-global"):
            asyncio.run(guard.process_request(Request(url)))
    assert stats.get_value("mentionwatch/refused/private_address") == 3
    request = Request("http://shop.example:8000/")  # answered from the listed host's address
    with pytest.raises(IgnoreRequest, match=r"answered from 10\.0\.0\.5"):
        guard.process_response(request, HtmlResponse(request.url, request=request,
                                                     ip_address=IPv4Address("10.0.0.5")))


def test_a_download_cut_at_the_size_cap_is_counted() -> None:
    guard, stats = _guard(allow_loopback=False)
    with pytest.raises(IgnoreRequest):
        guard.process_exception(Request("http://shop.example/big"), DownloadCancelledError())
    assert stats.get_value("mentionwatch/refused/too_large") == 1


def test_the_resolver_refuses_a_private_answer_even_from_its_cache() -> None:
    # A name whose answer changed to a private address since it was last checked.
    dnscache["rebound.example"] = "10.0.0.7"
    dnscache["loopback.example"] = "127.0.0.1"
    dnscache["public.example"] = "93.184.216.34"
    resolver = GuardedResolver(MemoryReactorClock(), cache_size=10000, timeout=1.0)
    failures: list[Failure] = []
    resolver.getHostByName("rebound.example").addErrback(failures.append)
    resolver.getHostByName("loopback.example").addErrback(failures.append)
    assert [f.check(RefusedAddress) for f in failures] == [RefusedAddress, RefusedAddress]
    assert "resolves to 10.0.0.7" in str(failures[0].value)
    answers: list[str] = []
    resolver.getHostByName("public.example").addCallback(answers.append)
    resolver.allow_loopback = True
    resolver.getHostByName("loopback.example").addCallback(answers.append)
    assert answers == ["93.184.216.34", "127.0.0.1"]


def test_the_resolver_answers_a_listed_name_with_its_private_address() -> None:
    dnscache["gpu-box.lan"] = "10.0.0.7"
    dnscache["other-box.lan"] = "10.0.0.8"
    crawler = get_crawler(settings_dict={"MENTIONWATCH_PRIVATE_HOSTS": "GPU-box.lan:8080"})
    resolver = GuardedResolver.from_crawler(crawler, MemoryReactorClock())
    answers: list[str] = []
    failures: list[Failure] = []
    resolver.getHostByName("gpu-box.lan").addCallback(answers.append)
    resolver.getHostByName("other-box.lan").addErrback(failures.append)
    assert answers == ["10.0.0.7"]
    assert [f.check(RefusedAddress) for f in failures] == [RefusedAddress]
