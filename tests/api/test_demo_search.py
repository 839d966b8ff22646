"""What a new user types into the demo finds what the demo's pages say: other forms of a
word, and one Chinese character, on the mentions extracted from api/demo_site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlers.extract.feed import extract_entries
from crawlers.extract.schemaorg import extract_reviews
from index.sqlite import SqliteStore
from index.watchlist import Brand

DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_site"
SITE = "http://127.0.0.1:8765/"
BRANDS = (Brand(name="Acme", terms=("Acme", "艾克美")), Brand(name="Zephyr", terms=("Zephyr",)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path_factory.mktemp("demo") / "demo.db") as store:
        for page in sorted((DEMO / "products").glob("*.html")):
            url = SITE + page.relative_to(DEMO).as_posix()
            store.upsert(extract_reviews(page.read_bytes(), url,
                                         brand="Zephyr" if "zephyr" in url else "Acme"))
        for feed in ("news/feed.xml", "news/atom.xml"):
            store.upsert(extract_entries((DEMO / feed).read_bytes(), SITE + feed, BRANDS))
        yield store


def test_batteries_finds_what_battery_finds_and_quoted_only_itself(demo: SqliteStore) -> None:
    battery = demo.count("battery")
    assert battery >= 11  # what the issue counted
    assert demo.count("batteries") == battery
    assert demo.count('"batteries"') < battery


def test_overheating_finds_overheats_and_overheated(demo: SqliteStore) -> None:
    hits = demo.search("overheating").hits
    assert "Overheats while charging" in {hit.mention.title for hit in hits}
    assert any("<mark>overheated</mark>" in hit.highlight for hit in hits)  # as written


@pytest.mark.parametrize("char", ["裂", "电"])
def test_one_chinese_character_finds_the_words_it_is_in(demo: SqliteStore, char: str) -> None:
    hits = demo.search(char, size=50).hits
    assert hits
    assert all(f"<mark>{char}</mark>" in hit.highlight or char not in hit.mention.text
               for hit in hits)


def test_the_cracked_screen_is_found_by_its_last_character(demo: SqliteStore) -> None:
    (hit,) = demo.search("裂").hits
    assert hit.mention.text.endswith("裂") or "螢幕摔一次就裂" in (hit.mention.title or "")
