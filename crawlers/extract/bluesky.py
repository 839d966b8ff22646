"""Bluesky posts from an account's public feed (`app.bsky.feed.getAuthorFeed` on the public
AppView) or from search (`app.bsky.feed.searchPosts`, which needs an account since 2025:
a session from `com.atproto.server.createSession` on the account's server), paged with
`cursor`.

Threads (`app.bsky.feed.getPostThread`, two levels of replies) are read for the posts that
name a brand and have replies (`thread_roots`). A reply is kept when it names the brand, or
when it answers the brand post directly: it is about that post even when it does not repeat
the name, as Reddit keeps every comment of a brand's own subreddit. Deeper replies must name
the brand themselves. Blocked and deleted posts in a thread (`#blockedPost`,
`#notFoundPost`) are left out without an error.

A reply by one of the brand's accounts is its answer to the post it replies to, not a
mention; that parent is read with `app.bsky.feed.getPosts` when the crawl did not find it.

A post is known by its `at://` uri; a repost (`reason` of type `reasonRepost`) carries the
original post, which is what is kept. Follower counts need another call and are not fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlencode

from crawlers.extract.accounts import AccountReply, account_reply
from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import (
    as_int,
    build_each,
    items_at,
    load_json,
    warn,
    with_params,
)
from crawlers.extract.language import detect_lang
from index.record import Author, Engagement, Mention, mention_id

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = [
    "BASE_URL", "POSTS_PER_REQUEST", "SEARCH_BASE_URL", "SOURCE", "LoginFailed", "Session",
    "ThreadRoot", "extract_feed", "extract_search", "extract_thread", "feed_url", "login_body",
    "next_page", "posts_url", "read_session", "search_url", "session_url", "thread_roots",
    "thread_url", "xrpc_error",
]

SOURCE = "bluesky"
BASE_URL = "https://public.api.bsky.app"
# Search needs a session, which the account's server gives and which it proxies to the
# AppView; bsky.social hosts most accounts (`url` names another server).
SEARCH_BASE_URL = "https://bsky.social"
_APP = "https://bsky.app"
_PAGE_SIZE = 100  # the API's largest page
POSTS_PER_REQUEST = 25  # uris one getPosts answers
_THREAD_POST = "app.bsky.feed.defs#threadViewPost"  # not #blockedPost nor #notFoundPost


def feed_url(base: str, actor: str) -> str:
    return with_params(f"{base.rstrip('/')}/xrpc/app.bsky.feed.getAuthorFeed", actor=actor,
                       limit=_PAGE_SIZE)


def search_url(base: str, query: str) -> str:
    return with_params(f"{base.rstrip('/')}/xrpc/app.bsky.feed.searchPosts", q=query,
                       sort="latest", limit=_PAGE_SIZE)


def thread_url(base: str, uri: str) -> str:
    """A post's replies and theirs (`depth=2`), without the posts above it."""
    return with_params(f"{base.rstrip('/')}/xrpc/app.bsky.feed.getPostThread", uri=uri,
                       depth=2, parentHeight=0)


def posts_url(base: str, uris: Sequence[str]) -> str:
    """Posts by their uris, at most POSTS_PER_REQUEST (`getPosts` answers as search does:
    `posts`)."""
    return f"{base.rstrip('/')}/xrpc/app.bsky.feed.getPosts?" + urlencode(
        [("uris", uri) for uri in uris])


def session_url(base: str, method: str) -> str:
    """`com.atproto.server.<method>`: createSession or refreshSession."""
    return f"{base.rstrip('/')}/xrpc/com.atproto.server.{method}"


def login_body(identifier: str, password: str) -> bytes:
    return json.dumps({"identifier": identifier, "password": password}).encode()


class LoginFailed(ValueError):
    """Raised by `read_session` for a createSession/refreshSession answer without tokens."""


@dataclass(frozen=True, slots=True)
class Session:
    access: str  # `accessJwt`: the search requests' bearer token, short-lived
    refresh: str  # `refreshJwt`: only for refreshSession

    def __repr__(self) -> str:  # tokens are secrets: keep them out of logs
        return "Session(...)"


def xrpc_error(body: bytes) -> str:
    """An XRPC error answer's `error` and `message` ("ExpiredToken: Token has expired");
    empty when the body is not one."""
    data = load_json(body, "", on_error=lambda *_: None)
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return ""
    message = data.get("message")
    return f"{data['error']}: {message}" if isinstance(message, str) else data["error"]


def read_session(body: bytes, url: str) -> Session:
    """The tokens of a session answer; LoginFailed, saying why, for anything else."""
    data = load_json(body, url, on_error=lambda *_: None)
    access, refresh = (data.get(k) if isinstance(data, dict) else None
                       for k in ("accessJwt", "refreshJwt"))
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        raise LoginFailed(f"{url}: no session ({xrpc_error(body) or 'unexpected answer'})")
    return Session(access=access, refresh=refresh)


def extract_feed(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """Each post of the feed naming the brand, reposts as the original post, and the
    brand's accounts' replies."""
    return _extract(body, url, brand, "feed", collected_at, on_error)


def extract_search(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """Each post of a searchPosts (or getPosts) page naming the brand (search matches
    handles too), and the brand's accounts' replies."""
    return _extract(body, url, brand, "posts", collected_at, on_error)


class ThreadRoot(NamedTuple):
    """A post whose thread is worth reading: it names the brand and has replies."""

    uri: str
    replies: int  # its `replyCount` when found

    @property
    def seen_id(self) -> str:
        """What an incremental crawl remembers: a new reply changes it, so it is read again."""
        return f"thread {self.uri} {self.replies}"


def thread_roots(body: bytes, url: str, brand: Brand) -> list[ThreadRoot]:
    """The posts of a feed or search page that name the brand and have replies. Unreadable
    pages and posts give none: `extract_feed`/`extract_search` report them."""
    data = load_json(body, url, on_error=lambda *_: None)
    key = "feed" if isinstance(data, dict) and "feed" in data else "posts"
    roots = []
    for item in items_at(data, (key,), url, on_error=lambda *_: None):
        try:
            post = _post_view(item, key)
            replies = as_int(post.get("replyCount")) or 0
            if replies and brand.match(post["record"].get("text") or ""):
                roots.append(ThreadRoot(post["uri"], replies))
        except (KeyError, TypeError, AttributeError):
            continue
    return roots


def extract_thread(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """The replies of a getPostThread answer that name the brand or answer its post
    directly, each a comment under the post it answers; the brand's accounts' replies
    wherever they are."""
    data = load_json(body, url, on_error)
    thread = data.get("thread") if isinstance(data, dict) else None
    if not isinstance(thread, dict):
        if data is not None:
            (on_error or warn)("shape", f"{url}: no thread")
        return iter(())
    collected = collected_at or datetime.now(UTC)
    return build_each(_replies(thread, 1), url,
                      lambda reply: _mention(reply[1]["post"], brand, collected,
                                             match=reply[0] > 1), on_error)


def _replies(node: dict[str, Any], depth: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(depth, node) of each readable reply below `node`, depth first."""
    replies = node.get("replies")
    for reply in replies if isinstance(replies, list) else ():
        if isinstance(reply, dict) and reply.get("$type") == _THREAD_POST:
            yield depth, reply
            yield from _replies(reply, depth + 1)


def _extract(body: bytes, url: str, brand: Brand, key: str, collected_at: datetime | None,
             on_error: OnError | None) -> Iterator[Mention | AccountReply]:
    items = items_at(load_json(body, url, on_error), (key,), url, on_error)
    collected = collected_at or datetime.now(UTC)
    return build_each(items, url, lambda item: _mention(_post_view(item, key), brand, collected),
                      on_error)


def _post_view(item: dict[str, Any], key: str) -> dict[str, Any]:
    # A feed item wraps its post view (beside the repost `reason`); search gives the views.
    post: dict[str, Any] = item["post"] if key == "feed" else item
    return post


def _mention(post: dict[str, Any], brand: Brand, collected: datetime, *,
             match: bool = True) -> Mention | AccountReply | None:
    """A post view (`app.bsky.feed.defs#postView`) as a mention, if it names the brand
    (or, without `match`, if it has any text); a reply by the brand's account as that."""
    record = post["record"]
    text = (record.get("text") or "").strip()
    author = post["author"]
    handle = author.get("handle") or author["did"]
    profile = f"{_APP}/profile/{quote(handle)}"
    url = f"{profile}/post/{post['uri'].rsplit('/', 1)[-1]}"
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    if parent and text and (brand.accounts.owns(SOURCE, handle)
                            or brand.accounts.owns(SOURCE, author.get("did"))):
        return account_reply(SOURCE, post["uri"], brand, parent=parent, text=text,
                             author=f"@{handle}", url=url,
                             published_at=parse_date(record.get("createdAt")))
    terms = brand.match(text)
    if not text or (match and not terms):
        return None
    langs = record.get("langs") or [None]
    return Mention.create(
        source=SOURCE,
        native_id=post["uri"],
        kind="comment" if parent else "post",
        url=url,
        text=text,
        author=Author(name=author.get("displayName") or handle, handle=f"@{handle}",
                      url=profile),
        published_at=parse_date(record.get("createdAt")),
        collected_at=collected,
        lang=detect_lang(text, langs[0]),
        parent_id=mention_id(SOURCE, parent) if parent else None,
        engagement=Engagement(likes=as_int(post.get("likeCount")),
                              replies=as_int(post.get("replyCount")),
                              reposts=as_int(post.get("repostCount"))),
        brand=brand.name,
        matched_terms=terms,
    )


def next_page(body: bytes, url: str) -> str | None:
    """The same feed or search from `cursor`; None when the page has no cursor or no posts
    (search answers a cursor on its last page too)."""
    data = load_json(body, url, on_error=lambda *_: None)
    if not isinstance(data, dict) or not (data.get("feed") or data.get("posts")):
        return None
    cursor = data.get("cursor")
    return with_params(url, cursor=cursor) if isinstance(cursor, str) and cursor else None
