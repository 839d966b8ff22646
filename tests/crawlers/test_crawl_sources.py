"""Real crawls of the API and listing sources (Reddit, Hacker News, Mastodon, ...) against a
loopback server that replays recorded responses, through every pipeline into the index.

Each crawl runs `crawlers.run.run_crawl` in a subprocess (Twisted's reactor runs once per
process). Sentiment is off: it is not the point here, and loading the model is slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from index.record import Mention
from index.sqlite import SqliteStore

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"

RUN = """
import json, sys
from crawlers.run import run_crawl
from api.watchlist import load_watchlist
stats = run_crawl(load_watchlist(sys.argv[1]), json.loads(sys.argv[2]))
print(json.dumps({name: {k: v for k, v in s.items() if isinstance(v, int)}
                  for name, s in stats.items()}))
"""


@dataclass
class Reply:
    status: int = 200
    file: str | None = None  # under tests/fixtures/pages
    headers: dict[str, str] = field(default_factory=dict)


class ReplayServer:
    """Answers each `path?query` with its recorded replies in turn (the last one repeats),
    404 for anything else, and remembers every request it received."""

    def __init__(self, routes: dict[str, list[Reply]]) -> None:
        self.routes = routes
        self.received: list[tuple[float, str]] = []
        self.posted: list[str] = []  # POST bodies, in order
        self.authorized: list[tuple[str, str]] = []  # (path, Authorization header), in order
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.posted.append(unquote(self.rfile.read(length).decode()))
                self.do_GET()

            def do_GET(self) -> None:
                with server._lock:
                    server.received.append((time.monotonic(), self.path))
                    if auth := self.headers.get("Authorization"):
                        server.authorized.append((self.path, auth))
                    replies = server.routes.get(self.path, [Reply(404)])
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                body = (PAGES / reply.file).read_bytes() if reply.file else b""
                self.send_response(reply.status)
                kind = "text/html" if (reply.file or "").endswith(".html") else (
                    "text/plain" if (reply.file or "").endswith(".txt") else "application/json")
                headers = {"Content-Type": kind, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value.replace("{base}", server.url))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_crawl(watchlist: Path, db: Path, **settings: Any) -> dict[str, dict[str, int]]:
    overrides = {"MENTIONWATCH_DB": str(db), "MENTIONWATCH_ALLOW_LOOPBACK": True,
                 "MENTIONWATCH_SENTIMENT_ENABLED": False, "AUTOTHROTTLE_ENABLED": False,
                 "LOG_LEVEL": "WARNING", **settings}
    done = subprocess.run([sys.executable, "-c", RUN, str(watchlist), json.dumps(overrides)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **BLUESKY_LOGIN})
    assert done.returncode == 0, done.stderr
    stats: dict[str, dict[str, int]] = json.loads(done.stdout)
    return stats


REDDIT_SEARCH = "/search.json?q=Acme&sort=new&raw_json=1&limit=100"
HN_SEARCH = "/api/v1/search_by_date?query=Acme&tags=%28story%2Ccomment%29&hitsPerPage=100"
MASTODON_TAG = "/api/v1/timelines/tag/acme?limit=40"
APPSTORE = "/gb/rss/customerreviews/page={}/id=1555550101/sortby=mostrecent/json"
BLUESKY = "/xrpc/app.bsky.feed.getAuthorFeed?actor=ann.bsky.social&limit=100"
BLUESKY_SEARCH = "/xrpc/app.bsky.feed.searchPosts?q=Acme&sort=latest&limit=100"
BLUESKY_LOGIN = {"ACME_BSKY_HANDLE": "acme-watch.bsky.social",
                 "ACME_BSKY_PASSWORD": "abcd-efgh-ijkl-mnop"}
BLUESKY_SESSION = "/xrpc/com.atproto.server.{}Session"
BLUESKY_THREAD = ("/xrpc/app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3A{}"
                  "%2Fapp.bsky.feed.post%2F{}&depth=2&parentHeight=0")
CAMERA_THREAD = BLUESKY_THREAD.format("ann4example2q7hz5vbe3fd", "3lbq2xk7fds2a")
SUPPORT_THREAD = BLUESKY_THREAD.format("bo7example9k2ld8wq0xa1m", "3lbpzzz9xyz2k")
SEARCH_THREAD = BLUESKY_THREAD.format("cat3example5m1vw8ke2rz", "3lcaaa1qwe22k")
PLAY = "/_/PlayStoreUi/data/batchexecute?rpcids=UsvDTd&hl={}&gl=us"

ROUTES = {
    "/robots.txt": [Reply(file="trustpilot/robots.txt")],
    REDDIT_SEARCH: [Reply(file="reddit/search-page1.json")],
    REDDIT_SEARCH + "&after=t3_1x9b7kq": [Reply(file="reddit/search-page2.json")],
    "/r/acme/new.json?raw_json=1&limit=100": [Reply(500)],
    "/r/acme/comments.json?raw_json=1&limit=100": [Reply(file="reddit/comments.json")],
    HN_SEARCH: [Reply(429, headers={"Retry-After": "1"}),
                Reply(file="hackernews/search-page1.json")],
    HN_SEARCH + "&numericFilters=created_at_i%3C%3D1795076100": [
        Reply(file="hackernews/search-page2.json")],
    HN_SEARCH + "&numericFilters=created_at_i%3E1795168799": [
        Reply(file="hackernews/search-since.json")],
    MASTODON_TAG: [Reply(file="mastodon/tag-page1.json", headers={
        "Link": '<{base}/api/v1/timelines/tag/acme?limit=40&max_id=9>; rel="next"'})],
    MASTODON_TAG + "&max_id=9": [Reply(file="mastodon/tag-page2.json")],
    MASTODON_TAG + "&max_id=113550000000000100": [Reply(file="mastodon/tag-empty.json")],
    "/api/v1/timelines/tag/acmephone?limit=40": [Reply(file="mastodon/truncated.json")],
    APPSTORE.format(1): [Reply(file="appstore/page1.json")],
    APPSTORE.format(2): [Reply(file="appstore/page2-single-entry.json")],
    APPSTORE.format(3): [Reply(file="appstore/page3-empty.json")],
    "/review/acme.example": [Reply(file="trustpilot/acme-page1.html")],
    "/review/acme.example?page=2": [Reply(file="trustpilot/no-next-data.html")],
    # By the second crawl the camera post has one more reply: its thread is read again.
    BLUESKY: [Reply(file="bluesky/feed-page1.json"),
              Reply(file="bluesky/feed-page1-new-reply.json")],
    CAMERA_THREAD: [Reply(file="bluesky/thread-camera.json")],
    SUPPORT_THREAD: [Reply(file="bluesky/thread-support.json")],
    SEARCH_THREAD: [Reply(file="bluesky/thread-search.json")],
    BLUESKY + "&cursor=2026-11-19T15%3A00%3A00.000Z": [Reply(file="bluesky/feed-end.json")],
    BLUESKY_SESSION.format("create"): [Reply(file="bluesky/session-created.json")],
    BLUESKY_SESSION.format("refresh"): [Reply(file="bluesky/session-refreshed.json")],
    BLUESKY_SEARCH: [Reply(401, file="bluesky/expired-token.json"),
                     Reply(file="bluesky/search-page1.json")],
    BLUESKY_SEARCH + "&cursor=25": [Reply(file="bluesky/search-page2.json")],
    BLUESKY_SEARCH + "&cursor=50": [Reply(file="bluesky/search-truncated.json")],
    PLAY.format("en"): [Reply(file="googleplay/reviews-page1.txt"),
                        Reply(file="googleplay/reviews-last.txt")],
    PLAY.format("de"): [Reply(file="googleplay/format-changed.txt")],
}

SOURCES = [  # (type, keys) of each watched source; `url`/`instance` is the loopback server
    ("reddit", 'query = "Acme"'), ("reddit", 'subreddit = "acme"'), ("hackernews", ""),
    ("mastodon", 'tag = "acme"'), ("mastodon", 'tag = "acmephone"'), ("mastodon", 'tag = "gone"'),
    ("appstore", 'app_id = "1555550101"\ncountry = "gb"'),
    ("trustpilot", 'company = "acme.example"'), ("trustpilot", 'company = "blocked.example"'),
    ("bluesky", 'actor = "ann.bsky.social"'),
    ("bluesky", 'query = "Acme"\nidentifier_env = "ACME_BSKY_HANDLE"\n'
                'password_env = "ACME_BSKY_PASSWORD"'),
    ("googleplay", 'app_id = "com.acme.remote"'),
    ("googleplay", 'app_id = "com.acme.remote"\nlang = "de"'),
]


def watchlist(base: str) -> str:
    sources = "".join(
        f'\n[[brands.sources]]\ntype = "{kind}"\n'
        f'{"instance" if kind == "mastodon" else "url"} = "{base}"\n{keys}\n'
        for kind, keys in SOURCES)
    # A product line watched as a brand of its own, with no sources: found by Acme's.
    return (f'[[brands]]\nname = "Acme"\nterms = ["Acme", "艾克美"]\n{sources}\n'
            '[[brands]]\nname = "Acme Buds"\nterms = ["Buds Pro"]\n')


@dataclass
class Crawled:
    first: dict[str, dict[str, int]]
    second: dict[str, dict[str, int]]
    received: tuple[list[str], list[str]]
    posted: list[str]
    authorized: list[tuple[str, str]]
    retry_wait: float
    mentions: list[Mention]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("sources")
    routes = {path: list(replies) for path, replies in ROUTES.items()}
    with ReplayServer(routes) as server:
        (tmp / "mentionwatch.toml").write_text(watchlist(server.url), encoding="utf-8")
        first = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        received_first, server.received = server.received, []
        posted = list(server.posted)
        authorized = list(server.authorized)
        second = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        with SqliteStore(tmp / "mentions.db") as store:
            mentions = [h.mention for h in store.search("", size=100, sort="newest").hits]
    hn = [when for when, path in received_first if path == HN_SEARCH]
    yield Crawled(first, second, (sorted(p for _, p in received_first),
                                  sorted(p for _, p in server.received)),
                  posted, authorized, hn[1] - hn[0], mentions)


def _summary(stats: dict[str, dict[str, int]]) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per spider: (mentions, new in the index, unreadable parts by reason)."""
    return {spider: (s.get("item_scraped_count", 0), s.get("mentionwatch/indexed/new", 0),
                     {k.rsplit("/", 1)[1]: v for k, v in s.items()
                      if k.startswith("mentionwatch/unreadable/")})
            for spider, s in stats.items()}


def test_first_crawl_reads_every_page_and_counts_what_it_could_not_read(
        crawled: Crawled) -> None:
    assert _summary(crawled.first) == {
        # 3 search posts; 1 comment of r/acme (its new.json kept failing with 500).
        "reddit": (4, 4, {"item": 1}),
        "hackernews": (3, 3, {}),  # the zed comment is on both pages, but names no brand
        "mastodon": (3, 3, {"json": 1}),  # #acmephone was truncated, #gone a 404
        "appstore": (4, 4, {"item": 1}),
        "trustpilot": (2, 2, {"item": 1, "next_data": 1}),
        # feed: 2 (1 unreadable post); search: 3 over 2 pages, its third page truncated;
        # threads: 3 replies under the camera post, 1 under the search hit
        "bluesky": (9, 9, {"item": 1, "json": 1}),
        "googleplay": (2, 2, {"googleplay_format": 1}),  # page 2 repeats Tomás
    }
    assert crawled.first["reddit"]["retry/reason_count/500 Internal Server Error"] == 3
    assert crawled.first["trustpilot"]["robotstxt/forbidden"] == 1
    assert crawled.first["mastodon"]["httperror/response_ignored_status_count/404"] == 1


def test_a_429_is_retried_after_the_wait_it_asks_for(crawled: Crawled) -> None:
    assert crawled.first["hackernews"]["mentionwatch/retry_after/waited"] == 1
    assert crawled.retry_wait >= 1.0


def test_every_page_is_fetched_once_then_only_new_pages(crawled: Crawled) -> None:
    first, second = crawled.received
    assert first == sorted([
        "/robots.txt", *[REDDIT_SEARCH, REDDIT_SEARCH + "&after=t3_1x9b7kq"],
        *["/r/acme/new.json?raw_json=1&limit=100"] * 4,
        "/r/acme/comments.json?raw_json=1&limit=100",
        HN_SEARCH, HN_SEARCH, HN_SEARCH + "&numericFilters=created_at_i%3C%3D1795076100",
        MASTODON_TAG, MASTODON_TAG + "&max_id=9", MASTODON_TAG + "&max_id=113550000000000100",
        "/api/v1/timelines/tag/acmephone?limit=40", "/api/v1/timelines/tag/gone?limit=40",
        APPSTORE.format(1), APPSTORE.format(2), APPSTORE.format(3),
        "/review/acme.example", "/review/acme.example?page=2",
        BLUESKY, BLUESKY + "&cursor=2026-11-19T15%3A00%3A00.000Z",
        BLUESKY_SESSION.format("create"), BLUESKY_SEARCH, BLUESKY_SESSION.format("refresh"),
        BLUESKY_SEARCH, BLUESKY_SEARCH + "&cursor=25", BLUESKY_SEARCH + "&cursor=50",
        CAMERA_THREAD, SUPPORT_THREAD, SEARCH_THREAD,
        PLAY.format("en"), PLAY.format("en"), PLAY.format("de"),
    ])
    # Google Play pages differ by the token in the body, which the fragment never leaves.
    tokens = [json.loads(json.loads(b.removeprefix("f.req="))[0][0][1])[2][2][2]
              for b in crawled.posted if b.startswith("f.req=")]
    assert sorted(tokens, key=str) == sorted(
        [None, None, "Cp0BCpoBKpcBCAESkgEKJEN0cmxEZW1vVG9rZW4"], key=str)
    # Second crawl: each source's first page is all seen already, so paging stops there;
    # Hacker News asks only for hits since the newest it has.
    assert second == sorted([
        "/robots.txt", REDDIT_SEARCH, *["/r/acme/new.json?raw_json=1&limit=100"] * 4,
        "/r/acme/comments.json?raw_json=1&limit=100",
        HN_SEARCH + "&numericFilters=created_at_i%3E1795168799", MASTODON_TAG,
        "/api/v1/timelines/tag/acmephone?limit=40", "/api/v1/timelines/tag/gone?limit=40",
        APPSTORE.format(1), "/review/acme.example", BLUESKY, CAMERA_THREAD,
        BLUESKY_SESSION.format("create"), BLUESKY_SEARCH, PLAY.format("en"), PLAY.format("de"),
    ])
    assert {k: v[1] for k, v in _summary(crawled.second).items()} == dict.fromkeys(
        crawled.second, 0)


def test_mentions_are_indexed_once_with_source_kind_and_brand(crawled: Crawled) -> None:
    counts: dict[tuple[str, str], int] = {}
    for m in crawled.mentions:
        counts[m.source, m.kind] = counts.get((m.source, m.kind), 0) + 1
    assert counts == {
        ("reddit", "post"): 3, ("reddit", "comment"): 1, ("hackernews", "post"): 2,
        ("hackernews", "comment"): 1, ("mastodon", "post"): 2, ("mastodon", "comment"): 1,
        ("appstore", "review"): 4, ("trustpilot", "review"): 2, ("bluesky", "post"): 3,
        ("bluesky", "comment"): 6, ("googleplay", "review"): 2,
    }
    assert {m.brand for m in crawled.mentions} == {"Acme"}
    # A mention that also names another watched brand counts for it too.
    assert sorted((m.source, m.title or m.text[:30]) for m in crawled.mentions
                  if m.brands == ("Acme", "Acme Buds")) == [
        ("hackernews", "Ask HN: Acme Buds Pro on Linux?"),
        ("reddit", "ACME buds pro keep disconnecting <help>")]
    assert all(m.sentiment is None for m in crawled.mentions)  # sentiment was off
    ratings = sorted(m.rating.value for m in crawled.mentions if m.rating)
    assert ratings == [1, 1, 2, 2, 4, 5, 5, 5]


def test_bluesky_search_logs_in_and_sends_its_token_with_search_requests_only(
        crawled: Crawled) -> None:
    logins = [json.loads(b) for b in crawled.posted if b.startswith("{")]
    assert logins == [{"identifier": "acme-watch.bsky.social",
                       "password": "abcd-efgh-ijkl-mnop"}]
    # The first token had expired: refreshed once with the refresh token, then the page
    # asked again and the next pages sent with the new token.
    one = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-one.sig1"
    two = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-two.sig3"
    refresh = "eyJ0eXAiOiJyZWZyZXNoK2p3dCIsImFsZyI6IkVTMjU2SyJ9.refresh-one.sig2"
    assert crawled.authorized[:3] == [
        (BLUESKY_SEARCH, f"Bearer {one}"),
        (BLUESKY_SESSION.format("refresh"), f"Bearer {refresh}"),
        (BLUESKY_SEARCH, f"Bearer {two}"),
    ]
    # The search hit's thread goes to the search server with the token, in any order with
    # the next pages; the feed's threads (public AppView) go without one.
    assert sorted(crawled.authorized[3:]) == sorted([
        (BLUESKY_SEARCH + "&cursor=25", f"Bearer {two}"),
        (BLUESKY_SEARCH + "&cursor=50", f"Bearer {two}"),
        (SEARCH_THREAD, f"Bearer {two}"),
    ])
    assert crawled.first["bluesky"]["mentionwatch/bluesky/refreshed"] == 1
    found = {m.text: (m.kind, m.lang, m.author.handle) for m in crawled.mentions
             if m.source == "bluesky"
             and m.author.handle not in {"@ann.bsky.social", "@bo.example.com"}}
    assert found == {
        "Two weeks with the Acme Phone X: battery easily lasts two days.":
            ("post", "en", "@cat.bsky.social"),
        "Acme 的客服很快就回复了，推荐！": ("post", "zh-Hans", "@dan.example.org"),
        "@cat.bsky.social mine too, the acme charger is great":
            ("comment", "en", "@eve.example.net"),
        "Acme should put this sensor in the Mini too.": ("comment", "en", "@eve.example.net"),
        "同感，我的也是两天一充。": ("comment", "zh-Hans", "@dan.example.org"),
    }


def test_bluesky_threads_give_replies_under_their_post(crawled: Crawled) -> None:
    by_id = {m.id: m for m in crawled.mentions if m.source == "bluesky"}
    parents = {m.text: by_id[m.parent_id].author.handle for m in by_id.values()
               if m.parent_id in by_id}
    # Direct replies are kept, deeper ones only when they name the brand: Cat's "nice"
    # under Bo's question is not; blocked and deleted replies are skipped, not errors.
    assert parents == {
        "Which lens did you shoot these with?": "@ann.bsky.social",
        "The stock one, Acme's night mode does the rest.": "@bo.example.com",
        "Acme should put this sensor in the Mini too.": "@ann.bsky.social",
        "同感，我的也是两天一充。": "@cat.bsky.social",
    }
    assert crawled.first["bluesky"]["mentionwatch/bluesky/threads_read"] == 3
    # Second crawl: only the thread whose reply count changed, and it has nothing new.
    assert crawled.second["bluesky"]["mentionwatch/bluesky/threads_read"] == 1


def test_bluesky_threads_per_crawl_are_bounded(tmp_path: Path) -> None:
    feed = 'type = "bluesky"\nactor = "ann.bsky.social"\n'
    routes = {BLUESKY: [Reply(file="bluesky/feed-page1.json")],
              BLUESKY + "&cursor=2026-11-19T15%3A00%3A00.000Z": [
                  Reply(file="bluesky/feed-end.json")],
              CAMERA_THREAD: [Reply(file="bluesky/thread-camera.json")],
              SUPPORT_THREAD: [Reply(file="bluesky/thread-support.json")]}
    with ReplayServer(routes) as server:
        (tmp_path / "mentionwatch.toml").write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n[[brands.sources]]\n'
            f'url = "{server.url}"\n{feed}', encoding="utf-8")
        stats = run_crawl(tmp_path / "mentionwatch.toml", tmp_path / "mentions.db",
                          MENTIONWATCH_BLUESKY_MAX_THREADS=1)
        received = [p for _, p in server.received]
    # The first thread of the page is read; Bo's waits for the next crawl.
    assert CAMERA_THREAD in received and SUPPORT_THREAD not in received
    assert stats["bluesky"]["mentionwatch/bluesky/threads_over_limit"] == 1
    assert stats["bluesky"]["item_scraped_count"] == 2 + 3
