"""What earlier crawls saw, per watched source, so a crawl fetches only what is new.

Kept in the local SQLite file (`index.localstate.CRAWL_STATE`): `crawl_seen` (source key,
mention id) and `crawl_mark` (source key, newest `published_at` seen: the high-water mark).
What a crawl sees is written only when it ends, so a crawl that dies leaves the state as it
was; the next one resumes it (`crawlers.resume`) and notes what the dead crawl had read as
its own.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.localstate import CRAWL_STATE, CRAWL_TIMEOUT, LocalTables

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.settings import BaseSettings

    from crawlers.extract.accounts import AccountReply
    from index.record import Mention

__all__ = ["AnyCrawlState", "CrawlState", "SeenSoFar", "open_state"]

_BATCH = 500  # ids per lookup, under SQLite's bound-parameter limit


class SeenSoFar:
    """What a crawl saw, kept until `commit` writes it: the part of the incremental state
    every store of it shares (`CrawlState` here, `crawlers.frontier.RedisCrawlState`)."""

    def __init__(self) -> None:
        self._pending: dict[str, dict[str, datetime | None]] = {}

    def seen_ids(self, source: str, ids: Iterable[str]) -> set[str]:
        raise NotImplementedError

    def all_seen(self, source: str, mentions: Iterable[Mention | AccountReply]) -> bool:
        """True when an earlier crawl saw every one of these (and there is at least one)."""
        ids = {m.id for m in mentions}
        return bool(ids) and self.seen_ids(source, ids) == ids

    def note(self, source: str, mentions: Iterable[Mention | AccountReply]) -> None:
        """Remember these as seen once `commit` is called."""
        self._pending.setdefault(source, {}).update((m.id, m.published_at) for m in mentions)

    def note_ids(self, source: str, ids: Iterable[str]) -> None:
        """Remember these ids (of things other than mentions) as seen once `commit` is called."""
        self._pending.setdefault(source, {}).update(dict.fromkeys(ids))


class CrawlState(SeenSoFar):
    def __init__(self, path: str | Path, timeout: float = CRAWL_TIMEOUT) -> None:
        super().__init__()
        self._db = LocalTables(path, CRAWL_STATE, timeout=timeout)

    def high_water(self, source: str) -> datetime | None:
        """The newest `published_at` an earlier crawl of this source saw."""
        row = self._db.one("SELECT newest FROM crawl_mark WHERE source = ?", (source,))
        return datetime.fromisoformat(row[0]) if row else None

    def seen_ids(self, source: str, ids: Iterable[str]) -> set[str]:
        """Which of these ids an earlier crawl of this source saw."""
        unique = list(dict.fromkeys(ids))
        seen: set[str] = set()
        for start in range(0, len(unique), _BATCH):
            chunk = unique[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            seen.update(row[0] for row in self._db.rows(
                f"SELECT mention_id FROM crawl_seen WHERE source = ? AND mention_id IN ({marks})",
                [source, *chunk]))
        return seen

    def commit(self) -> None:
        with self._db.transaction():
            for source, seen in self._pending.items():
                self._db.executemany(
                    "INSERT OR IGNORE INTO crawl_seen (source, mention_id) VALUES (?, ?)",
                    [(source, mention_id) for mention_id in seen])
                dates = [d for d in seen.values() if d is not None]
                if dates:
                    self._db.execute(
                        "INSERT INTO crawl_mark (source, newest) VALUES (?, ?) ON CONFLICT"
                        "(source) DO UPDATE SET newest = max(newest, excluded.newest)",
                        (source, max(dates).isoformat()))
        self._pending.clear()

    def close(self) -> None:
        self._db.close()


class AnyCrawlState(Protocol):
    """What spiders use of the incremental state: `CrawlState` or `RedisCrawlState`."""

    def high_water(self, source: str) -> datetime | None: ...
    def seen_ids(self, source: str, ids: Iterable[str]) -> set[str]: ...
    def all_seen(self, source: str, mentions: Iterable[Mention | AccountReply]) -> bool: ...
    def note(self, source: str, mentions: Iterable[Mention | AccountReply]) -> None: ...
    def note_ids(self, source: str, ids: Iterable[str]) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


def open_state(settings: BaseSettings) -> AnyCrawlState:
    """The crawl's incremental state: in Redis when crawlers share a frontier there
    (MENTIONWATCH_REDIS_URL), else in the local SQLite file."""
    if url := settings.get("MENTIONWATCH_REDIS_URL"):
        from crawlers.frontier import RedisCrawlState

        return RedisCrawlState(url)
    return CrawlState(settings["MENTIONWATCH_DB"])
