"""Advocate leads and NPS reports: the I/O around `sentiment.advocates` and `sentiment.nps`.

`find_leads` reads a brand's mentions from the store, groups them by author, classifies the
persona of every text by a candidate (an author with a non-negative mention) in one batch,
and scores each author with the pure `assess_author`. The CLI's `export advocates` and the
routes below call the same functions.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import StoreDep, require
from api.export import ExportFormat, export_chunks, export_response, neutralise_cell
from api.models import DuplicateMode
from index.backend import Filters, MentionStore
from index.record import Mention
from sentiment.advocates import Post, assess_author
from sentiment.nps import NpsCounts, nps_counts
from sentiment.persona import PersonaClassifier, PersonaResult, load_persona_classifier

__all__ = [
    "LEAD_COLUMNS",
    "Lead",
    "NpsRow",
    "brand_mentions",
    "find_leads",
    "lead_chunks",
    "nps_report",
    "router",
]

Period = Literal["day", "week", "month", "all"]

LEAD_COLUMNS = ("author", "profile_url", "source", "persona", "score", "signals", "mentions",
                "nps_class", "last_seen", "evidence", "approach")


class Lead(BaseModel):
    author: str
    profile_url: str | None
    source: str
    persona: str | None
    score: float
    signals: list[str]
    mentions: int
    nps_class: str | None  # of the author's most recent mention
    last_seen: datetime | None
    evidence: list[str]  # up to three mention urls
    approach: str | None


def brand_mentions(store: MentionStore, brand: str) -> Iterator[Mention]:
    """Every mention of a brand, streamed."""
    return store.export("", Filters(brand=brand))


def _author_key(m: Mention) -> tuple[str, str]:
    # A display name is an identity on one site; the same name elsewhere may be someone else.
    return m.source_domain, (m.author.handle or m.author.name).strip().casefold()


def _squash(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def _is_brand_account(m: Mention, brand: str) -> bool:
    names = (m.author.handle or "", m.author.name)
    return any(_squash(brand) in _squash(name) for name in names if name)


def _post(m: Mention, reply_to_brand: bool = False,
          persona: PersonaResult | None = None) -> Post:
    return Post(
        text=m.text, url=m.url, published_at=m.published_at,
        sentiment=m.sentiment.label if m.sentiment else None,
        rating=m.rating.normalized if m.rating else None,
        followers=m.author.followers, reply_to_brand=reply_to_brand,
        personas=persona.scores if persona else {}, cues=persona.signals if persona else (),
    )


def find_leads(store: MentionStore, brand: str, classifier: PersonaClassifier, *,
               min_score: float = 0.5) -> list[Lead]:
    """The brand's advocates scoring at least `min_score`, best first."""
    by_id: dict[str, Mention] = {}
    by_author: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in brand_mentions(store, brand):
        by_id[m.id] = m
        if not _is_brand_account(m, brand):  # the brand praising itself is no advocate
            by_author[_author_key(m)].append(m)

    def replies_to_brand(m: Mention) -> bool:
        if m.parent_id is None:
            return False
        parent = by_id.get(m.parent_id) or store.get(m.parent_id)
        return parent is not None and _is_brand_account(parent, brand)

    candidates = [ms for ms in by_author.values()
                  if any(_post(m).tone != "negative" for m in ms)]
    texts = [m.text for ms in candidates for m in ms]
    results = iter(classifier.classify(texts))
    leads = []
    for ms in candidates:
        posts = [_post(m, replies_to_brand(m), next(results)) for m in ms]
        a = assess_author(posts)
        if a.score < min_score:
            continue
        latest = max(ms, key=lambda m: (m.published_at or m.collected_at))
        leads.append(Lead(
            author=latest.author.name,
            profile_url=next((m.author.url for m in ms if m.author.url), None),
            source=latest.source_domain or latest.source,
            persona=a.persona, score=a.score, signals=list(a.signals), mentions=a.mentions,
            nps_class=latest.nps_class, last_seen=a.last_seen, evidence=list(a.evidence),
            approach=a.approach,
        ))
    return sorted(leads, key=lambda lead: (-lead.score, lead.author))


def _cells(lead: Lead) -> list[str]:
    row = lead.model_dump(mode="json")
    return [neutralise_cell(" | ".join(v) if isinstance(v, list) else "" if v is None else str(v))
            for v in (row[c] for c in LEAD_COLUMNS)]


def lead_chunks(leads: Iterable[Lead], fmt: ExportFormat) -> Iterator[str]:
    """Leads as CSV (with a header, spreadsheet-safe) or JSONL text chunks."""
    return export_chunks(
        leads, fmt, columns=LEAD_COLUMNS, cells=_cells,
        json_line=lambda lead: json.dumps(lead.model_dump(mode="json"), ensure_ascii=False))


class NpsCountsOut(BaseModel):
    promoters: int
    passives: int
    detractors: int
    total: int
    nps: float | None

    @classmethod
    def of(cls, c: NpsCounts) -> NpsCountsOut:
        return cls(promoters=c.promoters, passives=c.passives, detractors=c.detractors,
                   total=c.total, nps=c.nps)


class NpsRow(BaseModel):
    brand: str
    period: str  # "2026-10", "2026-W41", "2026-10-03", or "all"
    all: NpsCountsOut  # rated mentions and those estimated from sentiment
    rated: NpsCountsOut  # only mentions with a rating (no estimates)
    estimated: int  # how many of `all` are estimates


def _period_key(moment: datetime | None, period: Period) -> str:
    if period == "all":
        return "all"
    if moment is None:
        return "undated"
    if period == "day":
        return moment.date().isoformat()
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{moment.year}-{moment.month:02d}"


def nps_report(mentions: Iterable[Mention], period: Period = "month") -> list[NpsRow]:
    """NPS per brand and period (published_at, UTC), with and without estimates."""
    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        if m.nps_class and m.brand:
            groups[(m.brand, _period_key(m.published_at, period))].append(m)
    return [
        NpsRow(brand=brand, period=key,
               all=NpsCountsOut.of(nps_counts(m.nps_class for m in ms if m.nps_class)),
               rated=NpsCountsOut.of(nps_counts(
                   m.nps_class for m in ms if m.nps_class and not m.nps_estimated)),
               estimated=sum(m.nps_estimated for m in ms))
        for (brand, key), ms in sorted(groups.items())
    ]


router = APIRouter(tags=["advocates"])


def get_persona_classifier(request: Request) -> PersonaClassifier:
    """The e5 persona classifier, loaded on first use and kept for the app's life."""
    state = request.app.state
    if getattr(state, "persona_classifier", None) is None:
        state.persona_classifier = load_persona_classifier()
    classifier: PersonaClassifier = state.persona_classifier
    return classifier


ClassifierDep = Annotated[PersonaClassifier, Depends(get_persona_classifier)]
MinScore = Annotated[float, Query(ge=0, le=1, description="Leave out weaker advocates")]


@router.get("/advocates", response_model=list[Lead])
def get_advocates(store: StoreDep, classifier: ClassifierDep, brand: str,
                  min_score: MinScore = 0.5,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Lead]:
    return find_leads(store, brand, classifier, min_score=min_score)[:limit]


@router.get("/advocates/export", response_class=StreamingResponse,
            dependencies=[require("analyst")],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_advocates(store: StoreDep, classifier: ClassifierDep, brand: str,
                     format: ExportFormat = "csv",
                     min_score: MinScore = 0.5) -> StreamingResponse:
    leads = find_leads(store, brand, classifier, min_score=min_score)
    return export_response(lead_chunks(leads, format), format,
                           f"advocates-{_squash(brand) or 'brand'}")


@router.get("/reports/nps", response_model=list[NpsRow])
def get_nps_report(store: StoreDep, brand: str | None = None, period: Period = "month",
                   duplicates: DuplicateMode = "collapse") -> list[NpsRow]:
    filters = Filters(brand=brand, collapse=duplicates == "collapse")
    return nps_report(store.export("", filters), period)
