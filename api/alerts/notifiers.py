"""Notifiers: each `send(alert)`s an alert payload (`explain.payload`) somewhere, raising
`NotifyError` when it could not. Formatting is pure (`slack_message`, `teams_message`,
`email_message`, `AlertTemplate.render`); only `send` does I/O. Mention text is untrusted:
escaped for Slack markup and for HTML mail, never parsed as markdown in a Teams card, and
JSON-encoded wherever a user's template puts it.

A notifier's URL is an admin's, but still goes through the crawler's address guard
(`api.outbound`), and so does an SMTP server's address. What a webhook answers is never
kept (errors are shown to every viewer): only its status.
"""

from __future__ import annotations

import html
import json
import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import urlsplit

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import Field, model_validator

from api.outbound import (
    REDACTED,
    OutboundError,
    checked_address,
    post,
    redact_url,
    url_refusal,
)
from index.watchlist import TAG, Options

__all__ = [
    "REDACTED",
    "SAMPLE_ALERT",
    "AlertTemplate",
    "EmailNotifier",
    "EmailOptions",
    "Notifier",
    "NotifierOptions",
    "NotifyError",
    "TeamsNotifier",
    "TeamsOptions",
    "TemplateNotifier",
    "TemplateOptions",
    "URLOptions",
    "WebhookNotifier",
    "WebhookOptions",
    "email_message",
    "notifier_for",
    "redact_url",
    "refusal",
    "slack_message",
    "teams_message",
]

_TIMEOUT = 10.0


class NotifyError(OutboundError):
    """Raised by a notifier's `send` when the alert could not be delivered."""


class Notifier(Protocol):
    def send(self, alert: dict[str, Any]) -> None: ...


def _implicit_tls(options: EmailOptions) -> bool:
    parts = urlsplit(options.smtp)
    return parts.scheme == "smtps" or parts.port == 465


def _plaintext_auth_refusal(options: EmailOptions) -> str | None:
    if options.username and not (options.starttls or _implicit_tls(options)
                                 or options.allow_plaintext_auth):
        return ("starttls: a username is never sent over a connection without TLS; use "
                "starttls = true or smtps://, or set allow_plaintext_auth = true")
    return None


def refusal(options: NotifierOptionsType, *, allow_loopback: bool) -> str | None:
    """Why a notifier must not be configured so, beginning with the option at fault
    (`url: ...`); None when it may be."""
    if isinstance(options, EmailOptions):
        return _plaintext_auth_refusal(options)
    if problem := url_refusal(options.url, allow_loopback=allow_loopback):
        return problem
    if isinstance(options, TemplateOptions):
        try:
            AlertTemplate(options)
        except TemplateProblem as exc:
            return str(exc)
    return None


def _facts(alert: dict[str, Any]) -> list[str]:
    """The plain-text lines every notifier shows under the summary. The figures are in the
    rule type's words (`reading`); an alert queued before payloads had them shows them bare."""
    figures = alert.get("reading") or (f"observed {alert['observed']:g}, baseline "
                                       f"{alert['baseline']:g} (since {alert['baseline_start']})")
    lines = [f"Rule {alert['rule']} ({alert['type']}) on {alert['field']} {alert['subject']}",
             f"Window {alert['window_start']} to {alert['window_end']}: {figures}"]
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


class URLOptions(Options):
    """What every notifier that POSTs to a URL has: the URL, often a secret in itself (a
    Slack or Teams webhook's path and query), so people are shown `redact_url(url)`."""

    url: str = Field(pattern=r"^https?://\S+$")


class WebhookOptions(URLOptions):
    """`[[alerts.notify]]` with `type = "webhook"`: POSTs Slack-compatible JSON to `url`."""

    type: Literal["webhook"]


def _post(label: str, target: str, content: bytes, headers: dict[str, str], *,
          allow_loopback: bool) -> None:
    """POST `content` to `target` through the address guard (`api.outbound.post`);
    NotifyError unless it answers 2xx. `label` (the notifier's type) begins every error."""
    try:
        post(label, target, content, headers, allow_loopback=allow_loopback, timeout=_TIMEOUT)
    except OutboundError as exc:
        raise NotifyError(str(exc)) from exc.__cause__


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


_JSON_HEADERS = {"Content-Type": "application/json"}


class WebhookNotifier:
    """POSTs `slack_message(alert)` to a Slack (or compatible) incoming webhook."""

    def __init__(self, options: WebhookOptions, *, allow_loopback: bool = False) -> None:
        self.url = options.url
        self._allow_loopback = allow_loopback

    def send(self, alert: dict[str, Any]) -> None:
        _post("webhook", self.url, _json(slack_message(alert)), _JSON_HEADERS,
              allow_loopback=self._allow_loopback)


# Teams Workflows ("Post to a channel when a webhook request is received") take an Adaptive
# Card in a message envelope, as Microsoft's "Send Adaptive Cards using an Incoming Webhook"
# gives it: "type" must be "message", "attachments" holds the cards, each with "contentType"
# application/vnd.microsoft.card.adaptive and the card as "content"
# (MicrosoftDocs/msteams-docs, msteams-platform/webhooks-and-connectors/how-to/
# connectors-using.md); Workflows take Adaptive Cards only, not Slack's JSON nor the old
# MessageCard (learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/
# connectors-using, "Known issues").
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def _text_run(text: str, **style: str | bool) -> dict[str, Any]:
    # Untrusted text goes only in a TextRun: a TextBlock reads a markdown subset (**bold**,
    # _italic_, lists, [label](url) links), a RichTextBlock's TextRun reads none
    # (learn.microsoft.com/adaptive-cards/authoring-cards/text-features), so a mention's
    # "[official support](https://phish.example)" shows as written, not as a disguised link.
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def _open_button(url: str, title: str) -> dict[str, Any] | None:
    """A button opening a mention's page; None for a URL that is not http(s)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return {"type": "ActionSet", "actions": [
        {"type": "Action.OpenUrl", "title": title, "url": url}]}


def _teams_example(example: dict[str, Any]) -> list[dict[str, Any]]:
    seen = f"{example['source']} {example['published_at'] or ''}".strip()
    blocks = [_text_run(example["text"], italic=True), _text_run(seen, isSubtle=True)]
    if button := _open_button(example["url"], f"Open ({example['source']})"):
        blocks.append(button)
    return blocks


def teams_message(alert: dict[str, Any]) -> dict[str, Any]:
    """A Teams Workflows webhook message: one Adaptive Card (1.4) carrying what the Slack
    message and the mail carry; every piece of alert data in a TextRun, as plain text."""
    body = [_text_run(alert["summary"], weight="Bolder", size="Medium"),
            *(_text_run(line) for line in _facts(alert))]
    examples = (alert.get("explanation") or {}).get("examples", [])
    if examples:
        body.append({"type": "TextBlock", "text": "Examples", "weight": "Bolder",
                     "separator": True})
    for example in examples:
        body += _teams_example(example)
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "fallbackText": alert["summary"],
            "msteams": {"width": "Full"}, "body": body}
    return {"type": "message",
            "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}


class TeamsOptions(URLOptions):
    """`[[alerts.notify]]` with `type = "teams"`: POSTs an Adaptive Card to the URL of a
    Teams Workflows webhook ("Post to a channel when a webhook request is received")."""

    type: Literal["teams"]


class TeamsNotifier:
    """POSTs `teams_message(alert)` to a Microsoft Teams Workflows webhook."""

    def __init__(self, options: TeamsOptions, *, allow_loopback: bool = False) -> None:
        self.url = options.url
        self._allow_loopback = allow_loopback

    def send(self, alert: dict[str, Any]) -> None:
        _post("teams", self.url, _json(teams_message(alert)), _JSON_HEADERS,
              allow_loopback=self._allow_loopback)


#: The alert every template is tried on when the rules are loaded (and what a template
#: sees as `alert`: `explain.payload`'s shape), so a typo is an error then, not at alert time.
SAMPLE_ALERT: dict[str, Any] = {
    "rule": "acme-negative", "type": "negative_spike", "subject": "Acme", "field": "brand",
    "window_start": "2026-01-05T10:00:00+00:00", "window_end": "2026-01-05T11:00:00+00:00",
    "baseline_start": "2025-12-22T10:00:00+00:00", "observed": 15, "baseline": 1.5,
    "summary": "Acme: 15 negative mentions in an hour, usually 1.5 (z 11.0, p < 1e-9)",
    "sentiment": "negative", "z": 11.0, "mention_id": None, "query": "",
    "key": "acme-negative|brand=Acme|2026-01-05T10:00:00+00:00",
    "reading": "15 negative mentions in an hour, usually 1.5 from the 14 days before (z 11.0)",
    "details": None,  # a visibility drop's figures, tests and answers (api/alerts/rules.py)
    "explanation": {
        "top_terms": [["battery", 12], ["swelled", 6]],
        "top_sources": [["schemaorg", 15]],
        "examples": [{"url": "https://shop.example/reviews/1", "source": "schemaorg",
                      "published_at": "2026-01-05T10:31:00+00:00",
                      "text": "The battery swelled \"badly\" {{ and }} cracked"}],
        "top_aspects": [["battery", 9, 1.5]],
    },
}
# An alert may come without its explanation (a flatline's terms are empty; a store that
# could not be read gives none): a template must cope with both.
_SAMPLES = (("", SAMPLE_ALERT),
            (" (tried on an alert without its explanation)",
             {**SAMPLE_ALERT, "type": "flatline", "sentiment": None, "z": None,
              "explanation": None}))

# application/json, or a vendor type in JSON (application/vnd.example+json; charset=utf-8)
_JSON_TYPE = re.compile(r"^application/([\w.-]+\+)?json\s*(;.*)?$")
_HEADER_NAME = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")]
_NAME = Annotated[str, Field(pattern=r"^\w+$")]
# Set by the notifier itself: the URL's host, the content_type option, the body's length.
_OWN_HEADERS = {"host", "content-type", "content-length"}


class TemplateOptions(URLOptions):
    """`[[alerts.notify]]` with `type = "template"`: POSTs what a Jinja2 template (`template`
    inline, or `template_file`) makes of the alert: PagerDuty, Opsgenie or anything else.
    `secrets` maps a name the templates use (`{{ secrets.routing_key }}`) to the environment
    variable holding it, so no secret sits in the watchlist; header values are templates
    too (`Authorization = "GenieKey {{ secrets.api_key }}"`)."""

    type: Literal["template"]
    template: str | None = None
    template_file: Path | None = None
    content_type: str = Field(default="application/json",
                              pattern=r"^[\w.+-]+/[\w.+-]+\s*(;[^\r\n]*)?$")
    headers: dict[_HEADER_NAME, str] = Field(default_factory=dict)
    secrets: dict[_NAME, _NAME] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_template(self) -> TemplateOptions:
        if (self.template is None) == (self.template_file is None):
            raise ValueError("give the template inline (template) or in a file "
                             "(template_file), one of them")
        if own := sorted(h for h in self.headers if h.lower() in _OWN_HEADERS):
            raise ValueError(f"headers: {', '.join(own)} is set by the notifier itself "
                             "(content_type sets Content-Type)")
        return self

    @property
    def is_json(self) -> bool:
        return _JSON_TYPE.match(self.content_type) is not None


class TemplateProblem(ValueError):
    """A template that cannot be read, compiled or rendered; the message begins with the
    option at fault (`template: line 3: ...`)."""


class _Encoded(str):
    """Text already JSON-encoded (by `tojson`): the JSON finalizer leaves it as it is."""


def _tojson(value: Any) -> _Encoded:
    return _Encoded(json.dumps(value, ensure_ascii=False))


def _as_json(value: Any) -> str:
    # JSON's autoescape: whatever `{{ ... }}` prints is JSON-encoded, so a mention's quotes
    # or braces cannot break out of the value it is put in.
    if isinstance(value, jinja2.Undefined):
        str(value)  # a StrictUndefined raises UndefinedError, naming what is missing
    return value if isinstance(value, _Encoded) else _tojson(value)


def _environment(*, json_values: bool) -> jinja2.Environment:
    """A sandbox (no attribute of Python's internals, no mutation, bounded `range`) where an
    unknown name or key is an error, not an empty string."""
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                        keep_trailing_newline=True,
                                        finalize=_as_json if json_values else None)
    env.filters["tojson"] = _tojson
    return env


def _compile(env: jinja2.Environment, source: str, option: str) -> jinja2.Template:
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"{option}: line {exc.lineno}: {exc.message}") from None


def _template_source(options: TemplateOptions) -> str:
    if options.template is not None:
        return options.template
    path = Path(options.template_file or "")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise TemplateProblem(f"template_file: cannot read {str(path.resolve())!r}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None


class AlertTemplate:
    """A `TemplateOptions`' body and header templates, compiled in the sandbox and tried on
    `SAMPLE_ALERT` (with and without its explanation) with stand-in secrets: an unknown
    name, a syntax error or a body that is not JSON (for a JSON content type) raises
    TemplateProblem when the rules are loaded."""

    def __init__(self, options: TemplateOptions) -> None:
        self.options = options
        self._body = _compile(_environment(json_values=options.is_json),
                              _template_source(options), "template")
        text = _environment(json_values=False)
        self._headers = {name: _compile(text, value, f"headers.{name}")
                         for name, value in options.headers.items()}
        stand_ins = {name: f"<{variable}>" for name, variable in options.secrets.items()}
        for tried_on, alert in _SAMPLES:
            try:
                self.render(alert, stand_ins)
            except TemplateProblem as exc:
                raise TemplateProblem(f"{exc}{tried_on}") from None

    def _render(self, template: jinja2.Template, option: str, context: dict[str, Any]) -> str:
        try:
            return template.render(context)
        except Exception as exc:  # a template is user code: what it raises is its problem
            raise TemplateProblem(f"{option}: {type(exc).__name__}: {exc}") from None

    def render(self, alert: dict[str, Any],
               secrets: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """The body and the headers (Content-Type included) for `alert`."""
        context = {"alert": alert, "facts": _facts(alert), "secrets": secrets}
        body = self._render(self._body, "template", context)
        if self.options.is_json:
            try:
                json.loads(body)
            except ValueError as exc:
                raise TemplateProblem(f"template: renders invalid JSON ({exc}); put each "
                                      "value as {{ value }}, outside quotes: it is "
                                      "JSON-encoded") from None
        headers = {"Content-Type": self.options.content_type}
        for name, template in self._headers.items():
            value = self._render(template, f"headers.{name}", context).strip()
            if "\r" in value or "\n" in value:
                raise TemplateProblem(f"headers.{name}: renders a line break")
            headers[name] = value
        return body.encode("utf-8"), headers


class TemplateNotifier:
    """POSTs what `AlertTemplate` renders for the alert, with the secrets read from the
    environment at send time."""

    def __init__(self, options: TemplateOptions, *, allow_loopback: bool = False) -> None:
        self.url = options.url
        self.template = AlertTemplate(options)
        self._allow_loopback = allow_loopback

    def _secrets(self) -> dict[str, str]:
        wanted = self.template.options.secrets
        missing = [f"{v} (secrets.{name})" for name, v in wanted.items() if v not in os.environ]
        if missing:
            raise NotifyError(f"template {urlsplit(self.url).hostname}: environment variable "
                              f"{', '.join(missing)} is not set")
        return {name: os.environ[variable] for name, variable in wanted.items()}

    def send(self, alert: dict[str, Any]) -> None:
        try:
            body, headers = self.template.render(alert, self._secrets())
        except TemplateProblem as exc:
            raise NotifyError(f"template {urlsplit(self.url).hostname}: {exc}") from None
        _post("template", self.url, body, headers, allow_loopback=self._allow_loopback)


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
        try:
            address = checked_address(self._host, self._port,
                                      allow_loopback=self._allow_loopback)
        except OutboundError as exc:
            raise NotifyError(str(exc)) from None
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
        self.deliver(email_message(alert, sender=self.options.sender, to=self.options.to))

    def deliver(self, message: EmailMessage) -> None:
        """Mail `message` (an alert's, or a report's) by these options' server and rules."""
        o = self.options
        if problem := _plaintext_auth_refusal(o):
            raise NotifyError(f"email via {self._host}:{self._port}: {problem}")
        # smtplib's own default context checks no certificate.
        context = ssl.create_default_context()
        try:
            with self._connect(context) as smtp:
                if o.username:
                    smtp.login(o.username, self._password())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"email via {self._host}:{self._port}: {exc}") from exc


NotifierOptionsType = WebhookOptions | TeamsOptions | TemplateOptions | EmailOptions
# What an `[[alerts.notify]]` table may be, chosen by its `type`.
NotifierOptions = Annotated[NotifierOptionsType, Field(discriminator=TAG)]


def notifier_for(options: NotifierOptionsType, *, allow_loopback: bool = False) -> Notifier:
    """The notifier an `[[alerts.notify]]` entry of the watchlist describes."""
    if isinstance(options, WebhookOptions):
        return WebhookNotifier(options, allow_loopback=allow_loopback)
    if isinstance(options, TeamsOptions):
        return TeamsNotifier(options, allow_loopback=allow_loopback)
    if isinstance(options, TemplateOptions):
        return TemplateNotifier(options, allow_loopback=allow_loopback)
    return EmailNotifier(options, allow_loopback=allow_loopback)
