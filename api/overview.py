"""The overview: how a brand is doing over a period, against the period of the same length
just before, in figures a reputation lead reads at a glance.

`overview` is a pure function of a store (plus the alert history and crawl runs it is
handed), so the dashboard's home view, `GET /overview` and the reports compute the same
figures. Each figure is counted with query-language text (the brand and the period as
`brand:"Acme" published:2026-11-01..2026-11-30`, and what the figure narrows to), and carries
that text: searching for it lists the mentions behind the figure. That is why a period is
whole UTC days, the query language's unit. Every figure is a count, terms or NPS
aggregation of the store, duplicates counted once as in search: no scan of the mentions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from api.advocates import NpsCountsOut
from api.alerts.state import AlertState, StoredAlert
from api.analytics import change, period_before
from api.deps import SettingsDep, StoreDep
from api.models import Instant
from api.querytext import all_of as _and
from api.querytext import days as _days
from api.querytext import quoted as _quoted
from api.watchlist import load_watchlist
from crawlers.coverage import SourceRun, recent_runs
from index.arguments import window
from index.backend import Filters, MentionStore, aspect_counts
from index.record import SENTIMENT_LABELS
from index.watchlist import WatchlistError
from sentiment.nps import NpsCounts

__all__ = ["DEFAULT_DAYS", "CompareOut", "OverviewOut", "PeriodOut", "brands_in", "overview",
           "period_of", "router", "watched_brands"]

#: The period when none is asked: the last 30 days, today (UTC) included.
DEFAULT_DAYS = 30
#: How many brands a comparison puts side by side.
MAX_COMPARED = 10
_COLLAPSED = Filters(collapse=True)  # as search counts: a syndicated text once
_TOP = 5  # aspects, advocates, alerts shown
_STARS = (1, 2, 3, 4, 5)


class PeriodOut(BaseModel):
    since: datetime  # inclusive, 00:00 UTC
    until: datetime  # exclusive, 00:00 UTC
    previous_since: datetime  # the period before is [previous_since, since)
    days: int


class CountOut(BaseModel):
    """A count in the period, the same in the period before, and the change between."""

    count: int
    previous: int
    change: float | None  # count / previous - 1; None when there was none before
    query: str  # what to search for to list the mentions counted


class SentimentOut(CountOut):
    label: str
    share: float | None  # of the period's mentions


class StarsOut(BaseModel):
    stars: int
    count: int
    query: str


class RatingOut(BaseModel):
    """Ratings read as 1-5 stars (any scale), each rounded to the nearest star."""

    average: float | None
    previous_average: float | None
    ratings: int
    query: str
    stars: list[StarsOut]


class VelocityOut(CountOut):
    """Reviews (mentions of kind `review`) per week."""

    per_week: float
    previous_per_week: float


class NpsOut(BaseModel):
    rated: NpsCountsOut  # from ratings only
    all: NpsCountsOut  # the rated and those estimated from sentiment
    previous_rated: float | None
    previous_all: float | None
    rated_query: str
    estimated_query: str  # the unrated mentions whose NPS class is estimated


class ShareOut(BaseModel):
    brand: str
    count: int
    share: float | None
    previous_share: float | None
    query: str


class AspectOut(BaseModel):
    aspect: str
    count: int
    negative: int
    previous: int
    change: float | None
    query: str


class TermOut(BaseModel):
    term: str
    count: int  # the brand's mentions in the period that hold it
    previous: int  # ... in the period before
    query: str


class AlertOut(BaseModel):
    rule: str
    summary: str
    window_start: datetime
    window_end: datetime
    observed: float
    query: str  # the days of its window, with the sentiment it counts


class AdvocateOut(BaseModel):
    author: str
    persona: str | None
    score: float
    mentions: int  # its advocate mentions in the period
    query: str  # all its mentions of the brand in the period


class CoverageOut(BaseModel):
    source: str
    mentions: int  # of the brand in the period
    query: str
    finished_at: str | None  # of the source's latest crawl run
    trouble: str | None  # why that run looks broken; None when it looks healthy


class OverviewOut(BaseModel):
    brand: str
    period: PeriodOut
    volume: CountOut
    sentiment: list[SentimentOut]
    rating: RatingOut
    reviews: VelocityOut
    nps: NpsOut
    share_of_voice: list[ShareOut]
    aspects: list[AspectOut]
    rising: list[TermOut]  # words far more frequent than in the period before
    alerts: list[AlertOut]
    advocates: list[AdvocateOut]
    coverage: list[CoverageOut]


class CompareOut(BaseModel):
    period: PeriodOut
    brands: list[OverviewOut]


def period_of(since: datetime | None, until: datetime | None, *,
              today: datetime | None = None) -> PeriodOut:
    """The period [since, until) as whole UTC days, by default the last `DEFAULT_DAYS` days
    (today included); a ValueError says what is wrong with the bounds asked."""
    if until is None:
        now = today or datetime.now(UTC)
        until = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
    if since is None:
        try:
            since = until - timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            raise ValueError(f"until must leave the {DEFAULT_DAYS} days before it in range, "
                             f"got {until.isoformat()}") from None
    for name, moment in (("since", since), ("until", until)):
        if moment.astimezone(UTC).timetz() != time(tzinfo=UTC):
            raise ValueError(f"{name} must be a UTC day (00:00 UTC), as 2026-11-01: each "
                             "figure's query names whole days")
    # A day of room on each side: the queries name the day before `since`.
    since, until = window(since, until, reach=timedelta(days=1))
    days = (until - since).days
    return PeriodOut(since=since, until=until, previous_since=period_before(since, until),
                     days=days)


class _Counter:
    """Counts the brand's mentions in the period and the one before, each by query text,
    so a figure and its query cannot disagree."""

    def __init__(self, store: MentionStore, brand: str, period: PeriodOut) -> None:
        self.store, self.name, self.brand = store, brand, f"brand:{_quoted(brand)}"
        self.now = _and(self.brand, _days(period.since, period.until))
        self.before = _and(self.brand, _days(period.previous_since, period.since))

    def count(self, narrow: str = "") -> CountOut:
        now = self.store.count(_and(self.now, narrow), _COLLAPSED)
        before = self.store.count(_and(self.before, narrow), _COLLAPSED)
        return CountOut(count=now, previous=before, change=change(now, before),
                        query=_and(self.now, narrow))


def _sentiment(counter: _Counter, total: int) -> list[SentimentOut]:
    rows = []
    for label in SENTIMENT_LABELS:
        found = counter.count(f"sentiment:{label}")
        rows.append(SentimentOut(**found.model_dump(), label=label,
                                 share=round(found.count / total, 4) if total else None))
    return rows


def _star_range(stars: int) -> str:
    # Each rating rounds to its nearest star: 4.2 (an 8 of 10) counts as 4.
    low = "" if stars == 1 else f"rating>={stars - 0.5}"
    high = "" if stars == 5 else f"rating<{stars + 0.5}"
    return _and(low, high)


def _average(counts: Sequence[int]) -> float | None:
    total = sum(counts)
    if not total:
        return None
    return round(sum(s * n for s, n in zip(_STARS, counts, strict=True)) / total, 2)


def _rating(counter: _Counter) -> RatingOut:
    per_star = [counter.count(_star_range(s)) for s in _STARS]
    return RatingOut(
        average=_average([c.count for c in per_star]),
        previous_average=_average([c.previous for c in per_star]),
        ratings=sum(c.count for c in per_star), query=_and(counter.now, "rating>=1"),
        stars=[StarsOut(stars=s, count=c.count, query=c.query)
               for s, c in zip(_STARS, per_star, strict=True)])


def _velocity(counter: _Counter, days: int) -> VelocityOut:
    found = counter.count("kind:review")
    weeks = days / 7
    return VelocityOut(**found.model_dump(), per_week=round(found.count / weeks, 2),
                       previous_per_week=round(found.previous / weeks, 2))


def _nps_counts(store: MentionStore, brand: str, query: str) -> tuple[NpsCounts, NpsCounts]:
    """(rated only, rated and estimated) NPS counts of the brand's matches."""
    rated, every = [0, 0, 0], [0, 0, 0]
    order = ("promoter", "passive", "detractor")
    for day in (d for d in store.nps_days(query, _COLLAPSED) if d.of(brand)):
        every[order.index(day.nps_class)] += day.count
        if not day.estimated:
            rated[order.index(day.nps_class)] += day.count
    return NpsCounts(*rated), NpsCounts(*every)


def _nps(counter: _Counter) -> NpsOut:
    rated, every = _nps_counts(counter.store, counter.name, counter.now)
    before_rated, before_every = _nps_counts(counter.store, counter.name, counter.before)
    return NpsOut(rated=NpsCountsOut.of(rated), all=NpsCountsOut.of(every),
                  previous_rated=before_rated.nps, previous_all=before_every.nps,
                  rated_query=_and(counter.now, "rating>=1"),
                  estimated_query=_and(counter.now, "-rating>=1",
                                       "(sentiment:positive OR sentiment:neutral OR "
                                       "sentiment:negative)"))


def _share_of_voice(store: MentionStore, brands: Sequence[str],
                    period: PeriodOut) -> list[ShareOut]:
    now, before = _days(period.since, period.until), _days(period.previous_since, period.since)
    counts = [(b, store.count(_and(f"brand:{_quoted(b)}", now), _COLLAPSED),
               store.count(_and(f"brand:{_quoted(b)}", before), _COLLAPSED)) for b in brands]
    total_now, total_before = sum(c[1] for c in counts), sum(c[2] for c in counts)
    return sorted((ShareOut(brand=b, count=n, share=round(n / total_now, 4) if total_now else None,
                            previous_share=round(p / total_before, 4) if total_before else None,
                            query=_and(f"brand:{_quoted(b)}", now))
                   for b, n, p in counts), key=lambda row: (-row.count, row.brand.casefold()))


def _aspects(counter: _Counter) -> list[AspectOut]:
    now = aspect_counts(counter.store, counter.now, _COLLAPSED)
    before = aspect_counts(counter.store, counter.before, _COLLAPSED)
    rows = []
    for name, by in now.items():
        count, previous = sum(by.values()), sum(before.get(name, {}).values())
        rows.append(AspectOut(aspect=name, count=count, negative=by["negative"],
                              previous=previous, change=change(count, previous),
                              query=_and(counter.now, f"aspect:{_quoted(name)}")))
    return sorted(rows, key=lambda row: (-row.count, row.aspect))[:_TOP]


def _rising(counter: _Counter, period: PeriodOut) -> list[TermOut]:
    """The words of the brand's mentions in the period that were rare in the period
    before (significant terms, as a spike is explained): what people started to say."""
    before = Filters(brand=counter.name, since=period.previous_since, until=period.since)
    found = counter.store.significant_terms(counter.now, _COLLAPSED, background=before,
                                            size=_TOP)
    return [TermOut(term=b.key, count=b.count, previous=b.background or 0,
                    query=_and(counter.now, _quoted(b.key))) for b in found]


def _alerts(alerts: Iterable[StoredAlert], brand: str, period: PeriodOut) -> list[AlertOut]:
    rows = []
    for stored in alerts:
        alert = stored.alert
        start = datetime.fromisoformat(alert["window_start"])
        end = datetime.fromisoformat(alert["window_end"])
        if (alert.get("field") != "brand" or alert["subject"].casefold() != brand.casefold()
                or not period.since <= start < period.until):
            continue
        day_after_end = datetime.combine((end - timedelta(microseconds=1)).date(), time(), UTC) \
            + timedelta(days=1)
        days = _days(datetime.combine(start.date(), time(), UTC), day_after_end)
        sentiment = f"sentiment:{alert['sentiment']}" if alert.get("sentiment") else ""
        rows.append(AlertOut(rule=alert["rule"], summary=alert["summary"], window_start=start,
                             window_end=end, observed=alert["observed"],
                             query=_and(f"brand:{_quoted(brand)}", days, sentiment)))
    return rows[:_TOP]


def _advocates(counter: _Counter) -> list[AdvocateOut]:
    rows = []
    for lead in counter.store.advocates(counter.now, _COLLAPSED, size=_TOP):
        advocate = lead.best[0].advocate
        assert advocate is not None  # the store returns advocate mentions only
        rows.append(AdvocateOut(author=lead.latest.author.name, persona=advocate.persona,
                                score=advocate.score, mentions=lead.mentions,
                                query=_and(counter.now,
                                           f"author:{_quoted(lead.latest.author.name)}")))
    return rows


def _trouble(run: SourceRun) -> str | None:
    # As the Sources view marks a run (api/web/static/sources.js).
    if run.errors:
        return f"{run.errors} error{'s' if run.errors != 1 else ''}"
    if run.unreadable:
        return f"{run.unreadable} unreadable"
    if not run.pages:
        return "no page fetched"
    if run.finish_reason and run.finish_reason != "finished":
        return run.finish_reason
    return None


#: The source type whose mentions are named after their engine, not the source: an AI
#: answer's `source` is its engine and model (docs/AI_ANSWERS.md), its crawl run's the type.
_AI_SOURCE, _AI_ANSWERS = "ai_answers", "kind:ai_answer"


def _coverage(counter: _Counter, runs: Iterable[SourceRun]) -> list[CoverageOut]:
    latest: dict[str, SourceRun] = {}
    for each in runs:  # newest first: the first of each source is its latest
        latest.setdefault(each.source.casefold(), each)
    found = {b.key: (b.count, f"source:{_quoted(b.key)}") for b in counter.store.terms(
        "source", _and(counter.now, f"-{_AI_ANSWERS}"), _COLLAPSED, size=100)}
    if answers := counter.count(_AI_ANSWERS).count:
        found[_AI_SOURCE] = (answers, _AI_ANSWERS)
    rows = []
    for source in sorted(latest.keys() | found.keys()):
        run = latest.get(source)
        count, narrow = found.get(source, (0, f"source:{_quoted(source)}"))
        rows.append(CoverageOut(source=run.source if run else source, mentions=count,
                                query=_and(counter.now, narrow),
                                finished_at=run.finished_at if run else None,
                                trouble=_trouble(run) if run else None))
    return rows


def brands_in(store: MentionStore, period: PeriodOut) -> list[str]:
    """The brands with mentions in the period, as their newest mention spells them (the
    store's keys are casefolded)."""
    keys = store.terms("brand", _days(period.since, period.until), _COLLAPSED, size=100)
    spelled = []
    for key in keys:
        hits = store.search(f"brand:{_quoted(key.key)}", sort="newest", size=1).hits
        spelled.append(hits[0].mention.brand or key.key if hits else key.key)
    return spelled


def overview(store: MentionStore, brand: str, period: PeriodOut, *,
             watched: Sequence[str] = (), alerts: Iterable[StoredAlert] = (),
             runs: Iterable[SourceRun] = ()) -> OverviewOut:
    """The brand's figures over `period` against the period before. Share of voice is
    among `watched` (the watchlist's brands; the store's brands when empty), `alerts` (the
    history, newest first) and `runs` (crawl runs, newest first) are filtered here."""
    brands = list(watched) or brands_in(store, period)
    label = next((b for b in brands if b.casefold() == brand.casefold()), brand)
    if label not in brands:
        brands.append(label)
    counter = _Counter(store, label, period)
    volume = counter.count()
    return OverviewOut(
        brand=label, period=period, volume=volume,
        sentiment=_sentiment(counter, volume.count), rating=_rating(counter),
        reviews=_velocity(counter, period.days), nps=_nps(counter),
        share_of_voice=_share_of_voice(store, brands, period), aspects=_aspects(counter),
        rising=_rising(counter, period), alerts=_alerts(alerts, label, period),
        advocates=_advocates(counter), coverage=_coverage(counter, runs))


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(tags=["overview"])


def watched_brands(settings: SettingsDep) -> list[str]:
    """The server's watchlist brands by name; none without a watchlist."""
    if not settings.watchlist.exists():
        return []
    try:
        return [brand.name for brand in load_watchlist(settings.watchlist).brands]
    except WatchlistError as exc:
        raise HTTPException(500, f"the server's watchlist is invalid: {exc}") from None


def _period(since: datetime | None, until: datetime | None) -> PeriodOut:
    try:
        return period_of(since, until)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _overviews(store: MentionStore, settings: SettingsDep, brands: Sequence[str],
               period: PeriodOut) -> list[OverviewOut]:
    state = AlertState(settings.db)
    try:
        alerts = state.history(limit=500)
    finally:
        state.close()
    runs, watched = recent_runs(settings.db), watched_brands(settings)
    return [overview(store, brand, period, watched=watched, alerts=alerts, runs=runs)
            for brand in brands]


Day = Annotated[Instant | None, Query(description="00:00 UTC of a day, as 2026-11-01")]


@router.get("/overview", response_model=OverviewOut)
def get_overview(store: StoreDep, settings: SettingsDep,
                 brand: Annotated[str, Query(min_length=1, max_length=200)],
                 since: Day = None, until: Day = None) -> OverviewOut:
    """How the brand is doing in [since, until) (whole UTC days; by default the last 30
    days) against the period of the same length before: each figure with the query that
    lists the mentions behind it."""
    return _overviews(store, settings, [brand], _period(since, until))[0]


@router.get("/overview/compare", response_model=CompareOut)
def compare(store: StoreDep, settings: SettingsDep,
            brands: Annotated[str, Query(max_length=2000, description="Comma-separated")],
            since: Day = None, until: Day = None) -> CompareOut:
    """The overview's figures for several brands side by side, over the same period."""
    names = list(dict.fromkeys(b.strip() for b in brands.split(",") if b.strip()))
    if not names:
        raise HTTPException(400, "brands must name at least one brand, as brands=Acme,Zephyr")
    if len(names) > MAX_COMPARED:
        raise HTTPException(400, f"brands names {len(names)} brands; at most {MAX_COMPARED}")
    period = _period(since, until)
    return CompareOut(period=period, brands=_overviews(store, settings, names, period))
