"""The inbox view in a real browser: most urgent first with reasons, triage (status,
assignee, notes, history), an answer the crawler captured on a re-crawl, roles, and a
390 px phone. Each test has its own file and server: triage changes what others would see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.keys import KeyStore
from api.settings import Settings
from crawlers.triage import triage, triage_stored
from index.inbox import Inbox
from index.record import Author, BrandReply, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from tests.web.conftest import Site, serve_app
from tests.web.test_dashboard import sign_in

HOSTILE = 'It broke in a week <img src=x onerror="window.__pwned = 1"> awful'


def _mention(native_id: str, text: str, label: str, *, stars: int | None = None,
             author: str = "someone", followers: int | None = None, lang: str = "en",
             day: int = 20) -> Mention:
    return Mention.create(
        source="trustpilot", native_id=native_id, kind="review",
        url=f"https://reviews.example/{native_id}", text=text,
        author=Author(author, followers=followers), brand="Acme", lang=lang,
        published_at=datetime(2026, 11, day, tzinfo=UTC),
        rating=Rating(stars, 5, 1) if stars else None,
        sentiment=Sentiment(label, {"positive": .8, "neutral": 0, "negative": -.8}[label],  # type: ignore[arg-type]
                            0.9, "test"))


BROKE = _mention("d1", HOSTILE, "negative", stars=1, author="Dana", followers=20_000)
ASKS = _mention("q1", "请问这个耳机支持无线充电吗", "neutral", author="小王", lang="zh-Hans")
MEH = _mention("n1", "Not great, the case feels cheap.", "negative", author="Nick", day=1)
PRAISE = _mention("p1", "Love it, I recommend Acme.", "positive", stars=5)


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Site]:
    db = tmp_path / "mentions.db"
    with SqliteStore(db) as store, Inbox(db) as inbox:
        store.upsert([BROKE, ASKS, MEH, PRAISE])
        triage_stored(store, inbox, now=datetime(2026, 11, 21, tzinfo=UTC))
    keys = KeyStore(db)
    analyst, viewer = keys.create("analyst", "desk"), keys.create("viewer", "desk")
    keys.close()
    with serve_app(Settings(db=db, watchlist=tmp_path / "none.toml")) as url:
        yield Site(url, db, analyst, viewer)


@pytest.fixture()
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == []


def _card(page: Page, mention: Mention) -> Any:
    return page.locator(f'#inbox-items li[data-id="{mention.id}"]')


def test_the_inbox_lists_what_needs_a_response_with_its_reasons(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#inbox")
    cards = page.locator("#inbox-items .inbox-item")
    expect(cards).to_have_count(3)
    # A negative outweighs a question; the 1-star one with reach comes first.
    assert cards.evaluate_all("cs => cs.map((c) => c.dataset.id)") == [BROKE.id, MEH.id, ASKS.id]
    expect(_card(page, BROKE).locator(".reasons li")).to_have_text(
        ["negative (-0.80)", "1-star review"])
    expect(_card(page, ASKS).locator(".reasons li")).to_have_text(["asks a question"])
    expect(_card(page, BROKE).locator(".why")).to_contain_text("= reasons 40 + reach 25.8")
    # Mention text is shown as text and never runs.
    expect(_card(page, BROKE).locator(".text")).to_have_text(HOSTILE)
    assert page.evaluate("window.__pwned") is None
    page.select_option("#i-reason", "question")
    page.click("#inbox-form button[type=submit]")
    expect(cards).to_have_count(1)


def test_triage_ignores_assigns_and_notes_with_the_history_shown(page: Page,
                                                                 site: Site) -> None:
    sign_in(page, site, hash_="#inbox")
    meh = _card(page, MEH)
    meh.locator("select[name=status]").select_option("ignored")
    meh.locator("button[type=submit]").click()
    expect(meh.locator(".badge")).to_have_text("ignored")

    broke = _card(page, BROKE)
    broke.locator("input[name=assignee]").fill("Bob")
    broke.locator("input[name=note]").fill("Offer a replacement")
    broke.locator("button[type=submit]").click()
    expect(broke.locator(".badge")).to_have_text("assigned")
    expect(broke.locator(".assignee")).to_have_text("→ Bob")
    broke.locator(".history summary").click()
    expect(broke.locator(".audit li")).to_have_count(4)
    expect(broke.locator('.audit li[data-action="note"]')).to_contain_text(
        "Ann Analyst (api key 'desk') note: Offer a replacement")

    page.click("#inbox-form button[type=submit]")  # the waiting items, again
    expect(page.locator("#inbox-items .inbox-item")).to_have_count(2)
    page.select_option("#i-status", "ignored")
    page.click("#inbox-form button[type=submit]")
    expect(page.locator("#inbox-items .inbox-item")).to_have_count(1)
    with Inbox(site.db) as inbox:
        item = inbox.get(MEH.id)
        assert item is not None and item.status == "ignored"
        assert inbox.audit(MEH.id)[-1].by == "Ann Analyst"


def test_a_reply_captured_on_a_recrawl_shows_the_item_answered(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#inbox")
    expect(_card(page, BROKE).locator(".badge")).to_have_text("open")
    # The crawl finds the brand's reply under the same review and writes it again.
    reply = BrandReply("Sorry Dana, a new pair is on its way.", "Acme Support",
                       datetime(2026, 11, 21, 8, 15, tzinfo=UTC))
    recrawled = replace(BROKE, brand_replies=(reply,))
    with SqliteStore(site.db) as store, Inbox(site.db) as inbox:
        store.upsert([recrawled])
        triage(store, inbox, [recrawled])
    page.select_option("#i-status", "all")
    page.click("#inbox-form button[type=submit]")
    broke = _card(page, BROKE)
    expect(broke.locator(".badge")).to_have_text("answered")
    broke.locator(".history summary").click()
    expect(broke.locator('.audit li[data-action="reply captured"]')).to_contain_text(
        "crawler (crawler) reply captured: Acme Support replied on 2026-11-21 08:15 UTC")


def test_a_viewer_reads_but_is_told_triage_needs_an_analyst(page: Page, site: Site) -> None:
    sign_in(page, site, key=site.viewer_key, hash_="#inbox")
    broke = _card(page, BROKE)
    broke.locator("select[name=status]").select_option("ignored")
    broke.locator("button[type=submit]").click()
    expect(broke.locator(".triage .status")).to_have_text("Triaging needs an analyst key.")
    expect(broke.locator(".badge")).to_have_text("open")


def test_the_inbox_fits_a_390px_phone(browser: Any, site: Site, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone = context.new_page()
        sign_in(phone, site, hash_="#inbox")
        expect(phone.locator("#inbox-items .inbox-item")).to_have_count(3)
        phone.screenshot(path=tmp_path / "inbox-390.png", full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
