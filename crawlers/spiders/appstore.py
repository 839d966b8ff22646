"""Apple App Store: an app's most recent reviews in one country, feed pages 1 to 10."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.extract.appstore import BASE_URL, extract_reviews, feed_url, next_page
from crawlers.spiders.paged import PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand, Source

__all__ = ["AppStoreSpider"]


class AppStoreSpider(PagedSpider):
    name = "appstore"
    next_page = staticmethod(next_page)

    def first_urls(self, brand: Brand, source: Source) -> list[str]:
        assert source.app_id  # the watchlist requires it
        return [feed_url(source.url or BASE_URL, source.app_id, source.country)]

    def extract(self, response: Response, brand: Brand, source: Source,
                on_error: OnError) -> Iterator[Mention]:
        assert source.app_id
        return extract_reviews(response.body, response.url, app_id=source.app_id,
                               country=source.country, brand=brand.name, on_error=on_error)
