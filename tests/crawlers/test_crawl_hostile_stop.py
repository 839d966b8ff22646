"""A SIGTERM stops a crawl within seconds even when a server holds a request open: what was
indexed stays and the next crawl finishes the rest. Real crawls in subprocesses against a
loopback Mastodon-style timeline whose later pages hang."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.crawlers.test_crawl_resume import PER_PAGE, SETTINGS, _frontier_rows, _indexed, _status
from tests.crawlers.test_crawl_sources import RUN
from tests.loopback import Loopback, Reply

PAGES, HANG_FROM = 12, 6
STOP_WITHIN = 10.0  # seconds


class HangingTimeline:
    """`/api/v1/timelines/tag/acme`: PAGES pages; from page HANG_FROM on, a page is answered
    only once `release` is set (as a hostile or overloaded server holds it)."""

    def __init__(self) -> None:
        self.pages: list[int] = []
        self.release = threading.Event()
        self.server = Loopback(self._answer)
        self.url = self.server.url

    def _answer(self, path: str) -> Reply:
        page = int(parse_qs(urlsplit(path).query).get("max_id", ["0"])[0])
        self.pages.append(page)
        if page >= HANG_FROM:
            self.release.wait(120)
        headers = {"Content-Type": "application/json"}
        if page + 1 < PAGES:
            headers["Link"] = (f"<{self.url}/api/v1/timelines/tag/acme?limit=40"
                               f'&max_id={page + 1}>; rel="next"')
        first = (PAGES - page) * PER_PAGE
        return 200, headers, json.dumps([_status(first - i) for i in range(PER_PAGE)]).encode()


def _crawl(watchlist: Path, db: Path) -> subprocess.Popen[str]:
    settings = {**SETTINGS, "MENTIONWATCH_DB": str(db),
                "REMOTE_CONTROL_JOBS_DIR": str(db.parent / "jobs")}
    return subprocess.Popen([sys.executable, "-c", RUN, str(watchlist), json.dumps(settings)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigterm_stops_a_held_crawl_in_seconds_and_the_next_crawl_finishes(
        tmp_path: Path) -> None:
    site = HangingTimeline()
    watchlist, db = tmp_path / "mentionwatch.toml", tmp_path / "m.db"
    watchlist.write_text(f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
                         f'type = "mastodon"\ninstance = "{site.url}"\ntag = "acme"\n',
                         encoding="utf-8")
    crawl = _crawl(watchlist, db)
    try:
        deadline = time.monotonic() + 60
        while HANG_FROM not in site.pages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert HANG_FROM in site.pages, "the crawl never reached the held page"
        # No control port that runs Python sent to it (Scrapy's remote control, on by
        # default, announces its port and token in a job file).
        assert not (tmp_path / "jobs").exists()
        indexed = _indexed(db)
        crawl.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _, log = crawl.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if crawl.poll() is None:
            os.kill(crawl.pid, signal.SIGKILL)
            crawl.communicate()
        site.release.set()
    assert took < STOP_WITHIN, log
    kept = _indexed(db)
    assert indexed and set(indexed) <= set(kept)  # nothing indexed before the stop is lost
    # Every mention of the pages read before the held one, the partial batch too (a batch
    # is 8 mentions, a page 5).
    assert len(kept) == HANG_FROM * PER_PAGE, log
    assert _frontier_rows(db) > 0  # and the frontier knows what is left

    site.pages = []
    again = _crawl(watchlist, db)
    out, log = again.communicate(timeout=120)
    site.server.close()
    assert again.returncode == 0, log
    assert len(_indexed(db)) == PAGES * PER_PAGE  # every page read, once each
    # It asks again for the held page and what follows only: the pages before it are done,
    # their mentions indexed.
    assert sorted(site.pages) == list(range(HANG_FROM, PAGES))
    assert json.loads(out)["mastodon"]["mentionwatch/resume/skipped"] == HANG_FROM
