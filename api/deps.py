"""FastAPI dependencies: the store and settings a route is handed, and the API key check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from api.keys import KeyStore, Role, allows
from api.settings import Settings
from index.backend import MentionStore

__all__ = ["KeysDep", "SettingsDep", "StoreDep", "require"]


def get_store(request: Request) -> MentionStore:
    store: MentionStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_keys(request: Request) -> KeyStore:
    keys: KeyStore = request.app.state.keys
    return keys


StoreDep = Annotated[MentionStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="An API key from `mentionwatch keys create`.")


def require(role: Role) -> Any:
    """A dependency that lets a request through only with a key of `role` or above."""

    def check(keys: KeysDep, settings: SettingsDep,
              key: Annotated[str | None, Security(_api_key)]) -> Role:
        if not settings.auth:
            return "admin"
        if not key:
            raise HTTPException(401, "an API key is needed: send it in the X-API-Key header")
        found = keys.role_of(key)
        if found is None:
            raise HTTPException(401, "unknown or revoked API key")
        if not allows(found, role):
            raise HTTPException(403, f"this needs the {role} role; the key has {found}")
        return found

    return Depends(check)
