"""Scrapy's per-page and per-mention log messages are made only when the crawl's
LOG_LEVEL shows them: real crawls of a small generated site on loopback, in subprocesses
(Twisted's reactor runs once per process), at DEBUG, INFO and ERROR."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from bench.crawl import BRAND, generate_site
from crawlers.logformatter import LevelLogFormatter
from tests.loopback import Loopback

RUN = """
import json, sys
from crawlers.run import run_crawl
from crawlers.spiders.schemaorg import SchemaOrgSource
from index.watchlist import Brand, Watchlist
root, settings = sys.argv[1], json.loads(sys.argv[2])
source = SchemaOrgSource(type="schemaorg", url=root + "/index/1.html", scope=root + "/")
stats = run_crawl(Watchlist(brands=(Brand(name="Acme", terms=("Acme",), sources=(source,)),)),
                  settings)["schemaorg"]
print(json.dumps({k: v for k, v in stats.items() if isinstance(v, int)}))
"""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    files = generate_site(8).files  # page 6 repeats a review of page 5

    with Loopback(lambda path: (200 if path in files else 404,
                                {"Content-Type": "text/html; charset=utf-8"},
                                files.get(path, b""))) as server:
        yield server.url


def crawl(site: str, tmp_path: Path, level: str) -> tuple[dict[str, int], str]:
    settings = {"LOG_LEVEL": level, "MENTIONWATCH_DB": str(tmp_path / f"{level}.db"),
                "MENTIONWATCH_ALLOW_LOOPBACK": True, "ROBOTSTXT_OBEY": False,
                "AUTOTHROTTLE_ENABLED": False, "MENTIONWATCH_SENTIMENT_ENABLED": False}
    done = subprocess.run([sys.executable, "-c", RUN, site, json.dumps(settings)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    stats: dict[str, int] = json.loads(done.stdout)
    return stats, done.stderr


def test_debug_shows_every_page_and_mention(site: str, tmp_path: Path) -> None:
    stats, log = crawl(site, tmp_path, "DEBUG")
    assert stats["item_scraped_count"] == 29
    assert log.count("DEBUG: Crawled (200)") == stats["response_received_count"] == 9
    assert log.count("DEBUG: Scraped from <200 ") == 29
    assert log.count("WARNING: Dropped: duplicate mention") == 1
    assert BRAND in log


def test_info_shows_dropped_mentions_but_makes_no_debug_records(site: str,
                                                               tmp_path: Path) -> None:
    stats, log = crawl(site, tmp_path, "INFO")
    assert stats["item_scraped_count"] == 29
    assert "Crawled (200)" not in log and "Scraped from" not in log
    assert log.count("WARNING: Dropped: duplicate mention") == 1
    assert stats["log_count/WARNING"] == 1
    assert "log_count/DEBUG" not in stats


def test_error_shows_neither(site: str, tmp_path: Path) -> None:
    stats, log = crawl(site, tmp_path, "ERROR")
    assert stats["item_scraped_count"] == 29
    assert stats["mentionwatch/dropped/duplicate"] == 1
    assert "Dropped" not in log and "Scraped from" not in log
    assert "log_count/WARNING" not in stats


def test_a_log_level_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_LEVEL 'LOUD' is not a logging level"):
        LevelLogFormatter.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": "LOUD"}))
