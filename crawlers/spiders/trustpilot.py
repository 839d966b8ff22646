"""Trustpilot: a company's review pages, the first 10 (what logged-out visitors see)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from crawlers.extract.trustpilot import BASE_URL, extract_reviews, next_page, review_url
from crawlers.spiders.paged import ApiSource, PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand

__all__ = ["TrustpilotSource", "TrustpilotSpider"]


class TrustpilotSpider(PagedSpider["TrustpilotSource"]):
    name = "trustpilot"
    next_page = staticmethod(next_page)
    obey_robots = True  # review pages are web pages

    def first_urls(self, brand: Brand, source: TrustpilotSource) -> list[str]:
        return [review_url(source.url or BASE_URL, source.company)]

    def extract(self, response: Response, brand: Brand, source: TrustpilotSource,
                on_error: OnError) -> Iterator[Mention]:
        return extract_reviews(response.body, response.url, brand=brand.name, on_error=on_error)


class TrustpilotSource(ApiSource):
    """A company's reviews, by the domain Trustpilot files it under."""

    type: Literal["trustpilot"]
    company: str = Field(pattern=r"^[\w.-]+$")
    spider: ClassVar[type[TrustpilotSpider]] = TrustpilotSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.company)
