from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from api.keys import KeyStore
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
