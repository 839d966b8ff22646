"""The local file's owner: pragmas, versioned table sets, upgrades of older files, errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.errors import BackendUnavailable, StoreError
from index.localstate import (
    ALERTS,
    COVERAGE,
    CRAWL_STATE,
    FRONTIER,
    KEYS,
    LocalTables,
    TableSet,
)
from index.sqlite import SqliteStore

# What mentionwatch wrote before the tables had versions, verbatim from its modules.
_OLD_SQL = """
CREATE TABLE IF NOT EXISTS crawl_seen (
    source TEXT NOT NULL, mention_id TEXT NOT NULL, PRIMARY KEY (source, mention_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS crawl_mark (source TEXT PRIMARY KEY, newest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crawl_frontier (
    job TEXT NOT NULL, fingerprint TEXT NOT NULL, request BLOB NOT NULL,
    done INTEGER NOT NULL DEFAULT 0, mentions TEXT, PRIMARY KEY (job, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS crawl_runs (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, asked TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, pages INTEGER NOT NULL,
    found INTEGER NOT NULL, new INTEGER NOT NULL, updated INTEGER NOT NULL,
    errors INTEGER NOT NULL, unreadable INTEGER NOT NULL, finish_reason TEXT
);
CREATE TABLE IF NOT EXISTS alert_history (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, rule TEXT NOT NULL,
    subject TEXT NOT NULL, window_start TEXT NOT NULL, created_at TEXT NOT NULL,
    alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_rule ON alert_history (rule, subject, window_start);
CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id INTEGER NOT NULL REFERENCES alert_history (id), notifier TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    last_error TEXT, PRIMARY KEY (alert_id, notifier)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, revoked_at TEXT
);
INSERT INTO crawl_seen VALUES ('Acme: reddit', 'm1');
INSERT INTO crawl_mark VALUES ('Acme: reddit', '2026-11-05T00:00:00+00:00');
INSERT INTO crawl_frontier VALUES ('feed 1', 'f1', x'00', 1, '["m1"]');
INSERT INTO crawl_runs VALUES (1, 'reddit', '[]', 'a', 'b', 3, 2, 1, 1, 0, 0, 'finished');
INSERT INTO alert_history VALUES (1, 'k1', 'spike', 'brand=Acme', 'w', 'c', '{}');
INSERT INTO alert_deliveries VALUES (1, 'webhook', 'sent', 1, 'n', NULL);
INSERT INTO api_keys VALUES (1, 'cli', 'admin', 'h1', 'c', NULL);
"""
_ROWS = {
    CRAWL_STATE: "SELECT (SELECT count(*) FROM crawl_seen) + (SELECT count(*) FROM crawl_mark)",
    FRONTIER: "SELECT count(*) FROM crawl_frontier",
    COVERAGE: "SELECT count(*) FROM crawl_runs",
    ALERTS: "SELECT (SELECT count(*) FROM alert_history) + "
            "(SELECT count(*) FROM alert_deliveries)",
    KEYS: "SELECT count(*) FROM api_keys",
}


def _versions(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT tables, version FROM local_schema").fetchall())


def test_a_file_from_before_versions_keeps_its_rows_and_gets_versions(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD_SQL)
    for tables, count in _ROWS.items():
        with LocalTables(path, tables) as db:
            assert db.one(count) == ((2,) if tables in (CRAWL_STATE, ALERTS) else (1,))
    assert _versions(path) == {t.name: t.version for t in _ROWS}


def test_every_table_set_shares_the_file_with_the_mentions(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    for tables in _ROWS:
        LocalTables(path, tables).close()
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        for tables, count in _ROWS.items():
            assert db.execute(count).fetchone() == (0,), tables.name


def test_connections_are_in_wal_with_a_busy_timeout_and_normal_sync(tmp_path: Path) -> None:
    with LocalTables(tmp_path / "m.db", KEYS, timeout=2.5) as db:
        assert db.one("PRAGMA journal_mode") == ("wal",)
        assert db.one("PRAGMA busy_timeout") == (2500,)
        assert db.one("PRAGMA synchronous") == (1,)  # NORMAL


_NOTES_V1 = ("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",)
_NOTES_V2 = ("ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown'",)


def test_migrations_run_in_order_from_the_files_version(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with LocalTables(path, TableSet("notes", (_NOTES_V1,))) as db:
        db.execute("INSERT INTO notes (text) VALUES ('kept')")
    with LocalTables(path, TableSet("notes", (_NOTES_V1, _NOTES_V2))) as db:
        assert db.rows("SELECT text, author FROM notes") == [("kept", "unknown")]
    assert _versions(path) == {"notes": 2}
    LocalTables(path, TableSet("notes", (_NOTES_V1, _NOTES_V2))).close()  # current: no-op


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    LocalTables(path, TableSet("notes", (_NOTES_V1,))).close()
    broken = TableSet("notes", (_NOTES_V1, (*_NOTES_V2, "ALTER TABLE nowhere ADD COLUMN x")))
    with pytest.raises(StoreError, match=r"cannot open notes in .*no such table: nowhere"):
        LocalTables(path, broken)
    assert _versions(path) == {"notes": 1}
    with sqlite3.connect(path) as db:
        assert [c[1] for c in db.execute("PRAGMA table_info(notes)")] == ["id", "text"]


def test_a_file_from_a_newer_mentionwatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    LocalTables(path, TableSet("notes", (_NOTES_V1, _NOTES_V2))).close()
    with pytest.raises(StoreError, match="notes schema version 2 is newer than this "
                                         r"mentionwatch's \(1\); upgrade mentionwatch"):
        LocalTables(path, TableSet("notes", (_NOTES_V1,)))


def test_a_locked_file_is_unavailable_and_the_write_is_not_made(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = LocalTables(path, KEYS, timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)  # another process writing
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackendUnavailable, match=r"API keys in .*database is locked"), \
                db.transaction():
            db.execute("INSERT INTO api_keys (name, role, hash, created_at) "
                       "VALUES ('a', 'admin', 'h', 'c')")
        assert db.rows("SELECT * FROM api_keys") == []  # reads go on meanwhile (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    db.close()


def test_a_missing_directory_is_unavailable_and_bad_sql_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match=r"cannot open crawl state in .*missing"):
        LocalTables(tmp_path / "missing" / "m.db", CRAWL_STATE)
    with LocalTables(tmp_path / "m.db", CRAWL_STATE) as db, \
            pytest.raises(StoreError, match=r"crawl state in .*no such column: nope"):
        db.rows("SELECT nope FROM crawl_mark")
