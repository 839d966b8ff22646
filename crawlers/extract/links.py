"""Where a page leads: its `rel="next"` pagination link and its same-site links, which the
schema.org spider follows to reach every page of reviews."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from crawlers.extract.markup import absolute_url, parse_html

__all__ = ["PageLinks", "extract_links"]


class PageLinks(NamedTuple):
    next_url: str | None  # rel="next" on a <link> or <a>, same site only
    links: tuple[str, ...]  # every same-site <a href>, absolute, no fragment, deduplicated


def extract_links(body: bytes, url: str, *, encoding: str | None = None) -> PageLinks:
    """The page's next-page link and its links to the same host and port, in page order;
    `<base href>` is honoured, the page itself and non-http(s) links are left out."""
    root = parse_html(body, encoding)
    if root is None:
        return PageLinks(None, ())
    base = absolute_url(url, root.xpath("string(//base/@href)")) or url
    site = urlsplit(url).netloc.lower()

    def same_site(href: str | None) -> str | None:
        link = absolute_url(base, href)
        return link if link and urlsplit(link).netloc.lower() == site else None

    next_url = next(
        (
            link
            for el in root.xpath("//link[@rel][@href] | //a[@rel][@href]")
            if "next" in el.get("rel", "").lower().split() and (link := same_site(el.get("href")))
        ),
        None,
    )
    page = url.partition("#")[0]
    links = dict.fromkeys(
        link for href in root.xpath("//a/@href") if (link := same_site(href)) and link != page
    )
    return PageLinks(next_url, tuple(links))
