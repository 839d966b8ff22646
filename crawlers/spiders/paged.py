"""The shape every API and listing spider shares: start pages per watched source, a pure
extractor per page, then the next page, up to MENTIONWATCH_MAX_PAGES per source.

Incremental (MENTIONWATCH_INCREMENTAL): paging stops at the first page whose mentions an
earlier crawl of the same source all saw (`crawlers.state`). A mention counts as seen once
it has passed every pipeline, so one that failed on the way is looked for again next time.

Backfill (MENTIONWATCH_SINCE): pages already seen do not stop paging; the first page that
holds a mention published before that time does, or MENTIONWATCH_BACKFILL_MAX_PAGES.

The brand's own accounts' replies (`crawlers.extract.accounts`) are found on the source's
pages and, for a source type on a network where the brand has accounts, in those accounts'
newest posts (`account_urls`, read after every source's first pages; only the replies are
kept from them). A reply goes on with the mentions when its parent is one this crawl found,
or an earlier crawl of the source saw. Otherwise the spider reads the parent (`parent_url`,
once per parent, `parents_per_request` of a page's at a time), and the replies follow it if
it is a mention of the brand; if it is not, they are counted and dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import scrapy
from scrapy import signals

from crawlers.extract.accounts import AccountReply
from crawlers.extract.brands import naming_all
from crawlers.state import AnyCrawlState, open_state
from index.record import Mention
from index.watchlist import HttpURL, SourceOptions

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["ApiSource", "Found", "PagedSpider", "reaches_back_to"]


class ApiSource(SourceOptions):
    """The options of a source read through an API: `url`, when given, replaces the API's
    public base URL (a mirror, or a test server)."""

    url: HttpURL | None = None


SourceT = TypeVar("SourceT", bound=SourceOptions)
#: What an extractor finds: mentions, and the brand's accounts' replies.
Found = Mention | AccountReply


def reaches_back_to(mentions: Iterable[Found], since: datetime) -> bool:
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
    # How many parents of replies one `parent_url` may ask for (Reddit's info.json: 100).
    parents_per_request: ClassVar[int] = 1

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
        self._crawled: set[str] = set()  # ids of the mentions this crawl found
        # (state key, parent's native id) -> the replies waiting for that parent to be read
        self._orphans: dict[tuple[str, str], list[AccountReply]] = {}

    def first_urls(self, brand: Brand, source: SourceT) -> Iterable[str]:
        raise NotImplementedError

    def extract(self, response: Response, brand: Brand, source: SourceT,
                on_error: OnError) -> Iterator[Found]:
        raise NotImplementedError

    def parent_url(self, parents: Sequence[str], source: SourceT) -> str:
        """Where the posts that replies answer are read (by their native ids, at most
        `parents_per_request`), for a source that finds replies."""
        raise NotImplementedError(f"{self.name} finds no brand accounts' replies")

    def extract_parent(self, response: Response, brand: Brand, source: SourceT,
                       on_error: OnError) -> Iterator[Found]:
        """The posts read at `parent_url`; by default a page like any other."""
        return self.extract(response, brand, source, on_error)

    def parent_request(self, url: str, brand: Brand, source: SourceT, parents: list[str],
                       **options: Any) -> scrapy.Request:
        # Not filtered as a repeat: each parent is asked for once (`_orphans`), and a page
        # of the same URL (a Reddit listing of one thing) must not stop it.
        return scrapy.Request(url, callback=self.parse_parent, dont_filter=True,
                              cb_kwargs={"brand": brand, "source": source, "parents": parents},
                              **options)

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
        # After every source's own pages: an account's posts that a source reads anyway (a
        # Bluesky `actor` that is the brand's account) are then read as that source's page.
        for brand, source in self.targets:
            for request in self.account_requests(brand, source):
                yield request

    def account_urls(self, brand: Brand, source: SourceT) -> Iterable[str]:
        """The newest posts of the brand's accounts on the source's network, where their
        replies are; none by default."""
        return ()

    def account_requests(self, brand: Brand, source: SourceT) -> Iterable[scrapy.Request]:
        return [self.page_request(url, brand, source, 1, replies_only=True)
                for url in self.account_urls(brand, source)]

    def page_request(self, url: str, brand: Brand, source: SourceT, page: int, *,
                     replies_only: bool = False, **options: Any) -> scrapy.Request:
        """A page of the source; with `replies_only`, of the brand's accounts' posts, of
        which only the replies are kept."""
        cb_kwargs = {"brand": brand, "source": source, "page": page}
        if replies_only:
            cb_kwargs["replies_only"] = True
        return scrapy.Request(url, callback=self.parse, cb_kwargs=cb_kwargs, **options)

    def count_unreadable(self, reason: str, detail: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/unreadable/{reason}")
        self.logger.warning("unreadable %s: %s", reason, detail)

    def parse(self, response: Response, brand: Brand, source: SourceT, page: int,
              replies_only: bool = False) -> Iterator[Any]:
        found = self.sorted_out(self.extract(response, brand, source, self.count_unreadable))
        if replies_only:
            found = [item for item in found if isinstance(item, AccountReply)]
        yield from self.answered(found, brand, source)
        following = self.next_url(response)
        assert self.crawler.stats is not None
        key = self.state_key(brand, source)
        if self.since is not None:
            if following and reaches_back_to(found, self.since):
                self.crawler.stats.inc_value("mentionwatch/backfill/reached_since")
                following = None
        elif following and self.state is not None and self.state.all_seen(key, found):
            self.crawler.stats.inc_value("mentionwatch/incremental/caught_up")
            following = None
        if self.state is not None:
            self._keys.update((m.id, key) for m in found)
        max_pages = self.settings.getint("MENTIONWATCH_BACKFILL_MAX_PAGES" if self.since
                                         else "MENTIONWATCH_MAX_PAGES")
        if following and page < max_pages:
            yield self.page_request(following, brand, source, page + 1,
                                    replies_only=replies_only)

    def naming_all(self, mentions: Iterable[Mention]) -> list[Mention]:
        """The mentions with every watched brand they name (`crawlers.extract.brands`)."""
        return [naming_all(mention, self.watched) for mention in mentions]

    def sorted_out(self, found: Iterable[Found]) -> list[Found]:
        """What an extractor found: the mentions with every watched brand they name
        (`naming_all`), and the replies, the mentions first."""
        items = list(found)
        return [*self.naming_all(m for m in items if isinstance(m, Mention)),
                *(r for r in items if isinstance(r, AccountReply))]

    def answered(self, found: list[Found], brand: Brand, source: SourceT) -> Iterator[Any]:
        """The mentions, then each reply whose parent this crawl found or an earlier crawl of
        the source saw; for the other replies, a request for their parent (`parse_parent`).
        A reply an earlier crawl saw is not sent again: its parent has it."""
        self._crawled.update(m.id for m in found if isinstance(m, Mention))
        replies = [r for r in found if isinstance(r, AccountReply)]
        key = self.state_key(brand, source)
        seen = self.state.seen_ids(key, [i for r in replies for i in (r.id, r.parent_id) if i]) \
            if self.state is not None and replies else set()
        parents: list[str] = []  # the parents to read, each once
        for item in found:
            if isinstance(item, AccountReply) and item.id in seen:
                continue
            if (not isinstance(item, AccountReply) or item.parent_id in self._crawled
                    or item.parent_id in seen):
                yield item
                continue
            waiting = self._orphans.setdefault((key, item.parent), [])
            waiting.append(item)
            if len(waiting) == 1:
                parents.append(item.parent)
        if parents:
            self._count("parents_read", len(parents))
        for start in range(0, len(parents), self.parents_per_request):
            asked = parents[start:start + self.parents_per_request]
            yield self.parent_request(self.parent_url(asked, source), brand, source, asked)

    def parse_parent(self, response: Response, brand: Brand, source: SourceT,
                     parents: list[str]) -> Iterator[Found]:
        """The parents the waiting replies answer, and those replies, for each parent that
        is a mention of the brand; the other replies are counted and dropped."""
        key = self.state_key(brand, source)
        found = [m for m in self.sorted_out(self.extract_parent(
            response, brand, source, self.count_unreadable)) if isinstance(m, Mention)]
        if self.state is not None:
            self._keys.update((m.id, key) for m in found)
        # A parent this crawl found already (Mastodon's are read all the same) goes on once.
        yield from (m for m in found if m.id not in self._crawled)
        self._crawled.update(m.id for m in found)
        ids = {m.id for m in found}
        # A reply that names its parent only by a local id (Mastodon) was asked alone.
        only = found[0].id if len(parents) == 1 and found else None
        dropped: list[str] = []
        for reply in (r for parent in parents for r in self._orphans.pop((key, parent), [])):
            if (reply.parent_id or only) in ids:
                yield reply if reply.parent_id else reply.answering(str(only))
            else:
                dropped.append(reply.id)
        if dropped:
            self._count("parent_not_a_mention", len(dropped))
            if self.state is not None:  # seen: its page can count as caught up
                self.state.note_ids(key, dropped)

    def _count(self, what: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/brand_replies/{what}", count)

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
        # Replies whose parent could not be read (gone, refused): counted, not kept.
        if unread := sum(map(len, self._orphans.values())):
            self._count("parent_unread", unread)
        if self.state is not None:
            self.state.commit()
            self.state.close()
