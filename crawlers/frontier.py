"""A crawl frontier in Redis that any number of `mentionwatch crawl` processes share.

Why not scrapy-redis (0.9.1, 2024-07, the maintained integration): its scheduler pops a
request off the Redis list and forgets it, so a crawler killed with -9 loses every request it
had popped (they are in the seen set: nobody asks for them again); it ends a crawl when the
list is empty although other processes are still parsing pages that add to it; a process
that closes clears the queue and the seen set for the others unless SCHEDULER_PERSIST; its
dupefilter hashes requests its own way instead of Scrapy's request fingerprinter; and it
still calls `StatsCollector.inc_value(..., spider=)`, which Scrapy 2.13+ deprecates (an error
under our `filterwarnings = error`). This module is Scrapy's own scheduler interface
(`BaseScheduler`) over redis-py instead:

- `RedisScheduler`: a request is queued once per crawl (the seen set and the queue change
  in one Lua script, keyed by Scrapy's request fingerprint). Taking one leases it for
  MENTIONWATCH_REDIS_LEASE seconds; the lease ends when its page is done (`LeaseMiddleware`:
  its mentions passed every pipeline and the requests it led to are queued) or failed for
  good (`LeaseReleaseMiddleware`). An expired lease (a crawler that died) puts the request
  back; after MENTIONWATCH_REDIS_MAX_ATTEMPTS expiries it is counted as failed. A process
  ends when the queue is empty and no lease is held by anyone; the next process that starts
  the same job after that starts a new crawl.
- `SharedDelayMiddleware`: requests to one domain start at least MENTIONWATCH_REDIS_DELAY
  seconds apart, whichever process sends them (a per-domain key holds the next allowed
  time, on Redis's clock). robots.txt is read by each process.
- `RedisCrawlState`: the per-source seen ids and high-water marks (`crawlers.state`).

Requests are pickled, as Scrapy's own disk queues do: the Redis server must be reachable
only by mentionwatch's processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from crawlers import settings as defaults
from crawlers.shared import Keys, connect
from crawlers.state import SeenSoFar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    import redis
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

    from index.record import Mention

__all__ = ["LeaseMiddleware", "LeaseReleaseMiddleware", "RedisCrawlState", "RedisScheduler",
           "SharedDelayMiddleware", "shared_settings"]

#: Where a request carries the fingerprints of its leases (more than one after a redirect).
LEASES = "mentionwatch_leases"

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

# KEYS seen, requests, queue; ARGV fingerprint, request, filter (1|0)
_ENQUEUE = """
if ARGV[3] == '1' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
"""

# KEYS queue, leases, requests, attempts, failed; ARGV lease seconds, max attempts.
# Expired leases first go back to the head of the queue (or to failed), then one is taken.
_TAKE = _NOW + """
for _, fp in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], fp)
  if redis.call('HINCRBY', KEYS[4], fp, 1) >= tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[3], fp)
    redis.call('SADD', KEYS[5], fp)
  else
    redis.call('LPUSH', KEYS[1], fp)
  end
end
local fp = redis.call('LPOP', KEYS[1])
if not fp then return nil end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), fp)
return {fp, redis.call('HGET', KEYS[3], fp)}
"""

# KEYS leases, requests; ARGV fingerprints
_RELEASE = """
for _, fp in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], fp)
  redis.call('HDEL', KEYS[2], fp)
end
"""

# KEYS the domain's key; ARGV delay seconds. Reserves the domain's next start time and
# returns how long to wait for it (a string: Lua numbers become integers on the way out).
_RESERVE = _NOW + """
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local free = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(free), 'PX', math.ceil((free - now) * 1000) + 1000)
return tostring(start - now)
"""

# KEYS mark; ARGV epoch seconds: keep the larger
_MARK = """
local old = tonumber(redis.call('GET', KEYS[1]) or '-1e18')
if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1]) end
"""

_PARTS = ("queue", "requests", "seen", "leases", "attempts", "failed", "finished")


def shared_settings(url: str) -> dict[str, Any]:
    """The Scrapy settings that move a crawl's frontier and its mentions to Redis at `url`:
    crawlers then queue raw mentions for `mentionwatch worker` instead of scoring and
    indexing them, and need no model."""
    return {
        "MENTIONWATCH_REDIS_URL": url,
        "SCHEDULER": "crawlers.frontier.RedisScheduler",
        "MENTIONWATCH_RESUME": False,  # the Redis frontier outlives any crawler
        "ITEM_PIPELINES": {"crawlers.pipelines.DedupePipeline": 100,
                           "crawlers.stream.StreamPipeline": 800},
        "SPIDER_MIDDLEWARES": {**defaults.SPIDER_MIDDLEWARES,
                               "crawlers.frontier.LeaseMiddleware": 5},
        "DOWNLOADER_MIDDLEWARES": {**defaults.DOWNLOADER_MIDDLEWARES,
                                   "crawlers.frontier.LeaseReleaseMiddleware": 10,
                                   "crawlers.frontier.SharedDelayMiddleware": 60},
    }


def _client(crawler: Crawler) -> redis.Redis:
    url = crawler.settings.get("MENTIONWATCH_REDIS_URL")
    if not url:
        raise NotConfigured("MENTIONWATCH_REDIS_URL is not set")
    return connect(url)


def job_of(spider: Spider) -> str:
    """The frontier a spider shares: its name and what it was asked to crawl."""
    asked = json.dumps(sorted(map(str, getattr(spider, "asked", []))))
    return f"{spider.name}-{hashlib.sha1(asked.encode()).hexdigest()[:16]}"


class RedisScheduler(BaseScheduler):
    """Scrapy's scheduler interface over the shared frontier (see the module's text).
    Requests come back in the order they were queued (breadth first); priorities are not
    kept."""

    def __init__(self, crawler: Crawler, client: redis.Redis) -> None:
        self.crawler = crawler
        self.client = client
        settings = crawler.settings
        self.lease = settings.getfloat("MENTIONWATCH_REDIS_LEASE")
        self.max_attempts = settings.getint("MENTIONWATCH_REDIS_MAX_ATTEMPTS")
        self._enqueue = client.register_script(_ENQUEUE)
        self._take = client.register_script(_TAKE)
        self._keys: dict[str, str] = {}
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        return cls(crawler, _client(crawler))

    def open(self, spider: Spider) -> None:
        self.spider = spider
        job = job_of(spider)
        self._keys = {part: Keys.frontier(job, part) for part in _PARTS}
        # The crawl of this job ended: this process starts the next one.
        if self.client.exists(self._keys["finished"]):
            self.client.delete(*self._keys.values())
        self.client.sadd(Keys.jobs, job)

    def close(self, reason: str) -> None:
        if reason == "finished" and not self.has_pending_requests():
            self.client.set(self._keys["finished"], 1)

    def __len__(self) -> int:
        return int(self.client.llen(self._keys["queue"]))

    def has_pending_requests(self) -> bool:
        """Whether any process has work left: queued requests or pages under lease (their
        pages may add more)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.llen(self._keys["queue"])
            pipe.zcard(self._keys["leases"])
            queued, leased = pipe.execute()
        return bool(queued or leased)

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request).hex()
        if request.dont_filter:  # asked for again on purpose: its own entry
            fingerprint = f"{fingerprint}-{uuid.uuid4().hex}"
        queued = request.to_dict(spider=self.spider)
        # A credential a downloader middleware put on a request that comes back (a retry, a
        # redirect) never rests in Redis: the middleware adds it again on the way out.
        queued["headers"] = {name: value for name, value in queued["headers"].items()
                             if name.lower() != b"authorization"}
        blob = pickle.dumps(queued, protocol=pickle.HIGHEST_PROTOCOL)
        keys = self._keys
        added = self._enqueue(keys=[keys["seen"], keys["requests"], keys["queue"]],
                              args=[fingerprint, blob, int(not request.dont_filter)])
        self._count("enqueued" if added else "duplicate")
        return bool(added)

    def next_request(self) -> Request | None:
        keys = self._keys
        taken = self._take(keys=[keys["queue"], keys["leases"], keys["requests"],
                                 keys["attempts"], keys["failed"]],
                           args=[self.lease, self.max_attempts])
        if not taken or taken[1] is None:
            return None
        fingerprint, blob = taken
        request = request_from_dict(pickle.loads(blob), spider=self.spider)
        request.meta[LEASES] = [*request.meta.get(LEASES, ()), fingerprint.decode()]
        self._count("dequeued")
        return request

    def _count(self, what: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"scheduler/{what}/redis")


class _Releaser:
    """Ends the leases a request carries, in the frontier of the crawler's job."""

    def __init__(self, crawler: Crawler, client: redis.Redis) -> None:
        self.crawler = crawler
        self._release = client.register_script(_RELEASE)
        self._keys: list[str] = []

    def __call__(self, request: Request | None) -> None:
        leases = request.meta.get(LEASES) if request is not None else None
        if not leases:
            return
        if not self._keys:  # the spider is open by the time a page comes back
            assert self.crawler.spider is not None
            job = job_of(self.crawler.spider)
            self._keys = [Keys.frontier(job, "leases"), Keys.frontier(job, "requests")]
        self._release(keys=self._keys, args=leases)


class _Page:
    """A page being processed: its leases end once its output is done and every mention
    it gave has passed the pipelines."""

    __slots__ = ("done", "failed", "outstanding", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.outstanding = 0
        self.done = False
        self.failed = False


class LeaseMiddleware:
    """Spider middleware ending a page's lease when the page is done: the requests it led to
    are queued and each of its mentions has been added to the stream (or dropped). A mention
    that errs keeps the lease, so the page is read again once it expires."""

    def __init__(self, crawler: Crawler, client: redis.Redis) -> None:
        self.release = _Releaser(crawler, client)
        self._pages: dict[int, _Page] = {}  # by id() of the response

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        middleware = cls(crawler, _client(crawler))
        crawler.signals.connect(middleware._item_done, signal=signals.item_scraped)
        crawler.signals.connect(middleware._item_done, signal=signals.item_dropped)
        crawler.signals.connect(middleware._item_failed, signal=signals.item_error)
        return middleware

    def process_spider_output(self, response: Response, result: Iterable[Any]
                              ) -> Iterator[Any]:
        assert response.request is not None
        page = self._pages.setdefault(id(response), _Page(response.request))
        try:
            for item in result:
                if not isinstance(item, Request):
                    page.outstanding += 1
                yield item
        finally:
            page.done = True
            self._settle(id(response))

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        items = [item async for item in result]
        for item in self.process_spider_output(response, items):
            yield item

    def _item_done(self, item: Mention, response: Response, **_: Any) -> None:
        if (page := self._pages.get(id(response))) is not None:
            page.outstanding -= 1
            self._settle(id(response))

    def _item_failed(self, item: Mention, response: Response, **_: Any) -> None:
        if (page := self._pages.get(id(response))) is not None:
            page.failed = True
            self._item_done(item, response)

    def _settle(self, key: int) -> None:
        page = self._pages[key]
        if page.done and page.outstanding <= 0:
            del self._pages[key]
            if not page.failed:
                self.release(page.request)


class LeaseReleaseMiddleware:
    """Downloader middleware ending the lease of a request that failed for good (refused,
    disallowed by robots.txt, or out of retries): asking again would fail again."""

    def __init__(self, crawler: Crawler, client: redis.Redis) -> None:
        self.release = _Releaser(crawler, client)
        self.stats: StatsCollector | None = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseReleaseMiddleware:
        return cls(crawler, _client(crawler))

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.release(request)
        if self.stats is not None:
            self.stats.inc_value("mentionwatch/frontier/given_up")


class SharedDelayMiddleware:
    """Downloader middleware spacing the requests to each domain MENTIONWATCH_REDIS_DELAY
    seconds apart across every crawler process (Scrapy's DOWNLOAD_DELAY and AutoThrottle see
    only their own process's requests). Off when the delay is 0."""

    def __init__(self, client: redis.Redis, delay: float) -> None:
        self.delay = delay
        self._reserve = client.register_script(_RESERVE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDelayMiddleware:
        delay = crawler.settings.getfloat("MENTIONWATCH_REDIS_DELAY")
        if delay <= 0:
            raise NotConfigured
        return cls(_client(crawler), delay)

    async def process_request(self, request: Request) -> None:
        domain = urlparse_cached(request).hostname or ""
        wait = float(self._reserve(keys=[Keys.delay(domain)], args=[self.delay]))
        if wait > 0:
            await asyncio.sleep(wait)


class RedisCrawlState(SeenSoFar):
    """`crawlers.state.CrawlState` kept in Redis, for crawlers on several machines: the
    same methods, the same rule (what a crawl saw is written when it ends)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.client = connect(url)
        self._mark = self.client.register_script(_MARK)

    def high_water(self, source: str) -> datetime | None:
        value = self.client.get(Keys.state(source, "mark"))
        return datetime.fromtimestamp(float(value), UTC) if value is not None else None

    def seen_ids(self, source: str, ids: Iterable[str]) -> set[str]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return set()
        found = self.client.smismember(Keys.state(source, "seen"), unique)
        return {mention_id for mention_id, seen in zip(unique, found, strict=True) if seen}

    def commit(self) -> None:
        for source, seen in self._pending.items():
            if seen:
                self.client.sadd(Keys.state(source, "seen"), *seen)
            dates = [d for d in seen.values() if d is not None]
            if dates:
                self._mark(keys=[Keys.state(source, "mark")], args=[max(dates).timestamp()])
        self._pending.clear()

    def close(self) -> None:
        self.client.close()
