"""`mentionwatch serve --workers N` on Linux: each worker listens on a socket of its own in
one SO_REUSEPORT group, so the kernel spreads connections over the workers."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import IO

import httpx
import pytest

from api.serving import OWN_SOCKETS
from bench.api import ESTABLISHED, sockets_by_pid, wait_until_listening, wait_until_up
from tests.loopback import free_port

pytestmark = pytest.mark.skipif(not OWN_SOCKETS, reason="SO_REUSEPORT spreads on Linux")

_CONNECTIONS = 40


def _serve(db: Path, port: int, workers: int, stderr: IO[str] | int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--port", str(port),
         "--workers", str(workers)],
        stderr=stderr, text=True, start_new_session=True)  # a group: killed whole


@pytest.fixture()
def two_workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = _serve(tmp_path / "m.db", port, workers=2, stderr=log)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        wait_until_listening(process.pid, port, workers=2)
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _children(pid: int) -> list[int]:
    return [int(child) for child in
            Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _running(pid: int) -> bool:
    try:
        return "(zombie)" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def _wait_until_ended(pids: list[int], timeout: float = 10) -> None:
    # multiprocessing's resource tracker, a child too, ends a moment after its parent.
    deadline = time.monotonic() + timeout
    while running := [pid for pid in pids if _running(pid)]:
        assert time.monotonic() < deadline, f"still running: {running}"
        time.sleep(0.1)


def test_two_workers_each_answer_a_share_of_many_keep_alive_connections(
    two_workers: tuple[subprocess.Popen[str], int]
) -> None:
    # uvicorn's one shared socket gave one worker 38 to 40 of them: the other core idled.
    process, port = two_workers
    with ExitStack() as stack:
        for _ in range(_CONNECTIONS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            stack.callback(connection.close)
            connection.request("GET", "/health")
            response = connection.getresponse()
            assert response.status == 200
            response.read()  # the connection stays open for the next request
        held = sockets_by_pid(_children(process.pid), port, ESTABLISHED)
    assert sum(held.values()) == _CONNECTIONS
    assert len(held) == 2, held
    # Spread by a hash of each connection's addresses: 8 or fewer of 40 is a 1-in-10,000 draw.
    assert min(held.values()) > 8, held


def test_sigterm_stops_every_worker(two_workers: tuple[subprocess.Popen[str], int]) -> None:
    process, port = two_workers
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    _wait_until_ended(workers)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)


def test_workers_stop_when_the_server_is_killed(
        tmp_path: Path, two_workers: tuple[subprocess.Popen[str], int]) -> None:
    # kill -9 of `serve` left its workers answering on the port: a new `serve` was refused.
    process, port = two_workers
    workers = _children(process.pid)
    process.kill()
    process.wait(timeout=10)
    try:
        _wait_until_ended(workers)
    finally:
        with suppress(ProcessLookupError):  # what is left of the group, whatever happened
            os.killpg(process.pid, signal.SIGKILL)
    with socket.socket() as free:  # the port is free again
        free.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        free.bind(("127.0.0.1", port))


def _refused(tmp_path: Path, port: int, workers: int = 2) -> None:
    process = _serve(tmp_path / "second.db", port, workers=workers, stderr=subprocess.PIPE)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its workers too: they hold the pipe open
        process.communicate()
        pytest.fail("the second server started")
    assert process.returncode == 1
    assert stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_port_already_taken_is_a_clear_error_at_once(tmp_path: Path, workers: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        _refused(tmp_path, taken.getsockname()[1], workers)


def test_a_second_server_on_the_port_is_refused_not_let_into_the_group(
    tmp_path: Path, two_workers: tuple[subprocess.Popen[str], int]
) -> None:
    _, port = two_workers
    _refused(tmp_path, port)
