from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawlers.coverage import recent_runs
from crawlers.resume import Frontier
from crawlers.state import CrawlState
from index.errors import BackendUnavailable
from index.record import Author, Mention


def _mention(native_id: str, day: int) -> Mention:
    return Mention.create(source="reddit", native_id=native_id, kind="post",
                          url=f"https://www.reddit.com/{native_id}", text="Acme", author=Author(""),
                          published_at=datetime(2026, 11, day, tzinfo=UTC))


def test_seen_ids_and_high_water_survive_only_a_commit(tmp_path: Path) -> None:
    a, b, c = _mention("t3_a", 2), _mention("t3_b", 5), _mention("t3_c", 9)
    state = CrawlState(tmp_path / "m.db")
    state.note("Acme: reddit q=acme", [a, b])
    assert not state.all_seen("Acme: reddit q=acme", [a])  # not committed yet
    state.commit()
    state.close()

    state = CrawlState(tmp_path / "m.db")
    assert state.all_seen("Acme: reddit q=acme", [a, b, a])
    assert not state.all_seen("Acme: reddit q=acme", [a, c])
    assert not state.all_seen("Acme: reddit q=acme", [])  # nothing on a page is not "seen"
    assert not state.all_seen("Acme: reddit r/acme", [a])  # per source
    assert state.high_water("Acme: reddit q=acme") == datetime(2026, 11, 5, tzinfo=UTC)
    state.note("Acme: reddit q=acme", [c])
    state.commit()
    assert state.high_water("Acme: reddit q=acme") == datetime(2026, 11, 9, tzinfo=UTC)
    state.note("Acme: reddit q=acme", [a])  # an older one does not move the mark back
    state.commit()
    assert state.high_water("Acme: reddit q=acme") == datetime(2026, 11, 9, tzinfo=UTC)
    assert state.high_water("Acme: hackernews") is None
    state.close()


def test_many_ids_are_looked_up_in_batches(tmp_path: Path) -> None:
    mentions = [_mention(f"t3_{i}", 1) for i in range(1200)]
    state = CrawlState(tmp_path / "m.db")
    state.note("k", mentions)
    state.commit()
    assert state.all_seen("k", mentions)
    assert not state.all_seen("k", [*mentions, _mention("t3_new", 1)])
    state.close()


def test_a_commit_into_a_locked_file_is_unavailable_and_loses_nothing(tmp_path: Path) -> None:
    a = _mention("t3_a", 2)
    state = CrawlState(tmp_path / "m.db", timeout=0.05)
    state.note("k", [a])
    api = sqlite3.connect(tmp_path / "m.db", isolation_level=None)  # another process writing
    api.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackendUnavailable, match=r"crawl state in .*database is locked"):
            state.commit()
    finally:
        api.execute("ROLLBACK")
        api.close()
    state.commit()  # what was noted is still there to commit
    assert state.all_seen("k", [a])
    state.close()


@pytest.mark.parametrize(("opens", "name"), [
    (CrawlState, "crawl state"), (Frontier, "crawl frontier"), (recent_runs, "crawl coverage"),
])
def test_a_file_that_cannot_be_opened_is_unavailable_and_named(
        tmp_path: Path, opens: Callable[[Path], Any], name: str) -> None:
    with pytest.raises(BackendUnavailable, match=f"cannot open {name} in .*missing"):
        opens(tmp_path / "missing" / "m.db")
