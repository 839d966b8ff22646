"""Backfill (`crawl --since`): sources that page by time page back past what earlier crawls
saw, to the time asked for, and no further. Real crawls against the replay server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from api.cli import main
from crawlers.extract.hackernews import next_page, search_url
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import PAGES, ReplayServer, Reply, run_crawl

MASTODON = "/api/v1/timelines/tag/acme?limit=40"
HN_PAGE1 = PAGES / "hackernews" / "search-page1.json"
NOV_1, NOV_19 = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC)


def hn_search(after: datetime) -> str:
    """The Algolia search a crawl asks for first: hits at or after `after`."""
    return search_url("", "Acme", since=int(after.timestamp()) - 1)


def hn_next(first: str) -> str:
    following = next_page(HN_PAGE1.read_bytes(), first)
    assert following
    return following


ROUTES = {
    MASTODON: [Reply(file="mastodon/tag-page1.json", headers={
        "Link": f'<{{base}}{MASTODON}&max_id=9>; rel="next"'})],
    MASTODON + "&max_id=9": [Reply(file="mastodon/tag-page2.json")],
    MASTODON + "&max_id=113550000000000100": [Reply(file="mastodon/tag-empty.json")],
    search_url("", "Acme"): [Reply(file="hackernews/search-page1.json")],
    hn_search(datetime.fromtimestamp(1795168800, UTC)): [
        Reply(file="hackernews/search-since.json")],
    **{url: [Reply(file=f"hackernews/search-page{n}.json")]
       for after in (NOV_1, NOV_19) for n, url in ((1, hn_search(after)),
                                                   (2, hn_next(hn_search(after))))},
}

WATCHLIST = """[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]

[[brands.sources]]
type = "mastodon"
instance = "{base}"
tag = "acme"

[[brands.sources]]
type = "hackernews"
url = "{base}"
"""


@dataclass
class Run:
    received: list[str]
    new: dict[str, int]  # per spider, mentions new to the index
    stats: dict[str, dict[str, int]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Run], int]]:
    tmp = tmp_path_factory.mktemp("backfill")
    watchlist, db = tmp / "mentionwatch.toml", tmp / "mentions.db"
    done = []
    with ReplayServer({path: list(replies) for path, replies in ROUTES.items()}) as server:
        watchlist.write_text(WATCHLIST.format(base=server.url), encoding="utf-8")
        for settings in (
            {"MENTIONWATCH_MAX_PAGES": 1},  # a first crawl that read only the newest page
            {"MENTIONWATCH_MAX_PAGES": 1},  # incremental: nothing new, nothing older
            {"MENTIONWATCH_SINCE": NOV_1.isoformat()},
            {"MENTIONWATCH_SINCE": NOV_19.isoformat()},
        ):
            stats = run_crawl(watchlist, db, **settings)
            done.append(Run(sorted(p for _, p in server.received),
                            {k: v.get("mentionwatch/indexed/new", 0) for k, v in stats.items()},
                            stats))
            server.received = []
        with SqliteStore(db) as store:
            total = store.search("", size=100).total
    yield done, total


def test_incremental_crawls_stop_at_what_they_saw(runs: tuple[list[Run], int]) -> None:
    first, second, *_ = runs[0]
    assert first.received == sorted([MASTODON, search_url("", "Acme")])
    assert second.received == sorted([
        MASTODON, hn_search(datetime.fromtimestamp(1795168800, UTC))])
    assert second.new == {"mastodon": 0, "hackernews": 0}


def test_backfill_pages_past_seen_pages_to_the_date_asked(runs: tuple[list[Run], int]) -> None:
    _, _, back_to_nov_1, _ = runs[0]
    # Mastodon's first page was all seen: a backfill pages on, to the end of the timeline.
    # Hacker News asks for hits since November 1st and pages back in time from there.
    assert back_to_nov_1.received == sorted([
        MASTODON, MASTODON + "&max_id=9", MASTODON + "&max_id=113550000000000100",
        hn_search(NOV_1), hn_next(hn_search(NOV_1))])
    # What the incremental crawls never reached (page 2 of each) is indexed now.
    assert back_to_nov_1.new == {"mastodon": 1, "hackernews": 1}
    assert runs[1] == 3 + 3  # every mention of both sources


def test_backfill_stops_at_the_first_page_older_than_since(
        runs: tuple[list[Run], int]) -> None:
    back_to_nov_19 = runs[0][3]
    # Page 2 of each goes back to November 18th: no page after it is asked for.
    assert back_to_nov_19.received == sorted([
        MASTODON, MASTODON + "&max_id=9", hn_search(NOV_19), hn_next(hn_search(NOV_19))])
    assert {k: v.get("mentionwatch/backfill/reached_since") for k, v in
            back_to_nov_19.stats.items()} == {"mastodon": 1, "hackernews": None}
    assert back_to_nov_19.new == {"mastodon": 0, "hackernews": 0}


@pytest.mark.parametrize(("since", "message"), [
    ("yesterday", "'yesterday' is neither a date like 2026-01-01 nor a duration like 30d"),
    ("2999-01-01", "'2999-01-01' is in the future"),
    ("0d", "neither a date"),
    ("0001-01-01T00:00:00+14:00", "is before year 1 or after year 9999 in UTC"),
])
def test_a_bad_since_is_a_usage_error(since: str, message: str) -> None:
    result = CliRunner().invoke(main, ["crawl", "--since", since])
    assert result.exit_code == 2
    assert message in result.output
