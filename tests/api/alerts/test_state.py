"""Alert state in the local file, while another process (the crawler) writes to it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.alerts.rules import Alert
from api.alerts.state import AlertState
from index.errors import BackendUnavailable

NOW = datetime(2026, 11, 2, 10, 40, tzinfo=UTC)
ALERT = Alert(rule="acme-negative", type="negative_spike", subject="Acme", field="brand",
              window_start=NOW - timedelta(minutes=40), window_end=NOW + timedelta(minutes=20),
              baseline_start=NOW - timedelta(days=14), observed=15, baseline=0.5,
              summary="15 negative mentions")


def test_an_alert_recorded_while_the_file_stays_locked_is_unavailable_then_kept_once(
        tmp_path: Path) -> None:
    path = tmp_path / "mentionwatch.db"
    state = AlertState(path, timeout=0.05)
    crawl = sqlite3.connect(path, isolation_level=None)  # a crawl writing a batch
    crawl.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackendUnavailable, match=r"alert state in .*database is locked"):
            state.record(ALERT, {"key": ALERT.key}, ["webhook"], NOW)
        assert state.history() == []  # the API still reads meanwhile
    finally:
        crawl.execute("ROLLBACK")
        crawl.close()
    alert_id = state.record(ALERT, {"key": ALERT.key}, ["webhook"], NOW)
    assert [a.id for a in state.history()] == [alert_id]
    assert [d.status for d in state.deliveries(alert_id or 0)] == ["pending"]
    state.close()
