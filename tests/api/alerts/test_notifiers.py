"""Notifiers: the webhook's exact Slack JSON (captured with httpx.MockTransport) and mail
through a real SMTP server on 127.0.0.1. Mention text is hostile here on purpose."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.alerts.explain import Example, Explanation, payload
from api.alerts.notifiers import EmailNotifier, NotifyError, WebhookNotifier
from api.alerts.rules import Alert
from index.watchlist import EmailNotifier as EmailOptions
from index.watchlist import WebhookNotifier as WebhookOptions

HOOK = "https://hooks.example/services/T1/B2/x"
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
)


@pytest.fixture()
def alert() -> dict[str, Any]:
    return payload(ALERT, EXPLANATION)


def test_webhook_posts_slack_json(alert: dict[str, Any]) -> None:
    seen: list[httpx.Request] = []

    def slack(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    WebhookNotifier(WebhookOptions(type="webhook", url=HOOK),
                    transport=httpx.MockTransport(slack)).send(alert)
    assert [(r.method, str(r.url)) for r in seen] == [("POST", HOOK)]
    assert seen[0].headers["content-type"] == "application/json"
    summary = "Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)"
    assert json.loads(seen[0].content) == {
        "text": f"mentionwatch alert: {summary}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "Rule acme-negative (negative_spike) on brand Acme\n"
                "Window 2026-11-02T10:00:00+00:00 to 2026-11-02T11:00:00+00:00: observed 15, "
                "baseline 1.5 (since 2026-10-19T10:00:00+00:00)\n"
                "Top terms: battery (12), swelled (6)\n"
                "Top sources: schemaorg (15)")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "<https://shop.example/r/1?a=1&b=2|schemaorg> 2026-11-02T10:31:00+00:00\n"
                ">Battery &lt;b&gt;swelled&lt;/b&gt; &amp; cracked")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "<https://shop.example/r/2%7Cx%3E|feed> \n>Second\n>line")}},
        ],
    }


def test_webhook_failure_is_a_notify_error(alert: dict[str, Any]) -> None:
    down = httpx.MockTransport(lambda request: httpx.Response(500, text="no"))
    with pytest.raises(NotifyError, match="HTTP 500"):
        WebhookNotifier(WebhookOptions(type="webhook", url=HOOK), transport=down).send(alert)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(NotifyError, match=r"hooks\.example"):
        WebhookNotifier(WebhookOptions(type="webhook", url=HOOK),
                        transport=httpx.MockTransport(refuse)).send(alert)


def test_email_is_delivered_by_smtp_with_escaped_html(smtp_server, alert) -> None:
    capture, port = smtp_server
    options = EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{port}",
                           sender="mentionwatch@example.com",
                           to=("oncall@example.com", "pr@example.com"))
    EmailNotifier(options).send(alert)
    assert [e.rcpt_tos for e in capture.envelopes] == [["oncall@example.com", "pr@example.com"]]
    message = capture.messages()[0]
    assert message["Subject"] == (
        "[mentionwatch] Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)")
    assert message["From"] == "mentionwatch@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "Top terms: battery (12), swelled (6)" in text
    assert "https://shop.example/r/1?a=1&b=2" in text
    page = message.get_body(("html",)).get_content()
    assert "Battery &lt;b&gt;swelled&lt;/b&gt; &amp; cracked" in page
    assert "<b>swelled" not in page


def test_a_summary_cannot_inject_mail_headers(smtp_server, alert) -> None:
    capture, port = smtp_server
    alert["summary"] = "Acme\r\nBcc: victim@example.com"
    options = EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{port}",
                           sender="mentionwatch@example.com", to=("oncall@example.com",))
    EmailNotifier(options).send(alert)
    message = capture.messages()[0]
    assert message["Bcc"] is None
    assert message["Subject"] == "[mentionwatch] Acme Bcc: victim@example.com"


def test_an_unreachable_smtp_server_is_a_notify_error(alert, free_port: int) -> None:
    options = EmailOptions(type="email", smtp=f"smtp://127.0.0.1:{free_port}",
                           sender="mentionwatch@example.com", to=("oncall@example.com",))
    with pytest.raises(NotifyError, match=r"email via 127\.0\.0\.1"):
        EmailNotifier(options).send(alert)
