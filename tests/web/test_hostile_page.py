"""Hostile review text through the whole pipeline: a product page on 127.0.0.1 whose
schema.org review carries markup and script, crawled by the real `mentionwatch crawl`,
scored, indexed, served by the API and shown by the dashboard, as text that never runs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from api.keys import KeyStore
from api.settings import Settings
from tests.loopback import Loopback
from tests.web.conftest import serve_app

# A review body is HTML, so its tags are dropped at extraction; markup written as entities
# is text and survives it: that is what must reach the page as text.
REVIEW_BODY = ('Acme charger &lt;img src=x onerror="window.__pwned = 1"&gt; broke; '
               '<script>window.__pwned = 2</script>&lt;script&gt;window.__pwned = 3'
               '&lt;/script&gt; "}] --> avoid')
SHOWN_TEXT = ('Acme charger <img src=x onerror="window.__pwned = 1"> broke; '
              '<script>window.__pwned = 3</script> "}] --> avoid')
AUTHOR = '&lt;svg onload="window.__pwned = 4"&gt;'
SHOWN_AUTHOR = '<svg onload="window.__pwned = 4">'


def _page() -> str:
    review = {"@context": "https://schema.org", "@type": "Product", "name": "Acme Charger",
              "review": [{"@type": "Review", "author": AUTHOR,
                          "datePublished": "2026-10-20", "reviewBody": REVIEW_BODY,
                          "reviewRating": {"@type": "Rating", "ratingValue": 1,
                                           "bestRating": 5}}]}
    # `</` escaped as JSON allows, so the script block holds the text whole.
    data = json.dumps(review).replace("</", "<\\/")
    return (f'<!doctype html><html><head><title>Acme Charger</title>'
            f'<script type="application/ld+json">{data}</script></head>'
            f'<body><h1>Acme Charger</h1></body></html>')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The crawled index behind the real app: (app URL, analyst key)."""
    tmp = tmp_path_factory.mktemp("hostile")
    files = {"/charger.html": _page().encode(), "/robots.txt": b"User-agent: *\nAllow: /\n"}
    watchlist, db = tmp / "mentionwatch.toml", tmp / "mentionwatch.db"
    with Loopback(lambda path: (200 if path in files else 404,
                                {"Content-Type": "text/html; charset=utf-8"},
                                files.get(path, b""))) as pages:
        watchlist.write_text(f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n'
                             f'[[brands.sources]]\ntype = "schemaorg"\n'
                             f'url = "{pages.url}/charger.html"\n')
        subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist),
                        "--db", str(db), "--allow-loopback"],
                       capture_output=True, text=True, timeout=300, check=True)
    keys = KeyStore(db)
    key = keys.create("analyst", "hostile page test")
    keys.close()
    with serve_app(Settings(db=db)) as url:
        yield url, key


def test_crawled_hostile_review_is_shown_as_text(served: tuple[str, str], browser: Any) -> None:
    url, key = served
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/#key={key}")
        page.click("#tabs a[data-view=search]")  # the home view is the overview
        page.fill("#q", "charger")
        page.click("#search-form button[type=submit]")
        card = page.locator("#results .mention")
        expect(card).to_have_count(1)
        expect(card.locator(".text")).to_have_text(SHOWN_TEXT)
        expect(card.locator(".author")).to_have_text(SHOWN_AUTHOR)
        expect(card.locator(".badge")).to_have_text("negative")
        assert card.locator("img, script, svg").count() == 0
        assert page.evaluate("window.__pwned") is None
    finally:
        context.close()
