"""Advocate outreach: when an advocate was contacted, for what, by whom, and how it went,
with a per-author cooldown so no one is over-asked.

An advocate is an author key (`index.keys.author_key`, `domain/who`), as leads group
authors, so a contact holds for that author whatever brand asked. Recording a contact
less than the cooldown (`MENTIONWATCH_OUTREACH_COOLDOWN_DAYS`) before or after another
is refused with `TooSoon`, unless forced; a forced one is marked so. The CLI's `outreach`
commands and the routes below call the same functions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from os import PathLike
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from api.deps import StoreDep, require
from api.models import ErrorOut
from index.advocacy import author_of
from index.backend import Filters, MentionStore
from index.engagement import by_authors
from index.keys import key
from index.localstate import API_TIMEOUT, OUTREACH, LocalTables

__all__ = [
    "OUTCOMES",
    "PURPOSES",
    "Contact",
    "ContactIn",
    "LastContact",
    "NoSuchAuthor",
    "OutcomeIn",
    "OutreachBook",
    "TooSoon",
    "find_author",
    "router",
]

Purpose = Literal["review_request", "case_study", "beta", "intro", "referral", "content",
                  "advisory", "other"]
PURPOSES: tuple[str, ...] = get_args(Purpose)
Outcome = Literal["pending", "accepted", "declined", "no_response"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class TooSoon(ValueError):
    """Raised by `OutreachBook.record` for a contact within the cooldown of another."""


class NoSuchAuthor(LookupError):
    """Raised by `find_author` when no stored mention of the brand is by that author."""


class Contact(BaseModel):
    id: int
    author_key: str
    author: str  # the name the author's latest mention gives
    brand: str
    purpose: Purpose
    contacted_by: str
    contacted_at: datetime
    outcome: Outcome
    outcome_at: datetime | None
    note: str | None
    forced: bool  # recorded within the cooldown of another contact


class LastContact(BaseModel):
    """What the advocates view and the leads export show of an author's outreach."""

    last_contact_id: int
    last_contacted: datetime
    outcome: Outcome
    cooldown_until: datetime  # no new ask before this


# When a contact may have been: not before outreach was a thing, not in the future.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _text(at: datetime) -> str:
    """One shape for every stored time, so they compare as text."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def _checked(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("contacted_at: give a time zone (2026-11-20T10:00:00Z)")
    if not _EARLIEST <= at <= datetime.now(UTC) + timedelta(days=1):
        raise ValueError(f"contacted_at: {at.isoformat()} is not a time a contact was made "
                         "(from 2000 up to now)")
    return at


_COLUMNS = ("id, author_key, author, brand, purpose, contacted_by, contacted_at, outcome, "
            "outcome_at, note, forced")


def _contact(row: tuple[object, ...]) -> Contact:
    return Contact.model_validate(dict(zip(_COLUMNS.split(", "), row, strict=True)))


class OutreachBook:
    """Outreach contacts in the local SQLite file (`index.localstate.OUTREACH`)."""

    def __init__(self, path: str | PathLike[str], *, cooldown: timedelta,
                 timeout: float = API_TIMEOUT) -> None:
        self.cooldown = cooldown
        self._db = LocalTables(path, OUTREACH, timeout=timeout)

    def record(self, *, author_key: str, author: str, brand: str, purpose: Purpose, by: str,
               at: datetime | None = None, outcome: Outcome = "pending",
               note: str | None = None, force: bool = False) -> Contact:
        """Store a contact; `TooSoon` when another of the author's is within the cooldown
        and not `force`. Checked and written in one transaction: two analysts at once
        cannot both ask."""
        at = _checked(at or datetime.now(UTC))
        when = _text(at)
        with self._db.transaction():
            near = self._db.one(
                f"SELECT {_COLUMNS} FROM outreach_contacts WHERE author_key = ? "
                "AND contacted_at > ? AND contacted_at < ? ORDER BY contacted_at DESC",
                (author_key, _text(at - self.cooldown), _text(at + self.cooldown)))
            if near and not force:
                raise TooSoon(self._too_soon(_contact(near)))
            cursor = self._db.execute(
                "INSERT INTO outreach_contacts (author_key, author, brand, purpose, "
                "contacted_by, contacted_at, outcome, outcome_at, note, forced) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (author_key, author, brand, purpose, by, when, outcome,
                 None if outcome == "pending" else when, note, int(bool(near))))
        return self.get(int(cursor.lastrowid or 0))

    def _too_soon(self, other: Contact) -> str:
        days = self.cooldown.days
        return (f"{other.author} ({other.author_key}) was contacted on "
                f"{other.contacted_at:%Y-%m-%d} ({other.purpose}, by {other.contacted_by}, "
                f"{other.outcome}); the {days}-day cooldown runs until "
                f"{other.contacted_at + self.cooldown:%Y-%m-%d}: record it anyway with force "
                '(`"force": true`, `--force` on the command line)')

    def set_outcome(self, contact_id: int, outcome: Outcome,
                    note: str | None = None) -> Contact | None:
        """Say how a contact went; None when there is no such contact."""
        cursor = self._db.execute(
            "UPDATE outreach_contacts SET outcome = ?, outcome_at = ?, "
            "note = coalesce(?, note) WHERE id = ?",
            (outcome, _text(datetime.now(UTC)), note, contact_id))
        return self.get(contact_id) if cursor.rowcount else None

    def get(self, contact_id: int) -> Contact:
        row = self._db.one(f"SELECT {_COLUMNS} FROM outreach_contacts WHERE id = ?",
                           (contact_id,))
        if row is None:
            raise KeyError(contact_id)
        return _contact(row)

    def contacts(self, *, author_key: str | None = None, brand: str | None = None,
                 limit: int = 100) -> list[Contact]:
        """Newest first, of one author or brand (or all)."""
        rows = self._db.rows(
            f"SELECT {_COLUMNS} FROM outreach_contacts WHERE (? IS NULL OR author_key = ?) "
            "AND (? IS NULL OR brand = ? COLLATE NOCASE) "
            "ORDER BY contacted_at DESC, id DESC LIMIT ?",
            (author_key, author_key, brand, brand, limit))
        return [_contact(row) for row in rows]

    def last_contacts(self, keys: list[str]) -> dict[str, LastContact]:
        """Each author's latest contact (any brand), with the cooldown it starts."""
        found: dict[str, LastContact] = {}
        for chunk in (keys[i:i + 500] for i in range(0, len(keys), 500)):
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.rows(
                "SELECT author_key, id, contacted_at, outcome FROM outreach_contacts "
                f"WHERE author_key IN ({marks}) ORDER BY contacted_at, id", chunk)
            for who, contact_id, at, outcome in rows:  # the latest overwrites the earlier ones
                when = datetime.fromisoformat(at)
                found[who] = LastContact(last_contact_id=contact_id, last_contacted=when,
                                         outcome=outcome, cooldown_until=when + self.cooldown)
        return found

    def close(self) -> None:
        self._db.close()


def _parts(author: str) -> tuple[str, str]:
    domain, slash, who = author.partition("/")
    if not slash or not domain.strip() or not who.strip():
        raise ValueError(f"author {author!r}: give the author key as the leads show it, "
                         "domain/who (reddit.com/maya_c)")
    return key(domain), key(who).removeprefix("@")


def find_author(store: MentionStore, brand: str, author: str) -> tuple[str, str]:
    """The author key and the name of the latest mention of `brand` by `author` (an author
    key); ValueError for a malformed key, `NoSuchAuthor` when none is stored."""
    wanted = "/".join(_parts(author))
    name = None
    for mention in store.export(by_authors([wanted]), Filters(brand=brand)):
        if author_of(mention) == wanted:
            name = mention.author.name  # the latest: export is oldest first
    if name is None:
        raise NoSuchAuthor(f"no mention of {brand} by {wanted} is stored: give an "
                           "author_key from the brand's leads")
    return wanted, name


class ContactIn(BaseModel):
    brand: str = Field(min_length=1)
    author_key: str = Field(min_length=3, description="As the leads show it: domain/who.")
    purpose: Purpose
    contacted_by: str = Field(min_length=1, max_length=200)
    contacted_at: datetime | None = Field(None, description="Default: now. With a zone.")
    outcome: Outcome = "pending"
    note: str | None = Field(None, max_length=2000)
    force: bool = Field(False, description="Record it even within the cooldown.")


class OutcomeIn(BaseModel):
    outcome: Outcome
    note: str | None = Field(None, max_length=2000)


async def get_book(request: Request) -> OutreachBook:
    book: OutreachBook = request.app.state.outreach
    return book


BookDep = Annotated[OutreachBook, Depends(get_book)]
router = APIRouter(tags=["outreach"])


@router.get("/outreach", response_model=list[Contact], dependencies=[require("viewer")])
def get_contacts(book: BookDep, brand: str | None = None, author_key: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Contact]:
    return book.contacts(author_key=author_key, brand=brand, limit=limit)


@router.post("/outreach", response_model=Contact, status_code=201,
             dependencies=[require("analyst")], responses={409: {"model": ErrorOut}})
def post_contact(book: BookDep, store: StoreDep, contact: ContactIn) -> Contact:
    try:
        found, name = find_author(store, contact.brand, contact.author_key)
        return book.record(author_key=found, author=name, brand=contact.brand,
                           purpose=contact.purpose, by=contact.contacted_by,
                           at=contact.contacted_at, outcome=contact.outcome,
                           note=contact.note, force=contact.force)
    except TooSoon as exc:
        raise HTTPException(409, str(exc)) from None
    except NoSuchAuthor as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.patch("/outreach/{contact_id}", response_model=Contact,
              dependencies=[require("analyst")])
def patch_contact(book: BookDep, contact_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                  change: OutcomeIn) -> Contact:
    found = book.set_outcome(contact_id, change.outcome, change.note)
    if found is None:
        raise HTTPException(404, f"no outreach contact {contact_id}")
    return found
