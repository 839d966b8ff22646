"""Run one crawl of a watchlist: one spider per source type, all in one Scrapy process."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from scrapy import Spider
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.asyncio import call_later

from crawlers import settings as default_settings
from crawlers.frontier import shared_settings
from crawlers.signals import stop_forced
from crawlers.sources import Source
from crawlers.spiders.feed import FeedSource, FeedSpider

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from index.watchlist import Brand, Watchlist

__all__ = ["crawl_settings", "run_crawl"]

_log = logging.getLogger(__name__)


class _Process(CrawlerProcess):
    """Scrapy's process, but a stop ends within MENTIONWATCH_STOP_TIMEOUT seconds.

    Scrapy's stop (the first SIGTERM or Ctrl-C) waits for every request already under way, a
    wait a slow or hostile server stretches as long as it likes. Past the timeout the stop is
    forced, as a second signal would, after `stop_forced` lets the index pipeline write its
    partial batch: the index keeps every mention parsed so far, and the frontier
    (crawlers/resume.py) makes the next crawl ask for whatever was left.
    """

    _deadline_set = False

    def stop(self) -> Deferred[Any]:
        if self.crawlers and not self._deadline_set:
            self._deadline_set = True
            call_later(self.settings.getfloat("MENTIONWATCH_STOP_TIMEOUT"), self._force_stop)
        return super().stop()

    def _force_stop(self) -> None:
        from twisted.internet import reactor

        _log.warning("the crawl did not stop within MENTIONWATCH_STOP_TIMEOUT seconds: "
                     "forcing it; the next crawl resumes what was left")
        for crawler in self.crawlers:
            crawler.signals.send_catch_log(stop_forced)
        with suppress(RuntimeError):  # stopped meanwhile
            reactor.stop()


def crawl_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(dict(overrides or {}), priority="cmdline")
    if url := settings.get("MENTIONWATCH_REDIS_URL"):
        settings.update(shared_settings(url), priority="cmdline")
    return settings


def _targets_by_spider(brands: Iterable[Brand[Source]]
                       ) -> dict[type[Spider], list[tuple[Brand[Source], Source]]]:
    """Each source's spider (its options' `spider`) and the (brand, source) pairs it
    crawls."""
    targets: dict[type[Spider], list[tuple[Brand[Source], Source]]] = {}
    for brand in brands:
        for source in brand.sources:
            targets.setdefault(source.spider, []).append((brand, source))
    return targets


def run_crawl(watchlist: Watchlist[Brand[Source], Any], overrides: Mapping[str, Any] | None = None
              ) -> dict[str, dict[str, Any]]:
    """Crawl every source of the watchlist once; returns each spider's Scrapy stats.

    Blocks until done. Twisted's reactor cannot be restarted, so call this at most once
    per process. Raises MissingCredentials (a WatchlistError) before any request when a
    source's login or API key is not in the environment, and the error of a spider that
    could not start (a sentiment model that does not load: ModelLoadError) once the others
    have ended.
    """
    for brand in watchlist.brands:
        for source in brand.sources:
            source.check_environment(os.environ)
    brand_aspects = {b.name: list(b.aspects) for b in watchlist.brands if b.aspects}
    brand_terms = {b.name: list(b.terms) for b in watchlist.brands}
    process = _Process(crawl_settings({"MENTIONWATCH_ASPECTS": brand_aspects,
                                       "MENTIONWATCH_BRAND_TERMS": brand_terms,
                                       **(overrides or {})}))
    crawlers: list[Crawler] = []
    failures: list[BaseException] = []
    for spider, targets in _targets_by_spider(watchlist.brands).items():
        crawler = process.create_crawler(spider)
        crawlers.append(crawler)
        if spider is FeedSpider:  # each feed once, matched against every brand
            started = process.crawl(crawler, urls=sorted({s.url for _, s in targets
                                                          if isinstance(s, FeedSource)}),
                                    brands=watchlist.brands)
        else:
            started = process.crawl(crawler, targets=targets, watched=watchlist.brands)
        # Caught here, a spider that cannot start is one error for the caller, where
        # Twisted would log it as an unhandled traceback and the crawl would "succeed".
        started.addErrback(lambda failure: failures.append(failure.value))
    process.start()
    if failures:
        raise failures[0]
    return {c.spidercls.name: dict(c.stats.get_stats()) if c.stats else {} for c in crawlers}
