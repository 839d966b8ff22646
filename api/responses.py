"""Response metrics: how often and how fast a brand answers what people say about it, per
source, over a period, beside every other watched brand (their public replies are the
benchmark).

- What can be answered: mentions of kind review, post or comment (`ANSWERABLE`): a review
  gets a company reply, a post or comment a reply by one of the brand's accounts; an article
  or an AI answer has no one to answer. A mention counts for every brand it names (as
  `brand:` finds it), and is answered when it has a brand reply, dated or not.
- The period is of publication: the mentions published in it, answered at any time since.
- Rate: answered / answerable. Time to first response: from `published_at` to
  `first_reply_at`, over the answered mentions with both dates; the median and p90 are
  nearest ranks (the time within which half, and nine in ten, of those answers came), to
  the minute (to the hour beyond a day).
- Unanswered negatives: their count and the query that lists them.
- Answered against unanswered: the mean rating (as 1-5 stars) and the negative share (of
  those with a sentiment), with their counts, each with a two-sided test when both sides
  have `MIN_SAMPLE`: Mann-Whitney U on the ratings (normal approximation, tie-corrected,
  continuity-corrected) and a pooled two-proportion z test on the negative shares. A
  difference is an association, not an effect of answering: brands answer complaints first.

Each figure carries the query-language text it was counted with, duplicates counted once as
search counts them, so searching for it lists the mentions behind it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from api.alerts.significance import rank_difference, share_difference
from api.deps import SettingsDep, StoreDep
from api.overview import Day, PeriodOut, brands_in, period_of, watched_brands
from api.querytext import all_of, days, quoted
from index.backend import Filters, MentionStore, ResponseCount, ResponseCounts, ResponseTime
from index.keys import key
from index.record import Kind

__all__ = [
    "ANSWERABLE",
    "MIN_SAMPLE",
    "ResponsesOut",
    "nearest_rank",
    "responses_report",
    "responses_table",
    "router",
]

#: The kinds of mention a brand can answer.
ANSWERABLE: tuple[Kind, ...] = ("review", "post", "comment")
#: The fewest mentions on each side (answered, unanswered) a test is run on.
MIN_SAMPLE = 10
_ALPHA = 0.05
_KINDS = "(" + " OR ".join(f"kind:{kind}" for kind in ANSWERABLE) + ")"
_COLLAPSED = Filters(collapse=True)  # as search counts: a syndicated text once


class CountOut(BaseModel):
    count: int
    query: str  # what to search for to list the mentions counted


class GroupOut(CountOut):
    """The answered, or the unanswered, answerable mentions."""

    rated: int
    mean_rating: float | None  # as 1-5 stars (any scale read as stars)
    with_sentiment: int
    negative: int
    negative_share: float | None  # negative / with_sentiment


class TestOut(BaseModel):
    method: str
    p_value: float | None  # None: not tested, `note` says why
    significant: bool | None  # p < 0.05
    note: str


class FiguresOut(BaseModel):
    source: str | None  # None: every source
    answerable: CountOut
    rate: float | None  # answered / answerable
    timed: int  # the answered with a dated mention and a dated reply
    median_seconds: int | None
    p90_seconds: int | None
    unanswered_negative: CountOut
    answered: GroupOut
    unanswered: GroupOut
    rating_test: TestOut
    negative_test: TestOut


class BrandOut(BaseModel):
    brand: str
    competitor: bool
    total: FiguresOut
    sources: list[FiguresOut]  # most answerable first


class ResponsesOut(BaseModel):
    brand: str
    period: PeriodOut
    kinds: list[str]  # what can be answered
    brands: list[BrandOut]  # the brand first, then the other watched brands


# --- statistics -----------------------------------------------------------------------------


def nearest_rank(counts: Mapping[int, int], share: float) -> int | None:
    """The smallest value at or below which at least `share` of the counted values lie
    (`counts`: value -> how many); None when nothing is counted."""
    total = sum(counts.values())
    if not total:
        return None
    rank, seen = math.ceil(share * total), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


def _tested(method: str, p_value: float | None, why_not: str) -> TestOut:
    if p_value is None:
        return TestOut(method=method, p_value=None, significant=None, note=why_not)
    significant = p_value < _ALPHA
    return TestOut(method=method, p_value=round(p_value, 4), significant=significant,
                   note=f"{'a' if significant else 'no'} significant difference at 5%")


def _too_few(what: str, answered: int, unanswered: int) -> str | None:
    if min(answered, unanswered) >= MIN_SAMPLE:
        return None
    return (f"too few to test: {answered} answered and {unanswered} unanswered {what}; "
            f"each side needs {MIN_SAMPLE}")


def _rating_test(answered: Counter[float], unanswered: Counter[float]) -> TestOut:
    method = "Mann-Whitney U"
    too_few = _too_few("rated", answered.total(), unanswered.total())
    if too_few:
        return _tested(method, None, too_few)
    return _tested(method, rank_difference(answered, unanswered), "every rating is the same")


def _negative_test(answered: GroupOut, unanswered: GroupOut) -> TestOut:
    method = "two-proportion z"
    too_few = _too_few("with a sentiment", answered.with_sentiment, unanswered.with_sentiment)
    if too_few:
        return _tested(method, None, too_few)
    p_value = share_difference(answered.negative, answered.with_sentiment, unanswered.negative,
                              unanswered.with_sentiment)
    return _tested(method, p_value, "both sides are all negative or none is")


# --- figures --------------------------------------------------------------------------------


def _ratings(counts: Iterable[ResponseCount]) -> Counter[float]:
    ratings: Counter[float] = Counter()
    for count in counts:
        if count.rating is not None:
            ratings[count.rating] += count.count
    return ratings


def _group(counts: list[ResponseCount], ratings: Counter[float], query: str) -> GroupOut:
    rated, labelled = ratings.total(), sum(c.count for c in counts if c.sentiment)
    negative = sum(c.count for c in counts if c.sentiment == "negative")
    # Normalized 0..1 read as stars: 1 + 4 * normalized.
    mean = sum((1 + 4 * rating) * n for rating, n in ratings.items()) / rated if rated else None
    return GroupOut(count=sum(c.count for c in counts), query=query, rated=rated,
                    mean_rating=None if mean is None else round(mean, 2),
                    with_sentiment=labelled, negative=negative,
                    negative_share=round(negative / labelled, 4) if labelled else None)


def _figures(counts: list[ResponseCount], times: list[ResponseTime], source: str | None,
             query: str) -> FiguresOut:
    answered = [c for c in counts if c.replied]
    unanswered = [c for c in counts if not c.replied]
    answered_ratings, unanswered_ratings = _ratings(answered), _ratings(unanswered)
    yes = _group(answered, answered_ratings, all_of(query, "replied:yes"))
    no = _group(unanswered, unanswered_ratings, all_of(query, "replied:no"))
    total = yes.count + no.count
    waits: Counter[int] = Counter()
    for time in times:
        waits[time.seconds] += time.count
    return FiguresOut(
        source=source, answerable=CountOut(count=total, query=query),
        rate=round(yes.count / total, 4) if total else None, timed=waits.total(),
        median_seconds=nearest_rank(waits, 0.5), p90_seconds=nearest_rank(waits, 0.9),
        unanswered_negative=CountOut(count=no.negative,
                                     query=all_of(query, "replied:no sentiment:negative")),
        answered=yes, unanswered=no,
        rating_test=_rating_test(answered_ratings, unanswered_ratings),
        negative_test=_negative_test(yes, no))


def _brand(store: MentionStore, brand: str, period: PeriodOut, source: str | None,
           competitor: bool) -> BrandOut:
    only = f"source:{quoted(source)}" if source else ""
    query = all_of(f"brand:{quoted(brand)}", days(period.since, period.until), _KINDS, only)
    found, wanted = store.responses(query, _COLLAPSED), key(brand)
    # A mention naming another brand too is counted for that one as well: keep this one's.
    own = ResponseCounts([c for c in found.counts if c.brand == wanted],
                         [t for t in found.times if t.brand == wanted])
    answerable: Counter[str] = Counter()
    for count in own.counts:
        answerable[count.source] += count.count
    sources = sorted(answerable, key=lambda s: (-answerable[s], s))
    return BrandOut(
        brand=brand, competitor=competitor,
        total=_figures(own.counts, own.times, None, query),
        sources=[_figures([c for c in own.counts if c.source == s],
                          [t for t in own.times if t.source == s], s,
                          all_of(query, "" if source else f"source:{quoted(s)}"))
                 for s in sources])


def responses_report(store: MentionStore, brand: str, period: PeriodOut, *,
                     watched: Sequence[str] = (), source: str | None = None) -> ResponsesOut:
    """The brand's response figures over `period` (its answerable mentions published then),
    then each other brand's of `watched` (the watchlist's brands; when empty, those with
    mentions in the period), all from `source` only when one is given."""
    brands = list(watched) or brands_in(store, period)
    label = next((b for b in brands if key(b) == key(brand)), brand)
    others = [b for b in brands if key(b) != key(label)]
    return ResponsesOut(
        brand=label, period=period, kinds=list(ANSWERABLE),
        brands=[_brand(store, name, period, source, competitor=at > 0)
                for at, name in enumerate([label, *others])])


# --- as a table, for the command line ------------------------------------------------------

_HEADER = ("brand", "source", "answerable", "answered", "rate", "median", "p90",
           "unanswered_negative", "stars_answered/not", "negative_answered/not")


def _duration(seconds: int | None) -> str:
    """`45m`, `2h30m`, `3d` or `2d5h`: minutes below a day, hours beyond, as counted."""
    if seconds is None:
        return "-"
    minutes, hours, whole_days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes}m"
    if whole_days == 0:
        return f"{hours}h" + (f"{minutes % 60:02d}m" if minutes % 60 else "")
    return f"{whole_days}d" + (f"{hours % 24}h" if hours % 24 else "")


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{round(share * 100)}%"


def _versus(answered: str, unanswered: str, test: TestOut) -> str:
    return f"{answered}/{unanswered}" + ("*" if test.significant else "")


def _row(brand: str, figures: FiguresOut) -> tuple[str, ...]:
    yes, no = figures.answered, figures.unanswered
    stars = (f"{yes.mean_rating:.2f}" if yes.mean_rating is not None else "-",
             f"{no.mean_rating:.2f}" if no.mean_rating is not None else "-")
    return (brand, figures.source or "all", str(figures.answerable.count), str(yes.count),
            _percent(figures.rate), _duration(figures.median_seconds),
            _duration(figures.p90_seconds), str(figures.unanswered_negative.count),
            _versus(*stars, figures.rating_test),
            _versus(_percent(yes.negative_share), _percent(no.negative_share),
                    figures.negative_test))


def responses_table(report: ResponsesOut) -> list[str]:
    """The report as aligned text lines: a row per brand (source `all`), then per source."""
    rows = [_HEADER] + [_row(brand.brand, figures) for brand in report.brands
                        for figures in (brand.total, *brand.sources)]
    widths = [max(len(row[at]) for row in rows) for at in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    return [*lines, "* a significant difference at 5% (Mann-Whitney U on ratings, "
            "two-proportion z on negative shares)"]


# --- route ----------------------------------------------------------------------------------

router = APIRouter(tags=["responses"])


@router.get("/responses", response_model=ResponsesOut)
def get_responses(store: StoreDep, settings: SettingsDep,
                  brand: Annotated[str, Query(min_length=1, max_length=200)],
                  since: Day = None, until: Day = None,
                  source: Annotated[str | None, Query(max_length=200)] = None) -> ResponsesOut:
    """How often and how fast the brand answered its reviews, posts and comments published
    in [since, until) (whole UTC days; by default the last 30), per source, beside every
    other watched brand: each figure with the query that lists the mentions behind it."""
    try:
        period = period_of(since, until)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return responses_report(store, brand, period, watched=watched_brands(settings),
                            source=source or None)
