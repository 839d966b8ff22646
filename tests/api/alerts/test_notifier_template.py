"""The template notifier: a user's Jinja2 template, sandboxed, each value JSON-encoded,
an unknown name an error when the rules load; the documented PagerDuty and Opsgenie
templates POSTed to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.alerts.config import AlertConfigError, configured_rules
from api.alerts.explain import payload
from api.alerts.notifiers import (
    SAMPLE_ALERT,
    NotifyError,
    TemplateNotifier,
    TemplateOptions,
)
from api.watchlist import parse_watchlist
from tests.api.alerts.test_notifiers import ALERT, EXPLANATION

DOCS = Path(__file__).parents[3] / "docs" / "notifiers"


@pytest.fixture()
def alert() -> dict[str, Any]:
    return payload(ALERT, EXPLANATION)


def _notifier(url: str, **options: Any) -> TemplateNotifier:
    return TemplateNotifier(TemplateOptions(type="template", url=url, **options),
                            allow_loopback=True)


def test_pagerduty_example_sends_an_events_v2_trigger(alert, webhook, monkeypatch) -> None:
    monkeypatch.setenv("TEST_PD_ROUTING_KEY", "R0UTING")
    _notifier(webhook.url, template_file=DOCS / "pagerduty.json.j2",
              secrets={"routing_key": "TEST_PD_ROUTING_KEY"}).send(alert)
    [event] = webhook.bodies
    assert webhook.headers[0]["Content-Type"] == "application/json"
    assert event["routing_key"] == "R0UTING" and event["event_action"] == "trigger"
    assert event["dedup_key"] == alert["key"]
    assert event["payload"]["summary"] == alert["summary"]
    assert event["payload"]["severity"] in {"critical", "error", "warning", "info"}
    assert event["payload"]["source"] == "mentionwatch: brand Acme"
    assert event["links"][0] == {"href": "https://shop.example/r/1?a=1&b=2",
                                 "text": "Example on schemaorg"}


def test_opsgenie_example_sends_its_key_in_a_header(alert, webhook, monkeypatch) -> None:
    monkeypatch.setenv("TEST_OPSGENIE_KEY", "k3y")
    _notifier(webhook.url, template_file=DOCS / "opsgenie.json.j2",
              secrets={"api_key": "TEST_OPSGENIE_KEY"},
              headers={"Authorization": "GenieKey {{ secrets.api_key }}"}).send(alert)
    [created] = webhook.bodies
    assert webhook.headers[0]["Authorization"] == "GenieKey k3y"
    assert created["message"] == alert["summary"] and created["alias"] == alert["key"]
    assert "Top terms: battery (12), swelled (6)" in created["description"]
    assert all(isinstance(v, str) for v in created["details"].values())


def test_hostile_text_cannot_break_out_of_its_json_value(alert, webhook) -> None:
    alert["explanation"]["examples"][0]["text"] = 'x", "routing_key": "mine'
    _notifier(webhook.url, template='{"text": {{ alert.explanation.examples[0].text '
                                    'if alert.explanation else "" }}}').send(alert)
    assert webhook.bodies == [{"text": 'x", "routing_key": "mine'}]


def test_a_missing_secret_fails_the_delivery_without_sending(alert, webhook) -> None:
    notifier = _notifier(webhook.url, template='{"k": {{ secrets.key }}}',
                         secrets={"key": "TEST_UNSET_VARIABLE"})
    with pytest.raises(NotifyError, match=r"TEST_UNSET_VARIABLE \(secrets.key\) is not set"):
        notifier.send(alert)
    assert webhook.bodies == []


WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[alerts]]
name = "a"
type = "negative_spike"

[[alerts.notify]]
type = "template"
url = "https://events.example.com/v2/enqueue"
{option}
"""


@pytest.mark.parametrize(("option", "error"), [
    ("template = '{\"s\": {{ alert.sumary }}}'",
     "alerts[0].notify[0].template: UndefinedError: 'dict object' has no attribute 'sumary'"),
    ("template = '{\"n\": {{ alert.explanation.examples | length }}}'",
     "'None' has no attribute 'examples' (tried on an alert without its explanation)"),
    ("template = '{\"s\": \"{{ alert.summary }}\"}'", "template: renders invalid JSON"),
    ("template = '{{ alert.__class__ }}'", "SecurityError: access to attribute '__class__'"),
    ("template = '{% if %}'", "template: line 1: Expected an expression"),
    ("template = '{}'\nheaders = {X-Key = '{{ secrets.key }}'}",
     "headers.X-Key: UndefinedError: 'dict object' has no attribute 'key'"),
    ("template_file = '/nonexistent/pd.json.j2'",
     "template_file: cannot read '/nonexistent/pd.json.j2': No such file or directory"),
])
def test_a_bad_template_is_an_error_when_rules_load(option: str, error: str) -> None:
    watchlist = parse_watchlist(WATCHLIST.format(option=option))
    with pytest.raises(AlertConfigError) as failed:
        configured_rules(watchlist)
    assert error in str(failed.value)


@pytest.mark.parametrize(("option", "error"), [
    ("", r"give the template inline \(template\) or in a file \(template_file\)"),
    ("template = '{}'\nheaders = {Content-Type = 'text/plain'}", "set by the notifier itself"),
    ("template = '{}'\nsecrets = {key = 'NOT-A-NAME'}", "String should match pattern"),
])
def test_template_options_are_checked_when_the_watchlist_is_read(option, error) -> None:
    with pytest.raises(ValueError, match=error):
        parse_watchlist(WATCHLIST.format(option=option))


def test_a_plain_text_template_is_sent_as_written(alert, webhook) -> None:
    """Another content type gets no JSON encoding: the template's text as rendered."""
    notifier = _notifier(webhook.url, template='{"summary": "{{ alert.summary }}"}',
                         content_type="text/plain; charset=utf-8")
    notifier.send(alert)
    assert webhook.headers[0]["Content-Type"] == "text/plain; charset=utf-8"
    assert webhook.bodies == [{"summary": alert["summary"]}]


def test_the_sample_alert_has_the_shape_of_a_real_one(alert) -> None:
    """Templates are tried on SAMPLE_ALERT: it must hold every key a real alert has."""
    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return [shape(value[0])] if isinstance(value, list) else None

    assert shape(SAMPLE_ALERT) == shape(alert)
