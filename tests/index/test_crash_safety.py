"""Acknowledged mentions survive a kill -9 of the process writing them."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import index
from index.record import mention_id
from index.sqlite import SqliteStore

_BATCH = 200
_WRITER = f"""
import sys
from index import Author, Mention, SqliteStore
with SqliteStore(sys.argv[1]) as store:
    for batch in range(10_000):
        mentions = [
            Mention.create(source="crash", native_id=f"{{batch}}-{{i}}", kind="post",
                           url="https://crawler.example/", author=Author("crawler"),
                           text=f"battery report {{batch}} {{i}} " * 20)
            for i in range({_BATCH})
        ]
        store.upsert(mentions)
        print(batch, mentions[-1].id, flush=True)  # acknowledged: upsert returned
"""


def test_every_acknowledged_mention_survives_a_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    root = Path(index.__file__).parents[1]
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert writer.stdout is not None
    acknowledged = []
    for line in writer.stdout:
        batch, last = line.split()
        assert last == mention_id("crash", f"{batch}-{_BATCH - 1}")
        acknowledged.append(int(batch))
        if len(acknowledged) == 15:
            break
    os.kill(writer.pid, signal.SIGKILL)  # mid-way through a later batch
    assert writer.wait() == -signal.SIGKILL
    writer.stdout.close()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with SqliteStore(path) as store:
        ids = [mention_id("crash", f"{batch}-{i}") for batch in acknowledged
               for i in range(_BATCH)]
        assert all(store.get(one) is not None for one in ids)
        total = store.count()
        assert total >= len(ids)
        assert total % _BATCH == 0  # whole batches, never a torn one
        assert store.count("battery") == total  # the text index agrees with the rows
