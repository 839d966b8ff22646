"""Scale-out on Redis (docs/SCALE_OUT.md): crawler processes share one frontier and queue raw
mentions; worker processes index them. Real processes, a real redis-server on 127.0.0.1 and
the bench's generated site of review pages on a loopback server; the index is one SQLite
file all workers write (Elasticsearch in production)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bench.crawl import BRAND, generate_site
from bench.scale import REDIS_SERVER, LocalRedis
from crawlers.shared import GROUP, Keys
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import RUN
from tests.loopback import Loopback

pytestmark = pytest.mark.skipif(REDIS_SERVER is None,
                                reason="redis-server is not installed (make install does it)")

PAGES = 2000
CRAWL_SETTINGS = {
    "MENTIONWATCH_ALLOW_LOOPBACK": True, "MENTIONWATCH_SENTIMENT_ENABLED": False,
    "ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "ERROR",
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "MENTIONWATCH_REDIS_DELAY": 0,
}


def _serve(files: dict[str, bytes]) -> Loopback:
    return Loopback(lambda path: (200 if path in files else 404,
                                  {"Content-Type": "text/html; charset=utf-8"},
                                  files.get(path, b"")))


def _watchlist(path: Path, root: str, start: str) -> Path:
    path.write_text(f'[[brands]]\nname = "{BRAND}"\nterms = ["{BRAND}", "艾克美"]\n\n'
                    f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{root}{start}"\n'
                    f'scope = "{root}/"\n', encoding="utf-8")
    return path


class Process:
    """A mentionwatch process whose output goes to a log file (a pipe nobody reads until
    the end fills up and stalls it)."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True)

    def finish(self, timeout: float = 300) -> str:
        """Its output, once it ended well."""
        self.popen.wait(timeout=timeout)
        output = self.log.read_text()
        assert self.popen.returncode == 0, output[-3000:]
        return output

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()


def _crawler(watchlist: Path, db: Path, log: Path, **settings: Any) -> Process:
    return Process([sys.executable, "-c", RUN, str(watchlist),
                    json.dumps({**CRAWL_SETTINGS, "MENTIONWATCH_DB": str(db), **settings})], log)


def _worker(url: str, db: Path, log: Path) -> Process:
    return Process([sys.executable, "-m", "api.cli", "worker", "--queue", url, "--db", str(db),
                    "--name", log.stem, "--no-sentiment", "--claim-idle", "2"], log)


def _records(db: Path) -> dict[str, dict[str, Any]]:
    """Every indexed mention as its record, less when it was collected."""
    with SqliteStore(db) as store:
        return {m.id: {**m.to_dict(), "collected_at": None} for m in store.export()}


def _wait(until: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.2)


def _drained(client: redis.Redis) -> bool:
    """Every queued mention acknowledged."""
    return client.xlen(Keys.stream) == 0 and client.xpending(Keys.stream, GROUP)["pending"] == 0


def _stop(workers: list[Process], client: redis.Redis) -> None:
    _wait(lambda: _drained(client), 120, "the workers emptied the stream")
    for worker in workers:
        worker.popen.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.finish(60)


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Loopback, dict[str, bytes]]]:
    files = generate_site(PAGES).files
    with _serve(files) as server:
        yield server, files


@pytest.fixture(scope="module")
def single(site: tuple[Loopback, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, dict[str, Any]]:
    """What one process crawling alone (no Redis) indexes."""
    server, files = site
    tmp = tmp_path_factory.mktemp("single")
    start = min(p for p in files if p.startswith("/index/"))
    watchlist = _watchlist(tmp / "watch.toml", server.url, start)
    _crawler(watchlist, tmp / "single.db", tmp / "single.log").finish()
    return _records(tmp / "single.db")


@pytest.fixture
def queue(site: tuple[Loopback, dict[str, bytes]]) -> Iterator[tuple[str, redis.Redis]]:
    """A new Redis server, and the site's log of fetched pages emptied."""
    site[0].received.clear()
    with LocalRedis() as url:
        client = redis.Redis.from_url(url)
        yield url, client
        client.close()


@pytest.mark.slow
def test_three_crawlers_and_two_workers_index_every_mention_once_and_fetch_each_page_once(
        site: tuple[Loopback, dict[str, bytes]], single: dict[str, dict[str, Any]],
        queue: tuple[str, redis.Redis], tmp_path: Path) -> None:
    server, files = site
    url, client = queue
    db = tmp_path / "shared.db"
    watchlist = _watchlist(tmp_path / "watch.toml", server.url, "/index/1.html")
    workers = [_worker(url, db, tmp_path / f"w{i}.log") for i in range(2)]
    crawlers = [_crawler(watchlist, db, tmp_path / f"c{i}.log", MENTIONWATCH_REDIS_URL=url)
                for i in range(3)]
    stats = [json.loads(c.finish().splitlines()[-1])["schemaorg"] for c in crawlers]
    _stop(workers, client)

    fetched = Counter(path.partition("?")[0] for path in server.received)
    assert [path for path, n in fetched.items() if n > 1] == []
    assert set(fetched) == set(files)
    assert all(s.get("response_received_count", 0) > 0 for s in stats), "a crawler was idle"
    assert _records(db) == single
    assert client.xlen(Keys.dead) == 0


@pytest.mark.slow
def test_a_worker_and_a_crawler_killed_mid_run_three_times_lose_and_duplicate_nothing(
        site: tuple[Loopback, dict[str, bytes]], single: dict[str, dict[str, Any]],
        queue: tuple[str, redis.Redis], tmp_path: Path) -> None:
    server, _ = site
    url, client = queue
    db = tmp_path / "shared.db"
    watchlist = _watchlist(tmp_path / "watch.toml", server.url, "/index/1.html")
    # A lease ends 3 s after a killed crawler took it: the test need not wait 5 minutes.
    crawl = {"MENTIONWATCH_REDIS_URL": url, "MENTIONWATCH_REDIS_LEASE": 3}
    workers = [_worker(url, db, tmp_path / f"w{i}.log") for i in range(2)]
    crawlers = [_crawler(watchlist, db, tmp_path / f"c{i}.log", **crawl) for i in range(3)]
    for round_ in range(3):
        # Mid-run: mentions are queued and indexed, and pages are still to fetch.
        _wait(lambda n=round_: len(server.received) > (n + 1) * len(site[1]) // 5, 300,
              f"round {round_ + 1} got under way")
        assert all(c.popen.poll() is None for c in crawlers), "the crawl ended before the kill"
        crawlers[0].kill()
        workers[0].kill()
        crawlers[0] = _crawler(watchlist, db, tmp_path / f"c0-{round_}.log", **crawl)
        workers[0] = _worker(url, db, tmp_path / f"w0-{round_}.log")
    for crawler in crawlers:
        crawler.finish()
    _stop(workers, client)

    assert _records(db) == single
    assert client.xlen(Keys.dead) == 0


@pytest.mark.slow
def test_the_commands_crawl_with_a_queue_and_a_worker_scores_with_the_model(
        queue: tuple[str, redis.Redis], tmp_path: Path) -> None:
    """`crawl --queue` with the polite defaults (robots.txt, the shared per-domain delay),
    then one `worker` with the offline model, then `status`: the real commands."""
    url, client = queue
    files = generate_site(3).files
    cli = [sys.executable, "-m", "api.cli"]
    with _serve(files) as server:
        watchlist = _watchlist(tmp_path / "watch.toml", server.url, "/index/1.html")
        Process([*cli, "crawl", "--queue", url, "--watchlist", str(watchlist), "--db",
                 str(tmp_path / "crawl.db"), "--allow-loopback"], tmp_path / "crawl.log").finish()
    assert sorted(server.received) == ["/index/1.html", *sorted(
        p for p in files if p.startswith("/products/")), "/robots.txt"]
    Process([*cli, "worker", "--queue", url, "--db", str(tmp_path / "index.db"),
             "--exit-when-idle", "1"], tmp_path / "worker.log").finish()
    status = json.loads(subprocess.run([*cli, "status", "--queue", url], capture_output=True,
                                       text=True, check=True).stdout)
    with SqliteStore(tmp_path / "index.db") as store:
        mentions = list(store.export())
    assert len(mentions) == status["workers"][0]["indexed"] == generate_site(3).mentions
    assert all(m.sentiment and m.sentiment.model.startswith("e5-small") for m in mentions)
    assert status["mentions"] == {"length": 0, "pending": 0, "dead_lettered": 0}
    assert client.xlen(Keys.stream) == 0
