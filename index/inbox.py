"""The inbox: the mentions that need a response, and how a team works through them.

Triage (`crawlers.triage`) decides which mentions need a response and why, and `add`s them
here; each item then has a status (open, assigned, answered, ignored), an assignee, notes
and an audit trail of who changed what, when and through what (the API with a key, the
CLI, the crawler). A reply the crawler captures marks its item answered (`reply_captured`).
Items live in the local SQLite file (`index.localstate.INBOX`), keyed by mention id, so the
inbox works with either index backend:

    with Inbox("mentionwatch.db") as inbox:
        for item in inbox.items(statuses=("open",), brand="Acme"):
            print(item.priority(now).total, item.entry.text)
        inbox.change(item.entry.mention_id, by="alice", via="cli", status="ignored")

Items come most urgent first: `priority` adds up points for the reasons, the author's reach,
how fresh the mention is and how often the author wrote about the brand before.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, get_args

from index.keys import key
from index.localstate import API_TIMEOUT, INBOX, LocalTables

__all__ = [
    "REASON_CODES",
    "STATUSES",
    "AuditEntry",
    "Entry",
    "Inbox",
    "InboxError",
    "InboxItem",
    "Priority",
    "Reason",
    "ReasonCode",
    "Status",
    "UnknownItem",
]

Status = Literal["open", "assigned", "answered", "ignored"]
STATUSES: tuple[Status, ...] = get_args(Status)
ReasonCode = Literal["advocate_turned_negative", "low_rating", "negative", "negative_aspect",
                     "question"]
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)

# Points each reason adds to an item's priority: a lost advocate costs most, then a public
# low rating (it moves the average everyone sees), then plain negativity; a question or a
# complaint about one aspect is usually answered by a pointer.
_REASON_POINTS: dict[str, float] = {"advocate_turned_negative": 30, "low_rating": 20,
                                    "negative": 15, "negative_aspect": 10, "question": 10}
# A 1-star review weighs this much more than the 2-star one.
_ONE_STAR_POINTS = 5.0
# Reach: points per tenfold more followers and engagement, up to a cap (10k reach: 24).
_REACH_POINTS, _REACH_CAP = 6.0, 30.0
# Freshness: a new mention gets this many points, halving every `_HALF_LIFE_HOURS`: negative
# voices spread in the first days, a month-old one is answered for the record.
_FRESH_POINTS, _HALF_LIFE_HOURS = 20.0, 72.0
# History: points per earlier mention of the brand by the same author, up to a cap.
_EARLIER_POINTS, _EARLIER_CAP = 2.0, 10.0


class InboxError(ValueError):
    """Raised by `Inbox.change` for a change it cannot make (an unknown status, an empty
    note); the message says what is wrong."""


class UnknownItem(KeyError):
    """Raised by `Inbox.change` for a mention id that is not in the inbox."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a mention needs a response: its `code`, and what people read (`detail`)."""

    code: ReasonCode
    detail: str


@dataclass(frozen=True, slots=True)
class Entry:
    """What the inbox keeps of a mention that needs a response (refreshed by each
    re-crawl): enough to list, sort and show it without the index."""

    mention_id: str
    brands: tuple[str, ...]
    source: str
    url: str
    author: str
    text: str
    reasons: tuple[Reason, ...]
    reach: int = 0  # the author's followers plus the mention's likes, replies and reposts
    earlier: int = 0  # the author's earlier mentions of the brand
    author_url: str | None = None
    title: str | None = None
    lang: str | None = None
    published_at: datetime | None = None
    stars: float | None = None  # the rating on 1..5 stars, when it has one


@dataclass(frozen=True, slots=True)
class Priority:
    """An item's priority and its parts, so people see why it comes first."""

    reasons: float
    reach: float
    freshness: float
    history: float

    @property
    def total(self) -> float:
        return round(self.reasons + self.reach + self.freshness + self.history, 1)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    by: str  # who: a person's name, or "crawler"
    via: str  # through what: "api key 'web'", "cli", "crawler"
    action: str  # opened, status, assignee, note, reply captured
    detail: str


@dataclass(frozen=True, slots=True)
class InboxItem:
    entry: Entry
    status: Status
    assignee: str | None
    created_at: datetime
    updated_at: datetime

    def priority(self, now: datetime) -> Priority:
        """Points for the reasons, reach, freshness (from publication, else from when the
        item was opened) and the author's history; more is more urgent."""
        entry = self.entry
        reasons = sum(_REASON_POINTS[r.code] for r in entry.reasons)
        if entry.stars is not None and entry.stars < 2 and any(
                r.code == "low_rating" for r in entry.reasons):
            reasons += _ONE_STAR_POINTS
        hours = max(0.0, (now - (entry.published_at or self.created_at)).total_seconds() / 3600)
        return Priority(
            reasons=reasons,
            reach=round(min(_REACH_CAP, _REACH_POINTS * math.log10(1 + entry.reach)), 1),
            freshness=round(_FRESH_POINTS * 0.5 ** (hours / _HALF_LIFE_HOURS), 1),
            history=min(_EARLIER_CAP, _EARLIER_POINTS * entry.earlier),
        )


_ITEM_COLUMNS = ("mention_id, brands, source, url, author, text, reasons, reach, earlier, "
                 "author_url, title, lang, published_at, stars, status, assignee, created_at, "
                 "updated_at")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _entry_row(entry: Entry) -> tuple[Any, ...]:
    reasons = json.dumps([[r.code, r.detail] for r in entry.reasons], ensure_ascii=False)
    return (entry.mention_id, json.dumps(entry.brands, ensure_ascii=False), entry.source,
            entry.url, entry.author, entry.text, reasons, entry.reach, entry.earlier,
            entry.author_url, entry.title, entry.lang, _iso(entry.published_at), entry.stars)


def _item(row: tuple[Any, ...]) -> InboxItem:
    (mention_id, brands, source, url, author, text, reasons, reach, earlier, author_url,
     title, lang, published_at, stars, status, assignee, created_at, updated_at) = row
    entry = Entry(mention_id, tuple(json.loads(brands)), source, url, author, text,
                  tuple(Reason(code, detail) for code, detail in json.loads(reasons)),
                  reach, earlier, author_url, title, lang, _moment(published_at), stars)
    return InboxItem(entry, status, assignee, datetime.fromisoformat(created_at),
                     datetime.fromisoformat(updated_at))


def _implied(status: Status, *, assigned: bool, unassigned: bool) -> Status:
    """The status a change of assignee alone leaves an item in."""
    if assigned and status == "open":
        return "assigned"
    if unassigned and status == "assigned":
        return "open"
    return status


class Inbox:
    """The inbox's items and audit trail in the local file. Raises `StoreError` (or
    `BackendUnavailable`) for the file's failures, like every owner of a local table."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = API_TIMEOUT) -> None:
        self._db = LocalTables(path, INBOX, timeout=timeout)

    def add(self, entries: Iterable[Entry], *, by: str = "crawler", via: str = "crawler",
            now: datetime | None = None) -> int:
        """Open an item for each new entry; for one already in the inbox, refresh what it
        keeps of the mention (its reasons and text may have changed), never its triage.
        Returns how many items were opened."""
        at = _iso(now or datetime.now(UTC))
        opened = 0
        with self._db.transaction():
            for entry in entries:
                row = _entry_row(entry)
                cursor = self._db.execute(
                    f"INSERT INTO inbox_items ({_ITEM_COLUMNS}) VALUES "
                    f"({', '.join('?' * 18)}) ON CONFLICT (mention_id) DO NOTHING",
                    (*row, "open", None, at, at))
                if cursor.rowcount:
                    opened += 1
                    self._audit(entry.mention_id, at, by, via, "opened",
                                "; ".join(r.detail for r in entry.reasons))
                else:
                    self._db.execute(
                        "UPDATE inbox_items SET brands = ?, source = ?, url = ?, author = ?, "
                        "text = ?, reasons = ?, reach = ?, earlier = ?, author_url = ?, "
                        "title = ?, lang = ?, published_at = ?, stars = ? WHERE mention_id = ?",
                        (*row[1:], entry.mention_id))
        return opened

    def reply_captured(self, mention_id: str, detail: str, *, by: str = "crawler",
                       via: str = "crawler", now: datetime | None = None) -> bool:
        """Mark an item answered because the brand's reply was found (`detail` says whose
        and when); False when it is not in the inbox or was answered already."""
        at = _iso(now or datetime.now(UTC))
        with self._db.transaction():
            cursor = self._db.execute(
                "UPDATE inbox_items SET status = 'answered', updated_at = ? "
                "WHERE mention_id = ? AND status != 'answered'", (at, mention_id))
            if not cursor.rowcount:
                return False
            self._audit(mention_id, at, by, via, "reply captured", detail)
        return True

    def change(self, mention_id: str, *, by: str, via: str, status: str | None = None,
               assignee: str | None = None, unassign: bool = False, note: str | None = None,
               now: datetime | None = None) -> InboxItem:
        """Triage an item: set its status, its assignee (assigning an open item makes it
        assigned; `unassign` clears it, and an assigned item is open again), and/or add a
        note, each change one audit entry.
        Raises `UnknownItem`, or `InboxError` naming a bad value; nothing changes then."""
        if status is not None and status not in STATUSES:
            raise InboxError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        if note is not None and not note.strip():
            raise InboxError("the note is empty")
        if assignee is not None and (unassign or not assignee.strip()):
            raise InboxError("give an assignee's name, or unassign, not both"
                             if unassign else "the assignee's name is empty")
        at = _iso(now or datetime.now(UTC))
        with self._db.transaction():
            item = self.get(mention_id)
            if item is None:
                raise UnknownItem(mention_id)
            new_assignee = None if unassign else (assignee.strip() if assignee else item.assignee)
            new_status = status or _implied(item.status, assigned=bool(assignee),
                                            unassigned=unassign)
            if new_assignee != item.assignee:
                self._audit(mention_id, at, by, via, "assignee",
                            f"{item.assignee or 'nobody'} -> {new_assignee or 'nobody'}")
            if new_status != item.status:
                self._audit(mention_id, at, by, via, "status", f"{item.status} -> {new_status}")
            if note is not None:
                self._audit(mention_id, at, by, via, "note", note.strip())
            self._db.execute(
                "UPDATE inbox_items SET status = ?, assignee = ?, updated_at = ? "
                "WHERE mention_id = ?", (new_status, new_assignee, at, mention_id))
            changed = self.get(mention_id)
        assert changed is not None  # it was there, inside this transaction
        return changed

    def get(self, mention_id: str) -> InboxItem | None:
        row = self._db.one(f"SELECT {_ITEM_COLUMNS} FROM inbox_items WHERE mention_id = ?",
                           (mention_id,))
        return _item(row) if row else None

    def items(self, *, statuses: Iterable[str] = ("open", "assigned"), brand: str | None = None,
              assignee: str | None = None, reason: str | None = None,
              now: datetime | None = None) -> list[InboxItem]:
        """The items with one of `statuses` (and the brand, assignee and reason when given,
        compared case-insensitively), most urgent first at `now` (ties: oldest first)."""
        wanted = list(dict.fromkeys(statuses))
        rows = self._db.rows(
            f"SELECT {_ITEM_COLUMNS} FROM inbox_items WHERE status IN "
            f"({', '.join('?' * len(wanted))}) ORDER BY created_at, mention_id", wanted)
        found = [_item(row) for row in rows]
        if brand:
            found = [i for i in found if key(brand) in {key(b) for b in i.entry.brands}]
        if assignee:
            found = [i for i in found if i.assignee and key(i.assignee) == key(assignee)]
        if reason:
            found = [i for i in found if any(r.code == reason for r in i.entry.reasons)]
        at = now or datetime.now(UTC)
        return sorted(found, key=lambda item: -item.priority(at).total)

    def audit(self, mention_id: str) -> list[AuditEntry]:
        """The item's audit trail, oldest first."""
        rows = self._db.rows("SELECT at, by, via, action, detail FROM inbox_audit "
                             "WHERE mention_id = ? ORDER BY id", (mention_id,))
        return [AuditEntry(datetime.fromisoformat(at), by, via, action, detail)
                for at, by, via, action, detail in rows]

    def _audit(self, mention_id: str, at: str | None, by: str, via: str, action: str,
               detail: str) -> None:
        self._db.execute("INSERT INTO inbox_audit (mention_id, at, by, via, action, detail) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (mention_id, at, by, via, action, detail))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
