"""A real crawl of the demo site, served on 127.0.0.1, through every pipeline into the index.

The crawl runs as `mentionwatch crawl` in a subprocess (Twisted's reactor runs once per
process), twice: the second run must add nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.advocates import find_leads
from api.demo import DEMO_MASTODON, DemoSite, demo_watchlist
from api.visibility import visibility_report
from crawlers.coverage import recent_runs
from crawlers.pipelines import is_brand_account
from index.inbox import Inbox
from index.record import Mention
from index.sqlite import SqliteStore
from index.urls import page_key


def crawl(watchlist: Path, db: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist), "--db",
         str(db), "--allow-loopback"],
        capture_output=True, text=True, timeout=300, check=True)
    return {s["source"]: s for s in map(json.loads, done.stdout.splitlines())}


class Crawled:
    def __init__(self, db: Path, first: dict[str, dict[str, Any]],
                 second: dict[str, dict[str, Any]], mentions: list[Mention],
                 corrected: tuple[str, str]) -> None:
        self.db, self.first, self.second, self.mentions = db, first, second, mentions
        self.corrected = corrected  # (mention id, label) a person set between the crawls


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("crawl")
    watchlist, db = tmp / "mentionwatch.toml", tmp / "mentions.db"
    with DemoSite() as site:
        watchlist.write_text(demo_watchlist(site.url), encoding="utf-8")
        first = crawl(watchlist, db)
        with SqliteStore(db) as store:
            entry = store.search("source:feed", sort="newest", size=1).hits[0].mention
            assert entry.sentiment
            label = "positive" if entry.sentiment.label == "negative" else "negative"
            store.correct_sentiment(entry.id, label, "ann")
        second = crawl(watchlist, db)  # fetches, re-scores and upserts the entry again
        with SqliteStore(db) as store:
            mentions = [h.mention for h in store.search("", size=100, sort="newest").hits]
        yield Crawled(db, first, second, mentions, (entry.id, label))


def test_first_crawl_finds_every_review_and_entry_without_errors(crawled: Crawled) -> None:
    first = {k: (v["found"], v["new"], v["errors"], v["unreadable"])
             for k, v in crawled.first.items()}
    # The one unreadable part is the demo's deliberately broken JSON-LD block.
    assert first == {"schemaorg": (39, 39, 0, 1), "feed": (8, 8, 0, 0),
                     "mastodon": (4, 4, 0, 0), "ai_answers": (6, 6, 0, 0)}


def test_second_crawl_adds_nothing_but_new_answers(crawled: Crawled) -> None:
    # Each crawl asks the assistant again: its answers are new runs, not updates.
    assert {k: (v["new"], v["updated"]) for k, v in crawled.second.items()} == {
        "schemaorg": (0, 39), "feed": (0, 8), "mastodon": (0, 4), "ai_answers": (6, 0)}
    assert len(crawled.mentions) == 51 + 2 * 6


def test_a_correction_survives_the_re_crawl(crawled: Crawled) -> None:
    mention_id, label = crawled.corrected
    [mention] = [m for m in crawled.mentions if m.id == mention_id]
    assert mention.sentiment and (mention.sentiment.label, mention.sentiment.corrected_by) == (
        label, "ann")
    with SqliteStore(crawled.db) as store:
        assert mention_id in {h.mention.id for h in store.search(f"sentiment:{label}",
                                                                   size=100).hits}


def test_the_exact_reviews_are_indexed(crawled: Crawled,
                                       demo_expected: Callable[[str], list[list[str]]]) -> None:
    found = sorted(
        [urlsplit(m.url).path.lstrip("/"), m.author.name,
         f"{m.rating.value:g}/{m.rating.best:g}" if m.rating else "", m.lang or ""]
        for m in crawled.mentions if m.source == "schemaorg")
    assert found == sorted(row[:4] for row in demo_expected("| page | author |"))
    assert not any("/private/" in m.url for m in crawled.mentions)  # robots.txt obeyed


def test_the_brands_replies_are_stored_on_the_reviews_they_answer(
        crawled: Crawled, demo_expected: Callable[[str], list[list[str]]]) -> None:
    found = sorted([urlsplit(m.url).path.lstrip("/"), m.author.name, reply.author]
                   for m in crawled.mentions if m.source == "schemaorg"
                   for reply in m.brand_replies)
    assert found == sorted([row[0], row[1], row[3]] for row in demo_expected("| page | reviewer |"))
    [tom] = [m for m in crawled.mentions if m.author.name == "Tom Becker"]
    assert tom.first_reply_at and tom.published_at
    assert tom.first_reply_at - tom.published_at == timedelta(hours=1, minutes=30)


def test_the_brand_accounts_mastodon_replies_answer_their_posts_and_inbox_items(
        crawled: Crawled, demo_expected: Callable[[str], list[list[str]]]) -> None:
    posts = {m.author.name: m for m in crawled.mentions if m.source == "mastodon"}
    found = sorted([name, ", ".join(m.brands), ", ".join(r.author for r in m.brand_replies)]
                   for name, m in posts.items())
    # columns: author, handle, lang, published, brands, tone, reply by, replied, after
    assert found == sorted([row[0], row[4], row[6]]
                           for row in demo_expected("| author | handle |"))
    jonas = posts["Jonas Berg"]
    [reply] = jonas.brand_replies
    assert reply.author == f"@acme@{DEMO_MASTODON}"
    assert reply.text.startswith("@jonas Sorry about that, Jonas!")
    assert jonas.first_reply_at and jonas.published_at
    assert jonas.first_reply_at - jonas.published_at == timedelta(hours=1, minutes=15)
    assert reply.text not in {m.text for m in crawled.mentions}  # never a mention of its own
    with Inbox(crawled.db) as inbox:
        jonas_item, lea_item = inbox.get(jonas.id), inbox.get(posts["Lea Hoffmann"].id)
        assert jonas_item and lea_item
        assert (jonas_item.status, inbox.audit(jonas.id)[-1].action) == (
            "answered", "reply captured")
    assert lea_item.status == "open"


def test_brands_come_from_the_watchlist(crawled: Crawled,
                                        demo_expected: Callable[[str], list[list[str]]]) -> None:
    for m in crawled.mentions:
        if m.source == "schemaorg":
            assert m.brand == ("Zephyr" if "zephyr" in m.url else "Acme"), m.url
    feeds = sorted((m.title or "", m.brand or "") for m in crawled.mentions if m.source == "feed")
    assert feeds == sorted((row[1], row[2]) for row in demo_expected("| feed | title |"))


def test_every_mention_is_scored_and_clear_reviews_get_the_right_label(
    crawled: Crawled, demo_expected: Callable[[str], list[list[str]]],
) -> None:
    assert all(m.sentiment and m.nps_class for m in crawled.mentions)
    ratings = [row[2] for row in demo_expected("| page | author |")]
    labels: dict[str, list[str]] = {"top": [], "bottom": []}
    for m in crawled.mentions:
        if m.rating and m.sentiment and m.rating.normalized in (0.0, 1.0):
            labels["top" if m.rating.normalized else "bottom"].append(m.sentiment.label)
            assert m.nps_class == ("promoter" if m.rating.normalized else "detractor")
    assert labels["top"] == ["positive"] * sum(r in ("5/5", "10/10") for r in ratings)
    assert labels["bottom"] == ["negative"] * sum(r == "1/5" for r in ratings)
    assert all(m.nps_estimated for m in crawled.mentions if m.rating is None)


@pytest.mark.parametrize(("query", "words"), [
    ("battery", ("battery",)), ("电池", ("电池", "電池")), ("電池", ("电池", "電池"))])
def test_crawled_mentions_are_searchable_in_english_and_chinese(
    crawled: Crawled, query: str, words: tuple[str, ...],
) -> None:
    expected = {m.id for m in crawled.mentions
                if any(word in f"{m.title or ''} {m.text}".lower() for word in words)}
    with SqliteStore(crawled.db) as store:
        found = {h.mention.id for h in store.search(query, size=100).hits}
    assert expected and found == expected


def test_every_run_is_recorded_as_coverage(crawled: Crawled) -> None:
    runs = recent_runs(crawled.db)
    second, first = runs[:4], runs[4:]  # newest first
    assert sorted((r.source, r.found, r.new) for r in first) == [
        ("ai_answers", 6, 6), ("feed", 8, 8), ("mastodon", 4, 4), ("schemaorg", 39, 39)]
    assert sorted((r.source, r.found, r.new) for r in second) == [
        ("ai_answers", 6, 6), ("feed", 8, 0), ("mastodon", 4, 0), ("schemaorg", 39, 0)]
    schemaorg = next(r for r in runs if r.source == "schemaorg")
    assert len(schemaorg.asked) == 3
    assert all(url.startswith("http://127.0.0.1:") for url in schemaorg.asked)
    assert schemaorg.unreadable == 1 and schemaorg.errors == 0
    assert schemaorg.finish_reason == "finished"


def test_the_crawl_stores_advocate_records_that_leads_aggregate(crawled: Crawled) -> None:
    own = [m for m in crawled.mentions if m.brand and is_brand_account(m.author, m.brand)]
    assert {m.author.name for m in own} == {"Acme Newsroom"}
    assert all(m.advocate is None for m in own)
    answers = [m for m in crawled.mentions if m.kind == "ai_answer"]
    assert all(m.advocate is None for m in answers)  # the assistant advocates for nobody
    assert all(m.advocate is not None for m in crawled.mentions
               if m not in own and m not in answers)
    with SqliteStore(crawled.db) as store:
        [top, *_] = find_leads(store, "Acme")
    assert (top.author, top.persona, top.mentions) == ("Maya Chen", "validator", 2)


def test_the_demo_assistants_answers_give_the_visibility_figures(crawled: Crawled) -> None:
    with SqliteStore(crawled.db) as store:
        report = visibility_report(store, "Acme")
    english, chinese = report["visibility"]
    # Two crawls of 3 runs: Acme is named in every English answer, in 2 of 3 Chinese ones.
    assert (english["prompt"], english["runs"], english["named"]) == (
        "best wireless earbuds?", 6, 6)
    assert (chinese["runs"], chinese["named"]) == (6, 4)
    assert english["competitors"] == {"Sonique": 6, "Zephyr": 2}
    assert sum(english["sentiment"].values()) == 6
    # The page every English answer cites (one with a tracking parameter, one with a
    # trailing slash) holds the Acme Buds Pro's 5 reviews, Maya Chen's among them, and is
    # the Atom feed's link of an article.
    [page] = english["cited_pages"]
    assert (urlsplit(page["url"]).path, page["answers"]) == ("/products/acme-buds-pro.html", 6)
    held = [m for m in crawled.mentions if m.kind != "ai_answer" and page_key(m.url) == page["url"]]
    assert sorted(page["mentions"]) == sorted(m.id for m in held)
    assert sorted(m.kind for m in held) == ["article"] + ["review"] * 5
    assert "Maya Chen" in {cited["author"] for cited in report["advocates_cited"]}
