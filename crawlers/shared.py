"""Where crawlers and workers on several machines meet: one Redis server (docs/SCALE_OUT.md).

`connect(url)` opens it; `Keys` names everything kept there, under one prefix:

- the crawl frontier of each job (spider and sources): `queue` (fingerprints, in order),
  `requests` (fingerprint -> the request), `seen` (every fingerprint ever queued),
  `leases` (fingerprint -> when its lease ends), `attempts`, `failed` and `finished`;
- `delay:<domain>`: the earliest time (Redis's clock) the next request to it may start;
- `state:<source>:seen` and `state:<source>:mark`: the incremental state of a watched source;
- the `mentions` stream crawlers add raw mentions to, read by the `workers` consumer group,
  `dead` (mentions that failed `MENTIONWATCH_WORKER_MAX_DELIVERIES` times, with the error)
  and `worker:<name>` (each worker's counters, expiring when it stops reporting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

__all__ = ["GROUP", "Keys", "QueueUnavailable", "connect"]

PREFIX = "mentionwatch"
#: The consumer group every `mentionwatch worker` reads the mention stream in.
GROUP = "workers"


class QueueUnavailable(RuntimeError):
    """Raised by `connect` when redis-py is not installed or the server does not answer."""


class Keys:
    """Redis key names, all under `mentionwatch:`."""

    stream = f"{PREFIX}:mentions"
    dead = f"{PREFIX}:dead"
    worker_prefix = f"{PREFIX}:worker:"
    jobs = f"{PREFIX}:jobs"  # every frontier job ever started, for `status`

    @staticmethod
    def frontier(job: str, part: str) -> str:
        return f"{PREFIX}:frontier:{job}:{part}"

    @staticmethod
    def delay(domain: str) -> str:
        return f"{PREFIX}:delay:{domain}"

    @staticmethod
    def state(source: str, part: str) -> str:
        return f"{PREFIX}:state:{source}:{part}"

    @classmethod
    def worker(cls, name: str) -> str:
        return f"{cls.worker_prefix}{name}"


def connect(url: str) -> redis.Redis:
    """A client of the Redis server at `url` (redis://host:port/db), checked with a PING."""
    try:
        import redis
    except ImportError as exc:
        raise QueueUnavailable("a Redis queue needs redis-py: pip install 'mentionwatch[scale]'"
                               ) from exc
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        client.ping()
    except ValueError as exc:
        raise QueueUnavailable(f"not a Redis URL: {url!r} ({exc})") from exc
    except redis.RedisError as exc:
        raise QueueUnavailable(f"Redis at {url} does not answer: {exc}") from exc
    return client
