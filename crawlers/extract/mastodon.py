"""Mastodon statuses from a server's public tag timeline (`/api/v1/timelines/tag/{tag}`).

A status is known by its `uri`, the same on every server, not by `id`, which is local to
the server that served it; a boost wraps the original status in `reblog`, which is what is
kept. Pages go back with `max_id` (the `Link: <...>; rel="next"` header says so).

A status by one of the brand's accounts answering another (`in_reply_to_id`) is its reply,
not a mention. It names its parent by that server's local id, so the parent's `uri` (and
mention id) is known only once the parent is read from `/api/v1/statuses/{id}`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

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
from crawlers.extract.markup import html_to_text
from index.record import Author, Engagement, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["SOURCE", "account_id", "account_statuses_url", "extract_status",
           "extract_statuses", "lookup_url", "next_page", "status_url", "tag_url"]

SOURCE = "mastodon"
_PAGE_SIZE = 40  # the API's largest page
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def tag_url(instance: str, tag: str) -> str:
    return f"{instance.rstrip('/')}/api/v1/timelines/tag/{quote(tag)}?limit={_PAGE_SIZE}"


def lookup_url(instance: str, handle: str) -> str:
    """The account `@user@server` as `instance` knows it (`/api/v1/accounts/lookup`)."""
    return with_params(f"{instance.rstrip('/')}/api/v1/accounts/lookup",
                       acct=handle.strip().removeprefix("@"))


def account_id(body: bytes, url: str) -> str | None:
    """The local id of a lookup's account; None when the answer is not an account."""
    data = load_json(body, url)
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def account_statuses_url(instance: str, local_id: str) -> str:
    """An account's newest statuses, its replies among them, without its boosts."""
    return (f"{instance.rstrip('/')}/api/v1/accounts/{quote(local_id)}/statuses"
            f"?exclude_reblogs=true&limit={_PAGE_SIZE}")


def status_url(instance: str, local_id: str) -> str:
    return f"{instance.rstrip('/')}/api/v1/statuses/{quote(local_id)}"


def extract_statuses(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """Each public status naming the brand, boosts unwrapped to the boosted status, and the
    brand's accounts' replies."""
    statuses = items_at(load_json(body, url, on_error), (), url, on_error)
    collected = collected_at or datetime.now(UTC)
    return build_each(statuses, url, lambda status: _build(status, brand, collected), on_error)


def extract_status(
    body: bytes, url: str, brand: Brand, *, collected_at: datetime | None = None,
    on_error: OnError | None = None,
) -> Iterator[Mention | AccountReply]:
    """The one status of a `/api/v1/statuses/{id}` answer, as `extract_statuses` reads it."""
    status = load_json(body, url, on_error)
    if not isinstance(status, dict):
        if status is not None:
            (on_error or warn)("shape", f"{url}: not a status")
        return iter(())
    collected = collected_at or datetime.now(UTC)
    return build_each([status], url, lambda one: _build(one, brand, collected), on_error)


def _full_acct(account: dict[str, Any]) -> str:
    """`user@server` also for an account of the server that answered, which gives `user`."""
    acct: str = account["acct"]
    host = urlsplit(account.get("url") or "").hostname
    return acct if "@" in acct or not host else f"{acct}@{host}"


def _build(status: dict[str, Any], brand: Brand, collected: datetime
           ) -> Mention | AccountReply | None:
    status = status.get("reblog") or status
    text = html_to_text(status.get("content") or "")
    account = status["account"]
    parent = status.get("in_reply_to_id")
    if parent and text and brand.accounts.owns(SOURCE, _full_acct(account)):
        return account_reply(SOURCE, status["uri"], brand, parent=str(parent), text=text,
                             author=f"@{_full_acct(account)}",
                             url=status.get("url") or status["uri"],
                             published_at=parse_date(status.get("created_at")),
                             parent_known=False)
    warning = html_to_text(status.get("spoiler_text") or "") or None
    terms = brand.match(f"{warning or ''}\n{text}")
    if not terms or not text:
        return None
    return Mention.create(
        source=SOURCE,
        native_id=status["uri"],
        kind="comment" if parent else "post",
        url=status.get("url") or status["uri"],
        text=text,
        author=Author(name=account.get("display_name") or account["acct"],
                      handle=f"@{account['acct']}", url=account.get("url"),
                      followers=as_int(account.get("followers_count"))),
        published_at=parse_date(status.get("created_at")),
        collected_at=collected,
        title=warning,  # a content warning reads as the post's title
        lang=detect_lang(text, status.get("language")),
        engagement=Engagement(likes=as_int(status.get("favourites_count")),
                              replies=as_int(status.get("replies_count")),
                              reposts=as_int(status.get("reblogs_count"))),
        brand=brand.name,
        matched_terms=terms,
    )


def next_page(body: bytes, url: str, link: str | None = None) -> str | None:
    """The `rel="next"` URL of the `Link` header, else the same timeline before the last
    status of this page; None on an empty page."""
    data = load_json(body, url, on_error=lambda *_: None)
    if not isinstance(data, list) or not data:
        return None
    if link and (found := _NEXT.search(link)):
        return found[1]
    last = data[-1].get("id") if isinstance(data[-1], dict) else None
    return with_params(url, max_id=last) if isinstance(last, str) and last else None
