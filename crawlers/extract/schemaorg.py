"""schema.org `Review`s on any product or business page (JSON-LD and microdata) as mentions.

Reviews sit under a `Product`/`LocalBusiness`/`Recipe`/... `review`, stand alone with an
`itemReviewed`, or live in an `@graph` whose nodes refer to each other by `@id`; all are
found by walking every item on the page. RDFa is skipped: slow, and it found nothing extra
on real pages.

Answers to a review sit in its `comment` (`Comment` items) or `review` property. Those whose
author names the brand (the reviewed item's `brand` or `manufacturer`, the reviewed business
itself, or a name the caller watches) are kept on the review as its `brand_replies`; other
people's answers are not the brand's and are not kept. Neither is a review of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import extruct
from lxml import etree

from crawlers.extract.brands import is_brand_account
from crawlers.extract.dates import parse_date
from crawlers.extract.language import detect_lang, language_tag
from crawlers.extract.links import PageLinks, extract_links, links_of
from crawlers.extract.markup import absolute_url, html_to_text, parse_html
from crawlers.extract.rating import infer_rating
from index.record import Author, BrandReply, Mention, Rating, RecordError

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["MAX_REVIEWS", "SOURCE", "OnError", "PageLinks", "extract_links", "extract_page",
           "extract_reviews"]

SOURCE = "schemaorg"

OnError = Callable[[str, str], None]
"""Called with (reason, detail) for each part of a page that could not be read; reasons
are "jsonld", "microdata", "review", and "too_many_attributes" or "too_many_reviews" when
a page's excess was left unread (`markup.MAX_ATTRIBUTES`, `MAX_REVIEWS`). The default logs
a warning."""

# Reviews read per page: real pages show tens; reading a hostile page's 100,000 took seconds.
MAX_REVIEWS = 1000

_REVIEW_TYPES = frozenset({"Review", "UserReview", "CriticReview", "EmployerReview"})
_RATED_TYPES = _REVIEW_TYPES | {"AggregateRating"}
# A reviewed item of these types is the business itself: its own answers are the brand's.
_BUSINESS_TYPES = frozenset({"Organization", "Corporation", "LocalBusiness", "OnlineBusiness",
                             "OnlineStore", "Store", "Brand", "Hotel", "LodgingBusiness",
                             "Restaurant", "FoodEstablishment", "ProfessionalService"})
_REPLY_KEYS = ("comment", "review")
# Brand names read from a page: real pages name one or two; a hostile page's thousands would
# make checking each answer's author a long search.
_MAX_PAGE_BRANDS = 20
_JSONLD_SCRIPTS = etree.XPath('//script[@type="application/ld+json"]')
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_log = logging.getLogger(__name__)

Node = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Page:
    url: str
    lang: str | None
    best: float | None  # the page's rating scale, for reviews that do not state theirs
    nodes: dict[str, Node]  # JSON-LD nodes by @id, to follow references
    brand: str | None
    brand_names: tuple[str, ...]  # whoever writes under one of these is the brand
    collected_at: datetime


def extract_reviews(
    body: bytes,
    url: str,
    *,
    brand: str | None = None,
    brand_names: Sequence[str] = (),
    collected_at: datetime | None = None,
    encoding: str | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention]:
    """Each review with text on the page, once, in page order (JSON-LD before microdata),
    with the brand's answers to it. `brand_names` (e.g. the watched brand's name and terms)
    name the brand beyond what the page itself says.

    `encoding` (e.g. the HTTP header's) wins over the page's own declaration. A broken
    JSON-LD block or microdata tree loses only itself, reported through `on_error`.
    """
    report = on_error or _warn
    root = _parse(body, url, encoding, report)
    if root is not None:
        yield from _reviews_of(root, url, brand, brand_names, collected_at, report)


def extract_page(
    body: bytes,
    url: str,
    *,
    brand: str | None = None,
    brand_names: Sequence[str] = (),
    collected_at: datetime | None = None,
    encoding: str | None = None,
    on_error: OnError | None = None,
) -> tuple[list[Mention], PageLinks]:
    """`extract_reviews` and `extract_links` of one page, parsing it once (a crawl's hot
    path: parsing is a good part of the work on a page)."""
    report = on_error or _warn
    root = _parse(body, url, encoding, report)
    if root is None:
        return [], PageLinks(None, ())
    reviews = list(_reviews_of(root, url, brand, brand_names, collected_at, report))
    return reviews, links_of(root, url)


def _parse(body: bytes, url: str, encoding: str | None, report: OnError) -> HtmlElement | None:
    return parse_html(body, encoding,
                      on_truncate=lambda reason, detail: report(reason, f"{url}: {detail}"))


def _reviews_of(root: HtmlElement, url: str, brand: str | None, brand_names: Sequence[str],
                collected_at: datetime | None, report: OnError) -> Iterator[Mention]:
    every = list(_walk(_structured_items(root, url, report)))
    nodes = {n["@id"]: n for n in every if isinstance(n.get("@id"), str) and _has_content(n)}
    found = [_resolve(n, nodes) for n in every if _types(n) & _REVIEW_TYPES]
    # An answer typed `Review` (under a review's `review`) is an answer, not a review.
    answers = {id(reply) for review in found for reply in _replies(review, nodes)}
    reviews = [review for review in found if id(review) not in answers]
    if len(reviews) > MAX_REVIEWS:
        report("too_many_reviews", f"{url}: {len(reviews)} reviews, the first {MAX_REVIEWS} read")
        del reviews[MAX_REVIEWS:]
    page = _Page(
        url=url,
        lang=root.get("lang") or root.get(_XML_LANG),
        best=_page_scale(every, nodes),
        nodes=nodes,
        brand=brand,
        brand_names=(*brand_names, *([brand] if brand else []), *_page_brands(every, nodes)),
        collected_at=collected_at or datetime.now(UTC),
    )
    seen: set[str] = set()
    for review in reviews:
        try:
            mention = _mention(review, page)
        except RecordError as exc:
            report("review", f"{url}: {exc}")
            continue
        # The same review is often marked up twice (JSON-LD and microdata, or by reference).
        if mention is not None and mention.id not in seen:
            seen.add(mention.id)
            yield mention


def _warn(reason: str, detail: str) -> None:
    _log.warning("unreadable %s: %s", reason, detail)


def _structured_items(root: HtmlElement, url: str, report: OnError) -> list[Any]:
    """JSON-LD items block by block (extruct drops every block when one is bad), then
    microdata. extruct raises whatever its parsers raise on broken markup, hence the
    broad catches: one bad part must not lose the others."""
    items: list[Any] = []
    for script in _JSONLD_SCRIPTS(root):
        try:
            items += extruct.extract(script, base_url=url, syntaxes=["json-ld"])["json-ld"]
        except Exception as exc:
            report("jsonld", f"{url}: line {script.sourceline}: {exc}")
    try:
        items += extruct.extract(root, base_url=url, syntaxes=["microdata"], uniform=True)[
            "microdata"
        ]
    except Exception as exc:
        report("microdata", f"{url}: {exc}")
    return items


def _walk(value: Any) -> Iterator[Node]:
    """Every object in the data, depth first in document order (no recursion: pages can
    nest deeply)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _types(node: Node) -> set[str]:
    """Bare type names: "Review" for "Review", "schema:Review" or "https://schema.org/Review"."""
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {n.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if isinstance(n, str)}


def _has_content(node: Node) -> bool:
    return bool(set(node) - {"@id", "@type", "@context"})


def _resolve(value: Any, nodes: dict[str, Node]) -> Any:
    """The full node for a bare `{"@id": ...}` reference, else the value itself."""
    if isinstance(value, dict) and not _has_content(value):
        return nodes.get(value.get("@id"), value)
    return value


def _first(value: Any) -> Any:
    """The first non-blank value of a property that may be a list or a JSON-LD
    `{"@value": ...}`."""
    if isinstance(value, list):
        value = next((v for v in value if v is not None and str(v).strip()), None)
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


def _string(node: Node, key: str) -> str | None:
    value = _first(node.get(key))
    return (value.strip() or None) if isinstance(value, str) else None


def _rating_fields(node: Node, nodes: dict[str, Node]) -> tuple[Any, Any, Any]:
    """(ratingValue, bestRating, worstRating) of an AggregateRating, or of a review's
    `reviewRating` (an object, an `@id` reference or a bare value)."""
    if "AggregateRating" in _types(node):
        rating: Any = node
    else:
        rating = _resolve(_first(node.get("reviewRating")), nodes)
    if isinstance(rating, dict):
        return tuple(_first(rating.get(k)) for k in ("ratingValue", "bestRating", "worstRating"))
    return rating, None, None


def _name_of(value: Any, nodes: dict[str, Node]) -> str | None:
    """The name of a `brand`/`manufacturer`: an object, a reference or a plain string."""
    value = _resolve(_first(value), nodes)
    if isinstance(value, dict):
        return _string(value, "name")
    return value.strip() or None if isinstance(value, str) else None


def _page_brands(every: list[Node], nodes: dict[str, Node]) -> list[str]:
    """The names the page says the brand goes by: every `brand` and `manufacturer`, and a
    reviewed business (a hotel, a shop) itself."""
    reviewed = [_resolve(_first(n.get("itemReviewed")), nodes) for n in every
                if _types(n) & _REVIEW_TYPES]
    reviewed += [n for n in every if "review" in n or "aggregateRating" in n]
    names = [_name_of(n.get(key), nodes) for n in every for key in ("brand", "manufacturer")]
    names += [_string(item, "name") for item in reviewed
              if isinstance(item, dict) and _types(item) & _BUSINESS_TYPES]
    return list(dict.fromkeys(name for name in names if name))[:_MAX_PAGE_BRANDS]


def _page_scale(every: Iterable[Node], nodes: dict[str, Node]) -> float | None:
    """The widest scale any rating on the page states or implies, so that "3" next to a
    "9" with no `bestRating` reads 3/10, not 3/5."""
    rated = (n for n in every if _types(n) & _RATED_TYPES)
    found = (infer_rating(*_rating_fields(n, nodes)) for n in rated)
    return max((rating.best for rating in found if rating), default=None)


def _rating(review: Node, page: _Page) -> Rating | None:
    return infer_rating(*_rating_fields(review, page.nodes), default_best=page.best)


def _author(value: Any, page_url: str) -> Author:
    """Author from a Person/Organization object or, on about 1 page in 3, a plain string."""
    if isinstance(value, str):
        return Author(name=html_to_text(value))
    if not isinstance(value, dict):
        return Author(name="")
    full_name = " ".join(filter(None, (_string(value, "givenName"), _string(value, "familyName"))))
    name = _string(value, "name") or full_name or _string(value, "alternateName") or ""
    return Author(name=html_to_text(name), url=absolute_url(page_url, _string(value, "url")))


def _declared_lang(review: Node, page: _Page) -> str | None:
    """The review's `inLanguage` (a tag or a Language object), else the page's lang."""
    value = _first(review.get("inLanguage"))
    if isinstance(value, dict):
        value = _string(value, "alternateName") or _string(value, "name")
    if isinstance(value, str) and language_tag(value):
        return value
    return page.lang


def _native_id(review: Node, page_url: str) -> str | None:
    """The review's `@id` (microdata `itemid`) or `url`, absolute so that "#review-1" on
    two pages stays two reviews; blank nodes ("_:b0") are not ids."""
    for key in ("@id", "id", "url"):
        value = _string(review, key)
        if value and not value.startswith("_:"):
            try:
                return urljoin(page_url, value)
            except ValueError:
                continue
    return None


def _mention(review: Node, page: _Page) -> Mention | None:
    text = html_to_text(_string(review, "reviewBody") or _string(review, "description") or "")
    if not text:
        return None
    title = _string(review, "name") or _string(review, "headline")
    return Mention.create(
        source=SOURCE,
        native_id=_native_id(review, page.url),
        kind="review",
        url=absolute_url(page.url, _string(review, "url")) or page.url,
        text=text,
        author=_author(_resolve(_first(review.get("author")), page.nodes), page.url),
        published_at=parse_date(_first(review.get("datePublished")))
        or parse_date(_first(review.get("dateCreated"))),
        collected_at=page.collected_at,
        title=html_to_text(title) if title else None,
        lang=detect_lang(text, _declared_lang(review, page)),
        rating=_rating(review, page),
        brand=page.brand,
        brand_replies=tuple(_brand_replies(review, page)),
    )


def _replies(review: Node, nodes: dict[str, Node]) -> list[Node]:
    """The answers to a review: its `comment`s and `review`s, references followed."""
    values = (review.get(key) for key in _REPLY_KEYS)
    answers = (_resolve(v, nodes) for value in values
               for v in (value if isinstance(value, list) else [value]))
    return [answer for answer in answers if isinstance(answer, dict) and _has_content(answer)]


def _brand_replies(review: Node, page: _Page) -> Iterator[BrandReply]:
    """The review's answers written by the brand (`_Page.brand_names`), with text."""
    for answer in _replies(review, page.nodes):
        author = _author(_resolve(_first(answer.get("author")), page.nodes), page.url)
        text = html_to_text(_string(answer, "text") or _string(answer, "reviewBody")
                            or _string(answer, "description") or "")
        if text and any(is_brand_account(author, name) for name in page.brand_names):
            yield BrandReply(
                text=text, author=author.name,
                published_at=parse_date(_first(answer.get("datePublished")))
                or parse_date(_first(answer.get("dateCreated"))),
                url=absolute_url(page.url, _string(answer, "url")))
