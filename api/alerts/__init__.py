"""Alerts: rule types over hourly series or over mentions, their runner and state,
notifiers, explanations."""

from api.alerts.config import AlertConfigError, ConfiguredRule, configured_rules, parse_duration
from api.alerts.explain import Explanation, explain, payload
from api.alerts.notifiers import EmailNotifier, Notifier, NotifyError, WebhookNotifier
from api.alerts.rules import (
    AdvocateTurnedNegative,
    Alert,
    AlertRule,
    Flatline,
    MentionRule,
    Mentions,
    NegativeShare,
    NegativeSpike,
    NewLowRating,
    RatingDrop,
    Series,
    Unanswered,
    VisibilityDrop,
    VolumeSpike,
    rule_for,
)
from api.alerts.runner import AlertRunner, PassReport, run_every
from api.alerts.state import AlertState, StoredAlert

__all__ = [
    "AdvocateTurnedNegative",
    "Alert",
    "AlertConfigError",
    "AlertRule",
    "AlertRunner",
    "AlertState",
    "ConfiguredRule",
    "EmailNotifier",
    "Explanation",
    "Flatline",
    "MentionRule",
    "Mentions",
    "NegativeShare",
    "NegativeSpike",
    "NewLowRating",
    "Notifier",
    "NotifyError",
    "PassReport",
    "RatingDrop",
    "Series",
    "StoredAlert",
    "Unanswered",
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
