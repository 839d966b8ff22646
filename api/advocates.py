"""Advocate leads and NPS reports: the store's aggregations of the enrichment the crawl
stored on each mention (`advocate`, `nps_class`), so no model runs here.

`find_leads` asks the store for the brand's authors with advocate mentions (the score of
`sentiment.advocates.assess_author` on each mention, set when it was written) and makes
each a lead: the best mention's score, persona and signals, the latest mention's name and
NPS class, the best mentions' urls as evidence, the author's engagement with the brand
(`index.engagement`) and, given the outreach book, their last contact and its cooldown.
`nps_report` folds the store's counts per day into periods. The CLI's `export advocates`
and the routes below call the same functions.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from api.deps import StoreDep, require
from api.export import ExportFormat, export_chunks, export_response, neutralise_cell
from api.models import DuplicateMode
from api.outreach import BookDep, LastContact, Outcome, OutreachBook
from index.backend import AuthorLead, Filters, MentionStore, NpsCount
from index.engagement import AuthorEngagement, EngagementStep, Level
from index.keys import author_key
from sentiment.nps import NpsCounts
from sentiment.persona import APPROACHES

__all__ = [
    "LEAD_COLUMNS",
    "Lead",
    "NpsRow",
    "find_leads",
    "lead_chunks",
    "nps_report",
    "router",
]

Period = Literal["day", "week", "month", "all"]

LEAD_COLUMNS = ("author", "profile_url", "source", "persona", "score", "signals", "mentions",
                "nps_class", "last_seen", "evidence", "approach", "author_key", "engagement",
                "last_contacted", "outcome", "cooldown_until")


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
    author_key: str  # who they are to outreach: domain/who
    best_mention_id: str  # the evidence first: what a reply draft answers
    engagement: Level | None = None  # the highest level reached with the brand
    engagement_history: list[EngagementStep] = []  # when each level was reached
    last_contact_id: int | None = None  # to say how it went: PATCH /outreach/{id}
    last_contacted: datetime | None = None
    outcome: Outcome | None = None  # of the last contact
    cooldown_until: datetime | None = None  # no new ask before this

    def with_outreach(self, engaged: AuthorEngagement | None,
                      contact: LastContact | None) -> Lead:
        return self.model_copy(update={
            "engagement": engaged.level if engaged else None,
            "engagement_history": list(engaged.history) if engaged else [],
            **(contact.model_dump() if contact else {})})


def _squash(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def _lead(found: AuthorLead) -> Lead:
    best, latest = found.best[0], found.latest
    advocate = best.advocate
    assert advocate is not None  # the store returns advocate mentions only
    return Lead(
        author=latest.author.name,
        profile_url=next((m.author.url for m in (latest, *found.best) if m.author.url), None),
        source=latest.source_domain or latest.source,
        persona=advocate.persona, score=advocate.score, signals=list(advocate.signals),
        mentions=found.mentions, nps_class=latest.nps_class, last_seen=latest.published_at,
        evidence=[m.url for m in found.best],
        approach=APPROACHES[advocate.persona] if advocate.persona else None,
        author_key=author_key(latest.source_domain, latest.author.handle, latest.author.name),
        best_mention_id=best.id,
    )


def find_leads(store: MentionStore, brand: str, *, min_score: float = 0.5,
               limit: int = 100, outreach: OutreachBook | None = None) -> list[Lead]:
    """The brand's advocates with a mention scoring at least `min_score`, best first, with
    their engagement and (given `outreach`) their last contact."""
    leads = [_lead(found) for found in store.advocates(
        "", Filters(brand=brand), min_score=min_score, size=limit)]
    keys = [lead.author_key for lead in leads]
    engaged = store.engagement(brand, keys)
    contacts = outreach.last_contacts(keys) if outreach else {}
    return [lead.with_outreach(engaged.get(lead.author_key), contacts.get(lead.author_key))
            for lead in leads]


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


def _period_key(day: date | None, period: Period) -> str:
    if period == "all":
        return "all"
    if day is None:
        return "undated"
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _summed(counts: Iterable[NpsCount]) -> NpsCountsOut:
    per_class = Counter[str]()
    for count in counts:
        per_class[count.nps_class] += count.count
    return NpsCountsOut.of(NpsCounts(
        per_class["promoter"], per_class["passive"], per_class["detractor"]))


def _row(brand: str, period: str, counts: list[NpsCount]) -> NpsRow:
    return NpsRow(brand=brand, period=period, all=_summed(counts),
                  rated=_summed(c for c in counts if not c.estimated),
                  estimated=sum(c.count for c in counts if c.estimated))


def nps_report(store: MentionStore, brand: str | None = None, period: Period = "month", *,
               collapse: bool = True) -> list[NpsRow]:
    """NPS per brand and period (published_at, UTC), with and without estimates; a text
    syndicated to several places counts once unless not `collapse`."""
    groups: dict[tuple[str, str], list[NpsCount]] = defaultdict(list)
    for count in store.nps_days("", Filters(brand=brand, collapse=collapse)):
        if count.of(brand):
            groups[(count.brand, _period_key(count.day, period))].append(count)
    return [_row(name, key, counts) for (name, key), counts in sorted(groups.items())]


router = APIRouter(tags=["advocates"])

MinScore = Annotated[float, Query(ge=0, le=1, description="Leave out weaker advocates")]


@router.get("/advocates", response_model=list[Lead])
def get_advocates(store: StoreDep, book: BookDep, brand: str, min_score: MinScore = 0.5,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Lead]:
    return find_leads(store, brand, min_score=min_score, limit=limit, outreach=book)


@router.get("/advocates/export", response_class=StreamingResponse,
            dependencies=[require("analyst")],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_advocates(store: StoreDep, book: BookDep, brand: str, format: ExportFormat = "csv",
                     min_score: MinScore = 0.5,
                     limit: Annotated[int, Query(ge=1, le=100000)] = 10000) -> Response:
    leads = find_leads(store, brand, min_score=min_score, limit=limit, outreach=book)
    return export_response(lead_chunks(leads, format), format,
                           f"advocates-{_squash(brand) or 'brand'}")


@router.get("/reports/nps", response_model=list[NpsRow])
def get_nps_report(store: StoreDep, brand: str | None = None, period: Period = "month",
                   duplicates: DuplicateMode = "collapse") -> list[NpsRow]:
    return nps_report(store, brand, period, collapse=duplicates == "collapse")
