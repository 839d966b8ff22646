"""Alert rule types: each a small class with typed options and a pure `evaluate`.

Most rules (`AlertRule`) read one subject's hourly series (a brand's or a source's
`TimeBucket`s, empty hours included, oldest first) and return the alerts they would raise up
to `now`. Rules that must see the mentions themselves, their ratings, replies or authors
(`MentionRule`), read the subject's mentions that match their query instead. The clock is
passed in; a rule never reads the time, the store or the network, so the runner, the dry run
(`alerts test`) and the benchmark all call the same code. Within one series a run of
consecutive firing hours (one spike) alerts once, and a new run alerts only after the
cooldown; the runner applies the same cooldown across runs from the alert history. A rule
about single mentions (a new 1-star review) alerts once per mention instead, with no
cooldown: the alert's key is the mention's.
"""

from __future__ import annotations

import math
import statistics
from abc import ABC, abstractmethod
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import Field

from api.alerts.notifiers import NotifierOptions
from api.alerts.significance import rank_rise, share_drop
from api.visibility import Visibility
from index import advocacy
from index.backend import TimeBucket
from index.query import Field as QueryField
from index.query import Node, Or, stars_normalized
from index.record import Kind, Mention, Rating
from index.watchlist import TAG, Options

__all__ = [
    "HOUR",
    "AdvocateTurnedNegative",
    "AdvocateTurnedNegativeOptions",
    "Alert",
    "AlertOptions",
    "AlertRule",
    "Flatline",
    "FlatlineOptions",
    "MentionRule",
    "Mentions",
    "NegativeShare",
    "NegativeShareOptions",
    "NegativeSpike",
    "NegativeSpikeOptions",
    "NewLowRating",
    "NewLowRatingOptions",
    "RatingDrop",
    "RatingDropOptions",
    "Rule",
    "RuleOptions",
    "Series",
    "SubjectField",
    "Unanswered",
    "UnansweredOptions",
    "VisibilityDrop",
    "VisibilityDropOptions",
    "VolumeSpike",
    "VolumeSpikeOptions",
    "poisson_tail",
    "reading",
    "rule_for",
]

HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
SubjectField = Literal["brand", "source"]
# 1.4826 * MAD estimates the standard deviation of normal data.
_MAD_TO_SD = 1.4826
_SPIKE_WINDOWS = (1, 2, 3)  # hours a spike is judged over: one alone, or two or three summed
_TRIM = 0.2  # share of the highest and of the lowest past hours a baseline leaves out
# The least rate (per hour) a baseline is taken to be: against a rate of 0, any count would
# be infinitely unlikely; 4 where there is never anything still passes, 3 does not.
_MIN_RATE = 0.25
_PSEUDO = 10.0  # pseudo-mentions steadying a quiet brand's day weights


@dataclass(frozen=True, slots=True)
class Series:
    """Hourly counts of one subject: `field` is what `subject` names (a brand or a source)."""

    subject: str
    field: SubjectField
    buckets: Sequence[TimeBucket]


@dataclass(frozen=True, slots=True)
class Alert:
    """What a rule found: the window [window_start, window_end) of `subject`, the observed
    value against the baseline computed over [baseline_start, window_start)."""

    rule: str
    type: str
    subject: str
    field: SubjectField
    window_start: datetime
    window_end: datetime
    baseline_start: datetime
    observed: float
    baseline: float
    summary: str
    sentiment: str | None = None  # the label the rule counts, when it counts one
    z: float | None = None
    mention_id: str | None = None  # the mention a rule about single mentions alerts on
    # What the mentions its explanation shows match, beside the subject and sentiment.
    query: str = ""
    # What a rule that reads more than counts found, JSON-ready (a visibility drop: each
    # prompt and engine with its figures, test and answers before and after).
    details: dict[str, Any] | None = None

    @property
    def target(self) -> str:
        """What the alert is about, as `brand=Acme` or `source=feed`."""
        return f"{self.field}={self.subject}"

    @property
    def key(self) -> str:
        """Stable identity: the same finding in a later run has the same key; one mention
        alerts once per rule and subject, whenever it is found."""
        if self.mention_id is not None:
            return f"{self.rule}|{self.target}|mention={self.mention_id}"
        return f"{self.rule}|{self.target}|{self.window_start.isoformat()}"


@dataclass(frozen=True, slots=True)
class _Finding:
    first: int  # index of the window's first bucket
    observed: float
    baseline: float
    z: float | None = None
    hours: int = 1  # the window's length
    p: float | None = None


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X ~ Poisson(rate): how unlikely `k` or more is when `rate` is usual."""
    if k <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    # Sum the terms from k up; past the mean each is smaller than the one before.
    term = math.exp(k * math.log(rate) - rate - math.lgamma(k + 1))
    total, j = 0.0, k
    while term > total * 1e-12:
        total += term
        j += 1
        term *= rate / j
        if j > rate and term == 0.0:
            break
    return min(total, 1.0)


def _trimmed_mean(values: Sequence[float]) -> float:
    """The mean without the highest and lowest `_TRIM` of values: an earlier spike in the
    baseline does not raise it, and, unlike a median, it does not round a rate of 0.6 an
    hour down to 0 or up to 1."""
    ordered = sorted(values)
    cut = int(len(ordered) * _TRIM)
    kept = ordered[cut:len(ordered) - cut]
    return sum(kept) / len(kept)


def _busy(day: Sequence[int]) -> float:
    """How busy a day was: its total, each hour capped at three times the day's median
    hour (plus 5), so a spike does not make the whole day, and that weekday, look busy."""
    cap = 3 * statistics.median(day) + 5
    return sum(min(v, cap) for v in day)


def _hourly(series: Series) -> None:
    for before, after in zip(series.buckets, series.buckets[1:], strict=False):
        if after.start - before.start != HOUR:
            raise ValueError(f"series of {series.field} {series.subject!r} is not hourly: "
                             f"{before.start.isoformat()} is followed by "
                             f"{after.start.isoformat()}")


def _one_per_run(starts: Sequence[datetime | None], cooldown_hours: int) -> list[int]:
    """Which findings alert, given where each one's window starts (None: nothing found
    there): the first of each run of consecutive findings (one spike), none within the
    cooldown of the previous alert."""
    cooldown = timedelta(hours=cooldown_hours)
    alerting: list[int] = []
    last: datetime | None = None
    firing = False
    for i, start in enumerate(starts):
        if start is None:
            firing = False
            continue
        if not firing and (last is None or start >= last + cooldown):
            alerting.append(i)
            last = start
        firing = True
    return alerting


class RuleOptions(Options):
    """What every `[[alerts]]` table says, whatever its type; each type adds its own options
    beside its rule, with defaults that work untuned. `brands` empty means every brand of
    the watchlist."""

    name: str = Field(pattern=r"^[\w.-]+$")
    brands: tuple[str, ...] = ()
    cooldown_hours: int = Field(default=6, ge=0, le=720)
    notify: tuple[NotifierOptions, ...] = ()


class Rule(ABC):
    """What every rule type has: a name, its options, and how much history it reads."""

    type: ClassVar[str]
    sentiment: ClassVar[str | None] = None  # the label it counts, if it counts one

    def __init__(self, options: _Options) -> None:
        self.options = options

    @property
    def name(self) -> str:
        return self.options.name

    @property
    @abstractmethod
    def history_hours(self) -> int:
        """Hours of data the rule reads before the time it judges."""

    @classmethod
    @abstractmethod
    def reading(cls, alert: Alert) -> str:
        """What the alert's figures (`observed`, `baseline`, `z`) are, in words a reader
        takes in at a glance: "unanswered for 23 days (limit 24 h)"."""


def _window_hours(alert: Alert) -> float:
    return (alert.window_end - alert.window_start) / HOUR


def _duration(hours: float) -> str:
    """A length of time: "an hour", "30 hours", "7 days"."""
    if round(hours) == 1:
        return "an hour"
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def _days_before(alert: Alert) -> str:
    """The period the baseline covers, as "the 14 days before"."""
    return f"the {(alert.window_start - alert.baseline_start) / _DAY:g} days before"


class AlertRule(Rule):
    """A rule over hourly series. Subclasses say which hours fire (`_scan`) and how to
    word it."""

    # A rule that looks for too little may not judge the hour still being filled.
    complete_hours_only: ClassVar[bool] = False

    @abstractmethod
    def _scan(self, buckets: Sequence[TimeBucket]) -> list[_Finding | None]:
        """Per bucket, what fires there (None: nothing)."""

    @abstractmethod
    def _summary(self, subject: str, finding: _Finding) -> str: ...

    def evaluate(self, series: Series, now: datetime) -> list[Alert]:
        """The alerts of `series` up to `now`, one per spike, none within the cooldown of
        the previous one. Raises ValueError for a series that is not hourly."""
        _hourly(series)
        buckets = [b for b in series.buckets
                   if b.start <= now and not (self.complete_hours_only and b.start + HOUR > now)]
        findings = self._scan(buckets)
        starts = [None if f is None else buckets[f.first].start for f in findings]
        return [self._alert(series, buckets, i, finding)
                for i in _one_per_run(starts, self.options.cooldown_hours)
                if (finding := findings[i]) is not None]

    def _alert(self, series: Series, buckets: Sequence[TimeBucket], i: int,
               finding: _Finding) -> Alert:
        start = buckets[finding.first].start
        return Alert(
            rule=self.name, type=self.type, subject=series.subject, field=series.field,
            window_start=start, window_end=buckets[i].start + HOUR,
            baseline_start=start - timedelta(hours=self.history_hours),
            observed=finding.observed, baseline=round(finding.baseline, 2),
            summary=self._summary(series.subject, finding), sentiment=self.sentiment,
            z=None if finding.z is None else round(finding.z, 1),
        )


class _SpikeOptions(RuleOptions):
    baseline_days: int = Field(default=14, ge=7, le=28)
    min_count: int = Field(default=5, ge=1)
    # Chance of at least the observed count under Poisson noise around the baseline, at most.
    p: float = Field(default=1e-3, gt=0, lt=1)
    # And a robust z-score (median/MAD, never below Poisson noise) of at least this: guards
    # a subject noisier than Poisson, where `p` alone would fire too often.
    z: float = Field(default=3.0, gt=0)
    ratio: float = Field(default=2.0, ge=1)  # and this multiple of the baseline
    seasonal: bool = True  # baseline from the same hour of day, scaled by day of week


class NegativeSpikeOptions(_SpikeOptions):
    type: Literal["negative_spike"] = "negative_spike"


class VolumeSpikeOptions(_SpikeOptions):
    type: Literal["volume_spike"] = "volume_spike"
    min_count: int = Field(default=20, ge=1)


class _Spike(AlertRule):
    """An hour (or two or three summed) far above its baseline: at least `min_count`, at
    least `ratio` times the baseline, at most a chance of `p` under Poisson noise around it
    and a robust z-score >= `z`. The baseline is the trimmed mean of the same hour of day
    over the last 7 to `baseline_days` days, each day scaled by how busy it was, times how
    busy this day of the week usually is (`seasonal`); else the trimmed mean of every
    hour. The spread (for z) is the median absolute deviation from the median."""

    options: NegativeSpikeOptions | VolumeSpikeOptions
    _what: ClassVar[str]

    @property
    def history_hours(self) -> int:
        return self.options.baseline_days * 24

    @abstractmethod
    def _count(self, bucket: TimeBucket) -> int: ...

    def _scan(self, buckets: Sequence[TimeBucket]) -> list[_Finding | None]:
        values = [self._count(b) for b in buckets]
        days: dict[int, float] = {}
        usual = [self._expected(values, days, i, b.start.hour) if i >= 8 * 24 else (0.0, 0.0)
                 for i, b in enumerate(buckets)]
        return [None if i < 8 * 24 else self._judge(values, usual, i)
                for i in range(len(values))]

    def _expected(self, values: list[int], days: dict[int, float], i: int,
                  hour: int) -> tuple[float, float]:
        """(baseline, spread) for hour i, which is `hour` o'clock; `days` caches how busy
        each day was, by the index of its midnight."""
        o = self.options
        n = min(o.baseline_days, (i - hour) // 24)
        if not o.seasonal:
            past = values[i - n * 24:i]
            median = statistics.median(past)
            return _trimmed_mean(past), statistics.median(abs(v - median) for v in past)
        # Day k is the calendar day k days ago; its weight is how busy it was against the
        # mean day, with a few pseudo-mentions added so a quiet brand's noise does not
        # swing it.
        midnights = [i - hour - 24 * k for k in range(1, n + 1)]
        for m in midnights:
            if m not in days:
                days[m] = _busy(values[m:m + 24])
        totals = [days[m] for m in midnights]
        mean_day = sum(totals) / n
        if mean_day == 0:
            return 0.0, 0.0
        weights = [(t + _PSEUDO) / (mean_day + _PSEUDO) for t in totals]
        same_weekday = [totals[k - 1] for k in range(7, n + 1, 7)]
        today = (sum(same_weekday) + _PSEUDO) / (len(same_weekday) * mean_day + _PSEUDO)
        scaled = [values[i - 24 * k] / w for k, w in zip(range(1, n + 1), weights,
                                                          strict=True)]
        median = statistics.median(scaled)
        spread = statistics.median(abs(v - median) for v in scaled)
        return _trimmed_mean(scaled) * today, spread * today

    def _judge(self, values: list[int], usual: list[tuple[float, float]],
               i: int) -> _Finding | None:
        """The hour i alone, else the two or three hours ending at i: a burst spread over
        a few hours is as real as one packed into one, and too thin per hour to show."""
        o = self.options
        for hours in _SPIKE_WINDOWS:
            first = i + 1 - hours
            observed = sum(values[first:i + 1])
            if first < 8 * 24 or observed < o.min_count:
                continue
            baseline = sum(usual[j][0] for j in range(first, i + 1))
            if observed < o.ratio * max(baseline, 1.0):
                continue
            # Counts are Poisson: how unlikely this many is when the baseline is the rate.
            p = poisson_tail(observed, max(baseline, _MIN_RATE * hours))
            spread = sum((_MAD_TO_SD * usual[j][1]) ** 2 for j in range(first, i + 1)) ** 0.5
            # Never trust a spread below Poisson noise, sqrt(baseline).
            z = (observed - baseline) / max(spread, baseline ** 0.5, 1.0)
            if p <= o.p and z >= o.z:
                return _Finding(first, observed, baseline, z, hours, p)
        return None

    def _summary(self, subject: str, finding: _Finding) -> str:
        times = finding.observed / finding.baseline if finding.baseline else None
        ratio = f"{times:.1f}x, " if times else ""
        hours = _duration(finding.hours)
        p = finding.p or 0.0
        chance = "p < 1e-9" if p < 1e-9 else f"p {p:.1g}"
        return (f"{subject}: {finding.observed:g} {self._what} in {hours}, usually "
                f"{finding.baseline:.1f} ({ratio}z {finding.z:.1f}, {chance})")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        what = cls._what.removesuffix("s") if alert.observed == 1 else cls._what
        return (f"{alert.observed:g} {what} in {_duration(_window_hours(alert))}, usually "
                f"{alert.baseline:.1f} from {_days_before(alert)} (z {alert.z or 0:.1f})")


class NegativeSpike(_Spike):
    """A burst of negative mentions of a brand."""

    type = "negative_spike"
    sentiment = "negative"
    _what = "negative mentions"

    def _count(self, bucket: TimeBucket) -> int:
        return bucket.by_sentiment.get("negative", 0)


class VolumeSpike(_Spike):
    """A burst of mentions of a brand, whatever their sentiment."""

    type = "volume_spike"
    _what = "mentions"

    def _count(self, bucket: TimeBucket) -> int:
        return bucket.count


class NegativeShareOptions(RuleOptions):
    type: Literal["negative_share"] = "negative_share"
    level: float = Field(default=0.5, gt=0, lt=1)
    min_volume: int = Field(default=20, ge=1)  # mentions in the window
    window_hours: int = Field(default=6, ge=1, le=168)
    cooldown_hours: int = Field(default=24, ge=0, le=720)


class NegativeShare(AlertRule):
    """Over the last `window_hours`, at least `min_volume` mentions and a share of negatives
    of at least `level`. The baseline is the share over the week before."""

    type = "negative_share"
    sentiment = "negative"
    options: NegativeShareOptions

    @property
    def history_hours(self) -> int:
        return 7 * 24

    def _scan(self, buckets: Sequence[TimeBucket]) -> list[_Finding | None]:
        o = self.options
        negative = [0, *accumulate(b.by_sentiment.get("negative", 0) for b in buckets)]
        total = [0, *accumulate(b.count for b in buckets)]
        found: list[_Finding | None] = []
        for i in range(len(buckets)):
            first = max(0, i + 1 - o.window_hours)
            volume = total[i + 1] - total[first]
            share = (negative[i + 1] - negative[first]) / volume if volume else 0.0
            if volume < o.min_volume or share < o.level:
                found.append(None)
                continue
            back = max(0, first - self.history_hours)
            usual = total[first] - total[back]
            baseline = (negative[first] - negative[back]) / usual if usual else 0.0
            found.append(_Finding(first, round(share, 3), baseline))
        return found

    def _summary(self, subject: str, finding: _Finding) -> str:
        return (f"{subject}: {finding.observed:.0%} of mentions negative over "
                f"{self.options.window_hours}h, usually {finding.baseline:.0%}")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return (f"{alert.observed:.0%} of mentions negative over "
                f"{_duration(_window_hours(alert))}, {alert.baseline:.0%} in {_days_before(alert)}")


class FlatlineOptions(RuleOptions):
    type: Literal["flatline"] = "flatline"
    by: Literal["source", "brand"] = "source"
    hours: int = Field(default=12, ge=1, le=168)
    baseline_days: int = Field(default=7, ge=1, le=28)
    min_expected: float = Field(default=10, gt=0)  # mentions usually seen in `hours`
    max_fraction: float = Field(default=0.1, ge=0, lt=1)  # of them, at most, to fire
    cooldown_hours: int = Field(default=24, ge=0, le=720)


class Flatline(AlertRule):
    """A source or brand that stops producing: over the last `hours` complete hours at most
    `max_fraction` of what the `baseline_days` before led to expect, when that is at least
    `min_expected` (so a quiet subject never fires)."""

    type = "flatline"
    complete_hours_only = True
    options: FlatlineOptions

    @property
    def history_hours(self) -> int:
        return self.options.baseline_days * 24

    def _scan(self, buckets: Sequence[TimeBucket]) -> list[_Finding | None]:
        o = self.options
        total = [0, *accumulate(b.count for b in buckets)]
        found: list[_Finding | None] = []
        for i in range(len(buckets)):
            first = i + 1 - o.hours
            back = max(0, first - self.history_hours)
            if first - back < 24:  # less than a day of history: no expectation yet
                found.append(None)
                continue
            observed = total[i + 1] - total[first]
            expected = (total[first] - total[back]) / (first - back) * o.hours
            fires = expected >= o.min_expected and observed <= o.max_fraction * expected
            found.append(_Finding(first, observed, expected) if fires else None)
        return found

    def _summary(self, subject: str, finding: _Finding) -> str:
        return (f"{subject}: {finding.observed:g} mentions in {self.options.hours}h, "
                f"usually {finding.baseline:.0f}; has it stopped producing?")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return (f"{alert.observed:g} mentions in {_duration(_window_hours(alert))}, usually "
                f"{alert.baseline:.0f} from {_days_before(alert)}")


@dataclass(frozen=True, slots=True)
class Mentions:
    """The mentions of one subject a rule reads (`mentions`), and those it reads beside
    them (`context`), each oldest published first."""

    subject: str
    field: SubjectField
    mentions: Sequence[Mention]
    context: Sequence[Mention] = ()


class MentionRule(Rule):
    """A rule over the mentions themselves rather than hourly counts: the runner reads the
    subject's mentions matching `query` published in [since - history_hours, now), then
    those matching each of `context(mentions)` in [since - context_hours, now), and
    `evaluate` returns the alerts they raise in (since, now]."""

    @property
    def query(self) -> Node | str:
        """The store query (mentionwatch's query language) narrowing what is read."""
        return ""

    @property
    def context_hours(self) -> int:
        return 0

    def context(self, mentions: Sequence[Mention]) -> list[Node]:
        """Queries for what else the rule must read, given `mentions` (none by default)."""
        return []

    @abstractmethod
    def evaluate(self, mentions: Mentions, since: datetime, now: datetime) -> list[Alert]: ...


class _PerMentionOptions(RuleOptions):
    # Each mention alerts once, whatever the others do: nothing to cool down.
    cooldown_hours: Literal[0] = 0


class _Said(NamedTuple):
    """What a per-mention alert says: observed against baseline, and what happened."""

    observed: float
    baseline: float
    what: str


class _PerMention(MentionRule):
    """A rule that alerts once per mention (the alert's key is the mention's id): the
    mentions judged are those due in (since, now], `delay` after they were published."""

    @property
    def delay(self) -> timedelta:
        return timedelta(0)

    def evaluate(self, mentions: Mentions, since: datetime, now: datetime) -> list[Alert]:
        return [self._alert(mentions, m, said) for m, said in self._fired(mentions, now)
                if m.published_at is not None and since < m.published_at + self.delay <= now]

    @abstractmethod
    def _fired(self, mentions: Mentions, now: datetime) -> Iterator[tuple[Mention, _Said]]:
        """The mentions (of those read) that fire, each with what its alert says."""

    def _alert(self, mentions: Mentions, mention: Mention, said: _Said) -> Alert:
        assert mention.published_at is not None  # evaluate judges dated mentions only
        # Its window: from publication to when it was due, at least the hour after.
        return Alert(
            rule=self.name, type=self.type, subject=mentions.subject, field=mentions.field,
            window_start=mention.published_at,
            window_end=mention.published_at + max(self.delay, HOUR),
            baseline_start=mention.published_at, observed=said.observed,
            baseline=said.baseline, summary=f"{mentions.subject}: {said.what}",
            sentiment=self.sentiment, mention_id=mention.id,
        )


def _by(mention: Mention) -> str:
    return f"{mention.author.name} on {mention.source}"


def _stars(rating: Rating) -> float:
    """The rating as 1..5 stars, whatever its scale (an 8 of 0..10 is 4.2)."""
    return round(1 + 4 * rating.normalized, 2)


class NewLowRatingOptions(_PerMentionOptions):
    type: Literal["new_low_rating"] = "new_low_rating"
    # On 1..5 stars; other scales compare by their normalized value, as `rating<=` does.
    max_stars: float = Field(default=2, ge=1, lt=5)


class NewLowRating(_PerMention):
    """A new review rated at most `max_stars` of 5 (normalized <= (max_stars - 1) / 4, so
    1-2 of 5 and 0-2.5 of 10 by default): one alert per review."""

    type = "new_low_rating"
    options: NewLowRatingOptions

    @property
    def history_hours(self) -> int:
        return 0

    @property
    def query(self) -> str:
        return f"rating<={self.options.max_stars:g}"

    def _fired(self, mentions: Mentions, now: datetime) -> Iterator[tuple[Mention, _Said]]:
        ceiling = stars_normalized(self.options.max_stars)
        for m in mentions.mentions:
            if (rating := m.rating) is not None and round(rating.normalized, 4) <= ceiling:
                yield m, _Said(_stars(rating), self.options.max_stars,
                               f"a {rating.value:g}/{rating.best:g} review by {_by(m)}")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return f"rated {alert.observed:g} of 5 stars (alerts at {alert.baseline:g} or below)"


class UnansweredOptions(_PerMentionOptions):
    type: Literal["unanswered"] = "unanswered"
    hours: int = Field(default=24, ge=1, le=720)
    kinds: tuple[Kind, ...] = Field(default=("review",), min_length=1)


class Unanswered(_PerMention):
    """A negative mention of one of `kinds` (reviews by default) that the brand has not
    answered `hours` after it was published: one alert per mention."""

    type = "unanswered"
    sentiment = "negative"
    options: UnansweredOptions

    @property
    def delay(self) -> timedelta:
        return timedelta(hours=self.options.hours)

    @property
    def history_hours(self) -> int:
        return self.options.hours

    @property
    def query(self) -> str:
        kinds = " OR ".join(f"kind:{kind}" for kind in self.options.kinds)
        return f"sentiment:negative ({kinds})"

    def _fired(self, mentions: Mentions, now: datetime) -> Iterator[tuple[Mention, _Said]]:
        kinds = set(self.options.kinds)
        for m in mentions.mentions:
            # Any reply counts, an undated one too: the brand has answered.
            if m.kind in kinds and _is_negative(m) and not m.brand_replies and m.published_at:
                hours = (now - m.published_at) / HOUR
                yield m, _Said(round(hours, 1), self.options.hours,
                               f"a negative {m.kind} by {_by(m)} has no reply after "
                               f"{_duration(hours)}")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return f"unanswered for {_duration(alert.observed)} (limit {alert.baseline:g} h)"


class AdvocateTurnedNegativeOptions(_PerMentionOptions):
    type: Literal["advocate_turned_negative"] = "advocate_turned_negative"
    history_days: int = Field(default=advocacy.HISTORY_DAYS, ge=1, le=365)
    # an advocate mention's advocate score, at least
    min_score: float = Field(default=advocacy.ADVOCATE_SCORE, ge=0, le=1)
    min_mentions: int = Field(default=advocacy.MIN_MENTIONS, ge=1)  # of them, before it


#: Authors per query of their earlier mentions: a query stays a size every backend takes.
_AUTHORS_PER_QUERY = 200


class AdvocateTurnedNegative(_PerMention):
    """A negative mention (or a 1-2 star one) by an author who, in the `history_days`
    before, wrote at least `min_mentions` advocate mentions of the brand, as
    `index.advocacy` means it: one alert per such mention. It reads the negative mentions,
    then the earlier mentions of their authors only (by author key, from an index)."""

    type = "advocate_turned_negative"
    sentiment = "negative"
    options: AdvocateTurnedNegativeOptions

    @property
    def history_hours(self) -> int:
        return 0

    @property
    def query(self) -> str:
        return "sentiment:negative OR rating<=2"

    @property
    def context_hours(self) -> int:
        return self.options.history_days * 24

    def context(self, mentions: Sequence[Mention]) -> list[Node]:
        authors = sorted({advocacy.author_of(m) for m in mentions})
        return [Or(tuple(QueryField("author", "=", author)
                         for author in authors[i:i + _AUTHORS_PER_QUERY]))
                for i in range(0, len(authors), _AUTHORS_PER_QUERY)]

    def _fired(self, mentions: Mentions, now: datetime) -> Iterator[tuple[Mention, _Said]]:
        """The baseline is the mean sentiment score of the advocate mentions before."""
        by_author: dict[str, dict[str, Mention]] = defaultdict(dict)
        for m in (*mentions.context, *mentions.mentions):
            by_author[advocacy.author_of(m)][m.id] = m
        o = self.options
        for m in mentions.mentions:
            turned = advocacy.turned_negative(
                m, by_author[advocacy.author_of(m)].values(), min_score=o.min_score,
                min_mentions=o.min_mentions, history_days=o.history_days)
            if turned is not None:
                yield m, _Said(m.sentiment.score if m.sentiment else 0.0, turned.mean_score,
                               f"{_by(m)}, an advocate ({turned.advocate_mentions} advocate "
                               f"mentions before), posted a negative {m.kind}")

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return (f"sentiment {alert.observed:+.1f} (-1 to +1), their advocate mentions before "
                f"averaged {alert.baseline:+.1f}")


def _is_negative(mention: Mention) -> bool:
    return mention.sentiment is not None and mention.sentiment.label == "negative"


class RatingDropOptions(RuleOptions):
    type: Literal["rating_drop"] = "rating_drop"
    window_days: int = Field(default=7, ge=1, le=90)
    drop: float = Field(default=0.5, gt=0, lt=4)  # stars of 5 the average falls by, at least
    min_count: int = Field(default=10, ge=3)  # rated mentions in each window, at least
    p: float = Field(default=0.01, gt=0, lt=1)  # the one-sided Mann-Whitney p, at most
    cooldown_hours: int = Field(default=24, ge=0, le=720)


# What a rating drop's explanation shows: what the 1- and 2-star ratings say.
_LOW_RATINGS = "rating<=2"


@dataclass(frozen=True, slots=True)
class _Drop:
    now: float  # mean stars in the window
    before: float  # ... in the window before
    count: int
    count_before: int
    p: float


class RatingDrop(MentionRule):
    """The average rating (as 1..5 stars, any scale) of the last `window_days` is at least
    `drop` below that of the `window_days` before, with at least `min_count` rated
    mentions in each, and the fall is significant: a one-sided Mann-Whitney U test of the
    two windows' ratings (ordinal and much tied, so no t-test) gives p <= `p`. Judged at
    every hour; a run of firing hours alerts once."""

    type = "rating_drop"
    options: RatingDropOptions

    @property
    def history_hours(self) -> int:
        return 2 * 24 * self.options.window_days

    @property
    def query(self) -> str:
        return "rating>=1"  # every rated mention

    def evaluate(self, mentions: Mentions, since: datetime, now: datetime) -> list[Alert]:
        rated = sorted((m.published_at, _stars(m.rating)) for m in mentions.mentions
                       if m.rating is not None and m.published_at is not None)
        times = [at for at, _ in rated]
        stars = [value for _, value in rated]
        window = timedelta(days=self.options.window_days)
        ends = _hours_in(since, now)
        drops = [self._judge(times, stars, end - window, end) for end in ends]
        starts = [None if d is None else end - window for d, end in zip(drops, ends, strict=True)]
        return [self._alert(mentions, ends[i], drop)
                for i in _one_per_run(starts, self.options.cooldown_hours)
                if (drop := drops[i]) is not None]

    def _judge(self, times: list[datetime], stars: list[float], start: datetime,
               end: datetime) -> _Drop | None:
        o = self.options
        window = end - start
        first, middle, last = (bisect_left(times, start - window), bisect_left(times, start),
                               bisect_left(times, end))
        before, now = stars[first:middle], stars[middle:last]
        if min(len(before), len(now)) < o.min_count:
            return None
        mean_before, mean_now = statistics.fmean(before), statistics.fmean(now)
        if mean_before - mean_now < o.drop:
            return None
        # A fall: the earlier ratings rank above the window's.
        p = rank_rise(Counter(now), Counter(before)).p
        return _Drop(mean_now, mean_before, len(now), len(before), p) if p <= o.p else None

    def _alert(self, mentions: Mentions, end: datetime, drop: _Drop) -> Alert:
        window = timedelta(days=self.options.window_days)
        days = self.options.window_days
        return Alert(
            rule=self.name, type=self.type, subject=mentions.subject, field=mentions.field,
            window_start=end - window, window_end=end, baseline_start=end - 2 * window,
            observed=round(drop.now, 2), baseline=round(drop.before, 2),
            summary=(f"{mentions.subject}: average rating {drop.now:.1f} of 5 over "
                     f"{days} days, down from {drop.before:.1f} ({drop.count} ratings "
                     f"against {drop.count_before}; Mann-Whitney p {drop.p:.1g})"),
            query=_LOW_RATINGS,
        )

    @classmethod
    def reading(cls, alert: Alert) -> str:
        return (f"average rating {alert.observed:.1f} of 5 over {_duration(_window_hours(alert))} "
                f"vs {alert.baseline:.1f} {_days_before(alert)}")


def _hours_in(since: datetime, now: datetime) -> list[datetime]:
    """Every hour boundary in (since, now], oldest first."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = []
    while end > since:
        hours.append(end)
        end -= HOUR
    return hours[::-1]


class VisibilityDropOptions(RuleOptions):
    type: Literal["visibility_drop"] = "visibility_drop"
    window_days: int = Field(default=7, ge=1, le=90)  # the period judged, ending now
    baseline_days: int = Field(default=14, ge=1, le=365)  # the period before it
    # Answers per prompt and engine each period needs, and answers naming the brand for
    # its positions to be compared: fewer say nothing.
    min_runs: int = Field(default=10, ge=2)
    min_named: int = Field(default=5, ge=2)
    p: float = Field(default=0.01, gt=0, lt=1)  # the one-sided test's chance, at most
    min_drop: float = Field(default=0.1, ge=0, le=1)  # in share of runs, at least
    min_position_drop: float = Field(default=0.5, ge=0)  # places in mean position, at least
    examples: int = Field(default=2, ge=0, le=10)  # answers shown from each period
    cooldown_hours: int = Field(default=168, ge=0, le=2160)


_EXCERPT = 280  # characters of an example answer shown


def _example(answer: Mention, brand: str) -> dict[str, Any]:
    """An answer as an alert shows it: where it named the brand, and what it said there
    (its opening when it did not name it)."""
    named = next((n for n in answer.named if n.name.casefold() == brand.casefold()), None)
    return {"id": answer.id, "url": answer.url, "published_at": answer.published_at.isoformat(),
            "position": named.position if named else None,
            "text": (named.excerpt if named and named.excerpt else answer.text)[:_EXCERPT]}


def _figures(period: Visibility) -> dict[str, Any]:
    figures = period.figures({})
    return {key: figures[key] for key in ("runs", "named", "share", "share_interval",
                                          "mean_position")}


class VisibilityDrop(MentionRule):
    """A brand named in a smaller share of the runs of a prompt on an engine, or at a worse
    mean position, over the last `window_days` than over the `baseline_days` before, when
    a one-sided test says it is not run-to-run noise: the two-proportion z test for the
    share, the Mann-Whitney U test for positions (`api.alerts.significance`), each at most
    `p`, and by at least `min_drop` or `min_position_drop`. Judged at the end of the hour
    being filled and at each day before it back to the answers' start; one alert per run
    of days it holds, with every prompt and engine that dropped and example answers from
    before and after."""

    type = "visibility_drop"
    options: VisibilityDropOptions

    @property
    def history_hours(self) -> int:
        return (self.options.window_days + self.options.baseline_days) * 24

    @property
    def query(self) -> str:
        return "kind:ai_answer"

    def evaluate(self, mentions: Mentions, since: datetime, now: datetime) -> list[Alert]:
        """The alerts of the brand's answers up to `now`, one per run of days a drop holds,
        none within the cooldown of the previous one."""
        window = timedelta(days=self.options.window_days)
        latest = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + HOUR
        ends = [latest - k * _DAY for k in range((latest - since) // _DAY, -1, -1)]
        drops = [self._drops(mentions, end) for end in ends]
        starts = [end - window if found else None for end, found in zip(ends, drops,
                                                                         strict=True)]
        return [self._alert(mentions, ends[i], drops[i])
                for i in _one_per_run(starts, self.options.cooldown_hours)]

    def _drops(self, answers: Mentions, end: datetime) -> list[dict[str, Any]]:
        """Each prompt and engine whose visibility dropped in the window ending at `end`,
        the most certain first. With many prompts and engines judged, one of them is
        bound to look like a drop now and then: each is held to `p` divided by how many
        are judged (Bonferroni), so `p` bounds the chance of a false alert for the brand."""
        o = self.options
        middle = end - timedelta(days=o.window_days)
        before, after = (_groups(answers, middle - timedelta(days=o.baseline_days), middle),
                         _groups(answers, middle, end))
        judged = sorted(group for group in before.keys() & after.keys()
                        if min(len(before[group]), len(after[group])) >= o.min_runs)
        found = [drop for group in judged
                 if (drop := self._judge(answers.subject, group, before[group], after[group],
                                         o.p / len(judged))) is not None]
        return sorted(found, key=lambda d: (d["p"], d["prompt"], d["source"]))

    def _judge(self, brand: str, group: tuple[str, str], before: list[Mention],
               after: list[Mention], alpha: float) -> dict[str, Any] | None:
        """The drop of one prompt and engine, judged on its share first, else on its
        positions, each test's chance at most `alpha`; None when neither dropped."""
        o = self.options
        was, now = Visibility(brand, *group), Visibility(brand, *group)
        for answer in before:
            was.add(answer)
        for answer in after:
            now.add(answer)
        test, measure = share_drop(was.named, was.runs, now.named, now.runs), "share"
        if test.p > alpha or was.named / was.runs - now.named / now.runs < o.min_drop:
            test, measure = rank_rise(Counter(was.positions), Counter(now.positions)), "position"
            if (min(len(was.positions), len(now.positions)) < o.min_named or test.p > alpha
                    or statistics.fmean(now.positions) - statistics.fmean(was.positions)
                    < o.min_position_drop):
                return None
        return {"prompt": group[0], "source": group[1], "measure": measure,
                "test": _TESTS[measure], "z": round(test.z, 2), "p": test.p,
                "before": _figures(was), "after": _figures(now),
                "examples_before": self._examples(brand, before, measure, worst=False),
                "examples_after": self._examples(brand, after, measure, worst=True)}

    def _examples(self, brand: str, answers: Iterable[Mention], measure: str, *,
                  worst: bool) -> list[dict[str, Any]]:
        """The latest answers showing the change: before, those naming the brand best;
        after, those leaving it out (a share drop) or naming it worst (a position drop)."""
        shown = [_example(a, brand) for a in answers]
        if measure == "share":
            shown = [e for e in shown if (e["position"] is None) == worst]
        else:
            shown = [e for e in shown if e["position"] is not None]
        shown.sort(key=lambda e: e["published_at"], reverse=True)
        if measure == "position":  # the best placed before, the worst after; then the latest
            shown.sort(key=lambda e: e["position"], reverse=worst)
        return shown[:self.options.examples]

    def _alert(self, answers: Mentions, end: datetime, drops: list[dict[str, Any]]) -> Alert:
        window = timedelta(days=self.options.window_days)
        first = drops[0]
        key = "share" if first["measure"] == "share" else "mean_position"
        return Alert(
            rule=self.name, type=self.type, subject=answers.subject, field=answers.field,
            window_start=end - window, window_end=end,
            baseline_start=end - timedelta(hours=self.history_hours),
            observed=first["after"][key], baseline=first["before"][key],
            summary=_drop_summary(answers.subject, drops), z=first["z"],
            details={"drops": drops})

    @classmethod
    def reading(cls, alert: Alert) -> str:
        drops = (alert.details or {}).get("drops", [])
        if drops and drops[0]["measure"] == "position":
            change = f"mean position {alert.observed:g}"
            before = f"{alert.baseline:g}"
        else:
            change, before = f"named in {alert.observed:.0%} of runs", f"{alert.baseline:.0%}"
        return (f"{change} over {_duration(_window_hours(alert))} vs {before} "
                f"{_days_before(alert)} (z {alert.z or 0:.1f})")


_TESTS = {"share": "two-proportion z", "position": "Mann-Whitney U"}


def _groups(answers: Mentions, since: datetime, until: datetime) -> dict[tuple[str, str],
                                                                         list[Mention]]:
    """The brand's answers published in [since, until), by prompt and engine."""
    groups: defaultdict[tuple[str, str], list[Mention]] = defaultdict(list)
    for answer in answers.mentions:
        if (answer.brand or "").casefold() == answers.subject.casefold() and (
                answer.published_at is not None and since <= answer.published_at < until):
            groups[answer.title or "", answer.source].append(answer)
    return groups


def _drop_summary(brand: str, drops: list[dict[str, Any]]) -> str:
    first = drops[0]
    was, now = first["before"], first["after"]
    if first["measure"] == "share":
        change = (f"named in {now['named']} of {now['runs']} runs ({now['share']:.0%}), "
                  f"was {was['named']} of {was['runs']} ({was['share']:.0%})")
    else:
        change = (f"mean position {now['mean_position']:g}, was {was['mean_position']:g}")
    chance = "p < 1e-9" if first["p"] < 1e-9 else f"p {first['p']:.1g}"
    more = f"; {len(drops) - 1} more prompts or engines dropped" if len(drops) > 1 else ""
    return (f"{brand}: {change} for {first['prompt']!r} on {first['source']} "
            f"({first['test']} {first['z']:g}, {chance}){more}")



_Options = (NegativeSpikeOptions | VolumeSpikeOptions | NegativeShareOptions | FlatlineOptions
            | NewLowRatingOptions | RatingDropOptions | UnansweredOptions
            | AdvocateTurnedNegativeOptions | VisibilityDropOptions)
# What an `[[alerts]]` table may be, chosen by its `type`.
AlertOptions = Annotated[_Options, Field(discriminator=TAG)]
_RULES: dict[str, type[AlertRule | MentionRule]] = {
    rule.type: rule for rule in (NegativeSpike, VolumeSpike, NegativeShare, Flatline,
                                 NewLowRating, RatingDrop, Unanswered, AdvocateTurnedNegative,
                                 VisibilityDrop)
}


def rule_for(options: _Options) -> AlertRule | MentionRule:
    """The rule type an `[[alerts]]` entry of the watchlist names."""
    return _RULES[options.type](options)


def reading(alert: Alert) -> str:
    """What the alert's figures are, in its rule type's words (`Rule.reading`)."""
    return _RULES[alert.type].reading(alert)
