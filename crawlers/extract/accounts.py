"""Posts by a brand's own accounts (`[brands.accounts]`) that answer another post: the brand's
replies, found in the threads and listings the social extractors read.

Such a post is not a customer's mention of the brand. The extractor makes it an
`AccountReply` instead of a `Mention`; the spider makes sure its parent is crawled (fetching
it when the crawl did not find it), and `crawlers.pipelines.IndexPipeline` stores the reply in
the parent's `brand_replies`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.record import BrandReply, mention_id

if TYPE_CHECKING:
    from datetime import datetime

    from index.watchlist import Brand

__all__ = ["AccountReply", "account_reply"]


@dataclass(frozen=True, slots=True)
class AccountReply:
    """One of `brand`'s accounts answering the post `parent` (its native id on the source).
    `id` is the reply post's own mention id, so a crawl that meets it twice keeps it once;
    `parent_id` is the parent's mention id, None until known (a Mastodon reply names its
    parent by the server's local id, not by the `uri` the mention id is made from)."""

    id: str
    source: str
    brand: str
    parent: str
    parent_id: str | None
    reply: BrandReply

    @property
    def url(self) -> str | None:
        return self.reply.url

    @property
    def published_at(self) -> datetime | None:
        return self.reply.published_at

    def answering(self, parent_id: str) -> AccountReply:
        return replace(self, parent_id=parent_id)


def account_reply(source: str, native_id: str, brand: Brand, *, parent: str, text: str,
                  author: str, url: str, published_at: datetime | None,
                  parent_known: bool = True) -> AccountReply:
    """The post `native_id` by the account `author` (the handle as the network shows it),
    answering `parent`, whose mention id is known unless `parent_known` is False."""
    return AccountReply(
        id=mention_id(source, native_id), source=source, brand=brand.name, parent=parent,
        parent_id=mention_id(source, parent) if parent_known else None,
        reply=BrandReply(text=text, author=author, published_at=published_at, url=url))
