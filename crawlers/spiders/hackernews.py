"""Hacker News stories and comments naming a brand, via the Algolia search API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from crawlers.extract.hackernews import (
    BASE_URL,
    author_url,
    extract_hits,
    extract_item,
    item_url,
    next_page,
    search_url,
)
from crawlers.spiders.paged import ApiSource, PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from crawlers.spiders.paged import Found
    from index.watchlist import Brand

__all__ = ["HackerNewsSource", "HackerNewsSpider"]


class HackerNewsSpider(PagedSpider["HackerNewsSource"]):
    name = "hackernews"
    next_page = staticmethod(next_page)

    def first_urls(self, brand: Brand, source: HackerNewsSource) -> list[str]:
        # Only what is newer than the last crawl's newest hit (the search is ordered by
        # time), or in a backfill, than `since`; paging back keeps that filter.
        after = self.since or self.high_water(brand, source)
        return [search_url(source.url or BASE_URL, source.query or brand.name,
                           since=int(after.timestamp()) - 1 if after else None)]

    def extract(self, response: Response, brand: Brand, source: HackerNewsSource,
                on_error: OnError) -> Iterator[Found]:
        return extract_hits(response.body, response.url, brand, on_error=on_error)

    def account_urls(self, brand: Brand, source: HackerNewsSource) -> list[str]:
        return [author_url(source.url or BASE_URL, name) for name in brand.accounts.hackernews]

    def parent_url(self, parents: Sequence[str], source: HackerNewsSource) -> str:
        [parent] = parents  # one item per request
        return item_url(source.url or BASE_URL, parent)

    def extract_parent(self, response: Response, brand: Brand, source: HackerNewsSource,
                       on_error: OnError) -> Iterator[Found]:
        return extract_item(response.body, response.url, brand, on_error=on_error)


class HackerNewsSource(ApiSource):
    """Stories and comments found by `query`, the brand's name when not given."""

    type: Literal["hackernews"]
    query: str | None = Field(default=None, min_length=1)
    spider: ClassVar[type[HackerNewsSpider]] = HackerNewsSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.query and f"q={self.query}")
