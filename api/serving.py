"""How `mentionwatch serve` runs uvicorn: one process, or several answering on one port.

uvicorn's own workers share one listening socket, so a connection goes to whichever worker
accepts first: 20 keep-alive clients ended up 20/0 or 19/1 over two workers, leaving a core
idle (docs/BENCHMARKS.md). On Linux each worker here listens on a socket of its own, all
bound to the address with SO_REUSEPORT, and the kernel spreads new connections over them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.settings import Settings

__all__ = ["OWN_SOCKETS", "ServeError", "WorkerSocket", "listening_socket", "run"]

#: Whether each of several workers listens on a socket of its own: elsewhere than Linux,
#: SO_REUSEPORT binds but does not spread connections, and uvicorn's shared socket is used.
OWN_SOCKETS = sys.platform == "linux"
_APP = "api.app:create_app"
_BACKLOG = 2048  # uvicorn's default
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ServeError(Exception):
    """The server cannot start: the message says why."""


def listening_socket(host: str, port: int, *, listen: bool = True,
                     share: bool = True) -> socket.socket:
    """A TCP socket bound to (host, port). With `share`, SO_REUSEPORT: one of a group that
    shares the port; without, it binds only where no one else is bound. Unless `listen`, it
    only holds the port: the kernel gives connections to listening sockets alone."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAITs pass
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _claim(host: str, port: int) -> int:
    """`port`, checked free (port 0: a free one). A socket without SO_REUSEPORT cannot bind
    where another listens, so a second `serve` on the port is refused, not let into the
    group."""
    with listening_socket(host, port, listen=False, share=False) as probe:
        return int(probe.getsockname()[1])


@contextmanager
def _listen_error(settings: Settings) -> Iterator[None]:
    # A taken port is one line (uvicorn's own message differs between one and more workers).
    try:
        yield
    except OSError as exc:
        raise ServeError(f"cannot listen on {settings.host}:{settings.port}: "
                         f"{exc.strerror or exc}") from None


class WorkerSocket:
    """Stands for a worker's listening socket in the list uvicorn hands each worker it
    starts (or starts again): unpickled in the worker, it is a new `listening_socket`, and
    the worker is set to stop with the server (`_worker_socket`)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self) -> tuple[object, tuple[str, int, int]]:
        return _worker_socket, (self.host, self.port, os.getpid())


def _worker_socket(host: str, port: int, server: int) -> socket.socket:
    """In a worker: its socket, and a SIGTERM when the server process ends. A `kill -9` of
    `serve` otherwise leaves its workers answering on the port, and a new `serve` is refused
    it. (uvicorn's workers ask the server nothing once started; Linux's parent-death signal
    does it.)"""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != server:  # it ended before the prctl
        os.kill(os.getpid(), signal.SIGTERM)
    return listening_socket(host, port)


def run(settings: Settings) -> None:
    """Serve the API at settings.host:settings.port with settings.workers processes until
    interrupted."""
    from api.app import create_app

    if settings.workers == 1:
        with _listen_error(settings):
            sock = listening_socket(settings.host, settings.port, share=False)
        with sock:
            uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning")).run(
                sockets=[sock])
        return
    # Each worker builds its app from the environment: put the options there.
    for name, value in settings.model_dump(exclude_none=True).items():
        os.environ[f"MENTIONWATCH_{name.upper()}"] = str(value)
    if not OWN_SOCKETS:
        uvicorn.run(_APP, factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, log_level="warning")
        return
    # A taken port fails here, at once; the held socket keeps the port the workers' group
    # for as long as they run (a restarted worker joins it again).
    with _listen_error(settings):
        port = _claim(settings.host, settings.port)
        held = listening_socket(settings.host, port, listen=False)
    with held:
        config = uvicorn.Config(_APP, factory=True, host=settings.host, port=port,
                                workers=settings.workers, log_level="warning")
        worker_socket = WorkerSocket(settings.host, port)
        Multiprocess(config, sockets=[worker_socket]).run()  # type: ignore[list-item]
