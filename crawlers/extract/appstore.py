"""Apple App Store customer reviews from the public RSS feed in its JSON form
(`/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json`).

Every value is wrapped as `{"label": ...}`; a page with one review has `entry` as an
object, not a list; the feed stops at page 10 (500 reviews) per country. An entry carries
the review only (id, author, title, content, rating, app version, votes), never the
developer's response, so App Store reviews have no `brand_replies`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import as_int, build_each, load_json, warn
from crawlers.extract.language import detect_lang
from crawlers.extract.rating import infer_rating
from index.record import Author, Engagement, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawlers.extract.jsonapi import OnError

__all__ = ["BASE_URL", "LAST_PAGE", "SOURCE", "extract_reviews", "feed_url", "next_page"]

SOURCE = "appstore"
BASE_URL = "https://itunes.apple.com"
LAST_PAGE = 10
_PAGE = re.compile(r"/page=(\d+)/")


def feed_url(base: str, app_id: str, country: str, page: int = 1) -> str:
    return (f"{base.rstrip('/')}/{country}/rss/customerreviews/page={page}/id={app_id}"
            "/sortby=mostrecent/json")


def _label(node: Any, key: str) -> Any:
    value = node.get(key)
    return value.get("label") if isinstance(value, dict) else None


def extract_reviews(
    body: bytes, url: str, *, app_id: str, country: str, brand: str | None = None,
    collected_at: datetime | None = None, on_error: OnError | None = None,
) -> Iterator[Mention]:
    """Each review with text on a feed page; the app's own entry (no rating) is skipped.
    A page past the last review has a feed without entries: nothing, and no error."""
    report = on_error or warn
    data = load_json(body, url, report)
    feed = data.get("feed") if isinstance(data, dict) else None
    entries = feed.get("entry", []) if isinstance(feed, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        if data is not None:
            report("shape", f"{url}: no feed.entry")
        entries = []
    collected = collected_at or datetime.now(UTC)

    def build(entry: dict[str, Any]) -> Mention | None:
        if "im:rating" not in entry:  # older feeds open with the app's own entry
            return None
        rating = infer_rating(_label(entry, "im:rating"), 5, 1)
        if rating is None:
            raise ValueError(f"unreadable rating {_label(entry, 'im:rating')!r}")
        text = (_label(entry, "content") or "").strip()
        if not text:
            return None
        title = (_label(entry, "title") or "").strip() or None
        author = entry.get("author") or {}
        return Mention.create(
            source=SOURCE,
            native_id=_label(entry, "id"),
            kind="review",
            url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",
            text=text,
            author=Author(name=_label(author, "name") or "", url=_label(author, "uri")),
            published_at=parse_date(_label(entry, "updated")),
            collected_at=collected,
            title=title,
            lang=detect_lang(f"{title or ''}\n{text}"),
            rating=rating,
            # "im:voteSum" counts the readers who found the review helpful.
            engagement=Engagement(likes=as_int(_label(entry, "im:voteSum"))),
            brand=brand,
        )

    return build_each(entries, url, build, report)


def next_page(body: bytes, url: str) -> str | None:
    """The next of pages 1..10, while this page had entries."""
    data = load_json(body, url, on_error=lambda *_: None)
    found = _PAGE.search(url)
    has_entries = isinstance(data, dict) and bool(data.get("feed", {}).get("entry"))
    if not found or not has_entries or int(found[1]) >= LAST_PAGE:
        return None
    return _PAGE.sub(f"/page={int(found[1]) + 1}/", url, count=1)
