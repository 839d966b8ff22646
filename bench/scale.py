"""`mentionwatch bench crawl --workers N`: the scale-out pipeline (docs/SCALE_OUT.md) on one
machine: a crawler queues the mentions of `bench crawl`'s generated site in a local
redis-server, then N worker processes score, enrich and index them into one SQLite file.

    >>> run_scale_bench(pages=500, workers=2)   # doctest: +SKIP
    {"workers": 2, "mentions": 1998, "mentions_per_s": ..., "cpu_ms_per_mention": ...}

Each worker is pinned to one core (worker i to core i mod cores, and torch then runs one
thread in it), so N workers use N cores: on a 2-core machine 2 workers is the most that can
scale, and they share those cores with the crawler's site server and everything else.
`LocalRedis` is also what the tests start.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.crawl import BENCH_SETTINGS, BRAND, _SiteServer, generate_site
from crawlers.shared import GROUP, Keys

__all__ = ["REDIS_SERVER", "LocalRedis", "run_scale_bench"]

REDIS_SERVER = shutil.which("redis-server")
_CRAWL = """
import json, sys
from crawlers.run import run_crawl
from api.watchlist import load_watchlist
run_crawl(load_watchlist(sys.argv[1]), json.loads(sys.argv[2]))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalRedis:
    """Debian's redis-server on a free 127.0.0.1 port, saving nothing to disk; entering
    gives its URL once it answers."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory()
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        import redis

        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (as root, make install does it)")
        self._process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self._dir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError("redis-server did not start within 20 s") from None
                time.sleep(0.05)
        client.close()
        return self.url

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
        self._dir.cleanup()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a running process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _queue_site(url: str, root: str, start: str, tmp: Path) -> float:
    """Crawl the site into the queue (no worker running); returns the seconds it took."""
    import json

    watchlist = tmp / "bench.toml"
    watchlist.write_text(f'[[brands]]\nname = "{BRAND}"\nterms = ["{BRAND}", "艾克美"]\n\n'
                         f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{root}{start}"\n'
                         f'scope = "{root}/"\n', encoding="utf-8")
    settings = {**BENCH_SETTINGS, "MENTIONWATCH_REDIS_URL": url, "MENTIONWATCH_REDIS_DELAY": 0,
                "MENTIONWATCH_DB": str(tmp / "crawl.db")}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CRAWL, str(watchlist), json.dumps(settings)],
                   check=True, capture_output=True, timeout=1800)
    return time.perf_counter() - began


def _pinned(core: int) -> Any:
    return lambda: os.sched_setaffinity(0, {core})


def _work(url: str, db: Path, workers: int, sentiment: bool) -> dict[str, float]:
    """Start the workers on the queued mentions, held back until every worker has loaded
    its model; time them from then until the stream is drained, with their CPU meanwhile."""
    import redis

    client = redis.Redis.from_url(url)
    # The group starts past every queued mention: nothing to take until it is moved back.
    client.xgroup_create(Keys.stream, GROUP, id="$")
    cores = sorted(os.sched_getaffinity(0))
    processes = [subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker", "--queue", url, "--db", str(db),
         "--name", f"bench-{i}",
         *([] if sentiment else ["--no-sentiment"])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_pinned(cores[i % len(cores)])) for i in range(workers)]
    while len(client.keys(f"{Keys.worker_prefix}*")) < workers:  # each has its model
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a worker ended before it started working")
        time.sleep(0.05)
    cpu_before = sum(_cpu_seconds(process.pid) for process in processes)
    began = time.perf_counter()
    client.xgroup_setid(Keys.stream, GROUP, id="0")
    while client.xlen(Keys.stream) or client.xpending(Keys.stream, GROUP)["pending"]:
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    cpu = sum(_cpu_seconds(process.pid) for process in processes) - cpu_before
    for process in processes:
        process.send_signal(signal.SIGTERM)  # nothing left: each ends after its last read
    for process in processes:
        if process.wait(timeout=600):
            raise RuntimeError(f"a worker failed (exit {process.returncode})")
    client.close()
    return {"seconds": seconds, "cpu_seconds": cpu}


def run_scale_bench(pages: int, workers: int, *, sentiment: bool = True) -> dict[str, Any]:
    """Queue the generated site's mentions with one crawler, then index them with
    `workers` workers, once each has loaded its model: mentions/s and the workers' CPU ms
    per mention until the stream is drained."""
    from index.sqlite import SqliteStore

    if pages < 1 or workers < 1:
        raise ValueError(f"pages and workers must be >= 1, got {pages} and {workers}")
    site = generate_site(pages)
    with LocalRedis() as url, _SiteServer(site.files) as root, \
            tempfile.TemporaryDirectory() as tmp:
        crawl_seconds = _queue_site(url, root, site.start, Path(tmp))
        work = _work(url, Path(tmp) / "index.db", workers, sentiment)
        with SqliteStore(Path(tmp) / "index.db") as store:
            indexed = sum(1 for _ in store.export())
    return {
        "workers": workers,
        "sentiment": sentiment,
        "pages": site.product_pages + site.index_pages,
        "mentions": indexed,
        "expected_mentions": site.mentions,
        "crawl_queue_seconds": round(crawl_seconds, 2),
        "seconds": round(work["seconds"], 2),
        "mentions_per_s": round(indexed / work["seconds"], 1),
        "cpu_ms_per_mention": round(work["cpu_seconds"] * 1000 / max(indexed, 1), 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
