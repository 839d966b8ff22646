"""Mastodon: a server's public timeline of a hashtag, statuses naming a brand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

import scrapy
from pydantic import Field

from crawlers.extract.mastodon import (
    account_id,
    account_statuses_url,
    extract_status,
    extract_statuses,
    lookup_url,
    next_page,
    status_url,
    tag_url,
)
from crawlers.spiders.paged import PagedSpider
from index.watchlist import HttpURL, SourceOptions

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from crawlers.spiders.paged import Found
    from index.watchlist import Brand

__all__ = ["MastodonSource", "MastodonSpider"]


class MastodonSpider(PagedSpider["MastodonSource"]):
    name = "mastodon"

    def first_urls(self, brand: Brand, source: MastodonSource) -> list[str]:
        return [tag_url(source.instance, source.tag)]

    def extract(self, response: Response, brand: Brand, source: MastodonSource,
                on_error: OnError) -> Iterator[Found]:
        return extract_statuses(response.body, response.url, brand, on_error=on_error)

    def account_requests(self, brand: Brand, source: MastodonSource) -> list[scrapy.Request]:
        # An account's statuses are asked for by its local id on the server: looked up first.
        return [scrapy.Request(lookup_url(source.instance, handle), callback=self.parse_account,
                               cb_kwargs={"brand": brand, "source": source})
                for handle in brand.accounts.mastodon]

    def parse_account(self, response: Response, brand: Brand, source: MastodonSource
                      ) -> Iterator[scrapy.Request]:
        if (local := account_id(response.body, response.url)) is None:
            self.count_unreadable("account", f"{response.url}: not an account")
            return
        yield self.page_request(account_statuses_url(source.instance, local), brand, source, 1,
                                replies_only=True)

    def parent_url(self, parents: Sequence[str], source: MastodonSource) -> str:
        # One status per request: its reply knows it only by the server's local id, so the
        # answer must be the one parent asked for.
        [parent] = parents
        return status_url(source.instance, parent)

    def extract_parent(self, response: Response, brand: Brand, source: MastodonSource,
                       on_error: OnError) -> Iterator[Found]:
        return extract_status(response.body, response.url, brand, on_error=on_error)

    def next_url(self, response: Response) -> str | None:
        link = response.headers.get("Link")
        return next_page(response.body, response.url, link.decode("latin-1") if link else None)


class MastodonSource(SourceOptions):
    """A hashtag's public timeline on one server."""

    type: Literal["mastodon"]
    instance: HttpURL  # the server
    tag: str = Field(pattern=r"^\w+$")  # without '#'
    spider: ClassVar[type[MastodonSpider]] = MastodonSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.instance, f"#{self.tag}")
