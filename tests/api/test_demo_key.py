"""`mentionwatch demo` reuses its API key: running it again does not add another."""

from __future__ import annotations

import stat
from pathlib import Path

from api.demo import demo_key
from api.keys import KeyStore


def test_each_run_of_the_demo_uses_the_same_key(tmp_path: Path) -> None:
    db = tmp_path / "mentionwatch.db"
    first, second = demo_key(db), demo_key(db)
    assert second == first
    keys = KeyStore(db)
    assert [(k.name, k.role) for k in keys.list()] == [("demo", "analyst")]
    assert keys.role_of(first) == "analyst"
    keys.close()
    assert stat.S_IMODE((tmp_path / "demo-key").stat().st_mode) == 0o600


def test_a_revoked_demo_key_is_replaced(tmp_path: Path) -> None:
    db = tmp_path / "mentionwatch.db"
    first = demo_key(db)
    keys = KeyStore(db)
    assert keys.revoke(keys.list()[0].id)
    keys.close()
    second = demo_key(db)
    assert second != first
    assert demo_key(db) == second
