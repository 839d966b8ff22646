from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.keys import KeyStore
from api.settings import Settings
from index.record import Mention


def test_no_key_no_data_but_health_answers(anonymous: TestClient) -> None:
    assert anonymous.get("/health").status_code == 200
    response = anonymous.get("/mentions")
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["error"]["message"]
    assert anonymous.get("/mentions", headers={"X-API-Key": "mw_wrong"}).status_code == 401


def test_roles_are_enforced(anonymous: TestClient, api_keys: dict[str, str],
                            mentions: list[Mention]) -> None:
    url = f"/mentions/{mentions[0].id}/sentiment"
    body = {"label": "neutral", "by": "x"}
    viewer = {"X-API-Key": api_keys["viewer"]}
    assert anonymous.get("/mentions", headers=viewer).status_code == 200
    refused = anonymous.put(url, json=body, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "this needs the analyst role; the key has viewer"
    assert anonymous.put(url, json=body, headers={"X-API-Key": api_keys["analyst"]}).is_success
    assert anonymous.get("/keys", headers={"X-API-Key": api_keys["analyst"]}).status_code == 403


def test_admin_creates_and_revokes_keys(anonymous: TestClient, api_keys: dict[str, str]) -> None:
    admin = {"X-API-Key": api_keys["admin"]}
    made = anonymous.post("/keys", json={"role": "viewer", "name": "dashboard"}, headers=admin)
    assert made.status_code == 201
    new_key = made.json()["key"]
    assert anonymous.get("/mentions", headers={"X-API-Key": new_key}).status_code == 200
    listed = anonymous.get("/keys", headers=admin).json()
    assert all("key" not in k and "hash" not in k for k in listed)
    key_id = next(k["id"] for k in listed if k["name"] == "dashboard")
    assert anonymous.delete(f"/keys/{key_id}", headers=admin).status_code == 204
    assert anonymous.get("/mentions", headers={"X-API-Key": new_key}).status_code == 401
    assert anonymous.delete(f"/keys/{key_id}", headers=admin).status_code == 404


def test_keys_are_stored_hashed(db: Path) -> None:
    store = KeyStore(db)
    key = store.create("viewer", "t")
    store.close()
    stored = b"".join(p.read_bytes() for p in db.parent.glob(f"{db.name}*"))
    assert key.encode() not in stored
    assert hashlib.sha256(key.encode()).hexdigest().encode() in stored


def test_cli_creates_a_working_key(db: Path, anonymous: TestClient) -> None:
    result = CliRunner().invoke(main, ["keys", "create", "--role", "viewer", "--db", str(db)])
    assert result.exit_code == 0
    key = result.stdout.strip()
    assert anonymous.get("/mentions", headers={"X-API-Key": key}).status_code == 200
    bad = CliRunner().invoke(main, ["keys", "create", "--role", "god", "--db", str(db)])
    assert bad.exit_code == 2


def test_a_key_made_before_tables_had_versions_still_works(db: Path) -> None:
    key = "mw_made-by-an-older-mentionwatch"
    with sqlite3.connect(db) as old:  # the table as mentionwatch made it then, verbatim
        old.execute("CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY, name TEXT "
                    "NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT "
                    "NOT NULL, revoked_at TEXT)")
        old.execute("INSERT INTO api_keys (name, role, hash, created_at) VALUES (?,?,?,?)",
                    ("old", "viewer", hashlib.sha256(key.encode()).hexdigest(), "2026-01-01"))
    with TestClient(create_app(Settings(db=db))) as client:
        assert client.get("/mentions", headers={"X-API-Key": key}).status_code == 200


def test_a_key_made_while_the_crawler_holds_the_file_is_a_503(
        anonymous: TestClient, api_keys: dict[str, str]) -> None:
    admin = {"X-API-Key": api_keys["admin"]}
    crawl = sqlite3.connect(anonymous.app.state.settings.db, isolation_level=None)
    crawl.execute("BEGIN IMMEDIATE")  # a crawl writing a batch, past the 5 s busy timeout
    try:
        busy = anonymous.post("/keys", json={"role": "viewer", "name": "x"}, headers=admin)
        assert anonymous.get("/keys", headers=admin).status_code == 200  # reads go on
    finally:
        crawl.execute("ROLLBACK")
        crawl.close()
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    assert "API keys in" in busy.json()["error"]["message"]
    assert "database is locked" in busy.json()["error"]["message"]
    assert anonymous.post("/keys", json={"role": "viewer", "name": "x"},
                          headers=admin).status_code == 201
