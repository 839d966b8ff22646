"""Bluesky: an account's public posts and reposts that name a brand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.extract.bluesky import BASE_URL, extract_feed, feed_url, next_page
from crawlers.spiders.paged import PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand, Source

__all__ = ["BlueskySpider"]


class BlueskySpider(PagedSpider):
    name = "bluesky"
    next_page = staticmethod(next_page)

    def first_urls(self, brand: Brand, source: Source) -> list[str]:
        assert source.actor  # the watchlist requires it
        return [feed_url(source.url or BASE_URL, source.actor)]

    def extract(self, response: Response, brand: Brand, source: Source,
                on_error: OnError) -> Iterator[Mention]:
        return extract_feed(response.body, response.url, brand, on_error=on_error)
