"""The brand's replies to reviews, read by real crawls of a loopback server and kept on the
review they answer: Trustpilot's company replies, Google Play's developer replies and
schema.org answers by the brand. The server is crawled twice; by the second crawl two
reviews have gained a reply, which the re-crawl writes onto their stored mention and which
answers their inbox items."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.inbox import Inbox
from index.record import BrandReply, Mention
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import PLAY, ReplayServer, Reply, run_crawl

TRUSTPILOT = "/review/acme.example"
KETTLE = "/k2/brand-replies.html"
KETTLE_ZH = "/k2/brand-replies-microdata.html"

ROUTES = {
    # The second crawl sees page 1 again, now with the company's reply to Jonas.
    TRUSTPILOT: [Reply(file="trustpilot/acme-page1.html"),
                 Reply(file="trustpilot/acme-page1-replied.html")],
    TRUSTPILOT + "?page=2": [Reply(file="trustpilot/no-next-data.html")],
    # Likewise Tomás's review is answered by the second crawl, and Kim's is new.
    PLAY.format("en"): [Reply(file="googleplay/reviews-page1.txt"),
                        Reply(file="googleplay/reviews-last.txt"),
                        Reply(file="googleplay/reviews-replied.txt")],
    KETTLE: [Reply(file="schemaorg/brand-replies.html")],
    KETTLE_ZH: [Reply(file="schemaorg/brand-replies-microdata.html")],
}


def _watchlist(base: str) -> str:
    return (f'[[brands]]\nname = "Acme"\nterms = ["Acme", "艾克美"]\n'
            f'[[brands.sources]]\ntype = "trustpilot"\nurl = "{base}"\ncompany = "acme.example"\n'
            f'[[brands.sources]]\ntype = "googleplay"\nurl = "{base}"\napp_id = "com.acme.remote"\n'
            f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{base}{KETTLE}"\n'
            f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{base}{KETTLE_ZH}"\n')


@dataclass
class Crawled:
    first: dict[str, Mention]  # by author name, after the first crawl
    second: dict[str, Mention]  # after the second
    stats: dict[str, dict[str, int]]  # of the first crawl
    columns: dict[str, tuple[float | None, int]]  # stored (first_reply_at, replies) by author
    # inbox items' (status, last audited action) by author, after each crawl
    inbox: tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]


def _stored(db: Path) -> dict[str, Mention]:
    with SqliteStore(db) as store:
        return {h.mention.author.name: h.mention for h in store.search("", size=100).hits}


def _statuses(db: Path, stored: dict[str, Mention]) -> dict[str, tuple[str, str]]:
    with Inbox(db) as inbox:
        return {name: (item.status, inbox.audit(m.id)[-1].action) for name, m in stored.items()
                if (item := inbox.get(m.id)) is not None}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("replies")
    routes = {path: list(replies) for path, replies in ROUTES.items()}
    with ReplayServer(routes) as server:
        (tmp / "mentionwatch.toml").write_text(_watchlist(server.url), encoding="utf-8")
        stats = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        first = _stored(tmp / "mentions.db")
        opened = _statuses(tmp / "mentions.db", first)
        run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        second = _stored(tmp / "mentions.db")
        triaged = _statuses(tmp / "mentions.db", second)
    with closing(sqlite3.connect(tmp / "mentions.db")) as db:  # the columns metrics read
        rows = db.execute("SELECT id, first_reply_at, replies FROM mentions").fetchall()
    by_id = {m.id: name for name, m in second.items()}
    yield Crawled(first, second, stats, {by_id[i]: (at, n) for i, at, n in rows},
                  (opened, triaged))


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _replies(m: Mention) -> list[tuple[str, str, datetime | None]]:
    return [(r.author, r.text, r.published_at) for r in m.brand_replies]


def test_trustpilot_keeps_the_company_reply_on_its_review(crawled: Crawled) -> None:
    assert _replies(crawled.first["Ann Lee"]) == [
        ("Acme", "Thank you, Ann!", _utc(2026, 11, 20, 12))]
    assert crawled.first["Jonas"].brand_replies == ()


def test_google_play_keeps_the_developer_reply_dated_or_not(crawled: Crawled) -> None:
    assert _replies(crawled.first["Priya Raman"]) == [
        ("Acme", "Thanks Priya!", _utc(2026, 11, 20, 18, 40))]
    assert crawled.first["Tomás"].brand_replies == ()
    kim = crawled.second["Kim Park"]  # a reply the store shows without a time
    assert _replies(kim) == [("Acme", "Thanks Kim, we are looking into it.", None)]
    assert kim.first_reply_at is None and crawled.columns["Kim Park"] == (None, 1)


def test_schemaorg_keeps_the_brands_answers_and_not_other_peoples(crawled: Crawled) -> None:
    found = {name: _replies(m) for name, m in crawled.first.items() if m.source == "schemaorg"}
    assert found == {
        "Maya": [("Acme", "Thank you, Maya! Enjoy your tea.", _utc(2026, 11, 1, 11, 30))],
        # Jane Doe's "Same here" is a customer's, not the brand's; Acme Support's is undated.
        "Tom": [("Acme Support",
                 "Sorry, Tom. Please write to support and we will replace it.", None)],
        # An answer marked up as a `Review` is the brand's answer, not a sixth review.
        "Lena": [("ACME Customer Care", "Hi Lena, the K2 handle stays under 45 degrees; we "
                  "sent you a new one in case yours is faulty.", _utc(2026, 11, 6, 12))],
        "Ravi": [],  # only another customer's tip
        # Microdata, the brand named only by the watched term 艾克美; 路人甲 is a bystander.
        "王芳": [("艾克美客服", "您好，我们已为您安排换货。", _utc(2026, 11, 5, 6))],
    }
    assert crawled.stats["schemaorg"]["item_scraped_count"] == 5
    assert crawled.first["Maya"].brand_replies[0] == BrandReply(
        "Thank you, Maya! Enjoy your tea.", "Acme", _utc(2026, 11, 1, 11, 30),
        crawled.first["Maya"].url.rsplit("/", 2)[0] + "/reviews/1")


def test_a_review_answered_after_the_first_crawl_gets_its_reply_on_the_re_crawl(
        crawled: Crawled) -> None:
    jonas, tomas = crawled.second["Jonas"], crawled.second["Tomás"]
    assert (jonas.id, tomas.id) == (crawled.first["Jonas"].id, crawled.first["Tomás"].id)
    assert jonas.first_reply_at == _utc(2026, 11, 21, 9, 30)
    assert _replies(tomas) == [("Acme", "Lo sentimos, la versión 4.2.2 corrige la desconexión.",
                                _utc(2026, 11, 21, 9, 40))]
    assert crawled.columns["Jonas"] == (_utc(2026, 11, 21, 9, 30).timestamp(), 1)
    assert crawled.columns["Tomás"] == (_utc(2026, 11, 21, 9, 40).timestamp(), 1)
    assert crawled.columns["Ravi"] == (None, 0)
    # Upserted by stable id: one mention each, nothing else changed.
    assert len(crawled.second) == len(crawled.first) + 1  # Kim's review is new
    assert crawled.second["Ann Lee"].brand_replies == crawled.first["Ann Lee"].brand_replies


def test_the_re_crawl_answers_the_inbox_item_of_a_review_it_finds_replied(
        crawled: Crawled) -> None:
    opened, triaged = crawled.inbox
    assert opened["Jonas"][0] == opened["Tomás"][0] == "open"
    assert triaged["Jonas"] == triaged["Tomás"] == ("answered", "reply captured")
    assert triaged["Ravi"] == opened["Ravi"]  # still without the brand's reply
    assert opened["Tom"][0] == "answered"  # answered before the inbox ever saw it
