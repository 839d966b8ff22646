"""The inbox's items in the local file: opening, triage changes, the audit trail, priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.inbox import Entry, Inbox, InboxError, Reason, UnknownItem

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NEGATIVE = (Reason("negative", "negative (-0.80)"),)


def _entry(mention_id: str, **fields: object) -> Entry:
    values: dict[str, object] = {
        "brands": ("Acme",), "source": "trustpilot", "url": f"https://t.example/{mention_id}",
        "author": "Dana", "text": "It broke.", "reasons": NEGATIVE,
        "published_at": NOW - timedelta(hours=1), **fields}
    return Entry(mention_id, **values)  # type: ignore[arg-type]


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "mentionwatch.db")


def test_an_item_opens_once_and_a_recrawl_refreshes_it_without_undoing_triage(
        inbox: Inbox) -> None:
    assert inbox.add([_entry("m1")], now=NOW) == 1
    inbox.change("m1", by="alice", via="cli", status="ignored", now=NOW)
    assert inbox.add([_entry("m1", text="It broke. Edit: still broken.")], now=NOW) == 0
    item = inbox.get("m1")
    assert item is not None
    assert (item.status, item.entry.text) == ("ignored", "It broke. Edit: still broken.")
    assert [a.action for a in inbox.audit("m1")] == ["opened", "status"]


def test_assigning_an_open_item_assigns_it_and_every_change_is_audited(inbox: Inbox) -> None:
    inbox.add([_entry("m1")], now=NOW)
    inbox.change("m1", by="alice", via="api key 'desk'", assignee="Bob", note="Call him",
                 now=NOW + timedelta(minutes=5))
    item = inbox.change("m1", by="bob", via="cli", status="answered", now=NOW + timedelta(hours=1))
    assert (item.status, item.assignee) == ("answered", "Bob")
    trail = [(a.by, a.via, a.action, a.detail) for a in inbox.audit("m1")]
    assert trail == [
        ("crawler", "crawler", "opened", "negative (-0.80)"),
        ("alice", "api key 'desk'", "assignee", "nobody -> Bob"),
        ("alice", "api key 'desk'", "status", "open -> assigned"),
        ("alice", "api key 'desk'", "note", "Call him"),
        ("bob", "cli", "status", "assigned -> answered"),
    ]
    assert inbox.audit("m1")[-1].at == NOW + timedelta(hours=1)


def test_unassigning_an_assigned_item_opens_it_again(inbox: Inbox) -> None:
    inbox.add([_entry("m1")], now=NOW)
    inbox.change("m1", by="alice", via="cli", assignee="Bob", now=NOW)
    item = inbox.change("m1", by="alice", via="cli", unassign=True, now=NOW)
    assert (item.status, item.assignee) == ("open", None)
    assert [a.detail for a in inbox.audit("m1")][-2:] == ["Bob -> nobody", "assigned -> open"]


@pytest.mark.parametrize(("change", "message"), [
    ({"status": "closed"}, "status must be one of open, assigned, answered, ignored"),
    ({"note": "  "}, "the note is empty"),
    ({"assignee": " "}, "the assignee's name is empty"),
    ({"assignee": "Bob", "unassign": True}, "not both"),
])
def test_a_bad_change_is_refused_by_name_and_changes_nothing(
        inbox: Inbox, change: dict[str, object], message: str) -> None:
    inbox.add([_entry("m1")], now=NOW)
    with pytest.raises(InboxError, match=message):
        inbox.change("m1", by="alice", via="cli", **change)  # type: ignore[arg-type]
    assert [a.action for a in inbox.audit("m1")] == ["opened"]
    with pytest.raises(UnknownItem):
        inbox.change("nope", by="alice", via="cli", status="open")


def test_a_captured_reply_answers_the_item_once(inbox: Inbox) -> None:
    inbox.add([_entry("m1")], now=NOW)
    assert inbox.reply_captured("m1", "Acme Support replied", now=NOW)
    assert not inbox.reply_captured("m1", "Acme Support replied", now=NOW)
    assert not inbox.reply_captured("unknown", "Acme Support replied", now=NOW)
    item = inbox.get("m1")
    assert item is not None and item.status == "answered"
    assert [(a.by, a.action) for a in inbox.audit("m1")][-1] == ("crawler", "reply captured")


def test_items_come_by_priority_reach_rating_freshness_and_history(inbox: Inbox) -> None:
    low = (Reason("low_rating", "1-star review"),)
    inbox.add([
        _entry("plain"),
        _entry("famous", reach=50_000),
        _entry("one-star", reasons=low, stars=1.0),
        _entry("two-star", reasons=low, stars=2.0),
        _entry("stale", published_at=NOW - timedelta(days=30)),
        _entry("regular", earlier=4),
    ], now=NOW)
    order = [i.entry.mention_id for i in inbox.items(now=NOW)]
    assert order == ["famous", "one-star", "regular", "two-star", "plain", "stale"]
    parts = inbox.items(now=NOW)[0].priority(NOW)
    assert (parts.reasons, parts.reach, parts.history) == (15, 28.2, 0)


def test_items_filter_by_status_brand_assignee_and_reason(inbox: Inbox) -> None:
    inbox.add([_entry("a"), _entry("z", brands=("Zephyr", "Acme")),
               _entry("q", reasons=(Reason("question", "asks a question"),))], now=NOW)
    inbox.change("a", by="x", via="cli", assignee="Bob", now=NOW)
    assert {i.entry.mention_id for i in inbox.items(brand="zephyr", now=NOW)} == {"z"}
    assert {i.entry.mention_id for i in inbox.items(assignee="bob", now=NOW)} == {"a"}
    assert {i.entry.mention_id for i in inbox.items(reason="question", now=NOW)} == {"q"}
    assert {i.entry.mention_id for i in inbox.items(statuses=["assigned"], now=NOW)} == {"a"}
