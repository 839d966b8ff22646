"""RSS and Atom entries that name a watched brand, as article mentions (via feedparser)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import feedparser

from crawlers.extract.dates import parse_date
from crawlers.extract.language import detect_lang
from crawlers.extract.markup import absolute_url, html_to_text
from index.record import Author, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from index.watchlist import Brand

__all__ = ["SOURCE", "extract_entries"]

SOURCE = "feed"

# RSS `<author>` is "email (Name)"; feedparser's own split fails on long TLDs (".example").
_EMAIL_AND_NAME = re.compile(r"\s*\S+@\S+\s+\((?P<name>[^()]+)\)\s*")


def extract_entries(
    body: bytes, url: str, brands: Sequence[Brand], *, collected_at: datetime | None = None
) -> Iterator[Mention]:
    """One mention per entry whose title or text names a brand: the first matching brand in
    watchlist order, with all of its terms found, so the id stays one per entry.

    Entries without text keep their title as text; relative links resolve against `url`.
    """
    # A BytesIO, never the bytes themselves: given a string, feedparser may open it as a
    # URL or a file path.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=_response_headers(body, url),
        resolve_relative_uris=False,  # only the entry link is used, and it is resolved
        sanitize_html=False,  # the text is reduced to plain text anyway
    )
    feed_lang = parsed.feed.get("language")
    collected = collected_at or datetime.now(UTC)
    for entry in parsed.entries:
        title = html_to_text(entry.get("title", ""))
        detail = (entry.get("content") or [None])[0] or entry.get("summary_detail") or {}
        text = html_to_text(detail.get("value", "")) or title
        if not text:
            continue
        match = _first_match(brands, f"{title}\n{text}")
        if match is None:
            continue
        brand, terms = match
        yield Mention.create(
            source=SOURCE,
            native_id=entry.get("id") or entry.get("link"),
            kind="article",
            url=absolute_url(url, entry.get("link")) or url,
            text=text,
            author=_author(entry, url),
            published_at=parse_date(entry.get("published_parsed") or entry.get("updated_parsed")),
            collected_at=collected,
            title=title or None,
            # Atom's xml:lang reaches the entry's content; RSS has only the channel's.
            lang=detect_lang(text, detail.get("language") or feed_lang),
            brand=brand.name,
            matched_terms=terms,
        )


def _response_headers(body: bytes, url: str) -> dict[str, str]:
    """`content-location` resolves relative links. Feeds often declare one encoding (say
    ISO-8859-1) but hold UTF-8: non-ASCII bytes that decode as UTF-8 almost surely are,
    so then UTF-8 overrides the declaration."""
    headers = {"content-location": url}
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return headers
        headers["content-type"] = "application/xml; charset=utf-8"
    return headers


def _first_match(brands: Sequence[Brand], text: str) -> tuple[Brand, tuple[str, ...]] | None:
    for brand in brands:
        if terms := brand.match(text):
            return brand, terms
    return None


def _author(entry: Any, feed_url: str) -> Author:
    """The entry's author by name; an RSS author's email is not kept."""
    detail = entry.get("author_detail") or {}
    rss = _EMAIL_AND_NAME.fullmatch(entry.get("author") or "")
    name = rss["name"].strip() if rss else detail.get("name") or ""
    return Author(name=name, url=absolute_url(feed_url, detail.get("href")))
