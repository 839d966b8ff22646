"""Source coverage: the latest crawl runs, per source."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SettingsDep
from crawlers.coverage import SourceRun, recent_runs

__all__ = ["router", "source_coverage"]

router = APIRouter(tags=["sources"])


class SourceRunOut(BaseModel):
    source: str
    asked: list[str]
    started_at: str
    finished_at: str
    pages: int
    found: int
    new: int
    updated: int
    errors: int
    unreadable: int
    finish_reason: str | None

    @classmethod
    def of(cls, run: SourceRun) -> SourceRunOut:
        return cls(**{name: getattr(run, name) for name in cls.model_fields})


def source_coverage(db: str, limit: int = 50) -> list[SourceRunOut]:
    return [SourceRunOut.of(r) for r in recent_runs(db, limit=limit)]


@router.get("/sources", response_model=list[SourceRunOut])
def get_sources(settings: SettingsDep) -> list[SourceRunOut]:
    """The latest crawl runs, newest first: what was asked, pages, found, new, errors."""
    return source_coverage(str(settings.db))
