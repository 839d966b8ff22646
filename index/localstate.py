"""The local SQLite file's one owner: its connections, pragmas, schema versions and errors.

Besides the embedded index's mentions (`index.sqlite`), the file named by `MENTIONWATCH_DB`
keeps what the crawler and the API remember between runs, in table sets declared here:

    CRAWL_STATE  crawl_seen, crawl_mark        what earlier crawls saw (crawlers.state)
    FRONTIER     crawl_frontier                the requests of unfinished crawls (crawlers.resume)
    COVERAGE     crawl_runs                    what each crawl asked and got (crawlers.coverage)
    ALERTS       alert_history, alert_deliveries   alerts raised and sent (api.alerts.state)
    KEYS         api_keys                      API keys, hashed (api.keys)
    REPORTS      report_sends                  which report was sent for which period
                                               (api.reports.digest)
    INBOX        inbox_items, inbox_audit      mentions that need a response, their triage
                                               and who changed what (index.inbox)
    OUTREACH     outreach_contacts             when advocates were asked, for what, and how
                                               it went (api.outreach)

They stay in this file with Elasticsearch configured too (docs/ELASTICSEARCH.md says why).
Their owners keep only their queries:

    with LocalTables("mentionwatch.db", KEYS) as db:
        db.execute("INSERT INTO api_keys ...", (...))
        rows = db.rows("SELECT ... FROM api_keys")

Every connection is in WAL mode, so the crawler writes while the API reads, from separate
processes; waits `timeout` seconds for another writer; and maps sqlite3 errors to
`index.errors` (a locked or unopenable file is `BackendUnavailable`, the rest `StoreError`).
Each table set has its own version in `local_schema` (the mentions' is `PRAGMA
user_version`); opening brings it up to date in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from index.errors import BackendUnavailable, StoreError

__all__ = [
    "ALERTS",
    "API_TIMEOUT",
    "COVERAGE",
    "CRAWL_STATE",
    "CRAWL_TIMEOUT",
    "FRONTIER",
    "INBOX",
    "KEYS",
    "OUTREACH",
    "REPORTS",
    "LocalTables",
    "TableSet",
    "connect",
    "translated",
]

#: How long (seconds) the API waits for another process's write before answering 503.
API_TIMEOUT = 5.0
#: How long a crawl waits: it is a batch job, better late than failed.
CRAWL_TIMEOUT = 30.0

# Errors that say "not now" rather than "broken": the file cannot be opened or stayed locked.
_UNAVAILABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN})
_VERSIONS = ("CREATE TABLE IF NOT EXISTS local_schema "
             "(tables TEXT PRIMARY KEY, version INTEGER NOT NULL)")


@dataclass(frozen=True, slots=True)
class TableSet:
    """Tables kept together, at version `len(steps)`: `steps[n]` holds the statements that
    bring the set from version n to n + 1 (version 0: not created yet, or created before
    versions were kept, by the same statements as version 1, hence `IF NOT EXISTS`)."""

    name: str  # its key in local_schema, and how errors name it
    steps: tuple[tuple[str, ...], ...]

    @property
    def version(self) -> int:
        return len(self.steps)


CRAWL_STATE = TableSet("crawl state", ((
    """CREATE TABLE IF NOT EXISTS crawl_seen (
    source TEXT NOT NULL, mention_id TEXT NOT NULL, PRIMARY KEY (source, mention_id)
) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS crawl_mark (source TEXT PRIMARY KEY, newest TEXT NOT NULL)",
),))

FRONTIER = TableSet("crawl frontier", ((
    """CREATE TABLE IF NOT EXISTS crawl_frontier (
    job TEXT NOT NULL, fingerprint TEXT NOT NULL, request BLOB NOT NULL,
    done INTEGER NOT NULL DEFAULT 0, mentions TEXT, PRIMARY KEY (job, fingerprint)
) WITHOUT ROWID""",
),))

COVERAGE = TableSet("crawl coverage", ((
    """CREATE TABLE IF NOT EXISTS crawl_runs (
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
)""",
),))

ALERTS = TableSet("alert state", ((
    """CREATE TABLE IF NOT EXISTS alert_history (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start TEXT NOT NULL,
    created_at TEXT NOT NULL,
    alert TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS alert_history_rule ON alert_history (rule, subject, window_start)",
    """CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id INTEGER NOT NULL REFERENCES alert_history (id),
    notifier TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (alert_id, notifier)
)""",
),))

KEYS = TableSet("API keys", ((
    """CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
)""",
),))

REPORTS = TableSet("report state", ((
    # A row claims a report's period before it is sent (sent_at NULL), so two runs at once
    # do not both send it; a send that failed removes its claim.
    """CREATE TABLE IF NOT EXISTS report_sends (
    report TEXT NOT NULL,
    period TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (report, period)
) WITHOUT ROWID""",
),))

INBOX = TableSet("inbox", ((
    # What the inbox shows of the mention is kept here (a snapshot refreshed on each
    # re-crawl), so it lists and sorts without the index, with either backend.
    """CREATE TABLE IF NOT EXISTS inbox_items (
    mention_id TEXT PRIMARY KEY,
    brands TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    author TEXT NOT NULL,
    author_url TEXT,
    title TEXT,
    text TEXT NOT NULL,
    lang TEXT,
    published_at TEXT,
    stars REAL,
    reach INTEGER NOT NULL,
    earlier INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS inbox_items_status ON inbox_items (status)",
    # Append-only: every change to an item, notes included, by whom and through what.
    """CREATE TABLE IF NOT EXISTS inbox_audit (
    id INTEGER PRIMARY KEY,
    mention_id TEXT NOT NULL REFERENCES inbox_items (mention_id),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS inbox_audit_item ON inbox_audit (mention_id, id)",
),))


OUTREACH = TableSet("outreach", ((
    # One row per time an advocate (an author key, as leads group authors) was contacted;
    # times are UTC ISO 8601 text of one shape, so they compare as text.
    """CREATE TABLE IF NOT EXISTS outreach_contacts (
    id INTEGER PRIMARY KEY,
    author_key TEXT NOT NULL,
    author TEXT NOT NULL,
    brand TEXT NOT NULL,
    purpose TEXT NOT NULL,
    contacted_by TEXT NOT NULL,
    contacted_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_at TEXT,
    note TEXT,
    forced INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS outreach_author ON outreach_contacts (author_key, contacted_at)",
),))


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Re-raise sqlite3 errors as StoreError, or BackendUnavailable when retrying may help."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        unavailable = code is not None and code & 0xFF in _UNAVAILABLE
        raise (BackendUnavailable if unavailable else StoreError)(f"{action}: {exc}") from exc


def connect(path: str | os.PathLike[str], timeout: float) -> sqlite3.Connection:
    """A connection to the file in WAL mode, usable from any thread, beginning transactions
    only when told (isolation_level=None). Raises sqlite3 errors: callers translate them."""
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        # In WAL, NORMAL keeps every commit through a kill -9; only a power cut can lose
        # the last few, and commits skip an fsync each.
        db.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        db.close()
        raise
    return db


def _version(db: sqlite3.Connection, tables: TableSet) -> int:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'local_schema'").fetchone():
        return 0
    row = db.execute("SELECT version FROM local_schema WHERE tables = ?",
                     (tables.name,)).fetchone()
    return int(row[0]) if row else 0


def _migrate(db: sqlite3.Connection, tables: TableSet) -> None:
    """Bring `tables` to its version in one transaction (nothing to do when it is current)."""
    version = _version(db, tables)
    if version > tables.version:
        raise StoreError(f"the file's {tables.name} schema version {version} is newer than "
                         f"this mentionwatch's ({tables.version}); upgrade mentionwatch")
    if version == tables.version:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated it meanwhile.
        for step in tables.steps[_version(db, tables):]:
            for statement in step:
                db.execute(statement)
        db.execute(_VERSIONS)
        db.execute("INSERT INTO local_schema (tables, version) VALUES (?, ?) ON CONFLICT "
                   "(tables) DO UPDATE SET version = excluded.version",
                   (tables.name, tables.version))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class LocalTables:
    """One table set of the local file, at its current version, on one connection. Every
    call raises `StoreError` (or `BackendUnavailable`) instead of sqlite3's errors. Safe to
    share between threads: calls, and transactions, take turns."""

    def __init__(self, path: str | os.PathLike[str], tables: TableSet, *,
                 timeout: float = API_TIMEOUT) -> None:
        self._action = f"{tables.name} in {os.fspath(path)}"
        self._lock = threading.RLock()
        with translated(f"cannot open {self._action}"):
            self._db = connect(path, timeout)
            try:
                _migrate(self._db, tables)
            except BaseException:
                self._db.close()
                raise

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        with self._lock, translated(self._action):
            yield self._db

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run a write; the cursor tells `rowcount` and `lastrowid`."""
        with self._using() as db:
            return db.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._using() as db:
            db.executemany(sql, rows)

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._using() as db:
            return db.execute(sql, tuple(params)).fetchall()

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row, or None."""
        with self._using() as db:
            return db.execute(sql, tuple(params)).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Calls inside commit together, or not at all. IMMEDIATE takes the write lock up
        front, waiting up to the timeout, so a transaction never fails half-way for a
        write another process made meanwhile."""
        with self._using() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> LocalTables:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
