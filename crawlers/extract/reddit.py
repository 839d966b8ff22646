"""Reddit listings (`/search.json`, `/r/{sub}/new.json`, `/r/{sub}/comments.json`, and
`/api/info.json` for one thing by its name) as mentions: `t3` things are posts, `t1` things
comments. A comment by one of the brand's accounts is its reply to the post or comment it
answers (`parent_id`), not a mention.

Requests ask for `raw_json=1`, so text arrives as written, not HTML-entity encoded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from crawlers.extract.accounts import AccountReply, account_reply
from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import as_int, build_each, items_at, load_json, with_params
from crawlers.extract.language import detect_lang
from index.record import Author, Engagement, Mention, mention_id

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["BASE_URL", "SOURCE", "THINGS_PER_REQUEST", "extract_listing", "listing_urls",
           "next_page", "things_url", "user_comments_url"]

SOURCE = "reddit"
BASE_URL = "https://www.reddit.com"
_GONE = frozenset({"", "[deleted]", "[removed]"})
_PAGE_SIZE = 100  # the API's largest page
THINGS_PER_REQUEST = 100  # names one /api/info.json answers


def listing_urls(base: str, query: str | None, subreddit: str | None) -> list[str]:
    """Newest first: a search (in a subreddit if one is given), else a subreddit's new posts
    and its new comments."""
    base = base.rstrip("/")
    common: dict[str, str | int] = {"sort": "new", "raw_json": 1, "limit": _PAGE_SIZE}
    if query and subreddit:
        return [with_params(f"{base}/r/{subreddit}/search.json", q=query, restrict_sr=1,
                            **common)]
    if query:
        return [with_params(f"{base}/search.json", q=query, **common)]
    return [with_params(f"{base}/r/{subreddit}/{listing}.json", raw_json=1, limit=_PAGE_SIZE)
            for listing in ("new", "comments")]


def user_comments_url(base: str, user: str) -> str:
    """A user's newest comments (`u/` or not)."""
    name = user.strip().removeprefix("/").removeprefix("u/")
    return with_params(f"{base.rstrip('/')}/user/{name}/comments.json", sort="new", raw_json=1,
                       limit=_PAGE_SIZE)


def things_url(base: str, names: Sequence[str]) -> str:
    """The listing of posts and comments by their names (`t1_...`, `t3_...`), at most
    THINGS_PER_REQUEST."""
    return with_params(f"{base.rstrip('/')}/api/info.json", id=",".join(names), raw_json=1)


def extract_listing(
    body: bytes, url: str, brand: Brand, *, match: bool = True,
    collected_at: datetime | None = None, on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """Each post or comment of a listing; with `match`, only those naming the brand. The
    brand's accounts' comments are its replies, whatever they say."""
    children = items_at(load_json(body, url, on_error), ("data", "children"), url, on_error)
    collected = collected_at or datetime.now(UTC)

    def build(child: dict[str, Any]) -> Mention | AccountReply | None:
        kind, data = child["kind"], child["data"]
        if kind == "t3":
            title = data["title"]
            selftext = data.get("selftext") or ""
            text = title if selftext in _GONE else selftext
            engagement = Engagement(score=as_int(data.get("score")),
                                    replies=as_int(data.get("num_comments")))
        elif kind == "t1":
            title, text = None, data["body"]
            engagement = Engagement(score=as_int(data.get("score")))
        else:  # "more" stubs and other kinds carry no text
            return None
        parent = data.get("parent_id") if kind == "t1" else None
        author = data.get("author") or ""
        if parent and text not in _GONE and brand.accounts.owns(SOURCE, author):
            return account_reply(SOURCE, data["name"], brand, parent=parent, text=text,
                                 author=f"u/{author}", url=urljoin(url, data["permalink"]),
                                 published_at=parse_date(data.get("created_utc")))
        terms = brand.match(f"{title or ''}\n{text}")
        if (match and not terms) or text in _GONE:
            return None
        return Mention.create(
            source=SOURCE,
            native_id=data["name"],
            kind="post" if kind == "t3" else "comment",
            url=urljoin(url, data["permalink"]),
            text=text,
            author=_author(author, url),
            published_at=parse_date(data.get("created_utc")),
            collected_at=collected,
            title=title,
            lang=detect_lang(f"{title or ''}\n{text}"),
            parent_id=mention_id(SOURCE, parent) if parent else None,
            engagement=engagement,
            brand=brand.name,
            matched_terms=terms,
        )

    return build_each(children, url, build, on_error)


def _author(name: str, url: str) -> Author:
    if name in _GONE:
        return Author(name="")
    return Author(name=name, handle=f"u/{name}", url=urljoin(url, f"/user/{name}"))


def next_page(body: bytes, url: str) -> str | None:
    """The listing's next page (its `after` cursor), or None at the end."""
    data = load_json(body, url, on_error=lambda *_: None)
    after = data.get("data", {}).get("after") if isinstance(data, dict) else None
    return with_params(url, after=after) if isinstance(after, str) and after else None
