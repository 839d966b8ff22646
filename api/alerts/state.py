"""Alert state in the local SQLite file (`index.localstate.ALERTS`): every alert raised (the
history the API lists) and each notifier's delivery of it, so a restart neither forgets what
was sent nor sends it again, and a failed delivery is retried with backoff on later passes.

The baseline needs no state of its own: it is recomputed from the mentions every pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from os import PathLike
from typing import Any, Literal

from api.alerts.rules import Alert
from index.localstate import ALERTS, API_TIMEOUT, LocalTables

__all__ = ["AlertState", "Delivery", "StoredAlert"]

DeliveryStatus = Literal["pending", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    created_at: datetime
    alert: dict[str, Any]  # the alert and its explanation, as sent


@dataclass(frozen=True, slots=True)
class Delivery:
    alert_id: int
    notifier: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None


class AlertState:
    """Alert history and deliveries, in their own tables of the local SQLite file."""

    def __init__(self, path: str | PathLike[str], *, max_attempts: int = 5,
                 backoff: timedelta = timedelta(minutes=1), timeout: float = API_TIMEOUT) -> None:
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._db = LocalTables(path, ALERTS, timeout=timeout)

    def last_window(self, rule: str, target: str) -> datetime | None:
        """Where the last alert of `rule` on `target` (`brand=Acme`) started."""
        row = self._db.one(
            "SELECT max(window_start) FROM alert_history WHERE rule = ? AND subject = ?",
            (rule, target))
        return datetime.fromisoformat(row[0]) if row[0] else None

    def known(self, key: str) -> bool:
        """Whether an alert with this key was raised before."""
        (count,) = self._db.one("SELECT count(*) FROM alert_history WHERE key = ?", (key,))
        return bool(count)

    def record(self, alert: Alert, payload: dict[str, Any], notifiers: list[str],
               now: datetime) -> int | None:
        """Keep an alert and queue a delivery per notifier, in one transaction; None when
        the same alert (same key) was already recorded."""
        with self._db.transaction():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO alert_history "
                "(key, rule, subject, window_start, created_at, alert) VALUES (?,?,?,?,?,?)",
                (alert.key, alert.rule, alert.target, alert.window_start.isoformat(),
                 now.isoformat(), json.dumps(payload, ensure_ascii=False)))
            if cursor.rowcount == 0:
                return None
            alert_id = cursor.lastrowid
            self._db.executemany(
                "INSERT INTO alert_deliveries (alert_id, notifier, status, next_attempt_at) "
                "VALUES (?, ?, 'pending', ?)",
                [(alert_id, name, now.isoformat()) for name in notifiers])
        return alert_id

    def due(self, now: datetime) -> list[tuple[int, str, dict[str, Any]]]:
        """(alert id, notifier, alert payload) of every delivery to attempt now."""
        rows = self._db.rows(
            "SELECT d.alert_id, d.notifier, h.alert FROM alert_deliveries d "
            "JOIN alert_history h ON h.id = d.alert_id "
            "WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.alert_id",
            (now.isoformat(),))
        return [(alert_id, name, json.loads(payload)) for alert_id, name, payload in rows]

    def delivered(self, alert_id: int, notifier: str) -> None:
        self._db.execute(
            "UPDATE alert_deliveries SET status = 'sent', attempts = attempts + 1, "
            "last_error = NULL WHERE alert_id = ? AND notifier = ?", (alert_id, notifier))

    def failed(self, alert_id: int, notifier: str, error: str, now: datetime) -> None:
        """Count a failed attempt: retry after backoff * 2^(attempts - 1), give up after
        `max_attempts`."""
        (attempts,) = self._db.one(
            "SELECT attempts + 1 FROM alert_deliveries WHERE alert_id = ? AND notifier = ?",
            (alert_id, notifier))
        status = "failed" if attempts >= self.max_attempts else "pending"
        retry = now + self.backoff * 2 ** (attempts - 1)
        self._db.execute(
            "UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
            "last_error = ? WHERE alert_id = ? AND notifier = ?",
            (status, attempts, retry.isoformat(), error[:500], alert_id, notifier))

    def history(self, *, limit: int = 50, rule: str | None = None) -> list[StoredAlert]:
        """The latest alerts, newest first."""
        where, params = ("WHERE rule = ?", [rule]) if rule else ("", [])
        rows = self._db.rows(
            f"SELECT id, created_at, alert FROM alert_history {where} "
            "ORDER BY id DESC LIMIT ?", (*params, limit))
        return [StoredAlert(i, datetime.fromisoformat(c), json.loads(a)) for i, c, a in rows]

    def deliveries(self, alert_id: int) -> list[Delivery]:
        rows = self._db.rows(
            "SELECT alert_id, notifier, status, attempts, last_error FROM alert_deliveries "
            "WHERE alert_id = ? ORDER BY notifier", (alert_id,))
        return [Delivery(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
