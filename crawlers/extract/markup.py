"""HTML helpers shared by the extractors: parse page bytes, turn markup into plain text."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

__all__ = ["absolute_url", "html_to_text", "parse_html"]

# Elements that start and end a line of text when rendered.
_BLOCKS = (
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
    "table", "td", "th", "tr", "ul",
)
_SPACES = re.compile(r"[^\S\n]+")


def parse_html(body: bytes, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    """Parse a page; `encoding` (e.g. from the HTTP header) wins over the one the page
    declares, else UTF-8. None for an empty or unparseable body."""
    if not body.strip():
        return None
    declared = encoding or html_body_declared_encoding(body)
    parser = lxml.html.HTMLParser(encoding=resolve_encoding(declared or "utf-8") or "utf-8")
    try:
        return lxml.html.fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (or of text with entities): one line per block,
    spaces collapsed, scripts and styles dropped."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(markup)
    etree.strip_elements(root, "script", "style", etree.Comment, with_tail=False)
    for block in root.iter(*_BLOCKS):
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def absolute_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, without its fragment; None unless it is http(s)."""
    if not href or not href.strip():
        return None
    try:
        url = urljoin(base, href.strip()).partition("#")[0]
        scheme = urlsplit(url).scheme
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if scheme in ("http", "https") else None
