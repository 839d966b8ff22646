"""`mentionwatch alerts run|test` and `bench alerts`, end to end: a seeded SQLite file, a
watchlist, a real webhook receiver and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from tests.api.alerts.conftest import WATCHLIST, seed


@pytest.fixture()
def files(tmp_path: Path, webhook, smtp_server) -> tuple[Path, Path]:
    _, port = smtp_server
    db, watchlist = tmp_path / "mentionwatch.db", tmp_path / "mentionwatch.toml"
    seed(db, datetime.now(UTC))
    watchlist.write_text(WATCHLIST.format(webhook=webhook.url, smtp_port=port),
                         encoding="utf-8")
    return db, watchlist


def test_run_once_sends_one_explained_alert_then_nothing(files, webhook, smtp_server) -> None:
    db, watchlist = files
    capture, _ = smtp_server
    args = ["alerts", "run", "--once", "--db", str(db), "--watchlist", str(watchlist)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    raised = [json.loads(line) for line in first.stdout.splitlines()]
    assert [(a["rule"], a["subject"]) for a in raised] == [("acme-negative", "Acme")]
    assert "battery" in [t for t, _ in raised[0]["explanation"]["top_terms"]]
    assert len(webhook.bodies) == 1
    body = webhook.bodies[0]
    assert "negative mentions" in body["text"]
    assert "battery" in body["blocks"][1]["text"]["text"]
    assert sum("https://shop.example/acme-x2/" in b["text"]["text"] for b in body["blocks"]) == 3
    assert len(capture.envelopes) == 1
    assert "battery" in capture.messages()[0].get_body(("plain",)).get_content()

    second = CliRunner().invoke(main, args)
    assert (second.exit_code, second.stdout) == (0, "")
    assert len(webhook.bodies) == len(capture.envelopes) == 1


def test_run_once_exits_1_when_a_delivery_failed(files, webhook) -> None:
    db, watchlist = files
    webhook.status = 500
    result = CliRunner().invoke(main, ["alerts", "run", "--once", "--db", str(db),
                                       "--watchlist", str(watchlist)])
    assert result.exit_code == 1
    assert "acme-negative.notify[0]: webhook 127.0.0.1: HTTP 500" in result.stderr


def test_alerts_test_is_a_dry_run(files, webhook, smtp_server) -> None:
    db, watchlist = files
    capture, _ = smtp_server
    result = CliRunner().invoke(main, ["alerts", "test", "acme-negative", "--since", "3d",
                                       "--db", str(db), "--watchlist", str(watchlist)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == "1 alerts\n"
    assert webhook.bodies == [] and capture.envelopes == []
    unknown = CliRunner().invoke(main, ["alerts", "test", "nope", "--db", str(db),
                                        "--watchlist", str(watchlist)])
    assert unknown.exit_code == 1
    assert "no alert rule named 'nope'" in unknown.stderr


def test_bad_durations_and_options_are_misuse(files) -> None:
    db, watchlist = files
    common = ["--db", str(db), "--watchlist", str(watchlist)]
    bad = CliRunner().invoke(main, ["alerts", "run", "--every", "5 minutes", *common])
    assert bad.exit_code == 2 and "duration '5 minutes'" in bad.stderr
    both = CliRunner().invoke(main, ["alerts", "run", "--every", "5m", "--once", *common])
    assert both.exit_code == 2 and "not both" in both.stderr


def test_a_rule_on_an_unknown_brand_is_an_error(tmp_path: Path) -> None:
    watchlist = tmp_path / "w.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[alerts]]\n'
                         'name = "z"\ntype = "negative_spike"\nbrands = ["Zephyr"]\n',
                         encoding="utf-8")
    result = CliRunner().invoke(main, ["alerts", "run", "--once", "--watchlist", str(watchlist),
                                       "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 1
    assert "alerts[0].brands: not brands of the watchlist: Zephyr" in result.stderr


def test_bench_alerts_prints_its_figures() -> None:
    result = CliRunner().invoke(main, ["bench", "alerts", "--days", "30", "--brands", "2"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["rule"] == "negative_spike" and figures["brands"] == 2
    assert set(figures["recall"]["all"]) == {"2x", "3x", "5x", "10x"}
    assert figures["false_alerts_per_brand_per_week"] >= 0


def test_a_watchlist_without_rules_is_an_error(tmp_path: Path) -> None:
    watchlist = tmp_path / "w.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["alerts", "run", "--once", "--watchlist", str(watchlist),
                                       "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 1
    assert "w.toml: no [[alerts]] rules to run" in result.stderr


def test_an_odd_webhook_url_is_refused_naming_it(files, webhook) -> None:
    db, watchlist = files
    watchlist.write_text(watchlist.read_text().replace(webhook.url, "http://a..b/hook"))
    result = CliRunner().invoke(main, ["alerts", "run", "--once", "--db", str(db),
                                       "--watchlist", str(watchlist)])
    assert result.exit_code == 1  # a clear error, not a traceback
    assert "alerts[0].notify[0].url: malformed host name 'a..b'" in result.stderr


def test_loopback_notifiers_need_the_setting(files, webhook, monkeypatch) -> None:
    db, watchlist = files
    monkeypatch.delenv("MENTIONWATCH_ALLOW_LOOPBACK")
    result = CliRunner().invoke(main, ["alerts", "run", "--once", "--db", str(db),
                                       "--watchlist", str(watchlist)])
    assert result.exit_code == 1
    assert "alerts[0].notify[0].url: 127.0.0.1 is a private, loopback" in result.stderr
    assert webhook.bodies == []
