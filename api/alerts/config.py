"""From the watchlist's `[[alerts]]` to runnable rules with their notifiers, and the
durations the command line takes (`5m`, `14d`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from api.alerts.notifiers import Notifier, notifier_for, refusal
from api.alerts.rules import AlertOptions, AlertRule, MentionRule, SubjectField, rule_for
from index.watchlist import Watchlist

__all__ = ["AlertConfigError", "ConfiguredRule", "configured_rules", "parse_duration"]

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class AlertConfigError(ValueError):
    """Raised for alert rules that do not fit the watchlist, or a malformed duration."""


def parse_duration(text: str) -> timedelta:
    """`90s`, `5m`, `6h`, `14d` or `2w` as a timedelta."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise AlertConfigError(f"duration {text!r} is not a positive number followed by one "
                               "of s, m, h, d, w (like 5m or 14d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class ConfiguredRule:
    """A rule, what it watches (brands; None for a flatline by source: every source seen)
    and its notifiers by name (`<rule>.notify[<n>]`, the name deliveries are kept under)."""

    rule: AlertRule | MentionRule
    by: SubjectField
    brands: tuple[str, ...] | None
    notifiers: dict[str, Notifier] = field(default_factory=dict)


def configured_rules(watchlist: Watchlist[Any, AlertOptions], *,
                     allow_loopback: bool = False) -> list[ConfiguredRule]:
    """The watchlist's alert rules; raises AlertConfigError for a repeated rule name, a
    brand the watchlist does not watch, or a notifier that must not be used (a webhook URL
    the address guard refuses: loopback passes only with `allow_loopback`)."""
    known = {b.name.casefold(): b.name for b in watchlist.brands}
    seen: set[str] = set()
    configured = []
    for n, options in enumerate(watchlist.alerts):
        if options.name in seen:
            raise AlertConfigError(f"alerts[{n}].name: two rules are named {options.name!r}")
        seen.add(options.name)
        unknown = [b for b in options.brands if b.casefold() not in known]
        if unknown:
            raise AlertConfigError(f"alerts[{n}].brands: not brands of the watchlist: "
                                   f"{', '.join(unknown)}")
        for i, target in enumerate(options.notify):
            if problem := refusal(target, allow_loopback=allow_loopback):
                raise AlertConfigError(f"alerts[{n}].notify[{i}].{problem}")
        brands = tuple(known[b.casefold()] for b in options.brands) or tuple(known.values())
        by_source = options.type == "flatline" and options.by == "source"
        configured.append(ConfiguredRule(
            rule=rule_for(options),
            by="source" if by_source else "brand",
            brands=None if by_source else brands,
            notifiers={f"{options.name}.notify[{i}]":
                       notifier_for(target, allow_loopback=allow_loopback)
                       for i, target in enumerate(options.notify)},
        ))
    return configured
