"""The demo's own data and rules: the demo site crawled for real, then a burst of negative
reviews injected in the last hour; one pass of `mentionwatch alerts run --once` raises
exactly one explained alert, delivered to a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from api.demo import DemoSite, demo_watchlist
from index.record import Author, Mention, Sentiment
from index.sqlite import SqliteStore

BURST = [
    "Acme Phone X screen went black after today's update, support is not answering",
    "Update bricked my Acme Phone X, black screen, furious",
    "Acme Phone X black screen since this morning's update, avoid it",
]


def _burst(now: datetime, count: int = 12) -> list[Mention]:
    return [
        Mention.create(
            source="schemaorg", native_id=f"burst-{n}", kind="review",
            url=f"https://shop.example/acme-phone-x/reviews/burst-{n}",
            text=f"{BURST[n % len(BURST)]} (#{n})", author=Author(f"buyer {n}"),
            published_at=now - timedelta(minutes=50 - 4 * n), brand="Acme", lang="en",
            sentiment=Sentiment("negative", -0.9, 0.95, "test"),
        )
        for n in range(count)
    ]


def _with_notifiers(watchlist: str, webhook_url: str, smtp_port: int) -> str:
    rule = 'name = "negative-spike"\ntype = "negative_spike"\n'
    assert rule in watchlist
    return watchlist.replace(rule, rule + f"""
[[alerts.notify]]
type = "webhook"
url = "{webhook_url}"

[[alerts.notify]]
type = "email"
smtp = "smtp://127.0.0.1:{smtp_port}"
sender = "mentionwatch@example.com"
to = ["oncall@example.com"]
""")


def test_a_burst_on_the_demo_data_raises_one_explained_alert(tmp_path: Path, webhook,
                                                            smtp_server) -> None:
    capture, port = smtp_server
    db, watchlist = tmp_path / "mentionwatch.db", tmp_path / "mentionwatch.toml"
    with DemoSite() as site:
        watchlist.write_text(demo_watchlist(site.url), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist",
                        str(watchlist), "--db", str(db), "--allow-loopback"],
                       capture_output=True, text=True, timeout=300, check=True)
    watchlist.write_text(_with_notifiers(watchlist.read_text(), webhook.url, port))
    args = ["alerts", "run", "--once", "--db", str(db), "--watchlist", str(watchlist)]

    quiet = CliRunner().invoke(main, args)  # the demo data alone is no spike
    assert (quiet.exit_code, quiet.stdout) == (0, ""), quiet.output

    with SqliteStore(db) as store:
        store.upsert(_burst(datetime.now(UTC)))
    loud = CliRunner().invoke(main, args)
    assert loud.exit_code == 0, loud.output
    [alert] = [json.loads(line) for line in loud.stdout.splitlines()]
    assert (alert["rule"], alert["subject"]) == ("negative-spike", "Acme")
    assert 5 <= alert["observed"] <= 12  # the hour boundary may split the burst
    terms = [term for term, _ in alert["explanation"]["top_terms"]]
    assert {"black", "screen", "update"} <= set(terms)
    examples = alert["explanation"]["examples"]
    assert len(examples) == 3 and all("/burst-" in e["url"] for e in examples)
    assert len(webhook.bodies) == 1 and "Acme" in webhook.bodies[0]["text"]
    [mail] = capture.messages()
    assert "black" in mail.get_body(("plain",)).get_content()

    again = CliRunner().invoke(main, args)  # one spike alerts once
    assert (again.exit_code, again.stdout) == (0, "")
    assert len(webhook.bodies) == len(capture.envelopes) == 1
