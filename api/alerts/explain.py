"""What an alert says about itself, read from the store: the terms unusually frequent in the
window against the baseline, the top sources, and a few example mentions with links."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from api.alerts.rules import Alert, SubjectField
from index.backend import Filters, MentionStore

__all__ = ["Example", "Explanation", "explain", "payload", "subject_filters"]

#: Fewest baseline mentions that significant terms are measured against.
MIN_BACKGROUND = 30


@dataclass(frozen=True, slots=True)
class Example:
    url: str
    source: str
    published_at: str | None
    text: str  # untrusted: escape before putting it in HTML or Slack markup


@dataclass(frozen=True, slots=True)
class Explanation:
    top_terms: list[tuple[str, int]]
    top_sources: list[tuple[str, int]]
    examples: list[Example]


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


def explain(store: MentionStore, alert: Alert, *, terms: int = 8, examples: int = 3,
            text_chars: int = 280) -> Explanation:
    """The explanation of `alert`. A flatline's window is empty, so its examples are the
    last mentions seen before it."""
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
        top_terms = [(b.key, b.count) for b in
                     store.significant_terms(filters=window, background=baseline, size=terms)]
    sources = [(b.key, b.count) for b in store.terms("source", filters=shown, size=5)]
    hits = store.search(filters=shown, sort="newest", size=examples).hits
    return Explanation(
        top_terms=top_terms,
        top_sources=sources,
        examples=[Example(h.mention.url, h.mention.source,
                          h.mention.published_at.isoformat() if h.mention.published_at else None,
                          h.mention.text[:text_chars]) for h in hits],
    )


def payload(alert: Alert, explanation: Explanation | None) -> dict[str, Any]:
    """The alert and its explanation as JSON-ready data: what notifiers send and the
    history keeps."""
    data = asdict(alert)
    for key in ("window_start", "window_end", "baseline_start"):
        data[key] = data[key].isoformat()
    data["key"] = alert.key
    data["explanation"] = None if explanation is None else {
        "top_terms": [[term, n] for term, n in explanation.top_terms],
        "top_sources": [[source, n] for source, n in explanation.top_sources],
        "examples": [asdict(example) for example in explanation.examples],
    }
    return data
