"""The runner on a real SQLite index seeded with a baseline and a burst of negative
reviews, delivering to a real HTTP receiver and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.alerts.config import AlertConfigError, ConfiguredRule, configured_rules
from api.alerts.notifiers import WebhookNotifier, WebhookOptions
from api.alerts.runner import PassReport, open_runner, run_every
from api.watchlist import WatchlistFile
from index.sqlite import SqliteStore
from tests.api.alerts.conftest import WATCHLIST, seed

NOW = datetime(2026, 11, 2, 10, 40, tzinfo=UTC)


def watchlist(webhook_url: str, smtp_port: int) -> WatchlistFile:
    text = WATCHLIST.format(webhook=webhook_url, smtp_port=smtp_port)
    return WatchlistFile.model_validate(tomllib.loads(text))


def configured(webhook_url: str, smtp_port: int) -> list[ConfiguredRule]:
    return configured_rules(watchlist(webhook_url, smtp_port), allow_loopback=True)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "mentionwatch.db"
    seed(path, NOW)
    return path


def test_a_burst_raises_one_explained_alert_once(db, webhook, smtp_server) -> None:
    capture, port = smtp_server
    rules = configured(webhook.url, port)
    with open_runner(db, rules) as runner:
        report = runner.run_once(NOW)
        again = runner.run_once(NOW + timedelta(minutes=5))
    assert len(report.raised) == 1 and len(report.sent) == 2 and report.failed == []
    assert (again.raised, again.sent) == ([], [])
    alert = report.raised[0]
    assert (alert["rule"], alert["subject"], alert["observed"]) == ("acme-negative", "Acme", 15)
    assert alert["window_start"] == "2026-11-02T10:00:00+00:00"
    assert alert["baseline"] < 1
    terms = [t for t, _ in alert["explanation"]["top_terms"]]
    assert {"battery", "swelled", "overheated"} <= set(terms)
    assert "acme" not in terms[:3]  # in every mention, so not what is unusual
    assert alert["explanation"]["top_sources"] == [["schemaorg", 15]]
    # Negative mentions about the battery (and charging) are new; support's are as usual.
    assert alert["explanation"]["top_aspects"] == [["battery", 15, 0.0], ["charging", 3, 0.0]]
    examples = alert["explanation"]["examples"]
    assert len(examples) == 3
    assert all(e["url"].startswith("https://shop.example/acme-x2/s") for e in examples)
    assert len(webhook.bodies) == 1 and "15 negative mentions" in webhook.bodies[0]["text"]
    assert len(capture.envelopes) == 1


def test_a_restart_does_not_send_again(db, webhook, smtp_server) -> None:
    capture, port = smtp_server
    rules = configured(webhook.url, port)
    with open_runner(db, rules) as runner:
        runner.run_once(NOW)
    with open_runner(db, configured(webhook.url, port)) as runner:
        report = runner.run_once(NOW + timedelta(hours=1))
        history = runner.state.history()
    assert (report.raised, report.sent) == ([], [])
    assert len(webhook.bodies) == len(capture.envelopes) == 1
    assert [h.alert["key"] for h in history] == [
        "acme-negative|brand=Acme|2026-11-02T10:00:00+00:00"]


def test_a_failing_notifier_is_retried_and_blocks_nothing(db, webhook, smtp_server) -> None:
    capture, port = smtp_server
    webhook.status = 500
    rules = configured(webhook.url, port)
    with open_runner(db, rules) as runner:
        first = runner.run_once(NOW)
        assert len(capture.envelopes) == 1  # the mail went out although the webhook failed
        assert len(first.failed) == 1 and "HTTP 500" in first.failed[0]
        soon = runner.run_once(NOW + timedelta(seconds=30))  # before the backoff is over
        webhook.status = 200
        later = runner.run_once(NOW + timedelta(minutes=2))
        alert_id = runner.state.history()[0].id
        deliveries = runner.state.deliveries(alert_id)
    assert (soon.sent, soon.failed) == ([], [])
    assert [s.split(" -> ")[1] for s in later.sent] == ["acme-negative.notify[0]"]
    assert len(webhook.bodies) == 2 and len(capture.envelopes) == 1
    assert [(d.notifier, d.status, d.attempts) for d in deliveries] == [
        ("acme-negative.notify[0]", "sent", 2), ("acme-negative.notify[1]", "sent", 1)]


def test_a_notifier_that_keeps_failing_is_given_up(db, webhook, smtp_server) -> None:
    _, port = smtp_server
    webhook.status = 503
    rules = configured(webhook.url, port)
    with open_runner(db, rules) as runner:
        moment = NOW
        for _ in range(8):
            runner.run_once(moment)
            moment += timedelta(hours=1)
        deliveries = runner.state.deliveries(runner.state.history()[0].id)
    assert len(webhook.bodies) == runner.state.max_attempts == 5
    assert deliveries[0].status == "failed" and "HTTP 503" in (deliveries[0].last_error or "")


def test_dry_run_shows_without_keeping_or_sending(db, webhook, smtp_server) -> None:
    capture, port = smtp_server
    with open_runner(db, configured(webhook.url, port)) as runner:
        found = runner.dry_run("acme-negative", NOW - timedelta(days=2), NOW)
        assert runner.state.history() == []
        with pytest.raises(AlertConfigError, match=r"no alert rule named 'nope'.*acme-negative"):
            runner.dry_run("nope", NOW - timedelta(days=2), NOW)
    assert [a["observed"] for a in found] == [15]
    assert webhook.bodies == [] and capture.envelopes == []


def test_run_every_passes_on_a_schedule(db, webhook, smtp_server) -> None:
    _, port = smtp_server
    reports, naps = [], []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # how a person stops `alerts run --every`

    with open_runner(db, configured(webhook.url, port)) as runner, \
            pytest.raises(KeyboardInterrupt):
        run_every(runner, timedelta(minutes=5), reports.append, sleep=nap)
    assert len(reports) == 2
    assert all(0 < s <= 300 for s in naps)


class Exploding:
    """A notifier failing in a way no notifier plans for."""

    def send(self, alert: dict[str, Any]) -> None:
        raise KeyError("boom")


def test_a_broken_notifier_stops_neither_the_others_nor_the_daemon(db, webhook,
                                                                   smtp_server) -> None:
    """`http://a..b/hook` made httpx raise UnicodeError: every pass crashed, and the good
    deliveries stayed pending and were sent again on every retry."""
    capture, port = smtp_server
    [rule] = configured(webhook.url, port)
    odd = WebhookNotifier(WebhookOptions(type="webhook", url="http://a..b/hook"),
                          allow_loopback=True)
    rule = replace(rule, notifiers={"acme-negative.odd": odd, **rule.notifiers,
                                    "acme-negative.exploding": Exploding()})
    with open_runner(db, [rule]) as runner:
        for minutes in (0, 5, 30, 90):
            runner.run_once(NOW + timedelta(minutes=minutes))
        reports: list[PassReport] = []
        naps: list[float] = []

        def nap(seconds: float) -> None:
            naps.append(seconds)
            if len(naps) == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_every(runner, timedelta(minutes=5), reports.append, sleep=nap)
        deliveries = {d.notifier: d for d in runner.state.deliveries(
            runner.state.history()[0].id)}
    assert len(reports) == 3  # the daemon went on
    assert len(webhook.bodies) == len(capture.envelopes) == 1
    assert [(d.status, d.attempts) for d in (deliveries["acme-negative.notify[0]"],
                                             deliveries["acme-negative.notify[1]"])] == [
        ("sent", 1), ("sent", 1)]
    odd_delivery, exploding = (deliveries["acme-negative.odd"],
                               deliveries["acme-negative.exploding"])
    assert odd_delivery.attempts >= 3 and "malformed host name 'a..b'" in (
        odd_delivery.last_error or "")
    assert exploding.attempts >= 3 and exploding.last_error == "unexpected KeyError"


def test_a_rule_for_a_brand_counts_the_mentions_naming_it_beside_another(
        db, webhook, smtp_server) -> None:
    # The burst names Zephyr too ("swelled like the Zephyr's"): Zephyr's rule sees it.
    with SqliteStore(db) as store:
        burst = [m for m in store.export() if m.source == "schemaorg"]
        store.upsert([m.with_(brands=("Acme", "Zephyr")) for m in burst])
    text = WATCHLIST.format(webhook=webhook.url, smtp_port=smtp_server[1]).replace(
        'type = "negative_spike"\n', 'type = "negative_spike"\nbrands = ["Zephyr"]\n')
    text = text.replace("[[alerts]]", '[[brands]]\nname = "Zephyr"\nterms = ["Zephyr"]\n\n'
                        "[[alerts]]", 1)
    rules = configured_rules(WatchlistFile.model_validate(tomllib.loads(text)),
                             allow_loopback=True)
    with open_runner(db, rules) as runner:
        report = runner.run_once(NOW)
    assert [(a["subject"], a["observed"]) for a in report.raised] == [("Zephyr", 15)]
