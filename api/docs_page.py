"""The OpenAPI docs page at `/docs`: Swagger UI from the `swagger-ui-dist` npm package that
`make install` fills (`npm ci --prefix api/web`), so the page works offline, never from a CDN.

FastAPI's own `/docs` loads Swagger UI from a CDN, and `/redoc` ReDoc likewise: both are
turned off in `create_app` and this page takes the first one's place.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.dashboard import WEB_DIR

__all__ = ["mount_docs"]

_SWAGGER_UI = WEB_DIR / "node_modules" / "swagger-ui-dist"
_ASSETS = "/docs/assets"


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` with its scripts, style and icon from this server."""
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=oauth2_redirect)

    @app.get(oauth2_redirect, include_in_schema=False)
    def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    # check_dir=False: without `npm ci` the API still works; only this page is blank.
    app.mount(_ASSETS, StaticFiles(directory=_SWAGGER_UI, check_dir=False),
              name="swagger-ui")
