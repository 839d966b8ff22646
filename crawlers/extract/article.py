"""The main text of an article page (a feed entry's link), via trafilatura.

Only the fetched bytes are read: trafilatura is handed decoded HTML, never a URL, so it
makes no request of its own.
"""

from __future__ import annotations

import trafilatura

from crawlers.extract.markup import decode_html

__all__ = ["article_text"]


def article_text(body: bytes, url: str, *, encoding: str | None = None) -> str | None:
    """The article's main text, paragraphs on their own lines; navigation, footers and
    reader comments are left out. None when the page holds no article text.

    `encoding` is the one the response declared (Scrapy's `response.encoding`).
    """
    html = decode_html(body, encoding)
    if not html.strip():
        return None
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                               include_images=False, with_metadata=False)
    return (text or "").strip() or None
