"""Reviews marked up with schema.org (JSON-LD or microdata) on any product or business page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Literal

import scrapy
from scrapy.http import Response

from crawlers.extract.brands import naming_all
from crawlers.extract.schemaorg import extract_page
from crawlers.extract.sitemap import read_sitemap
from index.watchlist import Brand, HttpURL, SourceOptions

__all__ = ["SchemaOrgSource", "SchemaOrgSpider"]


class SchemaOrgSpider(scrapy.Spider):
    """Starts at each watched page, reads its reviews, and follows review pagination and
    links that stay under the source's scope."""

    name = "schemaorg"

    def __init__(self, targets: Sequence[tuple[Brand, SchemaOrgSource]] = (),
                 watched: Sequence[Brand] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.watched = list(watched)  # every brand of the watchlist, for `naming_all`
        self.asked = [source.url for _, source in self.targets]
        # URLs already followed: most links on a page (navigation, related products) were
        # followed before, and building a Request only for the dupefilter to drop it cost
        # more than reading the page's reviews. The dupefilter still catches the rest.
        self._followed: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for brand, source in self.targets:
            yield scrapy.Request(source.url, cb_kwargs={"brand": brand, "source": source})
            if source.sitemap:
                yield scrapy.Request(source.sitemap, callback=self.parse_sitemap,
                                     cb_kwargs={"brand": brand, "source": source})

    def parse_sitemap(self, response: Response, brand: Brand, source: SchemaOrgSource
                      ) -> Iterator[scrapy.Request]:
        """A sitemap's pages under the source's scope; an index's (or robots.txt's)
        sitemaps, wherever they are: they only list pages."""
        links = read_sitemap(response.body, response.url)
        if links is None:
            self._count_error("sitemap", f"not a sitemap: {response.url}")
            return
        for url in links.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap,
                                 cb_kwargs={"brand": brand, "source": source})
        for url in links.pages:
            if url.startswith(source.follow_prefix) and url not in self._followed:
                self._followed.add(url)
                yield scrapy.Request(url, cb_kwargs={"brand": brand, "source": source})

    def _count_error(self, reason: str, detail: str) -> None:
        """A part of a page that could not be read is counted and logged; the crawl goes on."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/unreadable/{reason}")
        self.logger.warning("unreadable %s: %s", reason, detail)

    def parse(self, response: Response, brand: Brand, source: SchemaOrgSource) -> Iterator[Any]:
        mentions, (next_page, links) = extract_page(
            response.body, response.url, brand=brand.name, brand_names=brand.terms,
            encoding=getattr(response, "encoding", None), on_error=self._count_error)
        for mention in mentions:
            terms = brand.match(f"{mention.title or ''} {mention.text}")
            yield naming_all(mention.with_(matched_terms=terms), self.watched)
        for url in [next_page, *links]:
            if url and url.startswith(source.follow_prefix) and url not in self._followed:
                self._followed.add(url)
                yield response.follow(url, cb_kwargs={"brand": brand, "source": source})


class SchemaOrgSource(SourceOptions):
    """A product or business page with reviews, and the pages it links to under `scope`."""

    type: Literal["schemaorg"]
    url: HttpURL
    # Links under this URL prefix are followed; defaults to the directory of `url`.
    scope: HttpURL | None = None
    # A sitemap, sitemap index (gzipped or not) or robots.txt listing sitemaps: its pages
    # under the scope are crawled too.
    sitemap: HttpURL | None = None
    spider: ClassVar[type[SchemaOrgSpider]] = SchemaOrgSpider

    @property
    def follow_prefix(self) -> str:
        return self.scope or self.url.rsplit("/", 1)[0] + "/"

    def key_parts(self) -> Iterable[str | None]:
        return (self.url,)
