"""`mentionwatch bench crawl` on a small generated site: the real spider, pipelines and
SQLite index over loopback HTTP must find exactly what the site holds. Timings are the
bench's business, not this test's.

Runs as a subprocess: Twisted's reactor runs once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", "bench", "crawl", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    done = bench("--pages", "60", "--no-scrapy-bench")
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def test_every_page_and_review_is_crawled_once(result: dict[str, Any]) -> None:
    # 60 product pages listed 50 to an index page; 2 to 6 reviews a page, 20 per 5 pages.
    assert (result["pages"], result["product_pages"], result["index_pages"]) == (62, 60, 2)
    assert result["mentions"] == 240
    checks = result["checks"]
    # Pages 6, 13, ..., 55 repeat a review of the page before; page 50 has a broken block.
    assert (checks["duplicates_dropped"], checks["unreadable"], checks["errors"]) == (8, 1, 0)
    # The crawl triages what it writes: its 1-2 star reviews need a response.
    assert 0 < checks["inbox_opened"] < result["mentions"]


def test_languages_and_rating_scales_are_normalised(result: dict[str, Any]) -> None:
    checks = result["checks"]
    # Pages 3, 13, ... are Simplified Chinese (5 reviews each), 7, 17, ... Traditional (4),
    # some without a declared language; pages 1, 5, 9, ... rate on 10 points, unstated.
    assert checks["langs"] == {"en": 186, "zh-Hans": 30, "zh-Hant": 24}
    assert checks["scales"] == {"10": 60, "5": 180}
    assert checks["langs"] == checks["expected_langs"]
    assert checks["scales"] == checks["expected_scales"]


def test_says_what_was_measured_and_what_was_left_out(result: dict[str, Any]) -> None:
    assert result["sentiment"] == "excluded, see bench sentiment"
    assert result["settings"]["ROBOTSTXT_OBEY"] is False
    assert "127.0.0.1" in result["settings"]["politeness"]
    assert result["scrapy_bench_pages_per_min"] is None and result["ratio"] is None
    assert result["pages_per_min"] > 0 and result["cpu_ms_per_page"] > 0


def test_no_pages_is_a_usage_error() -> None:
    done = bench("--pages", "0", "--no-scrapy-bench")
    assert done.returncode == 2
    assert "--pages" in done.stderr
