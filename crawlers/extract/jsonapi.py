"""Shared by the extractors of JSON APIs (Reddit, Hacker News, Mastodon, Bluesky, App Store):
decoding a body that may be truncated, reading counts, and building next-page URLs."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MAX_ITEMS", "OnError", "as_int", "build_each", "items_at", "load_json", "warn",
           "with_params"]

OnError = Callable[[str, str], None]
"""Called with (reason, detail) for a page or item that could not be read: "json" for a
body that is not JSON, "shape" for JSON that is not the expected structure, "item" for one
unusable item, "too_many_items" for the items of a page past MAX_ITEMS. The default logs a
warning."""

# Items read per page: APIs send 100 at most; a hostile answer's 100,000 would take seconds.
MAX_ITEMS = 1000

_MAX_COUNT = 2**63 - 1
Built = TypeVar("Built")  # what an extractor makes of an item: a mention, an account's reply
_log = logging.getLogger(__name__)


def warn(reason: str, detail: str) -> None:
    _log.warning("unreadable %s: %s", reason, detail)


def load_json(body: bytes, url: str, on_error: OnError | None = None) -> Any:
    """The decoded body; None (reported as "json") when it is empty, truncated or not JSON."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        (on_error or warn)("json", f"{url}: {exc}")
        return None


def as_int(value: object) -> int | None:
    """A count as sources send it (3, "3", 3.0); None for anything else, a negative, or a
    number past SQLite's integer range (no real count is: infinity, "9" * 5000)."""
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else None
    elif isinstance(value, float):
        value = int(value) if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT:
        return value
    return None


def with_params(url: str, **params: str | int | None) -> str:
    """`url` with these query parameters set (replaced if present, removed when None)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def items_at(data: Any, path: tuple[str, ...], url: str, on_error: OnError | None = None
             ) -> list[Any]:
    """The list at `path` (`("data", "children")`; `()`: the body itself) in a decoded body;
    empty, and reported as "shape", when the body is not shaped that way. A body that was
    not JSON (None) was reported already."""
    value = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, list):
        return value
    if data is not None:
        where = ".".join(path) or "the top level"
        (on_error or warn)("shape", f"{url}: no list at {where}")
    return []


def build_each(items: Iterable[Any], url: str, build: Callable[[Any], Built | None],
               on_error: OnError | None = None) -> Iterator[Built]:
    """`build(item)` (a mention, say) for each item, skipping the Nones; an item too
    malformed to build (a missing key, a wrong type, a value the record refuses) is reported
    as "item" and skipped. Items past MAX_ITEMS are not read, and reported as
    "too_many_items"."""
    for index, item in enumerate(items):
        if index == MAX_ITEMS:
            (on_error or warn)("too_many_items", f"{url}: items past {MAX_ITEMS} not read")
            break
        try:
            built = build(item)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            (on_error or warn)("item", f"{url}: item {index}: {exc!r}")
            continue
        if built is not None:
            yield built
