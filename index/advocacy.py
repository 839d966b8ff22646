"""What "an advocate turned negative" means, once, for the `advocate_turned_negative` alert
rule and the inbox's reason of that name (README, "Advocates turned negative"):

- a mention is *negative* when its overall sentiment is (a person's correction wins) or it
  is rated 1-2 stars (other scales read as stars: 2 of 0..10 is 1.8);
- it is an *advocate mention* when its advocate record scores at least `ADVOCATE_SCORE`
  (the advocates view's default) and it is not negative: what makes its author a lead;
- a negative mention is an advocate's *turning negative* when its author (one source
  domain and one handle, else name: `keys.author_key`, as leads tell authors apart) wrote
  at least `MIN_MENTIONS` advocate mentions of the brand in the `HISTORY_DAYS` before it.

Pure: the callers read the author's earlier mentions of the brand (`author=` and a date
range, `earlier_query`) and pass them in.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from index.keys import author_key
from index.query import Field, Node, conjoin
from index.record import Mention

__all__ = ["ADVOCATE_SCORE", "HISTORY_DAYS", "LOW_STARS", "MIN_MENTIONS", "Turned",
           "author_of", "earlier_query", "is_advocate_mention", "is_low_rated", "is_negative",
           "stars", "turned_negative"]

ADVOCATE_SCORE = 0.5
HISTORY_DAYS = 90
MIN_MENTIONS = 1
#: A rating at or below this many stars (on a 1..5 reading of any scale) is negative.
LOW_STARS = 2


@dataclass(frozen=True, slots=True)
class Turned:
    """Why a negative mention is an advocate's turning negative."""

    advocate_mentions: int  # the author's, in the window before it
    mean_score: float  # their mean sentiment score (0 for one without): what it was
    persona: str | None  # of the latest of them that has one


def stars(mention: Mention) -> float | None:
    """The rating as 1..5 stars, whatever its scale; None when unrated."""
    return 1 + 4 * mention.rating.normalized if mention.rating else None


def is_low_rated(mention: Mention) -> bool:
    return (rated := stars(mention)) is not None and rated <= LOW_STARS


def is_negative(mention: Mention) -> bool:
    label = mention.sentiment.label if mention.sentiment else None
    return label == "negative" or is_low_rated(mention)


def is_advocate_mention(mention: Mention, min_score: float = ADVOCATE_SCORE) -> bool:
    advocate = mention.advocate
    return advocate is not None and advocate.score >= min_score and not is_negative(mention)


def author_of(mention: Mention) -> str:
    """Its author's key (`domain/who`)."""
    return author_key(mention.source_domain, mention.author.handle, mention.author.name)


def earlier_query(mention: Mention, days: int = HISTORY_DAYS) -> Node:
    """The author's mentions in the `days` before `mention` (which must be dated): with
    the brand's filter, what `turned_negative` reads."""
    assert mention.published_at is not None
    since = mention.published_at - timedelta(days=days)
    return conjoin([Field("author", "=", author_of(mention)),
                    Field("published", "..", (since, mention.published_at))])


def turned_negative(mention: Mention, earlier: Iterable[Mention], *,
                    min_score: float = ADVOCATE_SCORE, min_mentions: int = MIN_MENTIONS,
                    history_days: int = HISTORY_DAYS) -> Turned | None:
    """Whether `mention` is an advocate's turning negative, given mentions of the brand
    that include its author's earlier ones (others, and later ones, are ignored); None
    when it is not negative, is undated, or its author was no advocate."""
    at = mention.published_at
    if at is None or not is_negative(mention):
        return None
    who, since = author_of(mention), at - timedelta(days=history_days)
    advocacy = sorted(
        (m for m in earlier
         if m.published_at is not None and since <= m.published_at < at
         and is_advocate_mention(m, min_score) and author_of(m) == who),
        key=lambda m: (m.published_at, m.id))
    if not advocacy or len(advocacy) < min_mentions:
        return None
    scores = [m.sentiment.score if m.sentiment else 0.0 for m in advocacy]
    persona = next((m.advocate.persona for m in reversed(advocacy)
                    if m.advocate and m.advocate.persona), None)
    return Turned(len(advocacy), round(statistics.fmean(scores), 2), persona)
