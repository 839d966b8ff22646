"""Bluesky: an account's public posts and reposts that name a brand (`actor`), or posts
found by search (`query`), which needs an account.

Search logs in once per source with the handle and app password from the environment
variables the watchlist names, and sends the access token only with its search requests.
The token is added by `BlueskySessionMiddleware` as a request leaves for the network, so
the resumable frontier (`crawlers.resume`), which keeps requests in the index file, never
holds a secret. An expired token (401 ExpiredToken) is refreshed once per request.

Each page's posts that name the brand and have replies lead to their thread (on the public
AppView for a feed, with the search's own server and token for a search), at most
MENTIONWATCH_BLUESKY_MAX_THREADS per crawl; the rest wait for a later crawl. Incremental: a
thread read by an earlier crawl is read again only once its post's reply count changes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import scrapy
from pydantic import Field, model_validator
from scrapy.exceptions import IgnoreRequest

from crawlers.extract.bluesky import (
    BASE_URL,
    POSTS_PER_REQUEST,
    SEARCH_BASE_URL,
    LoginFailed,
    Session,
    ThreadRoot,
    extract_feed,
    extract_search,
    extract_thread,
    feed_url,
    login_body,
    next_page,
    posts_url,
    read_session,
    search_url,
    session_url,
    thread_roots,
    thread_url,
    xrpc_error,
)
from crawlers.spiders.paged import ApiSource, PagedSpider
from index.watchlist import MissingCredentials

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawlers.extract.jsonapi import OnError
    from crawlers.spiders.paged import Found
    from index.record import Mention
    from index.watchlist import Brand

__all__ = ["BlueskySessionMiddleware", "BlueskySource", "BlueskySpider", "MissingCredentials",
           "login_of"]

_SESSION = "mentionwatch_bluesky_session"  # request meta: the source whose token it needs
_REFRESHED = "mentionwatch_bluesky_refreshed"  # request meta: already retried after refresh


def login_of(source: BlueskySource, environ: Mapping[str, str]) -> tuple[str, str]:
    """The (handle, app password) a bluesky search source names, from `environ`."""
    assert source.identifier_env and source.password_env  # the options require both
    values = []
    for key, name in (("identifier_env", source.identifier_env),
                      ("password_env", source.password_env)):
        if not environ.get(name):
            raise MissingCredentials(f"bluesky search {source.query!r}: environment variable "
                                     f"{name} ({key}) is not set")
        values.append(environ[name])
    return values[0], values[1]


class BlueskySpider(PagedSpider["BlueskySource"]):
    name = "bluesky"
    next_page = staticmethod(next_page)
    parents_per_request = POSTS_PER_REQUEST

    def __init__(self, targets: Iterable[tuple[Brand, BlueskySource]] = (),
                 environ: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(list(targets), **kwargs)
        env = os.environ if environ is None else environ
        self._logins = {self.state_key(b, s): (s, login_of(s, env))
                        for b, s in self.targets if s.query}
        self._sessions: dict[str, Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._threads: set[str] = set()  # post uris whose thread this crawl asked for

    def first_urls(self, brand: Brand, source: BlueskySource) -> list[str]:
        if source.query:
            return [search_url(source.url or SEARCH_BASE_URL, source.query)]
        assert source.actor  # the options require one of them
        return [feed_url(source.url or BASE_URL, source.actor)]

    def page_request(self, url: str, brand: Brand, source: BlueskySource, page: int,
                     **options: Any) -> scrapy.Request:
        return super().page_request(url, brand, source, page,
                                    **self._signed(brand, source, options))

    def account_urls(self, brand: Brand, source: BlueskySource) -> list[str]:
        # Where the source reads threads, as threads are: an author feed has the replies.
        return [feed_url(self._base(source), handle) for handle in brand.accounts.bluesky]

    def thread_request(self, root: ThreadRoot, brand: Brand, source: BlueskySource,
                       **options: Any) -> scrapy.Request:
        return scrapy.Request(thread_url(self._base(source), root.uri),
                              callback=self.parse_thread,
                              cb_kwargs={"brand": brand, "source": source, "root": root},
                              **self._signed(brand, source, options))

    @staticmethod
    def _base(source: BlueskySource) -> str:
        """Where threads and account feeds are read: the public AppView for `actor`, the
        search's server (with its token) for `query`."""
        return source.url or (SEARCH_BASE_URL if source.query else BASE_URL)

    def _signed(self, brand: Brand, source: BlueskySource, options: dict[str, Any]
                ) -> dict[str, Any]:
        """Request options naming the search source's session, for its token."""
        if source.query:
            # The 401 of an expired token comes to the callback, to refresh it.
            options["meta"] = {**options.get("meta", {}), _SESSION: self.state_key(brand, source),
                               "handle_httpstatus_list": [401]}
        return options

    def extract(self, response: Response, brand: Brand, source: BlueskySource,
                on_error: OnError) -> Iterator[Found]:
        read = extract_search if source.query else extract_feed
        return read(response.body, response.url, brand, on_error=on_error)

    def parent_url(self, parents: Sequence[str], source: BlueskySource) -> str:
        # getPosts is public: on the AppView, without the search's token.
        return posts_url(source.url or BASE_URL, parents)

    def extract_parent(self, response: Response, brand: Brand, source: BlueskySource,
                       on_error: OnError) -> Iterator[Found]:
        return extract_search(response.body, response.url, brand, on_error=on_error)

    async def parse(self, response: Response, brand: Brand, source: BlueskySource,  # type: ignore[override]
                    page: int, replies_only: bool = False) -> AsyncIterator[Any]:
        if response.status == 401:
            if await self._refreshed(response):
                yield self.page_request(response.url, brand, source, page, dont_filter=True,
                                        meta={_REFRESHED: True}, replies_only=replies_only)
            return
        for output in super().parse(response, brand, source, page, replies_only):
            yield output
        if replies_only:  # the brand's own posts' threads are not what is asked for
            return
        for root in self._unread(thread_roots(response.body, response.url, brand), brand,
                                 source):
            yield self.thread_request(root, brand, source)

    async def parse_thread(self, response: Response, brand: Brand, source: BlueskySource,
                           root: ThreadRoot) -> AsyncIterator[Any]:
        if response.status == 401:
            if await self._refreshed(response):
                yield self.thread_request(root, brand, source, dont_filter=True,
                                          meta={_REFRESHED: True})
            return
        unreadable: list[str] = []

        def on_error(reason: str, detail: str) -> None:
            unreadable.append(reason)
            self.count_unreadable(reason, detail)

        found = self.sorted_out(extract_thread(response.body, response.url, brand,
                                               on_error=on_error))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("mentionwatch/bluesky/threads_read")
        if self.state is not None:
            key = self.state_key(brand, source)
            self._keys.update((m.id, key) for m in found)
            if not {"json", "shape"} & set(unreadable):  # a thread not read is asked again
                self.state.note_ids(key, [root.seen_id])
        for item in self.answered(found, brand, source):
            yield item

    def _unread(self, roots: list[ThreadRoot], brand: Brand, source: BlueskySource
                ) -> list[ThreadRoot]:
        """The threads to ask for: not asked already in this crawl, not read unchanged by
        an earlier one, and within MENTIONWATCH_BLUESKY_MAX_THREADS."""
        roots = [r for r in roots if r.uri not in self._threads]
        if self.state is not None:
            seen = self.state.seen_ids(self.state_key(brand, source), [r.seen_id for r in roots])
            roots = [r for r in roots if r.seen_id not in seen]
        room = max(self.settings.getint("MENTIONWATCH_BLUESKY_MAX_THREADS") - len(self._threads),
                   0)
        assert self.crawler.stats is not None
        if len(roots) > room:
            self.crawler.stats.inc_value("mentionwatch/bluesky/threads_over_limit",
                                         len(roots) - room)
        self._threads.update(r.uri for r in roots[:room])
        return roots[:room]

    def note_resumed(self, request: scrapy.Request, mentions: list[Mention]) -> None:
        """A page or thread a killed crawl read (`crawlers.resume`) counts as read."""
        super().note_resumed(request, mentions)
        if self.state is not None and "root" in request.cb_kwargs:
            key = self.state_key(request.cb_kwargs["brand"], request.cb_kwargs["source"])
            self.state.note_ids(key, [request.cb_kwargs["root"].seen_id])

    async def _refreshed(self, response: Response) -> bool:
        """After a 401: True when the token had expired and is refreshed, so the request
        is to be sent again; otherwise the refusal is counted."""
        error = xrpc_error(response.body)
        if error.startswith("ExpiredToken") and not response.meta.get(_REFRESHED):
            return await self._refresh(response.meta[_SESSION])
        self.count_unreadable("login", f"{response.url}: 401 {error}")
        return False

    async def session(self, key: str) -> Session:
        """The source's session, logging in the first time; IgnoreRequest when it cannot."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._sessions:
                source, (identifier, password) = self._logins[key]
                url = session_url(source.url or SEARCH_BASE_URL, "createSession")
                self._sessions[key] = await self._open(url, body=login_body(identifier, password),
                                                       headers={"Content-Type": "application/json"})
            return self._sessions[key]

    async def _refresh(self, key: str) -> bool:
        source, _ = self._logins[key]
        url = session_url(source.url or SEARCH_BASE_URL, "refreshSession")
        stale = self._sessions.pop(key)
        try:
            self._sessions[key] = await self._open(
                url, headers={"Authorization": f"Bearer {stale.refresh}"})
        except IgnoreRequest:
            return False
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("mentionwatch/bluesky/refreshed")
        return True

    async def _open(self, url: str, **options: Any) -> Session:
        """POST a createSession or refreshSession; a refusal is counted, logged and raised
        as IgnoreRequest. The request is downloaded here, never scheduled, so it is not
        kept in the frontier."""
        request = scrapy.Request(url, method="POST", dont_filter=True, **options)
        assert self.crawler.engine is not None
        response = await self.crawler.engine.download_async(request)
        try:
            return read_session(response.body, f"{url} ({response.status})")
        except LoginFailed as exc:
            self.count_unreadable("login", str(exc))
            self.logger.error("Bluesky login failed: %s", exc)
            raise IgnoreRequest(str(exc)) from exc


class BlueskySessionMiddleware:
    """Downloader middleware: puts the source's access token on each search request as it
    leaves, logging in first if needed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlueskySessionMiddleware:
        return cls(crawler)

    async def process_request(self, request: scrapy.Request) -> None:
        key = request.meta.get(_SESSION)
        spider = self.crawler.spider
        if key is None or not isinstance(spider, BlueskySpider):
            return
        session = await spider.session(key)
        request.headers["Authorization"] = f"Bearer {session.access}"


class BlueskySource(ApiSource):
    """An account's posts (`actor`, a handle or DID), or a search (`query`) with the names
    of the environment variables holding the account's handle and app password, never the
    secrets themselves."""

    type: Literal["bluesky"]
    needs_one_of = ("actor", "query")
    actor: str | None = Field(default=None, min_length=1)
    query: str | None = Field(default=None, min_length=1)
    identifier_env: str | None = Field(default=None, pattern=r"^\w+$")
    password_env: str | None = Field(default=None, pattern=r"^\w+$")
    spider: ClassVar[type[BlueskySpider]] = BlueskySpider

    @model_validator(mode="after")
    def _search_login(self) -> Self:
        # Search needs an account; a feed does not, so its login would be a mistake.
        login = (self.identifier_env, self.password_env)
        if self.actor and self.query:
            raise ValueError("a bluesky source takes `actor` or `query`, not both")
        if self.query and not all(login):
            raise ValueError("a bluesky source with `query` needs `identifier_env` and "
                             "`password_env` (environment variables holding a handle and "
                             "an app password)")
        if self.actor and any(login):
            raise ValueError("`identifier_env`, `password_env` apply to a bluesky `query` "
                             "source only")
        return self

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.query and f"q={self.query}", self.actor)

    def check_environment(self, environ: Mapping[str, str]) -> None:
        if self.query:
            login_of(self, environ)
