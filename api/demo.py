"""The demo: a small product and news site served on loopback, and its watchlist."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from api.keys import KeyStore

__all__ = ["BROKEN_ON_PURPOSE", "DEMO_SITE", "DemoSite", "demo_key", "demo_watchlist"]

DEMO_SITE = Path(__file__).parent / "demo_site"

#: What the demo tells about the page it breaks on purpose (api/demo_site/EXPECTED.md).
BROKEN_ON_PURPOSE = (
    "The first crawl's 1 unreadable part (and its WARNING) is on purpose: the demo page "
    "products/acme-buds-pro-zh-cn.html carries a broken JSON-LD block, to show how a crawl "
    "reports what it cannot read and keeps the rest (the Sources view marks the run red).")


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


def demo_key(db: Path) -> str:
    """The demo's analyst API key: the one an earlier run made, kept in `demo-key` beside the
    index, while it is still valid; else a new one. So each run does not add another key."""
    saved = db.with_name("demo-key")
    keys = KeyStore(db)
    try:
        if saved.exists():
            key = saved.read_text(encoding="utf-8").strip()
            if keys.role_of(key) == "analyst":
                return key
        key = keys.create("analyst", "demo")
    finally:
        keys.close()
    saved.touch(mode=0o600)  # it grants access to the demo's data: for its owner only
    saved.write_text(key, encoding="utf-8")
    return key
