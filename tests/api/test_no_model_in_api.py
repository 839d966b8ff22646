"""The API process never loads a model: read paths only aggregate what the crawl stored.

A fresh interpreter builds the app, calls every route of its OpenAPI schema with valid
minimal parameters (on a file with advocate records and NPS classes, so the advocate and
NPS routes have something to aggregate), and then reports whether torch or transformers
was imported, and its peak memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawlers.triage import triage
from index.inbox import Inbox
from index.record import Advocate, Author, Mention, NamedBrand, Rating, Sentiment
from index.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[alerts]]
name = "acme-share"
type = "negative_share"
"""

SERVE_EVERY_ROUTE = r"""
import json, re, sys
from pathlib import Path
from fastapi.testclient import TestClient
from api.app import create_app
from api.settings import Settings

db, watchlist, mention_id = sys.argv[1:]
values = {"mention_id": mention_id, "contact_id": "1", "field": "brand",
          "name": "acme-share", "key_id": "1", "brand": "Acme", "brands": "Acme,Zephyr",
          "since": "2026-10-01", "until": "2026-11-01",
          "baseline_since": "2026-09-01", "rule": "acme-share"}
bodies = {("PUT", "/mentions/{mention_id}/sentiment"): {"label": "positive", "by": "ann"},
          ("PUT", "/alerts/rules/{name}"): {"name": "acme-share", "type": "negative_share"},
          ("POST", "/keys"): {"role": "viewer", "name": "smoke"},
          ("POST", "/outreach"): {"brand": "Acme", "author_key": "shop.example/maya",
                                  "purpose": "review_request", "contacted_by": "ann"},
          ("PATCH", "/outreach/{contact_id}"): {"outcome": "accepted"},
          ("PATCH", "/inbox/{mention_id}"): {"by": "ann", "status": "ignored"}}
app = create_app(Settings(db=Path(db), watchlist=Path(watchlist), auth=False))
served = {}
with TestClient(app) as client:
    calls = [(path, method, operation) for path, operations in app.openapi()["paths"].items()
             for method, operation in operations.items()]
    # Deletions last, so every other route still finds what it reads.
    for path, method, operation in sorted(calls, key=lambda call: call[1] == "delete"):
        required = [p for p in operation.get("parameters", []) if p.get("required")]
        url = path.format(**{p["name"]: values[p["name"]] for p in required
                             if p["in"] == "path"})
        query = {p["name"]: values[p["name"]] for p in required if p["in"] == "query"}
        response = client.request(method.upper(), url, params=query,
                                  json=bodies.get((method.upper(), path)))
        served[f"{method.upper()} {path}"] = response.status_code
    served["GET /"] = client.get("/").status_code
print(json.dumps({"served": served, "torch": "torch" in sys.modules,
                  "transformers": "transformers" in sys.modules,
                  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent
                  "peak_rss_mib": int(re.search(r"VmHWM:\s+(\d+) kB",
                                                Path("/proc/self/status").read_text())[1]) / 1024}))
"""


def _seed(db: Path) -> str:
    fan = Mention.create(
        source="schemaorg", native_id="1", kind="review", url="https://shop.example/1",
        text="I recommend the Acme Phone X, five stars.", author=Author("Maya"),
        published_at=datetime(2026, 10, 5, tzinfo=UTC), brand="Acme", rating=Rating(5, 5, 1),
        sentiment=Sentiment("positive", 0.9, 0.9, "test"), nps_class="promoter",
        advocate=Advocate(0.8, "validator", ("recommends in 100%",)))
    cited = Mention.create(  # an AI answer citing her review, for /visibility
        source="testgpt:gpt-test", native_id="a1", kind="ai_answer",
        url="http://127.0.0.1:9/v1/chat/completions", text="Acme Phone X, says Maya.",
        author=Author("testgpt"), published_at=datetime(2026, 10, 6, tzinfo=UTC),
        title="best phone?", brand="Acme", citations=(fan.url,),
        named=(NamedBrand("Acme", 1, "Acme Phone X, says Maya.", "positive", 0.8),))
    complaint = Mention.create(  # in the inbox, for its routes and the mention routes
        source="schemaorg", native_id="2", kind="review", url="https://shop.example/2",
        text="The Acme Phone X broke in a week.", author=Author("Ben"),
        published_at=datetime(2026, 10, 7, tzinfo=UTC), brand="Acme", rating=Rating(1, 5, 1),
        sentiment=Sentiment("negative", -0.9, 0.9, "test"), nps_class="detractor")
    with SqliteStore(db) as store, Inbox(db) as inbox:
        store.upsert([fan, cited, complaint])
        triage(store, inbox, [complaint])
    return complaint.id


def test_serving_every_route_imports_no_model_library(tmp_path: Path) -> None:
    db, watchlist = tmp_path / "mentionwatch.db", tmp_path / "mentionwatch.toml"
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    mention_id = _seed(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ELASTICSEARCH_URL", None)
    done = subprocess.run([sys.executable, "-c", SERVE_EVERY_ROUTE, str(db), str(watchlist),
                           mention_id], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    served = report["served"]
    assert len(served) >= 23  # every operation of the schema, and the dashboard
    assert {route: code for route, code in served.items() if not 200 <= code < 300} == {}
    assert (report["torch"], report["transformers"]) == (False, False)
    assert report["peak_rss_mib"] < 200  # the ceiling for the API process
