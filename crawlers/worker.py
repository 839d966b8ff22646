"""`mentionwatch worker`: score, enrich and index the mentions crawlers add to the stream.

Workers are consumers of one group (`crawlers.shared.GROUP`) of the mention stream, so each
message goes to one of them. A worker takes a batch (first the messages another worker took
and left pending for MENTIONWATCH_WORKER_CLAIM_IDLE seconds, with XAUTOCLAIM: that worker
died), enriches it (`crawlers.pipelines.StoredEnrichment`, one model pass per batch), writes it
to the index and only then acknowledges and deletes the messages, so a kill -9 at any point
loses nothing: what was not acknowledged is claimed again. Mentions are upserted by their
stable id, so a batch written twice is written once.

A batch that fails is tried again one mention at a time; a mention that fails is left
pending (claimed again later) until it has been delivered MENTIONWATCH_WORKER_MAX_DELIVERIES
times, then moved with its error to the dead-letter stream. A message that is not a mention
goes there at once. Each worker reports its counters under `worker:<name>` every loop, with a
expiry, so `mentionwatch status` sees which workers are alive and their rates.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from crawlers.shared import GROUP, Keys
from crawlers.stream import decode
from crawlers.triage import triage

if TYPE_CHECKING:
    import redis

    from crawlers.pipelines import StoredEnrichment
    from index.backend import MentionStore
    from index.inbox import Inbox
    from index.record import Mention

__all__ = ["Worker", "WorkerOptions", "default_name"]

_log = logging.getLogger(__name__)

#: A stream message: its id and fields.
Message = tuple[bytes, dict[bytes, bytes]]


def default_name() -> str:
    """host-pid: unique among running workers."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch_size: int = 64
    claim_idle: float = 60.0  # seconds a message waits in a dead worker's hands
    max_deliveries: int = 5
    block: float = 1.0  # seconds a read waits for new messages
    report_ttl: float = 30.0  # seconds a worker counts as alive after its last report


class Worker:
    def __init__(self, client: redis.Redis, store: MentionStore,
                 enrichment: StoredEnrichment | None, *, name: str,
                 options: WorkerOptions | None = None, inbox: Inbox | None = None) -> None:
        self.client = client
        self.store = store
        self.enrichment = enrichment
        self.inbox = inbox  # triaged as a crawl's index pipeline triages what it writes
        self.name = name
        self.options = options or WorkerOptions()
        self.indexed = 0
        self.dead = 0
        self._started = time.time()
        self._cursor = "0-0"  # where the next XAUTOCLAIM scan goes on
        self._ensure_group()

    def _ensure_group(self) -> None:
        try:
            self.client.xgroup_create(Keys.stream, GROUP, id="0", mkstream=True)
        except Exception as exc:  # redis.ResponseError; BUSYGROUP: it exists
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self, stop: Callable[[], bool], *, idle_exit: float | None = None) -> None:
        """Work until `stop()` is true, or (with `idle_exit`) until the stream has had nothing
        new and nothing pending for that many seconds."""
        idle_since = time.monotonic()
        while not stop():
            if self.step():
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit \
                    and not self._pending():
                break
        self._report()

    def step(self) -> int:
        """Take one batch and handle it; returns how many messages it held."""
        messages = self._claim() or self._read()
        if messages:
            self._handle(messages)
        self._report()
        return len(messages)

    def _claim(self) -> list[Message]:
        idle_ms = int(self.options.claim_idle * 1000)
        cursor, claimed, *_ = self.client.xautoclaim(
            Keys.stream, GROUP, self.name, idle_ms, start_id=self._cursor,
            count=self.options.batch_size)
        self._cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        if claimed:
            _log.info("claimed %d messages a worker left pending", len(claimed))
        return [(message_id, fields) for message_id, fields in claimed if fields]

    def _read(self) -> list[Message]:
        read = cast("list[tuple[bytes, list[Message]]]", self.client.xreadgroup(
            GROUP, self.name, {Keys.stream: ">"}, count=self.options.batch_size,
            block=int(self.options.block * 1000)))
        return list(read[0][1]) if read else []

    def _pending(self) -> int:
        return int(self.client.xpending(Keys.stream, GROUP)["pending"])

    def _handle(self, messages: list[Message]) -> None:
        decoded: list[tuple[Message, Mention]] = []
        for message in messages:
            try:
                decoded.append((message, decode(message[1])))
            except (ValueError, KeyError) as exc:  # never a mention: no retry helps
                self._dead_letter(message, f"not a mention: {exc!r}")
        try:
            self._index(decoded)
        except Exception as exc:
            if len(decoded) == 1:
                self._failed(decoded[0][0], exc)
                return
            _log.warning("a batch of %d failed (%r): one at a time", len(decoded), exc)
            for one in decoded:
                try:
                    self._index([one])
                except Exception as exc_one:
                    self._failed(one[0], exc_one)

    def _index(self, batch: list[tuple[Message, Mention]]) -> None:
        """Enrich, write and only then acknowledge (and delete) the batch."""
        if not batch:
            return
        mentions = [mention for _, mention in batch]
        if self.enrichment is not None:
            for mention in mentions:
                self.enrichment.note(mention)
            mentions = self.enrichment(mentions)
        self.store.upsert(mentions)
        if self.inbox is not None:  # before the acknowledgement: redelivered, it refreshes
            triage(self.store, self.inbox, mentions, by="worker", via=self.name)
        self._acknowledge([message_id for (message_id, _), _ in batch])
        self.indexed += len(batch)

    def _acknowledge(self, ids: list[bytes]) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.xack(Keys.stream, GROUP, *ids)
            pipe.xdel(Keys.stream, *ids)
            pipe.execute()

    def _failed(self, message: Message, error: Exception) -> None:
        message_id = message[0]
        entry = self.client.xpending_range(Keys.stream, GROUP, min=message_id, max=message_id,
                                           count=1)
        delivered = int(entry[0]["times_delivered"]) if entry else 1
        _log.warning("mention message %s failed (delivery %d): %r", message_id.decode(),
                     delivered, error)
        if delivered >= self.options.max_deliveries:
            self._dead_letter(message, repr(error))

    def _dead_letter(self, message: Message, error: str) -> None:
        message_id, fields = message
        with self.client.pipeline(transaction=True) as pipe:
            entry: dict[Any, Any] = {**fields, b"error": error.encode(), b"id": message_id,
                                     b"worker": self.name.encode()}
            pipe.xadd(Keys.dead, entry)
            pipe.xack(Keys.stream, GROUP, message_id)
            pipe.xdel(Keys.stream, message_id)
            pipe.execute()
        self.dead += 1

    def _report(self) -> None:
        key = Keys.worker(self.name)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"indexed": self.indexed, "dead": self.dead,
                                    "started": self._started, "seen": time.time()})
            pipe.expire(key, max(1, round(self.options.report_ttl)))
            pipe.execute()
