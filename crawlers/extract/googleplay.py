"""Google Play reviews from the web store's undocumented `batchexecute` RPC (`UsvDTd`).

Nothing here is a published format: positions in nested arrays were read from real
responses and change without notice. So this module checks every position it uses and
raises `PlayFormatChanged` on any surprise, never returning nothing in silence; the canary
test (tests/crawlers/test_extract_googleplay.py) fails first when Google changes it.

The developer's reply sits at position 7 of a review row: `[developer name, text, [epoch
seconds, nanos]]` (google-play-scraper's `replyContent` and `repliedAt`), or null.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from crawlers.extract.dates import parse_date
from crawlers.extract.jsonapi import as_int, with_params
from crawlers.extract.language import detect_lang
from crawlers.extract.rating import infer_rating
from index.record import Author, BrandReply, Engagement, Mention

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["BASE_URL", "SOURCE", "PlayFormatChanged", "extract_reviews", "next_token",
           "request_body", "rpc_url"]

SOURCE = "googleplay"
BASE_URL = "https://play.google.com"
_RPC = "UsvDTd"
_PAGE_SIZE = 100
_NEWEST = 2  # sort order code for "newest first"
_PREFIX = ")]}'"


class PlayFormatChanged(ValueError):
    """Raised by this module's readers when a response is not shaped as recorded."""


def rpc_url(base: str, lang: str, country: str) -> str:
    return with_params(f"{base.rstrip('/')}/_/PlayStoreUi/data/batchexecute", rpcids=_RPC,
                       hl=lang, gl=country)


def request_body(app_id: str, token: str | None = None) -> str:
    """The form body asking for the newest reviews of `app_id`, after `token` if given."""
    args = [None, None, [2, _NEWEST, [_PAGE_SIZE, None, token]], [app_id, 7]]
    envelope = [[[_RPC, json.dumps(args, separators=(",", ":")), None, "generic"]]]
    return "f.req=" + quote(json.dumps(envelope, separators=(",", ":")), safe="")


def _payload(body: bytes, url: str) -> list[Any]:
    """The decoded reply of the `UsvDTd` call inside the batch response."""
    text = body.decode("utf-8", errors="replace")
    if not text.startswith(_PREFIX):
        raise PlayFormatChanged(f"{url}: no {_PREFIX!r} prefix")
    decoder, pos = json.JSONDecoder(), len(_PREFIX)
    while pos < len(text):
        while pos < len(text) and (text[pos].isspace() or text[pos].isdigit()):
            pos += 1  # blank lines and the chunk lengths between JSON chunks
        if pos >= len(text):
            break
        try:
            chunk, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            raise PlayFormatChanged(f"{url}: unreadable chunk: {exc!r}") from exc
        for envelope in chunk if isinstance(chunk, list) else []:
            if isinstance(envelope, list) and envelope[:2] == ["wrb.fr", _RPC]:
                if not isinstance(envelope[2], str):
                    raise PlayFormatChanged(f"{url}: {_RPC} reply is empty (request refused?)")
                try:
                    payload = json.loads(envelope[2])
                except (ValueError, RecursionError) as exc:
                    raise PlayFormatChanged(f"{url}: unreadable {_RPC} reply: {exc!r}") from exc
                if not isinstance(payload, list) or not payload:
                    raise PlayFormatChanged(f"{url}: {_RPC} reply is not a list")
                return payload
    raise PlayFormatChanged(f"{url}: no {_RPC} reply in the batch")


def _at(value: Any, *path: int) -> Any:
    for index in path:
        if not isinstance(value, list) or len(value) <= index:
            return None
        value = value[index]
    return value


def _review(row: Any, url: str, app_id: str, lang: str, brand: str | None,
            collected: datetime) -> Mention | None:
    review_id, name, stars, text = _at(row, 0), _at(row, 1, 0), _at(row, 2), _at(row, 4)
    seconds = _at(row, 5, 0)
    if not (isinstance(review_id, str) and isinstance(name, str) and isinstance(stars, int)
            and 1 <= stars <= 5 and isinstance(seconds, int) and isinstance(text, str | None)):
        raise PlayFormatChanged(f"{url}: review row not as recorded: {str(row)[:200]}")
    if not text or not text.strip():
        return None  # a rating without words
    return Mention.create(
        source=SOURCE,
        native_id=review_id,
        kind="review",
        url=f"{BASE_URL}/store/apps/details?id={quote(app_id)}&reviewId={quote(review_id)}",
        text=text.strip(),
        author=Author(name=name),
        published_at=parse_date(seconds),
        collected_at=collected,
        lang=detect_lang(text, lang),  # the store answers in the language asked for
        rating=infer_rating(stars, 5, 1),
        engagement=Engagement(likes=as_int(_at(row, 6))),
        brand=brand,
        brand_replies=_reply(row, url, brand),
    )


def _reply(row: list[Any], url: str, brand: str | None) -> tuple[BrandReply, ...]:
    """The developer's reply to the review, if any; its time may be missing."""
    reply = _at(row, 7)
    if reply is None:
        return ()
    developer, text, seconds = _at(reply, 0), _at(reply, 1), _at(reply, 2, 0)
    if not (isinstance(text, str) and text.strip() and isinstance(developer, str | None)
            and isinstance(seconds, int | None)):
        raise PlayFormatChanged(f"{url}: developer reply not as recorded: {str(reply)[:200]}")
    return (BrandReply(text=text.strip(), author=developer or brand or "",
                       published_at=parse_date(seconds)),)


def extract_reviews(body: bytes, url: str, *, app_id: str, lang: str, brand: str | None = None,
                    collected_at: datetime | None = None) -> Iterator[Mention]:
    """Each review with text. Raises PlayFormatChanged when the response is not shaped as
    recorded; an app without reviews is an empty list, not an error."""
    rows = _payload(body, url)[0]
    if rows is None:
        return iter(())
    if not isinstance(rows, list):
        raise PlayFormatChanged(f"{url}: reviews are not a list")
    collected = collected_at or datetime.now(UTC)
    mentions = [_review(row, url, app_id, lang, brand, collected) for row in rows]
    return iter([m for m in mentions if m is not None])


def next_token(body: bytes, url: str) -> str | None:
    """The token for the next page of reviews; None on the last page."""
    token = _at(_payload(body, url), 1, 1)
    return token if isinstance(token, str) and token else None
