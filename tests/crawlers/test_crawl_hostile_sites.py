"""A hostile watched site cannot make the crawler read local files, hang on a named pipe,
reach a private address or fill its memory: real crawls in subprocesses against a loopback
server.

No packet may leave loopback, even if the guard failed: where a test names a non-loopback
address, every request of the crawl goes through the test's own server as its HTTP proxy,
so a request the guard let through would reach that server, never the address.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawlers.settings import DOWNLOADER_MIDDLEWARES
from tests.crawlers.test_crawl_sitemap import sitemapindex, urlset
from tests.crawlers.test_crawl_sources import PAGES
from tests.loopback import Loopback, Reply

RUN = """
import json, sys
from crawlers.run import run_crawl
from crawlers.spiders.schemaorg import SchemaOrgSource
from index.watchlist import Brand, Watchlist
url, sitemap, settings = sys.argv[1], sys.argv[2] or None, json.loads(sys.argv[3])
source = SchemaOrgSource(type="schemaorg", url=url, scope=url.rsplit("/", 1)[0] + "/",
                         sitemap=sitemap)
stats = run_crawl(Watchlist(brands=(Brand(name="Acme", terms=("Acme",), sources=(source,)),)),
                  settings)["schemaorg"]
print(json.dumps({k: v for k, v in stats.items() if isinstance(v, int)}))
"""
SETTINGS = {"MENTIONWATCH_ALLOW_LOOPBACK": True, "MENTIONWATCH_SENTIMENT_ENABLED": False,
            "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING",
            # Were a request to go out, it would fail fast instead of holding the test.
            "DOWNLOAD_TIMEOUT": 5, "RETRY_TIMES": 0}
PRODUCT = (PAGES / "schemaorg" / "product-no-best-rating.html").read_bytes()
CRAWL_TIMEOUT = 60  # seconds; a crawl of a few loopback pages takes 2-3


def crawl(url: str, tmp: Path, *, sitemap: str = "", proxy: str | None = None,
          **settings: Any) -> tuple[dict[str, int], str]:
    """The crawl's stats and log; fails (never hangs) if it does not end in time."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"http_proxy", "no_proxy"}}
    if proxy:
        env["http_proxy"] = proxy
    overrides = {**SETTINGS, "MENTIONWATCH_DB": str(tmp / "m.db"), **settings}
    run = subprocess.Popen([sys.executable, "-c", RUN, url, sitemap, json.dumps(overrides)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, log = run.communicate(timeout=CRAWL_TIMEOUT)
    except subprocess.TimeoutExpired:
        run.kill()
        run.communicate()
        pytest.fail(f"the crawl did not end within {CRAWL_TIMEOUT} s")
    assert run.returncode == 0, log
    stats: dict[str, int] = json.loads(out)
    return stats, log


def site(routes: dict[str, Reply]) -> Loopback:
    """A loopback site of `routes`; it answers as a proxy too (absolute request targets)."""
    def answer(target: str) -> Reply:
        path = urlsplit(target).path if target.startswith("http") else target
        return routes.get(path, (404, {"Content-Type": "text/html"}, b""))
    return Loopback(answer)


def html(body: bytes) -> Reply:
    return 200, {"Content-Type": "text/html"}, body


def xml(body: bytes) -> Reply:
    return 200, {"Content-Type": "application/xml"}, body


@pytest.fixture
def local_files(tmp_path: Path) -> Callable[[str], tuple[str, str]]:
    """Makes a local sitemap listing a page of `base`, and a named pipe nobody writes to:
    their file: URLs."""
    def make(base: str) -> tuple[str, str]:
        local = tmp_path / "local-sitemap.xml"
        local.write_bytes(urlset(f"{base}/products/from-a-local-file.html"))
        pipe = tmp_path / "pipe"
        os.mkfifo(pipe)
        return local.as_uri(), pipe.as_uri()
    return make


def test_a_sitemap_index_naming_local_files_reads_none_and_ends(
        tmp_path: Path, local_files: Callable[[str], tuple[str, str]]) -> None:
    routes: dict[str, Reply] = {"/products/a.html": html(PRODUCT)}
    with site(routes) as shop:
        local, pipe = local_files(shop.url)
        routes["/sitemap.xml"] = xml(sitemapindex(local, pipe, f"{shop.url}/sitemaps/ok.xml"))
        routes["/sitemaps/ok.xml"] = xml(urlset(f"{shop.url}/products/a.html"))
        stats, log = crawl(f"{shop.url}/products/index.html", tmp_path,
                           sitemap=f"{shop.url}/sitemap.xml")
    assert "/products/from-a-local-file.html" not in shop.received  # the local file unread
    assert "/products/a.html" in shop.received  # the genuine sitemap still crawled
    assert stats["item_scraped_count"] == 3
    assert stats["mentionwatch/refused/scheme"] == 2
    assert f"refused: must be an http or https URL, not 'file': '{pipe}'" in log


def test_a_robots_txt_sitemap_line_naming_a_local_file_is_refused(
        tmp_path: Path, local_files: Callable[[str], tuple[str, str]]) -> None:
    routes: dict[str, Reply] = {}
    with site(routes) as shop:
        local, pipe = local_files(shop.url)
        routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                 f"User-agent: *\nSitemap: {local}\nSitemap: {pipe}\n".encode())
        stats, _ = crawl(f"{shop.url}/products/index.html", tmp_path,
                         sitemap=f"{shop.url}/robots.txt")
    assert "/products/from-a-local-file.html" not in shop.received
    assert stats["mentionwatch/refused/scheme"] == 2


def test_a_redirect_to_a_carrier_grade_nat_address_is_refused_before_connecting(
        tmp_path: Path) -> None:
    target = "http://100.64.0.1/latest/meta-data/"
    routes = {"/products/index.html": (302, {"Location": target}, b"")}
    with site(routes) as shop:
        # Loopback is allowed; 100.64.0.0/10 stays refused. Through the proxy, a request that
        # passed the guard would be seen by `shop`.
        stats, log = crawl(f"{shop.url}/products/index.html", tmp_path, proxy=shop.url)
    assert any(t.endswith("/products/index.html") for t in shop.received)  # redirected
    assert not [t for t in shop.received if "100.64.0.1" in t]
    assert stats["mentionwatch/refused/private_address"] == 1
    assert f"non-global address: '{target}'" in log


def test_an_oversize_response_is_dropped_and_counted(tmp_path: Path) -> None:
    routes = {"/products/index.html": html(PRODUCT.replace(b"</body>", b'<a href="big.html">'
                                                           b"more</a></body>")),
              "/products/big.html": html(b"<html>" + b" " * (17 * 1024 * 1024) + b"</html>")}
    with site(routes) as shop:
        stats, log = crawl(f"{shop.url}/products/index.html", tmp_path)
    assert "/products/big.html" in shop.received
    assert stats["mentionwatch/refused/too_large"] == 1  # over the 16 MiB default
    assert stats["item_scraped_count"] == 3  # the page that links to it is kept
    assert "larger than download max size" in log


@pytest.mark.parametrize(("allow_loopback", "guard", "reached"), [
    (False, True, False),
    (False, False, False),  # the resolver alone keeps the connection off loopback
    (True, False, True),  # (the server is reachable: the refusals above are real)
])
def test_a_name_resolving_to_loopback_is_never_connected_to(
        tmp_path: Path, allow_loopback: bool, guard: bool, reached: bool) -> None:
    with site({"/products/index.html": html(PRODUCT)}) as shop:
        url = f"http://localhost:{urlsplit(shop.url).port}/products/index.html"
        guard_off = {"crawlers.middlewares.AddressGuardMiddleware": None}
        unguarded = {"DOWNLOADER_MIDDLEWARES": {**DOWNLOADER_MIDDLEWARES, **guard_off}}
        stats, _ = crawl(url, tmp_path, MENTIONWATCH_ALLOW_LOOPBACK=allow_loopback,
                         ROBOTSTXT_OBEY=False, **({} if guard else unguarded))
    assert bool(shop.received) is reached
    assert ("mentionwatch/refused/private_address" in stats) is (guard and not reached)


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
def test_a_listed_private_host_may_not_redirect_to_another(
        tmp_path: Path, target_host: str) -> None:
    # Loopback refused but the listed host: `localhost` on the shop's port alone, so neither
    # another address nor the listed name on another port is reached by its redirect.
    with site({"/products/a.html": html(PRODUCT)}) as other:
        target = f"http://{target_host}:{urlsplit(other.url).port}/products/a.html"
        with site({"/products/index.html": (302, {"Location": target}, b"")}) as shop:
            port = urlsplit(shop.url).port
            stats, log = crawl(f"http://localhost:{port}/products/index.html", tmp_path,
                               MENTIONWATCH_ALLOW_LOOPBACK=False, ROBOTSTXT_OBEY=False,
                               MENTIONWATCH_PRIVATE_HOSTS=f"localhost:{port}")
    assert shop.received == ["/products/index.html"]
    assert other.received == []
    assert stats["mentionwatch/refused/private_address"] == 1
    assert f"non-global address: '{target}'" in log
