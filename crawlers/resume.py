"""Resumable crawls: a crawl killed mid-way, even by kill -9, goes on where it stopped.

Scrapy's JOBDIR writes its request queue only when a crawl closes cleanly: after a kill -9
the queue is gone while part of its seen-requests file is not, so the next run would skip
pages it never read. The frontier is kept in the local SQLite file instead
(`index.localstate.FRONTIER`, table `crawl_frontier`: job, request fingerprint, the request,
done, the ids of the mentions its page gave):

- a start request is recorded when it is issued; the requests a page leads to are recorded
  in the transaction that marks that page done, with its mention ids;
- parsed pages are written together, in one transaction, each time the index commits a
  batch of mentions (`index_written`), and at least once a second: marking a page done
  sooner buys nothing, as a page whose mentions are not in the index is asked for again
  anyway. A kill loses at most the marks of the pages parsed since the last write, and
  those pages are read again;
- the next crawl of the same job (same spider, same sources) asks again for every request
  not done, and for every done one whose mentions are not all in the index (they were
  waiting for an index batch when the process died); the rest are skipped;
- a crawl that finishes clears its job, so the next one starts fresh and incremental;
- a spider with `note_resumed(request, mentions)` is told what each skipped page gave, so
  its incremental state (written when a crawl ends) covers the pages read before the kill.

A request that fails for good is never marked done: a resumed crawl asks for it again.
Mentions are upserted by their stable id, so asking again never duplicates one.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.request import request_from_dict

from crawlers.signals import index_written
from index.localstate import CRAWL_TIMEOUT, FRONTIER, LocalTables
from index.record import Mention
from index.stores import open_configured

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator
    from os import PathLike

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["Frontier", "ResumeMiddleware"]

# Longest a parsed page waits for an index commit before its mark is written anyway.
_WRITE_EVERY = 1.0  # seconds

#: A parsed page: its request's fingerprint, its mentions' ids, the requests it led to.
Page = tuple[str, list[str], list[tuple[str, bytes]]]


class Frontier:
    """The requests of unfinished crawls, by job. Requests are pickled: the local file is
    mentionwatch's own, written only by its processes."""

    def __init__(self, path: str | PathLike[str]) -> None:
        # Its commits survive a kill -9 (WAL, synchronous NORMAL); only a power cut may
        # lose the last pages, which are then asked for again.
        self._db = LocalTables(path, FRONTIER, timeout=CRAWL_TIMEOUT)

    def load(self, job: str) -> tuple[list[bytes], dict[str, tuple[bytes, list[str]]]]:
        """The job's requests not done, and the done ones by fingerprint with their
        mention ids."""
        pending: list[bytes] = []
        done: dict[str, tuple[bytes, list[str]]] = {}
        for fingerprint, request, is_done, mentions in self._db.rows(
                "SELECT fingerprint, request, done, mentions FROM crawl_frontier WHERE job = ?",
                (job,)):
            if is_done:
                done[fingerprint] = (request, json.loads(mentions))
            else:
                pending.append(request)
        return pending, done

    def add(self, job: str, requests: Iterable[tuple[str, bytes]]) -> None:
        with self._db.transaction():
            self._insert(job, requests)

    def mark_done(self, job: str, pages: Iterable[Page]) -> None:
        """Pages parsed, in the order they were: the requests each led to, then its
        mentions, all in one transaction."""
        with self._db.transaction():
            for fingerprint, mention_ids, following in pages:
                # In order: a page may be one that an earlier page of the list led to.
                self._insert(job, following)
                self._db.execute(
                    "UPDATE crawl_frontier SET done = 1, mentions = ? WHERE job = ? AND "
                    "fingerprint = ?", (json.dumps(mention_ids), job, fingerprint))

    def clear(self, job: str) -> None:
        self._db.execute("DELETE FROM crawl_frontier WHERE job = ?", (job,))

    def close(self) -> None:
        self._db.close()

    def _insert(self, job: str, requests: Iterable[tuple[str, bytes]]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO crawl_frontier (job, fingerprint, request) VALUES (?, ?, ?)",
            [(job, fingerprint, blob) for fingerprint, blob in requests])


class ResumeMiddleware:
    """Spider middleware keeping the frontier (MENTIONWATCH_RESUME). It sits next to the
    engine, so it sees the requests the other middlewares let through."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.frontier = Frontier(crawler.settings["MENTIONWATCH_DB"])
        self.job = ""
        self._skip: set[str] = set()  # done pages whose mentions are all indexed
        self._known: set[str] = set()  # every request of the job at resume time
        self._parsed: list[Page] = []  # not written yet
        self._parsed_since = 0.0  # monotonic time of the oldest of them
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeMiddleware:
        if not crawler.settings.getbool("MENTIONWATCH_RESUME"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.write, signal=index_written)
        return middleware

    def _fingerprint(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    def _record(self, request: Request) -> tuple[str, bytes]:
        spider = self.crawler.spider
        return self._fingerprint(request), pickle.dumps(request.to_dict(spider=spider))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        asked = json.dumps(sorted(map(str, getattr(spider, "asked", []))))
        self.job = f"{spider.name} {hashlib.sha1(asked.encode()).hexdigest()[:16]}"
        pending, done = self.frontier.load(self.job)
        indexed, unindexed = self._split_done(done)
        self._skip = set(indexed)
        self._known = set(done)
        stats = self.crawler.stats
        assert stats is not None
        if pending or done:
            stats.set_value("mentionwatch/resume/skipped", len(indexed))
            stats.set_value("mentionwatch/resume/requeued", len(pending) + len(unindexed))
            spider.logger.info("resuming %s: %d pages to ask for, %d already done",
                               self.job, len(pending) + len(unindexed), len(indexed))
        for blob in [*pending, *unindexed]:
            request = request_from_dict(pickle.loads(blob), spider=spider)
            self._known.add(self._fingerprint(request))
            yield request
        async for item in start:
            if isinstance(item, Request):
                if self._fingerprint(item) in self._known:
                    continue  # resumed above, or done
                self.frontier.add(self.job, [self._record(item)])
            yield item
        # The killed crawl's incremental state died with it: the spider notes what the
        # skipped pages gave, as if it had read them now (its state is open by now).
        if note := getattr(spider, "note_resumed", None):
            for blob, mentions in indexed.values():
                note(request_from_dict(pickle.loads(blob), spider=spider), mentions)

    def _split_done(self, done: dict[str, tuple[bytes, list[str]]]
                    ) -> tuple[dict[str, tuple[bytes, list[Mention]]], list[bytes]]:
        """The done pages whose mentions the index has (by fingerprint, with them), and
        the requests of those with a mention it does not have."""
        if not done:
            return {}, []
        indexed: dict[str, tuple[bytes, list[Mention]]] = {}
        unindexed: list[bytes] = []
        store = open_configured(self.crawler.settings["MENTIONWATCH_DB"])
        try:
            for fingerprint, (blob, ids) in done.items():
                found = store.get_many(ids)
                if all(mention_id in found for mention_id in ids):
                    indexed[fingerprint] = (blob, [found[mention_id] for mention_id in ids])
                else:
                    unindexed.append(blob)
        finally:
            store.close()
        return indexed, unindexed

    def process_spider_output(self, response: Response, result: Iterable[Any]
                              ) -> Iterator[Any]:
        following: list[tuple[str, bytes]] = []
        mention_ids: list[str] = []
        for item in result:
            if isinstance(item, Request):
                record = self._record(item)
                if record[0] in self._skip:
                    continue  # its page and mentions are done already
                following.append(record)
            elif isinstance(item, Mention):
                mention_ids.append(item.id)
            yield item
        assert response.request is not None
        if not self._parsed:
            self._parsed_since = time.monotonic()
        self._parsed.append((self._fingerprint(response.request), mention_ids, following))
        if time.monotonic() - self._parsed_since >= _WRITE_EVERY:
            self.write()

    def write(self) -> None:
        """Mark the pages parsed since the last write done, in one transaction."""
        if self._parsed and not self._closed:
            parsed, self._parsed = self._parsed, []
            self.frontier.mark_done(self.job, parsed)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        items = [item async for item in result]
        for item in self.process_spider_output(response, items):
            yield item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "finished":
            self.frontier.clear(self.job)
        else:
            self.write()  # a stopped crawl resumes after its last parsed page
        self._closed = True
        self.frontier.close()
