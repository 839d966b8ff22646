"""How engaged each author is with a brand, and since when, from the stored records alone.

Four levels, each reached by a mention of the brand (the first that qualifies dates it):

    first_mention  their first mention of the brand
    repeat         a second mention
    recommends     a mention whose advocate record found recommendation intent (its
                   "recommends in N%" signal with N above 0: "I recommend", "强烈推荐")
    defends        a reply in a thread (kind comment, a `parent_id`) that is not negative,
                   under a stored mention that is negative: they stand up for the brand

An author's level is the highest reached; `history` says when each was, with the mention.
One export query serves up to 200 authors asked about, and parents are read by id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from index.backend import Filters, MentionStore
from index.keys import author_key
from index.query import Field, Node, Or
from index.record import Mention

__all__ = ["LEVELS", "AuthorEngagement", "EngagementStep", "Level", "by_authors", "engagement_of",
           "key_of"]

Level = Literal["first_mention", "repeat", "recommends", "defends"]
LEVELS: tuple[Level, ...] = ("first_mention", "repeat", "recommends", "defends")
_BATCH = 200  # authors per query


class EngagementStep(BaseModel):
    level: Level
    at: datetime | None  # when the mention that reached it was published
    url: str


class AuthorEngagement(BaseModel):
    level: Level
    mentions: int  # of the brand, every one, not only advocate mentions
    history: list[EngagementStep]  # in the order of LEVELS, the levels reached


def key_of(mention: Mention) -> str:
    """The mention's author key (`domain/who`)."""
    return author_key(mention.source_domain, mention.author.handle, mention.author.name)


def _recommends(mention: Mention) -> bool:
    signals = mention.advocate.signals if mention.advocate else ()
    return any(s.startswith("recommends in ") and not s.startswith("recommends in 0%")
               for s in signals)


def _defends(mention: Mention, parents: dict[str, Mention]) -> bool:
    parent = parents.get(mention.parent_id or "")
    label = mention.sentiment.label if mention.sentiment else None
    return (mention.kind == "comment" and label is not None and label != "negative"
            and parent is not None and parent.sentiment is not None
            and parent.sentiment.label == "negative" and key_of(parent) != key_of(mention))


def _history(mentions: Sequence[Mention], parents: dict[str, Mention]) -> AuthorEngagement:
    """`mentions` oldest first (as export gives them)."""
    reached = {
        "first_mention": mentions[0],
        "repeat": mentions[1] if len(mentions) > 1 else None,
        "recommends": next((m for m in mentions if _recommends(m)), None),
        "defends": next((m for m in mentions if _defends(m, parents)), None),
    }
    steps = [EngagementStep(level=level, at=found.published_at, url=found.url)
             for level in LEVELS if (found := reached[level]) is not None]
    return AuthorEngagement(level=steps[-1].level, mentions=len(mentions), history=steps)


def by_authors(keys: Iterable[str]) -> Node:
    """Any of the authors, by their `author_key`s: an indexed lookup of each."""
    return Or(tuple(Field("author", "=", author) for author in sorted(keys)))


def engagement_of(store: MentionStore, brand: str,
                  keys: Sequence[str]) -> dict[str, AuthorEngagement]:
    """Each of the authors' (`author_key`s) engagement with `brand`; an author with no
    mention of it is left out."""
    found: dict[str, list[Mention]] = defaultdict(list)
    # A query per batch of authors: one for all of an export's 10,000 leads would pass
    # SQLite's limit of bound values and Elasticsearch's of clauses.
    for start in range(0, len(keys), _BATCH):
        for mention in store.export(by_authors(keys[start:start + _BATCH]),
                                    Filters(brand=brand)):
            found[key_of(mention)].append(mention)
    parent_ids = {m.parent_id for ms in found.values() for m in ms
                  if m.parent_id and m.kind == "comment"}
    parents = {p.id: p for p in map(store.get, sorted(parent_ids)) if p is not None}
    return {key: _history(mentions, parents) for key, mentions in found.items()}

