"""A press release syndicated to several sites: one hit with "also at N places", counted once
in analytics, every copy in an export; each unless asked otherwise."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.cli import main
from index.record import Aspect, Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore

RELEASE = "Zephyr recalls the V2 vacuum: its battery can overheat. https://zephyr.example/recall"
SITES = ("news.example", "wire.example", "blog.example")  # published on the 20th, 19th, 21st


def _copy(site: str, day: int, tracking: str) -> Mention:
    return Mention.create(
        source="feed", native_id=f"{site}/recall", kind="article",
        url=f"https://{site}/zephyr-recall", text=f"{RELEASE}?utm_source={tracking}",
        author=Author("Newsdesk"), published_at=datetime(2026, 10, day, 9, tzinfo=UTC),
        brand="Zephyr", lang="en", rating=Rating(1, 5, 1), nps_class="detractor",
        sentiment=Sentiment("negative", -0.8, 0.9, "test"),
        aspects=(Aspect("battery", "negative"),),
    )


COPIES = [_copy(site, day, site) for site, day in zip(SITES, (20, 19, 21), strict=True)]
EARLIEST, OTHERS = COPIES[1], (COPIES[0], COPIES[2])  # by date


@pytest.fixture()
def syndicated(db: Path) -> Path:
    with SqliteStore(db) as store:
        store.upsert(COPIES)
    return db


@pytest.mark.usefixtures("syndicated")
def test_search_shows_a_syndicated_text_once_with_its_other_places(client: TestClient) -> None:
    body = client.get("/mentions", params={"q": "recalls", "sort": "newest"}).json()
    assert body["total"] == 1
    (hit,) = body["results"]
    assert hit["mention"]["url"] == EARLIEST.url
    assert hit["duplicates"] == {"count": 2, "urls": [m.url for m in OTHERS]}
    every = client.get("/mentions", params={"q": "recalls", "duplicates": "include"}).json()
    assert every["total"] == 3
    assert {h["duplicates"]["count"] for h in every["results"]} == {0}


@pytest.mark.usefixtures("syndicated")
def test_analytics_count_a_syndicated_text_once_unless_asked(client: TestClient) -> None:
    def get(route: str, include: bool = False, **params: str) -> list[dict[str, object]]:
        asked = {**params, **({"duplicates": "include"} if include else {})}
        answer = client.get(route, params=asked)
        assert answer.status_code == 200, answer.text
        result: list[dict[str, object]] = answer.json()
        return result

    window = {"since": "2026-10-19", "until": "2026-10-22", "brand": "Zephyr"}
    for include, copies in ((False, 1), (True, 3)):
        days = get("/analytics/histogram", include, q="recalls", **window)
        assert [(d["count"], d["negative"]) for d in days] == (
            [(1, 1), (0, 0), (0, 0)] if copies == 1 else [(1, 1), (1, 1), (1, 1)])
        share = {s["key"]: s["count"] for s in get("/analytics/share-of-voice", include)}
        assert share["zephyr"] == 1 + copies  # and the vacuum review of the 5th
        top = get("/analytics/top/sentiment", include, brand="Zephyr")
        assert {b["key"]: b["count"] for b in top} == {"negative": copies, "neutral": 1}
        (battery,) = get("/analytics/aspects", include, **window)
        assert (battery["aspect"], battery["negative"]) == ("battery", copies)
        nps = get("/reports/nps", include, brand="Zephyr", period="all")
        assert nps[0]["all"]["detractors"] == copies  # type: ignore[index]


@pytest.mark.usefixtures("syndicated")
def test_an_export_keeps_every_copy_unless_asked(client: TestClient) -> None:
    def rows(**params: str) -> list[str]:
        answer = client.get("/mentions/export", params={"q": "recalls", **params})
        return [row["url"] for row in csv.DictReader(io.StringIO(answer.text))]

    assert rows() == [m.url for m in (EARLIEST, *OTHERS)]
    assert rows(duplicates="collapse") == [EARLIEST.url]


def test_the_cli_search_groups_copies_unless_asked(syndicated: Path) -> None:
    def urls(*flags: str) -> list[tuple[str, int]]:
        result = CliRunner().invoke(main, ["search", "recalls", "--db", str(syndicated), *flags])
        assert result.exit_code == 0, result.output
        hits = [json.loads(line) for line in result.stdout.splitlines()]
        return [(hit["url"], hit["duplicates"]["count"]) for hit in hits]

    assert urls() == [(EARLIEST.url, 2)]
    assert sorted(urls("--include-duplicates")) == sorted((m.url, 0) for m in COPIES)
