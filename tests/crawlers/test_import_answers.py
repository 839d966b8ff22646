"""`mentionwatch import-answers FILE`: saved AI answers (JSON Lines, a JSON array, one
object; the common field spellings, a Google AI Overview as SerpApi returns it, a saved
chat completion) go through the crawl's own steps into a real SQLite file with the real
default model: named brands, positions, sentiment toward each, citations. Bad records are
named by line and field while the others are kept; importing again never duplicates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import sentiment.enricher
from api.cli import main
from api.visibility import visibility_report
from crawlers.extract.answer_file import BadRecord, read_record, records
from index.query import Field
from index.record import Mention
from index.sqlite import SqliteStore
from sentiment.enricher import Enricher, load_enricher

WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]

[[brands.sources]]
type = "ai_answers"
prompts = ["best wireless earbuds?"]
competitors = ["Sonique"]
engines = [{base_url = "https://api.example/v1", model = "m"}]

[[brands]]
name = "Zephyr"
terms = ["Zephyr", "泽菲尔"]
"""

RANKED = {  # the spellings of a tracker's export
    "query": "best wireless earbuds?", "platform": "perplexity", "model_name": "sonar",
    "response": "Top picks:\n1. Acme Buds Pro: superb sound, I love them.\n"
                "2. Zephyr V8: it broke after a week, avoid it.\n3. Sonique Air: fine.",
    "sources": [{"url": "https://reviews.example/acme-buds"}, "https://shop.example/r/7"],
    "timestamp": "2026-10-01T09:00:00Z", "brand": "Acme",
}
CHINESE = {"prompt": "哪款耳机最好？", "engine": "kimi", "answer": "推荐艾克美，电池很耐用。",
           "citations": [], "time": 1791104400, "brand": "acme"}  # any case
OVERVIEW = {  # a Google AI Overview as SerpApi returns it
    "search_metadata": {"id": "6701c0ffee", "created_at": "2026-10-02 08:00:00 UTC",
                        "google_url": "https://www.google.com/search?q=best+earbuds"},
    "search_parameters": {"engine": "google", "q": "best wireless earbuds?"},
    "ai_overview": {
        "text_blocks": [
            {"type": "paragraph", "snippet": "Popular choices include:"},
            {"type": "list", "list": [
                {"title": "Sonique Air:", "snippet": "balanced sound."},
                {"title": "Acme Buds Pro:", "snippet": "long battery life."}]}],
        "references": [{"title": "Acme Buds review", "link": "https://reviews.example/acme-buds",
                        "source": "Reviews"}]},
}
COMPLETION = {  # a saved chat-completions response, with the prompt added
    "id": "chatcmpl-77", "object": "chat.completion", "created": 1791190800, "model": "gpt-x",
    "prompt": "best wireless earbuds?", "brand": "Zephyr",
    "choices": [{"index": 0, "message": {"role": "assistant",
                                         "content": "Zephyr V8 is a safe pick."}}],
    "citations": ["https://news.example/earbuds"],
}


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return load_enricher()  # the default model, loaded once for the module


@pytest.fixture()
def run(tmp_path: Path, enricher: Enricher, monkeypatch: pytest.MonkeyPatch):
    """`mentionwatch import-answers FILE ...` on tmp_path's watchlist and index; the
    command's model load returns the module's (the same default model)."""
    monkeypatch.setattr(sentiment.enricher, "load_enricher", lambda *a, **k: enricher)
    (tmp_path / "mentionwatch.toml").write_text(WATCHLIST, encoding="utf-8")

    def invoke(name: str, text: str, *args: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return CliRunner().invoke(main, ["import-answers", str(path), "--db",
                                         str(tmp_path / "m.db"), "--watchlist",
                                         str(tmp_path / "mentionwatch.toml"), *args])
    return invoke


def stored(tmp_path: Path) -> dict[str, Mention]:
    with SqliteStore(tmp_path / "m.db") as store:
        return {m.source: m for m in store.export(Field("kind", ":", "ai_answer"))}


def jsonl(*rows: Any) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_answers_go_through_the_crawls_steps(run, tmp_path: Path) -> None:
    result = run("answers.jsonl", jsonl(RANKED, CHINESE, OVERVIEW, COMPLETION),
                 "--engine", "chatgpt", "--brand", "Acme")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"imported": 4, "new": 4, "repeated": 0, "rejected": 0}
    found = stored(tmp_path)
    ranked = found["perplexity:sonar"]
    assert (ranked.kind, ranked.brand, ranked.title) == ("ai_answer", "Acme", RANKED["query"])
    assert ranked.published_at == datetime(2026, 10, 1, 9, tzinfo=UTC)
    assert ranked.url == "https://imported.invalid/perplexity:sonar"
    assert ranked.citations == ("https://reviews.example/acme-buds", "https://shop.example/r/7")
    # The competitor of the brand's ai_answers source and the other watched brand are found.
    assert [(n.name, n.position) for n in ranked.named] == [
        ("Acme", 1), ("Zephyr", 2), ("Sonique", 3)]
    toward = {n.name: n.sentiment for n in ranked.named}
    assert toward["Acme"] == "positive" and toward["Zephyr"] == "negative"

    chinese = found["kimi"]
    assert (chinese.lang, chinese.brand) == ("zh-Hans", "Acme")
    assert [(n.name, n.sentiment) for n in chinese.named] == [("Acme", "positive")]

    overview = found["google-ai-overview"]
    assert overview.published_at == datetime(2026, 10, 2, 8, tzinfo=UTC)
    assert overview.url == "https://www.google.com/search?q=best+earbuds"
    assert overview.citations == ("https://reviews.example/acme-buds",)
    assert [(n.name, n.position) for n in overview.named] == [("Sonique", 1), ("Acme", 2)]

    completion = found["chatgpt:gpt-x"]  # --engine names the engine of a bare completion
    assert (completion.brand, completion.citations) == ("Zephyr", ("https://news.example/earbuds",))
    assert completion.published_at == datetime(2026, 10, 5, 9, tzinfo=UTC)

    with SqliteStore(tmp_path / "m.db") as store:
        figures = {f["source"]: f for f in visibility_report(store, "Acme")["visibility"]}
    assert figures["google-ai-overview"]["mean_position"] == 2
    assert figures["perplexity:sonar"]["sentiment"] == {"positive": 1}


def test_importing_again_updates_and_never_duplicates(run, tmp_path: Path) -> None:
    text = jsonl(RANKED, OVERVIEW, RANKED)  # the file itself repeats a record
    first = run("a.jsonl", text, "--brand", "Acme")
    assert json.loads(first.stdout) == {"imported": 2, "new": 2, "repeated": 1, "rejected": 0}
    again = run("a.jsonl", text, "--brand", "Acme")
    assert json.loads(again.stdout) == {"imported": 2, "new": 0, "repeated": 1, "rejected": 0}
    with SqliteStore(tmp_path / "m.db") as store:
        assert store.count() == 2


def test_bad_records_are_named_by_line_and_field_and_the_rest_kept(run, tmp_path: Path) -> None:
    lines = [
        json.dumps(RANKED),
        json.dumps({**RANKED, "response": None, "timestamp": "2026-10-03T00:00:00Z"}),
        '{"query": "broken',
        json.dumps({**RANKED, "timestamp": "last tuesday"}),
        json.dumps({**RANKED, "brand": "Sonique"}),
        json.dumps({k: v for k, v in RANKED.items() if k != "brand"}),
        json.dumps({**RANKED, "sources": [{"title": "no url"}]}),
        json.dumps(COMPLETION),  # a bare chat completion, and no --engine
        json.dumps(CHINESE),
    ]
    # A byte order mark, as some Windows tools write, is not part of the first record.
    result = run("bad.jsonl", "\ufeff" + "\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"imported": 2, "new": 2, "repeated": 0, "rejected": 7}
    path = tmp_path / "bad.jsonl"
    assert result.stderr.splitlines() == [
        f"{path}:2: answer: missing (give one of answer, response, text, output, content, "
        "completion, ai_overview)",
        f"{path}:3: json: not JSON (Unterminated string starting at: line 1 column 11 "
        "(char 10))",
        f"{path}:4: time: 'last tuesday' is not an ISO 8601 time or Unix seconds between "
        "1990 and tomorrow",
        f"{path}:5: brand: 'Sonique' is not a watched brand (Acme, Zephyr)",
        f"{path}:6: brand: missing: the watchlist has several brands; give `brand` in the "
        "record or --brand",
        f"{path}:7: citations[0]: a URL or an object with one of url, link, href, uri",
        f"{path}:8: engine: missing (give one of engine, platform, provider, assistant, or "
        "the engine of the whole file: --engine)",
    ]
    assert set(stored(tmp_path)) >= {"perplexity:sonar", "kimi"}


def test_a_json_array_keeps_the_records_before_a_syntax_error(run, tmp_path: Path) -> None:
    text = ("[\n" + json.dumps(RANKED, indent=2) + ",\n" + json.dumps(CHINESE) + ",\n"
            + '{"prompt": oops}\n]\n')
    result = run("a.json", text, "--brand", "Acme")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["imported"] == 2
    bad_line = text.splitlines().index('{"prompt": oops}') + 1
    assert result.stderr.startswith(f"{tmp_path / 'a.json'}:{bad_line}: json: not JSON")


def test_records_start_where_their_line_says() -> None:
    text = '[\n  {"a": 1},\n\n  {"b": 2}\n]'
    assert [(line, record) for line, record in records(text)] == [(2, {"a": 1}), (4, {"b": 2})]
    one = '\n{\n  "prompt": "p"\n}\n'  # one object printed over several lines
    assert list(records(one)) == [(2, {"prompt": "p"})]
    (_line, bad), = records('[1]')
    assert isinstance(bad, BadRecord) and bad.field == "json" and "not int" in bad.reason


def test_a_record_without_a_time_is_refused_as_it_could_not_be_imported_twice() -> None:
    with pytest.raises(BadRecord) as caught:
        read_record(9, {"prompt": "p", "answer": "a", "engine": "e"})
    assert str(caught.value).startswith("line 9: time: missing (give one of time, timestamp")
