"""Hacker News stories and comments from the Algolia search API (`/api/v1/search_by_date`).

The API returns about 1,000 hits per query at most, so pages go back in time: each next
page asks for hits at or before the oldest one seen (`numericFilters=created_at_i<=T`).

A comment by one of the brand's accounts is its reply to the story or comment it answers
(`parent_id`), not a mention; that parent is read from `/api/v1/items/{id}` when the crawl did
not find it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from crawlers.extract.accounts import AccountReply, account_reply
from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import (
    as_int,
    build_each,
    items_at,
    load_json,
    warn,
    with_params,
)
from crawlers.extract.language import detect_lang
from crawlers.extract.markup import html_to_text
from index.record import Author, Engagement, Mention, mention_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["BASE_URL", "SOURCE", "author_url", "extract_hits", "extract_item", "item_url",
           "next_page", "search_url"]

SOURCE = "hackernews"
BASE_URL = "https://hn.algolia.com"
_SITE = "https://news.ycombinator.com"
_PAGE_SIZE = 100
_UNTIL = "created_at_i<="


def search_url(base: str, query: str, since: int | None = None) -> str:
    """The newest stories and comments matching `query`, after `since` (epoch seconds)."""
    url = f"{base.rstrip('/')}/api/v1/search_by_date"
    return with_params(url, query=query, tags="(story,comment)", hitsPerPage=_PAGE_SIZE,
                       numericFilters=f"created_at_i>{since}" if since is not None else None)


def author_url(base: str, author: str) -> str:
    """The newest comments of one user."""
    return with_params(f"{base.rstrip('/')}/api/v1/search_by_date",
                       tags=f"comment,author_{author.strip()}", hitsPerPage=_PAGE_SIZE)


def item_url(base: str, item_id: str) -> str:
    """One story or comment by its id (with its replies, which are not read)."""
    return f"{base.rstrip('/')}/api/v1/items/{item_id}"


def extract_hits(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """Each story or comment naming the brand (Algolia also matches on word prefixes and
    the story title of a comment, so hits are checked again), and the brand's accounts'
    replies."""
    hits = items_at(load_json(body, url, on_error), ("hits",), url, on_error)
    collected = collected_at or datetime.now(UTC)
    return build_each(hits, url, lambda hit: _build(hit, brand, collected), on_error)


def extract_item(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """The story or comment of an `/api/v1/items/{id}` answer, as `extract_hits` reads a hit
    (an item spells the hit's fields its own way)."""
    item = load_json(body, url, on_error)
    if not isinstance(item, dict):
        if item is not None:
            (on_error or warn)("shape", f"{url}: not an item")
        return iter(())
    kind = item.get("type")
    hit = {**item, "objectID": item.get("id"), "_tags": [kind],
           "comment_text" if kind == "comment" else "story_text": item.get("text")}
    collected = collected_at or datetime.now(UTC)
    return build_each([hit], url, lambda one: _build(one, brand, collected), on_error)


def _build(hit: dict[str, Any], brand: Brand, collected: datetime
           ) -> Mention | AccountReply | None:
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags
    if is_comment:
        title, text = None, html_to_text(hit.get("comment_text") or "")
        engagement = Engagement(score=as_int(hit.get("points")))
    else:
        title = html_to_text(hit.get("title") or "") or None
        text = html_to_text(hit.get("story_text") or "") or title or ""
        engagement = Engagement(score=as_int(hit.get("points")),
                                replies=as_int(hit.get("num_comments")))
    author = hit.get("author") or ""
    parent = hit.get("parent_id") if is_comment else None
    url = f"{_SITE}/item?id={hit['objectID']}"
    published_at = parse_date(hit.get("created_at_i")) or parse_date(hit.get("created_at"))
    if parent and text and brand.accounts.owns(SOURCE, author):
        return account_reply(SOURCE, str(hit["objectID"]), brand, parent=str(parent),
                             text=text, author=author, url=url, published_at=published_at)
    terms = brand.match(f"{title or ''}\n{text}")
    if not terms:
        return None
    return Mention.create(
        source=SOURCE,
        native_id=str(hit["objectID"]),
        kind="comment" if is_comment else "post",
        url=url,
        text=text,
        author=Author(name=author, handle=author or None,
                      url=f"{_SITE}/user?id={author}" if author else None),
        published_at=published_at,
        collected_at=collected,
        title=title,
        lang=detect_lang(f"{title or ''}\n{text}"),
        parent_id=mention_id(SOURCE, str(parent)) if parent else None,
        engagement=engagement,
        brand=brand.name,
        matched_terms=terms,
    )


def next_page(body: bytes, url: str) -> str | None:
    """The same search for hits at or before the oldest on this page; None on the last page.
    `<=`, not `<`, so hits sharing the boundary second are not lost (the repeats are
    deduplicated); a page whose hits all share one second cannot move on and ends it."""
    data = load_json(body, url, on_error=lambda *_: None)
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        return None
    hits = data["hits"]
    times = [t for h in hits if isinstance(h, dict) and (t := as_int(h.get("created_at_i")))]
    per_page = as_int(data.get("hitsPerPage")) or _PAGE_SIZE
    if not times or len(hits) < per_page:
        return None
    filters = parse_qs(urlsplit(url).query).get("numericFilters", [""])[0]
    kept = [f for f in filters.split(",") if f and not f.startswith(_UNTIL)]
    following = with_params(url, numericFilters=",".join([*kept, f"{_UNTIL}{min(times)}"]))
    return None if following == url else following
