"""Visibility in AI answers: how often the engines name a brand for each prompt, where, and
how much of the answers' attention it gets against its competitors, the tone toward it, the
pages they cite, and which of those pages the index already holds (a review, an advocate's
post).

`visibility` is a pure function over stored `ai_answer` mentions (`named` holds each
answer's brands, positions and the sentiment toward each, `citations` the URLs it cites).
Answers vary from run to run, so the share of runs naming the brand carries a Wilson score
interval: with 5 runs, 3 naming it is somewhere between 23% and 88%, not "60%".
`visibility_report` reads the answers and the cited mentions from a store.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from api.deps import StoreDep
from api.models import Instant
from index.advocacy import author_of
from index.backend import Filters
from index.query import And, Field, Not
from index.record import Mention, SentimentLabel
from index.urls import page_key

if TYPE_CHECKING:
    from index.backend import MentionStore

__all__ = ["ADVOCATE_MIN_SCORE", "Interval", "Visibility", "VisibilityOut", "cited_mentions",
           "period_start", "router", "visibility", "visibility_report", "wilson_interval"]

#: The least advocate score of a cited author counted among "your advocates cited by AI":
#: the one `/advocates` lists from by default.
ADVOCATE_MIN_SCORE = 0.5
#: The most-cited domains and pages shown per prompt and engine.
TOP_CITED = 10
_KIND = "ai_answer"

_Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
#: The trend's periods: UTC days, or weeks from Monday.
Interval = Literal["day", "week"]


def wilson_interval(hits: int, runs: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `hits` / `runs` (95% by default); (0, 1)
    when there are no runs. Unlike the normal approximation it stays inside 0..1 and is
    honest about 0 of 5 or 5 of 5."""
    if runs == 0:
        return (0.0, 1.0)
    share = hits / runs
    centre = share + z * z / (2 * runs)
    spread = z * math.sqrt(share * (1 - share) / runs + z * z / (4 * runs * runs))
    scale = 1 + z * z / runs
    return (max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale))


def period_start(moment: datetime, interval: Interval) -> datetime:
    """The start of the UTC day, or of the week from Monday, holding `moment`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def _share(named: int, runs: int) -> dict[str, object]:
    low, high = wilson_interval(named, runs)
    return {"runs": runs, "named": named,
            "share": round(named / runs, 4) if runs else None,
            "share_interval": [round(low, 4), round(high, 4)]}


@dataclass
class _Period:
    """One period of the trend: its answers, those naming the brand, and where."""

    runs: int = 0
    named: int = 0
    positions: list[int] = field(default_factory=list)

    def figures(self, start: datetime) -> dict[str, object]:
        return {"start": start, **_share(self.named, self.runs),
                "mean_position": round(fmean(self.positions), 2) if self.positions else None}


@dataclass
class Visibility:
    """One brand's figures for one prompt on one engine (`source`, engine:model)."""

    brand: str
    prompt: str
    source: str
    runs: int = 0  # answers stored
    named: int = 0  # answers naming the brand
    positions: list[int] = field(default_factory=list)
    mentions: Counter[str] = field(default_factory=Counter)  # brand -> answers naming it
    sentiment: Counter[str] = field(default_factory=Counter)  # toward the brand: label counts
    scores: list[float] = field(default_factory=list)  # toward the brand, -1..1
    pages: Counter[str] = field(default_factory=Counter)  # page_key -> answers citing it
    cites: list[frozenset[str]] = field(default_factory=list)  # each answer's cited pages
    interval: Interval = "day"
    trend: dict[datetime, _Period] = field(default_factory=dict)  # by period start

    def add(self, answer: Mention) -> None:
        self.runs += 1
        period = self.trend.setdefault(period_start(answer.published_at, self.interval),
                                       _Period())
        period.runs += 1
        cited = _cited_pages(answer)
        self.cites.append(cited)
        self.pages.update(cited)
        self.mentions.update({named.name for named in answer.named})
        for named in answer.named:
            if named.name.casefold() == self.brand.casefold():
                self.named += 1
                self.positions.append(named.position)
                period.named += 1
                period.positions.append(named.position)
                if named.sentiment:
                    self.sentiment[named.sentiment] += 1
                if named.score is not None:
                    self.scores.append(named.score)
                break

    def cited(self, index: Mapping[str, tuple[Mention, ...]]) -> dict[str, object]:
        """The most-cited domains and pages, each page with the ids of the mentions the
        index holds at it, and the advocates among their authors."""
        domains: Counter[str] = Counter()
        for page, answers in self.pages.items():
            domains[urlsplit(page).hostname or page] += answers
        return {
            "cited_domains": dict(_top(domains)),
            "cited_pages": [{"url": page, "answers": answers,
                             "mentions": [m.id for m in index.get(page, ())]}
                            for page, answers in _top(self.pages)],
            "advocates_cited": advocates_cited(self.cites, index),
        }

    def figures(self, index: Mapping[str, tuple[Mention, ...]]) -> dict[str, object]:
        voices = sum(self.mentions.values())
        return {
            "brand": self.brand, "prompt": self.prompt, "source": self.source,
            **_share(self.named, self.runs),
            "mean_position": round(fmean(self.positions), 2) if self.positions else None,
            # The brand's part of every brand naming in these answers.
            "share_of_voice": round(self.named / voices, 4) if voices else None,
            "competitors": dict(sorted(
                (name, count) for name, count in self.mentions.items()
                if name.casefold() != self.brand.casefold())),
            "sentiment": dict(sorted(self.sentiment.items())),
            "sentiment_score": round(fmean(self.scores), 4) if self.scores else None,
            **self.cited(index),
            "trend": [period.figures(start) for start, period in sorted(self.trend.items())],
        }


def _top(counts: Counter[str]) -> list[tuple[str, int]]:
    """The `TOP_CITED` most counted, most first, ties in name order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_CITED]


def _cited_pages(answer: Mention) -> frozenset[str]:
    return frozenset(page_key(url) for url in answer.citations)


def _is_advocate(mention: Mention) -> bool:
    return mention.advocate is not None and mention.advocate.score >= ADVOCATE_MIN_SCORE


def _best_first(mention: Mention) -> tuple[float, str, str]:
    assert mention.advocate is not None  # only advocates' mentions are ranked
    return (-mention.advocate.score, mention.url, mention.id)


def _cited_advocate(mention: Mention, answers: int) -> dict[str, object]:
    assert mention.advocate is not None
    return {"mention_id": mention.id, "url": mention.url, "author": mention.author.name,
            "handle": mention.author.handle, "score": mention.advocate.score,
            "persona": mention.advocate.persona, "answers": answers}


def advocates_cited(cites: Iterable[frozenset[str]],
                    index: Mapping[str, tuple[Mention, ...]]) -> list[dict[str, object]]:
    """The advocates (authors of a cited mention whose advocate record scores at least
    `ADVOCATE_MIN_SCORE`) whose mentions the answers cite, each once, most cited first:
    who wrote what the answers quote. `cites` holds each answer's cited pages; `answers`
    counts the answers citing any of the author's mentions. An author is shown by their best
    cited mention (the highest advocate score), as the advocate leads show an author by
    their best mention: the same persona there and here, and one approach to take."""
    answers: Counter[str] = Counter()
    best: dict[str, Mention] = {}
    for pages in cites:
        cited = [m for page in pages for m in index.get(page, ()) if _is_advocate(m)]
        answers.update({author_of(m) for m in cited})
        for mention in cited:
            author = author_of(mention)
            if author not in best or _best_first(mention) < _best_first(best[author]):
                best[author] = mention
    ranked = sorted(best, key=lambda author: (-answers[author], _best_first(best[author])))
    return [_cited_advocate(best[author], answers[author]) for author in ranked]


def visibility(brand: str, answers: Iterable[Mention],
               index: Mapping[str, tuple[Mention, ...]] | None = None,
               interval: Interval = "day") -> list[dict[str, object]]:
    """The brand's figures per (prompt, engine) from the `ai_answer` mentions asked for it
    (`brand` set to it), sorted by prompt then engine, each with its trend per `interval`
    (the periods holding answers). `index` holds the stored mentions at each cited page, by
    `page_key` (`cited_mentions`); without it no page is matched."""
    groups: dict[tuple[str, str], Visibility] = {}
    for answer in answers:
        if answer.kind != _KIND or (answer.brand or "").casefold() != brand.casefold():
            continue
        group = (answer.title or "", answer.source)
        if group not in groups:
            groups[group] = Visibility(brand, *group, interval=interval)
        groups[group].add(answer)
    return [groups[group].figures(index or {}) for group in sorted(groups)]


def cited_mentions(store: MentionStore, urls: Iterable[str]) -> dict[str, tuple[Mention, ...]]:
    """The stored mentions (not AI answers) at each of `urls`, by `page_key`: the same page
    whatever its scheme or host case, trailing slash or tracking parameters. One export per
    cited host (`site:`), so the store is never read whole."""
    wanted = {page_key(url) for url in urls}
    found: defaultdict[str, list[Mention]] = defaultdict(list)
    for host in sorted({urlsplit(page).hostname or "" for page in wanted} - {""}):
        query = And((Field("site", ":", host), Not(Field("kind", ":", _KIND))))
        for mention in store.export(query):
            if (key := page_key(mention.url)) in wanted:
                found[key].append(mention)
    return {page: tuple(mentions) for page, mentions in found.items()}


def visibility_report(store: MentionStore, brand: str, since: datetime | None = None,
                      until: datetime | None = None,
                      interval: Interval = "day") -> dict[str, object]:
    """The brand's figures from its answers stored in [since, until), with the pages they
    cite joined to the index, and the advocates cited across every prompt and engine.
    Raises ValueError naming both when `since` is not before `until`."""
    if since is not None and until is not None and since >= until:
        raise ValueError(f"since ({since.isoformat()}) must be before until "
                         f"({until.isoformat()})")
    filters = Filters(brand=brand, since=since, until=until)
    answers = list(store.export(Field("kind", ":", _KIND), filters))
    index = cited_mentions(store, (url for answer in answers for url in answer.citations))
    return {"brand": brand, "since": since, "until": until,
            "visibility": visibility(brand, answers, index, interval),
            "advocates_cited": advocates_cited(map(_cited_pages, answers), index)}


class CitedPage(BaseModel):
    url: str  # its page_key
    answers: int  # answers citing it
    mentions: list[str]  # ids of the mentions the index holds at it


class CitedAdvocate(BaseModel):
    mention_id: str
    url: str
    author: str
    handle: str | None
    score: float
    persona: str | None
    answers: int  # answers citing any of the author's mentions


class TrendPoint(BaseModel):
    """One period of the trend: the share of its runs naming the brand, with its interval."""

    start: datetime
    runs: int
    named: int
    share: float | None
    share_interval: tuple[float, float]  # 95% Wilson
    mean_position: float | None


class VisibilityRow(BaseModel):
    """One brand's figures for one prompt on one engine."""

    brand: str
    prompt: str
    source: str  # engine:model
    runs: int
    named: int
    share: float | None
    share_interval: tuple[float, float]  # 95% Wilson
    mean_position: float | None
    share_of_voice: float | None
    competitors: dict[str, int]
    sentiment: dict[SentimentLabel, int]  # toward the brand
    sentiment_score: float | None  # mean toward the brand, -1..1
    cited_domains: dict[str, int]
    cited_pages: list[CitedPage]
    advocates_cited: list[CitedAdvocate]
    trend: list[TrendPoint]  # per day or week holding answers, oldest first


class VisibilityOut(BaseModel):
    brand: str
    since: datetime | None
    until: datetime | None
    visibility: list[VisibilityRow]
    advocates_cited: list[CitedAdvocate]  # across every prompt and engine


router = APIRouter(tags=["visibility"])


@router.get("/visibility", response_model=VisibilityOut)
def get_visibility(store: StoreDep, brand: str, since: Instant | None = None,
                   until: Instant | None = None, interval: Interval = "day") -> dict[str, object]:
    """The brand's visibility in AI answers stored in [since, until), per prompt and engine,
    each with its trend per UTC day or week."""
    try:
        return visibility_report(store, brand, since, until, interval)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
