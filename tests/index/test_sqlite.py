"""What only the SQLite backend promises: WAL concurrency and sqlite3 errors mapped at its
boundary. Search behaviour is in test_contract.py."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

import index
from bench.index import generate
from index.backend import Filters
from index.engagement import recommends
from index.errors import BackendUnavailable, StoreError
from index.keys import author_key
from index.query import Field, Or
from index.record import Advocate, Aspect, Author, BrandReply, Engagement, Mention, Rating
from index.sqlite import _BRAND_COUNTS, _FACTS, SqliteStore, _matching, _where


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "mentions.db"


@pytest.fixture
def store(path: Path, corpus: dict[str, Mention]) -> Iterator[SqliteStore]:
    with SqliteStore(path) as store:
        store.upsert(corpus.values())
        yield store


@pytest.fixture
def raw(path: Path, store: SqliteStore) -> Iterator[sqlite3.Connection]:
    """Another connection to the same file, managing its own transactions."""
    db = sqlite3.connect(path, isolation_level=None)
    yield db
    db.close()


def test_the_file_is_in_wal_mode(raw: sqlite3.Connection) -> None:
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_search_while_another_connection_writes_sees_the_last_commit(
    store: SqliteStore, raw: sqlite3.Connection, corpus: dict[str, Mention]
) -> None:
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("DELETE FROM mentions WHERE id = ?", (corpus["acme_noon"].id,))
    assert store.search("battery").total == 3  # the write is not committed yet
    raw.execute("COMMIT")
    assert store.search("battery").total == 2  # and the text index followed it


def test_a_writer_commits_while_a_reader_holds_a_snapshot(
    path: Path, raw: sqlite3.Connection, make_mention: Callable[..., Mention]
) -> None:
    raw.execute("BEGIN")
    assert raw.execute("SELECT count(*) FROM mentions").fetchone() == (8,)
    # Without WAL this write would wait for the reader and time out.
    with SqliteStore(path, timeout=0.2) as writer:
        assert writer.upsert([make_mention("new", "fresh battery news")]) == 1
    assert raw.execute("SELECT count(*) FROM mentions").fetchone() == (8,)
    raw.execute("COMMIT")
    assert raw.execute("SELECT count(*) FROM mentions").fetchone() == (9,)


_WRITER = """
import sys
from index import Author, Mention, SqliteStore
with SqliteStore(sys.argv[1]) as store:
    for batch in range(20):
        store.upsert(
            Mention.create(source="test", native_id=f"{batch}-{i}", kind="post",
                           url="https://crawler.example/", text=f"battery {batch} {i}",
                           author=Author("crawler"))
            for i in range(25)
        )
"""


def test_a_crawler_process_writes_while_the_api_reads(store: SqliteStore, path: Path) -> None:
    root = Path(index.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], env=env)
    seen = [store.count("battery")]
    while writer.poll() is None:
        seen.append(store.search("battery", size=5).total)
    assert writer.wait() == 0
    assert seen == sorted(seen)
    assert all((total - 3) % 25 == 0 for total in seen)  # whole batches, never a torn one
    assert store.count("battery") == 3 + 500


def test_one_store_is_shared_by_threads(
    store: SqliteStore, make_mention: Callable[..., Mention]
) -> None:
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            for _ in range(30):
                work()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    batches = iter(range(1000))
    threads = [threading.Thread(target=run, args=(lambda: store.search("battery OR 电池"),))
               for _ in range(3)]
    threads.append(threading.Thread(target=run, args=(
        lambda: store.upsert([make_mention(f"t{next(batches)}", "threaded battery")]),)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count("battery") == 3 + 30


def test_reads_go_on_while_a_write_of_the_same_store_waits_for_the_lock(
    path: Path, raw: sqlite3.Connection, corpus: dict[str, Mention],
    make_mention: Callable[..., Mention],
) -> None:
    # Another process (a crawl) holds the file's write lock; the API's write waits for it,
    # and the API's reads must not queue behind that write.
    with SqliteStore(path, timeout=10) as store:
        raw.execute("BEGIN IMMEDIATE")
        write = threading.Thread(target=store.upsert,
                                 args=([make_mention("late", "a late battery report")],))
        write.start()
        while not store._lock.locked():  # the write has begun waiting for the file
            time.sleep(0.001)
        assert store.search("battery").total == 3
        assert store.get(corpus["acme_noon"].id) == corpus["acme_noon"]
        assert store.histogram(since=datetime(2026, 1, 1, tzinfo=UTC),
                               until=datetime(2027, 1, 1, tzinfo=UTC), interval="week")
        assert write.is_alive(), "the reads waited for the write to give up"
        raw.execute("ROLLBACK")
        write.join()
        assert store.search("battery").total == 4


def test_a_file_with_rows_gets_the_query_planners_statistics(
    path: Path, store: SqliteStore, raw: sqlite3.Connection,
    make_mention: Callable[..., Mention],
) -> None:
    store.upsert(make_mention(f"many{n}", "a review", brand=("Acme", "Zephyr", "Globex")[n % 3],
                              published=datetime(2026, 10, 1 + n % 28, tzinfo=UTC))
                 for n in range(600))
    store.close()
    raw.execute("DROP TABLE IF EXISTS sqlite_stat1")  # as a file made before they were kept
    SqliteStore(path).close()
    with closing(sqlite3.connect(path)) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT brand, count(*) FROM mentions"
            " WHERE published_at >= 0 AND published_at < 1e10 GROUP BY brand").fetchall()
    # Without them SQLite reads a date range's rows from the table to count their brands,
    # 20 times slower than skipping through the brand index.
    assert "COVERING INDEX mentions_brand" in " ".join(row[-1] for row in plan)


def test_rows_survive_vacuum(store: SqliteStore, raw: sqlite3.Connection,
                             corpus: dict[str, Mention]) -> None:
    raw.execute("DELETE FROM mentions WHERE id = ?", (corpus["acme_battery"].id,))
    raw.execute("VACUUM")
    assert store.count("电池 OR 電池 OR battery") == 4


def test_reopening_keeps_the_data(store: SqliteStore, path: Path) -> None:
    store.close()
    with SqliteStore(path) as again:
        assert again.count() == 8


def test_a_missing_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="cannot open") as caught:
        SqliteStore(tmp_path / "no" / "such" / "dir" / "mentions.db")
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_corrupt_file_is_a_store_error(path: Path) -> None:
    path.write_bytes(b"this is not a database " * 200)
    with pytest.raises(StoreError, match="not a database") as caught:
        SqliteStore(path)
    assert not isinstance(caught.value, BackendUnavailable)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_write_lock_held_past_the_timeout_is_unavailable(
    path: Path, raw: sqlite3.Connection, make_mention: Callable[..., Mention]
) -> None:
    with SqliteStore(path, timeout=0.05) as writer:
        raw.execute("BEGIN IMMEDIATE")
        with pytest.raises(BackendUnavailable, match="locked"):
            writer.upsert([make_mention("blocked", "waits for the lock")])
        raw.execute("ROLLBACK")
        assert writer.upsert([make_mention("blocked", "now it goes through")]) == 1


def test_an_unreadable_stored_record_is_a_store_error(
    store: SqliteStore, raw: sqlite3.Connection, corpus: dict[str, Mention]
) -> None:
    raw.execute("UPDATE mentions SET record = '{\"id\": 1}' WHERE id = ?", (corpus["spam"].id,))
    with pytest.raises(StoreError, match="unreadable stored mention"):
        store.get(corpus["spam"].id)
    with pytest.raises(StoreError, match="unreadable stored mention"):
        store.search("spam")


def test_a_closed_store_raises_store_error(store: SqliteStore) -> None:
    store.close()
    with pytest.raises(StoreError):
        store.search("battery")
    with pytest.raises(StoreError):
        store.get("x")


def test_an_export_reads_one_snapshot_while_another_connection_writes(
    path: Path, raw: sqlite3.Connection, make_mention: Callable[..., Mention]
) -> None:
    with SqliteStore(path) as store:
        store.upsert(make_mention(f"x{i:04}", f"snapshot {i}") for i in range(1200))
        exported = store.export("snapshot")
        first = next(exported)  # the snapshot is taken here
        raw.execute("DELETE FROM mentions WHERE id IN (SELECT id FROM mentions "
                    "WHERE terms LIKE 'snapshot%' ORDER BY id DESC LIMIT 100)")
        store.upsert([make_mention("late", "snapshot written during the export")])
        assert store.count("snapshot") == 1101  # the store itself is not blocked
        rest = list(exported)
    assert len([first, *rest]) == 1200
    assert "snapshot written during the export" not in {m.text for m in rest}


_V0_SCHEMA = """
CREATE TABLE mentions (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, brand TEXT,
    lang TEXT, sentiment TEXT, rating REAL, published_at REAL, author_name TEXT NOT NULL,
    author_handle TEXT, terms TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX mentions_brand ON mentions (brand, published_at);
CREATE VIRTUAL TABLE mentions_fts USING fts5 (terms, content='mentions', content_rowid='seq');
CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
    INSERT INTO mentions_fts (rowid, terms) VALUES (new.seq, new.terms); END;
CREATE TRIGGER mentions_fts_update AFTER UPDATE OF terms ON mentions BEGIN SELECT 1; END;
CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN SELECT 1; END;
"""


def test_a_file_of_the_first_schema_is_migrated_with_its_mentions(
    tmp_path: Path, corpus: dict[str, Mention]
) -> None:
    path = tmp_path / "v0.db"
    old = sqlite3.connect(path)
    old.executescript(_V0_SCHEMA)
    old.executemany(
        "INSERT INTO mentions (id, source, author_name, terms, record) VALUES (?, ?, ?, ?, ?)",
        [(m.id, m.source, m.author.name, "", json.dumps(m.to_dict())) for m in corpus.values()],
    )
    old.commit()
    old.close()
    with SqliteStore(path) as store:
        assert store.count() == len(corpus)
        zh = corpus["zh_battery"]
        assert store.get(zh.id) == zh.with_(text_sentiment=zh.sentiment)
        assert store.count("电池 brand:acme") == 2  # re-indexed from the records
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'mentions_old'"
                          ).fetchall() == []


def test_the_stored_record_is_the_mention_as_json(
    path: Path, corpus: dict[str, Mention], make_mention: Callable[..., Mention]
) -> None:
    # Readers of the file (the sqlite3 shell, json_extract) see what to_dict() promises.
    full = make_mention(
        "full", 'Quotes " and \\ back\nslash, 电池 \u2028', title="T", lang="zh-Hans",
        parent_id="p", published=datetime(2026, 10, 1, 8, 30, 15, 250000, tzinfo=UTC),
        rating=Rating(7.5, 10, 0), engagement=Engagement(1, 0, None, -2, 10**12),
        brand="Acme", matched_terms=("Acme", "艾克美"), nps_class="passive",
        nps_estimated=True, advocate=Advocate(0.75, None, ("recommends",)),
        aspects=(Aspect("battery", "negative"), Aspect("屏幕", "positive")),
    ).with_(author=Author("Ann", handle="@ann", url="https://a.example/ann", followers=0,
                          verified=True))
    mentions = [*corpus.values(), full, make_mention("bare", "x")]
    with SqliteStore(path) as store:
        store.upsert(mentions)
        corrected = store.correct_sentiment(full.id, "negative", "ana")
    assert corrected is not None
    with sqlite3.connect(path) as db:
        stored = dict(db.execute("SELECT id, record FROM mentions"))
    assert stored == {
        m.id: json.dumps(m.to_dict(), ensure_ascii=False, separators=(",", ":"))
        for m in [*mentions[:-2], corrected, mentions[-1]]
    }


def _index_agrees_with_rows(db: sqlite3.Connection) -> bool:
    """Whether every term's document count in the FTS index is what the rows hold: a stale
    entry, or a missing one, changes some term's count."""
    rows: Counter[str] = Counter()
    for indexed in db.execute("SELECT terms, tags, stems, chars FROM mentions"):
        rows.update(set(" ".join(indexed).split()))
    return dict(db.execute("SELECT term, doc FROM mentions_vocab")) == dict(rows)


def test_the_text_index_follows_every_kind_of_write(
    store: SqliteStore, raw: sqlite3.Connection, corpus: dict[str, Mention],
    make_mention: Callable[..., Mention],
) -> None:
    assert _index_agrees_with_rows(raw)
    first, rewritten = corpus["acme_battery"], corpus["zh_battery"]
    store.correct_sentiment(first.id, "negative", "ana")
    store.upsert([
        first.with_(text="The hinge squeaks"),  # corrected and changed
        rewritten.with_(title=None),  # unchanged text: no new index entries
        make_mention("brand_new", "a brand new battery review", brand="Globex"),
        rewritten.with_(text="电池 again", brand="Globex"),  # the last of an id wins
    ])
    store.delete([corpus["acme_noon"].id])
    raw.execute("DELETE FROM mentions WHERE id = ?", (corpus["spam"].id,))  # from outside
    assert _index_agrees_with_rows(raw)
    assert store.count("squeaks sentiment:negative") == 1
    assert store.count("brand:globex 电池") == 1


def test_a_file_of_version_3_is_re_analysed_so_simplified_finds_traditional(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    traditional = make_mention("hant", "電池續航很好")
    store.upsert([traditional])
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:  # as version 3 analysed it
        db.execute("UPDATE mentions SET terms = '電池 池續 續航 航很 很好' WHERE id = ?",
                   (traditional.id,))
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")
        db.execute("PRAGMA user_version = 3")
        assert db.execute("SELECT count(*) FROM mentions_fts WHERE mentions_fts MATCH '電池'"
                          ).fetchone() == (1,)
    with SqliteStore(path) as again:
        assert traditional.id in {h.mention.id for h in again.search("电池", size=50).hits}
        assert again.get(traditional.id) == traditional
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert _index_agrees_with_rows(db)


def test_a_file_of_the_previous_schema_drops_its_write_triggers(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:  # back to version 2
        db.executescript("""
            CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
                INSERT INTO mentions_fts (rowid, terms, tags)
                    VALUES (new.seq, new.terms, new.tags);
            END;
            CREATE TRIGGER mentions_fts_update AFTER UPDATE OF terms, tags ON mentions BEGIN
                INSERT INTO mentions_fts (mentions_fts, rowid, terms, tags)
                    VALUES ('delete', old.seq, old.terms, old.tags);
                INSERT INTO mentions_fts (rowid, terms, tags)
                    VALUES (new.seq, new.terms, new.tags);
            END;
            PRAGMA user_version = 2;
        """)
    with SqliteStore(path) as again:
        again.upsert([make_mention("after", "written after the upgrade, battery")])
        assert again.count("battery") == 4
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                          ).fetchall() == [("mentions_fts_delete",)]
        assert _index_agrees_with_rows(db)


def _back_to_version(path: Path, version: int, field: str,
                     columns: tuple[str, ...] | None = None) -> None:
    """Make the file at `path` what schema `version` wrote: without `field`, the record key
    that the next version added, and its `columns` (by default the one named `field`)."""
    with sqlite3.connect(path, isolation_level=None) as db:
        for column in (field,) if columns is None else columns:
            db.execute(f"ALTER TABLE mentions DROP COLUMN {column}")
        for mention_id, record in db.execute("SELECT id, record FROM mentions").fetchall():
            old = {k: v for k, v in json.loads(record).items() if k != field}
            db.execute("UPDATE mentions SET record = ? WHERE id = ?", (json.dumps(old), mention_id))
        db.execute(f"PRAGMA user_version = {version}")


def test_a_file_without_text_sentiment_gets_the_text_models_label_where_it_is_known(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    # Before version 5 a mention's sentiment was the text model's alone.
    corrected = store.correct_sentiment(corpus["acme_noon"].id, "positive", "ann")
    store.close()
    _back_to_version(path, 4, "text_sentiment")
    with SqliteStore(path) as again:
        rated = corpus["acme_battery"]
        assert again.get(rated.id) == rated.with_(text_sentiment=rated.sentiment)
        # A person's label is not the model's: the model's is unknown, the person's kept.
        assert again.get(corrected.id) == corrected
        assert again.count("text_sentiment:negative") == 1  # acme_screen; noon was corrected
        assert again.count("text_sentiment:positive") == 4
        assert again.count("-text_sentiment:positive") == len(corpus) - 4
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)


def test_a_file_of_version_8_gets_the_advocate_and_nps_columns_from_its_records(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    fan = corpus["acme_battery"].with_(advocate=Advocate(0.8, "validator", ("recommends",)),
                                       nps_class="promoter")
    store.upsert([fan])
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:
        for statement in ("DROP INDEX mentions_advocates", "DROP INDEX mentions_nps",
                          *(f"ALTER TABLE mentions DROP COLUMN {column}" for column in
                            ("advocate_score", "persona", "nps_class", "nps_estimated")),
                          "PRAGMA user_version = 8"):
            db.execute(statement)
    with SqliteStore(path) as again:
        [lead] = again.advocates("brand:acme")
        assert lead.best == (fan,) and lead.latest == fan
        assert [(c.brand, c.nps_class, c.count) for c in again.nps_days("brand:acme")] == [
            ("Acme", "promoter", 1)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)


def test_a_file_of_version_9_counts_its_one_brand_mentions_and_then_each_brand_named(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:
        for statement in ("DROP TRIGGER mentions_fts_delete", "DROP TABLE mention_brands"):
            db.execute(statement)  # version 9's trigger knew no mention_brands
    _back_to_version(path, 9, "brands")  # its records have no `brands` key either
    with SqliteStore(path) as again:
        battery = corpus["acme_battery"]
        assert again.get(battery.id) == battery  # its brand is its one brand
        assert again.count("brand:acme") == 5
        again.upsert([battery.with_(brands=("Acme", "Globex Corp"))])
        assert again.count('brand:"globex corp"') == 3
        assert again.count("battery brand:globex") == 0  # an exact brand, not a prefix
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)


def test_a_file_of_a_newer_schema_is_refused(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(path)


def test_a_brand_filter_with_text_ranks_like_the_text_alone(
    store: SqliteStore, raw: sqlite3.Connection, corpus: dict[str, Mention]
) -> None:
    # The brand is answered by FTS5 through a tag token, which must not change relevance.
    alone = {hit.mention.id: hit.score for hit in store.search("battery OR 电池").hits}
    with_brand = store.search("battery OR 电池", index.Filters(brand="ACME")).hits
    assert {hit.mention.id for hit in with_brand} == {
        corpus[key].id for key in ("acme_battery", "acme_noon", "zh_battery", "zh_hant_battery")}
    assert all(hit.score == pytest.approx(alone[hit.mention.id]) for hit in with_brand)
    (tag,) = raw.execute("SELECT tags FROM mentions WHERE brand = 'acme' LIMIT 1").fetchone()
    assert store.count(f'"{tag}"') == 0  # no query can name a tag


def test_a_record_written_without_newer_fields_still_loads(
    store: SqliteStore, raw: sqlite3.Connection, corpus: dict[str, Mention]
) -> None:
    spam = corpus["spam"]
    old = {k: v for k, v in spam.to_dict().items() if k not in ("advocate", "nps_estimated")}
    raw.execute("UPDATE mentions SET record = ? WHERE id = ?", (json.dumps(old), spam.id))
    assert store.get(spam.id) == spam


def test_a_file_without_aspects_is_migrated_and_takes_aspects_from_then_on(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    store.close()
    _back_to_version(path, 5, "aspects")
    with SqliteStore(path) as again:
        assert again.get(corpus["acme_noon"].id) == corpus["acme_noon"]
        assert again.count("aspect:battery") == 0
        assert again.count("") == len(corpus)
        again.upsert([corpus["acme_noon"].with_(aspects=(Aspect("battery", "negative"),))])
        assert again.count("aspect:battery:negative") == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)


def test_a_file_without_kind_persona_or_title_terms_is_migrated_and_filters_by_them(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    taught = make_mention("taught", "How to calibrate the battery", title="Battery guide",
                          advocate=Advocate(0.8, "educator"))
    store.upsert([taught])
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:  # as version 6 wrote it
        db.execute("DROP INDEX mentions_authors")  # of a later version, and reads kind
        for column in ("kind", "persona", "title_terms"):
            db.execute(f"ALTER TABLE mentions DROP COLUMN {column}")
        db.execute("PRAGMA user_version = 6")
    with SqliteStore(path) as again:
        assert again.count("kind:review persona:educator title:battery") == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)


def test_a_file_of_version_6_is_re_analysed_for_stems_and_characters(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    cracked = make_mention("cracked", "螢幕摔一次就裂. Overheats while charging")
    store.upsert([cracked])
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:  # as version 6 made it
        db.executescript("""
            DROP TRIGGER mentions_fts_delete;
            DROP TABLE mentions_vocab;
            DROP TABLE mentions_fts;
            ALTER TABLE mentions DROP COLUMN stems;
            ALTER TABLE mentions DROP COLUMN chars;
            CREATE VIRTUAL TABLE mentions_fts USING fts5 (
                terms, tags, content='mentions', content_rowid='seq',
                tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'");
            INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild');
            PRAGMA user_version = 6;
        """)
    with SqliteStore(path) as again:
        assert again.count("overheating") == again.count("裂") == 1
        assert again.get(cracked.id) == cracked
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert _index_agrees_with_rows(db)


def test_a_file_of_version_7_hashes_again_so_tracked_copies_are_duplicates(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    copies = [make_mention(f"copy{n}", f"Acme X1 ships https://acme.example/x1?utm_source={n}")
              for n in range(2)]
    store.upsert(copies)
    store.close()
    with sqlite3.connect(path, isolation_level=None) as db:  # as version 7 wrote it
        db.execute("DROP INDEX mentions_content")
        db.execute("ALTER TABLE mentions DROP COLUMN content_hash")
        for n, mention in enumerate(copies):  # its hash kept each copy's tracking
            old = mention.to_dict() | {"content_hash": f"old{n}"}
            db.execute("UPDATE mentions SET record = ? WHERE id = ?",
                       (json.dumps(old), mention.id))
        db.execute("PRAGMA user_version = 7")
    with SqliteStore(path) as again:
        assert again.count("ships", index.Filters(collapse=True)) == 1
        assert again.count("ships") == 2


def test_a_file_of_version_10_gets_the_reply_columns_and_answered_mentions_count(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    store.close()
    _back_to_version(path, 10, "brand_replies", ("first_reply_at", "replies"))
    with SqliteStore(path) as again:
        battery = corpus["acme_battery"]
        assert again.get(battery.id) == battery
        answered = battery.with_(brand_replies=(
            BrandReply("Sorry to hear it", "Acme", datetime(2026, 3, 2, tzinfo=UTC)),))
        again.upsert([answered])
        assert again.get(battery.id) == answered
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("SELECT count(*) FROM mentions WHERE replies > 0").fetchone() == (1,)


def test_a_stored_record_escaping_a_lone_surrogate_still_reads(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    # Written by an older version, or by hand: JSON allows "\ud800", which the fast reader
    # refuses; the careful reader takes it, and the record scrubs it as when it was built.
    battery = corpus["acme_battery"]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE mentions SET record = replace(record, 'excellent', 'excel\\ud800')"
                   " WHERE id = ?", (battery.id,))
    found = store.get(battery.id)
    assert found is not None and "excel\ufffd" in found.text
    assert [m.id for m in store.export("", index.Filters())].count(battery.id) == 1


def test_a_file_of_version_12_gets_the_author_index(
    store: SqliteStore, path: Path, corpus: dict[str, Mention]
) -> None:
    store.close()
    battery = corpus["acme_battery"]
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP INDEX mentions_authors")
        db.execute("PRAGMA user_version = 12")
    with SqliteStore(path) as again:
        alice = author_key(battery.source_domain, battery.author.handle, battery.author.name)
        assert [m.id for m in again.export(Field("author", "=", alice))] == [battery.id]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'mentions_authors'"
                          ).fetchone() == (1,)


SCHEMA_14 = Path(__file__).resolve().parents[1] / "fixtures" / "sqlite" / "schema-14.sql"


def _as_version_14(written: Path, path: Path) -> None:
    """Make `path` a file of version 14 (its schema's own SQL) holding the rows the store
    wrote to `written`, but for the columns version 14 did not have, with the planner's
    statistics."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript(SCHEMA_14.read_text())
        columns = ", ".join(row[1] for row in db.execute("PRAGMA table_info(mentions)"))
        db.execute("ATTACH ? AS written", (str(written),))
        db.execute(f"INSERT INTO mentions ({columns}) SELECT {columns} FROM written.mentions")
        db.execute("INSERT INTO mention_brands SELECT * FROM written.mention_brands")
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")
        db.execute("ANALYZE")


def test_a_file_of_version_14_is_upgraded_in_place_and_dates_the_engagement_of_leads(
    tmp_path: Path, make_mention: Callable[..., Mention], monkeypatch: pytest.MonkeyPatch
) -> None:
    def day(n: int) -> datetime:
        return datetime(2026, 10, n, 12, tzinfo=UTC)

    complaint = make_mention("complaint", "Acme broke", author="Grumpy", brand="Acme",
                             sentiment="negative", published=day(3))
    maya = [make_mention(f"maya{n}", f"Acme {n}", author="Maya", brand="Acme",
                         sentiment="positive", published=day(n)) for n in (1, 2, 4, 6)]
    maya[2] = maya[2].with_(kind="comment", parent_id=complaint.id)
    # What the advocate scorer writes, and near misses: the SQL that fills the new column
    # must read them as `engagement.recommends` does.
    signals = ["recommends in 100%: I recommend (+0.25)", "recommends in 0% (+0.00)",
               "Recommends in 50%", "recommends in 0.5%", "xrecommends in 5%",
               "recommends in 05%", "recommends in *"]
    maya[3] = maya[3].with_(advocate=Advocate(0.8, "connector", (signals[0],)))
    others = [make_mention(f"signal{n}", "Acme", author=f"Other {n}", brand="Acme",
                           advocate=Advocate(0.6, None, ("positive 90%", signal)))
              for n, signal in enumerate(signals)]
    written = tmp_path / "written.db"
    with SqliteStore(written) as store:
        store.upsert([complaint, *maya, *others])
        expected = store.engagement("acme", ["reviews.example/maya"])
    path = tmp_path / "v14.db"
    _as_version_14(written, path)

    def rewritten(*args: object) -> None:
        raise AssertionError("the rows were rewritten through Python")

    monkeypatch.setattr("index.sqlite._write", rewritten)
    with SqliteStore(path) as again:
        found = again.engagement("acme", ["reviews.example/maya"])
    assert found == expected
    assert [(step.level, step.at) for step in found["reviews.example/maya"].history] == [
        ("first_mention", day(1)), ("repeat", day(2)), ("recommends", day(6)),
        ("defends", day(4))]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # The remade author index has statistics again, as it had before.
        assert db.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = 'mentions_authors'"
                          ).fetchone() == (1,)
        stored = dict(db.execute("SELECT id, json_array(parent_id, recommends) FROM mentions"))
    assert {mention_id: json.loads(value) for mention_id, value in stored.items()} == {
        m.id: [m.parent_id, int(recommends(m.advocate.signals) if m.advocate else 0)]
        for m in [complaint, *maya, *others]}
    assert [recommends(m.advocate.signals) for m in others if m.advocate] == [
        True, False, False, True, False, True, True]


def test_the_engagement_of_leads_reads_the_author_index_alone(
    store: SqliteStore, path: Path
) -> None:
    with closing(sqlite3.connect(path)) as db:
        plan = db.execute("EXPLAIN QUERY PLAN " + _FACTS.format(where="m.brand = ?"),
                          ["[]", "acme"]).fetchall()
    steps = [step for *_, step in plan]
    assert any(step.startswith("SEARCH m USING COVERING INDEX mentions_authors")
               for step in steps)
    assert not any(step.startswith("SCAN m") for step in steps)


def test_author_lookups_seek_the_author_index_rather_than_scan_the_brand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the engagement of leads, triage and alerts ask: many authors, one brand, in a
    # corpus of many authors, asked while the store that filled the file is still open.
    monkeypatch.setattr("index.sqlite._ANALYZE_AFTER", 3000)
    authors = Or(tuple(Field("author", "=", f"trustpilot.com/user{i}") for i in range(200)))
    where, params = _where(authors)
    with SqliteStore(tmp_path / "bench.db") as many:
        for mentions in generate(3000, batch=1000):
            many.upsert(mentions)
        with closing(sqlite3.connect(tmp_path / "bench.db")) as db:
            plan = db.execute("EXPLAIN QUERY PLAN SELECT m.record FROM mentions AS m"
                              f" WHERE m.brand = ? AND {where}", ["acme", *params]).fetchall()
    steps = [step for *_, step in plan]
    assert "MULTI-INDEX OR" in steps
    seeks = [step for step in steps if step.startswith("SEARCH")]
    assert len(seeks) == 200
    assert all("USING INDEX mentions_authors" in step and "brand=?" in step for step in seeks)


def _brand_count_steps(store: SqliteStore, path: Path, query: str, filters: Filters) -> list[str]:
    """The outer steps of the query plan of counting `query`'s matches per primary brand, as
    share of voice does (not those of collapsing's duplicates, which few mentions are)."""
    where, params = _matching(store._resolve(query, filters), filters)
    with closing(sqlite3.connect(path)) as db:
        plan = db.execute("EXPLAIN QUERY PLAN " + _BRAND_COUNTS[0].format(
            where=where, group="+m.brand"), params).fetchall()
    return [step for _, parent, _, step in plan if parent == 0]


def _reads_seq_index_alone(steps: list[str]) -> bool:
    return (any(step.startswith("SEARCH m USING COVERING INDEX mentions_seq") for step in steps)
            and not any("INTEGER PRIMARY KEY" in step or step.startswith("SCAN m")
                        for step in steps))


def test_counting_a_words_matches_per_brand_reads_the_seq_index_not_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row is about a page (its record, its text streams); the index entry a few bytes.
    monkeypatch.setattr("index.sqlite._ANALYZE_AFTER", 3000)
    path = tmp_path / "bench.db"
    window = Filters(since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime.now(UTC),
                     collapse=True)
    with SqliteStore(path) as many:
        for mentions in generate(3000, batch=1000):
            many.upsert(mentions)
        steps = _brand_count_steps(many, path, "battery", window)
        counted = many.terms("brand", "battery", window, size=100)
    assert _reads_seq_index_alone(steps), steps
    assert sum(bucket.count for bucket in counted) > 0


def test_a_file_of_version_15_gets_the_seq_index_with_its_statistics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.sqlite._ANALYZE_AFTER", 3000)
    path = tmp_path / "v15.db"
    window = Filters(since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime.now(UTC))
    with SqliteStore(path) as written:
        for mentions in generate(3000, batch=1000):
            written.upsert(mentions)
        expected = written.terms("brand", "battery", window, size=100)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("DROP INDEX mentions_seq")
        db.execute("PRAGMA user_version = 15")
    with SqliteStore(path) as again:
        assert again.terms("brand", "battery", window, size=100) == expected
        steps = _brand_count_steps(again, path, "battery", window)
    assert _reads_seq_index_alone(steps), steps
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
        assert db.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = 'mentions_seq'"
                          ).fetchone() == (1,)
