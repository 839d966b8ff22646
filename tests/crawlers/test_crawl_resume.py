"""A crawl killed mid-way (kill -9) resumes where it stopped: the index ends up with
exactly the mentions of a clean crawl, and the pages read before the kill are not read
again. Real crawls in subprocesses against a slow loopback Mastodon-style timeline."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.resume import Frontier
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import RUN
from tests.loopback import Loopback, Reply

PAGES, PER_PAGE, DELAY = 40, 5, 0.1
SETTINGS = {"MENTIONWATCH_ALLOW_LOOPBACK": True, "MENTIONWATCH_SENTIMENT_ENABLED": False,
            "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING", "MENTIONWATCH_MAX_PAGES": 100,
            "MENTIONWATCH_INDEX_BATCH_SIZE": 8}


def _status(n: int) -> dict[str, Any]:
    return {"id": str(n), "created_at": f"2026-11-{1 + n // 24 % 28:02d}T{n % 24:02d}:00:00Z",
            "uri": f"https://social.example/users/u{n % 7}/statuses/{n}",
            "url": f"https://social.example/@u{n % 7}/{n}", "in_reply_to_id": None,
            "content": f"<p>Acme update number {n} is out</p>", "language": "en", "reblog": None,
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "spoiler_text": "",
            "account": {"acct": f"u{n % 7}", "display_name": f"User {n % 7}",
                        "url": f"https://social.example/@u{n % 7}", "followers_count": n}}


class SlowTimeline:
    """`/api/v1/timelines/tag/acme`: PAGES pages of PER_PAGE statuses, DELAY s each."""

    def __init__(self) -> None:
        self.pages: list[int] = []
        self.server = Loopback(self._answer)
        self.url = self.server.url

    def _answer(self, path: str) -> Reply:
        page = int(parse_qs(urlsplit(path).query).get("max_id", ["0"])[0])
        self.pages.append(page)
        time.sleep(DELAY)
        first = (PAGES - page) * PER_PAGE
        headers = {"Content-Type": "application/json"}
        if page + 1 < PAGES:
            headers["Link"] = (f"<{self.url}/api/v1/timelines/tag/acme?limit=40"
                               f'&max_id={page + 1}>; rel="next"')
        return 200, headers, json.dumps([_status(first - i) for i in range(PER_PAGE)]).encode()


def _crawl(watchlist: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(watchlist), json.dumps({**SETTINGS,
                                                                "MENTIONWATCH_DB": str(db)})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(watchlist: Path, db: Path) -> dict[str, int]:
    crawl = _crawl(watchlist, db)
    out, err = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, err
    stats: dict[str, int] = json.loads(out)["mastodon"]
    return stats


def _indexed(db: Path) -> list[str]:
    with SqliteStore(db) as store:
        return sorted(h.mention.id for h in store.search("", size=1000).hits)


def _frontier_rows(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM crawl_frontier").fetchone()[0])


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("resume")
    site = SlowTimeline()
    watchlist = tmp / "mentionwatch.toml"
    watchlist.write_text(f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
                         f'type = "mastodon"\ninstance = "{site.url}"\ntag = "acme"\n',
                         encoding="utf-8")
    clean = tmp / "clean.db"
    _finish(watchlist, clean)
    clean_pages, site.pages = list(site.pages), []

    killed = tmp / "killed.db"
    crawl = _crawl(watchlist, killed)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not killed.exists() or len(_indexed(killed)) < 40):
        time.sleep(0.05)
    os.kill(crawl.pid, signal.SIGKILL)
    crawl.communicate()
    before_kill = {"pages": list(site.pages), "indexed": len(_indexed(killed)),
                   "frontier": _frontier_rows(killed)}
    site.pages = []
    stats = _finish(watchlist, killed)
    yield {"clean": _indexed(clean), "clean_pages": clean_pages, "before_kill": before_kill,
           "resumed": _indexed(killed), "resumed_pages": list(site.pages), "stats": stats,
           "frontier_after": _frontier_rows(killed), "killed_db": killed, "site": site,
           "watchlist": watchlist}
    site.server.close()


def test_a_killed_crawl_resumes_without_losing_or_duplicating(resumed: dict[str, Any]) -> None:
    assert len(resumed["clean"]) == PAGES * PER_PAGE
    assert resumed["clean_pages"] == list(range(PAGES))
    before = resumed["before_kill"]
    assert 40 <= before["indexed"] < PAGES * PER_PAGE  # killed mid-way
    assert before["frontier"] > 0  # what it had read was recorded
    assert resumed["resumed"] == resumed["clean"]  # the same ids: none lost, none twice


def test_the_resumed_crawl_reads_only_what_was_left(resumed: dict[str, Any]) -> None:
    read_before = set(resumed["before_kill"]["pages"])
    pages = resumed["resumed_pages"]
    # It starts at the last page or two read before the kill (their mentions may have been
    # waiting for an index batch), never at the first page, and reads each page once.
    assert pages == list(range(pages[0], PAGES))
    assert pages[0] >= len(read_before) - 2 > 0
    assert resumed["stats"]["mentionwatch/resume/skipped"] >= 8


def test_a_finished_crawl_clears_its_frontier_and_the_next_starts_fresh(
        resumed: dict[str, Any]) -> None:
    assert resumed["frontier_after"] == 0
    site = resumed["site"]
    site.pages = []
    stats = _finish(resumed["watchlist"], resumed["killed_db"])
    # Incremental again: the first page is all seen, so paging stops there.
    assert site.pages == [0]
    assert "mentionwatch/resume/skipped" not in stats


def test_pages_written_together_keep_their_order(tmp_path: Path) -> None:
    # One write holds a page and the page it led to: both end up done, with their mentions.
    frontier = Frontier(tmp_path / "frontier.db")
    frontier.add("job", [("start", b"start request")])
    frontier.mark_done("job", [("start", ["m1"], [("next", b"next request")]),
                               ("next", ["m2", "m3"], [("last", b"last request")])])
    pending, done = frontier.load("job")
    frontier.close()
    assert pending == [b"last request"]
    assert done == {"start": (b"start request", ["m1"]),
                    "next": (b"next request", ["m2", "m3"])}
