"""Which watched brands a mention names: every one counts it, the first is its primary brand."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from index.record import Author, Mention
    from index.watchlist import Brand

__all__ = ["is_brand_account", "matches", "naming_all"]


def matches(brands: Sequence[Brand], text: str) -> list[tuple[Brand, tuple[str, ...]]]:
    """Each brand `text` names, in watchlist order, with its terms found."""
    return [(brand, terms) for brand in brands if (terms := brand.match(text))]


def naming_all(mention: Mention, watched: Sequence[Brand]) -> Mention:
    """`mention`, found for its `brand`, with the other watched brands its title or text
    names added after it (and their terms to `matched_terms`)."""
    others = [(brand, terms) for brand, terms in
              matches(watched, f"{mention.title or ''}\n{mention.text}")
              if brand.name != mention.brand]
    if mention.brand is None or not others:
        return mention
    found = (*mention.matched_terms, *(term for _, terms in others for term in terms))
    return mention.with_(brands=(mention.brand, *(brand.name for brand, _ in others)),
                         matched_terms=tuple(dict.fromkeys(found)))


def _squash(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def is_brand_account(author: Author, brand: str) -> bool:
    """Whether the author is the brand itself ("Acme Newsroom", @acme): never its advocate,
    and its answers to a review are the brand's replies. A brand name of no letters or digits
    names no one."""
    key = _squash(brand)
    return bool(key) and any(key in _squash(name) for name in (author.handle, author.name) if name)
