"""HTML helpers shared by the extractors: parse page bytes, turn markup into plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding, to_unicode

__all__ = ["MAX_ATTRIBUTES", "absolute_url", "decode_html", "html_to_text", "parse_html"]

# libxml2 checks each attribute of an element against all the others: 50,000 attributes on
# one element took seconds to parse. No real element has a thousand.
MAX_ATTRIBUTES = 1000
# A start tag long enough to hold more than MAX_ATTRIBUTES attributes (" a" each, at least).
_LONG_TAG = re.compile(rf"(<[A-Za-z][^\s<>/]*)[^<>]{{{2 * MAX_ATTRIBUTES},}}>")
_ATTRIBUTE = re.compile(r"""\s*[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")

# Elements that start and end a line of text when rendered.
_BLOCKS = (
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
    "table", "td", "th", "tr", "ul",
)
_SPACES = re.compile(r"[^\S\n]+")


def decode_html(body: bytes, encoding: str | None = None) -> str:
    """The page as text, never an error: a byte-order mark wins, then `encoding` (the HTTP
    header's), then the page's own declaration, else UTF-8. Unknown names count as none;
    bytes that do not decode become U+FFFD.

    Declarations lie, so two of them are overruled: a body that is valid UTF-8 and not
    ASCII is UTF-8 (a mislabelled page, not a coincidence), and UTF-16/32 without a BOM
    on a body without NUL bytes is not UTF-16/32 (markup in those has NULs)."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return to_unicode(body[len(bom):], bom_encoding)
    return to_unicode(body, _declared_encoding(body, encoding) or "utf-8")


def _declared_encoding(body: bytes, encoding: str | None) -> str | None:
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
    for name in (encoding, html_body_declared_encoding(body)):
        codec = resolve_encoding(name) if name else None
        if codec and (b"\x00" in body or not codec.startswith(("utf-16", "utf-32"))):
            return codec
    return None


def parse_html(body: bytes, encoding: str | None = None, *,
               on_truncate: Callable[[str, str], None] | None = None
               ) -> lxml.html.HtmlElement | None:
    """Parse a page decoded by `decode_html`. None for an empty or unparseable body.

    Attributes past the first MAX_ATTRIBUTES of an element are dropped, and reported to
    `on_truncate` as ("too_many_attributes", detail)."""
    text = decode_html(body, encoding)
    if not text.strip():
        return None
    text, trimmed = _trim_attributes(text)
    if trimmed and on_truncate is not None:
        on_truncate("too_many_attributes",
                    f"{trimmed} elements with over {MAX_ATTRIBUTES} attributes")
    # Handed back as UTF-8 bytes: lxml refuses text that holds an XML encoding declaration.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _trim_attributes(html: str) -> tuple[str, int]:
    """`html` with each start tag cut after MAX_ATTRIBUTES attributes; how many were cut."""
    if html.count("=") <= MAX_ATTRIBUTES:  # fast path: the regex costs 10 µs a KB
        return html, 0
    trimmed = 0

    def trim(tag: re.Match[str]) -> str:
        nonlocal trimmed
        attributes = _ATTRIBUTE.finditer(tag[0], tag.end(1) - tag.start())
        kept = list(islice(attributes, MAX_ATTRIBUTES + 1))
        if len(kept) <= MAX_ATTRIBUTES:
            return tag[0]
        trimmed += 1
        return tag[0][:kept[MAX_ATTRIBUTES - 1].end()] + ">"

    return _LONG_TAG.sub(trim, html), trimmed


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
