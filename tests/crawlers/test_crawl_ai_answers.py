"""A real crawl of an `ai_answers` source against a loopback OpenAI-compatible server that
answers from scripted texts: ranked and plain, with and without citations, English and
Chinese, a server error, a rate limit (429 with Retry-After) and a timeout. Then the stored
mentions, the visibility figures and `mentionwatch visibility`.

The crawl runs `crawlers.run.run_crawl` in a subprocess (Twisted's reactor runs once per
process), with the default sentiment model. The API key is a dummy from the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest
from click.testing import CliRunner

from api.cli import main
from api.visibility import visibility, wilson_interval
from api.watchlist import parse_watchlist
from bench.scale import REDIS_SERVER, LocalRedis
from crawlers.run import run_crawl
from index.record import Mention
from index.sqlite import SqliteStore
from index.watchlist import MissingCredentials

KEY_ENV = "MW_TEST_AI_KEY"
KEY = "sk-test-Zq8v3SECRETkey"
EN, ZH = "best wireless earbuds?", "哪款耳机最好？"

#: (prompt, run) -> each attempt's reply: (status, headers, body or None, seconds to wait).
SCRIPT: dict[tuple[str, int], list[tuple[int, dict[str, str], dict[str, Any] | None, float]]]


def _answer(text: str, **extra: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": text, **extra.pop("message", {})}
    return {"id": f"chatcmpl-{abs(hash(text))}", "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}], **extra}


def _ok(text: str, **extra: Any) -> tuple[int, dict[str, str], dict[str, Any], float]:
    return (200, {}, _answer(text, **extra), 0.0)


SCRIPT = {
    (EN, 1): [_ok("Top picks:\n1. Zephyr V8 – cheap.\n2. **Acme Buds Pro** – great battery, "
                  "better than Sonique.\n3. Sonique Air – fine.",
                  citations=["https://reviews.example/acme-buds", "ftp://no.example/x"])],
    (EN, 2): [_ok("## 1. Acme Buds Pro\nExcellent sound ([review](https://shop.example/r/7)).\n"
                  "## 2. Sonique Air\nGood value.", created=1794398400,
                  message={"annotations": [{"type": "url_citation", "url_citation": {
                      "url": "https://news.example/earbuds-2026", "title": "Earbuds"}}]})],
    (EN, 3): [(429, {"Retry-After": "1"}, {"error": {"message": "rate limited"}}, 0.0),
              _ok("Sonique Air is the best choice: superb sound, I love it. Zephyr broke "
                  "after a week and support was useless, avoid it.")],
    (EN, 4): [(500, {}, {"error": {"message": "overloaded"}}, 0.0)],
    (ZH, 1): [_ok("1. 艾克美 Buds Pro：音质很好。\n2. 泽菲尔 V8：便宜。参考 https://zh.example/评测。")],
    (ZH, 2): [(200, {}, _answer("too late"), 6.0), _ok("推荐艾克美，电池很耐用。")],
    (ZH, 3): [_ok("Sonique 和泽菲尔都不错。")],
    (ZH, 4): [_ok("<think>想一想</think>艾克美最好。")],
}


class ChatServer:
    """`POST /v1/chat/completions` answered from SCRIPT by the prompt and the run named in
    the request's `user`; any other brand's request gets a plain answer."""

    def __init__(self) -> None:
        self.script = {k: list(v) for k, v in SCRIPT.items()}
        self.requests: list[tuple[str, dict[str, Any], str]] = []  # path, body, Authorization
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt, run = body["messages"][0]["content"], int(body["user"].split()[-1])
                with lock:
                    server.requests.append((self.path, body, self.headers["Authorization"]))
                    replies = server.script.get((prompt, run)) if "Acme" in body["user"] else None
                    reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies \
                        else _ok("Zephyr V8 is the best.")
                status, headers, payload, wait = reply
                time.sleep(wait)
                data = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the crawler timed out and left

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def watchlist(base: str) -> str:
    # A timeout of 3 s, not 1: on a loaded machine, loading the model can hold the crawler's
    # event loop long enough to time out an answer that came at once.
    engine = (f'{{base_url = "{base}/v1", model = "gpt-test", name = "testgpt", '
              f'api_key_env = "{KEY_ENV}", timeout = 3}}')
    return f"""
[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]

[[brands.sources]]
type = "ai_answers"
prompts = ["{EN}", "{ZH}"]
competitors = ["Zephyr", "Sonique"]
engines = [{engine}]
runs = 4
budget = 8

[[brands]]
name = "Zephyr"
terms = ["Zephyr", "泽菲尔"]

[[brands.sources]]
type = "ai_answers"
prompts = ["{EN}"]
engines = [{engine}]
budget = 2
"""


RUN = """
import json, sys
from crawlers.run import run_crawl
from api.watchlist import load_watchlist
stats = run_crawl(load_watchlist(sys.argv[1]), json.loads(sys.argv[2]))
print(json.dumps({name: {k: v for k, v in s.items() if isinstance(v, int)}
                  for name, s in stats.items()}))
"""


@dataclass
class Crawled:
    stats: dict[str, int]
    log: str
    db: Path
    requests: list[tuple[str, dict[str, Any], str]]
    mentions: list[Mention]


def _crawl(tmp: Path, server: ChatServer, **overrides: Any) -> subprocess.CompletedProcess[str]:
    """The watchlist crawled once against `server`, in a subprocess with the key set."""
    try:
        (tmp / "watch.toml").write_text(watchlist(server.url), encoding="utf-8")
        overrides = {"MENTIONWATCH_DB": str(tmp / "m.db"), "MENTIONWATCH_ALLOW_LOOPBACK": True,
                     "AUTOTHROTTLE_ENABLED": False,
                     "RETRY_TIMES": 1, "LOG_LEVEL": "DEBUG", **overrides}
        done = subprocess.run([sys.executable, "-c", RUN, str(tmp / "watch.toml"),
                               json.dumps(overrides)], capture_output=True, text=True,
                              timeout=300, env={**os.environ, KEY_ENV: KEY})
        assert done.returncode == 0, done.stderr
    finally:
        server.close()
    return done


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("ai")
    server = ChatServer()
    done = _crawl(tmp, server)
    with SqliteStore(tmp / "m.db") as store:
        mentions = list(store.export("kind:ai_answer"))
    yield Crawled(json.loads(done.stdout)["ai_answers"], done.stderr, tmp / "m.db",
                  server.requests, mentions)


def _answer_of(crawled: Crawled, prompt: str, start: str) -> Mention:
    (found,) = [m for m in crawled.mentions
                if m.brand == "Acme" and m.title == prompt and m.text.startswith(start)]
    return found


def test_each_answer_is_a_mention_of_its_prompt_engine_and_brand(crawled: Crawled) -> None:
    acme = [m for m in crawled.mentions if m.brand == "Acme"]
    # 8 calls: one server error that stays an error is lost, the rest answered, the rate
    # limit and the timeout after a retry.
    assert len(acme) == 7
    assert {m.source for m in acme} == {"testgpt:gpt-test"}
    assert {m.author.name for m in acme} == {"testgpt"}
    assert sorted(m.title or "" for m in acme).count(ZH) == 4
    assert crawled.stats["mentionwatch/ai_answers/failed"] == 1
    assert crawled.stats["mentionwatch/retry_after/waited"] == 1
    assert crawled.stats["retry/reason_count/scrapy.exceptions.DownloadTimeoutError"] == 1


def test_an_answer_that_leaves_the_brand_out_is_kept(crawled: Crawled) -> None:
    answer = _answer_of(crawled, EN, "Sonique Air is the best")
    assert answer.matched_terms == ()
    assert [(n.name, n.position) for n in answer.named] == [("Sonique", 1), ("Zephyr", 2)]


def test_each_named_brand_has_the_sentiment_toward_it(crawled: Crawled) -> None:
    answer = _answer_of(crawled, EN, "Sonique Air is the best")
    assert [(n.name, n.sentiment) for n in answer.named] == [
        ("Sonique", "positive"), ("Zephyr", "negative")]
    praised, criticised = answer.named
    assert praised.score is not None and praised.score > 0.5
    assert criticised.score is not None and criticised.score < -0.5
    # Every brand every answer names is scored.
    assert all(n.sentiment and n.score is not None for m in crawled.mentions for n in m.named)


def test_positions_follow_the_ranked_list(crawled: Crawled) -> None:
    ranked = _answer_of(crawled, EN, "Top picks")
    assert [(n.name, n.position) for n in ranked.named] == [
        ("Zephyr", 1), ("Acme", 2), ("Sonique", 3)]
    assert ranked.named[1].excerpt == "2. **Acme Buds Pro** – great battery, better than Sonique."
    headings = _answer_of(crawled, EN, "## 1. Acme")
    assert [(n.name, n.position) for n in headings.named] == [("Acme", 1), ("Sonique", 2)]
    # A competitor that is a watched brand is found by its terms, in Chinese too.
    chinese = _answer_of(crawled, ZH, "1. 艾克美")
    assert [(n.name, n.position, n.excerpt) for n in chinese.named] == [
        ("Acme", 1, "1. 艾克美 Buds Pro：音质很好。"), ("Zephyr", 2, "2. 泽菲尔 V8：便宜。")]
    assert chinese.lang is not None and chinese.lang.startswith("zh")


def test_citations_come_from_the_api_and_the_text(crawled: Crawled) -> None:
    assert _answer_of(crawled, EN, "Top picks").citations == (
        "https://reviews.example/acme-buds",)
    assert _answer_of(crawled, EN, "## 1. Acme").citations == (
        "https://news.example/earbuds-2026", "https://shop.example/r/7")
    assert _answer_of(crawled, ZH, "1. 艾克美").citations == ("https://zh.example/评测",)
    assert _answer_of(crawled, EN, "Sonique Air is").citations == ()


def test_an_answer_is_published_when_the_engine_made_it(crawled: Crawled) -> None:
    made = _answer_of(crawled, EN, "## 1. Acme")
    assert made.published_at == datetime(2026, 11, 11, 12, tzinfo=UTC)  # its `created`
    undated = _answer_of(crawled, EN, "Top picks")
    assert undated.published_at == undated.collected_at


def test_a_reasoning_models_thinking_is_not_the_answer(crawled: Crawled) -> None:
    assert _answer_of(crawled, ZH, "艾克美最好").text == "艾克美最好。"


def test_answers_are_searchable_like_any_mention(crawled: Crawled) -> None:
    with SqliteStore(crawled.db) as store:
        found = store.search('kind:ai_answer brand:Acme 电池 source:"testgpt:gpt-test"')
        assert [h.mention.text for h in found.hits] == ["推荐艾克美，电池很耐用。"]
        # The prompt is kept: Acme's 3 English answers and Zephyr's 2.
        assert store.search("title:earbuds kind:ai_answer").total == 5


def test_the_budget_caps_the_calls(crawled: Crawled) -> None:
    zephyr = [body for _, body, _ in crawled.requests if "Zephyr" in body["user"]]
    assert len(zephyr) == 2  # 5 runs wanted, a budget of 2
    assert crawled.stats["mentionwatch/ai_answers/over_budget"] == 3


def test_the_key_goes_to_the_engine_and_nowhere_else(crawled: Crawled) -> None:
    assert {auth for _, _, auth in crawled.requests} == {f"Bearer {KEY}"}
    assert {path for path, _, _ in crawled.requests} == {"/v1/chat/completions"}
    assert KEY not in crawled.log  # a DEBUG log of the whole crawl
    for stored in crawled.db.parent.glob("m.db*"):  # the index, its WAL, the frontier
        assert KEY.encode() not in stored.read_bytes()


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_crawlers_sharing_a_redis_frontier_send_the_key_too(tmp_path: Path) -> None:
    # The shared frontier's own middlewares once replaced the spider's, key and all.
    server = ChatServer()
    with LocalRedis() as url:
        _crawl(tmp_path, server, MENTIONWATCH_REDIS_URL=url)
    # The budgets' 10 calls, and a retry (through Redis) after the 429, the 500 and the timeout.
    assert len(server.requests) == 13
    assert {auth for _, _, auth in server.requests} == {f"Bearer {KEY}"}


@pytest.mark.parametrize("listed", [True, False])
def test_an_engine_on_a_private_address_is_reached_only_when_its_host_is_listed(
        tmp_path: Path, listed: bool) -> None:
    # Loopback stays refused to the crawl (no MENTIONWATCH_ALLOW_LOOPBACK): only the
    # engine's host, a name resolving to 127.0.0.1 as a LAN server's to its private
    # address, passes, and only when the admin lists it.
    server = ChatServer()
    server.script = {}  # every call answered at once
    port = server.httpd.server_address[1]
    server.url = f"http://localhost:{port}"
    done = _crawl(tmp_path, server, MENTIONWATCH_ALLOW_LOOPBACK=False,
                  MENTIONWATCH_SENTIMENT_ENABLED=False,
                  MENTIONWATCH_PRIVATE_HOSTS=f"LOCALHOST:{port}" if listed else "")
    stats = json.loads(done.stdout)["ai_answers"]
    refused = stats.get("mentionwatch/refused/private_address", 0)
    if listed:  # none refused (the count of calls that reach an engine is tested above)
        assert refused == 0 and server.requests, stats
    else:  # the budgets' 10 calls, all refused before a connection
        assert (refused, server.requests) == (10, []), stats


def test_the_figures_of_the_stored_answers(crawled: Crawled) -> None:
    english, chinese = visibility("Acme", crawled.mentions)
    # The trend per day: the answer the API dated (`created`) on its day, the rest today.
    trend = english.pop("trend")
    assert (sum(p["runs"] for p in trend), sum(p["named"] for p in trend)) == (3, 2)
    assert trend[0]["start"] == datetime(2026, 11, 11, tzinfo=UTC)
    toward = [n for m in crawled.mentions if m.brand == "Acme" and m.title == EN
              for n in m.named if n.name == "Acme"]
    assert english == {
        "brand": "Acme", "prompt": EN, "source": "testgpt:gpt-test", "runs": 3, "named": 2,
        "share": 0.6667, "share_interval": [round(x, 4) for x in wilson_interval(2, 3)],
        "mean_position": 1.5, "share_of_voice": round(2 / 7, 4),
        "competitors": {"Sonique": 3, "Zephyr": 2},
        # The sentiment toward Acme in the 2 answers naming it, not the answers' tone.
        "sentiment": dict(Counter(n.sentiment for n in toward)),
        "sentiment_score": round(fmean(n.score or 0.0 for n in toward), 4),
        "cited_domains": {"news.example": 1, "reviews.example": 1, "shop.example": 1},
        "cited_pages": [{"url": url, "answers": 1, "mentions": []} for url in (
            "https://news.example/earbuds-2026", "https://reviews.example/acme-buds",
            "https://shop.example/r/7")],
        "advocates_cited": []}
    assert sum(english["sentiment"].values()) == 2
    assert chinese["prompt"] == ZH
    assert (chinese["runs"], chinese["named"], chinese["mean_position"]) == (4, 3, 1.0)
    assert chinese["share_of_voice"] == 0.5
    assert chinese["competitors"] == {"Sonique": 1, "Zephyr": 2}


def test_the_cli_prints_the_figures(crawled: Crawled) -> None:
    result = CliRunner().invoke(main, ["visibility", "--brand", "acme", "--db",
                                       str(crawled.db)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [(f["prompt"], f["runs"], f["named"]) for f in shown["visibility"]] == [
        (EN, 3, 2), (ZH, 4, 3)]


def test_a_missing_key_variable_is_one_error_before_the_crawl(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(MissingCredentials) as raised:
        run_crawl(parse_watchlist(watchlist("http://127.0.0.1:9")),
                  {"MENTIONWATCH_DB": str(tmp_path / "m.db")})
    assert str(raised.value) == (f"ai_answers engine testgpt:gpt-test: environment variable "
                                 f"{KEY_ENV} (api_key_env) is not set")
    assert not (tmp_path / "m.db").exists()


def test_the_wilson_interval() -> None:
    assert wilson_interval(3, 5) == pytest.approx((0.2307, 0.8824), abs=1e-4)
    assert wilson_interval(0, 5) == pytest.approx((0.0, 0.4345), abs=1e-4)
    assert wilson_interval(5, 5) == pytest.approx((0.5655, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
