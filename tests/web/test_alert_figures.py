"""The alerts view says what an alert's figures are, in its rule type's words, in a real
browser: an `unanswered` review raised by the real runner over a real SQLite file reads
"unanswered for 30 days (limit 24 h)", not "observed 720.0, baseline 24.0", and shows no
"aspects more mentioned than usual" line, which means nothing for one mention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.alerts.runner import open_runner
from api.keys import KeyStore
from api.settings import Settings
from index.record import Aspect
from index.sqlite import SqliteStore
from tests.api.alerts.mention_rules import NOW, configured, mention
from tests.web.conftest import Site, serve_app
from tests.web.test_dashboard import sign_in

RULE = '[[alerts]]\nname = "unanswered"\ntype = "unanswered"\n'
# A negative review about its charging case, a month without the brand's reply.
WAITING = mention("waiting", 30 * 24, stars=1).with_(aspects=(Aspect("charging", "negative"),))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp_path = tmp_path_factory.mktemp("alert-figures")
    db = tmp_path / "mentionwatch.db"
    with SqliteStore(db) as store:
        store.upsert([WAITING])
    # A pass looking back far enough to find the month-old review (as the demo's does).
    with open_runner(db, configured(RULE), lookback=timedelta(days=60)) as alerts:
        assert len(alerts.run_once(NOW).raised) == 1
    keys = KeyStore(db)
    viewer = keys.create("viewer", "alert figures")
    keys.close()
    with serve_app(Settings(db=db, watchlist=tmp_path / "none.toml")) as url:
        yield Site(url, db, viewer, viewer)


@pytest.fixture()
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == []


def test_an_unanswered_review_reads_in_days_against_its_limit(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#alerts")
    alert = page.locator("#alert-history li.alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("no reply after 30 days")
    expect(alert.locator(".reading")).to_have_text("unanswered for 30 days (limit 24 h)")
    expect(alert).not_to_contain_text("observed")
    expect(alert).not_to_contain_text("more mentioned than usual")
    expect(alert.locator(".examples li")).to_contain_text("Acme review waiting")
