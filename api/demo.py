"""The demo: a small product and news site served on loopback, with its own AI assistant
(an OpenAI-compatible chat endpoint answering from `demo_site/ai/answers.json`), a Mastodon
server's public API (answering from `demo_site/mastodon/`), and its watchlist."""

from __future__ import annotations

import functools
import json
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from api.alerts.config import configured_rules
from api.alerts.runner import PassReport, open_runner
from api.keys import KeyStore
from api.watchlist import load_watchlist

__all__ = ["BROKEN_ON_PURPOSE", "DEMO_MASTODON", "DEMO_SINCE", "DEMO_SITE", "DemoSite",
           "demo_alerts", "demo_key", "demo_watchlist"]

DEMO_SITE = Path(__file__).parent / "demo_site"

#: What the demo tells about the page it breaks on purpose (api/demo_site/EXPECTED.md).
BROKEN_ON_PURPOSE = (
    "The first crawl's 1 unreadable part (and its WARNING) is on purpose: the demo page "
    "products/acme-buds-pro-zh-cn.html carries a broken JSON-LD block, to show how a crawl "
    "reports what it cannot read and keeps the rest (the Sources view marks the run red).")


#: The demo Mastodon server's name: its statuses' links and its accounts' handles say it,
#: though the demo site serves its API, so they do not change with the site's port.
DEMO_MASTODON = "social.mentionwatch.example"

#: The demo site's reviews and news begin in October 2026: its alerts pass looks back to then.
DEMO_SINCE = datetime(2026, 10, 1, tzinfo=UTC)

#: The demo assistant's chat-completions path, below the site's root.
CHAT_PATH = "/v1/chat/completions"
#: The demo Mastodon server's API paths, below the site's root: `/api/v1/statuses/1`
#: answers from `mastodon/statuses/1.json`.
MASTODON_PATH = "/api/v1/"
# When the assistant says it answered (2026-11-11 12:00 UTC, plus an hour per run): among
# the demo's own dates, so the dashboard's default period, which ends at the newest
# mention, still holds the demo's reviews.
_DEMO_ANSWERED = 1794398400
# What the assistant says to a prompt its answers file does not have.
_NO_IDEA = {"content": "I have no particular recommendation."}


def _demo_answer(answers: dict[str, list[dict[str, Any]]], request: dict[str, Any],
                 site_url: str) -> dict[str, Any]:
    """The chat completion answering `request`'s prompt: its run (the last word of the
    request's `user`, "mentionwatch Acme run 2") picks one of the prompt's scripted
    answers, so runs differ as a real assistant's do; `{site}` is the demo site's URL."""
    prompt = request["messages"][-1]["content"]
    run = int(str(request.get("user") or "1").split()[-1])
    scripted = answers.get(prompt) or [_NO_IDEA]
    answer = scripted[(run - 1) % len(scripted)]
    message = {"role": "assistant", "content": answer["content"].replace("{site}", site_url)}
    return {"id": f"demo-run-{run}", "object": "chat.completion",
            "created": _DEMO_ANSWERED + 3600 * run, "model": request.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "citations": [url.replace("{site}", site_url)
                          for url in answer.get("citations", [])]}


class _DemoHandler(SimpleHTTPRequestHandler):
    """The site's files, the demo assistant's answers on POST `CHAT_PATH`, and the demo
    Mastodon server's statuses on GET below `MASTODON_PATH`."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith(MASTODON_PATH):
            super().do_GET()
            return
        name = url.path.removeprefix(MASTODON_PATH)
        file = Path(self.directory, "mastodon", f"{name}.json")
        if "max_id" in parse_qs(url.query):
            # Every demo timeline fits one page: the page before its oldest status is empty.
            self._send_json(200, b"[]")
        elif ".." not in name.split("/") and file.is_file():
            self._send_json(200, file.read_bytes())
        else:
            self._send_json(404, b'{"error": "Record not found"}')

    def do_POST(self) -> None:
        if self.path != CHAT_PATH:
            self.send_error(404)
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            answers = json.loads(Path(self.directory, "ai", "answers.json").read_bytes())
            status, body = 200, _demo_answer(answers, request, f"http://{self.headers['Host']}/")
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            status, body = 400, {"error": {"message": f"not a chat request: {exc!r}"}}
        self._send_json(status, json.dumps(body, ensure_ascii=False).encode())

    def _send_json(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class DemoSite:
    """The demo site on 127.0.0.1 in a background thread; port 0 picks a free port."""

    def __init__(self, port: int = 0, root: Path = DEMO_SITE) -> None:
        handler = functools.partial(_DemoHandler, directory=str(root))
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
# Watchlist of the mentionwatch demo: two brands, their product pages, a news feed, a
# Mastodon hashtag where Acme's own account answers customers, and what the demo site's own
# AI assistant answers to two questions customers ask.

[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]
exclude = ["Acme Anvil"]

[brands.accounts]
mastodon = ["@acme@{DEMO_MASTODON}"]

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

[[brands.sources]]
type = "mastodon"
instance = "{site_url}"
tag = "acme"

[[brands.sources]]
type = "ai_answers"
prompts = ["best wireless earbuds?", "哪款手机续航最好？"]
competitors = ["Zephyr", "Sonique"]
runs = 3
engines = [{{base_url = "{site_url}v1", model = "demo-gpt", name = "demo-assistant"}}]

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

# A negative review or post the brand has not answered a day after it was posted.
[[alerts]]
name = "unanswered"
type = "unanswered"
kinds = ["review", "post"]

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


def demo_alerts(db: Path, watchlist: Path, now: datetime | None = None) -> PassReport:
    """One alerts pass of the demo's rules over all of its data: a pass looks back a day,
    but the demo's reviews are older, and the overview's "Recent alerts" should show what
    the rules find in them."""
    now = now or datetime.now(UTC)
    rules = configured_rules(load_watchlist(watchlist), allow_loopback=True)
    with open_runner(db, rules, lookback=now - DEMO_SINCE) as runner:
        return runner.run_once(now)
