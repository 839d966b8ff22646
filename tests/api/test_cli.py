from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import serving
from api.cli import main
from api.keys import KeyStore
from api.settings import Settings
from index.record import Mention

WATCHLIST = '[[brands]]\nname = "Acme"\nterms = ["Acme"]\n'


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_search_prints_json_hits(db: Path, mentions: list[Mention]) -> None:
    code, out, err = run("search", "battery", "--db", str(db), "--sentiment", "negative")
    assert code == 0, err
    hits = [json.loads(line) for line in out.splitlines()]
    assert [h["id"] for h in hits] == [mentions[1].id]
    assert hits[0]["sentiment"] == "negative"
    assert err.strip() == "1 mentions"


def test_search_bad_query_exits_1_with_the_position(db: Path) -> None:
    code, _, err = run("search", "battery AND", "--db", str(db))
    assert code == 1
    assert "position" in err


def test_search_past_the_last_representable_day_is_a_clear_error(db: Path) -> None:
    code, _, err = run("search", "published:9999-12-31", "--db", str(db))
    assert code == 1
    assert err == ("Error: position 10: expected an end date before 9999-12-31 after "
                   "'published:', found '9999-12-31'\n")


def test_crawl_with_a_deeply_nested_watchlist_is_a_one_line_error(tmp_path: Path) -> None:
    watchlist = tmp_path / "mentionwatch.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = ' + "[" * 1000 + '"Acme"'
                         + "]" * 1000 + "\n", encoding="utf-8")
    code, _, err = run("crawl", "--watchlist", str(watchlist), "--db", str(tmp_path / "m.db"))
    assert code == 1
    assert err == (f"Error: {watchlist}:3: invalid TOML: arrays or inline tables nested too "
                   "deeply\n")


def test_serve_get_answers_one_request(db: Path) -> None:
    code, out, _ = run("serve", "--db", str(db), "--get", "/mentions?q=电池")
    assert code == 0
    assert json.loads(out)["total"] == 2  # 电池 and 電池
    code, out, _ = run("serve", "--db", str(db), "--get", "/mentions/nope")
    assert code == 1
    assert json.loads(out)["error"]["message"] == "no mention with id 'nope'"


def test_serve_warns_at_start_of_an_invalid_watchlist(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(serving, "run", served.append)  # the server itself is not started
    watchlist = tmp_path / "mentionwatch.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\nterms = []\n', encoding="utf-8")
    code, _, err = run("serve", "--db", str(db), "--watchlist", str(watchlist))
    assert code == 0 and len(served) == 1  # served anyway: the file may be fixed meanwhile
    assert err.startswith(f"Warning: {watchlist}:3: brands[0].terms: ")
    assert "answer 500" in err


def test_crawl_with_a_bad_watchlist_exits_1_naming_the_line(tmp_path: Path) -> None:
    watchlist = tmp_path / "w.toml"
    watchlist.write_text('[[brands]]\nname = "Acme"\n', encoding="utf-8")
    code, _, err = run("crawl", "--watchlist", str(watchlist), "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert "w.toml:1: brands[0].terms: Field required" in err


def test_misuse_exits_2() -> None:
    code, _, _ = run("search", "--size", "0")
    assert code == 2


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"


def test_score_reads_jsonl_and_reports_bad_lines_by_number() -> None:
    lines = [
        json.dumps({"text": "Absolutely love it, the battery lasts two days. Highly recommend!"}),
        "{not json",
        json.dumps({"text": "质量太差了，用了两天就坏了，非常失望"}),
        json.dumps({"txt": "wrong key"}),
    ]
    code, out, err = run("score", input="\n".join(lines) + "\n")
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["label"] for r in results] == ["positive", "negative"]
    assert results[0]["score"] > 0 > results[1]["score"]
    assert "line 2: not JSON" in err
    assert 'line 4: expected {"text": "..."}' in err


def test_extract_a_saved_page_without_network() -> None:
    page = next(iter(sorted((FIXTURES / "schemaorg").glob("*.html"))))
    code, out, err = run("extract", str(page), "--url", "https://shop.example/p.html",
                         "--brand", "Acme")
    assert code == 0, err
    mentions = [Mention.from_dict(json.loads(line)) for line in out.splitlines()]
    assert mentions
    assert all(m.source == "schemaorg" and m.brand == "Acme" for m in mentions)


def test_extract_a_feed_needs_a_watchlist(tmp_path: Path) -> None:
    feed = min(p for p in (FIXTURES / "feed").iterdir() if p.is_file())
    code, _, err = run("extract", str(feed), "--url", "https://news.example/feed.xml")
    assert code == 2
    assert "--watchlist" in err


def test_correct_relabels_and_unknown_id_exits_1(db: Path, mentions: list[Mention]) -> None:
    code, out, err = run("correct", mentions[2].id, "--label", "neutral", "--by", "ann",
                         "--db", str(db))
    assert code == 0, err
    assert json.loads(out)["sentiment"] == {**json.loads(out)["sentiment"], "label": "neutral",
                                            "corrected_by": "ann"}
    code, _, err = run("correct", "nope", "--label", "neutral", "--by", "ann", "--db", str(db))
    assert code == 1
    assert "no mention with id 'nope'" in err


def test_export_mentions_streams_the_matches_as_the_api_does(db: Path,
                                                            mentions: list[Mention]) -> None:
    code, out, err = run("export", "mentions", "battery OR 电池", "--db", str(db),
                         "--brand", "acme")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [m.id for m in mentions[:4]]
    code, out, _ = run("export", "mentions", "--db", str(db), "--format", "jsonl",
                       "--sentiment", "neutral")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [mentions[4].id]
    code, _, err = run("export", "mentions", "(battery", "--db", str(db))
    assert code == 1 and "position" in err


def test_crawl_names_a_missing_login_variable_before_crawling(tmp_path: Path,
                                                              monkeypatch) -> None:
    monkeypatch.delenv("MW_TEST_BSKY_PASSWORD", raising=False)
    monkeypatch.setenv("MW_TEST_BSKY_HANDLE", "acme.example")
    watchlist = tmp_path / "w.toml"
    watchlist.write_text(
        '[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\ntype = "bluesky"\n'
        'query = "Acme"\nidentifier_env = "MW_TEST_BSKY_HANDLE"\n'
        'password_env = "MW_TEST_BSKY_PASSWORD"\n')
    code, _, err = run("crawl", "--watchlist", str(watchlist), "--db", str(tmp_path / "m.db"))
    assert code == 1
    assert "MW_TEST_BSKY_PASSWORD" in err and "Traceback" not in err


def test_aspects_propose_finds_a_brands_own_aspect_terms_in_its_stored_mentions(
        db: Path) -> None:
    from datetime import UTC, datetime

    from index.record import Author
    from index.sqlite import SqliteStore

    texts = ["The hinge feels flimsy.", "Sturdy hinge, love it.", "The hinge is great.",
             "键盘很好用", "键盘不太灵敏", "键盘很好", "The kickstand is great."]
    with SqliteStore(db) as store:
        store.upsert([
            Mention.create(source="reddit", native_id=f"h{n}", kind="post",
                           url=f"https://r.example/{n}", text=text, author=Author("x"),
                           brand="Globex", published_at=datetime(2026, 11, 1, tzinfo=UTC))
            for n, text in enumerate(texts)])
    code, out, err = run("aspects", "propose", "--brand", "globex", "--db", str(db))
    assert code == 0, err
    assert json.loads(out) == {"brand": "globex", "aspects": ["hinge", "键盘"]}


def test_eval_aspects_reports_each_language_on_the_held_out_side() -> None:
    code, out, err = run("eval", "aspects")
    assert code == 0, err
    report = json.loads(out)
    assert (report["split"], report["polarity"]) == ("test", "lexicon")
    assert set(report["languages"]) == {"all", "en", "zh-Hans", "zh-Hant"}
    english = report["languages"]["en"]
    assert english["texts"] > 20 and 0.5 < english["f1"] <= 1.0


READING = [("search", "battery"), ("sources",), ("keys", "list"), ("keys", "revoke", "1"),
           ("export", "mentions"), ("aspects", "propose", "--brand", "Acme"),
           ("correct", "some-id", "--label", "neutral", "--by", "ann"),
           ("serve", "--get", "/health")]


@pytest.fixture()
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder as the current one, with no MENTIONWATCH_* variable set."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("MENTIONWATCH_DB", raising=False)
    monkeypatch.delenv("MENTIONWATCH_WATCHLIST", raising=False)
    return folder


@pytest.mark.parametrize("args", READING, ids=lambda args: " ".join(args[:2]))
def test_reading_commands_without_an_index_say_where_they_looked_and_create_nothing(
    elsewhere: Path, args: tuple[str, ...]
) -> None:
    code, out, err = run(*args)
    assert (code, out) == (1, "")
    assert err == ("Error: no index file: looked for mentionwatch.db, "
                   "demo-data/mentionwatch.db. Give --db FILE or set MENTIONWATCH_DB, or make "
                   "one with `mentionwatch crawl` (or `make demo`)\n")
    code, _, err = run(*args, "--db", "typo.db")
    assert code == 1
    assert err.startswith("Error: no index file at typo.db (from --db)")
    assert list(elsewhere.iterdir()) == []


def test_commands_find_the_demos_index_and_say_which_file(elsewhere: Path, db: Path,
                                                          mentions: list[Mention]) -> None:
    (elsewhere / "demo-data").mkdir()
    db.rename(elsewhere / "demo-data" / "mentionwatch.db")
    code, out, err = run("search", "battery", "--sentiment", "negative")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [mentions[1].id]
    assert err.splitlines() == ["using demo-data/mentionwatch.db (in the demo's folder)",
                                "1 mentions"]


def test_keys_go_to_the_file_mentionwatch_db_names(elsewhere: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = elsewhere.parent / "team.db"
    monkeypatch.setenv("MENTIONWATCH_DB", str(chosen))
    code, key, err = run("keys", "create", "--role", "viewer")
    assert code == 0
    assert err == f"using {chosen} (MENTIONWATCH_DB)\n"
    store = KeyStore(chosen)
    assert store.role_of(key.strip()) == "viewer"
    store.close()
    assert list(elsewhere.iterdir()) == []


def test_the_index_beside_a_named_watchlist_is_found(elsewhere: Path, db: Path) -> None:
    config = elsewhere.parent / "config"
    config.mkdir()
    db.rename(config / "mentionwatch.db")
    (config / "mentionwatch.toml").write_text(WATCHLIST, encoding="utf-8")
    code, out, err = run("serve", "--watchlist", str(config / "mentionwatch.toml"),
                         "--get", "/health")
    assert code == 0
    assert json.loads(out)["mentions"] == 5
    assert err == f"using {config / 'mentionwatch.db'} (beside the watchlist)\n"
