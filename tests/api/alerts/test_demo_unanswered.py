"""`mentionwatch demo` runs one alerts pass over the demo data: its `unanswered` rule fires
on the demo's negative reviews and posts that no brand reply answers, the overview's
"Recent alerts" shows what the pass kept, and the dry run the demo prints finds them again,
as printed."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.sqlite import SqliteStore
from tests.loopback import free_port


def test_the_demo_raises_unanswered_alerts_that_the_overview_shows(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--dir", str(tmp_path), "--no-serve",
         "--site-port", str(free_port())],
        capture_output=True, text=True, timeout=600, check=True)
    raised = re.search(r"One alerts pass raised (\d+) alerts", done.stdout)
    assert raised and int(raised.group(1)) > 0, done.stdout
    db, watchlist = tmp_path / "mentionwatch.db", tmp_path / "mentionwatch.toml"

    # The printed dry run, as printed: the same alerts, none kept or sent again.
    [command] = re.findall(r"^  (\S.* alerts test unanswered .*)$", done.stdout, re.M)
    tried = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=300,
                           check=True)
    alerts = [json.loads(line) for line in tried.stdout.splitlines()]
    assert len(alerts) == int(raised.group(1))
    with SqliteStore(db) as store:
        fired = [store.get(alert["mention_id"]) for alert in alerts]
    for mention in fired:
        assert mention is not None and mention.sentiment is not None
        assert (mention.sentiment.label, mention.brand_replies) == ("negative", ())
    # The rule watches posts too: Lea's Mastodon post, which Acme's account left unanswered.
    assert [m.author.name for m in fired if m and m.source == "mastodon"] == ["Lea Hoffmann"]

    settings = Settings(db=db, watchlist=watchlist, auth=False)
    with TestClient(create_app(settings)) as client:
        shown = client.get("/overview", params={"brand": "Acme", "since": "2026-10-01",
                                                "until": "2026-12-01"}).json()
    assert shown["alerts"], shown
    assert {a["rule"] for a in shown["alerts"]} == {"unanswered"}
