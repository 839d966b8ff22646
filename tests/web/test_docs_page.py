"""The OpenAPI docs page works offline: Swagger UI comes from this server, never a CDN."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Route, expect

from tests.web.conftest import Site


def test_docs_render_the_operations_with_no_request_leaving_loopback(browser: Any,
                                                                      site: Site) -> None:
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:  # recorded and refused: no packet leaves the machine
            outside.append(route.request.url)
            route.abort()

    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.route("**/*", only_loopback)
        tab = context.new_page()
        tab.goto(f"{site.url}/docs")
        expect(tab.locator(".opblock-summary-path", has_text="/mentions").first).to_be_visible()
        assert tab.locator(".opblock").count() > 10
        context.close()
    assert outside == []


def test_redoc_is_not_offered_half_working(site: Site) -> None:
    import httpx

    assert httpx.get(f"{site.url}/redoc").status_code == 404
