"""`mentionwatch bench api`: a real `mentionwatch serve` over a synthetic index, loaded by
concurrent clients with a mix of what analysts ask for, measured from outside.

    >>> result = run_bench(docs=2000, clients=4, seconds=5)   # doctest: +SKIP
    >>> sorted(result)
    ['client_cpu_ms_per_request', 'clients', 'docs', 'errors', 'index', 'latency_ms',
     'machine', 'requests', 'requests_per_second', 'routes', 'seconds', 'server', 'workload']

The index is `bench/index.py`'s corpus (20 brands, 90 days, multilingual). Each client sends
one request at a time, as soon as the previous one is answered, for `seconds`; each request
is drawn (with a fixed seed per client) from:

- search (40%): a product word (1 in 8 a Chinese one) with a brand filter and a 30-day
  window, 1 in 5 newest first, top 20;
- histogram (20%): one brand's mentions (half the time only negative ones) over 30 days,
  hourly or daily;
- share of voice (20%): every brand's share over a 30-day window, half the time of a word;
- export (20%): one brand's mentions of one day as CSV (about 55 rows: a first page).

`only` keeps some routes of the mix (their server CPU per request is then theirs alone),
or names `empty_search`, outside the mix: searches of an empty window (a brand filter, a
one-second window after the corpus ends, top 20), the whole path of the commonest route
(HTTP, the key check, parameters, the query, the response) with no index work to speak of,
so its server CPU per request is what any answer costs before the index is read.

A request counts from sending it to reading its whole body. Errors are counted by status
(or by exception name when no answer came); the server's memory is read from /proc.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpcore
import httpx

from api.keys import KeyStore
from api.serving import OWN_SOCKETS
from bench.index import BRANDS, DAYS, END, KEYWORDS, generate
from index.sqlite import SqliteStore
from index.stores import ELASTICSEARCH_URL

__all__ = [
    "ESTABLISHED", "LISTENING", "run_bench", "sockets_by_pid", "wait_until_listening",
    "wait_until_up",
]

_ROOT = Path(__file__).resolve().parents[1]
_CHINESE_KEYWORDS = ("电池", "屏幕", "客服", "快递")
_WEIGHTS = {"search": 40, "histogram": 20, "share_of_voice": 20, "export": 20}
ROUTES = (*_WEIGHTS, "empty_search")
_START_TIMEOUT = 60.0  # seconds for the server to answer /health
_REQUEST_TIMEOUT = 60.0
_WARM_UP_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class _Request:
    route: str
    path: str
    params: dict[str, str]


def _window(rng: random.Random, days: float) -> dict[str, str]:
    until = END - timedelta(days=rng.random() * (DAYS - days))
    return {"since": (until - timedelta(days=days)).isoformat(), "until": until.isoformat()}


def _draw(rng: random.Random, weights: dict[str, int]) -> _Request:
    """One request of the mix `weights`."""
    route = rng.choices(list(weights), weights=list(weights.values()))[0]
    brand = rng.choice(BRANDS)
    if route == "empty_search":
        after = END + timedelta(days=1)
        return _Request(route, "/mentions", {
            "brand": brand, "size": "20", "since": after.isoformat(),
            "until": (after + timedelta(seconds=1)).isoformat()})
    if route == "search":
        word = rng.choice(_CHINESE_KEYWORDS if rng.random() < 1 / 8 else KEYWORDS)
        sort = "newest" if rng.random() < 0.2 else "relevance"
        return _Request(route, "/mentions", {"q": word, "brand": brand, "sort": sort,
                                             "size": "20", **_window(rng, 30)})
    if route == "histogram":
        return _Request(route, "/analytics/histogram", {
            "brand": brand, "q": rng.choice(("", "sentiment:negative")),
            "interval": rng.choice(("hour", "day")), **_window(rng, 30)})
    if route == "share_of_voice":
        return _Request(route, "/analytics/share-of-voice",
                        {"q": rng.choice(("", *KEYWORDS)), **_window(rng, 30)})
    return _Request(route, "/mentions/export", {"brand": brand, "format": "csv",
                                                **_window(rng, 1)})


# --- the index and the server --------------------------------------------------------------


def _build(db: Path, docs: int, seed: int) -> dict[str, Any]:
    """Make the index at `db`, or reuse the one there when it holds `docs` mentions."""
    if db.exists():
        with SqliteStore(db) as store:
            held = store.count()
        if held != docs:
            raise ValueError(f"{db} holds {held} mentions, not {docs}: pass --docs {held} "
                             "or another --db")
        return {"built": False}
    start = time.perf_counter()
    with SqliteStore(db) as store:
        for mentions in generate(docs, seed=seed):
            store.upsert(mentions)
    return {"built": True, "seconds": round(time.perf_counter() - start, 1)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(db: Path, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """`mentionwatch serve` on a free loopback port: (url, pid), once /health answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != ELASTICSEARCH_URL}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_ROOT), env.get("PYTHONPATH"))))
    command = [sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
               "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as errors:
        process = subprocess.Popen(command, env=env, stdout=errors, stderr=errors)
    try:
        wait_until_up(url, process, log)
        if workers > 1 and OWN_SOCKETS:
            wait_until_listening(process.pid, port, workers)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen[Any], log: Path | None = None) -> None:
    """Wait until the server `process` answers `url`/health; RuntimeError, with the last
    lines of its `log`, when it exits or takes longer than a minute."""
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        try:
            httpx.get(f"{url}/health", timeout=1).raise_for_status()
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(errors="replace").strip().splitlines()[-5:] if log else []
                raise RuntimeError("the server did not start; it said:\n"
                                   + "\n".join(said)) from None
            time.sleep(0.2)


def wait_until_listening(pid: int, port: int, workers: int) -> None:
    """Wait until `workers` processes under `pid` listen on `port` (Linux). The first worker
    up answers /health: connections made before the others listen would all be its own."""
    deadline = time.monotonic() + _START_TIMEOUT
    while len(sockets_by_pid(_tree(pid), port, LISTENING)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not all {workers} workers listen on port {port}")
        time.sleep(0.2)


LISTENING, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp writes them


def sockets_by_pid(pids: list[int], port: int, state: str) -> Counter[int]:
    """How many IPv4 TCP sockets on local `port` in `state` each of `pids` holds."""
    owner: dict[str, int] = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:  # ended, or a descriptor closed, meanwhile: read again next time
            continue
        owner |= {link[len("socket:["):-1]: pid for link in links if link.startswith("socket:[")}
    held: Counter[int] = Counter()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, found, inode = fields[1], fields[3], fields[9]
        if found == state and int(local.rsplit(":", 1)[1], 16) == port and inode in owner:
            held[owner[inode]] += 1
    return held


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's workers are child processes)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        parents[int(fields[1])].append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += parents.get(current, [])
    return found


def _memory(pid: int) -> dict[str, float]:
    """Resident and peak resident memory (MiB) of the server, its workers added up."""
    total = {"VmRSS": 0, "VmHWM": 0}
    for one in _tree(pid):
        try:
            lines = Path(f"/proc/{one}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            name, _, value = line.partition(":")
            if name in total:
                total[name] += int(value.split()[0])  # kB
    return {"rss_mib": round(total["VmRSS"] / 1024, 1),
            "peak_rss_mib": round(total["VmHWM"] / 1024, 1)}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server and its workers so far."""
    ticks = 0
    for one in _tree(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the load ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    latencies: dict[str, list[float]]
    errors: Counter[str]


# What failed to get an answer at all (counted by name, as errors).
_NO_ANSWER = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException)


async def _send(pool: httpcore.AsyncConnectionPool, base: str, headers: list[tuple[str, str]],
                request: _Request, tally: _Tally) -> None:
    start = time.perf_counter()
    try:
        response = await pool.request(
            "GET", f"{base}{request.path}?{urlencode(request.params)}", headers=headers,
            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"),
                                                 _REQUEST_TIMEOUT)})
    except _NO_ANSWER as exc:
        tally.errors[type(exc).__name__] += 1
        return
    tally.latencies[request.route].append((time.perf_counter() - start) * 1000)
    if response.status >= 400:
        tally.errors[str(response.status)] += 1


async def _client(pool: httpcore.AsyncConnectionPool, base: str,
                  headers: list[tuple[str, str]], rng: random.Random, weights: dict[str, int],
                  until: float, tally: _Tally) -> None:
    while time.monotonic() < until:
        await _send(pool, base, headers, _draw(rng, weights), tally)


async def _load(url: str, key: str, clients: int, seconds: float, seed: int,
                weights: dict[str, int]) -> _Tally:
    # httpcore, httpx's own transport, without httpx's client: its URL, header and cookie
    # models cost 1.3 ms of CPU a request, on the cores the server is measured on; this 0.9.
    tally = _Tally(defaultdict(list), Counter())
    headers = [("Host", url.removeprefix("http://")), ("X-API-Key", key)]
    async with httpcore.AsyncConnectionPool(max_connections=clients,
                                            max_keepalive_connections=clients) as pool:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client(pool, url, headers, random.Random(seed * 1000 + n),
                                       weights, until, tally) for n in range(clients)))
    return tally


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # not on Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run(load: Coroutine[Any, Any, _Tally]) -> _Tally:
    # The clients on the server's event loop, uvloop: less CPU taken from the measured cores.
    with asyncio.Runner(loop_factory=_event_loop) as runner:
        return runner.run(load)


def _warm_up(url: str, key: str, clients: int, seed: int, weights: dict[str, int]) -> None:
    """The load for a moment on as many connections, so that every worker has answered each
    route before the figures start (first-call costs, and the memory at start)."""
    tally = _run(_load(url, key, clients, _WARM_UP_SECONDS, seed - 1, weights))
    if tally.errors:
        raise RuntimeError(f"the server failed while warming up: {dict(tally.errors)}")


def _percentiles(laps: list[float]) -> dict[str, float]:
    ordered = sorted(laps)

    def rank(share: float) -> float:
        return round(ordered[max(0, round(share * len(ordered)) - 1)], 1) if ordered else 0.0

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99),
            "max": round(ordered[-1], 1) if ordered else 0.0}


def _machine() -> dict[str, Any]:
    return {"nproc": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform()}


def run_bench(*, docs: int = 100_000, clients: int = 20, seconds: float = 30.0,
              workers: int = 1, seed: int = 0, db: Path | None = None,
              only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Build (or reuse) the index, serve it, load it, and say what was measured. Without
    `db` the index is made in a temporary directory and removed afterwards."""
    if docs < 1 or clients < 1 or seconds <= 0 or workers < 1:
        raise ValueError("docs, clients and workers must be >= 1 and seconds > 0, got "
                         f"{docs}, {clients}, {workers} and {seconds}")
    unknown = sorted(set(only) - set(ROUTES))
    if unknown:
        raise ValueError(f"no route {', '.join(unknown)}: the routes are {', '.join(ROUTES)}")
    weights = {route: _WEIGHTS.get(route, 1) for route in only} if only else _WEIGHTS
    with tempfile.TemporaryDirectory() as tmp:
        path = db or Path(tmp) / "bench.db"
        index = _build(path, docs, seed)
        keys = KeyStore(path)
        key = keys.create("analyst", "mentionwatch bench api")
        keys.close()
        with _server(path, workers, Path(tmp) / "server.log") as (url, pid):
            _warm_up(url, key, clients, seed, weights)
            machine_before, memory_before = _machine(), _memory(pid)
            cpu_before = _cpu_seconds(pid)
            start, start_cpu = time.perf_counter(), time.process_time()
            tally = _run(_load(url, key, clients, seconds, seed, weights))
            elapsed, client_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            server_cpu = _cpu_seconds(pid) - cpu_before
            memory_after, machine_after = _memory(pid), _machine()
    laps = [lap for route in tally.latencies.values() for lap in route]
    answered = len(laps)
    return {
        "docs": docs,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": answered + sum(v for k, v in tally.errors.items() if not k.isdigit()),
        "requests_per_second": round(answered / elapsed, 1),
        "latency_ms": _percentiles(laps),
        "routes": {route: {"requests": len(tally.latencies[route]),
                           **_percentiles(tally.latencies[route])} for route in weights},
        "errors": dict(tally.errors),
        "server": {"workers": workers, "start": memory_before, "end": memory_after,
                   "rss_growth_mib": round(memory_after["rss_mib"] - memory_before["rss_mib"],
                                           1),
                   "cpu_ms_per_request": round(server_cpu * 1000 / max(answered, 1), 2)},
        # The clients share the cores with the server: what they cost says what is left.
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(answered, 1), 2),
        "machine": {**machine_after, "load_average_before": machine_before["load_average"]},
        "index": {**index, "file": str(db) if db else None},
        "workload": {"weights": weights, "seed": seed},
    }
