"""Trustpilot: a company's review pages, the first 10 (what logged-out visitors see)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.extract.trustpilot import BASE_URL, extract_reviews, next_page, review_url
from crawlers.spiders.paged import PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand, Source

__all__ = ["TrustpilotSpider"]


class TrustpilotSpider(PagedSpider):
    name = "trustpilot"
    next_page = staticmethod(next_page)
    obey_robots = True  # review pages are web pages

    def first_urls(self, brand: Brand, source: Source) -> list[str]:
        assert source.company  # the watchlist requires it
        return [review_url(source.url or BASE_URL, source.company)]

    def extract(self, response: Response, brand: Brand, source: Source,
                on_error: OnError) -> Iterator[Mention]:
        return extract_reviews(response.body, response.url, brand=brand.name, on_error=on_error)
