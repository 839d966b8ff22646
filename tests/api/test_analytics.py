from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.analytics import TimeBucketOut
from crawlers.coverage import SourceRun, record_run
from index.record import Aspect, Author, Mention
from index.sqlite import SqliteStore

DAYS = {"since": "2026-10-01T00:00:00Z", "until": "2026-10-06T00:00:00Z"}


def test_daily_histogram_by_sentiment_with_empty_buckets(client: TestClient) -> None:
    body = client.get("/analytics/histogram", params={**DAYS, "brand": "Acme",
                                                      "until": "2026-10-08T00:00:00Z"}).json()
    assert [(b["start"][:10], b["count"], b["positive"], b["negative"]) for b in body] == [
        ("2026-10-01", 1, 1, 0), ("2026-10-02", 1, 0, 1), ("2026-10-03", 1, 1, 0),
        ("2026-10-04", 1, 1, 0), ("2026-10-05", 0, 0, 0), ("2026-10-06", 0, 0, 0),
        ("2026-10-07", 0, 0, 0)]


@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "Europe/Berlin", "Asia/Kolkata",
                                "America/St_Johns"])
def test_histogram_answers_the_json_of_its_response_model(client: TestClient, tz: str) -> None:
    # Written with orjson, not a model a bucket: the bytes must stay pydantic's, over a DST
    # change (2026-10-25 in Europe) and in zones of half an hour.
    params = {"since": "2026-10-01T00:00:00Z", "until": "2026-10-27T00:00:00Z", "tz": tz}
    model = TypeAdapter(list[TimeBucketOut])
    counted = []
    for interval in ("hour", "day"):
        answer = client.get("/analytics/histogram", params={**params, "interval": interval})
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == model.dump_json(model.validate_json(answer.content))
        counted.append(sum(b["count"] for b in answer.json()))
    assert counted[0] == counted[1] > 0


def test_histogram_checks_its_window_and_time_zone(client: TestClient) -> None:
    reversed_window = {"since": DAYS["until"], "until": DAYS["since"]}
    assert client.get("/analytics/histogram", params=reversed_window).status_code == 400
    bad_tz = client.get("/analytics/histogram", params={**DAYS, "tz": "Mars/Olympus"})
    assert bad_tz.status_code == 400
    assert "Mars/Olympus" in bad_tz.json()["error"]["message"]
    too_many = client.get("/analytics/histogram",
                          params={**DAYS, "since": "2000-01-01T00:00:00Z", "interval": "hour"})
    assert too_many.status_code == 400


def test_histogram_bounds_with_and_without_an_offset_mean_utc(client: TestClient) -> None:
    expected = client.get("/analytics/histogram", params=DAYS).json()
    assert sum(b["count"] for b in expected) == 5
    mixed = [{**DAYS, "until": "2026-10-06T00:00:00"}, {**DAYS, "since": "2026-10-01T00:00:00"},
             {**DAYS, "since": "2026-10-01"}, {**DAYS, "since": "1790812800"}]  # Unix seconds
    for params in mixed:
        answer = client.get("/analytics/histogram", params=params)
        assert (answer.status_code, answer.json()) == (200, expected), params


@pytest.mark.parametrize(("params", "named"), [
    ({"since": "0001-01-01T00:00:00", "until": "0001-01-02T00:00:00"}, "since"),
    ({"since": "0001-01-01T00:00:00", "until": "0001-01-08T00:00:00",
      "tz": "America/New_York"}, "since"),
    ({"since": "9999-12-30T00:00:00", "until": "9999-12-31T23:59:59"}, "since"),
    ({"since": "9999-12-20T00:00:00Z", "until": "9999-12-31T23:59:59Z", "interval": "week"},
     "until"),
    ({**DAYS, "tz": "A" * 300}, "tz"),
    ({**DAYS, "tz": "America"}, "tz"),  # a directory of zones, not a zone
    ({**DAYS, "tz": ""}, "tz"),
])
def test_histogram_refuses_windows_and_zones_it_cannot_count(
        client: TestClient, params: dict[str, str], named: str) -> None:
    answer = client.get("/analytics/histogram", params=params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "http_error" and error["position"] is None
    assert error["message"].startswith(f"{named}")


@pytest.mark.parametrize("route", ["/mentions", "/mentions/export", "/analytics/histogram",
                                   "/analytics/top/lang", "/analytics/significant-terms",
                                   "/analytics/share-of-voice"])
def test_a_day_with_no_day_after_is_a_query_error_on_every_query_route(
        client: TestClient, route: str) -> None:
    params = {**DAYS, "baseline_since": "2026-09-01T00:00:00Z", "q": "published:9999-12-31"}
    answer = client.get(route, params=params)
    assert answer.status_code == 400
    assert answer.json() == {"error": {
        "type": "query_error", "position": 10,
        "message": "position 10: expected an end date before 9999-12-31 after 'published:', "
                   "found '9999-12-31'"}}


@pytest.mark.parametrize("route", ["/mentions", "/analytics/top/lang",
                                   "/analytics/share-of-voice"])
def test_a_moment_outside_datetimes_years_in_utc_is_a_422_naming_it(
        client: TestClient, route: str) -> None:
    answer = client.get(route, params={"until": "9999-12-31T23:00:00-14:00"})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == (
        "until: Value error, 9999-12-31T23:00:00-14:00 is before year 1 or after year 9999 in UTC")
    assert client.get(route, params={"until": "9999-12-31T23:00:00"}).status_code == 200


def test_top_values_and_share_of_voice(client: TestClient) -> None:
    langs = client.get("/analytics/top/lang").json()
    assert langs[0] == {"key": "en", "count": 3, "background": None, "score": None,
                        "label": None}
    authors = client.get("/analytics/top/author", params={"q": "zephyr"}).json()
    assert authors == [{"key": "author 5", "count": 1, "background": None, "score": None,
                        "label": "author 5"}]
    share = client.get("/analytics/share-of-voice").json()
    assert share == [{"brand": "Acme", "key": "acme", "count": 4, "share": 0.8},
                     {"brand": "Zephyr", "key": "zephyr", "count": 1, "share": 0.2}]
    assert client.get("/analytics/top/colour").status_code == 422


def test_sources_lists_crawl_coverage(client: TestClient, db: Path) -> None:
    assert client.get("/sources").json() == []
    record_run(db, SourceRun("feed", ["https://news.example/feed.xml"], "2026-11-01T00:00:00",
                             "2026-11-01T00:01:00", 3, 8, 5, 3, 1, 0, "finished"))
    [run] = client.get("/sources").json()
    assert (run["source"], run["pages"], run["found"], run["new"], run["errors"]) == (
        "feed", 3, 8, 5, 1)


def _aspect_mention(day: int, n: int, brand: str, *aspects: tuple[str, str]) -> Mention:
    return Mention.create(
        source="reddit", native_id=f"a{day}-{n}", kind="post", url=f"https://r.example/{day}/{n}",
        text=f"post {day}-{n}", author=Author("someone"), brand=brand,
        published_at=datetime(2026, 11, day, 12, tzinfo=UTC),
        aspects=tuple(Aspect(name, polarity) for name, polarity in aspects),  # type: ignore[arg-type]
    )


def test_aspects_count_each_aspect_its_negative_share_and_change_against_the_period_before(
        client: TestClient, db: Path) -> None:
    with SqliteStore(db) as store:
        store.upsert([
            # 2026-11-01..03, the period before: charging negative once.
            _aspect_mention(1, 1, "Acme", ("charging", "negative"), ("price", "positive")),
            _aspect_mention(2, 1, "Acme", ("charging", "positive")),
            # 2026-11-04..06: charging negative three times, price once.
            *(_aspect_mention(4, n, "Acme", ("charging", "negative")) for n in range(3)),
            _aspect_mention(5, 1, "Acme", ("charging", "neutral"), ("screen", "positive")),
            _aspect_mention(6, 1, "Zephyr", ("charging", "negative")),
        ])
    params = {"brand": "acme", "since": "2026-11-04T00:00:00Z", "until": "2026-11-07T00:00:00Z"}
    body = client.get("/analytics/aspects", params=params).json()
    assert body == [
        {"aspect": "charging", "count": 4, "positive": 0, "neutral": 1, "negative": 3,
         "negative_share": 0.75, "previous_count": 2, "previous_negative": 1, "change": 1.0,
         "negative_change": 2.0},
        {"aspect": "screen", "count": 1, "positive": 1, "neutral": 0, "negative": 0,
         "negative_share": 0.0, "previous_count": 0, "previous_negative": 0, "change": None,
         "negative_change": None},
    ]
    # q picks the mentions; every aspect they name is counted.
    screened = client.get("/analytics/aspects", params={**params, "q": "aspect:screen"}).json()
    assert [(row["aspect"], row["count"]) for row in screened] == [("charging", 1), ("screen", 1)]
    reversed_window = {**params, "since": params["until"], "until": params["since"]}
    assert client.get("/analytics/aspects", params=reversed_window).status_code == 400
    client.headers.pop("X-API-Key")
    assert client.get("/analytics/aspects", params=params).status_code == 401


def test_aspects_of_a_period_reaching_back_past_the_first_day_compare_from_that_day(
        client: TestClient) -> None:
    params = {"since": "1000-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"}
    answer = client.get("/analytics/aspects", params=params)
    assert (answer.status_code, answer.json()) == (200, [])


def test_a_comparison_counts_for_each_brand_it_names_in_share_of_voice_and_exports(
        client: TestClient, db: Path) -> None:
    with SqliteStore(db) as store:
        store.upsert([Mention.create(
            source="feed", native_id="versus", kind="article", url="https://news.example/vs",
            text="Acme X1 or the Zephyr Z? We tried both.", author=Author("Ed"),
            brands=("Acme", "Zephyr"), published_at=datetime(2026, 10, 5, tzinfo=UTC))])
    share = client.get("/analytics/share-of-voice").json()
    assert share == [{"brand": "Acme", "key": "acme", "count": 5, "share": 0.7143},
                     {"brand": "Zephyr", "key": "zephyr", "count": 2, "share": 0.2857}]
    exported = client.get("/mentions/export", params={"brand": "zephyr", "format": "csv"}).text
    assert [row["brands"] for row in csv.DictReader(io.StringIO(exported))] == [
        "Acme | Zephyr", "Zephyr"]
