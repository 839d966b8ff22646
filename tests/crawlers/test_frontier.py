"""The parts of the shared frontier that hold across crawler processes, each against a real
redis-server: the per-domain delay and the incremental state (seen ids, high-water marks).
The frontier itself is crawled for real in test_scale_out.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any, ClassVar

import pytest
import redis
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from bench.scale import REDIS_SERVER, LocalRedis
from crawlers import settings as defaults
from crawlers.frontier import RedisCrawlState, RedisScheduler, SharedDelayMiddleware, job_of
from crawlers.shared import Keys
from tests.crawlers.test_pipelines import mention

pytestmark = pytest.mark.skipif(REDIS_SERVER is None,
                                reason="redis-server is not installed (make install does it)")

DELAY = 0.2


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with LocalRedis() as url:
        yield url


async def _started(middlewares: list[SharedDelayMiddleware], urls: list[str]
                   ) -> list[tuple[str, float]]:
    """When each request was let through, the middlewares taking turns as two crawler
    processes would."""
    async def one(middleware: SharedDelayMiddleware, url: str) -> tuple[str, float]:
        await middleware.process_request(Request(url))
        return url, time.monotonic()
    return await asyncio.gather(*(one(middlewares[i % len(middlewares)], u)
                                  for i, u in enumerate(urls)))


def test_requests_to_one_domain_start_the_delay_apart_across_processes(url: str) -> None:
    processes = [SharedDelayMiddleware(redis.Redis.from_url(url), DELAY) for _ in range(2)]
    urls = [f"https://shop.example/{n}" for n in range(6)] + ["https://other.example/"]
    started = asyncio.run(_started(processes, urls))
    shop = sorted(t for u, t in started if "shop" in u)
    gaps = [later - earlier for earlier, later in pairwise(shop)]
    assert min(gaps) >= DELAY * 0.9, gaps  # Redis's clock and ours differ by rounding only
    # Another domain does not queue behind this one.
    assert next(t for u, t in started if "other" in u) < shop[1]


def test_the_incremental_state_is_shared_and_the_mark_only_moves_forward(url: str) -> None:
    client = redis.Redis.from_url(url)
    client.flushdb()
    first, second = RedisCrawlState(url), RedisCrawlState(url)
    older = mention(1, "x").with_(published_at=datetime(2026, 10, 1, tzinfo=UTC))
    newer = mention(2, "x").with_(published_at=datetime(2026, 11, 1, tzinfo=UTC))
    first.note("Acme: feed", [newer])
    first.commit()
    second.note("Acme: feed", [older])
    second.commit()
    assert first.high_water("Acme: feed") == datetime(2026, 11, 1, tzinfo=UTC)
    assert second.seen_ids("Acme: feed", [older.id, newer.id, "unknown"]) == {older.id,
                                                                             newer.id}
    assert second.all_seen("Acme: feed", [older, newer])
    assert first.high_water("Other: feed") is None
    for state in (first, second):
        state.close()
    client.close()


class Shop(Spider):
    name = "shop"
    asked: ClassVar[list[str]] = ["https://shop.example/"]


def _scheduler(url: str, **settings: Any) -> RedisScheduler:
    """The scheduler one crawler process opens on the shared frontier."""
    ours = {k: v for k, v in vars(defaults).items() if k.startswith("MENTIONWATCH_REDIS")}
    crawler = get_crawler(Shop, {**ours, "MENTIONWATCH_REDIS_URL": url, **settings})
    scheduler = RedisScheduler.from_crawler(crawler)
    scheduler.open(Shop())
    return scheduler


def test_a_request_a_dead_crawler_took_goes_to_another_once_its_lease_ends(url: str) -> None:
    redis.Redis.from_url(url).flushdb()
    first, second = (_scheduler(url, MENTIONWATCH_REDIS_LEASE=0.3) for _ in range(2))
    assert first.enqueue_request(Request("https://shop.example/1"))
    assert not second.enqueue_request(Request("https://shop.example/1"))  # seen already
    taken = first.next_request()  # and the first crawler is killed
    assert taken is not None
    assert second.next_request() is None
    assert second.has_pending_requests()  # leased: the second must not end its crawl
    time.sleep(0.4)
    again = second.next_request()
    assert again is not None and again.url == taken.url


def test_a_request_whose_lease_keeps_running_out_is_counted_failed_and_ends_the_crawl(
        url: str) -> None:
    client = redis.Redis.from_url(url)
    client.flushdb()
    scheduler = _scheduler(url, MENTIONWATCH_REDIS_LEASE=0.05, MENTIONWATCH_REDIS_MAX_ATTEMPTS=2)
    scheduler.enqueue_request(Request("https://shop.example/1"))
    for _ in range(2):
        assert scheduler.next_request() is not None
        time.sleep(0.1)
    assert scheduler.next_request() is None
    assert not scheduler.has_pending_requests()
    assert client.scard(Keys.frontier(job_of(Shop()), "failed")) == 1


def _everything_in(client: redis.Redis) -> bytes:
    """Every value Redis holds, as bytes."""
    read = {b"string": lambda k: [client.get(k)], b"list": lambda k: client.lrange(k, 0, -1),
            b"hash": lambda k: [*client.hkeys(k), *client.hvals(k)],
            b"set": client.smembers, b"zset": lambda k: client.zrange(k, 0, -1)}
    return b"\n".join(value for key in client.scan_iter()
                      for value in read[client.type(key)](key))


def test_a_credential_on_a_queued_request_never_rests_in_redis(url: str) -> None:
    # A retry is a copy of the request as it left, with the key a middleware put on it.
    client = redis.Redis.from_url(url)
    client.flushdb()
    scheduler = _scheduler(url)
    scheduler.enqueue_request(Request("https://api.example/v1/chat/completions",
                                      headers={"Authorization": "Bearer sk-Zq8SECRET",
                                               "Accept": "application/json"},
                                      dont_filter=True))
    held = _everything_in(client)
    assert b"api.example" in held and b"sk-Zq8SECRET" not in held
    taken = scheduler.next_request()
    assert taken is not None and taken.headers.get("Accept") == b"application/json"
    assert "Authorization" not in taken.headers  # the middleware adds it again as it leaves
