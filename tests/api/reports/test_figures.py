"""`build_report` straight on a seeded store: the alerts of the period, a daily report."""

from __future__ import annotations

from datetime import UTC, datetime

from api.alerts.notifiers import SAMPLE_ALERT
from api.reports.figures import build_report
from index.sqlite import SqliteStore

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def _alert(window_start: str, subject: str = "Acme") -> dict:
    return {**SAMPLE_ALERT, "subject": subject, "window_start": window_start,
            "summary": f"{subject}: 15 negative mentions in an hour, usually 1.5"}


def test_the_alerts_on_the_brand_in_the_period_are_listed(store: SqliteStore) -> None:
    alerts = [_alert("2026-11-14T10:00:00+00:00"),
              _alert("2026-11-15T23:00:00+00:00"),
              _alert("2026-11-16T00:00:00+00:00"),  # the week after
              _alert("2026-11-04T10:00:00+00:00"),  # the week before
              _alert("2026-11-14T10:00:00+00:00", subject="Zephyr")]
    figure = build_report(store, "Acme", "week", now=NOW, alerts=alerts).to_dict()["figures"][-1]
    assert figure["value"] == "2"
    assert figure["line"] == ("2 alerts fired (1 in 2026-W45); the first: Acme: 15 negative "
                              "mentions in an hour, usually 1.5.")
    assert [row[0] for row in figure["rows"][1:]] == ["2026-11-14 10:00", "2026-11-15 23:00"]
    assert figure["examples"][0]["url"] == "https://shop.example/reviews/1"


def test_a_daily_report_counts_one_day_by_the_hour(store: SqliteStore) -> None:
    report = build_report(store, "Acme", "day", now=datetime(2026, 11, 15, 8, tzinfo=UTC))
    assert report.title == "Acme: daily report, 2026-11-14"
    volume = report.figures[0]
    assert volume.line == "Mentions rose from 1 to 2 (+100%) against 2026-11-13."
    assert volume.chart is not None and len(volume.chart.categories) == 24


def test_a_share_of_voice_with_nothing_before_says_so_rather_than_rising_from_zero(
        store: SqliteStore) -> None:
    # 2026-W45 is the first week with mentions: 2026-W44 has none to compare with.
    report = build_report(store, "Acme", "week", now=datetime(2026, 11, 11, tzinfo=UTC))
    (share,) = [f for f in report.figures if f.key == "share_of_voice"]
    assert share.line == ("Acme's share of the watched brands' mentions is 100%, with no "
                          "mention of a watched brand in 2026-W44 to compare.")
