"""Reviews marked up with schema.org (JSON-LD or microdata) on any product or business page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.extract.schemaorg import extract_links, extract_reviews
from index.watchlist import Brand, Source

__all__ = ["SchemaOrgSpider"]


class SchemaOrgSpider(scrapy.Spider):
    """Starts at each watched page, reads its reviews, and follows review pagination and
    links that stay under the source's scope."""

    name = "schemaorg"

    def __init__(self, targets: Sequence[tuple[Brand, Source]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.asked = [source.url for _, source in self.targets]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for brand, source in self.targets:
            yield scrapy.Request(source.page_url, cb_kwargs={"brand": brand, "source": source})

    def _count_error(self, reason: str, detail: str) -> None:
        """A part of a page that could not be read is counted and logged; the crawl goes on."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/unreadable/{reason}")
        self.logger.warning("unreadable %s: %s", reason, detail)

    def parse(self, response: Response, brand: Brand, source: Source) -> Iterator[Any]:
        encoding = getattr(response, "encoding", None)
        for mention in extract_reviews(response.body, response.url, brand=brand.name,
                                       encoding=encoding, on_error=self._count_error):
            yield mention.with_(matched_terms=brand.match(f"{mention.title or ''} {mention.text}"))
        next_page, links = extract_links(response.body, response.url, encoding=encoding)
        for url in [next_page, *links]:
            if url and url.startswith(source.follow_prefix):
                yield response.follow(url, cb_kwargs={"brand": brand, "source": source})
