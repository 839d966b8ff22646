"""Bluesky posts from an account's public feed (`app.bsky.feed.getAuthorFeed` on the public
AppView; search needs an account since 2025), paged with `cursor`.

A post is known by its `at://` uri; a repost (`reason` of type `reasonRepost`) carries the
original post, which is what is kept. Follower counts need another call and are not fetched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import as_int, build_each, items_at, load_json, with_params
from crawlers.extract.language import detect_lang
from index.record import Author, Engagement, Mention, mention_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["BASE_URL", "SOURCE", "extract_feed", "feed_url", "next_page"]

SOURCE = "bluesky"
BASE_URL = "https://public.api.bsky.app"
_APP = "https://bsky.app"
_PAGE_SIZE = 100  # the API's largest page


def feed_url(base: str, actor: str) -> str:
    return with_params(f"{base.rstrip('/')}/xrpc/app.bsky.feed.getAuthorFeed", actor=actor,
                       limit=_PAGE_SIZE)


def extract_feed(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention]:
    """Each post of the feed naming the brand, reposts as the original post."""
    items = items_at(load_json(body, url, on_error), ("feed",), url, on_error)
    collected = collected_at or datetime.now(UTC)

    def build(item: dict[str, Any]) -> Mention | None:
        post = item["post"]
        record = post["record"]
        text = (record.get("text") or "").strip()
        terms = brand.match(text)
        if not terms:
            return None
        author = post["author"]
        handle = author.get("handle") or author["did"]
        profile = f"{_APP}/profile/{quote(handle)}"
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
        langs = record.get("langs") or [None]
        return Mention.create(
            source=SOURCE,
            native_id=post["uri"],
            kind="comment" if parent else "post",
            url=f"{profile}/post/{post['uri'].rsplit('/', 1)[-1]}",
            text=text,
            author=Author(name=author.get("displayName") or handle, handle=f"@{handle}",
                          url=profile),
            published_at=parse_date(record.get("createdAt")),
            collected_at=collected,
            lang=detect_lang(text, langs[0]),
            parent_id=mention_id(SOURCE, parent) if parent else None,
            engagement=Engagement(likes=as_int(post.get("likeCount")),
                                  replies=as_int(post.get("replyCount")),
                                  reposts=as_int(post.get("repostCount"))),
            brand=brand.name,
            matched_terms=terms,
        )

    return build_each(items, url, build, on_error)


def next_page(body: bytes, url: str) -> str | None:
    """The same feed from `cursor`; None when the page has no cursor or no posts."""
    data = load_json(body, url, on_error=lambda *_: None)
    if not isinstance(data, dict) or not data.get("feed"):
        return None
    cursor = data.get("cursor")
    return with_params(url, cursor=cursor) if isinstance(cursor, str) and cursor else None
