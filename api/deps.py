"""FastAPI dependencies: the store and settings a route is handed, and the API key check.

They are `async def`: FastAPI runs a plain `def` dependency in its thread pool, a hop
(and a wait for a free thread under load) per dependency per request, and these only read
app state or look a key up by its indexed hash, which takes microseconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from api.keys import KeyStore, Role, allows
from api.settings import Settings
from index.backend import MentionStore

__all__ = ["KeysDep", "Labels", "LabelsDep", "SettingsDep", "StoreDep", "ViaDep", "require"]


class Labels:
    """Display labels (how people spell a brand or author key), each kept for `ttl`
    seconds: share of voice and top values would otherwise look up every bucket's label,
    one query each, on every request. At most `size` are kept."""

    def __init__(self, ttl: float = 60.0, size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._kept: dict[Hashable, tuple[float, str | None]] = {}

    def get(self, key: Hashable, look_up: Callable[[], str | None]) -> str | None:
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        label = look_up()
        if len(self._kept) >= self._size:
            self._kept.clear()  # rare: only a long tail of authors gets here
        self._kept[key] = (now + self._ttl, label)
        return label


async def get_store(request: Request) -> MentionStore:
    store: MentionStore = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_labels(request: Request) -> Labels:
    labels: Labels = request.app.state.labels
    return labels


async def get_keys(request: Request) -> KeyStore:
    keys: KeyStore = request.app.state.keys
    return keys


StoreDep = Annotated[MentionStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]
LabelsDep = Annotated[Labels, Depends(get_labels)]

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="An API key from `mentionwatch keys create`.")


def require(role: Role) -> Any:
    """A dependency that lets a request through only with a key of `role` or above."""

    async def check(keys: KeysDep, settings: SettingsDep,
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


async def via_key(keys: KeysDep, settings: SettingsDep,
                  key: Annotated[str | None, Security(_api_key)]) -> str:
    """Through what a request came, for audit trails: its API key, by name (a name the
    key's creator chose, unlike a `by` the caller writes in the request)."""
    name = keys.name_of(key) if settings.auth and key else None
    return f"api key {name!r}" if name else "api"


ViaDep = Annotated[str, Depends(via_key)]
