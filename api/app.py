"""The HTTP API: `create_app(settings)` builds it; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api import (
    admin,
    advocates,
    analytics,
    drafts,
    inbox,
    mentions,
    outreach,
    overview,
    responses,
    sources,
    visibility,
)
from api.alerts import routes as alert_routes
from api.dashboard import mount_dashboard
from api.deps import Labels, StoreDep, require
from api.docs_page import mount_docs
from api.keys import KeyStore
from api.models import ErrorOut, HealthOut
from api.settings import Settings
from index.errors import BackendUnavailable, QueryError
from index.inbox import Inbox
from index.stores import open_configured

__all__ = ["RETRY_AFTER_SECONDS", "create_app", "route_threads"]

#: What a 503 (the store stayed busy or cannot be reached) tells the client to wait.
RETRY_AFTER_SECONDS = 5


def route_threads(workers: int) -> int:
    """Threads that run the (blocking) routes in each worker process: enough to keep the
    store's read connections and the cores busy. More only add GIL contention and memory:
    under 20 clients, 8 gave 15% more requests/s than anyio's default of 40, and 4 another
    5-10%; with two workers, 2 each gave 30% more than 4 each (docs/BENCHMARKS.md)."""
    return max(2, 4 // workers)


def _error(status: int, kind: str, message: str, position: int | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"type": kind, "message": message, "position": position}}
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = route_threads(settings.workers)
        app.state.store = open_configured(settings.db)
        app.state.keys = KeyStore(settings.db)
        app.state.inbox = Inbox(settings.db)
        app.state.labels = Labels()
        app.state.outreach = outreach.OutreachBook(
            settings.db, cooldown=timedelta(days=settings.outreach_cooldown_days))
        try:
            yield
        finally:
            app.state.store.close()
            app.state.keys.close()
            app.state.inbox.close()
            app.state.outreach.close()

    # docs_url and redoc_url off: their pages load from a CDN; mount_docs serves /docs locally.
    app = FastAPI(title="mentionwatch", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  responses={400: {"model": ErrorOut}, 401: {"model": ErrorOut},
                             403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                             422: {"model": ErrorOut}, 503: {"model": ErrorOut}})
    app.state.settings = settings
    app.include_router(mentions.router, dependencies=[require("viewer")])
    app.include_router(analytics.router, dependencies=[require("viewer")])
    app.include_router(sources.router, dependencies=[require("viewer")])
    app.include_router(advocates.router, dependencies=[require("viewer")])
    app.include_router(overview.router, dependencies=[require("viewer")])
    app.include_router(responses.router, dependencies=[require("viewer")])
    app.include_router(visibility.router, dependencies=[require("viewer")])
    app.include_router(inbox.router)  # its routes each name their role
    app.include_router(drafts.router)  # analyst
    app.include_router(outreach.router)  # roles per route: analysts record, viewers read
    app.include_router(alert_routes.router)
    app.include_router(admin.router)

    @app.get("/health", response_model=HealthOut, tags=["health"])
    def health(store: StoreDep) -> HealthOut:
        return HealthOut(status="ok", mentions=store.count())

    @app.exception_handler(QueryError)
    async def query_error(request: Request, exc: QueryError) -> JSONResponse:
        return _error(400, "query_error", str(exc), exc.position)

    @app.exception_handler(BackendUnavailable)
    async def unavailable(request: Request, exc: BackendUnavailable) -> JSONResponse:
        return _error(503, "unavailable", str(exc),
                      headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'query')}: {err['msg']}"
            for err in exc.errors()
        )
        return _error(422, "invalid_parameter", message)

    mount_docs(app)
    mount_dashboard(app)
    return app
