from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from crawlers.coverage import SourceRun, record_run

DAYS = {"since": "2026-10-01T00:00:00Z", "until": "2026-10-06T00:00:00Z"}


def test_daily_histogram_by_sentiment_with_empty_buckets(client: TestClient) -> None:
    body = client.get("/analytics/histogram", params={**DAYS, "brand": "Acme",
                                                      "until": "2026-10-08T00:00:00Z"}).json()
    assert [(b["start"][:10], b["count"], b["positive"], b["negative"]) for b in body] == [
        ("2026-10-01", 1, 1, 0), ("2026-10-02", 1, 0, 1), ("2026-10-03", 1, 1, 0),
        ("2026-10-04", 1, 1, 0), ("2026-10-05", 0, 0, 0), ("2026-10-06", 0, 0, 0),
        ("2026-10-07", 0, 0, 0)]


def test_histogram_checks_its_window_and_time_zone(client: TestClient) -> None:
    reversed_window = {"since": DAYS["until"], "until": DAYS["since"]}
    assert client.get("/analytics/histogram", params=reversed_window).status_code == 400
    bad_tz = client.get("/analytics/histogram", params={**DAYS, "tz": "Mars/Olympus"})
    assert bad_tz.status_code == 400
    assert "Mars/Olympus" in bad_tz.json()["error"]["message"]
    too_many = client.get("/analytics/histogram",
                          params={**DAYS, "since": "2000-01-01T00:00:00Z", "interval": "hour"})
    assert too_many.status_code == 400


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
