"""`mentionwatch worker` and `status` against a real redis-server on 127.0.0.1: workers
enrich and index in batches, acknowledge only what the index accepted, claim what a dead
worker left, and dead-letter a mention that keeps failing, with its error."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from api.cli import main
from bench.scale import REDIS_SERVER, LocalRedis
from crawlers.pipelines import StoredEnrichment
from crawlers.shared import GROUP, Keys
from crawlers.stream import encode
from crawlers.worker import Worker, WorkerOptions
from index.inbox import Inbox
from index.record import Mention, Rating
from index.sqlite import SqliteStore
from sentiment.enricher import Enricher
from sentiment.persona import RulePersonaClassifier
from tests.crawlers.test_pipelines import RecordingScorer, mention
from tests.index.conftest import (  # noqa: F401 (the Elasticsearch stores' fixtures)
    elastic_store,
    osmem,
    osmem_client,
    osmem_store,
)
from tests.loopback import free_port

pytestmark = pytest.mark.skipif(REDIS_SERVER is None,
                                reason="redis-server is not installed (make install does it)")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with LocalRedis() as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(server)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "index.db") as store:
        yield store


def _queue(client: redis.Redis, mentions: Sequence[Mention]) -> None:
    for one in mentions:
        client.xadd(Keys.stream, encode(one))  # type: ignore[arg-type]


def _worker(client: redis.Redis, store: Any, name: str, **options: Any) -> Worker:
    return Worker(client, store, None, name=name,
                  options=WorkerOptions(block=0.1, **{"claim_idle": 0.2, **options}))


class FailingStore:
    """An index that refuses every write."""

    def upsert(self, mentions: Sequence[Mention]) -> int:
        raise RuntimeError("index refused the batch")


def test_a_worker_enriches_and_indexes_in_batches_and_empties_the_stream(
        client: redis.Redis, store: SqliteStore) -> None:
    scorer = RecordingScorer()
    _queue(client, [mention(n, "it broke" if n % 2 else "lovely") for n in range(5)])
    enrichment = StoredEnrichment(Enricher(scorer, RulePersonaClassifier()), store=store)
    worker = Worker(client, store, enrichment, name="w",
                    options=WorkerOptions(batch_size=2, block=0.1))
    while worker.step():
        pass
    assert [len(batch) for batch in scorer.batches] == [2, 2, 1]
    labels = {m.id: m.sentiment.label for m in store.export() if m.sentiment}
    assert sorted(labels.values()) == ["negative", "negative", "positive", "positive",
                                       "positive"]
    assert client.xlen(Keys.stream) == 0
    assert client.xpending(Keys.stream, GROUP)["pending"] == 0


@pytest.mark.parametrize("backend", ["elastic", "osmem"])
def test_workers_index_into_elasticsearch_the_shared_index(
        client: redis.Redis, backend: str, request: pytest.FixtureRequest) -> None:
    # `elastic` runs where ELASTICSEARCH_URL names a cluster; osmem checks request shapes.
    index = request.getfixturevalue(f"{backend}_store")
    first = [mention(n, "it broke" if n % 2 else "lovely") for n in range(4)]
    _queue(client, [*first, first[0]])  # a redelivered mention: upserted by its stable id
    scorer = RecordingScorer()
    enrichment = StoredEnrichment(Enricher(scorer, RulePersonaClassifier()), store=index)
    workers = [Worker(client, index, enrichment, name=f"w{n}",
                      options=WorkerOptions(batch_size=2, block=0.1)) for n in range(2)]
    while any([worker.step() for worker in workers]):
        pass
    assert index.count() == 4
    assert index.count("sentiment:negative") == 2
    assert client.xlen(Keys.stream) == 0


def test_what_a_dead_worker_took_is_claimed_by_another_and_indexed_once(
        client: redis.Redis, store: SqliteStore) -> None:
    _queue(client, [mention(n, "lovely") for n in range(3)])
    # This worker reads the batch, then its index fails: as if it died before writing.
    assert _worker(client, FailingStore(), "dead", claim_idle=60).step() == 3
    assert client.xpending(Keys.stream, GROUP)["pending"] == 3
    survivor = _worker(client, store, "alive")
    _wait_for_claim(survivor)
    assert sorted(m.id for m in store.export()) == sorted(mention(n, "x").id for n in range(3))
    assert client.xpending(Keys.stream, GROUP)["pending"] == 0


def _wait_for_claim(worker: Worker) -> None:
    """Steps until the worker claimed and indexed something (claim_idle is 0.2 s)."""
    for _ in range(50):
        if worker.step():
            return
    raise AssertionError("nothing was claimed")


def test_a_mention_failing_max_deliveries_times_goes_to_the_dead_letter_stream_with_its_error(
        client: redis.Redis) -> None:
    _queue(client, [mention(1, "lovely")])
    worker = _worker(client, FailingStore(), "w", max_deliveries=3)
    for _ in range(60):
        worker.step()
        if client.xlen(Keys.dead):
            break
    (_, fields), = client.xrange(Keys.dead)
    assert b"index refused the batch" in fields[b"error"]
    assert json.loads(fields[b"mention"])["id"] == mention(1, "x").id
    assert client.xlen(Keys.stream) == 0  # never silently dropped: it is in the dead letters
    assert client.xpending(Keys.stream, GROUP)["pending"] == 0


def test_a_message_that_is_no_mention_is_dead_lettered_at_once(
        client: redis.Redis, store: SqliteStore) -> None:
    client.xadd(Keys.stream, {"mention": "{not json"})
    _queue(client, [mention(1, "lovely")])
    _worker(client, store, "w").step()
    (_, fields), = client.xrange(Keys.dead)
    assert fields[b"error"].startswith(b"not a mention")
    assert [m.id for m in store.export()] == [mention(1, "x").id]


def test_status_shows_the_stream_the_dead_letters_and_the_workers_alive(
        client: redis.Redis, server: str, store: SqliteStore) -> None:
    _queue(client, [mention(n, "lovely") for n in range(4)])
    client.xadd(Keys.stream, {"mention": "{not json"})
    _worker(client, store, "w1", batch_size=2).step()
    result = CliRunner().invoke(main, ["status", "--queue", server])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["mentions"] == {"length": 3, "pending": 0, "dead_lettered": 0}
    assert [w["name"] for w in status["workers"]] == ["w1"]
    assert status["workers"][0]["indexed"] == 2


def test_a_queue_nobody_listens_on_is_a_clear_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = CliRunner().invoke(main, ["status", "--queue", url])
    assert result.exit_code == 1
    assert f"Redis at {url} does not answer" in result.output


def test_a_crawl_given_a_queue_nobody_listens_on_fails_before_it_crawls(
        tmp_path: Path) -> None:
    watchlist = tmp_path / "watch.toml"
    # Were it crawled, the address guard would refuse this page before connecting.
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
                         f'type = "schemaorg"\nurl = "http://127.0.0.1:{free_port()}/p/"\n')
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = CliRunner().invoke(main, ["crawl", "--queue", url, "--watchlist", str(watchlist),
                                       "--db", str(tmp_path / "index.db")])
    assert result.exit_code == 1
    assert f"Redis at {url} does not answer" in result.output


def test_status_without_a_queue_says_how_to_name_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENTIONWATCH_REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    assert "MENTIONWATCH_REDIS_URL" in result.output


def test_a_worker_triages_what_it_indexes_into_the_inbox(
        client: redis.Redis, store: SqliteStore, tmp_path: Path) -> None:
    # As a crawl's index pipeline does: workers index for crawlers that no longer do.
    low, fine = (mention(1, "Broke after a day.", Rating(1, 5, 1), brand="Acme"),
                 mention(2, "Lovely.", Rating(5, 5, 1), brand="Acme"))
    _queue(client, [low, fine])
    with Inbox(tmp_path / "index.db") as inbox:
        worker = Worker(client, store, None, name="w", inbox=inbox,
                        options=WorkerOptions(block=0.1))
        while worker.step():
            pass
        [item] = inbox.items()
        assert item.entry.mention_id == low.id
        assert [r.code for r in item.entry.reasons] == ["low_rating"]
        assert inbox.audit(low.id)[0].via == "w"


def test_the_worker_command_finds_the_brands_own_aspects_as_every_command_finds_the_watchlist(
        client: redis.Redis, server: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The model is not what is tested here: the keyword scorer stands in for it.
    monkeypatch.setattr("sentiment.enricher.load_enricher", lambda *args, **kwargs: Enricher(
        RecordingScorer(), RulePersonaClassifier()))
    watchlist = tmp_path / "watch.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\naspects = ["hinge"]\n',
                         encoding="utf-8")
    monkeypatch.setenv("MENTIONWATCH_WATCHLIST", str(watchlist))
    _queue(client, [mention(1, "The Acme hinge broke in a week", brand="Acme")])
    db = tmp_path / "index.db"
    result = CliRunner().invoke(main, ["worker", "--queue", server, "--db", str(db),
                                       "--exit-when-idle", "0.3"])
    assert result.exit_code == 0, result.output
    with SqliteStore(db) as store:
        (stored,) = store.export()
    assert ("hinge", "negative") in [(a.name, a.polarity) for a in stored.aspects]
