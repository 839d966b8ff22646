"""Reply drafts over a real SQLite file and the real app: templates per brand, language and
situation (sentiment, or an advocate's persona), and drafting by an OpenAI-compatible
engine faked on a loopback server."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, get_args

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.draft_templates import DEFAULT_TEMPLATES
from api.drafts import DraftOptions, DraftTemplate, Situation, draft_reply
from api.keys import KeyStore
from api.settings import Settings
from api.watchlist import parse_watchlist
from index.record import Advocate, Aspect, Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from index.watchlist import WatchlistError

SECRET = "sk-test-never-shown-0123456789"


def _mention(n: int, text: str, label: str, *, lang: str = "en", brand: str = "Acme",
             persona: str | None = None, aspects: tuple[str, ...] = (),
             stars: float | None = None) -> Mention:
    return Mention.create(
        source="schemaorg", native_id=f"d{n}", kind="review",
        url=f"https://shop.example/r/{n}", text=text, author=Author(f"Author {n}"),
        published_at=datetime(2026, 11, n, tzinfo=UTC), brand=brand, lang=lang,
        matched_terms=("Acme X1",), rating=Rating(stars, 5, 1) if stars else None,
        sentiment=Sentiment(label, 0.0, 0.9, "test"),  # type: ignore[arg-type]
        aspects=tuple(Aspect(*a.split(":")) for a in aspects),  # type: ignore[arg-type]
        advocate=Advocate(0.8, persona, ()) if persona else None,  # type: ignore[arg-type]
    )


ANGRY = _mention(1, "Battery died in a week and support ignored me.", "negative",
                 aspects=("screen:positive", "battery:negative"), stars=1)
FAN_ZH = _mention(2, "用了一个月，电池很耐用，值得买。", "positive", lang="zh-Hans",
                  persona="validator", aspects=("battery:positive",))
TEACHER = _mention(3, "Here is how to set up the Acme X1 battery saver, step by step.",
                   "positive", persona="educator")
# An advocate's negative mention is answered as a complaint, not with an ask.
SOURED = _mention(4, "The Acme X1 broke again.", "negative", persona="builder")
ZEPHYR_FR = _mention(5, "Le Zephyr est correct.", "neutral", lang="fr", brand="Zephyr")


def _parse(drafts_toml: str) -> DraftOptions:
    return parse_watchlist('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n' + drafts_toml,
                           "mentionwatch.toml").drafts


def test_defaults_answer_each_situation_in_the_mentions_language() -> None:
    angry = draft_reply(ANGRY, DraftOptions())
    assert (angry.situation, angry.lang, angry.template) == ("negative", "en",
                                                             "default negative en")
    assert angry.text.startswith("Hi Author 1, thank you for telling us about the battery")
    assert "Acme X1 let you down" in angry.text and angry.text.endswith("The Acme team")

    fan = draft_reply(FAN_ZH, DraftOptions())
    assert (fan.situation, fan.template) == ("validator", "default validator zh")
    assert fan.text.startswith("Author 2，您好！") and "抢先体验" in fan.text  # an early look
    assert fan.text.endswith("——Acme团队")

    teacher = draft_reply(TEACHER, DraftOptions())
    assert teacher.situation == "educator" and "guide for our community" in teacher.text
    assert draft_reply(SOURED, DraftOptions()).situation == "negative"
    # No French template: English.
    assert draft_reply(ZEPHYR_FR, DraftOptions()).template == "default neutral en"


def test_every_situation_has_a_valid_default_in_english_and_chinese() -> None:
    assert set(DEFAULT_TEMPLATES) == {(s, lang) for s in get_args(Situation)
                                      for lang in ("en", "zh")}
    for (situation, lang), text in DEFAULT_TEMPLATES.items():
        DraftTemplate(situation=situation, lang=lang, text=text)  # type: ignore[arg-type]


def test_the_aspect_is_named_in_the_replys_language_and_script() -> None:
    builder = _mention(6, "希望加一个电池省电模式", "positive", lang="zh-Hans", persona="builder",
                       aspects=("battery:positive",))
    assert "特别是关于电池的想法" in draft_reply(builder, DraftOptions()).text
    traditional = draft_reply(builder.with_(lang="zh-Hant"), DraftOptions())
    assert traditional.template == "default builder zh-Hant"
    assert "特別是關於電池的想法" in traditional.text and traditional.text.endswith("——Acme團隊")


def test_the_most_specific_watchlist_template_wins() -> None:
    options = _parse('''
[[drafts.templates]]
situation = "negative"
text = "Sorry {{ author }}."

[[drafts.templates]]
situation = "negative"
brand = "acme"
text = "Acme is sorry, {{ author }}{% if rating %} ({{ rating }}){% endif %}."

[[drafts.templates]]
situation = "negative"
brand = "Acme"
lang = "zh"
text = "抱歉，{{ author }}。"
''')
    assert draft_reply(ANGRY, options).text == "Acme is sorry, Author 1 (1/5)."
    assert draft_reply(ANGRY, options).template == "watchlist template 2"
    angry_zh = _mention(7, "电池一周就坏了", "negative", lang="zh-Hant")
    assert draft_reply(angry_zh, options).text == "抱歉，Author 7。"
    assert draft_reply(ANGRY.with_(brand="Zephyr"), options).text == "Sorry Author 1."
    # Situations without a watchlist template keep the defaults.
    assert draft_reply(FAN_ZH, options).template == "default validator zh"


@pytest.mark.parametrize(("text", "said"), [
    ("Hi {{ customer }}", "'customer' is undefined; the placeholders are author, brand"),
    ("Hi {% if author %}", "line 1: Unexpected end of template"),
])
def test_a_bad_template_is_refused_when_the_watchlist_is_read(text: str, said: str) -> None:
    with pytest.raises(WatchlistError) as refused:
        _parse(f'[[drafts.templates]]\nsituation = "positive"\ntext = "{text}"\n')
    assert "mentionwatch.toml:7: drafts.templates[0].text" in str(refused.value)
    assert said in str(refused.value)
    with pytest.raises(WatchlistError, match="situation: Input should be 'negative'"):
        _parse('[[drafts.templates]]\nsituation = "angry"\ntext = "x"\n')


class ChatServer:
    """A fake OpenAI-compatible `POST /v1/chat/completions` on loopback that records each
    request and answers with `status` and `reply`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], str | None]] = []
        self.status, self.reply = 200, "Sorry about the battery, Author 1: DM us your order."
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((self.path, body, self.headers.get("Authorization")))
                data = json.dumps({"id": "chatcmpl-1", "choices": [{"index": 0, "message": {
                    "role": "assistant", "content": f"<think>hm</think>{server.reply}"}}]}
                    if server.status == 200 else {"error": {"message": SECRET}}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "m.db"
    with SqliteStore(path) as store:
        store.upsert([ANGRY, FAN_ZH, TEACHER])
    return path


def _watchlist(tmp_path: Path, chat: ChatServer) -> Path:
    path = tmp_path / "mentionwatch.toml"
    path.write_text(f'''[[brands]]
name = "Acme"
terms = ["Acme"]

[drafts.engine]
base_url = "{chat.url}/v1"
model = "draft-model"
name = "fakegpt"
api_key_env = "MW_TEST_DRAFT_KEY"
''', encoding="utf-8")
    return path


def _client(db: Path, watchlist: Path, role: str, **settings: Any) -> TestClient:
    keys = KeyStore(db)
    key = keys.create(role, role)  # type: ignore[arg-type]
    keys.close()
    client = TestClient(create_app(Settings(db=db, watchlist=watchlist, **settings)))
    client.headers["X-API-Key"] = key
    return client


def test_an_analyst_drafts_a_reply_and_a_viewer_may_not(db: Path, tmp_path: Path) -> None:
    none = tmp_path / "missing.toml"  # no watchlist file: the defaults
    with _client(db, none, "analyst") as client:
        made = client.post(f"/mentions/{FAN_ZH.id}/draft")
        assert made.status_code == 200
        assert made.json()["template"] == "default validator zh"
        assert made.json()["engine"] is None
        assert client.post("/mentions/nope/draft").status_code == 404
        refused = client.post(f"/mentions/{FAN_ZH.id}/draft", params={"ai": True})
        assert refused.status_code == 400 and "[drafts.engine]" in refused.text
    with _client(db, none, "viewer") as client:
        assert client.post(f"/mentions/{FAN_ZH.id}/draft").status_code == 403


def test_the_engine_rewrites_the_draft_with_the_key_sent_only_to_it(
        db: Path, tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MW_TEST_DRAFT_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    with _client(db, _watchlist(tmp_path, chat), "analyst", allow_loopback=True) as client:
        made = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
    assert made.status_code == 200, made.text
    assert made.json()["text"] == chat.reply  # the model's thinking left out
    assert made.json()["engine"] == "fakegpt:draft-model"
    [(path, body, authorization)] = chat.requests
    assert (path, body["model"], authorization) == (
        "/v1/chat/completions", "draft-model", f"Bearer {SECRET}")
    system, user = body["messages"]
    assert "Hi Author 1, thank you for telling us about the battery" in system["content"]
    assert "not instructions" in system["content"]
    assert user == {"role": "user", "content": ANGRY.text}  # the post is data, not a prompt
    assert SECRET not in made.text and SECRET not in caplog.text


def test_an_engine_that_fails_is_a_502_that_never_shows_the_key(
        db: Path, tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    watchlist = _watchlist(tmp_path, chat)
    with _client(db, watchlist, "analyst", allow_loopback=True) as client:
        unset = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
        assert unset.status_code == 502
        assert "MW_TEST_DRAFT_KEY (api_key_env) is not set" in unset.text
        assert chat.requests == []  # nothing was sent without the key

        monkeypatch.setenv("MW_TEST_DRAFT_KEY", SECRET)
        chat.status = 500
        failed = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
        assert failed.status_code == 502 and "drafts engine 127.0.0.1: HTTP 500" in failed.text
        assert SECRET not in failed.text
    # Loopback is refused unless allowed, before a packet is sent.
    chat.requests.clear()
    with _client(db, watchlist, "analyst") as client:
        refused = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
    assert refused.status_code == 502 and "loopback" in refused.text
    assert chat.requests == []


def test_an_engine_on_a_listed_private_host_is_reached_without_loopback_allowed(
        db: Path, tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MW_TEST_DRAFT_KEY", SECRET)
    watchlist, port = _watchlist(tmp_path, chat), chat.httpd.server_address[1]
    with _client(db, watchlist, "analyst", private_hosts=f"127.0.0.1:{port + 1}") as client:
        refused = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
    assert refused.status_code == 502 and "loopback" in refused.text  # another port
    assert chat.requests == []
    with _client(db, watchlist, "analyst",
                 private_hosts=f"gpu-box.lan, 127.0.0.1:{port}") as client:
        made = client.post(f"/mentions/{ANGRY.id}/draft", params={"ai": True})
    assert made.status_code == 200, made.text
    assert made.json()["text"] == chat.reply
    monkeypatch.setenv("MENTIONWATCH_PRIVATE_HOSTS", f"127.0.0.1:{port}")
    ai = CliRunner().invoke(main, ["draft", ANGRY.id, "--ai", "--db", str(db),
                                   "--watchlist", str(watchlist)])
    assert ai.exit_code == 0, ai.output
    assert len(chat.requests) == 2


def test_a_malformed_private_host_fails_when_the_settings_are_read() -> None:
    with pytest.raises(ValueError, match=r"'\*\.lan' is not host\[:port\]"):
        Settings(private_hosts="gpu-box.lan *.lan")


def test_the_cli_drafts_with_and_without_the_engine(
        db: Path, tmp_path: Path, chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    watchlist = _watchlist(tmp_path, chat)
    runner = CliRunner()
    plain = runner.invoke(main, ["draft", TEACHER.id, "--db", str(db),
                                 "--watchlist", str(watchlist)])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["template"] == "default educator en"

    monkeypatch.setenv("MW_TEST_DRAFT_KEY", SECRET)
    ai = runner.invoke(main, ["draft", ANGRY.id, "--ai", "--allow-loopback", "--db", str(db),
                              "--watchlist", str(watchlist)])
    assert ai.exit_code == 0, ai.output
    assert json.loads(ai.stdout)["text"] == chat.reply and SECRET not in ai.output
    missing = runner.invoke(main, ["draft", "nope", "--db", str(db),
                                   "--watchlist", str(watchlist)])
    assert missing.exit_code == 1 and "no mention with id 'nope'" in missing.output
