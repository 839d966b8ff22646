"""Sitemaps: the page URLs a site lists (`urlset`) and the sitemaps a sitemap index or a
robots.txt points to, via Scrapy's own sitemap readers. Gzipped sitemaps are unpacked."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

__all__ = ["MAX_SITEMAP_BYTES", "SitemapLinks", "read_sitemap"]

# Unpacked size limit of one sitemap: the protocol allows 50 MB; more is a zip bomb.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SitemapLinks:
    pages: list[str] = field(default_factory=list)  # a urlset's <loc>s
    sitemaps: list[str] = field(default_factory=list)  # an index's or robots.txt's sitemaps


def read_sitemap(body: bytes, url: str) -> SitemapLinks | None:
    """The links of a sitemap, sitemap index (either possibly gzipped) or robots.txt at
    `url`; None when the body is none of these or cannot be read."""
    if url.rstrip("/").endswith("/robots.txt"):
        return SitemapLinks(sitemaps=list(sitemap_urls_from_robots(body, base_url=url)))
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError):
            return None
    if not body.strip():
        return None
    try:
        sitemap = Sitemap(body)
        locs = [urljoin(url, entry["loc"]) for entry in sitemap if entry.get("loc")]
    except (StopIteration, etree.LxmlError):  # no XML element at all, or broken XML
        return None
    if sitemap.type == "sitemapindex":
        return SitemapLinks(sitemaps=locs)
    if sitemap.type == "urlset":
        return SitemapLinks(pages=locs)
    return None
