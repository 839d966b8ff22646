"""Reddit: a search, a subreddit's new posts and comments, or a search in a subreddit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.extract.reddit import BASE_URL, extract_listing, listing_urls, next_page
from crawlers.spiders.paged import PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand, Source

__all__ = ["RedditSpider"]


class RedditSpider(PagedSpider):
    name = "reddit"
    next_page = staticmethod(next_page)

    def first_urls(self, brand: Brand, source: Source) -> list[str]:
        return listing_urls(source.url or BASE_URL, source.query, source.subreddit)

    def extract(self, response: Response, brand: Brand, source: Source,
                on_error: OnError) -> Iterator[Mention]:
        # A subreddit's own listing is about the brand as a whole; a search is checked.
        return extract_listing(response.body, response.url, brand,
                               match=source.query is not None, on_error=on_error)
