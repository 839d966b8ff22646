"""Alerts: rule types over hourly series, their runner and state, notifiers, explanations."""

from api.alerts.config import AlertConfigError, ConfiguredRule, configured_rules, parse_duration
from api.alerts.explain import Explanation, explain, payload
from api.alerts.notifiers import EmailNotifier, Notifier, NotifyError, WebhookNotifier
from api.alerts.rules import (
    Alert,
    AlertRule,
    Flatline,
    NegativeShare,
    NegativeSpike,
    Series,
    VisibilityDrop,
    VolumeSpike,
    rule_for,
)
from api.alerts.runner import AlertRunner, PassReport, run_every
from api.alerts.state import AlertState, StoredAlert

__all__ = [
    "Alert",
    "AlertConfigError",
    "AlertRule",
    "AlertRunner",
    "AlertState",
    "ConfiguredRule",
    "EmailNotifier",
    "Explanation",
    "Flatline",
    "NegativeShare",
    "NegativeSpike",
    "Notifier",
    "NotifyError",
    "PassReport",
    "Series",
    "StoredAlert",
    "VisibilityDrop",
    "VolumeSpike",
    "WebhookNotifier",
    "configured_rules",
    "explain",
    "parse_duration",
    "payload",
    "rule_for",
    "run_every",
]
