"""Where a page leads: its `rel="next"` pagination link and its same-site links, which the
schema.org spider follows to reach every page of reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from crawlers.extract.markup import absolute_url, parse_html

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["PageLinks", "extract_links", "links_of"]

# Compiled once: every crawled page runs them.
_BASE_HREF = etree.XPath("string(//base/@href)")
_REL_LINKS = etree.XPath("//link[@rel][@href] | //a[@rel][@href]")
_HREFS = etree.XPath("//a/@href")


class PageLinks(NamedTuple):
    next_url: str | None  # rel="next" on a <link> or <a>, same site only
    links: tuple[str, ...]  # every same-site <a href>, absolute, no fragment, deduplicated


def extract_links(body: bytes, url: str, *, encoding: str | None = None) -> PageLinks:
    """The page's next-page link and its links to the same host and port, in page order;
    `<base href>` is honoured, the page itself and non-http(s) links are left out."""
    root = parse_html(body, encoding)
    return PageLinks(None, ()) if root is None else links_of(root, url)


def links_of(root: HtmlElement, url: str) -> PageLinks:
    """`extract_links` of an already parsed page."""
    base = absolute_url(url, _BASE_HREF(root)) or url
    site = urlsplit(url).netloc.lower()

    def same_site(href: str | None) -> str | None:
        link = absolute_url(base, href)
        return link if link and urlsplit(link).netloc.lower() == site else None

    next_url = next(
        (
            link
            for el in _REL_LINKS(root)
            if "next" in el.get("rel", "").lower().split() and (link := same_site(el.get("href")))
        ),
        None,
    )
    page = url.partition("#")[0]
    links = dict.fromkeys(
        link for href in _HREFS(root) if (link := same_site(href)) and link != page
    )
    return PageLinks(next_url, tuple(links))
