"""Coverage: what each crawl asked each source for and what came back.

An extension records one row per spider run into the index's SQLite file when the spider
closes, so users can see what is and is not covered, not only results.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from typing import TYPE_CHECKING, Any

from scrapy import signals

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["CoverageExtension", "SourceRun", "recent_runs", "record_run", "run_of"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS crawl_runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    asked TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    pages INTEGER NOT NULL,
    found INTEGER NOT NULL,
    new INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    unreadable INTEGER NOT NULL,
    finish_reason TEXT
)
"""


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


def _connect(path: str | PathLike[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(_SCHEMA)
    return db


def run_of(source: str, asked: list[str], stats: dict[str, Any]) -> SourceRun:
    """The coverage row of one spider run, from its Scrapy stats."""
    started = stats.get("start_time") or datetime.now(UTC)
    finished = stats.get("finish_time") or datetime.now(UTC)
    return SourceRun(
        source=source, asked=asked,
        started_at=started.isoformat(), finished_at=finished.isoformat(),
        pages=stats.get("response_received_count", 0),
        found=stats.get("item_scraped_count", 0),
        new=stats.get("mentionwatch/indexed/new", 0),
        updated=stats.get("mentionwatch/indexed/updated", 0),
        errors=stats.get("log_count/ERROR", 0) + stats.get("spider_exceptions/count", 0),
        unreadable=sum(v for k, v in stats.items() if k.startswith("mentionwatch/unreadable/")),
        finish_reason=stats.get("finish_reason"),
    )


def record_run(path: str | PathLike[str], run: SourceRun) -> None:
    db = _connect(path)
    try:
        db.execute(
            "INSERT INTO crawl_runs (source, asked, started_at, finished_at, pages, found, new,"
            " updated, errors, unreadable, finish_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run.source, json.dumps(run.asked), run.started_at, run.finished_at, run.pages,
             run.found, run.new, run.updated, run.errors, run.unreadable, run.finish_reason))
    finally:
        db.close()


def recent_runs(path: str | PathLike[str], *, limit: int = 50) -> list[SourceRun]:
    """The latest runs, newest first."""
    db = _connect(path)
    try:
        rows = db.execute(
            "SELECT source, asked, started_at, finished_at, pages, found, new, updated, errors,"
            " unreadable, finish_reason FROM crawl_runs ORDER BY id DESC LIMIT ?",
            (limit,)).fetchall()
    finally:
        db.close()
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
