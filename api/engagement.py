"""How engaged each lead is with a brand, and since when (the levels and their rules are in
`index.engagement`): the store's aggregation of its stored records."""

from __future__ import annotations

from collections.abc import Sequence

from index.backend import MentionStore
from index.engagement import AuthorEngagement
from index.keys import author_key
from index.record import Mention

__all__ = ["engagement_of", "key_of"]


def key_of(mention: Mention) -> str:
    """The mention's author key (`domain/who`)."""
    return author_key(mention.source_domain, mention.author.handle, mention.author.name)


def engagement_of(store: MentionStore, brand: str,
                  keys: Sequence[str]) -> dict[str, AuthorEngagement]:
    """Each of the authors' (`author_key`s) engagement with `brand`; an author with no
    mention of it is left out."""
    return store.engagement(brand, keys)
