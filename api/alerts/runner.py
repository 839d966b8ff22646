"""The alert runner: store -> hourly series (or the mentions a rule reads) -> rules -> new
alerts, explained, kept in the history and delivered by every notifier of their rule.

One pass (`run_once`) judges the last `lookback` hours of every rule and subject, so late
crawls are caught and a restart misses nothing; an alert already in the history, or within
its rule's cooldown of the last one on the same subject, is not raised again (an alert on
one mention: only once for that mention). Deliveries run in parallel, so a slow or failing
notifier never holds up the others, and a failed one is retried with backoff on later
passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from os import PathLike
from typing import Any

from api.alerts.config import AlertConfigError, ConfiguredRule
from api.alerts.explain import explain, payload, subject_filters
from api.alerts.notifiers import Notifier, NotifyError
from api.alerts.rules import HOUR, Alert, MentionRule, Mentions, Series
from api.alerts.state import AlertState
from index.backend import Filters, MentionStore
from index.errors import StoreError
from index.query import Node
from index.record import Mention
from index.stores import open_configured

__all__ = ["AlertRunner", "PassReport", "open_runner", "run_every"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PassReport:
    raised: list[dict[str, Any]] = field(default_factory=list)  # new alerts' payloads
    sent: list[str] = field(default_factory=list)  # "<alert key> -> <notifier>"
    failed: list[str] = field(default_factory=list)  # "... : <error>"


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class AlertRunner:
    def __init__(self, store: MentionStore, state: AlertState, rules: list[ConfiguredRule],
                 *, lookback: timedelta = timedelta(hours=24)) -> None:
        self.store = store
        self.state = state
        self.rules = rules
        self.lookback = lookback
        self._notifiers: dict[str, Notifier] = {
            name: n for c in rules for name, n in c.notifiers.items()}

    def series(self, configured: ConfiguredRule, subject: str, since: datetime,
               until: datetime) -> Series:
        """The hourly series of `subject` that the rule reads to judge [since, until)."""
        start = _hour(since) - timedelta(hours=configured.rule.history_hours)
        buckets = self.store.histogram(filters=subject_filters(configured.by, subject),
                                       interval="hour", since=start, until=_hour(until) + HOUR)
        return Series(subject, configured.by, buckets)

    def mentions(self, configured: ConfiguredRule, rule: MentionRule, subject: str,
                 since: datetime, until: datetime) -> Mentions:
        """The mentions of `subject` that `rule` reads to judge (since, until], and those
        it reads beside them."""

        def read(query: Node | str, hours: int) -> list[Mention]:
            start = since - timedelta(hours=hours)
            return list(self.store.export(query, subject_filters(configured.by, subject,
                                                                 since=start, until=until)))

        found = read(rule.query, rule.history_hours)
        context = [m for query in rule.context(found) for m in read(query, rule.context_hours)]
        return Mentions(subject, configured.by, found, context)

    def subjects(self, configured: ConfiguredRule, now: datetime) -> list[str]:
        if configured.brands is not None:
            return list(configured.brands)
        since = now - timedelta(hours=configured.rule.history_hours)
        return [b.key for b in self.store.terms("source", filters=Filters(since=since),
                                                size=100)]

    def evaluate(self, configured: ConfiguredRule, now: datetime,
                 since: datetime) -> list[Alert]:
        """Every alert the rule finds in [since, now], ignoring history: the dry run."""
        alerts = []
        rule = configured.rule
        for subject in self.subjects(configured, now):
            if isinstance(rule, MentionRule):
                found = rule.evaluate(self.mentions(configured, rule, subject, since, now),
                                      since, now)
            else:
                found = rule.evaluate(self.series(configured, subject, since, now), now)
            alerts += [a for a in found if a.window_end > since]
        return alerts

    def dry_run(self, rule_name: str, since: datetime,
                now: datetime | None = None) -> list[dict[str, Any]]:
        """The explained alerts rule `rule_name` would have raised since `since`, ignoring
        history and cooldown state; nothing is kept or sent (`alerts test`)."""
        now = now or datetime.now(UTC)
        for configured in self.rules:
            if configured.rule.name == rule_name:
                return [self._explained(a) for a in self.evaluate(configured, now, since)]
        names = ", ".join(c.rule.name for c in self.rules) or "none"
        raise AlertConfigError(f"no alert rule named {rule_name!r} (the watchlist has: {names})")

    def _is_new(self, configured: ConfiguredRule, alert: Alert) -> bool:
        if alert.mention_id is not None:
            return not self.state.known(alert.key)
        last = self.state.last_window(alert.rule, alert.target)
        if last is None:
            return True
        cooldown = timedelta(hours=configured.rule.options.cooldown_hours)
        return alert.window_start >= last + max(cooldown, HOUR)

    def _explained(self, alert: Alert) -> dict[str, Any]:
        try:
            return payload(alert, explain(self.store, alert))
        except StoreError as exc:
            # An alert without its explanation still beats no alert.
            log.warning("cannot explain %s: %s", alert.key, exc)
            return payload(alert, None)

    def run_once(self, now: datetime | None = None) -> PassReport:
        """Raise the new alerts of every rule, then attempt every delivery that is due."""
        now = now or datetime.now(UTC)
        report = PassReport()
        for configured in self.rules:
            for alert in self.evaluate(configured, now, now - self.lookback):
                if not self._is_new(configured, alert):
                    continue
                data = self._explained(alert)
                if self.state.record(alert, data, list(configured.notifiers), now) is not None:
                    report.raised.append(data)
        self._deliver(now, report)
        return report

    def _attempt(self, notifier_name: str, data: dict[str, Any]) -> str | None:
        """Send `data` by one notifier: None when delivered, else why not. Whatever a
        notifier raises is its own failure: it must not stop the others, nor the pass."""
        notifier = self._notifiers.get(notifier_name)
        if notifier is None:
            return "notifier no longer configured"
        try:
            notifier.send(data)
        except NotifyError as exc:
            return str(exc)
        except Exception as exc:
            log.exception("notifier %s failed unexpectedly", notifier_name)
            return f"unexpected {type(exc).__name__}"
        return None

    def _deliver(self, now: datetime, report: PassReport) -> None:
        due = self.state.due(now)
        if not due:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(due))) as pool:
            futures = {pool.submit(self._attempt, name, data): (alert_id, name, data)
                       for alert_id, name, data in due}
            # Each outcome is kept as soon as it is known, so a delivery made is never
            # made again, whatever happens to the others.
            for future in as_completed(futures):
                alert_id, name, data = futures[future]
                self._keep(alert_id, name, data, future.result(), now, report)

    def _keep(self, alert_id: int, name: str, data: dict[str, Any], error: str | None,
              now: datetime, report: PassReport) -> None:
        if error is None:
            self.state.delivered(alert_id, name)
            report.sent.append(f"{data['key']} -> {name}")
        else:
            log.warning("delivery of %s by %s failed: %s", data["key"], name, error)
            self.state.failed(alert_id, name, error, now)
            report.failed.append(f"{data['key']} -> {name}: {error}")


def run_every(runner: AlertRunner, every: timedelta, on_pass: Callable[[PassReport], None],
              *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Run passes forever, one every `every` (a slow pass delays the next, never overlaps)."""
    while True:
        started = time.monotonic()
        try:
            on_pass(runner.run_once())
        except StoreError as exc:
            # The store may be busy or briefly unreadable; the next pass catches up.
            log.error("alert pass failed: %s", exc)
        except Exception:
            # A daemon that stops alerting is worse than one that logs a bug and goes on.
            log.exception("alert pass failed")
        sleep(max(0.0, every.total_seconds() - (time.monotonic() - started)))


@contextmanager
def open_runner(db: str | PathLike[str], rules: list[ConfiguredRule], *,
                lookback: timedelta = timedelta(hours=24)) -> Iterator[AlertRunner]:
    """A runner over the configured index (`$ELASTICSEARCH_URL`, else the SQLite file
    `db`); its alert state is kept in `db` either way."""
    store = open_configured(db)
    state = AlertState(db)
    try:
        yield AlertRunner(store, state, rules, lookback=lookback)
    finally:
        state.close()
        store.close()
