"""Admin routes: API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from api.deps import KeysDep, require
from api.keys import ApiKey, Role

__all__ = ["router"]

router = APIRouter(tags=["admin"], dependencies=[require("admin")])


class KeyCreate(BaseModel):
    role: Role
    name: str = Field(min_length=1, max_length=200)


class KeyCreated(BaseModel):
    key: str = Field(description="Shown once; only its hash is stored.")
    role: Role
    name: str


class KeyOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: str
    revoked_at: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(id=key.id, name=key.name, role=key.role, created_at=key.created_at,
                   revoked_at=key.revoked_at)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(keys: KeysDep) -> list[KeyOut]:
    return [KeyOut.of(k) for k in keys.list()]


@router.post("/keys", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, keys: KeysDep) -> KeyCreated:
    return KeyCreated(key=keys.create(body.role, body.name), role=body.role, name=body.name)


# Bounded: SQLite integers are 64-bit, and a larger id failed inside the driver (a 500).
@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(key_id: Annotated[int, Path(ge=1, le=2**63 - 1)], keys: KeysDep) -> None:
    if not keys.revoke(key_id):
        raise HTTPException(404, f"no active key with id {key_id}")
