from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.addresses import is_public_address
from crawlers.middlewares import PrivateAddressMiddleware


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


def test_loopback_urls_are_refused_and_counted() -> None:
    crawler = get_crawler(settings_dict={"MENTIONWATCH_ALLOW_PRIVATE_ADDRESSES": False})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    mw = PrivateAddressMiddleware.from_crawler(crawler)
    for url in ("http://127.0.0.1:8765/", "http://localhost/x", "http://[::1]/"):
        with pytest.raises(IgnoreRequest, match="private or loopback"):
            asyncio.run(mw.process_request(Request(url)))
    assert crawler.stats.get_value("mentionwatch/refused/private_address") == 3  # type: ignore[union-attr]


def test_switched_off_by_the_test_setting() -> None:
    crawler = get_crawler(settings_dict={"MENTIONWATCH_ALLOW_PRIVATE_ADDRESSES": True})
    with pytest.raises(NotConfigured):
        PrivateAddressMiddleware.from_crawler(crawler)
