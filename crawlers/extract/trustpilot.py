"""Trustpilot reviews of a company (`/review/{domain}`), read from the page's
`<script id="__NEXT_DATA__">` JSON (`props.pageProps.reviews[]`), paged with `?page=N`.

Logged-out visitors see the first 10 pages. The company's reply (`reply.message`, dated by
`reply.publishedDate`) is not a mention of its own: it is kept on the review it answers, as
a `BrandReply` by the company's name on Trustpilot (`pageProps.businessUnit.displayName`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lxml import etree

from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import as_int, build_each, warn, with_params
from crawlers.extract.language import detect_lang
from crawlers.extract.markup import parse_html
from crawlers.extract.rating import infer_rating
from index.record import Author, BrandReply, Engagement, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawlers.extract.jsonapi import OnError

__all__ = ["BASE_URL", "LAST_PAGE", "SOURCE", "extract_reviews", "next_page", "review_url"]

SOURCE = "trustpilot"
BASE_URL = "https://www.trustpilot.com"
LAST_PAGE = 10
_NEXT_DATA = etree.XPath('//script[@id="__NEXT_DATA__"]/text()')


def review_url(base: str, company: str) -> str:
    return f"{base.rstrip('/')}/review/{quote(company)}"


def _page_props(body: bytes, url: str, on_error: OnError) -> dict[str, Any] | None:
    """`props.pageProps` of the page; None, reported, when the page has none readable."""
    root = parse_html(body, on_truncate=lambda reason, detail: on_error(reason, f"{url}: {detail}"))
    scripts = _NEXT_DATA(root) if root is not None else []
    if not scripts:
        on_error("next_data", f"{url}: no __NEXT_DATA__ script")
        return None
    try:
        props = json.loads(str(scripts[0]))["props"]["pageProps"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        on_error("json", f"{url}: __NEXT_DATA__: {exc!r}")
        return None
    if not isinstance(props, dict):
        on_error("shape", f"{url}: pageProps is not an object")
        return None
    return props


def extract_reviews(
    body: bytes, url: str, *, brand: str | None = None, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention]:
    """Each review on a company's review page."""
    report = on_error or warn
    props = _page_props(body, url, report)
    reviews = props.get("reviews") if props is not None else []
    if not isinstance(reviews, list):
        report("shape", f"{url}: pageProps.reviews is not a list")
        reviews = []
    collected = collected_at or datetime.now(UTC)
    company = _company(props or {}, brand)

    def build(review: dict[str, Any]) -> Mention | None:
        text = (review.get("text") or "").strip()
        if not text:
            return None
        consumer = review.get("consumer") or {}
        title = (review.get("title") or "").strip() or None
        rating = infer_rating(review.get("rating"), 5, 1)
        if rating is None:
            raise ValueError(f"unreadable rating {review.get('rating')!r}")
        return Mention.create(
            source=SOURCE,
            native_id=review["id"],
            kind="review",
            url=f"{BASE_URL}/reviews/{quote(review['id'])}",
            text=text,
            author=Author(name=consumer.get("displayName") or "",
                          url=f"{BASE_URL}/users/{quote(consumer['id'])}"
                          if consumer.get("id") else None,
                          verified=bool(consumer.get("isVerified"))),
            published_at=parse_date((review.get("dates") or {}).get("publishedDate")),
            collected_at=collected,
            title=title,
            lang=detect_lang(f"{title or ''}\n{text}", review.get("language")),
            rating=rating,
            engagement=Engagement(likes=as_int(review.get("likes"))),
            brand=brand,
            brand_replies=_reply(review.get("reply"), company),
        )

    return build_each(reviews, url, build, report)


def _company(props: dict[str, Any], brand: str | None) -> str:
    """The name the company replies under: its Trustpilot name, else the watched brand's."""
    unit = props.get("businessUnit")
    name = unit.get("displayName") if isinstance(unit, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else brand or ""


def _reply(reply: Any, company: str) -> tuple[BrandReply, ...]:
    """The company's reply to a review (Trustpilot allows one); none when it has no text."""
    message = reply.get("message") if isinstance(reply, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ()
    return (BrandReply(text=message.strip(), author=company,
                       published_at=parse_date(reply.get("publishedDate"))),)


def next_page(body: bytes, url: str) -> str | None:
    """`?page=N+1` while `filters.pagination` says there is one, up to page 10."""
    props = _page_props(body, url, lambda *_: None)
    pagination = ((props or {}).get("filters") or {}).get("pagination") or {}
    current, total = as_int(pagination.get("currentPage")), as_int(pagination.get("totalPages"))
    if current is None or total is None or current >= min(total, LAST_PAGE):
        return None
    return with_params(url, page=current + 1)
