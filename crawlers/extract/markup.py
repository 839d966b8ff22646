"""HTML helpers shared by the extractors: parse page bytes, turn markup into plain text."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding, to_unicode

__all__ = ["absolute_url", "decode_html", "html_to_text", "parse_html"]

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


def parse_html(body: bytes, encoding: str | None = None) -> lxml.html.HtmlElement | None:
    """Parse a page decoded by `decode_html`. None for an empty or unparseable body."""
    text = decode_html(body, encoding)
    if not text.strip():
        return None
    # Handed back as UTF-8 bytes: lxml refuses text that holds an XML encoding declaration.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.fromstring(text.encode("utf-8"), parser=parser)
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
