"""What an alert says about itself, read from the store: the terms unusually frequent in the
window against the baseline, the aspects mentioned more than usual ("negative mentions about
charging tripled"), the top sources, and a few example mentions with links. An alert on one
mention shows that mention and its source: one mention's aspects are no change against
the usual, and the mention itself says what it is about."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from api.alerts.rules import Alert, SubjectField, reading
from index.backend import Filters, MentionStore, aspect_counts
from index.record import Mention

__all__ = ["AspectChange", "Example", "Explanation", "aspect_changes", "explain", "payload",
           "subject_filters"]

#: Fewest baseline mentions that significant terms are measured against.
MIN_BACKGROUND = 30
#: Fewest mentions of an aspect in the window for it to be named: one or two say nothing.
MIN_ASPECT_COUNT = 3


@dataclass(frozen=True, slots=True)
class Example:
    url: str
    source: str
    published_at: str | None
    text: str  # untrusted: escape before putting it in HTML or Slack markup


@dataclass(frozen=True, slots=True)
class AspectChange:
    """An aspect named by more of the window's mentions than usual: `count` of them (with the
    alert's sentiment as the aspect's own polarity, if it has one), against `usual`, what the
    baseline's rate gives for a window of this length."""

    aspect: str
    count: int
    usual: float


@dataclass(frozen=True, slots=True)
class Explanation:
    top_terms: list[tuple[str, int]]
    top_sources: list[tuple[str, int]]
    examples: list[Example]
    top_aspects: list[AspectChange]


def subject_filters(by: SubjectField, subject: str, *, since: datetime | None = None,
                    until: datetime | None = None, sentiment: str | None = None) -> Filters:
    """The store filters selecting one subject's mentions (a brand's or a source's)."""
    if by == "brand":
        return Filters(brand=subject, since=since, until=until, sentiment=sentiment)
    return Filters(source=subject, since=since, until=until, sentiment=sentiment)


def _filters(alert: Alert, *, since: datetime, until: datetime,
             sentiment: str | None) -> Filters:
    return subject_filters(alert.field, alert.subject, since=since, until=until,
                           sentiment=sentiment)


def _aspect_counts(store: MentionStore, query: str, filters: Filters,
                   polarity: str | None) -> Counter[str]:
    """Mentions per aspect name, those of `polarity` only if given."""
    return Counter({name: by[polarity] if polarity else sum(by.values())  # type: ignore[index]
                    for name, by in aspect_counts(store, query, filters=filters).items()})


def aspect_changes(store: MentionStore, alert: Alert, *, size: int = 5) -> list[AspectChange]:
    """The aspects that grew most in the alert's window against its baseline, in mentions
    with the alert's sentiment; at least MIN_ASPECT_COUNT of them and more than usual."""
    now = _aspect_counts(store, alert.query,
                         _filters(alert, since=alert.window_start, until=alert.window_end,
                                  sentiment=alert.sentiment), alert.sentiment)
    before = _aspect_counts(store, alert.query,
                            _filters(alert, since=alert.baseline_start,
                                     until=alert.window_start, sentiment=alert.sentiment),
                            alert.sentiment)
    window, baseline = (alert.window_end - alert.window_start,
                        alert.window_start - alert.baseline_start)
    scale = window / baseline if baseline else 0.0
    changes = [AspectChange(name, count, round(before[name] * scale, 2))
               for name, count in now.items() if count >= MIN_ASPECT_COUNT]
    grown = [c for c in changes if c.count > c.usual]
    return sorted(grown, key=lambda c: (c.usual - c.count, c.aspect))[:size]


def _example(mention: Mention, text_chars: int) -> Example:
    published = mention.published_at.isoformat() if mention.published_at else None
    return Example(mention.url, mention.source, published, mention.text[:text_chars])


def _about_one(mention: Mention | None, text_chars: int) -> Explanation:
    """The explanation of an alert on one mention (None: since deleted)."""
    if mention is None:
        return Explanation([], [], [], [])
    return Explanation([], [(mention.source, 1)], [_example(mention, text_chars)], [])


def explain(store: MentionStore, alert: Alert, *, terms: int = 8, examples: int = 3,
            text_chars: int = 280) -> Explanation:
    """The explanation of `alert`. A flatline's window is empty, so its examples are the
    last mentions seen before it. An alert on one mention is explained by that mention, and
    an alert with its own `details` (a visibility drop) explains itself: its examples are the
    answers it shows."""
    if alert.mention_id is not None:
        return _about_one(store.get(alert.mention_id), text_chars)
    if alert.details is not None:
        return _from_details(alert.details, text_chars)
    window = _filters(alert, since=alert.window_start, until=alert.window_end,
                      sentiment=alert.sentiment)
    baseline = _filters(alert, since=alert.baseline_start, until=alert.window_start,
                        sentiment=None)
    if store.count(filters=baseline) < MIN_BACKGROUND:
        # Against a handful of mentions no term can stand out (each seems as common there
        # as in the window): compare with the subject's whole history instead.
        baseline = _filters(alert, since=None, until=alert.window_start, sentiment=None)
    if alert.type == "flatline":
        shown = _filters(alert, since=alert.baseline_start, until=alert.window_end,
                         sentiment=None)
        top_terms: list[tuple[str, int]] = []
    else:
        shown = window
        top_terms = [(b.key, b.count) for b in store.significant_terms(
            alert.query, filters=window, background=baseline, size=terms)]
    sources = [(b.key, b.count) for b in store.terms("source", alert.query, filters=shown,
                                                      size=5)]
    hits = store.search(alert.query, filters=shown, sort="newest", size=examples).hits
    return Explanation(
        top_terms=top_terms,
        top_sources=sources,
        examples=[_example(h.mention, text_chars) for h in hits],
        top_aspects=[] if alert.type == "flatline" else aspect_changes(store, alert),
    )


def _from_details(details: dict[str, Any], text_chars: int) -> Explanation:
    """A visibility drop's explanation: the engines that dropped, and for each drop its
    answers after the change, then before it."""
    drops = details.get("drops", [])
    engines = Counter(drop["source"] for drop in drops)
    examples = [Example(example["url"], drop["source"],
                        example["published_at"], f"{when}: {example['text']}"[:text_chars])
                for drop in drops for when in ("after", "before")
                for example in drop[f"examples_{when}"]]
    return Explanation(top_terms=[], top_sources=engines.most_common(), examples=examples,
                       top_aspects=[])


def payload(alert: Alert, explanation: Explanation | None) -> dict[str, Any]:
    """The alert and its explanation as JSON-ready data: what notifiers send and the
    history keeps, with its figures in words (`reading`)."""
    data = asdict(alert)
    for key in ("window_start", "window_end", "baseline_start"):
        data[key] = data[key].isoformat()
    data["key"] = alert.key
    data["reading"] = reading(alert)
    data["explanation"] = None if explanation is None else {
        "top_terms": [[term, n] for term, n in explanation.top_terms],
        "top_sources": [[source, n] for source, n in explanation.top_sources],
        "examples": [asdict(example) for example in explanation.examples],
        "top_aspects": [[c.aspect, c.count, c.usual] for c in explanation.top_aspects],
    }
    return data
