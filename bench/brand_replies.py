"""What the brand accounts' replies cost a crawl: `python -m bench.brand_replies --replies 100`.

A loopback server plays Reddit, Hacker News, Mastodon and Bluesky. On each, the brand's
account has answered `--replies` posts that no source page shows (the worst case: every
parent must be read), and each of those posts names the brand. One crawl of a watchlist with
one source per network (sentiment off, AutoThrottle off) reads the accounts' newest posts,
then the parents. Prints JSON: per network, the requests for parents and in all, and the
replies stored with their parent; the crawl's seconds. Real APIs limit clients (Reddit
about 10 requests a minute without a login), so requests are the figure that matters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["bench_brand_replies"]

_WHEN = 1795000000
_WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[brands.accounts]
reddit = ["AcmeSupport"]
hackernews = ["acme_hq"]
mastodon = ["@acme@social.example"]
bluesky = ["acme.bsky.social"]

[[brands.sources]]
type = "reddit"
url = "{base}"
query = "Acme"

[[brands.sources]]
type = "hackernews"
url = "{base}"
query = "Acme"

[[brands.sources]]
type = "mastodon"
instance = "{base}"
tag = "acme"

[[brands.sources]]
type = "bluesky"
url = "{base}"
actor = "someone.bsky.social"
"""


def _reddit(path: str, query: dict[str, list[str]], n: int) -> Any:
    def thing(kind: str, name: str, **data: Any) -> dict[str, Any]:
        return {"kind": kind, "data": {"name": name, "created_utc": _WHEN,
                                       "permalink": f"/r/x/comments/{name}/", **data}}
    if path.startswith("/user/"):
        children = [thing("t1", f"t1_r{i}", author="AcmeSupport", parent_id=f"t3_p{i}",
                          body="Thanks, we are on it.") for i in range(n)]
    elif path == "/api/info.json":
        children = [thing("t3", name, author="sam", title=f"My Acme phone {name}",
                          selftext="") for name in query["id"][0].split(",")]
    else:
        children = []
    return {"kind": "Listing", "data": {"after": None, "children": children}}


def _hackernews(path: str, query: dict[str, list[str]], n: int) -> Any:
    if path.startswith("/api/v1/items/"):
        oid = path.rsplit("/", 1)[1]
        return {"id": int(oid), "type": "story", "author": "pat", "created_at_i": _WHEN,
                "title": f"Acme story {oid}", "text": None}
    if "author_" in query.get("tags", [""])[0]:
        return {"hitsPerPage": 1000, "hits": [
            {"_tags": ["comment"], "objectID": str(10_000 + i), "author": "acme_hq",
             "parent_id": i + 1, "comment_text": "Thanks, we are on it.",
             "created_at_i": _WHEN} for i in range(n)]}
    return {"hitsPerPage": 100, "hits": []}


def _status(local: str, acct: str, text: str, reply_to: str | None) -> dict[str, Any]:
    return {"id": local, "uri": f"https://social.example/users/{acct}/statuses/{local}",
            "url": f"https://social.example/@{acct}/{local}", "in_reply_to_id": reply_to,
            "content": f"<p>{text}</p>", "created_at": "2026-11-20T09:00:00Z",
            "account": {"acct": acct, "url": f"https://social.example/@{acct}"}}


def _mastodon(path: str, query: dict[str, list[str]], n: int) -> Any:
    if path == "/api/v1/accounts/lookup":
        return {"id": "1", "acct": "acme"}
    if path == "/api/v1/accounts/1/statuses":
        return [] if "max_id" in query else [
            _status(str(100_000 + i), "acme", "Thanks, we are on it.", str(i + 1))
            for i in range(n)]
    if path.startswith("/api/v1/statuses/"):
        local = path.rsplit("/", 1)[1]
        return _status(local, "ann", f"My #Acme phone {local}", None)
    return []


def _post(uri: str, handle: str, text: str, parent: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"text": text, "createdAt": "2026-11-20T09:00:00Z"}
    if parent:
        record["reply"] = {"parent": {"uri": parent}, "root": {"uri": parent}}
    return {"uri": uri, "author": {"did": f"did:plc:{handle.split('.')[0]}", "handle": handle},
            "record": record}


def _bluesky(path: str, query: dict[str, list[str]], n: int) -> Any:
    if path.endswith("getAuthorFeed"):
        if query["actor"] != ["acme.bsky.social"] or "cursor" in query:
            return {"feed": []}
        return {"feed": [{"post": _post(f"at://did:plc:acme/app.bsky.feed.post/r{i}",
                                        "acme.bsky.social", "Thanks, we are on it.",
                                        f"at://did:plc:ann/app.bsky.feed.post/p{i}")}
                         for i in range(n)], "cursor": "next"}
    if path.endswith("getPosts"):
        return {"posts": [_post(uri, "ann.bsky.social", f"My Acme phone {uri}", None)
                          for uri in query["uris"]]}
    return {}


_NETWORKS: dict[str, Callable[[str, dict[str, list[str]], int], Any]] = {
    "reddit": _reddit, "hackernews": _hackernews, "mastodon": _mastodon, "bluesky": _bluesky}


def _network(path: str) -> str:
    if path.startswith("/xrpc/"):
        return "bluesky"
    if path.startswith("/api/v1/search") or path.startswith("/api/v1/items"):
        return "hackernews"
    if path.startswith("/api/v1/"):
        return "mastodon"
    return "reddit"


def _is_parent(path: str) -> bool:
    return any(part in path for part in ("/api/info.json", "/api/v1/items/", "/api/v1/statuses/",
                                         "getPosts"))


class _Server:
    def __init__(self, replies: int) -> None:
        self.requests: Counter[tuple[str, bool]] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                network = _network(parts.path)
                server.requests[network, _is_parent(parts.path)] += 1
                body = json.dumps(_NETWORKS[network](parts.path, parse_qs(parts.query),
                                                     replies)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


_CRAWL = """
import json, sys
from api.watchlist import load_watchlist
from crawlers.run import run_crawl
stats = run_crawl(load_watchlist(sys.argv[1]), json.loads(sys.argv[2]))
print(json.dumps({name: {k: v for k, v in s.items() if isinstance(v, int)}
                  for name, s in stats.items()}))
"""


def bench_brand_replies(replies: int) -> dict[str, Any]:
    server = _Server(replies)
    with tempfile.TemporaryDirectory() as tmp:
        watchlist = Path(tmp) / "mentionwatch.toml"
        watchlist.write_text(_WATCHLIST.format(base=server.url), encoding="utf-8")
        settings = {"MENTIONWATCH_DB": str(Path(tmp) / "m.db"),
                    "MENTIONWATCH_ALLOW_LOOPBACK": True, "MENTIONWATCH_SENTIMENT_ENABLED": False,
                    "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "ERROR"}
        import subprocess

        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _CRAWL, str(watchlist),
                               json.dumps(settings)], capture_output=True, text=True,
                              check=True, env=os.environ)
        seconds = time.perf_counter() - started
    server.httpd.shutdown()
    stats = json.loads(done.stdout)
    return {"replies_per_network": replies, "crawl_seconds": round(seconds, 2), "networks": {
        network: {"parent_requests": server.requests[network, True],
                  "requests": server.requests[network, True] + server.requests[network, False],
                  "attached": stats[network].get("mentionwatch/brand_replies/attached", 0)}
        for network in _NETWORKS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(bench_brand_replies(args.replies), indent=2))


if __name__ == "__main__":
    main()
