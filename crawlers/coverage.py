"""Coverage: what each crawl asked each source for and what came back.

An extension records one row per spider run into the local SQLite file
(`index.localstate.COVERAGE`) when the spider closes, so users can see what is and is not
covered, not only results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from typing import TYPE_CHECKING, Any

from scrapy import signals

from index.localstate import API_TIMEOUT, COVERAGE, CRAWL_TIMEOUT, LocalTables

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["CoverageExtension", "SourceRun", "recent_runs", "record_run", "run_of"]


@dataclass(frozen=True, slots=True)
class SourceRun:
    source: str  # the source type (spider name)
    asked: list[str]  # the URLs / queries it was given
    started_at: str
    finished_at: str
    pages: int
    found: int
    new: int
    updated: int
    errors: int  # failed requests and spider exceptions
    unreadable: int  # page parts that could not be read (malformed markup, bad JSON)
    finish_reason: str | None


def run_of(source: str, asked: list[str], stats: dict[str, Any]) -> SourceRun:
    """The coverage row of one spider run, from its Scrapy stats."""
    started = stats.get("start_time") or datetime.now(UTC)
    finished = stats.get("finish_time") or datetime.now(UTC)
    return SourceRun(
        source=source, asked=asked,
        started_at=started.isoformat(), finished_at=finished.isoformat(),
        pages=stats.get("response_received_count", 0),
        # Items are mentions, and the brand accounts' replies stored with what they answer.
        found=(stats.get("item_scraped_count", 0)
               - stats.get("mentionwatch/brand_replies/received", 0)),
        new=stats.get("mentionwatch/indexed/new", 0),
        updated=stats.get("mentionwatch/indexed/updated", 0),
        errors=stats.get("log_count/ERROR", 0) + stats.get("spider_exceptions/count", 0),
        unreadable=sum(v for k, v in stats.items() if k.startswith("mentionwatch/unreadable/")),
        finish_reason=stats.get("finish_reason"),
    )


def record_run(path: str | PathLike[str], run: SourceRun) -> None:
    with LocalTables(path, COVERAGE, timeout=CRAWL_TIMEOUT) as db:
        db.execute(
            "INSERT INTO crawl_runs (source, asked, started_at, finished_at, pages, found, new,"
            " updated, errors, unreadable, finish_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run.source, json.dumps(run.asked), run.started_at, run.finished_at, run.pages,
             run.found, run.new, run.updated, run.errors, run.unreadable, run.finish_reason))


def recent_runs(path: str | PathLike[str], *, limit: int = 50) -> list[SourceRun]:
    """The latest runs, newest first."""
    with LocalTables(path, COVERAGE, timeout=API_TIMEOUT) as db:
        rows = db.rows(
            "SELECT source, asked, started_at, finished_at, pages, found, new, updated, errors,"
            " unreadable, finish_reason FROM crawl_runs ORDER BY id DESC LIMIT ?", (limit,))
    return [SourceRun(r[0], json.loads(r[1]), *r[2:]) for r in rows]


class CoverageExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("MENTIONWATCH_DB")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CoverageExtension:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        record_run(self.path, run_of(spider.name, list(getattr(spider, "asked", [])), stats))
