"""A review published on a date, with no time, shows that date and no invented time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from api.keys import KeyStore
from api.settings import Settings
from crawlers.extract.schemaorg import extract_reviews
from index.sqlite import SqliteStore
from tests.web.conftest import WATCHLIST, serve_app

PAGE = Path(__file__).resolve().parents[2] / "api" / "demo_site" / "products" / "acme-phone-x.html"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app over the reviews extracted from a demo page: its dashboard link with a key."""
    db = tmp_path_factory.mktemp("dates") / "mentions.db"
    with SqliteStore(db) as store:
        store.upsert(extract_reviews(PAGE.read_bytes(), "http://127.0.0.1:8765/products/"
                                     "acme-phone-x.html", brand="Acme"))
    keys = KeyStore(db)
    key = keys.create("viewer", "dates test")
    keys.close()
    watchlist = db.with_name("mentionwatch.toml")
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    with serve_app(Settings(db=db, watchlist=watchlist)) as url:
        yield url, key


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Shanghai"])
def test_a_date_only_review_shows_its_date_and_a_timed_one_its_time(
    browser: Any, shop: tuple[str, str], zone: str
) -> None:
    url, key = shop
    context = browser.new_context(locale="en-US", timezone_id=zone)
    try:
        page = context.new_page()
        page.goto(f"{url}/#key={key}")
        page.click("#tabs a[data-view=search]")  # the home view is the overview
        page.fill("#q", "battery")
        page.click("#search-form button[type=submit]")
        maya = page.locator("#results li", has_text="Maya Chen").locator("time")
        # "datePublished": "2026-10-03": that day wherever the reader is, and no time of day.
        expect(maya).to_have_text("Oct 3, 2026")
        tom = page.locator("#results li", has_text="Tom Becker").locator("time")
        # "2026-10-05T18:42:00+02:00" is a moment: shown in the reader's time zone.
        expect(tom).to_have_text({"UTC": "Oct 5, 2026, 4:42 PM",
                                  "America/New_York": "Oct 5, 2026, 12:42 PM",
                                  "Asia/Shanghai": "Oct 6, 2026, 12:42 AM"}[zone])
    finally:
        context.close()
