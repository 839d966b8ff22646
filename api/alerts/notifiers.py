"""Notifiers: each `send(alert)`s an alert payload (`explain.payload`) somewhere, raising
`NotifyError` when it could not. Formatting is pure (`slack_message`, `email_message`); only
`send` does I/O. Mention text is untrusted: escaped for Slack markup and for HTML mail.

A notifier's URL is an admin's, but still goes through the crawler's address guard: the host
is resolved once, every address it resolves to must be global (loopback only with
`MENTIONWATCH_ALLOW_LOOPBACK`), and the connection goes to that checked address while TLS
and the Host header keep the name, so a DNS answer that changes in between cannot redirect
it. What a webhook answers is never kept (errors are shown to every viewer): only its status.
"""

from __future__ import annotations

import html
import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import Field

from crawlers.addresses import UnsafeURL, check_url, is_allowed_address
from index.watchlist import TAG, Options

__all__ = [
    "REDACTED",
    "EmailNotifier",
    "EmailOptions",
    "Notifier",
    "NotifierOptions",
    "NotifyError",
    "WebhookNotifier",
    "WebhookOptions",
    "email_message",
    "notifier_for",
    "redact_url",
    "refusal",
    "slack_message",
]

_TIMEOUT = 10.0


class NotifyError(Exception):
    """Raised by a notifier's `send` when the alert could not be delivered."""


class Notifier(Protocol):
    def send(self, alert: dict[str, Any]) -> None: ...


#: What stands for the path, query and fragment of a URL shown to people.
REDACTED = "/\N{HORIZONTAL ELLIPSIS}"


def redact_url(url: str) -> str:
    """The URL without what may hold a secret (user and password, path, query):
    `https://hooks.slack.com/…`."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(malformed URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{REDACTED}"


def _checked_address(host: str, port: int, *, allow_loopback: bool) -> str:
    """The address to connect to for `host`, resolved once; refused unless every address the
    name resolves to is allowed (a name that also points inside is not half-trusted)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise NotifyError(f"{host}: cannot resolve the host name ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not is_allowed_address(address, allow_loopback=allow_loopback):
            raise NotifyError(f"{host}: refused, it resolves to {address}, a private, "
                              "loopback or otherwise non-global address")
    return addresses[0]


def _implicit_tls(options: EmailOptions) -> bool:
    parts = urlsplit(options.smtp)
    return parts.scheme == "smtps" or parts.port == 465


def _url_refusal(url: str, *, allow_loopback: bool) -> str | None:
    try:
        check_url(url, allow_loopback=allow_loopback)
    except UnsafeURL as exc:
        # The guard quotes the URL, whose password or path may be a secret.
        return "url: " + str(exc).replace(repr(url), repr(redact_url(url)))
    return None


def _plaintext_auth_refusal(options: EmailOptions) -> str | None:
    if options.username and not (options.starttls or _implicit_tls(options)
                                 or options.allow_plaintext_auth):
        return ("starttls: a username is never sent over a connection without TLS; use "
                "starttls = true or smtps://, or set allow_plaintext_auth = true")
    return None


def refusal(options: WebhookOptions | EmailOptions, *, allow_loopback: bool) -> str | None:
    """Why a notifier must not be configured so, beginning with the option at fault
    (`url: ...`); None when it may be."""
    if isinstance(options, WebhookOptions):
        return _url_refusal(options.url, allow_loopback=allow_loopback)
    return _plaintext_auth_refusal(options)


def _facts(alert: dict[str, Any]) -> list[str]:
    """The plain-text lines every notifier shows under the summary."""
    lines = [f"Rule {alert['rule']} ({alert['type']}) on {alert['field']} {alert['subject']}",
             f"Window {alert['window_start']} to {alert['window_end']}: observed "
             f"{alert['observed']:g}, baseline {alert['baseline']:g} "
             f"(since {alert['baseline_start']})"]
    explanation = alert.get("explanation") or {}
    if terms := explanation.get("top_terms"):
        lines.append("Top terms: " + ", ".join(f"{t} ({n})" for t, n in terms))
    if aspects := explanation.get("top_aspects"):
        lines.append("Aspects more mentioned than usual: " + ", ".join(
            f"{aspect} {count} (usually {usual:g})" for aspect, count, usual in aspects))
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


class WebhookOptions(Options):
    """`[[alerts.notify]]` with `type = "webhook"`: POSTs Slack-compatible JSON to `url`."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://\S+$")


class WebhookNotifier:
    """POSTs `slack_message(alert)` to a Slack (or compatible) incoming webhook."""

    def __init__(self, options: WebhookOptions, *, allow_loopback: bool = False) -> None:
        self.url = options.url
        self._allow_loopback = allow_loopback

    def send(self, alert: dict[str, Any]) -> None:
        if problem := _url_refusal(self.url, allow_loopback=self._allow_loopback):
            raise NotifyError(f"webhook {redact_url(self.url)}: {problem}")
        url = httpx.URL(self.url)
        name = url.raw_host.decode("ascii")
        address = _checked_address(name, url.port or (443 if url.scheme == "https" else 80),
                                   allow_loopback=self._allow_loopback)
        try:
            # The checked address is connected to; Host and TLS (SNI, certificate) keep the
            # name. The answer is not read: nothing of it is kept.
            with httpx.Client(timeout=_TIMEOUT) as client, client.stream(
                    "POST", url.copy_with(host=address), json=slack_message(alert),
                    headers={"Host": url.netloc.decode("ascii")},
                    extensions={"sni_hostname": name}) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            raise NotifyError(f"webhook {name}: {type(exc).__name__}") from exc
        if status >= 300:
            raise NotifyError(f"webhook {name}: HTTP {status}")


_ADDRESS = r"^[^@\s]+@[^@\s]+$"


class EmailOptions(Options):
    """`[[alerts.notify]]` with `type = "email"`: mails the alert through an SMTP server
    (`smtp://host:port` with STARTTLS, or `smtps://` and port 465 with TLS from the start)."""

    type: Literal["email"]
    smtp: str = Field(pattern=r"^smtps?://[\w.-]+(:\d{1,5})?/?$")
    sender: str = Field(pattern=_ADDRESS)
    to: tuple[Annotated[str, Field(pattern=_ADDRESS)], ...] = Field(min_length=1)
    starttls: bool = True
    # Log in over a connection without TLS: only for a server that cannot do TLS.
    allow_plaintext_auth: bool = False
    username: str | None = None
    # The name of the environment variable holding the password: never the password itself.
    password_env: str | None = Field(default=None, pattern=r"^\w+$")


class _PinnedSMTP(smtplib.SMTP):
    """Connects to `address`, checked beforehand, instead of resolving the host again; TLS
    still verifies the certificate against the host name."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return super()._get_socket(self.address, port, timeout)  # type: ignore[misc]


class _PinnedSMTPS(_PinnedSMTP, smtplib.SMTP_SSL):
    """`_PinnedSMTP` with TLS from the start (`smtps://`, port 465)."""


class EmailNotifier:
    """Mails `email_message(alert)` through the configured SMTP server, over TLS (STARTTLS,
    or TLS from the start for `smtps://` and port 465) unless the options turn it off; a
    username is only ever sent over TLS, or with `allow_plaintext_auth`."""

    def __init__(self, options: EmailOptions, *, allow_loopback: bool = False) -> None:
        self.options = options
        parts = urlsplit(options.smtp)
        self._tls = _implicit_tls(options)
        self._host = parts.hostname or ""
        self._port = parts.port or (465 if self._tls else 25)
        self._allow_loopback = allow_loopback

    def _password(self) -> str:
        name = self.options.password_env
        if name is None:
            return ""
        if name not in os.environ:
            raise NotifyError(f"email: environment variable {name} (password_env) is not set")
        return os.environ[name]

    def _connect(self, context: ssl.SSLContext) -> smtplib.SMTP:
        address = _checked_address(self._host, self._port, allow_loopback=self._allow_loopback)
        if self._tls:
            return _PinnedSMTPS(self._host, self._port, address=address, context=context,
                                timeout=_TIMEOUT)
        smtp = _PinnedSMTP(self._host, self._port, address=address, timeout=_TIMEOUT)
        if not self.options.starttls:
            return smtp
        try:
            smtp.starttls(context=context)
        except smtplib.SMTPNotSupportedError:
            smtp.close()
            raise NotifyError(f"email via {self._host}:{self._port}: the server offers no "
                              "STARTTLS; use smtps:// if it speaks TLS from the start, or "
                              "starttls = false for a server without TLS") from None
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, alert: dict[str, Any]) -> None:
        o = self.options
        if problem := _plaintext_auth_refusal(o):
            raise NotifyError(f"email via {self._host}:{self._port}: {problem}")
        message = email_message(alert, sender=o.sender, to=o.to)
        # smtplib's own default context checks no certificate.
        context = ssl.create_default_context()
        try:
            with self._connect(context) as smtp:
                if o.username:
                    smtp.login(o.username, self._password())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"email via {self._host}:{self._port}: {exc}") from exc


# What an `[[alerts.notify]]` table may be, chosen by its `type`.
NotifierOptions = Annotated[WebhookOptions | EmailOptions, Field(discriminator=TAG)]


def notifier_for(options: WebhookOptions | EmailOptions, *,
                 allow_loopback: bool = False) -> Notifier:
    """The notifier an `[[alerts.notify]]` entry of the watchlist describes."""
    if isinstance(options, WebhookOptions):
        return WebhookNotifier(options, allow_loopback=allow_loopback)
    return EmailNotifier(options, allow_loopback=allow_loopback)
