"""`mentionwatch status`: what the shared Redis holds, for whoever runs the cluster."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from crawlers.shared import GROUP, Keys

if TYPE_CHECKING:
    import redis

__all__ = ["queue_status"]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _frontiers(client: redis.Redis) -> dict[str, dict[str, int]]:
    jobs = sorted(_text(job) for job in client.smembers(Keys.jobs))
    with client.pipeline(transaction=False) as pipe:
        for job in jobs:
            pipe.llen(Keys.frontier(job, "queue"))
            pipe.zcard(Keys.frontier(job, "leases"))
            pipe.scard(Keys.frontier(job, "seen"))
            pipe.scard(Keys.frontier(job, "failed"))
            pipe.exists(Keys.frontier(job, "finished"))
        counts = pipe.execute()
    return {job: {"queued": counts[5 * i], "in_flight": counts[5 * i + 1],
                  "seen": counts[5 * i + 2], "failed": counts[5 * i + 3],
                  "finished": bool(counts[5 * i + 4])}
            for i, job in enumerate(jobs)}


def _workers(client: redis.Redis, now: float) -> list[dict[str, Any]]:
    workers = []
    for key in sorted(client.scan_iter(match=f"{Keys.worker_prefix}*")):
        report = {_text(k): float(v) for k, v in client.hgetall(key).items()}
        if not report:  # expired meanwhile
            continue
        running = max(report["seen"] - report["started"], 1e-9)
        workers.append({"name": _text(key)[len(Keys.worker_prefix):],
                        "indexed": int(report["indexed"]), "dead_lettered": int(report["dead"]),
                        "mentions_per_s": round(report["indexed"] / running, 1),
                        "last_report_s_ago": round(now - report["seen"], 1)})
    return workers


def _stream(client: redis.Redis) -> dict[str, int]:
    groups = {_text(g["name"]): g for g in client.xinfo_groups(Keys.stream)} \
        if client.exists(Keys.stream) else {}
    group = groups.get(GROUP)
    return {"length": int(client.xlen(Keys.stream)),
            "pending": int(group["pending"]) if group else 0,
            "dead_lettered": int(client.xlen(Keys.dead))}


def queue_status(client: redis.Redis) -> dict[str, Any]:
    """Each crawl frontier (queued, in flight, seen, failed), the mention stream (waiting,
    taken but not acknowledged, dead-lettered) and the workers alive with their rates."""
    return {"frontiers": _frontiers(client), "mentions": _stream(client),
            "workers": _workers(client, time.time())}
