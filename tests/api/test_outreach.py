"""Advocate outreach over a real SQLite file and the real app: contacts with a per-author
cooldown, each advocate's engagement with the brand over time, and both in the leads and
their CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.keys import KeyStore
from api.settings import Settings
from index.record import Advocate, Author, Mention, Sentiment
from index.sqlite import SqliteStore

FORUM = "https://forum.example/t"
RECOMMENDS = ("positive 100% (+0.30)", "recommends in 100%: I recommend (+0.25)")
QUIET = ("positive 100% (+0.30)", "recommends in 0% (+0.00)")
EVIL = '=HYPERLINK("https://evil.example")'


def _post(n: int, day: int, text: str, label: str, *, author: str, handle: str | None = None,
          parent: Mention | None = None, signals: tuple[str, ...] | None = None,
          site: str = FORUM) -> Mention:
    score = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[label]
    return Mention.create(
        source="reddit", native_id=f"p{n}", kind="comment" if parent else "post",
        url=f"{site}/{n}", text=text, author=Author(author, handle=handle),
        published_at=datetime(2026, 10, day, 12, tzinfo=UTC), brand="Acme", lang="en",
        parent_id=parent.id if parent else None,
        sentiment=Sentiment(label, score, 0.9, "test"),  # type: ignore[arg-type]
        advocate=Advocate(0.8, "validator", signals) if signals else None,
    )


COMPLAINT = _post(1, 3, "Acme's battery is a joke, returning it.", "negative", author="Grumpy")
MAYA = [
    _post(2, 1, "Got the Acme X1, the screen is lovely.", "positive", author="Maya Chen",
          handle="@maya_c", signals=QUIET),
    _post(3, 2, "Still happy with the Acme X1 after a month.", "positive",
          author="Maya Chen", handle="maya_c", signals=QUIET),
    _post(4, 4, "Mine lasts two days, you just need to turn off always-on. Acme is fine.",
          "positive", author="Maya Chen", handle="maya_c", parent=COMPLAINT, signals=QUIET),
    _post(5, 6, "I recommend the Acme X1 to anyone who asks.", "positive", author="Maya Chen",
          handle="maya_c", signals=RECOMMENDS),
]
ONCE = _post(6, 5, "I recommend Acme, great phone.", "positive", author=EVIL, signals=RECOMMENDS)
# The same handle on another site is someone else.
ELSEWHERE = _post(7, 7, "Acme is overrated.", "negative", author="Maya", handle="maya_c",
                  site="https://other.example/t")
MAYA_KEY = "forum.example/maya_c"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "m.db"
    with SqliteStore(path) as store:
        store.upsert([COMPLAINT, *MAYA, ONCE, ELSEWHERE])
    return path


@pytest.fixture()
def keys(db: Path) -> dict[str, str]:
    store = KeyStore(db)
    made = {role: store.create(role, role) for role in ("viewer", "analyst")}
    store.close()
    return made


@pytest.fixture()
def app(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, outreach_cooldown_days=30))) as client:
        yield client


def _as(client: TestClient, key: str) -> TestClient:
    client.headers["X-API-Key"] = key
    return client


def _ask(client: TestClient, **changes: object) -> dict[str, object]:
    body = {"brand": "Acme", "author_key": MAYA_KEY, "purpose": "review_request",
            "contacted_by": "Ann", **changes}
    response = client.post("/outreach", json=body)
    return {"status": response.status_code, **response.json()}


def test_engagement_levels_are_reached_in_time_from_the_records(db: Path) -> None:
    with SqliteStore(db) as store:
        found = store.engagement("Acme", [MAYA_KEY, "forum.example/=hyperlink(\"https://"
                                           "evil.example\")", "other.example/maya_c"])
    maya = found[MAYA_KEY]
    assert maya.level == "defends" and maya.mentions == 4
    assert [(s.level, s.at.day if s.at else None) for s in maya.history] == [
        ("first_mention", 1), ("repeat", 2), ("recommends", 6), ("defends", 4)]
    assert maya.history[-1].url == f"{FORUM}/4"  # the reply under the complaint
    assert found['forum.example/=hyperlink("https://evil.example")'].level == "recommends"
    # One mention, negative: a first mention only, and not Maya's of forum.example.
    assert found["other.example/maya_c"].level == "first_mention"


def test_engagement_of_many_authors_is_asked_in_batches(db: Path) -> None:
    # More authors than SQLite binds values in one statement (32,766).
    strangers = [f"forum.example/stranger {n}" for n in range(20_000)]
    with SqliteStore(db) as store:
        found = store.engagement("Acme", [*strangers, MAYA_KEY])
    assert list(found) == [MAYA_KEY] and found[MAYA_KEY].level == "defends"


def test_a_contact_within_the_cooldown_is_refused_unless_forced(
        app: TestClient, keys: dict[str, str]) -> None:
    client = _as(app, keys["analyst"])
    first = _ask(client, contacted_at="2026-09-01T10:00:00Z")
    assert first["status"] == 201
    assert (first["author"], first["author_key"], first["forced"]) == (
        "Maya Chen", MAYA_KEY, False)

    again = _ask(client, purpose="case_study", contacted_at="2026-09-20T10:00:00Z")
    assert again["status"] == 409
    message = again["error"]["message"]  # type: ignore[index]
    assert "Maya Chen (forum.example/maya_c) was contacted on 2026-09-01" in message
    assert "30-day cooldown runs until 2026-10-01" in message and "force" in message

    forced = _ask(client, purpose="case_study", contacted_at="2026-09-20T10:00:00Z",
                  force=True)
    assert forced["status"] == 201 and forced["forced"] is True
    # After the cooldown of the latest contact, asking again is fine.
    assert _ask(client, purpose="beta", contacted_at="2026-10-21T10:00:00Z")["status"] == 201
    listed = client.get("/outreach", params={"author_key": MAYA_KEY}).json()
    assert [c["purpose"] for c in listed] == ["beta", "case_study", "review_request"]


def test_bad_contacts_are_told_what_is_wrong(app: TestClient, keys: dict[str, str]) -> None:
    client = _as(app, keys["analyst"])
    unknown = _ask(client, author_key="forum.example/nobody")
    assert unknown["status"] == 404
    assert "no mention of Acme by forum.example/nobody" in unknown["error"]["message"]  # type: ignore[index]
    malformed = _ask(client, author_key="maya_c")
    assert malformed["status"] == 400
    assert "domain/who" in malformed["error"]["message"]  # type: ignore[index]
    assert _ask(client, purpose="bribe")["status"] == 422
    naive = _ask(client, contacted_at="2026-09-01T10:00:00")
    assert naive["status"] == 400 and "give a time zone" in naive["error"]["message"]  # type: ignore[index]
    future = _ask(client, contacted_at="2099-01-01T00:00:00Z")
    assert future["status"] == 400 and "from 2000 up to now" in future["error"]["message"]  # type: ignore[index]
    assert client.get("/outreach").json() == []  # nothing half-recorded


def test_viewers_read_outreach_and_analysts_record_it(app: TestClient,
                                                      keys: dict[str, str]) -> None:
    assert _ask(_as(app, keys["viewer"]))["status"] == 403
    contact = _ask(_as(app, keys["analyst"]))
    changed = app.patch(f"/outreach/{contact['id']}",
                        json={"outcome": "accepted", "note": "review on the 3rd"})
    assert changed.status_code == 200
    assert changed.json()["outcome"] == "accepted" and changed.json()["outcome_at"]
    assert app.patch("/outreach/999", json={"outcome": "declined"}).status_code == 404
    _as(app, keys["viewer"])
    assert app.patch(f"/outreach/{contact['id']}", json={"outcome": "declined"}).status_code == 403
    assert app.get("/outreach", params={"brand": "acme"}).json()[0]["note"] == "review on the 3rd"


def test_leads_and_their_csv_carry_engagement_and_the_last_contact(
        app: TestClient, keys: dict[str, str]) -> None:
    client = _as(app, keys["analyst"])
    now = datetime.now(UTC).replace(microsecond=0)
    _ask(client, contacted_at=(now - timedelta(days=2)).isoformat(), outcome="no_response")

    leads = {lead["author_key"]: lead for lead in
             client.get("/advocates", params={"brand": "Acme"}).json()}
    maya = leads[MAYA_KEY]
    assert maya["engagement"] == "defends" and len(maya["engagement_history"]) == 4
    assert maya["outcome"] == "no_response"
    assert datetime.fromisoformat(maya["cooldown_until"]) == now + timedelta(days=28)
    never = leads['forum.example/=hyperlink("https://evil.example")']
    assert (never["last_contacted"], never["outcome"], never["engagement"]) == (
        None, None, "recommends")

    text = client.get("/advocates/export", params={"brand": "Acme"}).text
    rows = {row["author_key"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[MAYA_KEY]["engagement"] == "defends"
    assert rows[MAYA_KEY]["outcome"] == "no_response"
    assert rows[MAYA_KEY]["last_contacted"].startswith(str(now.date() - timedelta(days=2)))
    assert rows[MAYA_KEY]["cooldown_until"]
    evil = rows['forum.example/=hyperlink("https://evil.example")']
    assert evil["author"] == "'" + EVIL  # a spreadsheet shows it, never runs it
    assert evil["last_contacted"] == evil["cooldown_until"] == ""


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_the_cli_records_refuses_forces_and_lists(db: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTIONWATCH_OUTREACH_COOLDOWN_DAYS", "10")
    base = ("outreach", "record", "--db", str(db), "--brand", "Acme", "--author", MAYA_KEY,
            "--by", "Ann")
    code, out = _cli(*base, "--purpose", "beta", "--at", "2026-11-01")
    assert code == 0 and '"purpose": "beta"' in out
    code, out = _cli(*base, "--purpose", "intro", "--at", "2026-11-05")
    assert code == 1 and "10-day cooldown runs until 2026-11-11" in out and "--force" in out
    code, out = _cli(*base, "--purpose", "intro", "--at", "2026-11-05", "--force")
    assert code == 0 and '"forced": true' in out
    code, out = _cli("outreach", "outcome", "1", "declined", "--db", str(db))
    assert code == 0 and '"outcome": "declined"' in out
    code, out = _cli("outreach", "list", "--db", str(db), "--author", MAYA_KEY)
    assert [line.count('"author_key"') for line in out.splitlines()] == [1, 1]
    code, out = _cli("outreach", "outcome", "9", "declined", "--db", str(db))
    assert code == 1 and "no outreach contact 9" in out
    code, out = _cli("export", "advocates", "--db", str(db), "--brand", "Acme")
    assert "author_key,engagement,last_contacted,outcome,cooldown_until" in out
