"""RSS and Atom news feeds: keeps the entries that name a watched brand.

An entry that is only a summary (`FeedEntry.summary_only`) is matched and kept with its
linked article's main text: the article is fetched like any page (robots.txt, throttling,
counted in coverage). A failed fetch keeps the summary. Incremental
(MENTIONWATCH_INCREMENTAL): an article read by an earlier crawl is not fetched again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse

from crawlers.extract.article import article_text
from crawlers.extract.feed import FeedEntry, entry_mention, read_entries
from crawlers.state import AnyCrawlState, open_state
from index.record import Mention
from index.watchlist import Brand, HttpURL, SourceOptions

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

__all__ = ["FeedSource", "FeedSpider"]


class FeedSpider(scrapy.Spider):
    name = "feed"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        return spider

    def __init__(self, urls: Sequence[str] = (), brands: Sequence[Brand] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls)
        self.asked = self.urls
        self.brands = list(brands)
        self.state: AnyCrawlState | None = None
        # mention id -> (state key, entry key) of a read article, until the mention is scraped
        self._articles: dict[str, tuple[str, str]] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.settings.getbool("MENTIONWATCH_INCREMENTAL"):
            self.state = open_state(self.settings)
        for url in self.urls:
            yield scrapy.Request(url, cb_kwargs={"feed": url})

    @staticmethod
    def _keys(feed: str, entry: FeedEntry) -> tuple[str, str]:
        """The crawl-state key of a feed's articles, and the entry's key in it."""
        return f"feed {feed} articles", entry.native_id or entry.url

    @staticmethod
    def _wants_article(entry: FeedEntry) -> bool:
        return entry.summary_only and entry.url.startswith(("http://", "https://"))

    def parse(self, response: Response, feed: str) -> Iterator[Any]:
        entries = read_entries(response.body, response.url)
        read_before = self.state.seen_ids(
            f"feed {feed} articles",
            [self._keys(feed, e)[1] for e in entries if self._wants_article(e)],
        ) if self.state else set()
        collected = datetime.now(UTC)
        for entry in entries:
            if not self._wants_article(entry):
                if mention := entry_mention(entry, self.brands, collected_at=collected):
                    yield mention
            elif self._keys(feed, entry)[1] not in read_before:
                # dont_filter: a link shared by two entries must still reach both.
                yield scrapy.Request(entry.url, callback=self.parse_article,
                                     errback=self.article_failed, dont_filter=True,
                                     cb_kwargs={"feed": feed, "entry": entry})

    def parse_article(self, response: Response, feed: str, entry: FeedEntry
                      ) -> Iterator[Mention]:
        assert self.crawler.stats is not None
        text = (article_text(response.body, response.url, encoding=response.encoding)
                if isinstance(response, TextResponse) else None)
        self.crawler.stats.inc_value(
            "mentionwatch/feed/article_read" if text else "mentionwatch/feed/article_empty")
        mention = entry_mention(entry, self.brands, collected_at=datetime.now(UTC), article=text)
        if mention is None:  # not about a watched brand: nothing to index, but read
            if self.state is not None:
                key, entry_key = self._keys(feed, entry)
                self.state.note_ids(key, [entry_key])
            return
        self._articles[mention.id] = self._keys(feed, entry)
        yield mention

    def article_failed(self, failure: Failure) -> Iterator[Mention]:
        """The article could not be fetched: the entry is kept with its summary."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("mentionwatch/feed/article_failed")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("article %s not fetched (%s): keeping the feed's summary",
                            request.url, failure.getErrorMessage())
        entry: FeedEntry = request.cb_kwargs["entry"]
        if mention := entry_mention(entry, self.brands, collected_at=datetime.now(UTC)):
            yield mention

    def note_resumed(self, request: scrapy.Request, mentions: list[Mention]) -> None:
        """A page a killed crawl read (`crawlers.resume`): an article counts as read."""
        if self.state is not None and "entry" in request.cb_kwargs:
            key, entry_key = self._keys(request.cb_kwargs["feed"], request.cb_kwargs["entry"])
            self.state.note_ids(key, [entry_key])

    def item_scraped(self, item: Mention) -> None:
        keys = self._articles.pop(item.id, None)
        if self.state is not None and keys is not None:
            self.state.note_ids(keys[0], [keys[1]])

    def closed(self, reason: str) -> None:
        if self.state is not None:
            self.state.commit()
            self.state.close()


class FeedSource(SourceOptions):
    """An RSS or Atom feed. Its entries are matched against every brand of the watchlist,
    whichever brand lists it, so a feed is read once per crawl."""

    type: Literal["feed"]
    url: HttpURL
    spider: ClassVar[type[FeedSpider]] = FeedSpider

    def key_parts(self) -> Iterable[str | None]:
        return (self.url,)
