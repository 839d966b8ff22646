"""The hostile corpus (tests/crawlers/hostile.py) through every extractor and on into the
index: no exception escapes, every good review is kept, a bad field is dropped or replaced,
and what is kept stores in SQLite and serialises as JSON and ISO text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers.extract import (
    appstore,
    bluesky,
    feed,
    googleplay,
    hackernews,
    mastodon,
    reddit,
    schemaorg,
    trustpilot,
)
from crawlers.extract.dates import EARLIEST, parse_date
from crawlers.extract.jsonapi import MAX_ITEMS
from crawlers.extract.markup import MAX_ATTRIBUTES, parse_html
from crawlers.extract.schemaorg import MAX_REVIEWS
from index.record import Mention
from index.sqlite import SqliteStore
from index.watchlist import Brand
from tests.crawlers.hostile import (
    BAD_TEXT,
    GOOD,
    GOOD_DATE,
    Page,
    Review,
    corpus,
    many_attributes,
    write,
)

ACME = Brand(name="Acme", terms=("Acme",))
URL = "https://shop.example/p"
PAGES = list(corpus())


def extract(page: Page) -> list[Mention]:
    """The page through its source's extractor, as its spider calls it."""
    body, source = page.body, page.source
    if source.startswith("schemaorg"):
        return list(schemaorg.extract_reviews(body, URL, brand="Acme",
                                              encoding=page.header_charset))
    calls = {
        "trustpilot": lambda: trustpilot.extract_reviews(body, URL, brand="Acme"),
        "feed": lambda: feed.extract_entries(body, URL, [ACME]),
        "appstore": lambda: appstore.extract_reviews(body, URL, app_id="1", country="gb"),
        "reddit": lambda: reddit.extract_listing(body, URL, ACME),
        "hackernews": lambda: hackernews.extract_hits(body, URL, ACME),
        "mastodon": lambda: mastodon.extract_statuses(body, URL, ACME),
        "bluesky": lambda: bluesky.extract_feed(body, URL, ACME),
        "googleplay": lambda: googleplay.extract_reviews(body, URL, app_id="a", lang="en"),
    }
    return list(calls[source]())


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_good_review_is_kept_and_the_bad_field_dropped(page: Page) -> None:
    mentions = extract(page)
    texts = [m.text for m in mentions]
    for good in GOOD:
        assert good in texts, f"{good!r} lost from {texts}"
    for mention in mentions:
        if mention.published_at is not None:
            assert EARLIEST <= mention.published_at <= datetime.now(UTC) + timedelta(days=1)
    bad = [m for m in mentions if m.text.startswith(BAD_TEXT)]
    if page.bad == "published_at":
        assert [m.published_at for m in bad] == [None]
    elif page.bad == "engagement":
        assert len(bad) == 1
        assert bad[0].engagement.likes is None and bad[0].engagement.score is None
    elif page.bad == "text":  # the lone surrogate is replaced (or, in markup, dropped)
        assert len(bad) == 1
        author = bad[0].author
        for text in (bad[0].text, author.name, author.handle or "", author.url or ""):
            text.encode("utf-8")  # raises on a lone surrogate


@pytest.mark.parametrize("page", [p for p in PAGES if p.bad],
                         ids=[p.name for p in PAGES if p.bad])
def test_what_is_kept_reaches_the_index_and_json(page: Page, tmp_path: Path) -> None:
    mentions = extract(page)
    for mention in mentions:
        json.dumps(mention.to_dict(), ensure_ascii=False).encode("utf-8")
        if mention.published_at is not None:
            mention.published_at.isoformat()
    with SqliteStore(tmp_path / "index.db") as store:
        assert store.upsert(mentions) == len(mentions)
        for mention in mentions:
            stored = store.get(mention.id)
            assert stored is not None and stored.text == mention.text
            assert stored.published_at == mention.published_at


@pytest.mark.parametrize("value", ["1989-12-31T23:59:59Z", "0001-01-01", "9999-12-31",
                                   "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                                   "Fri, 31 Dec 9999 23:59:59 -0500", -62135596800,
                                   253402300799])
def test_dates_outside_the_sane_range_are_none(value: object) -> None:
    assert parse_date(value) is None


def test_dates_inside_the_sane_range_are_kept() -> None:
    assert parse_date("1990-01-01") == EARLIEST
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)
    assert parse_date(soon.isoformat()) == soon


def test_an_element_with_50000_attributes_is_cut_and_counted() -> None:
    """The 539 KB page that took seconds in libxml2: its excess attributes are not read."""
    reported: list[tuple[str, str]] = []
    body = many_attributes(50_000)
    mentions, _ = schemaorg.extract_page(body, URL, on_error=lambda *r: reported.append(r))
    assert sorted(m.text for m in mentions) == sorted(GOOD)
    assert [reason for reason, _ in reported] == ["too_many_attributes"]
    root = parse_html(body)
    assert root is not None
    assert max(len(element.attrib) for element in root.iter()) == MAX_ATTRIBUTES


def test_reviews_past_the_cap_are_not_read_and_counted() -> None:
    reported: list[tuple[str, str]] = []
    reviews = [Review(f"Acme review {i}.", GOOD_DATE) for i in range(MAX_REVIEWS + 5)]
    mentions = list(schemaorg.extract_reviews(write("schemaorg-jsonld", reviews).encode(), URL,
                                              on_error=lambda *r: reported.append(r)))
    assert [m.text for m in mentions] == [r.text for r in reviews[:MAX_REVIEWS]]
    assert [reason for reason, _ in reported] == ["too_many_reviews"]


def test_api_items_past_the_cap_are_not_read_and_counted() -> None:
    reported: list[tuple[str, str]] = []
    reviews = [Review(f"Acme post {i}.", GOOD_DATE) for i in range(MAX_ITEMS + 5)]
    mentions = list(mastodon.extract_statuses(write("mastodon", reviews).encode(), URL, ACME,
                                              on_error=lambda *r: reported.append(r)))
    assert len(mentions) == MAX_ITEMS
    assert [reason for reason, _ in reported] == ["too_many_items"]
