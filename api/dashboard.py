"""The web dashboard: one static page at `/`, its scripts under `/web`, and the charting
library served from the `node_modules` that `make install` fills (`npm ci --prefix api/web`).

The files need no API key: they hold no data. The page asks for a key and sends it as
`X-API-Key` on every API call, like any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["WEB_DIR", "mount_dashboard"]

WEB_DIR = Path(__file__).parent / "web"
_CHART_JS = WEB_DIR / "node_modules" / "chart.js" / "dist"

# The page may load only its own files and talk only to this server: a script smuggled into
# a mention could neither run inline nor send anything elsewhere.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at `/`; the API routes keep their own paths."""

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(WEB_DIR / "static" / "index.html",
                            headers={"Content-Security-Policy": _CSP,
                                     "X-Content-Type-Options": "nosniff",
                                     "Referrer-Policy": "no-referrer"})

    # Mounted before /web so the library's path is not looked up among the page's files.
    # check_dir=False: without `npm ci` the page still works; only the charts are missing.
    app.mount("/web/vendor/chart.js", StaticFiles(directory=_CHART_JS, check_dir=False),
              name="chart.js")
    app.mount("/web", StaticFiles(directory=WEB_DIR / "static"), name="dashboard")
