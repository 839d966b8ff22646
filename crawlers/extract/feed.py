"""RSS and Atom entries that name a watched brand, as article mentions (via feedparser)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import feedparser

from crawlers.extract.brands import matches
from crawlers.extract.dates import parse_date
from crawlers.extract.language import detect_lang
from crawlers.extract.markup import absolute_url, html_to_text
from index.record import Author, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from index.watchlist import Brand

__all__ = ["SOURCE", "FeedEntry", "entry_mention", "extract_entries", "read_entries"]

SOURCE = "feed"

# RSS `<author>` is "email (Name)"; feedparser's own split fails on long TLDs (".example").
_EMAIL_AND_NAME = re.compile(r"\s*\S+@\S+\s+\((?P<name>[^()]+)\)\s*")
# A feed entry is only a summary of its article when it has no full content (RSS
# `content:encoded`, Atom `<content>`) and its description is missing or trails off: an
# ellipsis ("…", "[…]" as WordPress writes) or a "Read more" link. A short description that
# ends its sentence is taken as the whole item: news feeds with one-paragraph items are
# common, and fetching their links would index unrelated pages (a shop's front page).
_TRAILS_OFF = re.compile(r"(?:…|\.{3}|\b(?:read more|continue reading)\b)[\s\W]*$",
                         re.IGNORECASE)
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed entry, read but not yet matched against brands."""

    native_id: str | None
    url: str  # the entry's link, absolute; the feed's URL when it has none
    title: str
    text: str  # plain text of the full content, else of the summary, else the title
    summary_only: bool  # the text is a summary: the article at `url` holds the rest
    author: Author
    published_at: datetime | None
    declared_lang: str | None


def read_entries(body: bytes, url: str) -> list[FeedEntry]:
    """Every entry of an RSS or Atom feed that has a title or text; relative links resolve
    against `url`. Junk or an empty body gives no entries, never an error."""
    # A BytesIO, never the bytes themselves: given a string, feedparser may open it as a
    # URL or a file path.
    parsed = feedparser.parse(
        io.BytesIO(_CHAR_REF.sub(_valid_char_ref, body)),
        response_headers=_response_headers(body, url),
        resolve_relative_uris=False,  # only the entry link is used, and it is resolved
        sanitize_html=False,  # the text is reduced to plain text anyway
    )
    feed_lang = parsed.feed.get("language")
    entries = []
    for entry in parsed.entries:
        title = html_to_text(entry.get("title", ""))
        content = (entry.get("content") or [None])[0]
        detail = content or entry.get("summary_detail") or {}
        text = html_to_text(detail.get("value", ""))
        if not (text or title):
            continue
        link = absolute_url(url, entry.get("link"))
        entries.append(FeedEntry(
            native_id=entry.get("id") or entry.get("link"),
            url=link or url,
            title=title,
            text=text or title,
            # A link into part of a page (`#news`) is not an article of its own.
            summary_only=bool(link) and "#" not in entry.get("link", "") and content is None
            and _is_summary(text),
            author=_author(entry, url),
            published_at=parse_date(entry.get("published_parsed")
                                    or entry.get("updated_parsed")),
            # Atom's xml:lang reaches the entry's content; RSS has only the channel's.
            declared_lang=detail.get("language") or feed_lang,
        ))
    return entries


def entry_mention(entry: FeedEntry, brands: Sequence[Brand], *, collected_at: datetime,
                  article: str | None = None) -> Mention | None:
    """The entry as an article mention when its title or text (the linked `article`'s main
    text, when given) names a brand: one mention per entry, for every brand it names (the
    first in watchlist order its primary one), with all of their terms found. None when no
    brand is named."""
    text = _without_heading(article, entry.title) if article else entry.text
    named = matches(brands, f"{entry.title}\n{text}")
    if not named:
        return None
    return Mention.create(
        source=SOURCE,
        native_id=entry.native_id,
        kind="article",
        url=entry.url,
        text=text,
        author=entry.author,
        published_at=entry.published_at,
        collected_at=collected_at,
        title=entry.title or None,
        lang=detect_lang(text, entry.declared_lang),
        brands=tuple(brand.name for brand, _ in named),
        matched_terms=tuple(dict.fromkeys(term for _, terms in named for term in terms)),
    )


def extract_entries(
    body: bytes, url: str, brands: Sequence[Brand], *, collected_at: datetime | None = None
) -> Iterator[Mention]:
    """One mention per entry naming a brand, from the feed alone (no article fetched).

    Entries without text keep their title as text; relative links resolve against `url`.
    """
    collected = collected_at or datetime.now(UTC)
    for entry in read_entries(body, url):
        if mention := entry_mention(entry, brands, collected_at=collected):
            yield mention


def _without_heading(article: str, title: str) -> str:
    """The article's text without its headline when that repeats the entry's title."""
    first, _, rest = article.partition("\n")
    return rest.strip() if title and first.strip() == title and rest.strip() else article


def _is_summary(text: str) -> bool:
    return not text or _TRAILS_OFF.search(text[-40:]) is not None


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


def _valid_char_ref(ref: re.Match[bytes]) -> bytes:
    """A character reference to a surrogate or past U+10FFFF as U+FFFD (as HTML reads it):
    feedparser's loose parser raises on them and the whole feed would be lost."""
    digits, base = (ref[1], 16) if ref[1] else (ref[2], 10)
    if len(digits) > 8 or 0xD800 <= int(digits, base) <= 0xDFFF or int(digits, base) > 0x10FFFF:
        return b"&#xFFFD;"
    return ref[0]


def _author(entry: Any, feed_url: str) -> Author:
    """The entry's author by name; an RSS author's email is not kept."""
    detail = entry.get("author_detail") or {}
    rss = _EMAIL_AND_NAME.fullmatch(entry.get("author") or "")
    name = rss["name"].strip() if rss else detail.get("name") or ""
    return Author(name=name, url=absolute_url(feed_url, detail.get("href")))
