"""Notifiers: each `send(alert)`s an alert payload (`explain.payload`) somewhere, raising
`NotifyError` when it could not. Formatting is pure (`slack_message`, `email_message`); only
`send` does I/O. Mention text is untrusted: escaped for Slack markup and for HTML mail.
"""

from __future__ import annotations

import html
import os
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from index.watchlist import EmailNotifier as EmailOptions
from index.watchlist import WebhookNotifier as WebhookOptions

__all__ = [
    "EmailNotifier",
    "Notifier",
    "NotifyError",
    "WebhookNotifier",
    "email_message",
    "notifier_for",
    "slack_message",
]

_TIMEOUT = 10.0


class NotifyError(Exception):
    """Raised by a notifier's `send` when the alert could not be delivered."""


class Notifier(Protocol):
    def send(self, alert: dict[str, Any]) -> None: ...


def _facts(alert: dict[str, Any]) -> list[str]:
    """The plain-text lines every notifier shows under the summary."""
    lines = [f"Rule {alert['rule']} ({alert['type']}) on {alert['field']} {alert['subject']}",
             f"Window {alert['window_start']} to {alert['window_end']}: observed "
             f"{alert['observed']:g}, baseline {alert['baseline']:g} "
             f"(since {alert['baseline_start']})"]
    explanation = alert.get("explanation") or {}
    if terms := explanation.get("top_terms"):
        lines.append("Top terms: " + ", ".join(f"{t} ({n})" for t, n in terms))
    if sources := explanation.get("top_sources"):
        lines.append("Top sources: " + ", ".join(f"{s} ({n})" for s, n in sources))
    return lines


def _slack_escape(text: str) -> str:
    # Slack's markup gives meaning to only these three characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, label: str) -> str:
    safe_url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{safe_url}|{_slack_escape(label)}>"


def slack_message(alert: dict[str, Any]) -> dict[str, Any]:
    """Slack-compatible webhook JSON: `text` for notifications, `blocks` for the detail."""
    summary = _slack_escape(alert["summary"])
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*"}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": "\n".join(map(_slack_escape, _facts(alert)))}},
    ]
    for example in (alert.get("explanation") or {}).get("examples", []):
        quoted = _slack_escape(example["text"]).replace("\n", "\n>")
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn",
            "text": f"{_slack_link(example['url'], example['source'])} "
                    f"{example['published_at'] or ''}\n>{quoted}"}})
    return {"text": f"mentionwatch alert: {summary}", "blocks": blocks}


def email_message(alert: dict[str, Any], *, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """A plain-text mail with an HTML alternative; mention text escaped in the HTML."""
    message = EmailMessage()
    # A header must be one line, whatever the summary holds.
    message["Subject"] = "[mentionwatch] " + " ".join(alert["summary"].split())
    message["From"] = sender
    message["To"] = ", ".join(to)
    examples = (alert.get("explanation") or {}).get("examples", [])
    text = [alert["summary"], "", *_facts(alert)]
    page = [f"<h2>{html.escape(alert['summary'])}</h2>",
            *(f"<p>{html.escape(line)}</p>" for line in _facts(alert))]
    if examples:
        text += ["", "Examples:"]
        page.append("<h3>Examples</h3>")
    for example in examples:
        text += [f"- {example['url']} ({example['source']}, {example['published_at']})",
                 f"  {example['text']}"]
        page.append(f"<blockquote><p>{html.escape(example['text'])}</p>"
                    f"<p><a href=\"{html.escape(example['url'])}\">"
                    f"{html.escape(example['source'])}</a> "
                    f"{html.escape(example['published_at'] or '')}</p></blockquote>")
    message.set_content("\n".join(text))
    message.add_alternative("<html><body>" + "".join(page) + "</body></html>", subtype="html")
    return message


class WebhookNotifier:
    """POSTs `slack_message(alert)` to a Slack (or compatible) incoming webhook."""

    def __init__(self, options: WebhookOptions, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = options.url
        self._transport = transport

    def send(self, alert: dict[str, Any]) -> None:
        try:
            with httpx.Client(transport=self._transport, timeout=_TIMEOUT) as client:
                response = client.post(self.url, json=slack_message(alert))
        except httpx.HTTPError as exc:
            raise NotifyError(f"webhook {urlsplit(self.url).hostname}: {exc}") from exc
        if response.status_code >= 300:
            raise NotifyError(f"webhook {urlsplit(self.url).hostname}: HTTP "
                              f"{response.status_code} {response.text[:200]}")


class EmailNotifier:
    """Mails `email_message(alert)` through the configured SMTP server."""

    def __init__(self, options: EmailOptions) -> None:
        self.options = options
        parts = urlsplit(options.smtp)
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname or ""
        self._port = parts.port or (465 if self._tls else 25)

    def _password(self) -> str:
        name = self.options.password_env
        if name is None:
            return ""
        if name not in os.environ:
            raise NotifyError(f"email: environment variable {name} (password_env) is not set")
        return os.environ[name]

    def send(self, alert: dict[str, Any]) -> None:
        o = self.options
        message = email_message(alert, sender=o.sender, to=o.to)
        connect = smtplib.SMTP_SSL if self._tls else smtplib.SMTP
        try:
            with connect(self._host, self._port, timeout=_TIMEOUT) as smtp:
                if o.starttls:
                    smtp.starttls()
                if o.username:
                    smtp.login(o.username, self._password())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"email via {self._host}:{self._port}: {exc}") from exc


def notifier_for(options: WebhookOptions | EmailOptions) -> Notifier:
    """The notifier an `[[alerts.notify]]` entry of the watchlist describes."""
    if isinstance(options, WebhookOptions):
        return WebhookNotifier(options)
    return EmailNotifier(options)
