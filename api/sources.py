"""Source coverage: the latest crawl runs, per source."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SettingsDep
from crawlers.coverage import SourceRun, recent_runs

__all__ = ["router"]

router = APIRouter(tags=["sources"])


@router.get("/sources", response_model=list[SourceRun])
def get_sources(settings: SettingsDep) -> list[SourceRun]:
    """The latest crawl runs, newest first: what was asked, pages, found, new, errors."""
    return recent_runs(settings.db)
