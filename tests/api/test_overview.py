"""The overview's figures on a real SQLite store with known mentions: each against the
period before, and each figure's query listing exactly the mentions it counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.alerts.rules import Alert
from api.alerts.state import AlertState
from api.app import create_app
from api.overview import period_of
from api.settings import Settings
from crawlers.coverage import SourceRun, record_run
from index.record import Advocate, Aspect, Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from sentiment.nps import nps_from_rating, nps_from_sentiment

WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]
"""


def _mention(n: int, day: int, label: str, *, month: int = 11, brand: str = "Acme",
             stars: float | None = None, best: float = 5, author: str = "someone",
             kind: str = "review", aspects: tuple[str, ...] = (),
             advocate: float | None = None) -> Mention:
    score = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[label]
    return Mention.create(
        source="schemaorg", native_id=f"m{n}", kind=kind,  # type: ignore[arg-type]
        url=f"https://shop.example/{n}", text=f"Mention {n} about {brand}.",
        author=Author(author), published_at=datetime(2026, month, day, 12, tzinfo=UTC),
        brand=brand, rating=Rating(stars, best, 1 if best == 5 else 0) if stars else None,
        sentiment=Sentiment(label, score, 0.9, "test"),  # type: ignore[arg-type]
        nps_class=nps_from_rating(stars, best) if stars else nps_from_sentiment(label),
        nps_estimated=not stars,
        aspects=tuple(Aspect(*a.split(":")) for a in aspects),  # type: ignore[arg-type]
        advocate=Advocate(advocate, "validator", ("recommends",)) if advocate else None)


# The period asked is November 2026 (30 days); the period before is 2-31 October.
MENTIONS = [
    _mention(1, 2, "positive", stars=5, aspects=("battery:positive",), author="Maya",
             advocate=0.9),
    _mention(2, 3, "positive", stars=8, best=10, author="Maya", advocate=0.8),  # 4.2 stars
    _mention(3, 4, "negative", stars=1, aspects=("battery:negative",)),
    _mention(4, 5, "neutral", kind="post"),
    _mention(5, 6, "negative", kind="post", aspects=("battery:negative", "screen:negative")),
    _mention(6, 7, "positive", kind="post"),
    _mention(7, 8, "negative", brand="Zephyr", kind="post"),
    # before: 2 mentions of Acme, 2 of Zephyr
    _mention(8, 10, "positive", month=10, stars=5),
    _mention(9, 20, "negative", month=10, kind="post", aspects=("battery:negative",)),
    _mention(10, 15, "positive", month=10, brand="Zephyr", kind="post"),
    _mention(11, 16, "positive", month=10, brand="Zephyr", kind="post"),
    # outside both periods
    _mention(12, 1, "negative", month=9),
]
NOVEMBER = {"brand": "acme", "since": "2026-11-01", "until": "2026-12-01"}
ALERT = Alert(rule="acme-negative", type="negative_spike", subject="Acme", field="brand",
              window_start=datetime(2026, 11, 4, 11, tzinfo=UTC),
              window_end=datetime(2026, 11, 4, 12, tzinfo=UTC),
              baseline_start=datetime(2026, 10, 21, tzinfo=UTC), observed=1, baseline=0.1,
              summary="1 negative mention of Acme", sentiment="negative", z=4.5)


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    db = tmp_path / "mentions.db"
    with SqliteStore(db) as store:
        store.upsert(MENTIONS)
    state = AlertState(db)
    state.record(ALERT, {"rule": ALERT.rule, "field": "brand", "subject": "Acme",
                         "window_start": ALERT.window_start.isoformat(),
                         "window_end": ALERT.window_end.isoformat(), "observed": 1,
                         "summary": ALERT.summary, "sentiment": "negative"}, [],
                 datetime.now(UTC))
    state.close()
    record_run(db, SourceRun("schemaorg", ["https://shop.example/"], "2026-11-30T09:00:00+00:00",
                             "2026-11-30T09:01:00+00:00", 3, 7, 7, 0, 0, 1, "finished"))
    watchlist = tmp_path / "mentionwatch.toml"
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    with TestClient(create_app(Settings(db=db, watchlist=watchlist, auth=False))) as c:
        yield c


def _found(client: TestClient, query: str) -> int:
    response = client.get("/mentions", params={"q": query, "size": 1})
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_volume_and_sentiment_change_against_the_period_before(client: TestClient) -> None:
    found = client.get("/overview", params=NOVEMBER).json()
    assert found["brand"] == "Acme"  # as the watchlist spells it
    assert found["period"]["previous_since"] == "2026-10-02T00:00:00Z"
    volume = found["volume"]
    assert (volume["count"], volume["previous"], volume["change"]) == (6, 2, 2.0)
    by_label = {s["label"]: (s["count"], s["previous"], s["change"], s["share"])
                for s in found["sentiment"]}
    assert by_label == {"positive": (3, 1, 2.0, 0.5), "neutral": (1, 0, None, 0.1667),
                        "negative": (2, 1, 1.0, 0.3333)}


def test_rating_nps_and_review_velocity(client: TestClient) -> None:
    found = client.get("/overview", params=NOVEMBER).json()
    rating = found["rating"]
    assert rating["ratings"] == 3
    assert rating["average"] == round((5 + 4 + 1) / 3, 2)  # the 8/10 (4.2 stars) counts as 4
    assert [s["count"] for s in rating["stars"]] == [1, 0, 0, 1, 1]
    assert rating["previous_average"] == 5.0
    reviews = found["reviews"]
    assert (reviews["count"], reviews["previous"], reviews["per_week"]) == (3, 1, 0.7)
    nps = found["nps"]
    # Rated: 5 stars promoter, 8/10 passive, 1 star detractor: 0. With the three estimates
    # (neutral passive, negative detractor, positive promoter): 2 - 2 of 6, still 0.
    assert (nps["rated"]["total"], nps["rated"]["nps"]) == (3, 0.0)
    assert (nps["all"]["total"], nps["all"]["promoters"], nps["all"]["nps"]) == (6, 2, 0.0)
    assert (nps["previous_rated"], nps["previous_all"]) == (100.0, 0.0)


def test_share_of_voice_is_among_the_watched_brands(client: TestClient) -> None:
    found = client.get("/overview", params=NOVEMBER).json()
    shares = [(s["brand"], s["count"], s["share"], s["previous_share"])
              for s in found["share_of_voice"]]
    assert shares == [("Acme", 6, 0.8571, 0.5), ("Zephyr", 1, 0.1429, 0.5)]


def test_aspects_alerts_advocates_and_coverage(client: TestClient) -> None:
    found = client.get("/overview", params=NOVEMBER).json()
    assert [(a["aspect"], a["count"], a["negative"], a["previous"]) for a in found["aspects"]] \
        == [("battery", 3, 2, 1), ("screen", 1, 1, 0)]
    [alert] = found["alerts"]
    assert (alert["rule"], alert["observed"]) == ("acme-negative", 1)
    [advocate] = found["advocates"]
    assert (advocate["author"], advocate["mentions"]) == ("Maya", 2)
    [source] = found["coverage"]
    assert (source["source"], source["mentions"], source["trouble"]) == ("schemaorg", 6,
                                                                          "1 unreadable")


def _queries(found: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """(query, how many mentions the figure says it lists) of every counted figure."""
    yield found["volume"]["query"], found["volume"]["count"]
    yield found["reviews"]["query"], found["reviews"]["count"]
    yield found["rating"]["query"], found["rating"]["ratings"]
    yield found["nps"]["rated_query"], found["nps"]["rated"]["total"]
    yield found["nps"]["estimated_query"], found["nps"]["all"]["total"] - found["nps"]["rated"][
        "total"]
    for part in ("sentiment", "share_of_voice", "aspects", "rising", "coverage"):
        yield from ((row["query"], row.get("count", row.get("mentions"))) for row in found[part])
    yield from ((row["query"], row["count"]) for row in found["rating"]["stars"])
    yield from ((row["query"], row["observed"]) for row in found["alerts"])


def test_each_figures_query_lists_the_mentions_it_counts(client: TestClient) -> None:
    found = client.get("/overview", params=NOVEMBER).json()
    checked = [(query, count, _found(client, query)) for query, count in _queries(found)]
    assert len(checked) == 19
    assert [row for row in checked if row[1] != row[2]] == []
    # An advocate's query lists all the author's mentions in the period, the advocate ones too.
    assert _found(client, found["advocates"][0]["query"]) == 2


def test_compare_puts_brands_side_by_side_over_one_period(client: TestClient) -> None:
    found = client.get("/overview/compare",
                       params={"brands": "Acme, zephyr", "since": "2026-11-01",
                               "until": "2026-12-01"}).json()
    assert [(b["brand"], b["volume"]["count"], b["volume"]["previous"])
            for b in found["brands"]] == [("Acme", 6, 2), ("Zephyr", 1, 2)]
    assert found["period"]["days"] == 30


@pytest.mark.parametrize(("params", "message"), [
    ({"brand": "Acme", "since": "2026-11-01T12:00:00Z"}, "since must be a UTC day"),
    ({"brand": "Acme", "since": "2026-11-02", "until": "2026-11-01"},
     "must be before until"),
    ({"brand": "Acme", "since": "0001-01-01"}, "since must be between"),
    ({"brand": "Acme", "until": "0001-01-01"}, "until must leave the 30 days before it"),
])
def test_a_period_that_is_not_whole_days_is_refused(client: TestClient, params: dict[str, str],
                                                    message: str) -> None:
    response = client.get("/overview", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_compare_refuses_no_brand_and_too_many(client: TestClient) -> None:
    assert client.get("/overview/compare", params={"brands": " , "}).status_code == 400
    many = ",".join(f"b{n}" for n in range(11))
    assert "at most 10" in client.get("/overview/compare",
                                      params={"brands": many}).json()["error"]["message"]


def test_the_default_period_is_the_last_30_days_today_included() -> None:
    period = period_of(None, None, today=datetime(2026, 12, 3, 16, 20, tzinfo=UTC))
    assert (period.since, period.until) == (datetime(2026, 11, 4, tzinfo=UTC),
                                            datetime(2026, 12, 4, tzinfo=UTC))
    assert period.previous_since == datetime(2026, 10, 5, tzinfo=UTC)


def test_a_comparison_counts_once_in_each_brands_nps(tmp_path: Path) -> None:
    db = tmp_path / "mentions.db"
    versus = _mention(13, 9, "positive").with_(brands=("Acme", "Zephyr"))
    with SqliteStore(db) as store:
        store.upsert([*MENTIONS, versus])
    with TestClient(create_app(Settings(db=db, auth=False))) as c:
        acme = c.get("/overview", params=NOVEMBER).json()["nps"]["all"]
        zephyr = c.get("/overview", params={**NOVEMBER, "brand": "zephyr"}).json()["nps"]["all"]
    # Acme had 6 in November, Zephyr 1: the comparison adds one promoter to each.
    assert (acme["total"], acme["promoters"]) == (7, 3)
    assert (zephyr["total"], zephyr["promoters"]) == (2, 1)


def test_rising_terms_are_what_the_period_says_that_the_period_before_did_not(
        tmp_path: Path) -> None:
    db = tmp_path / "mentions.db"
    said = [_mention(20 + n, 10 + n, "negative").with_(text=text) for n, text in enumerate((
        "The strap broke after a week.", "Strap snapped, Acme.", "Another broken strap!",
        "The battery lasts long."))]
    before = [_mention(30 + n, 10 + n, "positive", month=10).with_(text=text)
              for n, text in enumerate(("The battery lasts long.", "Battery is fine.",
                                        "Good battery and strap."))]
    with SqliteStore(db) as store:
        store.upsert([*said, *before])
    with TestClient(create_app(Settings(db=db, auth=False))) as c:
        found = c.get("/overview", params=NOVEMBER).json()
        rising = {t["term"]: (t["count"], t["previous"]) for t in found["rising"]}
        assert rising == {"strap": (3, 1)}  # "battery" was said as much before
        assert _found(c, found["rising"][0]["query"]) == 3


def test_ai_answers_count_under_the_source_type_their_runs_are_recorded_as(
        tmp_path: Path) -> None:
    # An answer's source is its engine and model; its crawl run is the `ai_answers` source.
    db = tmp_path / "mentions.db"
    answers = [_mention(40 + n, 5 + n, "positive", kind="ai_answer").with_(
        source="assistant:gpt-x") for n in range(3)]
    with SqliteStore(db) as store:
        store.upsert([*MENTIONS, *answers])
    record_run(db, SourceRun("ai_answers", ["https://assistant.example/v1"],
                             "2026-11-30T09:00:00+00:00", "2026-11-30T09:01:00+00:00",
                             3, 3, 3, 0, 0, 0, "finished"))
    with TestClient(create_app(Settings(db=db, auth=False))) as c:
        coverage = c.get("/overview", params=NOVEMBER).json()["coverage"]
        rows = {row["source"]: (row["mentions"], row["trouble"]) for row in coverage}
        assert rows == {"ai_answers": (3, None), "schemaorg": (6, None)}
        ai = next(row for row in coverage if row["source"] == "ai_answers")
        assert _found(c, ai["query"]) == 3
