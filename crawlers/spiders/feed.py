"""RSS and Atom news feeds: keeps the entries that name a watched brand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.extract.feed import extract_entries
from index.record import Mention
from index.watchlist import Brand

__all__ = ["FeedSpider"]


class FeedSpider(scrapy.Spider):
    name = "feed"

    def __init__(self, urls: Sequence[str] = (), brands: Sequence[Brand] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls)
        self.asked = self.urls
        self.brands = list(brands)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url)

    def parse(self, response: Response) -> Iterator[Mention]:
        yield from extract_entries(response.body, response.url, self.brands)
