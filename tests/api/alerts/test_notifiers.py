"""Notifiers: the webhook's exact Slack JSON to a real HTTP receiver and mail through a real
SMTP server (STARTTLS with a test certificate, or plaintext) on 127.0.0.1; the address guard
and TLS rules. Mention text is hostile here on purpose."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.alerts.explain import AspectChange, Example, Explanation, payload
from api.alerts.notifiers import (
    EmailNotifier,
    EmailOptions,
    NotifyError,
    WebhookNotifier,
    WebhookOptions,
)
from api.alerts.rules import Alert

ALERT = Alert(
    rule="acme-negative", type="negative_spike", subject="Acme", field="brand",
    window_start=datetime(2026, 11, 2, 10, tzinfo=UTC),
    window_end=datetime(2026, 11, 2, 11, tzinfo=UTC),
    baseline_start=datetime(2026, 10, 19, 10, tzinfo=UTC),
    observed=15, baseline=1.5,
    summary="Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)",
    sentiment="negative", z=11.0,
)
EXPLANATION = Explanation(
    top_terms=[("battery", 12), ("swelled", 6)],
    top_sources=[("schemaorg", 15)],
    examples=[Example("https://shop.example/r/1?a=1&b=2", "schemaorg",
                      "2026-11-02T10:31:00+00:00", "Battery <b>swelled</b> & cracked"),
              Example("https://shop.example/r/2|x>", "feed", None, "Second\nline")],
    top_aspects=[AspectChange("battery", 9, 1.5), AspectChange("charging", 4, 0.25)],
)


@pytest.fixture()
def alert() -> dict[str, Any]:
    return payload(ALERT, EXPLANATION)


def _webhook(url: str, *, allow_loopback: bool = True) -> WebhookNotifier:
    return WebhookNotifier(WebhookOptions(type="webhook", url=url),
                           allow_loopback=allow_loopback)


def _email(port: int, **options: Any) -> EmailNotifier:
    return EmailNotifier(EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{port}",
                                      sender="mentionwatch@example.com",
                                      to=("oncall@example.com",), **options),
                         allow_loopback=True)


def test_webhook_posts_slack_json(alert: dict[str, Any], webhook) -> None:
    _webhook(webhook.url).send(alert)
    host = webhook.url.split("/")[2]
    assert [(h["Host"], h["Content-Type"]) for h in webhook.headers] == [
        (host, "application/json")]
    summary = "Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)"
    assert webhook.bodies == [{
        "text": f"mentionwatch alert: {summary}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "Rule acme-negative (negative_spike) on brand Acme\n"
                "Window 2026-11-02T10:00:00+00:00 to 2026-11-02T11:00:00+00:00: 15 negative "
                "mentions in an hour, usually 1.5 from the 14 days before (z 11.0)\n"
                "Top terms: battery (12), swelled (6)\n"
                "Aspects more mentioned than usual: battery 9 (usually 1.5), charging 4 "
                "(usually 0.25)\n"
                "Top sources: schemaorg (15)")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "<https://shop.example/r/1?a=1&b=2|schemaorg> 2026-11-02T10:31:00+00:00\n"
                ">Battery &lt;b&gt;swelled&lt;/b&gt; &amp; cracked")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "<https://shop.example/r/2%7Cx%3E|feed> \n>Second\n>line")}},
        ],
    }]


def test_an_alert_on_one_review_says_its_figures_in_its_rule_types_words(webhook) -> None:
    published = datetime(2026, 10, 9, 10, tzinfo=UTC)
    unanswered = Alert(
        rule="unanswered", type="unanswered", subject="Acme", field="brand",
        window_start=published, window_end=published + timedelta(hours=24),
        baseline_start=published, observed=571.3, baseline=24,
        summary="Acme: a negative review by Ann on schemaorg has no reply after 24 days",
        sentiment="negative", mention_id="m1")
    shown = Explanation([], [("schemaorg", 1)], EXPLANATION.examples[:1], [])
    _webhook(webhook.url).send(payload(unanswered, shown))
    [body] = webhook.bodies
    assert body["blocks"][1]["text"]["text"] == (
        "Rule unanswered (unanswered) on brand Acme\n"
        "Window 2026-10-09T10:00:00+00:00 to 2026-10-10T10:00:00+00:00: unanswered for 24 days "
        "(limit 24 h)\n"
        "Top sources: schemaorg (1)")


def test_webhook_failure_is_a_notify_error_keeping_nothing_of_the_answer(
        alert: dict[str, Any], webhook, free_port: int) -> None:
    webhook.status, webhook.answer = 500, b"internal: db password hunter2"
    with pytest.raises(NotifyError) as failed:
        _webhook(webhook.url).send(alert)
    assert str(failed.value) == "webhook 127.0.0.1: HTTP 500"
    with pytest.raises(NotifyError, match=r"webhook 127\.0\.0\.1: ConnectError"):
        _webhook(f"http://127.0.0.1:{free_port}/hook").send(alert)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_webhook_on_loopback_needs_the_setting(alert, webhook, host: str) -> None:
    url = webhook.url.replace("127.0.0.1", host)
    with pytest.raises(NotifyError, match="non-global address"):
        _webhook(url, allow_loopback=False).send(alert)
    assert webhook.bodies == []  # refused before connecting
    _webhook(url).send(alert)
    assert len(webhook.bodies) == 1


def test_a_webhook_connects_to_the_address_it_checked(alert, webhook, monkeypatch) -> None:
    """A name resolving to an allowed address when checked and to another one afterwards
    (DNS rebinding) is connected to at the checked one, with its name as the Host."""
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    asked: list[str] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "hooks.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _webhook(webhook.url.replace("127.0.0.1", "hooks.test")).send(alert)
    assert asked == ["hooks.test"]
    assert webhook.headers[0]["Host"] == webhook.url.split("/")[2].replace("127.0.0.1",
                                                                           "hooks.test")


def test_an_smtp_server_on_loopback_needs_the_setting(alert, smtp_server) -> None:
    capture, port = smtp_server
    options = EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{port}",
                           sender="mentionwatch@example.com", to=("oncall@example.com",))
    with pytest.raises(NotifyError, match="non-global address"):
        EmailNotifier(options).send(alert)
    assert capture.envelopes == []


def test_email_logs_in_over_starttls_by_default(alert, smtp_server, monkeypatch) -> None:
    capture, port = smtp_server
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    _email(port, username="mentionwatch", password_env="TEST_SMTP_PASSWORD").send(alert)
    assert capture.logins == [(b"mentionwatch", b"s3cret")]
    assert len(capture.envelopes) == 1


def test_credentials_never_go_to_a_server_without_tls(alert, plaintext_smtp,
                                                      monkeypatch) -> None:
    capture, port = plaintext_smtp
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    login = {"username": "mentionwatch", "password_env": "TEST_SMTP_PASSWORD"}
    with pytest.raises(NotifyError, match="the server offers no STARTTLS"):
        _email(port, **login).send(alert)
    with pytest.raises(NotifyError, match="never sent over a connection without TLS"):
        _email(port, starttls=False, **login).send(alert)
    assert capture.logins == [] and capture.envelopes == []
    _email(port, starttls=False).send(alert)  # no credentials: plain mail is allowed
    _email(port, starttls=False, allow_plaintext_auth=True, **login).send(alert)
    assert capture.logins == [(b"mentionwatch", b"s3cret")]
    assert len(capture.envelopes) == 2


def test_an_untrusted_certificate_is_refused(alert, smtp_server, monkeypatch) -> None:
    capture, port = smtp_server
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(NotifyError, match="CERTIFICATE_VERIFY_FAILED"):
        _email(port, starttls=True).send(alert)
    assert capture.envelopes == []


def test_email_is_delivered_by_smtp_with_escaped_html(smtp_server, alert) -> None:
    capture, port = smtp_server
    options = EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{port}",
                           sender="mentionwatch@example.com",
                           to=("oncall@example.com", "pr@example.com"))
    EmailNotifier(options, allow_loopback=True).send(alert)
    assert [e.rcpt_tos for e in capture.envelopes] == [["oncall@example.com", "pr@example.com"]]
    message = capture.messages()[0]
    assert message["Subject"] == (
        "[mentionwatch] Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)")
    assert message["From"] == "mentionwatch@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "Top terms: battery (12), swelled (6)" in text
    assert "Aspects more mentioned than usual: battery 9 (usually 1.5)" in text
    assert "https://shop.example/r/1?a=1&b=2" in text
    page = message.get_body(("html",)).get_content()
    assert "Battery &lt;b&gt;swelled&lt;/b&gt; &amp; cracked" in page
    assert "<b>swelled" not in page


def test_a_summary_cannot_inject_mail_headers(smtp_server, alert) -> None:
    capture, port = smtp_server
    alert["summary"] = "Acme\r\nBcc: victim@example.com"
    _email(port).send(alert)
    message = capture.messages()[0]
    assert message["Bcc"] is None
    assert message["Subject"] == "[mentionwatch] Acme Bcc: victim@example.com"


def test_an_unreachable_smtp_server_is_a_notify_error(alert, free_port: int) -> None:
    with pytest.raises(NotifyError, match=r"email via 127\.0\.0\.1"):
        _email(free_port).send(alert)
