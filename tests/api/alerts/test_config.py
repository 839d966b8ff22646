"""`[[alerts]]` in the watchlist: typed options with working defaults; a misspelt key, a
missing type or a bad notifier is an error naming the rule's line and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from api.alerts.config import AlertConfigError, configured_rules, parse_duration
from api.alerts.notifiers import EmailNotifier, WebhookNotifier
from api.alerts.rules import Flatline, NegativeShare, NegativeSpike, VolumeSpike
from api.watchlist import load_watchlist
from index.watchlist import WatchlistError

BRANDS = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]
"""


def load(tmp_path: Path, alerts: str):
    path = tmp_path / "mentionwatch.toml"
    path.write_text(BRANDS + alerts, encoding="utf-8")
    return load_watchlist(path)


def test_every_rule_type_loads_with_defaults(tmp_path: Path) -> None:
    wl = load(tmp_path, """
[[alerts]]
name = "neg"
type = "negative_spike"
brands = ["acme"]

[[alerts.notify]]
type = "webhook"
url = "https://hooks.example/x"

[[alerts.notify]]
type = "email"
smtp = "smtps://smtp.example.com"
sender = "mw@example.com"
to = ["oncall@example.com"]
password_env = "SMTP_PASSWORD"

[[alerts]]
name = "vol"
type = "volume_spike"

[[alerts]]
name = "share"
type = "negative_share"
level = 0.6

[[alerts]]
name = "crawler"
type = "flatline"
""")
    rules = configured_rules(wl)
    assert [type(c.rule) for c in rules] == [NegativeSpike, VolumeSpike, NegativeShare, Flatline]
    neg, vol, share, flat = rules
    assert neg.brands == ("Acme",) and vol.brands == ("Acme", "Zephyr")
    assert (neg.rule.options.p, neg.rule.options.min_count, vol.rule.options.min_count) == (
        1e-3, 5, 20)
    assert [type(n) for n in neg.notifiers.values()] == [WebhookNotifier, EmailNotifier]
    assert list(neg.notifiers) == ["neg.notify[0]", "neg.notify[1]"]
    assert share.rule.options.level == 0.6
    assert (flat.by, flat.brands) == ("source", None)


@pytest.mark.parametrize(("alerts", "problem"), [
    ('[[alerts]]\nname = "a"\ntype = "negative_spike"\nz_score = 3\n',
     ":12: alerts[0].z_score: Extra inputs are not permitted"),
    # A missing or unknown type is named as the key, on its line, with the types there are.
    ('[[alerts]]\nname = "a"\n', ":9: alerts[0].type: Field required"),
    ('[[alerts]]\nname = "a"\ntype = "spike"\n', ":11: alerts[0].type: Input should be "
     "'negative_spike', 'volume_spike', 'negative_share', 'flatline', 'new_low_rating', "
     "'rating_drop', 'unanswered', 'advocate_turned_negative' or 'visibility_drop'"),
    ('[[alerts]]\nname = "a"\ntype = "negative_spike"\n\n[[alerts.notify]]\ntype = "email"\n'
     'smtp = "smtp.example.com"\nsender = "a@b.c"\nto = ["d@e.f"]\n',
     ":15: alerts[0].notify[0].smtp: String should match pattern"),
    ('[[alerts]]\nname = "a"\ntype = "negative_spike"\nbaseline_days = 3\n',
     ":12: alerts[0].baseline_days: Input should be greater than or equal to 7"),
])
def test_a_bad_rule_names_its_line(tmp_path: Path, alerts: str, problem: str) -> None:
    with pytest.raises(WatchlistError) as caught:
        load(tmp_path, "\n" + alerts)
    assert problem in str(caught.value)


def test_repeated_rule_names_are_refused(tmp_path: Path) -> None:
    wl = load(tmp_path, '\n[[alerts]]\nname = "a"\ntype = "flatline"\n\n'
                        '[[alerts]]\nname = "a"\ntype = "negative_spike"\n')
    with pytest.raises(AlertConfigError, match=r"alerts\[1\]\.name: two rules are named 'a'"):
        configured_rules(wl)


def test_durations() -> None:
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("14d") == timedelta(days=14)
    assert parse_duration("2w") == timedelta(weeks=2)
    for bad in ("5", "0m", "-5m", "5 min", "1y"):
        with pytest.raises(AlertConfigError, match="like 5m or 14d"):
            parse_duration(bad)
