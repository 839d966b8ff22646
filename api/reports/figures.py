"""A brand's report for one period: its figures, each with a line saying what changed
against the period before and the mentions behind it.

`build_report` is a pure function of a store (and of the alerts the caller read from the
alert history): it reads only the store's aggregations (`count`, `histogram`, `terms`,
`aspect_counts`, `advocates`, `nps_days`) and a few example mentions, and returns plain data
that `api.reports.render` turns into HTML, PDF and charts. Periods are whole UTC days,
ISO weeks (Monday to Monday) or calendar months; a report covers the last one complete
before `now`, compared with the one just before it. Duplicates (one text syndicated to many
sites) count once, as in the API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.alerts.explain import Example
from api.reports.options import Period
from index.backend import Filters, Interval, MentionStore, aspect_counts
from index.query import Field, Node, Phrase, parse
from index.record import SENTIMENT_LABELS, Mention

__all__ = [
    "Chart",
    "Figure",
    "Period",
    "Report",
    "Window",
    "build_report",
    "period_window",
]

#: How many mentions stand behind a figure, and how many aspects and advocates are listed.
EXAMPLES = 3
TOP = 5
_EXCERPT = 240


@dataclass(frozen=True, slots=True)
class Window:
    """[since, until) in UTC, and how people name it: `2026-11-30`, `2026-W48`, `2026-11`."""

    since: datetime
    until: datetime
    label: str


def _start(period: Period, moment: datetime) -> datetime:
    """The start of the period that holds `moment` (UTC)."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _label(period: Period, since: datetime) -> str:
    if period == "week":
        year, week, _ = since.isocalendar()
        return f"{year}-W{week:02d}"
    return since.strftime("%Y-%m" if period == "month" else "%Y-%m-%d")


def period_window(period: Period, now: datetime, *, back: int = 1) -> Window:
    """The period `back` periods before the one holding `now`: with 1, the last complete
    one (what a report covers), with 2 the one before it (what it is compared with)."""
    until = _start(period, now)
    for _ in range(back - 1):
        until = _start(period, until - timedelta(microseconds=1))
    since = _start(period, until - timedelta(microseconds=1))
    return Window(since, until, _label(period, since))


@dataclass(frozen=True, slots=True)
class Chart:
    """What a figure's chart shows: a value per category for each named series; `stacked`
    puts the series on top of each other, else side by side."""

    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    stacked: bool = False
    horizontal: bool = False


@dataclass(frozen=True, slots=True)
class Figure:
    key: str  # volume, sentiment, rating, nps, share_of_voice, aspects, rising, advocates, alerts
    title: str
    value: str  # the headline: "55 mentions"
    line: str  # what changed and why, in one sentence
    examples: tuple[Example, ...] = ()  # the mentions behind it (untrusted text)
    rows: tuple[tuple[str, ...], ...] = ()  # a small table (aspects, advocates, alerts)
    chart: Chart | None = None


@dataclass(frozen=True, slots=True)
class Report:
    brand: str
    period: Period
    window: Window
    previous: Window
    figures: tuple[Figure, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def title(self) -> str:
        """"Acme: weekly report, 2026-W46"."""
        often = {"day": "daily", "week": "weekly", "month": "monthly"}[self.period]
        return f"{self.brand}: {often} report, {self.window.label}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what `mentionwatch report` prints without --pdf or --html."""
        return {
            "brand": self.brand, "period": self.period, "label": self.window.label,
            "since": self.window.since.isoformat(), "until": self.window.until.isoformat(),
            "previous": self.previous.label,
            "figures": [{"key": f.key, "title": f.title, "value": f.value, "line": f.line,
                         "rows": [list(r) for r in f.rows],
                         "examples": [asdict(e) for e in f.examples]}
                        for f in self.figures],
        }


def _example(mention: Mention) -> Example:
    text = " ".join(mention.text.split())
    if len(text) > _EXCERPT:
        text = text[:_EXCERPT - 1] + "\N{HORIZONTAL ELLIPSIS}"
    published = mention.published_at.isoformat() if mention.published_at else None
    return Example(mention.url, mention.source_domain or mention.source, published, text)


def _moved(before: float, now: float, unit: str = "", digits: int = 0) -> str:
    """"rose from 4 to 11", "fell from 20 to -5", "held at 4"."""
    def shown(value: float) -> str:
        return f"{value:.{digits}f}{unit}"

    if round(now, digits) == round(before, digits):
        return f"held at {shown(now)}"
    return f"{'rose' if now > before else 'fell'} from {shown(before)} to {shown(now)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


class _Reader:
    """The store read for one brand over the report's period and the one before."""

    def __init__(self, store: MentionStore, brand: str, window: Window, previous: Window,
                 period: Period) -> None:
        self.store, self.brand, self.period = store, brand, period
        self.window, self.previous = window, previous

    def filters(self, window: Window, *, brand: bool = True, **more: Any) -> Filters:
        return Filters(brand=self.brand if brand else None, since=window.since,
                       until=window.until, collapse=True, **more)

    def examples(self, query: Node | str = "", **more: Any) -> tuple[Example, ...]:
        hits = self.store.search(query, self.filters(self.window, **more), sort="newest",
                                 size=EXAMPLES).hits
        return tuple(_example(hit.mention) for hit in hits)

    def brand_name(self, key: str) -> str:
        """How people spell a brand key (the index keeps keys casefolded)."""
        hits = self.store.search(Field("brand", ":", key), sort="newest", size=1).hits
        return (hits[0].mention.brand or key) if hits else key

    def sentiments(self, window: Window) -> dict[str, int]:
        found = {b.key: b.count for b in self.store.terms("sentiment", "", self.filters(window))}
        return {label: found.get(label, 0) for label in SENTIMENT_LABELS}

    def top_negative_aspect(self) -> str | None:
        counts = aspect_counts(self.store, "", self.filters(self.window))
        negative = [(by["negative"], name) for name, by in counts.items() if by["negative"]]
        return max(negative)[1] if negative else None


def _volume(r: _Reader) -> Figure:
    now = r.store.count("", r.filters(r.window))
    before = r.store.count("", r.filters(r.previous))
    interval: Interval = "hour" if r.period == "day" else "day"
    buckets = r.store.histogram("", r.filters(r.window), interval=interval,
                                since=r.window.since, until=r.window.until)
    step = "%H:00" if interval == "hour" else "%m-%d"
    chart = Chart(tuple(b.start.strftime(step) for b in buckets),
                  tuple((label, tuple(float(b.by_sentiment.get(label, 0)) for b in buckets))
                        for label in SENTIMENT_LABELS), stacked=True)
    change = f" ({_percent(now - before, before):+.0f}%)" if before else ""
    return Figure("volume", "Mention volume", f"{now} mentions",
                  f"Mentions {_moved(before, now)}{change} against {r.previous.label}.",
                  r.examples(), chart=chart)


def _sentiment(r: _Reader) -> Figure:
    now, before = r.sentiments(r.window), r.sentiments(r.previous)
    total = sum(now.values())
    # The label that moved most tells the story; negative first when it moved as much.
    label = max(("negative", "positive", "neutral"),
                key=lambda k: abs(now[k] - before[k]))
    line = f"{label.capitalize()} mentions {_moved(before[label], now[label])}"
    if label == "negative" and (aspect := r.top_negative_aspect()):
        line += f"; most about {aspect}"
    chart = Chart(SENTIMENT_LABELS,
                  ((r.previous.label, tuple(float(before[k]) for k in SENTIMENT_LABELS)),
                   (r.window.label, tuple(float(now[k]) for k in SENTIMENT_LABELS))))
    split = ", ".join(f"{_percent(now[k], total):.0f}% {k}" for k in SENTIMENT_LABELS)
    return Figure("sentiment", "Sentiment", split if total else "no scored mentions",
                  line + ".", r.examples(sentiment=label) if now[label] else (), chart=chart)


def _stars(mentions: Iterable[Mention]) -> tuple[float | None, int]:
    """The average rating on 1..5 stars (any scale read as stars), and how many."""
    values = [1 + 4 * m.rating.normalized for m in mentions if m.rating is not None]
    return (sum(values) / len(values) if values else None), len(values)


def _rating(r: _Reader) -> Figure:
    rated = parse("rating>=1")  # every rated review: 1 star is the least
    now, count = _stars(r.store.export(rated, r.filters(r.window)))
    before, _ = _stars(r.store.export(rated, r.filters(r.previous)))
    if now is None:
        return Figure("rating", "Average rating", "no ratings",
                      f"No rated reviews in {r.window.label}.")
    if before is None:
        line = f"Average rating {now:.1f} stars from {count} reviews; none the period before."
    else:
        line = f"Average rating {_moved(before, now, ' stars', 1)} over {count} reviews."
    # Behind a fall, the low ratings; behind a rise or a steady rating, the high ones.
    behind = "rating<=2" if before is not None and now < before else "rating>=4"
    return Figure("rating", "Average rating", f"{now:.1f} / 5", line,
                  r.examples(parse(behind)))


def _nps_counts(r: _Reader, window: Window) -> tuple[Counter[str], int]:
    classes: Counter[str] = Counter()
    estimated = 0
    for row in (row for row in r.store.nps_days("", r.filters(window)) if row.of(r.brand)):
        classes[row.nps_class] += row.count
        estimated += row.count if row.estimated else 0
    return classes, estimated


def _nps_of(classes: Counter[str]) -> float | None:
    total = sum(classes.values())
    return (100 * (classes["promoter"] - classes["detractor"]) / total) if total else None


def _nps(r: _Reader) -> Figure:
    now_classes, estimated = _nps_counts(r, r.window)
    now, before = _nps_of(now_classes), _nps_of(_nps_counts(r, r.previous)[0])
    if now is None:
        return Figure("nps", "NPS", "no NPS data", f"No mention in {r.window.label} has an "
                      "NPS class (a rating or a sentiment).")
    parts = (f"{now_classes['promoter']} promoters, {now_classes['passive']} passives, "
             f"{now_classes['detractor']} detractors; {estimated} estimated from sentiment")
    moved = f"NPS {_moved(before, now)}" if before is not None else f"NPS {now:.0f}"
    # Detractors stand behind a fall, promoters behind a rise: read as negative and positive.
    label = "negative" if before is not None and now < before else "positive"
    return Figure("nps", "NPS", f"{now:+.0f}", f"{moved} ({parts}).",
                  r.examples(sentiment=label))


def _shares(r: _Reader, window: Window) -> dict[str, float]:
    buckets = r.store.terms("brand", "", r.filters(window, brand=False), size=100)
    total = sum(b.count for b in buckets)
    return {b.key: _percent(b.count, total) for b in buckets}


def _share_of_voice(r: _Reader) -> Figure:
    now, before = _shares(r, r.window), _shares(r, r.previous)
    key = r.brand.casefold()
    others = sorted(((s, k) for k, s in now.items() if k != key), reverse=True)[:TOP - 1]
    share = now.get(key, 0.0)
    # With no mention at all before, "rose from 0%" would invent a change.
    moved = (_moved(before.get(key, 0.0), share, "%") if before else
             f"is {share:.0f}%, with no mention of a watched brand in {r.previous.label} "
             "to compare")
    line = f"{r.brand}'s share of the watched brands' mentions {moved}"
    if others:
        line += "; " + ", ".join(f"{r.brand_name(k)} {s:.0f}%" for s, k in others)
    keys = (key, *(k for _, k in others))
    chart = Chart(tuple(r.brand_name(k) for k in keys),
                  ((r.previous.label, tuple(before.get(k, 0.0) for k in keys)),
                   (r.window.label, tuple(now.get(k, 0.0) for k in keys))))
    return Figure("share_of_voice", "Share of voice", f"{share:.0f}%",
                  line + ".", chart=chart)


def _aspects(r: _Reader) -> Figure:
    now = aspect_counts(r.store, "", r.filters(r.window))
    before = aspect_counts(r.store, "", r.filters(r.previous))
    top = sorted(now, key=lambda name: (-sum(now[name].values()), name))[:TOP]
    if not top:
        return Figure("aspects", "Top aspects", "none",
                      f"No mention in {r.window.label} names an aspect.")
    rows = tuple((name, str(sum(now[name].values())), str(now[name]["negative"]),
                  str(sum(before.get(name, {}).values()))) for name in top)
    first = top[0]
    by = now[first]
    polarity = max(SENTIMENT_LABELS, key=lambda k: by[k])
    count, previous = sum(by.values()), sum(before.get(first, {}).values())
    line = (f"Most said about {first}: {count} mentions, {by['negative']} negative "
            f"(mentions {_moved(previous, count)}).")
    chart = Chart(tuple(top), tuple((label, tuple(float(now[n][label]) for n in top))
                                    for label in SENTIMENT_LABELS),
                  stacked=True, horizontal=True)
    return Figure("aspects", "Top aspects", first, line,
                  r.examples(Field("aspect", ":", f"{first}:{polarity}")),
                  rows=(("aspect", "mentions", "negative", "before"), *rows), chart=chart)


def _rising(r: _Reader) -> Figure:
    found = r.store.significant_terms("", r.filters(r.window),
                                      background=r.filters(r.previous), size=TOP)
    if not found:
        return Figure("rising", "Rising terms", "none",
                      f"Nothing was said much more often than in {r.previous.label}.")
    first = found[0]
    line = (f"Said far more often than in {r.previous.label}: {first.key} "
            f"({_count(first.count, 'mention')}, {first.background or 0} before).")
    return Figure("rising", "Rising terms", first.key, line,
                  r.examples(Phrase(first.key)),
                  rows=(("term", "mentions", "before"),
                        *((b.key, str(b.count), str(b.background or 0)) for b in found)))


def _advocates(r: _Reader) -> Figure:
    leads = r.store.advocates("", r.filters(r.window), size=TOP)
    if not leads:
        return Figure("advocates", "Top advocates", "none",
                      f"No author recommended {r.brand} unprompted in {r.window.label}.")
    rows = []
    for lead in leads:
        best = lead.best[0]
        persona = best.advocate.persona if best.advocate else None
        rows.append((lead.latest.author.name, persona or "", str(lead.mentions),
                     f"{best.advocate.score:.2f}" if best.advocate else ""))
    top = rows[0]
    line = (f"{_count(len(leads), 'author')} recommended {r.brand}; the strongest, {top[0]}"
            f"{f' ({top[1]})' if top[1] else ''}, with {_count(leads[0].mentions, 'mention')}.")
    return Figure("advocates", "Top advocates", str(len(leads)), line,
                  tuple(_example(lead.best[0]) for lead in leads[:EXAMPLES]),
                  rows=(("author", "persona", "mentions", "score"), *rows))


def _fired(alerts: Iterable[dict[str, Any]], brand: str, window: Window) -> list[dict[str, Any]]:
    """The alerts on `brand` whose window started in `window`."""
    def in_window(alert: dict[str, Any]) -> bool:
        start = datetime.fromisoformat(alert["window_start"])
        return window.since <= start < window.until

    return [a for a in alerts if a.get("field") == "brand"
            and str(a.get("subject", "")).casefold() == brand.casefold() and in_window(a)]


def _alerts(r: _Reader, alerts: list[dict[str, Any]]) -> Figure:
    now, before = _fired(alerts, r.brand, r.window), _fired(alerts, r.brand, r.previous)
    if not now:
        return Figure("alerts", "Alerts fired", "0",
                      f"No alert fired ({len(before)} in {r.previous.label}).")
    examples = [Example(**e) for a in now
                for e in (a.get("explanation") or {}).get("examples", [])][:EXAMPLES]
    rows = tuple((a["window_start"][:16].replace("T", " "), a["summary"]) for a in now)
    return Figure("alerts", "Alerts fired", str(len(now)),
                  f"{_count(len(now), 'alert')} fired ({len(before)} in {r.previous.label}); "
                  "the first: "
                  f"{now[0]['summary']}.", tuple(examples),
                  rows=(("window (UTC)", "alert"), *rows))


def build_report(store: MentionStore, brand: str, period: Period, *, now: datetime,
                 alerts: Iterable[dict[str, Any]] = ()) -> Report:
    """`brand`'s report for the last complete `period` before `now`. `alerts` are alert
    payloads (`api.alerts.explain.payload`), e.g. from the alert history: those on the brand
    whose window started in the period are listed."""
    window, previous = period_window(period, now), period_window(period, now, back=2)
    reader = _Reader(store, brand, window, previous, period)
    reader.brand = brand = reader.brand_name(brand.casefold())  # "acme" asked, "Acme" shown
    figures = (_volume(reader), _sentiment(reader), _rating(reader), _nps(reader),
               _share_of_voice(reader), _aspects(reader), _rising(reader), _advocates(reader),
               _alerts(reader, list(alerts)))
    return Report(brand, period, window, previous, figures)
