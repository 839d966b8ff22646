"""API keys with roles. Keys are random, shown once at creation, and stored only as hashes.

Roles nest: a viewer reads; an analyst also exports and corrects; an admin also manages
rules and keys.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from typing import Literal, get_args

from index.localstate import API_TIMEOUT, KEYS, LocalTables

__all__ = ["ROLES", "ApiKey", "KeyStore", "Role", "allows"]

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


def allows(role: Role, needed: Role) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def _hash(key: str) -> str:
    # Keys carry 256 random bits, so a plain digest is enough (no password stretching needed).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: Role
    created_at: str
    revoked_at: str | None


class KeyStore:
    """API keys in the local SQLite file (`index.localstate.KEYS`)."""

    def __init__(self, path: str | PathLike[str], *, timeout: float = API_TIMEOUT) -> None:
        self._db = LocalTables(path, KEYS, timeout=timeout)

    def create(self, role: Role, name: str) -> str:
        """A new key for `role`; the returned key is the only copy of it."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        key = "mw_" + secrets.token_urlsafe(32)
        self._db.execute("INSERT INTO api_keys (name, role, hash, created_at) VALUES (?,?,?,?)",
                         (name, role, _hash(key), datetime.now(UTC).isoformat()))
        return key

    def role_of(self, key: str) -> Role | None:
        row = self._db.one(
            "SELECT role FROM api_keys WHERE hash = ? AND revoked_at IS NULL", (_hash(key),))
        return row[0] if row else None

    def name_of(self, key: str) -> str | None:
        """The name given to an active key when it was created."""
        row = self._db.one(
            "SELECT name FROM api_keys WHERE hash = ? AND revoked_at IS NULL", (_hash(key),))
        return row[0] if row else None

    def revoke(self, key_id: int) -> bool:
        cursor = self._db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (datetime.now(UTC).isoformat(), key_id))
        return cursor.rowcount == 1

    def list(self) -> list[ApiKey]:
        rows = self._db.rows(
            "SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY id")
        return [ApiKey(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
