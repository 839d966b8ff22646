"""Reddit: a search, a subreddit's new posts and comments, or a search in a subreddit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from crawlers.extract.reddit import (
    BASE_URL,
    THINGS_PER_REQUEST,
    extract_listing,
    listing_urls,
    next_page,
    things_url,
    user_comments_url,
)
from crawlers.spiders.paged import ApiSource, PagedSpider

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from crawlers.spiders.paged import Found
    from index.watchlist import Brand

__all__ = ["RedditSource", "RedditSpider"]


class RedditSpider(PagedSpider["RedditSource"]):
    name = "reddit"
    next_page = staticmethod(next_page)
    parents_per_request = THINGS_PER_REQUEST

    def first_urls(self, brand: Brand, source: RedditSource) -> list[str]:
        return listing_urls(source.url or BASE_URL, source.query, source.subreddit)

    def extract(self, response: Response, brand: Brand, source: RedditSource,
                on_error: OnError) -> Iterator[Found]:
        # A subreddit's own listing is about the brand as a whole; a search is checked.
        return extract_listing(response.body, response.url, brand,
                               match=source.query is not None, on_error=on_error)

    def account_urls(self, brand: Brand, source: RedditSource) -> list[str]:
        return [user_comments_url(source.url or BASE_URL, name) for name in brand.accounts.reddit]

    def parent_url(self, parents: Sequence[str], source: RedditSource) -> str:
        return things_url(source.url or BASE_URL, parents)


class RedditSource(ApiSource):
    """A search (`query`), a subreddit's new posts and comments (`subreddit`), or both: a
    search in a subreddit."""

    type: Literal["reddit"]
    needs_one_of = ("query", "subreddit")
    query: str | None = Field(default=None, min_length=1)
    subreddit: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{2,21}$")
    spider: ClassVar[type[RedditSpider]] = RedditSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.subreddit and f"r/{self.subreddit}",
                self.query and f"q={self.query}")
