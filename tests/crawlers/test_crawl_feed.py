"""Real crawls of RSS feeds on a loopback server: entries that are only a summary are
matched and kept with their linked article's main text; feeds that lie about their
encoding still read right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.record import Mention
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import ReplayServer, Reply, run_crawl

RSS = {"Content-Type": "application/rss+xml"}
ROUTES = {
    "/feed.xml": [Reply(file="feed/summaries.xml", headers=RSS)],
    "/articles/holiday-phones.html": [Reply(file="feed/articles/holiday-phones.html")],
    "/articles/vacuums.html": [Reply(file="feed/articles/vacuums.html")],
    "/articles/hands-on.html": [Reply(file="feed/articles/hands-on.html")],
    # /articles/recall.html is a 404; /articles/repair-desk.html must never be asked for.
    # Served with a charset that agrees with the XML declaration, both wrong:
    "/latin1.xml": [Reply(file="feed/rss-declared-latin1-is-utf8.xml",
                          headers={"Content-Type": "application/rss+xml; charset=iso-8859-1"})],
    "/utf8.xml": [Reply(file="feed/rss-declared-utf8-is-cp1252.xml",
                        headers={"Content-Type": "text/xml; charset=utf-8"})],
}


def watchlist(base: str) -> str:
    feeds = "".join(f'\n[[brands.sources]]\ntype = "feed"\nurl = "{base}{path}"\n'
                    for path in ("/feed.xml", "/latin1.xml", "/utf8.xml"))
    return (f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n{feeds}\n'
            '[[brands]]\nname = "Zephyr"\nterms = ["Zephyr"]\n')


@dataclass
class Crawled:
    first: dict[str, int]
    second: dict[str, int]
    received: tuple[list[str], list[str]]
    mentions: dict[str, Mention]  # by title


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("feeds")
    with ReplayServer({path: list(replies) for path, replies in ROUTES.items()}) as server:
        (tmp / "mentionwatch.toml").write_text(watchlist(server.url), encoding="utf-8")
        first = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")["feed"]
        received_first, server.received = server.received, []
        second = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")["feed"]
        with SqliteStore(tmp / "mentions.db") as store:
            mentions = {h.mention.title or "": h.mention
                        for h in store.search("", size=100, sort="newest").hits}
    yield Crawled(first, second, (sorted(p for _, p in received_first),
                                  sorted(p for _, p in server.received)), mentions)


def test_summary_entries_are_kept_with_their_article_text(crawled: Crawled) -> None:
    texts = {title: (m.brand, m.text) for title, m in crawled.mentions.items()}
    assert texts["Three phones for the holidays"] == ("Acme", (
        "We carried three phones for a month. One of them we would buy with our own money, "
        "and it is not the most expensive one.\n"
        "The Acme Phone X lasted two full days on a charge in our tests, and its camera kept up "
        "with the flagships in daylight. At night it falls behind, but not by much.\n"
        "The other two were fast and bright, but both needed a charger by dinner time. For most "
        "people the Acme is the easy recommendation this year."))
    # A title-only entry; its ISO-8859-1 article page says so in its <meta charset>.
    assert texts["Acme Phone X hands-on"] == ("Acme", (
        "The Acme Phone X feels lighter than its 190 grams. The matte back keeps fingerprints "
        "away, and the screen is bright enough for a sunny café terrace.\n"
        "Prices start at £599 in the UK, with the 256 GB model at £679."))
    # The article could not be fetched (404): the summary is kept.
    assert texts["Earbud recall widens"] == (
        "Acme", "Acme now recalls a second batch of Buds Pro cases. Read more")
    # Full content in the feed: its link is not fetched.
    assert texts["Acme opens a repair desk"] == (
        "Acme", "Acme opens a walk-in repair desk in its Leeds store on Monday.\n"
                "Screens are replaced within the hour.")
    # The vacuum test's article names no watched brand: not kept.
    assert "Six vacuums, one rug, a lot of cat hair" not in texts
    hands_on = crawled.mentions["Acme Phone X hands-on"]
    assert (hands_on.url, hands_on.lang, hands_on.kind) == (
        hands_on.url.split("/articles/")[0] + "/articles/hands-on.html", "en", "article")


def test_feeds_that_lie_about_their_encoding_read_right(crawled: Crawled) -> None:
    assert crawled.mentions["Acme Phone X : l’autonomie testée"].text == (
        "Après deux semaines, la batterie de l’Acme Phone X tient deux jours. Déçu par l’écran en "
        "plein soleil ; « très bon rapport qualité-prix ».")
    assert crawled.mentions["Zephyr V8 review – “quiet enough for night shifts”"].text == (
        "Our café’s night crew tried the Zephyr V8 for a month – it’s quieter than last year’s "
        "model.")
    assert len(crawled.mentions) == 6


def test_articles_are_fetched_politely_once_and_counted(crawled: Crawled) -> None:
    first, second = crawled.received
    assert first == sorted([
        "/robots.txt", "/feed.xml", "/latin1.xml", "/utf8.xml",
        "/articles/holiday-phones.html", "/articles/vacuums.html", "/articles/hands-on.html",
        "/articles/recall.html",
    ])
    assert {k: crawled.first.get(f"mentionwatch/feed/{k}") for k in (
        "article_read", "article_failed")} == {"article_read": 3, "article_failed": 1}
    assert crawled.first["response_received_count"] == 8  # coverage counts article pages
    assert (crawled.first["item_scraped_count"], crawled.first["mentionwatch/indexed/new"]) == (
        6, 6)
    # Incremental: articles read before are not fetched again; the failed one is retried.
    assert second == sorted(["/robots.txt", "/feed.xml", "/latin1.xml", "/utf8.xml",
                             "/articles/recall.html"])
    assert crawled.second.get("mentionwatch/indexed/new", 0) == 0


def test_an_article_naming_two_brands_counts_for_both(tmp_path: Path) -> None:
    routes = {"/news.xml": [Reply(file="feed/rss-news.xml", headers=RSS)]}
    with ReplayServer(routes) as server:
        (tmp_path / "mentionwatch.toml").write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme", "艾克美"]\nexclude = ["Acme Bank"]\n'
            f'[[brands.sources]]\ntype = "feed"\nurl = "{server.url}/news.xml"\n'
            '[[brands]]\nname = "Zephyr"\nterms = ["Zephyr"]\n', encoding="utf-8")
        run_crawl(tmp_path / "mentionwatch.toml", tmp_path / "mentions.db")
    with SqliteStore(tmp_path / "mentions.db") as store:
        assert {h.mention.title for h in store.search("brand:zephyr").hits} == {
            "Acme and Zephyr team up on a smart-home hub", "Zephyr V8 price cut in the UK"}
        assert [(b.key, b.count) for b in store.terms("brand")] == [("acme", 2), ("zephyr", 2)]
