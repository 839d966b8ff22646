"""`GET /mentions/export`: every match streamed as CSV or JSON lines, spreadsheet-safe, and
in constant memory however many mentions match."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from api.cli import main
from api.export import export_response
from api.keys import KeyStore
from api.mentions import MENTION_COLUMNS
from bench.api import wait_until_up
from index.record import Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from tests.loopback import free_port


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == list(MENTION_COLUMNS)
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_csv_lists_every_match_oldest_first(client: TestClient,
                                            mentions: list[Mention]) -> None:
    response = client.get("/mentions/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="mentions.csv"'
    rows = _rows(response.text)
    assert [r["id"] for r in rows] == [m.id for m in mentions]  # seeded oldest first
    first = rows[0]
    assert (first["brand"], first["author"], first["rating"], first["rating_best"],
            first["sentiment"], first["sentiment_score"], first["nps_estimated"]) == (
        "Acme", "author 1", "5", "5", "positive", "0.9", "false")
    assert first["text"] == mentions[0].text
    # Negative numbers we wrote stay numbers: only text is neutralised.
    assert rows[1]["sentiment_score"] == "-0.9"


def test_query_and_filters_narrow_the_export(client: TestClient) -> None:
    by_query = _rows(client.get("/mentions/export", params={"q": "battery"}).text)
    assert [r["author"] for r in by_query] == ["author 1", "author 2"]
    by_lang = _rows(client.get("/mentions/export", params={"q": "电池", "lang": "zh"}).text)
    assert [r["lang"] for r in by_lang] == ["zh-Hans", "zh-Hant"]
    by_filter = _rows(client.get("/mentions/export",
                                 params={"brand": "Zephyr", "since": "2026-10-01"}).text)
    assert [r["author"] for r in by_filter] == ["author 5"]
    assert _rows(client.get("/mentions/export", params={"q": "nothing-matches-this"}).text) == []


def test_jsonl_lines_are_the_mentions_the_api_returns(client: TestClient,
                                                      mentions: list[Mention]) -> None:
    response = client.get("/mentions/export", params={"format": "jsonl", "lang": "en"})
    assert response.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [m["id"] for m in lines] == [m.id for m in mentions if m.lang == "en"]
    assert lines[0] == client.get(f"/mentions/{mentions[0].id}").json()


def test_csv_cells_cannot_run_as_formulas(client: TestClient, db: Path) -> None:
    with SqliteStore(db) as store:
        store.upsert([Mention.create(
            source="schemaorg", native_id="evil", kind="review", url="https://shop.example/e",
            text='=HYPERLINK("https://evil.example","click")', title="+1 great",
            author=Author("@everyone", handle="-rm"), brand="Acme",
            published_at=datetime(2026, 10, 9, tzinfo=UTC))])
    rows = _rows(client.get("/mentions/export", params={"q": "HYPERLINK"}).text)
    assert len(rows) == 1
    assert (rows[0]["text"], rows[0]["title"], rows[0]["author"], rows[0]["author_handle"]) == (
        "'=HYPERLINK(\"https://evil.example\",\"click\")", "'+1 great", "'@everyone", "'-rm")


# Cells a spreadsheet runs (or may run) as formulas: a formula character behind characters
# it skips, or in its full-width form; and cells that look alike but are text.
HOSTILE_CELLS = [" =1+1", "\xa0=1+1", "\ufeff=HYPERLINK(\"https://evil.example\")", "＝1+1",
                 "＋1", "－1", "＠SUM(A1:A9)", "\0=1+1", "\0text", "\n=1+1", "\r\n@SUM(A1)",
                 " \t -1", "\u3000=1", "\u200b=1", "\u2028+1", "\ufeff\xa0 ＝1"]
HARMLESS_CELLS = ["Maya = fan", "  hello", "\ufeffhello", "１００ stars", "a-b", "'=quoted"]


@pytest.fixture()
def hostile_db(db: Path) -> Path:
    """The seeded index plus one mention per cell above, as its title."""
    with SqliteStore(db) as store:
        store.upsert([Mention.create(
            source="schemaorg", native_id=f"cell{n}", kind="review",
            url=f"https://shop.example/c{n}", text=f"hostile cell {n}", title=cell,
            author=Author(f"cell {n}"), brand="Acme",
            published_at=datetime(2026, 10, 10, n, tzinfo=UTC))
            for n, cell in enumerate(HOSTILE_CELLS + HARMLESS_CELLS)])
    return db


def _titles(csv_text: str) -> list[str]:
    return [row["title"] for row in _rows(csv_text) if row["text"].startswith("hostile cell")]


EXPECTED_TITLES = ["'" + cell for cell in HOSTILE_CELLS] + HARMLESS_CELLS


def test_formulas_behind_invisible_or_full_width_characters_are_neutralised(
        client: TestClient, hostile_db: Path) -> None:
    exported = client.get("/mentions/export", params={"q": '"hostile cell"'})
    assert exported.status_code == 200
    assert _titles(exported.text) == EXPECTED_TITLES


def test_the_cli_export_neutralises_the_same_cells(hostile_db: Path) -> None:
    result = CliRunner().invoke(main, ["export", "mentions", '"hostile cell"',
                                       "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    # stdout_bytes: Result.stdout turns the CR LF inside a quoted cell into LF.
    assert _titles(result.stdout_bytes.decode("utf-8")) == EXPECTED_TITLES


def test_export_needs_the_analyst_role(anonymous: TestClient,
                                       api_keys: dict[str, str]) -> None:
    assert anonymous.get("/mentions/export").status_code == 401
    viewer = anonymous.get("/mentions/export", headers={"X-API-Key": api_keys["viewer"]})
    assert viewer.status_code == 403
    assert viewer.json()["error"]["message"] == "this needs the analyst role; the key has viewer"


def test_bad_input_is_an_error_before_any_row(client: TestClient) -> None:
    bad_query = client.get("/mentions/export", params={"q": "battery AND (screen"})
    assert bad_query.status_code == 400
    assert bad_query.json()["error"]["type"] == "query_error"
    assert bad_query.json()["error"]["position"] is not None
    bad_format = client.get("/mentions/export", params={"format": "xlsx"})
    assert bad_format.status_code == 422
    assert bad_format.json()["error"]["message"].startswith("format: Input should be 'csv'")


# --- 100,000 mentions through a real server, in constant memory ----------------------------

EXPORTED = 100_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def _many(first: int, count: int) -> list[Mention]:
    return [Mention.create(
        source="schemaorg", native_id=str(n), kind="review", url=f"https://shop.example/r/{n}",
        text=f"Review {n}: the Acme X{n % 7} battery lasts {n % 9 + 1} days, the screen is "
             "bright and I would buy it again.",
        author=Author(f"author {n % 5000}"), published_at=START + timedelta(minutes=n),
        brand="Acme", lang="en", rating=Rating(n % 5 + 1, 5, 1),
        sentiment=Sentiment("positive", 0.8, 0.9, "test"),
    ) for n in range(first, first + count)]


def _peak_rss(pid: int) -> int:
    """A process's peak resident memory so far, in bytes (Linux: VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """`mentionwatch serve` on a loopback port over 100,000 mentions: (url, key, pid)."""
    db = tmp_path / "many.db"
    with SqliteStore(db) as store:
        for first in range(0, EXPORTED, 5000):
            store.upsert(_many(first, 5000))
    keys = KeyStore(db)
    key = keys.create("analyst", "export test")
    keys.close()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--db", str(db),
                                "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, key, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_export_of_100k_mentions_streams_in_constant_memory(
        server: tuple[str, str, int]) -> None:
    url, key, pid = server
    headers = {"X-API-Key": key}
    # Warm up every code path the big export takes, so only the rows could grow memory.
    small = httpx.get(f"{url}/mentions/export", headers=headers,
                      params={"until": (START + timedelta(minutes=1200)).isoformat()})
    assert len(_rows(small.text)) == 1200
    assert "content-length" not in small.headers  # 1,200 rows: streamed, three chunks
    before = _peak_rss(pid)

    rows, previous, last_id = 0, "", ""
    with httpx.stream("GET", f"{url}/mentions/export", headers=headers, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        lines = response.iter_lines()
        assert next(lines).split(",") == list(MENTION_COLUMNS)
        for row in csv.reader(lines):
            assert row[1] > previous  # published_at, oldest first
            previous, last_id = row[1], row[0]
            rows += 1
    growth = _peak_rss(pid) - before

    assert rows == EXPORTED
    assert last_id == _many(EXPORTED - 1, 1)[0].id
    # Buffering the export would hold ~50 MB of CSV and far more as Mention objects.
    assert growth < 50 * 2**20, f"the server's peak RSS grew by {growth / 2**20:.1f} MiB"


@pytest.mark.parametrize(("name", "disposition"), [
    ("mentions", 'attachment; filename="mentions.csv"'),
    ("advocates-艾克美", "attachment; filename=\"advocates.csv\"; "
                         "filename*=UTF-8''advocates-%E8%89%BE%E5%85%8B%E7%BE%8E.csv"),
    ("Ā", "attachment; filename=\"export.csv\"; filename*=UTF-8''%C4%80.csv"),
])
def test_a_download_name_beyond_ascii_is_encoded(name: str, disposition: str) -> None:
    response = export_response(iter(["a\n"]), "csv", name)
    assert response.headers["content-disposition"] == disposition


def test_an_export_of_one_chunk_is_answered_whole_and_a_longer_one_streams() -> None:
    whole = export_response(iter(["id\n1\n"]), "csv", "mentions")
    assert not isinstance(whole, StreamingResponse)
    assert (whole.body, whole.headers["content-length"]) == (b"id\n1\n", "5")
    empty = export_response(iter([]), "csv", "mentions")
    assert (empty.body, empty.headers["content-type"]) == (b"", "text/csv; charset=utf-8")

    streamed = export_response(iter(["id\n1\n", "2\n", "3\n"]), "csv", "mentions")
    assert isinstance(streamed, StreamingResponse)

    async def body() -> str:
        return "".join([chunk async for chunk in streamed.body_iterator])  # type: ignore[misc]

    assert asyncio.run(body()) == "id\n1\n2\n3\n"


def test_a_day_of_one_brand_is_one_answer_with_its_length(client: TestClient) -> None:
    response = client.get("/mentions/export", params={"brand": "Acme"})
    assert response.headers["content-length"] == str(len(response.content))
    brands = [r["brand"] for r in _rows(response.text)]
    assert brands and set(brands) == {"Acme"}
