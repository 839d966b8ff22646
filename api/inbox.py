"""The inbox over HTTP: viewers read the mentions that need a response (most urgent first,
each reason and the parts of its priority shown); analysts triage them (status, assignee,
notes) and export them. The CLI's `inbox` commands call the same functions.

Items are kept in the local file (`index.inbox`), opened by each crawl's triage
(`crawlers.triage`), which also marks an item answered when it captures the brand's reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from api.deps import ViaDep, require
from api.export import ExportFormat, export_chunks, export_response, neutralise_cell
from index.inbox import (
    REASON_CODES,
    AuditEntry,
    Inbox,
    InboxError,
    InboxItem,
    ReasonCode,
    Status,
    UnknownItem,
)

__all__ = ["INBOX_COLUMNS", "WAITING", "ItemOut", "ItemPage", "TriageIn", "inbox_chunks",
           "item_out", "list_items", "router", "triage_item"]

INBOX_COLUMNS = ("priority", "status", "assignee", "reasons", "brands", "source", "author",
                 "published_at", "stars", "text", "url", "mention_id", "notes")
#: What the inbox lists when no status is asked for: what still needs someone.
WAITING: tuple[Status, ...] = ("open", "assigned")


class ReasonOut(BaseModel):
    code: ReasonCode
    detail: str


class PriorityOut(BaseModel):
    """The priority (more is more urgent) and the points it is made of."""

    total: float
    reasons: float
    reach: float
    freshness: float
    history: float


class AuditOut(BaseModel):
    at: datetime
    by: str
    via: str
    action: str  # opened, status, assignee, note, reply captured
    detail: str


class ItemOut(BaseModel):
    mention_id: str
    status: Status
    assignee: str | None
    priority: PriorityOut
    reasons: list[ReasonOut]
    brands: list[str]
    source: str
    url: str
    author: str
    author_url: str | None
    title: str | None
    text: str
    lang: str | None
    published_at: datetime | None
    stars: float | None
    reach: int  # followers plus likes, replies and reposts
    earlier: int  # the author's earlier mentions of the brand
    created_at: datetime
    updated_at: datetime
    audit: list[AuditOut] | None = None  # oldest first; only for one item
    notes: list[AuditOut] | None = None  # the audit's notes; only for one item


class ItemPage(BaseModel):
    total: int
    items: list[ItemOut]


class TriageIn(BaseModel):
    """A change to an item: any of status, assignee (or unassign) and a note."""

    by: str = Field(min_length=1, max_length=200, description="Who is making the change.")
    status: Status | None = None
    assignee: str | None = Field(None, min_length=1, max_length=200)
    unassign: bool = False
    note: str | None = Field(None, min_length=1, max_length=5000)


def item_out(item: InboxItem, now: datetime,
             audit: list[AuditEntry] | None = None) -> ItemOut:
    entry, priority = item.entry, item.priority(now)
    trail = None if audit is None else [AuditOut(**asdict(a)) for a in audit]
    return ItemOut(
        mention_id=entry.mention_id, status=item.status, assignee=item.assignee,
        priority=PriorityOut(total=priority.total, **asdict(priority)),
        reasons=[ReasonOut(code=r.code, detail=r.detail) for r in entry.reasons],
        brands=list(entry.brands), source=entry.source, url=entry.url, author=entry.author,
        author_url=entry.author_url, title=entry.title, text=entry.text, lang=entry.lang,
        published_at=entry.published_at, stars=entry.stars, reach=entry.reach,
        earlier=entry.earlier, created_at=item.created_at, updated_at=item.updated_at,
        audit=trail, notes=None if trail is None else [a for a in trail if a.action == "note"])


def list_items(inbox: Inbox, *, statuses: Iterable[str] = WAITING, brand: str | None = None,
               assignee: str | None = None, reason: str | None = None,
               now: datetime | None = None) -> list[ItemOut]:
    """The items asked for, most urgent first."""
    at = now or datetime.now(UTC)
    return [item_out(item, at) for item in inbox.items(
        statuses=statuses, brand=brand, assignee=assignee, reason=reason, now=at)]


def triage_item(inbox: Inbox, mention_id: str, change: TriageIn, via: str) -> ItemOut:
    """Apply `change`; raises `UnknownItem` or `InboxError` (nothing changed then)."""
    inbox.change(mention_id, by=change.by, via=via, status=change.status,
                 assignee=change.assignee, unassign=change.unassign, note=change.note)
    return _one(inbox, mention_id)


def _one(inbox: Inbox, mention_id: str) -> ItemOut:
    item = inbox.get(mention_id)
    if item is None:
        raise UnknownItem(mention_id)
    return item_out(item, datetime.now(UTC), inbox.audit(mention_id))


def _cells(item: ItemOut, notes: list[str]) -> list[str]:
    values = [str(item.priority.total), item.status, item.assignee or "",
              " | ".join(r.detail for r in item.reasons), " | ".join(item.brands), item.source,
              item.author, item.published_at.isoformat() if item.published_at else "",
              "" if item.stars is None else f"{item.stars:g}", item.text, item.url,
              item.mention_id, " | ".join(notes)]
    return [neutralise_cell(value) for value in values]


def inbox_chunks(inbox: Inbox, items: list[ItemOut], fmt: ExportFormat) -> Iterator[str]:
    """Items as CSV (with a header, spreadsheet-safe) or JSONL text chunks, with notes."""
    def notes(item: ItemOut) -> list[str]:
        return [a.detail for a in inbox.audit(item.mention_id) if a.action == "note"]

    return export_chunks(
        items, fmt, columns=INBOX_COLUMNS, cells=lambda item: _cells(item, notes(item)),
        json_line=lambda item: json.dumps(
            {**item.model_dump(mode="json", exclude={"audit"}), "notes": notes(item)},
            ensure_ascii=False))


router = APIRouter(prefix="/inbox", tags=["inbox"])


async def _inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


InboxDep = Annotated[Inbox, Depends(_inbox)]


StatusQuery = Annotated[list[Status] | None, Query(
    description="Items with these statuses (repeat it); default open and assigned.")]
ReasonQuery = Annotated[ReasonCode | None, Query(
    description=f"Only items with this reason: {', '.join(REASON_CODES)}.")]


@router.get("", response_model=ItemPage, dependencies=[require("viewer")])
def get_inbox(inbox: InboxDep, status: StatusQuery = None, brand: str | None = None,
              assignee: str | None = None, reason: ReasonQuery = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100,
              offset: Annotated[int, Query(ge=0)] = 0) -> ItemPage:
    items = list_items(inbox, statuses=status or WAITING, brand=brand, assignee=assignee,
                       reason=reason)
    return ItemPage(total=len(items), items=items[offset:offset + limit])


@router.get("/export", response_class=StreamingResponse, dependencies=[require("analyst")],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_inbox(inbox: InboxDep, status: StatusQuery = None, brand: str | None = None,
                 format: ExportFormat = "csv") -> Response:
    items = list_items(inbox, statuses=status or WAITING, brand=brand)
    return export_response(inbox_chunks(inbox, items, format), format, "inbox")


@router.get("/{mention_id}", response_model=ItemOut, dependencies=[require("viewer")])
def get_item(inbox: InboxDep, mention_id: str) -> ItemOut:
    try:
        return _one(inbox, mention_id)
    except UnknownItem as exc:
        raise HTTPException(404, f"no inbox item for mention {mention_id!r}") from exc


@router.patch("/{mention_id}", response_model=ItemOut, dependencies=[require("analyst")])
def patch_item(inbox: InboxDep, mention_id: str, change: TriageIn, via: ViaDep) -> ItemOut:
    try:
        return triage_item(inbox, mention_id, change, via=via)
    except UnknownItem as exc:
        raise HTTPException(404, f"no inbox item for mention {mention_id!r}") from exc
    except InboxError as exc:
        raise HTTPException(400, str(exc)) from exc
