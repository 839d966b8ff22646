"""The SQLite store's date-ordered row keys: a mention's `seq` (its rowid in the text index) is
its published second times 2**20 plus a slot, so a dated text query hands FTS5 a range of
rowids and ranks only the window's matches. What users see must not change: every window
finds exactly what a filter on the dates finds."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.backend import Filters
from index.errors import StoreError
from index.record import Mention
from index.sqlite import _EVERY_KEY, SqliteStore

SLOTS = 2**20
UNDATED = 2**61
DAY = datetime(2026, 10, 5, 12, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "mentions.db"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(path) as store:
        yield store


def _keys(path: Path) -> dict[str, int]:
    """Each stored mention's key, by its id."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT id, seq FROM mentions"))


def _check_text_index(path: Path) -> None:
    """FTS5's own check of its index against the rows (an entry at a key no row has, or a
    row's terms missing, is 'database disk image is malformed')."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("INSERT INTO mentions_fts (mentions_fts, rank) VALUES ('integrity-check', 1)")
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _window(since: datetime | None, until: datetime | None, **more: object) -> Filters:
    return Filters(since=since, until=until, **more)  # type: ignore[arg-type]


def test_keys_follow_the_dates_whatever_the_order_they_arrive_in(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    rng = random.Random(5)
    mentions = [make_mention(f"m{n}", f"battery {n}",
                             published=DAY + timedelta(seconds=rng.randrange(90 * 86400)))
                for n in range(300)]
    for first in range(0, 300, 70):  # several batches, each in random order
        store.upsert(mentions[first:first + 70])
    keys = _keys(path)
    for mention in mentions:
        assert mention.published_at is not None
        assert keys[mention.id] // SLOTS == int(mention.published_at.timestamp())
    by_key = sorted(mentions, key=lambda m: keys[m.id])
    assert by_key == sorted(mentions, key=lambda m: (m.published_at, keys[m.id]))


def test_mentions_of_one_second_take_its_next_slots_in_turn(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    second = int(DAY.timestamp())
    early = [make_mention(f"s{n}", "same second", published=DAY + timedelta(microseconds=n))
             for n in (900, 5, 300)]
    other = make_mention("other", "next second", published=DAY + timedelta(seconds=1))
    later = make_mention("late", "same second, crawled later", published=DAY)
    store.upsert(early)
    store.upsert([other])
    store.upsert([later])
    keys = _keys(path)
    assert [keys[m.id] for m in [*early, later]] == [second * SLOTS + slot for slot in range(4)]
    assert keys[other.id] == (second + 1) * SLOTS
    assert store.count("second", _window(DAY, DAY + timedelta(seconds=1))) == 4


def test_undated_mentions_come_after_every_dated_key(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    undated = [make_mention("u1", "undated battery"), make_mention("u2", "undated too"),
               make_mention("u3", "undated again")]
    dated = make_mention("dated", "dated battery", published=datetime.max.replace(tzinfo=UTC))
    store.upsert(undated[:2])
    store.upsert([dated, undated[2]])
    keys = _keys(path)
    assert [keys[m.id] for m in undated] == [UNDATED, UNDATED + 1, UNDATED + 2]
    assert keys[dated.id] < UNDATED
    # An open-ended window keeps to dated mentions; no window finds the undated too.
    assert store.count("battery", _window(DAY, None)) == 1
    assert store.count("battery") == 2


@pytest.mark.parametrize("when", [datetime.min.replace(tzinfo=UTC),
                                  datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                                  datetime(1970, 1, 1, tzinfo=UTC),
                                  datetime.max.replace(tzinfo=UTC)])
def test_any_date_a_record_holds_has_a_key_and_is_found_in_its_window(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention], when: datetime
) -> None:
    mention = make_mention("edge", "battery at the edge of time", published=when)
    store.upsert([mention, make_mention("undated", "battery undated")])
    key = _keys(path)[mention.id]
    assert -(2**63) <= key < UNDATED
    assert key // SLOTS == int(when.timestamp() // 1)
    # (a second: at year 1, epoch seconds as a float step by 7.6 microseconds)
    just = _window(when, when + timedelta(seconds=1) if when.year < 9999 else None)
    assert [hit.mention.id for hit in store.search("battery", just).hits] == [mention.id]
    before = _window(None, when)
    assert store.count("battery", before) == 0


def test_a_redated_mention_moves_to_its_new_window_with_everything_it_had(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    january, june = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 6, 10, tzinfo=UTC)
    moved = make_mention("moved", "the hinge squeaks", published=january, brand="Acme",
                         brands=("Acme", "Globex"))
    copy = make_mention("copy", "the hinge squeaks", published=january)  # same text
    undated = make_mention("undated", "a battery review", brand="Acme")
    stays = make_mention("stays", "squeaks", published=january)
    store.upsert([moved, copy, undated, stays])
    store.correct_sentiment(moved.id, "negative", "ana")
    # Re-crawled: the page now gives June (and new words), the undated one a date.
    store.upsert([moved.with_(published_at=june, text="the hinge squeaks loudly",
                              brands=("Acme", "Globex")),
                  undated.with_(published_at=january)])
    keys = _keys(path)
    assert keys[moved.id] // SLOTS == int(june.timestamp())
    assert keys[undated.id] // SLOTS == int(january.timestamp())
    in_january = _window(january, january + timedelta(days=1))
    in_june = _window(june, june + timedelta(days=1))
    assert store.count("squeaks", in_january) == 2  # the copy and the one that stayed
    assert [h.mention.id for h in store.search("loudly brand:globex", in_june).hits] == [
        moved.id]
    assert store.count("brand:globex", in_january) == 0
    assert store.count("battery brand:acme", in_january) == 1
    found = store.get(moved.id)
    assert found is not None and found.sentiment is not None
    assert found.sentiment.corrected_by == "ana"
    assert store.count("sentiment:negative squeaks", in_june) == 1
    # The two with the same content hash still count once, as the copy: published first.
    collapsed = store.search("squeaks", Filters(collapse=True))
    assert {hit.mention.id for hit in collapsed.hits} == {copy.id, stays.id}
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM mentions WHERE duplicated = 1").fetchone() == (2,)
        assert db.execute("SELECT brand, seq FROM mention_brands").fetchall() == [
            ("globex", keys[moved.id])]
    _check_text_index(path)


def test_a_second_without_a_free_key_is_refused_and_loses_nothing(
    store: SqliteStore, make_mention: Callable[..., Mention], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.sqlite._SLOTS_PER_SECOND", 4)
    store.upsert([make_mention(f"k{n}", "crowded", published=DAY) for n in range(3)])
    with pytest.raises(StoreError, match=r"no key left .* published at 2026-10-05 12:00:00"):
        store.upsert([make_mention(f"k{n}", "crowded", published=DAY) for n in range(3, 6)])
    assert store.count("crowded") == 3


def _random_corpus(make_mention: Callable[..., Mention], rng: random.Random) -> list[Mention]:
    """Mentions over ten days with words from a small vocabulary: many share a second,
    some sit on whole seconds, some have fractions, some are undated."""
    words = ["battery", "screen", "hinge", "support", "price", "电池", "屏幕"]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    mentions = []
    for n in range(400):
        second = start + timedelta(seconds=rng.randrange(10 * 86400) // 600 * 600)
        published = rng.choice([None, second, second + timedelta(microseconds=rng.randrange(
            1, 10**6))])
        text = " ".join(rng.sample(words, 3))
        mentions.append(make_mention(f"r{n}", text, title=rng.choice([None, "battery"]),
                                     published=published, brand=rng.choice(["Acme", "Globex"]),
                                     sentiment=rng.choice(["positive", "negative"])))
    return mentions


def _brute_window(mentions: list[Mention], since: datetime | None,
                  until: datetime | None) -> set[str]:
    return {m.id for m in mentions if m.published_at is not None
            and (since is None or m.published_at >= since)
            and (until is None or m.published_at < until)}


def _ranked(store: SqliteStore, query: str, filters: Filters) -> list[tuple[str, float]]:
    return [(hit.mention.id, hit.score) for hit in store.search(query, filters, size=500).hits]


def test_a_window_finds_exactly_what_filtering_the_dates_finds(
    store: SqliteStore, make_mention: Callable[..., Mention], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(13)
    mentions = _random_corpus(make_mention, rng)
    rng.shuffle(mentions)
    store.upsert(mentions)
    queries = ["battery", "battery brand:acme", "电池 OR hinge", "title:battery",
               "screen -price", "battery OR sentiment:negative", "-hinge", "\"hinge support\""]
    dated = sorted({m.published_at for m in mentions if m.published_at is not None})
    for _ in range(60):
        # Edges on a mention's own instant, on its whole second, or anywhere; open sides too.
        edges = [rng.choice(dated), rng.choice(dated).replace(microsecond=0),
                 rng.choice(dated) + timedelta(microseconds=rng.randrange(10**6)), None]
        since, until = sorted(rng.sample(edges, 2), key=lambda at: at or datetime.max.replace(
            tzinfo=UTC))
        query = rng.choice(queries)
        everywhere = {m.id for m in store.export(query)}
        expected = everywhere & _brute_window(mentions, since, until)
        window = _window(since, until)
        assert {m.id for m in store.export(query, window)} == expected, (query, since, until)
        assert store.count(query, window) == len(expected)
        found = store.search(query, window, size=500)
        assert {hit.mention.id for hit in found.hits} == expected
        assert found.total == len(expected)
        newest = store.search(query, window, sort="newest", size=500)
        assert {hit.mention.id for hit in newest.hits} == expected
        collapsed = _window(since, until, collapse=True)
        # Ranked in the same order with the same scores as when FTS5 reads every key.
        with monkeypatch.context() as unbounded:
            unbounded.setattr("index.sqlite._narrowed_keys", lambda node, keys=_EVERY_KEY: keys)
            everything = _ranked(store, query, window), _ranked(store, query, collapsed)
        assert (_ranked(store, query, window), _ranked(store, query, collapsed)) == everything


def test_every_text_query_with_a_window_hands_fts5_the_range_of_keys(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.upsert(_random_corpus(make_mention, random.Random(3)))
    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        db.set_trace_callback(statements.append)  # the SQL with its values written in
        return db

    monkeypatch.setattr(sqlite3, "connect", traced)
    since, until = datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 6, tzinfo=UTC)
    with SqliteStore(path) as traced_store:
        for query in ("battery brand:acme", "battery OR sentiment:negative", "title:battery"):
            window = Filters(since=since, until=until, brand="Acme")
            traced_store.search(query, window)
            traced_store.search(query, window, sort="newest")
            traced_store.search(query, Filters(since=since, until=until, collapse=True))
            traced_store.count(query, window)
            traced_store.histogram(query, interval="day", since=since, until=until)
            traced_store.terms("source", query, window)
            traced_store.significant_terms(query, window, background=window)
            list(traced_store.export(query, window))
    monkeypatch.undo()
    scans = []
    with closing(sqlite3.connect(path)) as db:
        for sql in {s for s in statements if "MATCH" in s and s.lstrip().startswith(
                ("SELECT", "WITH"))}:
            plan = " ".join(step for *_, step in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            scans += re.findall(r"mentions_fts VIRTUAL TABLE INDEX \d+:(\S*)", plan)
    assert len(scans) > 20
    # M: the MATCH; > and <: the rowid's lower and upper bounds, which FTS5 seeks to.
    assert all(scan.startswith("M") and ">" in scan and "<" in scan for scan in scans), scans


def _as_version_13(path: Path) -> None:
    """Make the file what schema 13 wrote: the same tables, rows keyed 1, 2, 3... in the
    order they arrived (here: by id), whatever their dates."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN")
        order = [seq for (seq,) in db.execute("SELECT seq FROM mentions ORDER BY id")]
        for arrival, seq in enumerate(order, start=1):
            db.execute("UPDATE mentions SET seq = ? WHERE seq = ?", (arrival, seq))
            db.execute("UPDATE mention_brands SET seq = ? WHERE seq = ?", (arrival, seq))
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')")
        db.execute("PRAGMA user_version = 13")
        db.execute("COMMIT")


def test_a_file_of_version_13_gets_dated_keys_and_keeps_every_mention_search_and_correction(
    store: SqliteStore, path: Path, make_mention: Callable[..., Mention]
) -> None:
    mentions = _random_corpus(make_mention, random.Random(7))
    mentions[0] = mentions[0].with_(brand="Acme", brands=("Acme", "Globex", "Initech"))
    store.upsert(mentions)
    corrected = [store.correct_sentiment(m.id, "neutral", "ana") for m in mentions[5:8]]
    queries = ["battery", "电池 brand:acme", "brand:initech", "title:battery -hinge",
               "sentiment:neutral", "hinge OR screen"]
    window = _window(datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 7, tzinfo=UTC))
    before = {(query, filters): [h.mention.id for h in store.search(query, filters,
                                                                   size=500).hits]
              for query in queries for filters in (Filters(), window)}
    stored = {m.id: store.get(m.id) for m in mentions}
    store.close()
    _as_version_13(path)
    with SqliteStore(path) as again:
        assert {m.id: again.get(m.id) for m in mentions} == stored
        assert {(query, filters): [h.mention.id for h in again.search(query, filters,
                                                                      size=500).hits]
                for query, filters in before} == before
        assert {(m, label) for m, label in again.corrections()} == {
            (m, "neutral") for m in corrected}
    keys = _keys(path)
    for mention in mentions:
        at = mention.published_at
        second = keys[mention.id] // SLOTS
        assert second == int(at.timestamp()) if at else keys[mention.id] >= UNDATED
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (16,)
    _check_text_index(path)
