"""Visibility figures on a real SQLite store: the pages AI answers cite, joined to the
mentions the index holds at them (whatever the link's scheme, host case, trailing slash or
tracking parameters), the advocates among their authors, and the `/visibility` route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from api.visibility import cited_mentions, visibility_report
from index.record import Advocate, Author, Mention, NamedBrand, Persona
from index.sqlite import SqliteStore
from index.urls import page_key

PROMPT = "best wireless earbuds?"


def review(n: int, url: str, author: str, advocate: float | None,
           persona: Persona = "validator") -> Mention:
    return Mention.create(
        source="schemaorg", native_id=f"r{n}", kind="review", url=url,
        text=f"Review {n} of the Acme Buds.", author=Author(author, handle=author.lower()),
        published_at=datetime(2026, 9, n, tzinfo=UTC), brand="Acme",
        advocate=Advocate(advocate, persona, ("recommends",)) if advocate else None)


def answer(n: int, day: int, citations: tuple[str, ...], *named: NamedBrand) -> Mention:
    return Mention.create(
        source="testgpt:gpt-test", native_id=f"a{n}", kind="ai_answer",
        url="http://127.0.0.1:9/v1/chat/completions", text=f"Answer {n}: Acme, Zephyr.",
        author=Author("testgpt"), published_at=datetime(2026, 10, day, tzinfo=UTC),
        title=PROMPT, brand="Acme", citations=citations, named=named)


MAYA = review(1, "https://www.reviews.example/acme-buds", "Maya", 0.9)
TOM = review(2, "https://shop.example/r/7", "Tom", 0.1)  # holds an advocate record, a weak one
LEE = review(3, "https://blog.example/earbuds/", "Lee", None)
ANSWERS = [
    answer(1, 1, ("HTTPS://Reviews.Example/acme-buds/?utm_source=chatgpt.com",
                  "https://shop.example:443/r/7#reviews"),
           NamedBrand("Acme", 1, "Acme: great.", "positive", 0.9),
           NamedBrand("Zephyr", 2, "Zephyr: broke.", "negative", -0.8)),
    answer(2, 2, ("https://reviews.example/acme-buds", "https://blog.example/earbuds",
                  "https://unknown.example/x"),
           NamedBrand("Zephyr", 1, "Zephyr: fine.", "neutral", 0.0),
           NamedBrand("Acme", 2, "Acme: awful battery.", "negative", -0.6)),
    answer(3, 20, ("https://reviews.example/acme-buds",)),
]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "m.db"
    with SqliteStore(path) as store:
        store.upsert([MAYA, TOM, LEE, *ANSWERS])
    return path


def test_a_page_is_one_key_whatever_its_scheme_case_slash_or_tracking() -> None:
    assert page_key("HTTPS://www.Shop.Example:443/r/7/?utm_source=x&id=3#top") == (
        "https://shop.example/r/7?id=3")
    assert page_key("http://shop.example:8080/r/7") == "http://shop.example:8080/r/7"
    assert page_key("https://shop.example/r/7") != page_key("https://shop.example/r/8")


def test_each_cited_url_is_matched_to_the_mentions_at_it(db: Path) -> None:
    with SqliteStore(db) as store:
        found = cited_mentions(store, [url for a in ANSWERS for url in a.citations])
    assert {page: [m.id for m in ms] for page, ms in found.items()} == {
        "https://reviews.example/acme-buds": [MAYA.id], "https://shop.example/r/7": [TOM.id],
        "https://blog.example/earbuds": [LEE.id]}


def test_the_figures_name_the_most_cited_pages_and_the_advocates_cited(db: Path) -> None:
    with SqliteStore(db) as store:
        report = visibility_report(store, "Acme")
    (figures,) = report["visibility"]
    assert figures["runs"] == 3 and figures["named"] == 2
    assert figures["sentiment"] == {"negative": 1, "positive": 1}
    assert figures["sentiment_score"] == 0.15  # toward Acme: 0.9 and -0.6
    assert figures["cited_domains"] == {"reviews.example": 3, "blog.example": 1,
                                        "shop.example": 1, "unknown.example": 1}
    assert figures["cited_pages"][0] == {"url": "https://reviews.example/acme-buds",
                                         "answers": 3, "mentions": [MAYA.id]}
    assert {"url": "https://unknown.example/x", "answers": 1,
            "mentions": []} in figures["cited_pages"]
    maya = {"mention_id": MAYA.id, "url": MAYA.url, "author": "Maya", "handle": "maya",
            "score": 0.9, "persona": "validator", "answers": 3}
    # Tom's advocate record is too weak and Lee has none: Maya is the advocate cited.
    assert figures["advocates_cited"] == [maya]
    assert report["advocates_cited"] == [maya]


def test_an_advocate_cited_for_two_mentions_is_listed_once(tmp_path: Path) -> None:
    """One author (one site, one name) is listed by their best cited mention (its persona,
    as the advocate leads show them), with the answers citing any of their mentions, each
    answer once."""
    how_to = review(4, "https://reviews.example/maya-how-to", "Maya", 0.7, "educator")
    answers = [answer(1, 1, (MAYA.url, how_to.url)), answer(2, 2, (how_to.url,)),
               answer(3, 3, ("https://shop.example/r/7",))]
    with SqliteStore(tmp_path / "m.db") as store:
        store.upsert([MAYA, how_to, TOM, *answers])
        report = visibility_report(store, "Acme")
    maya = {"mention_id": MAYA.id, "url": MAYA.url, "author": "Maya", "handle": "maya",
            "score": 0.9, "persona": "validator", "answers": 2}
    assert report["advocates_cited"] == [maya]
    (figures,) = report["visibility"]
    assert figures["advocates_cited"] == [maya]


def test_the_period_counts_the_answers_stored_in_it(db: Path) -> None:
    with SqliteStore(db) as store:
        report = visibility_report(store, "Acme", since=datetime(2026, 10, 10, tzinfo=UTC))
    (figures,) = report["visibility"]
    assert (figures["runs"], figures["named"]) == (1, 0)
    assert report["advocates_cited"][0]["answers"] == 1


@pytest.fixture()
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, auth=False))) as c:
        yield c


def test_the_route_returns_the_figures_of_the_period(client: TestClient) -> None:
    response = client.get("/visibility", params={"brand": "Acme", "since": "2026-10-01",
                                                 "until": "2026-10-02"})
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["brand"], shown["since"], shown["until"]) == (
        "Acme", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z")
    (figures,) = shown["visibility"]
    assert (figures["prompt"], figures["runs"], figures["named"]) == (PROMPT, 1, 1)
    assert figures["share_interval"] == [pytest.approx(0.2065, abs=1e-4), 1.0]
    assert figures["cited_pages"][0]["mentions"] == [MAYA.id]
    assert shown["advocates_cited"][0]["author"] == "Maya"


def test_the_route_needs_a_brand_and_valid_dates(client: TestClient) -> None:
    missing = client.get("/visibility")
    assert missing.status_code == 422 and "brand" in missing.json()["error"]["message"]
    bad = client.get("/visibility", params={"brand": "Acme", "since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.json()["error"]["message"]


def test_the_cli_prints_the_same_report_for_the_period(db: Path) -> None:
    result = CliRunner().invoke(main, ["visibility", "--brand", "Acme", "--db", str(db),
                                       "--since", "2026-10-01", "--until", "2026-10-02"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [f["runs"] for f in shown["visibility"]] == [1]
    assert shown["advocates_cited"][0]["mention_id"] == MAYA.id
    # Times in ISO 8601, as the API writes them.
    assert shown["visibility"][0]["trend"][0]["start"] == "2026-10-01T00:00:00+00:00"
    bad = CliRunner().invoke(main, ["visibility", "--brand", "Acme", "--since", "soon"])
    assert bad.exit_code == 2 and "'soon' is neither a date" in bad.output


def test_a_period_that_ends_before_it_starts_is_refused_naming_both(
        client: TestClient, db: Path) -> None:
    response = client.get("/visibility", params={"brand": "Acme", "since": "2026-10-05",
                                                 "until": "2026-10-01"})
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "since (2026-10-05T00:00:00+00:00)" in message and "until (2026-10-01" in message
    result = CliRunner().invoke(main, ["visibility", "--brand", "Acme", "--db", str(db),
                                       "--since", "2026-10-05", "--until", "2026-10-01"])
    assert result.exit_code == 2 and "must be before until" in result.output


def test_each_row_carries_its_trend_per_day_or_week_with_intervals(client: TestClient) -> None:
    daily = client.get("/visibility", params={"brand": "Acme"}).json()["visibility"][0]
    assert [(p["start"], p["runs"], p["named"]) for p in daily["trend"]] == [
        ("2026-10-01T00:00:00Z", 1, 1), ("2026-10-02T00:00:00Z", 1, 1),
        ("2026-10-20T00:00:00Z", 1, 0)]
    assert daily["trend"][2]["share_interval"] == [0.0, pytest.approx(0.7935, abs=1e-4)]
    assert daily["trend"][1]["mean_position"] == 2
    weekly = client.get("/visibility", params={"brand": "Acme", "interval": "week"}).json()
    # 1 and 2 October 2026 are a Thursday and a Friday: one week from Monday 28 September.
    assert [(p["start"], p["runs"], p["named"], p["mean_position"])
            for p in weekly["visibility"][0]["trend"]] == [
        ("2026-09-28T00:00:00Z", 2, 2, 1.5), ("2026-10-19T00:00:00Z", 1, 0, None)]
    bad = client.get("/visibility", params={"brand": "Acme", "interval": "month"})
    assert bad.status_code == 422 and "interval" in bad.json()["error"]["message"]
