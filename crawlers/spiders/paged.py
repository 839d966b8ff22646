"""The shape every API and listing spider shares: start pages per watched source, a pure
extractor per page, then the next page, up to MENTIONWATCH_MAX_PAGES per source.

Incremental (MENTIONWATCH_INCREMENTAL): paging stops at the first page whose mentions an
earlier crawl of the same source all saw (`crawlers.state`). A mention counts as seen once
it has passed every pipeline, so one that failed on the way is looked for again next time.

Backfill (MENTIONWATCH_SINCE): pages already seen do not stop paging; the first page that
holds a mention published before that time does, or MENTIONWATCH_BACKFILL_MAX_PAGES.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import scrapy
from scrapy import signals

from crawlers.extract.brands import naming_all
from crawlers.state import AnyCrawlState, open_state
from index.watchlist import HttpURL, SourceOptions

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from crawlers.extract.jsonapi import OnError
    from index.record import Mention
    from index.watchlist import Brand

__all__ = ["ApiSource", "PagedSpider", "reaches_back_to"]


class ApiSource(SourceOptions):
    """The options of a source read through an API: `url`, when given, replaces the API's
    public base URL (a mirror, or a test server)."""

    url: HttpURL | None = None


SourceT = TypeVar("SourceT", bound=SourceOptions)


def reaches_back_to(mentions: Iterable[Mention], since: datetime) -> bool:
    """True when a page goes back past `since`: one of its mentions is older."""
    return any(m.published_at is not None and m.published_at < since for m in mentions)


class PagedSpider(scrapy.Spider, Generic[SourceT]):
    """Subclasses say where a source starts (`first_urls`), how a page becomes mentions
    (`extract`, which calls the source's pure extractor) and where the next page is
    (`next_page`, or `next_url` when it needs more than the body). A page that cannot be
    read is counted and logged, and ends that source's paging; it never ends the crawl."""

    # Official JSON APIs are not pages: robots.txt is for pages (Reddit's refuses every
    # robot, its API asks only for a unique User-Agent). Page sources set it back on.
    obey_robots: ClassVar[bool] = False
    # The source's pure `next_page(body, url)`, unless `next_url` needs more of the response.
    next_page: Callable[[bytes, str], str | None]

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.set("ROBOTSTXT_OBEY", cls.obey_robots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PagedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        return spider

    def __init__(self, targets: Sequence[tuple[Brand, SourceT]] = (),
                 watched: Sequence[Brand] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        # Every brand of the watchlist: a mention found for one counts for each it names.
        self.watched = list(watched)
        self.asked = [self.state_key(b, s) for b, s in self.targets]  # for coverage
        self.state: AnyCrawlState | None = None
        self.since: datetime | None = None  # backfill to this time (MENTIONWATCH_SINCE)
        self._keys: dict[str, str] = {}  # mention id -> state key, until it is scraped

    def first_urls(self, brand: Brand, source: SourceT) -> Iterable[str]:
        raise NotImplementedError

    def extract(self, response: Response, brand: Brand, source: SourceT,
                on_error: OnError) -> Iterator[Mention]:
        raise NotImplementedError

    def next_url(self, response: Response) -> str | None:
        return self.next_page(response.body, response.url)

    @staticmethod
    def state_key(brand: Brand, source: SourceOptions) -> str:
        return f"{brand.name}: {source.key}"

    def high_water(self, brand: Brand, source: SourceT) -> datetime | None:
        """When the newest mention an earlier crawl of this source saw was published."""
        return self.state.high_water(self.state_key(brand, source)) if self.state else None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if since := self.settings.get("MENTIONWATCH_SINCE"):
            self.since = datetime.fromisoformat(since)
            if self.since.tzinfo is None:  # times are UTC throughout
                self.since = self.since.replace(tzinfo=UTC)
        if self.settings.getbool("MENTIONWATCH_INCREMENTAL"):
            self.state = open_state(self.settings)
        for brand, source in self.targets:
            for url in self.first_urls(brand, source):
                yield self.page_request(url, brand, source, 1)

    def page_request(self, url: str, brand: Brand, source: SourceT, page: int,
                     **options: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse,
                              cb_kwargs={"brand": brand, "source": source, "page": page},
                              **options)

    def count_unreadable(self, reason: str, detail: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/unreadable/{reason}")
        self.logger.warning("unreadable %s: %s", reason, detail)

    def parse(self, response: Response, brand: Brand, source: SourceT, page: int
              ) -> Iterator[Any]:
        mentions = self.naming_all(self.extract(response, brand, source, self.count_unreadable))
        yield from mentions
        following = self.next_url(response)
        assert self.crawler.stats is not None
        key = self.state_key(brand, source)
        if self.since is not None:
            if following and reaches_back_to(mentions, self.since):
                self.crawler.stats.inc_value("mentionwatch/backfill/reached_since")
                following = None
        elif following and self.state is not None and self.state.all_seen(key, mentions):
            self.crawler.stats.inc_value("mentionwatch/incremental/caught_up")
            following = None
        if self.state is not None:
            self._keys.update((m.id, key) for m in mentions)
        max_pages = self.settings.getint("MENTIONWATCH_BACKFILL_MAX_PAGES" if self.since
                                         else "MENTIONWATCH_MAX_PAGES")
        if following and page < max_pages:
            yield self.page_request(following, brand, source, page + 1)

    def naming_all(self, mentions: Iterable[Mention]) -> list[Mention]:
        """The mentions with every watched brand they name (`crawlers.extract.brands`)."""
        return [naming_all(mention, self.watched) for mention in mentions]

    def note_resumed(self, request: scrapy.Request, mentions: list[Mention]) -> None:
        """A page a killed crawl read (`crawlers.resume`): its mentions count as seen."""
        if self.state is not None:
            brand, source = request.cb_kwargs["brand"], request.cb_kwargs["source"]
            self.state.note(self.state_key(brand, source), mentions)

    def item_scraped(self, item: Mention) -> None:
        key = self._keys.pop(item.id, None)
        if self.state is not None and key is not None:
            self.state.note(key, [item])

    def closed(self, reason: str) -> None:
        if self.state is not None:
            self.state.commit()
            self.state.close()
