"""Google Play: an app's newest reviews through the store's undocumented RPC.

Fragile by nature (see crawlers/extract/googleplay.py): a response not shaped as recorded
is counted as `mentionwatch/unreadable/googleplay_format` and logged as an error, so a
format change shows in every crawl's summary instead of looking like silence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from crawlers.extract.googleplay import (
    BASE_URL,
    PlayFormatChanged,
    extract_reviews,
    next_token,
    request_body,
    rpc_url,
)
from crawlers.spiders.paged import ApiSource, PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    import scrapy
    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand

__all__ = ["GooglePlaySource", "GooglePlaySpider"]


class GooglePlaySpider(PagedSpider["GooglePlaySource"]):
    name = "googleplay"

    def first_urls(self, brand: Brand, source: GooglePlaySource) -> list[str]:
        return [rpc_url(source.url or BASE_URL, source.lang, source.country)]

    def page_request(self, url: str, brand: Brand, source: GooglePlaySource, page: int,
                     **options: Any) -> scrapy.Request:
        # Pages differ only by a token in the POST body. It rides in the URL's fragment,
        # which is never sent, so the shared paging can carry it from page to page.
        token = url.partition("#")[2] or None
        return super().page_request(
            url, brand, source, page, method="POST", body=request_body(source.app_id, token),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            **options)

    def extract(self, response: Response, brand: Brand, source: GooglePlaySource,
                on_error: OnError) -> Iterator[Mention]:
        try:
            return extract_reviews(response.body, response.url, app_id=source.app_id,
                                   lang=source.lang, brand=brand.name)
        except PlayFormatChanged as exc:
            on_error("googleplay_format", str(exc))
            self.logger.error("Google Play changed its review format: %s", exc)
            return iter(())

    def next_url(self, response: Response) -> str | None:
        try:
            token = next_token(response.body, response.url)
        except PlayFormatChanged:
            return None  # already counted and logged by `extract`
        return f"{response.url.partition('#')[0]}#{token}" if token else None


class GooglePlaySource(ApiSource):
    """An app's reviews in one country and language."""

    type: Literal["googleplay"]
    app_id: str = Field(pattern=r"^[\w.]+$")
    country: str = Field(default="us", pattern=r"^[a-z]{2}$")
    lang: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    spider: ClassVar[type[GooglePlaySpider]] = GooglePlaySpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.app_id, self.country)
