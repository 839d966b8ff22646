"""The demo: a small product and news site served on loopback, and its watchlist."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["DEMO_SITE", "DemoSite", "demo_watchlist"]

DEMO_SITE = Path(__file__).parent / "demo_site"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class DemoSite:
    """The demo site on 127.0.0.1 in a background thread; port 0 picks a free port."""

    def __init__(self, port: int = 0, root: Path = DEMO_SITE) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> DemoSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_watchlist(site_url: str) -> str:
    """The watchlist TOML that points at the demo site."""
    return f"""\
# Watchlist of the mentionwatch demo: two brands, their product pages and a news feed.

[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]
exclude = ["Acme Anvil"]

[[brands.sources]]
type = "schemaorg"
url = "{site_url}products/acme-phone-x.html"
scope = "{site_url}products/acme-"

[[brands.sources]]
type = "schemaorg"
url = "{site_url}products/acme-buds-pro.html"
scope = "{site_url}products/acme-"

[[brands.sources]]
type = "feed"
url = "{site_url}news/feed.xml"

[[brands.sources]]
type = "feed"
url = "{site_url}news/atom.xml"

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]

[[brands.sources]]
type = "schemaorg"
url = "{site_url}products/zephyr-v8.html"
scope = "{site_url}products/zephyr-"

# Alert rules with their defaults; add [[alerts.notify]] tables to send them somewhere.
[[alerts]]
name = "negative-spike"
type = "negative_spike"

[[alerts]]
name = "crawler-stopped"
type = "flatline"
"""
