"""Reports that arrive: the watchlist's `[[reports]]`, each mailed once per period.

    [[reports]]
    brand = "Acme"
    period = "week"                       # day, week or month
    smtp = "smtp://mail.example:587"      # the email notifier's options, same rules
    sender = "mentionwatch@example.com"
    to = ["lead@example.com"]

`mentionwatch report send` (run it from cron, hourly is fine) mails every report whose last
complete period has not been sent yet: an HTML mail with the charts as inline images
(`cid:` parts of the mail, not remote URLs a mail client would block) and the PDF attached.
What was sent is kept in the local SQLite file (`index.localstate.REPORTS`), so a report goes
out once per period, and a failed send is tried again by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from os import PathLike
from typing import Any

from api.alerts.notifiers import EmailNotifier, NotifyError
from api.alerts.state import AlertState
from api.reports.figures import Report, build_report, period_window
from api.reports.options import ReportOptions
from api.reports.render import chart_images, html_page, pdf_document, plain_text
from index.backend import MentionStore
from index.localstate import REPORTS, LocalTables

__all__ = [
    "ReportState",
    "SendReport",
    "fired_alerts",
    "report_message",
    "send_due",
]

log = logging.getLogger(__name__)

#: How many of the latest alerts a report looks through for those of its period.
ALERT_HISTORY = 5000
#: A claim older than this whose send never finished (the process died) is taken over.
STALE_CLAIM = timedelta(minutes=30)


def report_message(report: Report, *, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """The report as a mail: plain text, and HTML whose charts are inline parts it refers to
    by `cid:`; the PDF attached."""
    charts = chart_images(report)
    ids = {key: make_msgid(domain="mentionwatch") for key in charts}
    message = EmailMessage()
    message["Subject"] = f"[mentionwatch] {report.title}"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content(plain_text(report))
    message.add_alternative(html_page(report, {k: f"cid:{i[1:-1]}" for k, i in ids.items()}),
                            subtype="html")
    page = message.get_body(("html",))
    assert page is not None  # added just above
    for key, png in charts.items():
        page.add_related(png, "image", "png", cid=ids[key], filename=f"{key}.png")
    message.add_attachment(pdf_document(report, charts), "application", "pdf",
                           filename=f"mentionwatch-{_slug(report.brand)}-"
                                    f"{report.window.label}.pdf")
    return message


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.casefold()).strip("-") or "brand"


class ReportState:
    """Which report was sent for which period, in the local SQLite file."""

    def __init__(self, path: str | PathLike[str]) -> None:
        self._db = LocalTables(path, REPORTS)

    def claim(self, report: str, period: str, now: datetime) -> bool:
        """Take the send of `report` for `period`: False when it was sent, or another run
        is sending it."""
        stale = (now - STALE_CLAIM).isoformat()
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM report_sends WHERE report = ? AND period = ? AND sent_at IS NULL "
                "AND claimed_at < ?", (report, period, stale))
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO report_sends (report, period, claimed_at) "
                "VALUES (?, ?, ?)", (report, period, now.isoformat()))
        return cursor.rowcount == 1

    def sent(self, report: str, period: str, now: datetime) -> None:
        self._db.execute("UPDATE report_sends SET sent_at = ? WHERE report = ? AND period = ?",
                         (now.isoformat(), report, period))

    def release(self, report: str, period: str) -> None:
        """Give up a claim whose send failed, so the next run tries again."""
        self._db.execute("DELETE FROM report_sends WHERE report = ? AND period = ? "
                         "AND sent_at IS NULL", (report, period))

    def close(self) -> None:
        self._db.close()


def fired_alerts(path: str | PathLike[str]) -> list[dict[str, Any]]:
    """The latest alerts of the alert history in the local file, for `build_report`."""
    state = AlertState(path)
    try:
        return [stored.alert for stored in state.history(limit=ALERT_HISTORY)]
    finally:
        state.close()


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: list[str] = field(default_factory=list)  # "<report> <period label> -> <recipients>"
    failed: list[str] = field(default_factory=list)  # "... : <error>"


def send_due(store: MentionStore, state: ReportState, reports: list[ReportOptions], *,
             now: datetime, alerts: list[dict[str, Any]],
             allow_loopback: bool = False) -> SendReport:
    """Mail every report whose last complete period before `now` was not sent yet."""
    outcome = SendReport()
    for options in reports:
        label = period_window(options.period, now).label
        if not state.claim(options.key, label, now):
            continue
        done = f"{options.key} {label} -> {', '.join(options.to)}"
        try:
            report = build_report(store, options.brand, options.period, now=now, alerts=alerts)
            message = report_message(report, sender=options.sender, to=options.to)
            EmailNotifier(options, allow_loopback=allow_loopback).deliver(message)
        except NotifyError as exc:
            state.release(options.key, label)
            log.warning("report %s not sent: %s", done, exc)
            outcome.failed.append(f"{done}: {exc}")
            continue
        except BaseException:
            state.release(options.key, label)
            raise
        state.sent(options.key, label, now)
        outcome.sent.append(done)
    return outcome
