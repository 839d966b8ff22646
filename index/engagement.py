"""How engaged an author is with a brand, and since when: the rules, once, for every store.

Four levels, each reached by a mention of the brand (the first that qualifies dates it):

    first_mention  their first mention of the brand
    repeat         a second mention
    recommends     a mention whose advocate record found recommendation intent (its
                   "recommends in N%" signal with N above 0: "I recommend", "强烈推荐")
    defends        a reply in a thread (kind comment, a `parent_id`) that is not negative,
                   under a stored mention that is negative, by someone else: they stand up
                   for the brand

An author's level is the highest reached; `history` says when each was, with the mention.

A store answers `MentionStore.engagement` from what these rules read of each of an author's
mentions of the brand (`Facts`), fed to a `Tally` in the order export gives them (oldest
first): it keeps the first mention to reach each level, as the store's own reference to it,
whose date and url the store then reads (`Tally.engagement`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from index.query import Field, Node, Or
from index.record import SentimentLabel

__all__ = ["LEVELS", "AuthorEngagement", "EngagementStep", "Facts", "Level", "Parent", "Tally",
           "by_authors", "defends", "recommends"]

Level = Literal["first_mention", "repeat", "recommends", "defends"]
LEVELS: tuple[Level, ...] = ("first_mention", "repeat", "recommends", "defends")


@dataclass(frozen=True, slots=True)
class EngagementStep:
    level: Level
    at: datetime | None  # when the mention that reached it was published
    url: str


@dataclass(frozen=True, slots=True)
class AuthorEngagement:
    level: Level
    mentions: int  # of the brand, every one, not only advocate mentions
    history: tuple[EngagementStep, ...]  # in the order of LEVELS, the levels reached


@dataclass(frozen=True, slots=True)
class Parent:
    """What the rules read of the stored mention a mention answers."""

    sentiment: SentimentLabel | None
    by_author: bool  # written by the same author (same source domain and handle, else name)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read of one of an author's mentions of the brand."""

    kind: str
    sentiment: SentimentLabel | None  # the overall label: a person's correction wins
    recommends: bool  # `recommends` of its advocate record's signals
    parent: Parent | None  # the mention its `parent_id` names, when that one is stored


def recommends(signals: Iterable[str]) -> bool:
    """Whether an advocate record's signals found recommendation intent: "recommends in N%"
    with N above 0 (the advocate scorer writes "recommends in 0%" when it found none)."""
    return any(s.startswith("recommends in ") and not s.startswith("recommends in 0%")
               for s in signals)


def defends(facts: Facts) -> bool:
    """Whether the mention stands up for the brand in a thread: a comment, not negative,
    under a negative mention by someone else."""
    parent = facts.parent
    return (facts.kind == "comment" and facts.sentiment is not None
            and facts.sentiment != "negative" and parent is not None
            and parent.sentiment == "negative" and not parent.by_author)


def _levels(position: int, facts: Facts) -> Iterator[Level]:
    """The levels a mention reaches, at `position` among the author's mentions of the
    brand, oldest first (0: the first)."""
    if position == 0:
        yield "first_mention"
    if position == 1:
        yield "repeat"
    if facts.recommends:
        yield "recommends"
    if defends(facts):
        yield "defends"


Ref = TypeVar("Ref")  # how a store refers to a mention until it reads its date and url


class Tally(Generic[Ref]):
    """One author's engagement with a brand, from their mentions of it fed in ascending
    position. A store may skip a mention whose `Facts` equal those of an earlier one, past
    the first two: it reaches no level the earlier one did not reach first."""

    __slots__ = ("first", "mentions")

    def __init__(self, mentions: int = 0) -> None:
        self.mentions = mentions  # how many, at least: each mention fed counts up to it
        self.first: dict[Level, Ref] = {}  # the mention that reached each level

    def add(self, position: int, facts: Facts, mention: Ref) -> None:
        self.mentions = max(self.mentions, position + 1)
        for level in _levels(position, facts):
            self.first.setdefault(level, mention)

    def engagement(self, read: Callable[[Ref], tuple[datetime | None, str]]
                   ) -> AuthorEngagement:
        """The result, with each level's mention's publication date and url by `read`."""
        steps = tuple(EngagementStep(level, *read(self.first[level]))
                      for level in LEVELS if level in self.first)
        return AuthorEngagement(steps[-1].level, self.mentions, steps)


def by_authors(keys: Iterable[str]) -> Node:
    """Any of the authors, by their `author_key`s: an indexed lookup of each."""
    return Or(tuple(Field("author", "=", author) for author in sorted(keys)))
