"""Hostile pages for every extractor, built in code (no fixture files): odd encodings, lying
charsets, impossible dates, a lone surrogate, broken JSON-LD, and pathological sizes.

Each page holds the same good reviews (`GOOD`) and, for the field variants, one review with
one bad field (`BAD_TEXT`): a test checks that the good ones all come out, and the bad one
comes out without its bad field.

    for page in corpus():
        mentions = extract(page)
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["BAD_DATES", "BAD_TEXT", "GOOD", "GOOD_DATE", "LONE", "SOURCES", "Page", "Review",
           "corpus", "many_attributes", "write"]

# Encodable in every encoding below, ISO-2022-JP included (no accented Latin letters).
GOOD = ("Acme anvils are great, I bought two.", "Acme の金床は最高です。")
GOOD_DATE = "2026-11-02T09:15:00Z"
GOOD_EPOCH = 1793600000  # the same moment, for the sources that send epoch seconds
BAD_TEXT = "Acme rockets, reviewed on a strange day."
LONE = "<<lone surrogate>>"  # written as the JSON escape "\ud800" where JSON carries text

# Dates no review was written on: far past, far future, past datetime's range, offsets that
# overflow when converted to UTC, and epoch numbers out of any range.
BAD_DATES: tuple[object, ...] = (
    "0001-01-01", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00", "10000-01-01", "1899-12-31",
)
BAD_EPOCHS: tuple[int | float, ...] = (-62135596800, 253402300799, 10**20, -(10**20), 1e308)


@dataclass(frozen=True)
class Review:
    text: str
    date: object  # as the source writes it: ISO text, RFC 822 or epoch seconds
    author: str = "Ann"
    count: object = 1  # likes, votes or score, where the source sends one


@dataclass(frozen=True)
class Page:
    name: str  # "<source>/<variant>"
    source: str  # a key of SOURCES
    body: bytes
    header_charset: str | None = None  # the HTTP Content-Type charset, when one is sent
    bad: str | None = None  # the bad review's bad field: "published_at", "text", "engagement"

    @property
    def content_type(self) -> str:
        kind = "application/json" if self.source in JSON_SOURCES else "text/html"
        return f"{kind}; charset={self.header_charset}" if self.header_charset else kind


def _json(value: Any) -> str:
    """JSON text with non-ASCII left as is (so the page's encoding matters) and `LONE`
    written as an escaped lone surrogate."""
    return json.dumps(value, ensure_ascii=False).replace(LONE, "\\ud800")


def _markup(text: str) -> str:
    """`text` escaped for HTML or XML, `LONE` written as the character reference of a lone
    surrogate (which parsers must not pass on either)."""
    return html.escape(text).replace(html.escape(LONE), "&#xD800;")


def _script_json(value: Any) -> str:
    return _json(value).replace("</", "<\\/")


def _html(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html lang=\"en\"><head>{head}</head><body>{body}</body></html>"


def _jsonld(reviews: list[Review]) -> str:
    product = {"@context": "https://schema.org", "@type": "Product", "name": "Acme anvil",
               "review": [{"@type": "Review", "@id": f"#r{i}", "reviewBody": r.text,
                           "author": {"@type": "Person", "name": r.author},
                           "datePublished": r.date,
                           "reviewRating": {"@type": "Rating", "ratingValue": 5}}
                          for i, r in enumerate(reviews)]}
    return f'<script type="application/ld+json">{_script_json(product)}</script>'


def _microdata(reviews: list[Review]) -> str:
    def one(i: int, r: Review) -> str:
        text = _markup(r.text)
        return (f'<div itemprop="review" itemscope itemtype="https://schema.org/Review"'
                f' itemid="#m{i}"><span itemprop="author">{html.escape(r.author)}</span>'
                f'<meta itemprop="datePublished" content="{html.escape(str(r.date))}">'
                f'<p itemprop="reviewBody">{text}</p></div>')

    items = "".join(one(i, r) for i, r in enumerate(reviews))
    return (f'<div itemscope itemtype="https://schema.org/Product">'
            f'<h1 itemprop="name">Acme anvil</h1>{items}</div>')


def _trustpilot(reviews: list[Review]) -> str:
    data = {"props": {"pageProps": {"reviews": [
        {"id": f"r{i}", "text": r.text, "title": "Acme", "rating": 5, "likes": r.count,
         "consumer": {"displayName": r.author, "id": f"c{i}"},
         "dates": {"publishedDate": r.date}, "language": "en"}
        for i, r in enumerate(reviews)]}}}
    return f'<script id="__NEXT_DATA__" type="application/json">{_script_json(data)}</script>'


def _feed(reviews: list[Review], declared: str) -> str:
    items = "".join(
        f"<item><title>{_markup(r.text)}</title>"
        f"<link>https://news.example/{i}</link><guid>g{i}</guid>"
        f"<description>{_markup(r.text)}</description>"
        f"<pubDate>{html.escape(str(r.date))}</pubDate></item>"
        for i, r in enumerate(reviews))
    return (f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel>'
            f"<title>News</title><link>https://news.example/</link>{items}</channel></rss>")


def _appstore(reviews: list[Review]) -> str:
    return _json({"feed": {"entry": [
        {"author": {"name": {"label": r.author}}, "updated": {"label": r.date},
         "im:rating": {"label": "5"}, "id": {"label": f"id{i}"}, "title": {"label": "Acme"},
         "content": {"label": r.text}, "im:voteSum": {"label": r.count}}
        for i, r in enumerate(reviews)]}})


def _reddit(reviews: list[Review]) -> str:
    return _json({"data": {"after": None, "children": [
        {"kind": "t3", "data": {"title": r.text, "selftext": "", "name": f"t3_{i}",
                                "permalink": f"/r/acme/comments/{i}/", "author": r.author,
                                "created_utc": r.date, "score": r.count, "num_comments": 0}}
        for i, r in enumerate(reviews)]}})


def _hackernews(reviews: list[Review]) -> str:
    return _json({"hits": [
        {"_tags": ["story"], "title": r.text, "objectID": str(i), "author": r.author,
         "created_at_i": r.date, "created_at": r.date, "points": r.count}
        for i, r in enumerate(reviews)]})


def _mastodon(reviews: list[Review]) -> str:
    return _json([
        {"id": str(i), "uri": f"https://m.example/users/ann/statuses/{i}",
         "content": f"<p>{_markup(r.text)}</p>", "created_at": r.date, "language": "en",
         "favourites_count": r.count,
         "account": {"acct": r.author, "display_name": r.author, "url": "https://m.example/@a"}}
        for i, r in enumerate(reviews)])


def _bluesky(reviews: list[Review]) -> str:
    return _json({"feed": [
        {"post": {"uri": f"at://did:plc:ann/app.bsky.feed.post/{i}",
                  "author": {"did": "did:plc:ann", "handle": "ann.bsky.social"},
                  "record": {"text": r.text, "createdAt": r.date}, "likeCount": r.count}}
        for i, r in enumerate(reviews)]})


def _googleplay(reviews: list[Review]) -> str:
    rows = [[f"gp:{i}", [r.author], 5, None, r.text, [r.date, 0], 1]
            for i, r in enumerate(reviews)]
    reply = json.dumps([["wrb.fr", "UsvDTd", _json([rows, None]), None, None, None, "generic"]])
    return f")]}}'\n\n{len(reply)}\n{reply}\n"


# source -> (writer, dates in the source's own form: ISO text or epoch seconds)
SOURCES: dict[str, Callable[[list[Review]], str]] = {
    "schemaorg-jsonld": lambda rs: _html("", _jsonld(rs)),
    "schemaorg-microdata": lambda rs: _html("", _microdata(rs)),
    "trustpilot": lambda rs: _html("", _trustpilot(rs)),
    "feed": lambda rs: _feed(rs, "utf-8"),
    "appstore": _appstore,
    "reddit": _reddit,
    "hackernews": _hackernews,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "googleplay": _googleplay,
}
JSON_SOURCES = frozenset({"appstore", "reddit", "hackernews", "mastodon", "bluesky"})
_EPOCH_SOURCES = frozenset({"reddit", "hackernews", "googleplay"})
_COUNTED = frozenset({"trustpilot", "appstore", "reddit", "hackernews", "mastodon", "bluesky"})
_HTML_SOURCES = ("schemaorg-jsonld", "schemaorg-microdata", "trustpilot")


def write(source: str, reviews: list[Review]) -> str:
    return SOURCES[source](reviews)


def good_reviews(source: str) -> list[Review]:
    date = GOOD_EPOCH if source in _EPOCH_SOURCES else GOOD_DATE
    return [Review(text, date) for text in GOOD]


def _with_bad(source: str, bad: Review) -> list[Review]:
    first, second = good_reviews(source)
    return [first, bad, second]


# (variant, bytes before the text, codec, <meta charset>, HTTP charset)
_ENCODINGS = (
    ("utf-16-le-bom", b"\xff\xfe", "utf-16-le", "utf-8", None),
    ("utf-16-be-bom", b"\xfe\xff", "utf-16-be", "utf-8", None),
    ("utf-32-le-bom", b"\xff\xfe\x00\x00", "utf-32-le", "utf-8", None),
    ("utf-32-be-bom", b"\x00\x00\xfe\xff", "utf-32-be", "utf-8", None),
    ("utf-16-bom-header-latin1", b"\xff\xfe", "utf-16-le", "utf-16", "iso-8859-1"),
    ("iso-2022-jp", b"", "iso-2022-jp", "iso-2022-jp", None),
    ("iso-2022-jp-header", b"", "iso-2022-jp", "iso-2022-jp", "iso-2022-jp"),
    ("meta-x-unknown", b"", "utf-8", "x-unknown", None),
    ("meta-utf-42", b"", "utf-8", "utf-42", None),
    ("header-utf-42", b"", "utf-8", "utf-8", "utf-42"),
    ("header-x-unknown", b"", "utf-8", "x-unknown", "x-unknown"),
    ("header-latin1-is-utf8", b"", "utf-8", "utf-8", "iso-8859-1"),
    ("header-utf16-is-utf8", b"", "utf-8", "utf-8", "utf-16"),
    ("meta-utf16-is-utf8", b"", "utf-8", "utf-16", None),
)


def _encoded_pages() -> Iterator[Page]:
    for variant, bom, codec, meta, header in _ENCODINGS:
        for source in _HTML_SOURCES:
            text = write(source, good_reviews(source)).replace(
                "<head>", f'<head><meta charset="{meta}">', 1)
            # Trustpilot's extractor is given no header: the page alone must be enough.
            if header and source == "trustpilot":
                continue
            yield Page(f"{source}/{variant}", source, bom + text.encode(codec), header)
        if not header:
            feed = _feed(good_reviews("feed"), meta)
            yield Page(f"feed/{variant}", "feed", bom + feed.encode(codec))
    for source in JSON_SOURCES:  # JSON may come in UTF-16 or UTF-32 (RFC 8259 says UTF-8)
        for variant, bom, codec in (("utf-16-le-bom", b"\xff\xfe", "utf-16-le"),
                                    ("utf-8-bom", b"\xef\xbb\xbf", "utf-8")):
            body = bom + write(source, good_reviews(source)).encode(codec)
            yield Page(f"{source}/{variant}", source, body)


def _bad_field_pages() -> Iterator[Page]:
    for source in SOURCES:
        dates = BAD_EPOCHS if source in _EPOCH_SOURCES else BAD_DATES
        if source == "googleplay":  # its rows hold whole seconds; a float is a format change
            dates = tuple(d for d in dates if isinstance(d, int))
        if source == "feed":  # feedparser reads it as 2010-12-01: wrong, but a sane date
            dates = tuple(d for d in dates if d != "10000-01-01")
        for date in dates:
            reviews = _with_bad(source, Review(BAD_TEXT, date))
            yield Page(f"{source}/date-{date}", source, write(source, reviews).encode(),
                       bad="published_at")
        if source in _COUNTED:
            for count in (float("inf"), -1, "9" * 5000, 10**400):
                reviews = _with_bad(source, Review(BAD_TEXT, good_reviews(source)[0].date,
                                                   count=count))
                yield Page(f"{source}/count-{str(count)[:12]}", source,
                           write(source, reviews).encode(), bad="engagement")
        lone = Review(f"{BAD_TEXT} {LONE}", good_reviews(source)[0].date, author=f"A{LONE}")
        yield Page(f"{source}/lone-surrogate", source,
                   write(source, _with_bad(source, lone)).encode(), bad="text")


def _broken_jsonld() -> Iterator[Page]:
    good = _jsonld(good_reviews("schemaorg-jsonld"))
    for variant, broken in (("truncated", '{"@type": "Review", "reviewBody": "Acme'),
                            ("bad-escape", '{"@type": "Review", "reviewBody": "\\x41"}'),
                            ("deep", "[" * 100_000 + "]" * 100_000),
                            ("not-json", "<!-- nothing here -->")):
        block = f'<script type="application/ld+json">{broken}</script>'
        yield Page(f"schemaorg-jsonld/broken-{variant}", "schemaorg-jsonld",
                   _html("", block + good).encode())


def corpus() -> Iterator[Page]:
    """Every hostile page whose good reviews must all be extracted."""
    yield from _encoded_pages()
    yield from _bad_field_pages()
    yield from _broken_jsonld()


def many_attributes(attributes: int = 50_000, elements: int = 0) -> bytes:
    """A page like the 539 KB one that took 42 s: one element with `attributes` attributes,
    `elements` sibling elements, and one good JSON-LD review."""
    attrs = " ".join(f'a{i}="{i % 10}"' for i in range(attributes))
    siblings = "<i>x</i>" * elements
    return _html("", f"<div {attrs}>{siblings}</div>"
                     f"{_jsonld(good_reviews('schemaorg-jsonld'))}").encode()
