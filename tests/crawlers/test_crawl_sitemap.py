"""Sitemaps of a schemaorg source: robots.txt -> sitemap index -> (gzipped) sitemaps ->
product pages under the source's scope. Pure reading, then a real crawl on loopback."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.watchlist import load_watchlist
from crawlers.extract.sitemap import SitemapLinks, read_sitemap
from index.sqlite import SqliteStore
from index.watchlist import WatchlistError
from tests.crawlers.test_crawl_sources import PAGES, run_crawl
from tests.loopback import Loopback, Reply

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*locs: str) -> bytes:
    urls = "".join(f"<url><loc>{loc}</loc><lastmod>2026-11-01</lastmod></url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{urls}</urlset>'.encode()


def sitemapindex(*locs: str) -> bytes:
    maps = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0"?><sitemapindex {NS}>{maps}</sitemapindex>'.encode()


def test_reads_urlsets_indexes_gzip_and_robots() -> None:
    base = "https://shop.example"
    pages = urlset(f"{base}/products/a.html", f"{base}/blog/b.html")
    assert read_sitemap(pages, f"{base}/sitemap.xml") == SitemapLinks(
        pages=[f"{base}/products/a.html", f"{base}/blog/b.html"])
    assert read_sitemap(gzip.compress(pages), f"{base}/s.xml.gz") == read_sitemap(
        pages, f"{base}/sitemap.xml")
    assert read_sitemap(sitemapindex(f"{base}/s1.xml.gz"), f"{base}/index.xml") == SitemapLinks(
        sitemaps=[f"{base}/s1.xml.gz"])
    robots = b"User-agent: *\nDisallow: /cart/\nSitemap: /sitemap_index.xml\n"
    assert read_sitemap(robots, f"{base}/robots.txt") == SitemapLinks(
        sitemaps=[f"{base}/sitemap_index.xml"])


@pytest.mark.parametrize("body", [b"", b"<html><body>Not found</body></html>",
                                  b"\x1f\x8b\x08 truncated gzip", b"{\"json\": true}"])
def test_anything_else_is_not_a_sitemap(body: bytes) -> None:
    assert read_sitemap(body, "https://shop.example/sitemap.xml") is None


def test_sitemap_is_a_schemaorg_key_only(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n[[brands.sources]]\n'
                    'type = "feed"\nurl = "https://a.example/feed"\n'
                    'sitemap = "https://a.example/sitemap.xml"\n', encoding="utf-8")
    with pytest.raises(WatchlistError, match="`sitemap` does not apply to a feed source"):
        load_watchlist(path)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Any, Any]]:
    tmp = tmp_path_factory.mktemp("sitemap")
    routes: dict[str, tuple[str, bytes]] = {}

    def answer(path: str) -> Reply:
        kind, body = routes.get(path, ("text/html", b""))
        return 200 if path in routes else 404, {"Content-Type": kind}, body

    site = Loopback(answer)
    base = site.url
    product = (PAGES / "schemaorg" / "product-no-best-rating.html").read_bytes()
    routes.update({
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"
                                      b"Sitemap: /sitemap_index.xml\n"),
        "/sitemap_index.xml": ("application/xml", sitemapindex(
            f"{base}/sitemaps/products.xml.gz", f"{base}/sitemaps/blog.xml",
            f"{base}/sitemaps/broken.xml")),
        "/sitemaps/products.xml.gz": ("application/gzip", gzip.compress(urlset(
            f"{base}/products/a.html", f"{base}/products/b.html", f"{base}/products/gone.html",
            f"{base}/products/a.html", f"{base}/private/prototype.html"))),
        "/sitemaps/blog.xml": ("application/xml", urlset(f"{base}/blog/acme-review.html")),
        "/sitemaps/broken.xml": ("text/html", b"<html><body>Oops</body></html>"),
        "/products/index.html": ("text/html", b"<html><body>Our products</body></html>"),
        "/products/a.html": ("text/html", product),
        "/products/b.html": ("text/html", (PAGES / "schemaorg" / "microdata-only.html"
                                           ).read_bytes()),
        "/blog/acme-review.html": ("text/html", product),
    })
    (tmp / "w.toml").write_text(
        f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
        f'type = "schemaorg"\nurl = "{base}/products/index.html"\n'
        f'sitemap = "{base}/robots.txt"\n'
        # A second watched brand, without sources, that one of Acme's reviews names.
        '[[brands]]\nname = "Sofa Co"\nterms = ["sofa"]\n', encoding="utf-8")
    stats = run_crawl(tmp / "w.toml", tmp / "m.db")["schemaorg"]
    with SqliteStore(tmp / "m.db") as store:
        mentions = [h.mention for h in store.search("", size=100).hits]
    yield site.received, stats, mentions
    site.close()


def test_pages_listed_in_sitemaps_under_the_scope_are_crawled(
        crawled: tuple[list[str], Any, Any]) -> None:
    received, stats, mentions = crawled
    asked = set(received)
    assert {"/sitemap_index.xml", "/sitemaps/products.xml.gz", "/sitemaps/blog.xml",
            "/products/a.html", "/products/b.html", "/products/gone.html"} <= asked
    assert "/blog/acme-review.html" not in asked  # outside the source's scope
    assert "/private/prototype.html" not in asked  # outside the scope and robots.txt
    assert received.count("/products/a.html") == 1
    assert stats["mentionwatch/unreadable/sitemap"] == 1  # broken.xml
    assert sorted(m.url.rsplit("/", 1)[1] for m in mentions) == [
        "a.html", "a.html", "a.html", "b.html", "b.html"]  # the reviews on the two pages


def test_a_review_naming_another_watched_brand_counts_for_it_too(
        crawled: tuple[list[str], Any, Any]) -> None:
    _, _, mentions = crawled
    assert [(m.brands, m.text) for m in mentions if len(m.brands) > 1] == [
        (("Acme", "Sofa Co"), "Gets stuck under the sofa every day.")]
