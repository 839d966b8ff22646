"""A real crawl of hostile schema.org pages on loopback (tests/crawlers/hostile.py): a UTF-16
page with a BOM, an ISO-2022-JP page, a page with a review dated 9999-12-31 and the 539 KB
page with 50,000 attributes. Every review reaches the index; the cut is counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from index.record import Mention
from index.sqlite import SqliteStore
from tests.crawlers.hostile import (
    BAD_TEXT,
    GOOD,
    Review,
    good_reviews,
    many_attributes,
    write,
)
from tests.crawlers.test_crawl_sources import run_crawl
from tests.loopback import Loopback, Reply

SOURCE = "schemaorg-jsonld"


def _pages() -> dict[str, tuple[str, bytes]]:
    page = write(SOURCE, good_reviews(SOURCE))
    first, second = good_reviews(SOURCE)
    year_9999 = write(SOURCE, [first, Review(BAD_TEXT, "9999-12-31T23:59:59Z"), second])
    japanese = page.replace("<head>", '<head><meta charset="iso-2022-jp">')
    return {
        # Scrapy's own reading of the header and BOM is not trusted to agree: one lies.
        "/products/utf16.html": ("text/html; charset=iso-8859-1",
                                 b"\xff\xfe" + page.encode("utf-16-le")),
        "/products/iso2022.html": ("text/html", japanese.encode("iso-2022-jp")),
        "/products/year9999.html": ("text/html", year_9999.encode()),
        "/products/attributes.html": ("text/html", many_attributes()),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[dict[str, int], list[Mention]]]:
    tmp = tmp_path_factory.mktemp("hostile")
    pages = _pages()
    links = "".join(f'<a href="{path}">{path}</a>' for path in pages)
    pages["/products/index.html"] = ("text/html", f"<html><body>{links}</body></html>".encode())

    def answer(path: str) -> Reply:
        kind, body = pages.get(path, ("text/plain", b""))
        return 200 if path in pages else 404, {"Content-Type": kind}, body

    with Loopback(answer) as site:
        (tmp / "w.toml").write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
            f'type = "schemaorg"\nurl = "{site.url}/products/index.html"\n', encoding="utf-8")
        stats = run_crawl(tmp / "w.toml", tmp / "m.db")["schemaorg"]
    with SqliteStore(tmp / "m.db") as store:
        mentions = [hit.mention for hit in store.search("", size=100).hits]
    yield stats, mentions


def _on(mentions: list[Mention], page: str) -> list[Mention]:
    return [m for m in mentions if m.url.endswith(page)]


@pytest.mark.parametrize("page", ["utf16.html", "iso2022.html", "year9999.html",
                                  "attributes.html"])
def test_every_good_review_of_a_hostile_page_is_indexed(
        crawled: tuple[dict[str, int], list[Mention]], page: str) -> None:
    _, mentions = crawled
    assert set(GOOD) <= {m.text for m in _on(mentions, page)}


def test_a_review_dated_9999_is_indexed_without_its_date(
        crawled: tuple[dict[str, int], list[Mention]]) -> None:
    _, mentions = crawled
    bad = [m for m in _on(mentions, "year9999.html") if m.text == BAD_TEXT]
    assert [m.published_at for m in bad] == [None]


def test_the_attributes_left_unread_are_counted(
        crawled: tuple[dict[str, Any], list[Mention]]) -> None:
    stats, _ = crawled
    assert stats["mentionwatch/unreadable/too_many_attributes"] == 1
