"""The inbox over HTTP and the CLI: viewers read, analysts triage (roles enforced), each
change audited with who and through which key; the export is spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from crawlers.triage import triage_stored
from index.inbox import Inbox
from index.record import Author, Mention, Sentiment
from index.sqlite import SqliteStore
from tests.api.conftest import MENTIONS

# conftest's r2 is a 1-star negative review; this one asks, with a formula for a name.
QUESTION = Mention.create(
    source="reddit", native_id="q1", kind="post", url="https://reddit.example/q1",
    text="Does anyone know if the Acme X1 charger works with the X2?",
    author=Author('=HYPERLINK("https://evil.example")', followers=5000), brand="Acme",
    published_at=datetime(2026, 10, 9, tzinfo=UTC),
    sentiment=Sentiment("neutral", 0.0, 0.9, "test"))
ONE_STAR = MENTIONS[1]


@pytest.fixture()
def triaged(db: Path) -> Path:
    with SqliteStore(db) as store, Inbox(db) as inbox:
        store.upsert([QUESTION])
        assert triage_stored(store, inbox).opened == 2
    return db


def _as(client: TestClient, key: str) -> TestClient:
    client.headers["X-API-Key"] = key
    return client


def test_a_viewer_reads_the_inbox_with_reasons_and_priority(
        triaged: Path, anonymous: TestClient, api_keys: dict[str, str]) -> None:
    viewer = _as(anonymous, api_keys["viewer"])
    page = viewer.get("/inbox").json()
    assert page["total"] == 2
    by_id = {item["mention_id"]: item for item in page["items"]}
    assert [r["code"] for r in by_id[ONE_STAR.id]["reasons"]] == ["negative", "low_rating"]
    assert [r["detail"] for r in by_id[QUESTION.id]["reasons"]] == ["asks a question"]
    assert by_id[QUESTION.id]["priority"]["reach"] > 0
    assert viewer.get("/inbox", params={"reason": "question"}).json()["total"] == 1
    assert viewer.get(f"/inbox/{ONE_STAR.id}").json()["audit"][0]["action"] == "opened"
    assert viewer.get("/inbox/nope").status_code == 404


def test_a_viewer_cannot_triage_or_export(triaged: Path, anonymous: TestClient,
                                          api_keys: dict[str, str]) -> None:
    viewer = _as(anonymous, api_keys["viewer"])
    refused = viewer.patch(f"/inbox/{ONE_STAR.id}", json={"by": "Val", "status": "ignored"})
    assert refused.status_code == 403
    assert viewer.get("/inbox/export").status_code == 403
    with Inbox(triaged) as inbox:
        item = inbox.get(ONE_STAR.id)
        assert item is not None and item.status == "open"
        assert len(inbox.audit(ONE_STAR.id)) == 1


def test_an_analyst_assigns_notes_and_answers_each_change_audited(
        triaged: Path, client: TestClient) -> None:
    assigned = client.patch(f"/inbox/{ONE_STAR.id}",
                            json={"by": "Ana", "assignee": "Bob", "note": "Offer a refund"})
    assert assigned.status_code == 200
    item = assigned.json()
    assert (item["status"], item["assignee"]) == ("assigned", "Bob")
    assert [n["detail"] for n in item["notes"]] == ["Offer a refund"]
    done = client.patch(f"/inbox/{ONE_STAR.id}", json={"by": "Bob", "status": "answered"})
    trail = [(a["by"], a["via"], a["action"], a["detail"]) for a in done.json()["audit"]]
    assert trail[1:] == [
        ("Ana", "api key 'test analyst'", "assignee", "nobody -> Bob"),
        ("Ana", "api key 'test analyst'", "status", "open -> assigned"),
        ("Ana", "api key 'test analyst'", "note", "Offer a refund"),
        ("Bob", "api key 'test analyst'", "status", "assigned -> answered"),
    ]
    assert client.get("/inbox").json()["total"] == 1
    assert client.get("/inbox", params={"status": "answered"}).json()["total"] == 1


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"by": "Ana", "status": "closed"}, 422, "status"),
    ({"by": "Ana", "assignee": "Bob", "unassign": True}, 400, "not both"),
    ({"status": "open"}, 422, "by"),
])
def test_a_bad_change_is_refused_by_name(triaged: Path, client: TestClient,
                                         body: dict[str, object], status: int,
                                         says: str) -> None:
    answer = client.patch(f"/inbox/{ONE_STAR.id}", json=body)
    assert answer.status_code == status
    assert says in answer.json()["error"]["message"]
    assert client.patch("/inbox/nope", json={"by": "Ana", "status": "open"}).status_code == 404


def test_the_export_carries_notes_and_neutralises_formulas(triaged: Path,
                                                           client: TestClient) -> None:
    client.patch(f"/inbox/{QUESTION.id}", json={"by": "Ana", "note": "=1+1 ask support"})
    answer = client.get("/inbox/export")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = {r["mention_id"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows[QUESTION.id]["author"] == "'=HYPERLINK(\"https://evil.example\")"
    assert rows[QUESTION.id]["notes"] == "'=1+1 ask support"
    assert rows[ONE_STAR.id]["reasons"] == "negative (-0.90) | 1-star review"


def test_the_cli_scans_lists_and_triages(db: Path) -> None:
    runner = CliRunner()
    scanned = runner.invoke(main, ["inbox", "scan", "--db", str(db)])
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout) == {"opened": 1, "answered": 0}
    listed = runner.invoke(main, ["inbox", "list", "--db", str(db)])
    [item] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert item["mention_id"] == ONE_STAR.id
    changed = runner.invoke(main, ["inbox", "triage", ONE_STAR.id, "--db", str(db),
                                   "--by", "carol", "--status", "ignored"])
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["audit"][-1]["via"] == "cli"
    refused = runner.invoke(main, ["inbox", "triage", "nope", "--db", str(db),
                                   "--by", "carol", "--status", "open"])
    assert refused.exit_code == 1 and "no inbox item" in refused.output
