"""Mastodon: a server's public timeline of a hashtag, statuses naming a brand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.extract.mastodon import extract_statuses, next_page, tag_url
from crawlers.spiders.paged import PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand, Source

__all__ = ["MastodonSpider"]


class MastodonSpider(PagedSpider):
    name = "mastodon"

    def first_urls(self, brand: Brand, source: Source) -> list[str]:
        assert source.instance and source.tag  # the watchlist requires both
        return [tag_url(source.instance, source.tag)]

    def extract(self, response: Response, brand: Brand, source: Source,
                on_error: OnError) -> Iterator[Mention]:
        return extract_statuses(response.body, response.url, brand, on_error=on_error)

    def next_url(self, response: Response) -> str | None:
        link = response.headers.get("Link")
        return next_page(response.body, response.url, link.decode("latin-1") if link else None)
