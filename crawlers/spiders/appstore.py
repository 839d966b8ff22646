"""Apple App Store: an app's most recent reviews in one country, feed pages 1 to 10."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from crawlers.extract.appstore import BASE_URL, extract_reviews, feed_url, next_page
from crawlers.spiders.paged import ApiSource, PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand

__all__ = ["AppStoreSource", "AppStoreSpider"]


class AppStoreSpider(PagedSpider["AppStoreSource"]):
    name = "appstore"
    next_page = staticmethod(next_page)

    def first_urls(self, brand: Brand, source: AppStoreSource) -> list[str]:
        return [feed_url(source.url or BASE_URL, source.app_id, source.country)]

    def extract(self, response: Response, brand: Brand, source: AppStoreSource,
                on_error: OnError) -> Iterator[Mention]:
        return extract_reviews(response.body, response.url, app_id=source.app_id,
                               country=source.country, brand=brand.name, on_error=on_error)


class AppStoreSource(ApiSource):
    """An app's reviews in one country's store."""

    type: Literal["appstore"]
    app_id: str = Field(pattern=r"^[\w.]+$")
    country: str = Field(default="us", pattern=r"^[a-z]{2}$")
    spider: ClassVar[type[AppStoreSpider]] = AppStoreSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.app_id, self.country)
