"""The alert routes over a real seeded SQLite index and a real watchlist file: history after
a real runner pass, rules read from and edited in the file, and the dry run."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.alerts.config import configured_rules
from api.alerts.runner import open_runner
from api.app import create_app
from api.keys import ROLES, KeyStore
from api.settings import Settings
from api.watchlist import load_watchlist, parse_watchlist
from tests.api.alerts.conftest import WATCHLIST, SmtpCapture, WebhookReceiver, seed

NOW = datetime(2026, 11, 2, 10, 40, tzinfo=UTC)
COMMENT = "# kept by every edit\n"


@pytest.fixture()
def setup(tmp_path: Path, webhook: WebhookReceiver,
          smtp_server: tuple[SmtpCapture, int]) -> tuple[Path, Path]:
    db, watchlist = tmp_path / "mentionwatch.db", tmp_path / "mentionwatch.toml"
    seed(db, NOW)
    watchlist.write_text(COMMENT + WATCHLIST.format(webhook=webhook.url,
                                                    smtp_port=smtp_server[1]))
    return db, watchlist


@pytest.fixture()
def keys(setup: tuple[Path, Path]) -> dict[str, str]:
    store = KeyStore(setup[0])
    made = {role: store.create(role, role) for role in ROLES}
    store.close()
    return made


@pytest.fixture()
def client(setup: tuple[Path, Path], keys: dict[str, str]) -> Iterator[TestClient]:
    db, watchlist = setup
    with TestClient(create_app(Settings(db=db, watchlist=watchlist))) as c:
        c.headers["X-API-Key"] = keys["viewer"]
        yield c


def test_history_lists_the_explained_alert_and_its_deliveries(client, setup) -> None:
    db, watchlist = setup
    assert client.get("/alerts").json() == []
    rules = configured_rules(load_watchlist(watchlist), allow_loopback=True)
    with open_runner(db, rules) as runner:
        runner.run_once(NOW)
    [stored] = client.get("/alerts").json()
    alert = stored["alert"]
    assert (alert["rule"], alert["subject"], alert["observed"]) == ("acme-negative", "Acme", 15)
    assert len(alert["explanation"]["examples"]) == 3
    assert sorted((d["notifier"], d["status"]) for d in stored["deliveries"]) == [
        ("acme-negative.notify[0]", "sent"), ("acme-negative.notify[1]", "sent")]
    assert client.get("/alerts", params={"rule": "other"}).json() == []


def _body(shown: dict[str, Any]) -> dict[str, Any]:
    """The PUT body of a rule as GET shows it."""
    return {"name": shown["name"], "type": shown["type"], "brands": shown["brands"],
            **shown["options"], "notify": shown["notify"]}


def test_rules_show_options_and_no_webhook_secret(client, setup, webhook, keys) -> None:
    _, watchlist = setup
    host = webhook.url.split("/")[2]
    secret_url = f"http://hook-user:hunter2@{host}/hook/T0/B0/XXXX?token=t0ken"
    watchlist.write_text(watchlist.read_text().replace(webhook.url, secret_url))
    [rule] = client.get("/alerts/rules").json()
    assert (rule["name"], rule["type"], rule["brands"]) == ("acme-negative", "negative_spike", [])
    assert (rule["options"]["p"], rule["options"]["min_count"]) == (1e-3, 5)
    assert rule["notify"][0] == {"type": "webhook", "url": f"http://{host}/\N{HORIZONTAL ELLIPSIS}"}
    assert rule["notify"][1]["to"] == ["oncall@example.com"]
    client.headers["X-API-Key"] = keys["admin"]
    for response in (client.get("/alerts/rules"),
                     client.put("/alerts/rules/acme-negative",
                                json={**_body(rule), "min_count": 6})):
        assert response.status_code == 200
        for secret in ("hook-user", "hunter2", "/hook", "XXXX", "t0ken"):
            assert secret not in response.text
    # The rule sent back as shown kept its URL; only min_count changed.
    [saved] = load_watchlist(watchlist).alerts
    assert saved.notify[0].url == secret_url and saved.min_count == 6
    new_url = f"http://{host}/hook/new"
    replaced = client.put("/alerts/rules/acme-negative", json={
        **_body(rule), "notify": [{"type": "webhook", "url": new_url}]})
    assert replaced.status_code == 200
    assert load_watchlist(watchlist).alerts[0].notify[0].url == new_url


def test_a_redacted_url_standing_for_no_stored_url_is_refused(client, setup, keys) -> None:
    _, watchlist = setup
    before = watchlist.read_bytes()
    client.headers["X-API-Key"] = keys["admin"]
    response = client.put("/alerts/rules/other", json={
        "name": "other", "type": "negative_share",
        "notify": [{"type": "webhook", "url": "https://hooks.slack.com/\N{HORIZONTAL ELLIPSIS}"}]})
    assert response.status_code == 400
    assert "notify[0].url" in response.json()["error"]["message"]
    assert watchlist.read_bytes() == before


def test_editing_rules_keeps_the_file_mode_and_every_other_byte(client, setup, keys,
                                                               webhook) -> None:
    _, watchlist = setup
    watchlist.write_text(watchlist.read_text() + "\n# the end\n")
    watchlist.chmod(0o644)
    original = watchlist.read_bytes()
    client.headers["X-API-Key"] = keys["admin"]
    rule = {"name": "acme-share", "type": "negative_share", "level": 0.7}
    for _ in range(3):
        assert client.put("/alerts/rules/acme-share", json=rule).status_code in (200, 201)
        text = watchlist.read_bytes()
        assert text.startswith(original)
        assert text[len(original):] == (b'\n[[alerts]]\nname = "acme-share"\n'
                                        b'type = "negative_share"\nlevel = 0.7\n')
        assert stat.S_IMODE(watchlist.stat().st_mode) == 0o644
    assert client.delete("/alerts/rules/acme-share").status_code == 204
    assert watchlist.read_bytes() == original
    # Out and back in: the rule moves to the end, nothing else changes.
    [shown] = [r for r in client.get("/alerts/rules").json() if r["name"] == "acme-negative"]
    start = original.index(b"[[alerts]]")
    assert client.delete("/alerts/rules/acme-negative").status_code == 204
    assert watchlist.read_bytes() == original[:start].rstrip(b"\n") + b"\n# the end\n"
    # Deleted, its URL is forgotten: it comes back whole.
    body = {**_body(shown), "notify": [{**shown["notify"][0], "url": webhook.url},
                                       *shown["notify"][1:]]}
    assert client.put("/alerts/rules/acme-negative", json=body).status_code == 201
    after = watchlist.read_bytes()
    assert after.startswith(original[:start].rstrip(b"\n") + b"\n# the end\n\n[[alerts]]")
    assert load_watchlist(watchlist).alerts == parse_watchlist(original.decode()).alerts
    assert stat.S_IMODE(watchlist.stat().st_mode) == 0o644


def test_dry_run_shows_what_would_have_fired(client, setup) -> None:
    window = {"since": (NOW - timedelta(days=2)).isoformat(),
              "until": (NOW + timedelta(minutes=30)).isoformat()}
    [found] = client.get("/alerts/test", params={"rule": "acme-negative", **window}).json()
    assert found["observed"] == 15 and found["explanation"]["top_sources"] == [["schemaorg", 15]]
    assert client.get("/alerts").json() == []  # a dry run keeps nothing
    unknown = client.get("/alerts/test", params={"rule": "nope", **window})
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]
    too_long = client.get("/alerts/test", params={
        "rule": "acme-negative", "since": "2026-01-01T00:00:00Z", "until": window["until"]})
    assert too_long.status_code == 400


@pytest.mark.parametrize(("params", "status", "named"), [
    ({"since": "0001-01-01T00:00:00Z", "until": "0001-01-02T00:00:00"}, 400, "since"),
    ({"since": "9999-12-30T00:00:00", "until": "9999-12-31T23:00:00Z"}, 400, "since"),
    ({"since": "0001-01-01T00:00:00+14:00"}, 422, "since"),  # before year 1 in UTC
])
def test_dry_run_refuses_windows_at_the_edges_of_time(client, setup, params, status,
                                                      named) -> None:
    answer = client.get("/alerts/test", params={"rule": "acme-negative", **params})
    assert answer.status_code == status
    assert answer.json()["error"]["message"].startswith(named)


def test_admins_add_replace_and_remove_rules_in_the_file(client, setup, keys) -> None:
    _, watchlist = setup
    rule = {"name": "acme-share", "type": "negative_share", "level": 0.7}
    assert client.put("/alerts/rules/acme-share", json=rule).status_code == 403
    client.headers["X-API-Key"] = keys["admin"]
    created = client.put("/alerts/rules/acme-share", json=rule)
    assert created.status_code == 201 and created.json()["options"]["min_volume"] == 20
    replaced = client.put("/alerts/rules/acme-share", json={**rule, "level": 0.8})
    assert replaced.status_code == 200
    text = watchlist.read_text()
    assert text.startswith(COMMENT) and "level = 0.8" in text and "min_volume" not in text
    assert [r.name for r in load_watchlist(watchlist).alerts] == ["acme-negative", "acme-share"]
    assert client.delete("/alerts/rules/acme-share").status_code == 204
    assert client.delete("/alerts/rules/acme-share").status_code == 404
    assert [r["name"] for r in client.get("/alerts/rules").json()] == ["acme-negative"]


@pytest.mark.parametrize(("rule", "problem"), [
    ({"name": "x", "type": "negative_share", "brands": ["Globex"]}, "not brands of the watchlist"),
    ({"name": "x", "type": "negative_share", "level": 2}, "level"),
    ({"name": "x", "type": "spike"}, "type"),
    ({"name": "y", "type": "flatline"}, "the body names rule 'y', the path 'x'"),
    ({"name": "x", "type": "flatline", "notify": [{"type": "webhook", "url": "http://a..b/hook"}]},
     "notify[0].url: malformed host name 'a..b'"),
    ({"name": "x", "type": "flatline", "notify": [{"type": "webhook", "url": "http://10.0.0.1/"}]},
     "notify[0].url: 10.0.0.1 is a private"),
    ({"name": "x", "type": "flatline", "notify": [{
        "type": "email", "smtp": "smtp://mail.example.com", "starttls": False,
        "username": "u", "sender": "a@example.com", "to": ["b@example.com"]}]},
     "notify[0].starttls: a username is never sent over a connection without TLS"),
])
def test_a_bad_rule_is_refused_and_the_file_kept(client, setup, keys, rule, problem) -> None:
    _, watchlist = setup
    before = watchlist.read_text()
    client.headers["X-API-Key"] = keys["admin"]
    response = client.put("/alerts/rules/x", json=rule)
    assert response.status_code in (400, 422)
    assert problem in response.json()["error"]["message"]
    assert watchlist.read_text() == before


def test_a_teams_workflow_url_is_shown_without_its_signature(client, setup, webhook,
                                                              keys) -> None:
    _, watchlist = setup
    host = webhook.url.split("/")[2]
    secret_url = f"http://{host}/workflows/abc/triggers/manual/paths/invoke?sig=S1GNATURE"
    watchlist.write_text(watchlist.read_text().replace(
        f'type = "webhook"\nurl = "{webhook.url}"', f'type = "teams"\nurl = "{secret_url}"'))
    [rule] = client.get("/alerts/rules").json()
    assert rule["notify"][0] == {"type": "teams", "url": f"http://{host}/\N{HORIZONTAL ELLIPSIS}"}
    client.headers["X-API-Key"] = keys["admin"]
    response = client.put("/alerts/rules/acme-negative", json={**_body(rule), "min_count": 6})
    assert response.status_code == 200 and "S1GNATURE" not in response.text
    assert load_watchlist(watchlist).alerts[0].notify[0].url == secret_url


def test_the_api_names_no_new_template_file_nor_secret_variable(client, setup, webhook,
                                                                keys) -> None:
    """A template renders what it reads into a request to a URL of the admin's choosing:
    through the API a template comes inline, and reads only the variables already named."""
    _, watchlist = setup
    before = watchlist.read_bytes()
    client.headers["X-API-Key"] = keys["admin"]
    template = {"type": "template", "url": webhook.url}
    for notifier, error in [
            ({"template_file": "/etc/passwd", "content_type": "text/plain"},
             "notify[0].template_file: a template file is named in the watchlist file"),
            ({"template": "{{ secrets.k }}", "secrets": {"k": "HOME"}},
             "notify[0].secrets: HOME: an environment variable is named in the watchlist")]:
        response = client.put("/alerts/rules/other", json={
            "name": "other", "type": "negative_share", "notify": [{**template, **notifier}]})
        assert response.status_code == 400
        assert error in response.json()["error"]["message"]
    assert watchlist.read_bytes() == before
    inline = {**template, "template": '{"summary": {{ alert.summary }}}'}
    response = client.put("/alerts/rules/other", json={
        "name": "other", "type": "negative_share", "notify": [inline]})
    assert response.status_code == 201
    assert load_watchlist(watchlist).alerts[1].notify[0].template == inline["template"]


def test_a_rule_over_mentions_is_added_and_tried_through_the_api(client, setup, keys) -> None:
    _, watchlist = setup
    client.headers["X-API-Key"] = keys["admin"]
    rule = {"name": "acme-unanswered", "type": "unanswered", "hours": 6}
    created = client.put("/alerts/rules/acme-unanswered", json=rule)
    assert created.status_code == 201
    assert created.json()["options"] == {"cooldown_hours": 0, "hours": 6, "kinds": ["review"]}
    assert "hours = 6" in watchlist.read_text()
    window = {"since": (NOW - timedelta(days=1)).isoformat(), "until": NOW.isoformat()}
    found = client.get("/alerts/test", params={"rule": "acme-unanswered", **window}).json()
    # The seed's ordinary negatives (one in five hours), none answered, due in the last day.
    assert len(found) == 5
    assert all(a["summary"].startswith("Acme: a negative review by author b") for a in found)
    assert len({a["mention_id"] for a in found}) == 5


def test_a_dry_run_reaching_a_year_back_from_the_start_of_time_is_refused(client, setup,
                                                                           keys) -> None:
    """An advocate's history reaches a year before the window: not before year 1."""
    client.headers["X-API-Key"] = keys["admin"]
    rule = {"name": "turned", "type": "advocate_turned_negative", "history_days": 365}
    assert client.put("/alerts/rules/turned", json=rule).status_code == 201
    answer = client.get("/alerts/test", params={"rule": "turned",
                                                "since": "0001-06-01T00:00:00Z",
                                                "until": "0001-06-02T00:00:00Z"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("since")
