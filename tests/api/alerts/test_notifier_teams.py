"""The Teams notifier: an Adaptive Card in a Workflows message envelope, POSTed to a real
HTTP receiver on 127.0.0.1, carrying what the Slack message carries, with hostile mention
text shown as written, never as markdown."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from api.alerts.explain import Example, payload
from api.alerts.notifiers import NotifyError, TeamsNotifier, TeamsOptions, teams_message
from tests.api.alerts.test_notifiers import ALERT, EXPLANATION

HOSTILE = "**Refund here**: [official support](https://phish.example/login) _now_\n- 1. {{x}}"

# The elements and actions the card may hold, with the keys each must have.
ELEMENTS = {"TextBlock": {"text"}, "RichTextBlock": {"inlines"}, "ActionSet": {"actions"}}


def _check_card(card: dict[str, Any]) -> None:
    """The Adaptive Card structure the notifier emits: required type, version (1.4 or later)
    and body; each element of a known type with its required keys; text in TextRuns."""
    assert card["type"] == "AdaptiveCard"
    assert tuple(map(int, card["version"].split("."))) >= (1, 4)
    assert isinstance(card["body"], list) and card["body"]
    for element in card["body"]:
        assert ELEMENTS[element["type"]] <= element.keys()
        if element["type"] == "RichTextBlock":
            assert all(i["type"] == "TextRun" and isinstance(i["text"], str)
                       for i in element["inlines"])
        if element["type"] == "ActionSet":
            assert all(a["type"] == "Action.OpenUrl" and a["url"].startswith("https://")
                       for a in element["actions"])


def _runs(card: dict[str, Any]) -> list[str]:
    return [i["text"] for e in card["body"] if e["type"] == "RichTextBlock"
            for i in e["inlines"]]


@pytest.fixture()
def alert() -> dict[str, Any]:
    examples = [Example("https://shop.example/r/1", "schemaorg", "2026-11-02T10:31:00+00:00",
                        HOSTILE),
                Example("javascript:alert(1)", "feed", None, "Second")]
    return payload(ALERT, replace(EXPLANATION, examples=examples))


def test_teams_posts_an_adaptive_card_in_a_message_envelope(alert, webhook) -> None:
    TeamsNotifier(TeamsOptions(type="teams", url=webhook.url), allow_loopback=True).send(alert)
    assert webhook.headers[0]["Content-Type"] == "application/json"
    [body] = webhook.bodies
    assert body.keys() == {"type", "attachments"} and body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    _check_card(card)
    runs = _runs(card)
    summary = "Acme: 15 negative mentions in an hour, usually 1.5 (10.0x, z 11.0)"
    assert runs[:2] == [summary, "Rule acme-negative (negative_spike) on brand Acme"]
    assert "Top terms: battery (12), swelled (6)" in runs
    assert ("Aspects more mentioned than usual: battery 9 (usually 1.5), charging 4 "
            "(usually 0.25)") in runs
    assert "Top sources: schemaorg (15)" in runs
    assert "schemaorg 2026-11-02T10:31:00+00:00" in runs
    buttons = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    # A link only to the mention's own page; a javascript: URL gets no button.
    assert buttons == [{"type": "Action.OpenUrl", "title": "Open (schemaorg)",
                        "url": "https://shop.example/r/1"}]


def test_mention_markdown_is_never_read_as_markdown(alert) -> None:
    """A TextBlock reads **bold**, _italic_, lists and [label](url) links; the mention text
    is only ever in a TextRun, which reads none: shown exactly as written."""
    card = teams_message(alert)["attachments"][0]["content"]
    assert HOSTILE in _runs(card)
    blocks = [e["text"] for e in card["body"] if e["type"] == "TextBlock"]
    assert blocks == ["Examples"]


def test_teams_failure_is_a_notify_error(alert, webhook) -> None:
    webhook.status, webhook.answer = 400, b"Slack JSON refused: body secret"
    notifier = TeamsNotifier(TeamsOptions(type="teams", url=webhook.url), allow_loopback=True)
    with pytest.raises(NotifyError) as failed:
        notifier.send(alert)
    assert str(failed.value) == "teams 127.0.0.1: HTTP 400"


def test_teams_on_loopback_is_refused_before_connecting(alert, webhook) -> None:
    with pytest.raises(NotifyError, match="non-global address"):
        TeamsNotifier(TeamsOptions(type="teams", url=webhook.url)).send(alert)
    assert webhook.bodies == []
