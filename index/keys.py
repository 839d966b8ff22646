"""The normalised keys filters compare: one spelling per value, whoever stores or asks.

A backend stores `key(brand)` and a query's `brand:ACME` is compared as `key("ACME")`, so
filters ignore case, width and stray spaces the same way in every backend.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = ["author_key", "author_key_parts", "author_parts", "handle_key", "key", "lang_key",
           "spelled"]


def key(value: str) -> str:
    """NFKC-normalised, trimmed and casefolded: `ACME ` in full-width letters is `acme`."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def lang_key(value: str) -> str:
    """A language tag's key: `zh_Hans` and `ZH-hans` are both `zh-hans`."""
    return key(value).replace("_", "-")


def handle_key(value: str) -> str:
    """An author handle's key, without the leading '@'."""
    return key(value).removeprefix("@")


def spelled(value_key: str, names: Iterable[str]) -> str:
    """How people spell the key `value_key`: the first of `names` with that key (a
    mention's `brands`), else the key itself."""
    return next((name for name in names if key(name) == value_key), value_key)


def author_parts(source_domain: str, handle: str | None, name: str) -> tuple[str, str]:
    """Who wrote a mention, as advocate leads group authors: the source domain and the
    handle, else the name, as keys (the same name elsewhere may be someone else)."""
    return key(source_domain), handle_key(handle) if handle else key(name)


def author_key(source_domain: str, handle: str | None, name: str) -> str:
    """`author_parts` as one string people can type, `domain/who` (`reddit.com/maya_c`): a
    domain has no '/', so the first one splits them again."""
    return "/".join(author_parts(source_domain, handle, name))


def author_key_parts(value: str) -> tuple[str, str]:
    """An `author_key`'s two parts again, as keys: (domain, who); who is empty without a '/'."""
    domain, _, who = value.partition("/")
    return key(domain), key(who)
