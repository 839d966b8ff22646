"""Response metrics on a real SQLite store with known mentions and brand replies: each
figure against a hand count, each figure's query listing exactly the mentions it counts,
and the significance tests against worked examples."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.alerts.significance import rank_difference, share_difference
from api.app import create_app
from api.cli import main
from api.keys import KeyStore
from api.responses import nearest_rank
from api.settings import Settings
from index.record import Author, BrandReply, Mention, Rating, Sentiment
from index.sqlite import SqliteStore

WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]
"""
NOVEMBER = {"brand": "acme", "since": "2026-11-01", "until": "2026-12-01"}


def _mention(name: str, label: str, *, stars: int | None = None, source: str = "trustpilot",
             kind: str = "review", brand: str = "Acme", day: int = 10, month: int = 11,
             answered_after: timedelta | None = None, undated_reply: bool = False) -> Mention:
    published = datetime(2026, month, day, 9, tzinfo=UTC)
    replies = ()
    if answered_after is not None or undated_reply:
        at = published + answered_after if answered_after is not None else None
        replies = (BrandReply(f"Thank you, {name}", f"{brand} support", at),)
    return Mention.create(
        source=source, native_id=name, kind=kind,  # type: ignore[arg-type]
        url=f"https://{source}.example/{name}", text=f"Mention {name} about {brand}.",
        author=Author(name), published_at=published, brand=brand,
        rating=Rating(stars, 5, 1) if stars else None,
        sentiment=Sentiment(label, 0.0, 0.9, "test"),  # type: ignore[arg-type]
        brand_replies=replies)


HOURS = timedelta(hours=1)
MENTIONS = [
    # Acme on Trustpilot: 3 of 5 answered, after 2 h, 30 min and 3 days.
    _mention("a1", "negative", stars=1, answered_after=2 * HOURS),
    _mention("a2", "positive", stars=5, answered_after=HOURS / 2),
    _mention("a3", "negative", stars=2),
    _mention("a4", "negative", stars=1),
    _mention("a5", "neutral", stars=4, answered_after=72 * HOURS),
    # Google Play: one answered by an undated reply (answered, but not timed), one not.
    _mention("a6", "negative", stars=3, source="googleplay", undated_reply=True),
    _mention("a7", "positive", stars=5, source="googleplay"),
    # Reddit: a post left unanswered, a comment answered in 10 minutes, and an article,
    # which no one can answer.
    _mention("a8", "negative", source="reddit", kind="post"),
    _mention("a10", "positive", source="reddit", kind="comment", answered_after=HOURS / 6),
    _mention("a9", "negative", source="reddit", kind="article"),
    # Published in October: another period.
    _mention("a11", "negative", stars=1, month=10, answered_after=HOURS),
    # The competitor: one of two answered, after an hour.
    _mention("z1", "negative", stars=1, brand="Zephyr", answered_after=HOURS),
    _mention("z2", "positive", stars=5, brand="Zephyr"),
]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "mentions.db"
    with SqliteStore(path) as store:
        store.upsert(MENTIONS)
    (tmp_path / "mentionwatch.toml").write_text(WATCHLIST, encoding="utf-8")
    return path


@pytest.fixture()
def client(db: Path) -> Iterator[TestClient]:
    settings = Settings(db=db, watchlist=db.parent / "mentionwatch.toml", auth=False)
    with TestClient(create_app(settings)) as c:
        yield c


def _responses(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/responses", params={**NOVEMBER, **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_rate_times_and_unanswered_negatives_of_the_brand(client: TestClient) -> None:
    found = _responses(client)
    assert found["brand"] == "Acme"  # as the watchlist spells it
    assert found["kinds"] == ["review", "post", "comment"]
    acme = found["brands"][0]
    assert (acme["brand"], acme["competitor"]) == ("Acme", False)
    total = acme["total"]
    # a1-a8 and a10 can be answered (not the article a9, not October's a11); 5 were.
    assert (total["answerable"]["count"], total["answered"]["count"]) == (9, 5)
    assert total["rate"] == round(5 / 9, 4)
    # Timed: 10 min, 30 min, 2 h, 72 h (a6's reply is undated). Nearest ranks of four:
    # the median is the 2nd, the p90 the 4th.
    assert (total["timed"], total["median_seconds"], total["p90_seconds"]) == (4, 1800, 259200)
    assert total["unanswered_negative"]["count"] == 3  # a3, a4 and the post a8


def test_answered_and_unanswered_compared_by_rating_and_negative_share(
    client: TestClient,
) -> None:
    total = _responses(client)["brands"][0]["total"]
    answered, unanswered = total["answered"], total["unanswered"]
    # Answered: 1, 5, 4 and 3 stars; negative a1 and a6 of five.
    assert (answered["rated"], answered["mean_rating"]) == (4, 3.25)
    assert (answered["with_sentiment"], answered["negative"], answered["negative_share"]) \
        == (5, 2, 0.4)
    # Unanswered: 2, 1 and 5 stars (the post has none); negative a3, a4, a8 of four.
    assert (unanswered["rated"], unanswered["mean_rating"]) == (3, round(8 / 3, 2))
    assert (unanswered["negative"], unanswered["negative_share"]) == (3, 0.75)
    for test in (total["rating_test"], total["negative_test"]):
        assert test["p_value"] is None
        assert test["note"].startswith("too few to test")


def test_per_source_rows_and_the_competitor_benchmark(client: TestClient) -> None:
    acme, zephyr = _responses(client)["brands"]
    rows = {row["source"]: (row["answerable"]["count"], row["answered"]["count"],
                            row["median_seconds"], row["p90_seconds"])
            for row in acme["sources"]}
    assert rows == {"trustpilot": (5, 3, 7200, 259200), "googleplay": (2, 1, None, None),
                    "reddit": (2, 1, 600, 600)}
    assert [row["source"] for row in acme["sources"]] == ["trustpilot", "googleplay", "reddit"]
    assert (zephyr["brand"], zephyr["competitor"]) == ("Zephyr", True)
    assert (zephyr["total"]["rate"], zephyr["total"]["median_seconds"]) == (0.5, 3600)


def test_one_source_only(client: TestClient) -> None:
    acme = _responses(client, source="googleplay")["brands"][0]
    assert (acme["total"]["answerable"]["count"], acme["total"]["rate"]) == (2, 0.5)
    assert [row["source"] for row in acme["sources"]] == ["googleplay"]


def _queries(figures: dict[str, Any]) -> Iterator[tuple[str, int]]:
    yield figures["answerable"]["query"], figures["answerable"]["count"]
    yield figures["unanswered_negative"]["query"], figures["unanswered_negative"]["count"]
    for side in ("answered", "unanswered"):
        yield figures[side]["query"], figures[side]["count"]


def test_each_figures_query_lists_the_mentions_it_counts(client: TestClient) -> None:
    checked = []
    for brand in _responses(client)["brands"]:
        for figures in [brand["total"], *brand["sources"]]:
            for query, count in _queries(figures):
                response = client.get("/mentions", params={"q": query, "size": 1})
                checked.append((query, count, response.json()["total"]))
    assert len(checked) == 4 * (1 + 3 + 1 + 1)
    assert [row for row in checked if row[1] != row[2]] == []


def test_tests_run_once_each_side_is_large_enough(tmp_path: Path) -> None:
    happy = [_mention(f"h{n}", "positive", stars=5, brand="Bolt", answered_after=HOURS)
             for n in range(12)]
    angry = [_mention(f"x{n}", "negative" if n < 9 else "neutral", stars=1 + n % 2,
                      brand="Bolt") for n in range(12)]
    db = tmp_path / "mentions.db"
    with SqliteStore(db) as store:
        store.upsert(happy + angry)
    with TestClient(create_app(Settings(db=db, watchlist=tmp_path / "none.toml",
                                        auth=False))) as c:
        total = c.get("/responses", params={**NOVEMBER, "brand": "Bolt"}).json()[
            "brands"][0]["total"]
    ratings, negatives = total["rating_test"], total["negative_test"]
    assert ratings["p_value"] == round(rank_difference({1.0: 12}, {0.0: 6, 0.25: 6}) or 1, 4)
    assert ratings["significant"] is True
    # 0 of 12 negative against 9 of 12.
    assert negatives["p_value"] == round(share_difference(0, 12, 9, 12) or 1, 4)
    assert negatives["significant"] is True


def test_a_period_that_is_not_whole_days_is_refused(client: TestClient) -> None:
    response = client.get("/responses", params={**NOVEMBER, "since": "2026-11-01T12:00:00Z"})
    assert response.status_code == 400
    assert "since must be a UTC day" in response.json()["error"]["message"]


def test_a_viewer_key_may_read_them_and_no_key_may_not(db: Path) -> None:
    keys = KeyStore(db)
    viewer = keys.create("viewer", "test")
    keys.close()
    settings = Settings(db=db, watchlist=db.parent / "mentionwatch.toml", auth=True)
    with TestClient(create_app(settings)) as c:
        assert c.get("/responses", params=NOVEMBER).status_code == 401
        found = c.get("/responses", params=NOVEMBER, headers={"X-API-Key": viewer})
        assert found.status_code == 200


# --- the statistics, against worked examples -----------------------------------------------


def test_nearest_rank() -> None:
    waits = {60: 1, 120: 2, 600: 1}  # 60, 120, 120, 600
    assert nearest_rank(waits, 0.5) == 120
    assert nearest_rank(waits, 0.9) == 600
    assert nearest_rank({}, 0.5) is None


def _normal_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def test_mann_whitney_by_hand() -> None:
    # Ten 1s against ten 5s: ranks 1-10 (5.5 each) and 11-20 (15.5), U = 55 - 55 = 0 of a
    # mean 50; variance 100 / 12 * (21 - 2 * (10**3 - 10) / (20 * 19)).
    variance = 100 / 12 * (21 - 2 * 990 / 380)
    assert rank_difference({1.0: 10}, {5.0: 10}) == pytest.approx(
        _normal_p((50 - 0.5) / math.sqrt(variance)))
    assert rank_difference({3.0: 4}, {3.0: 7}) is None  # all the same: nothing to rank


def test_mann_whitney_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    first = {0.0: 7, 0.25: 3, 0.5: 5, 1.0: 2}
    second = {0.25: 4, 0.75: 6, 1.0: 9}
    expand = lambda counts: [v for v, n in counts.items() for _ in range(n)]  # noqa: E731
    expected = stats.mannwhitneyu(expand(first), expand(second), method="asymptotic").pvalue
    assert rank_difference(first, second) == pytest.approx(expected)


def test_two_proportions_by_hand() -> None:
    # 30 of 100 against 50 of 100: pooled 0.4, standard error sqrt(0.4 * 0.6 * 0.02).
    z = (0.3 - 0.5) / math.sqrt(0.4 * 0.6 * 0.02)
    assert share_difference(30, 100, 50, 100) == pytest.approx(_normal_p(z))
    assert share_difference(0, 10, 0, 12) is None


# --- the command line -----------------------------------------------------------------------


def test_cli_prints_a_table_and_json(db: Path) -> None:
    watchlist = str(db.parent / "mentionwatch.toml")
    args = ["responses", "--brand", "acme", "--since", "2026-11-01", "--until", "2026-12-01",
            "--db", str(db), "--watchlist", watchlist]
    table = CliRunner().invoke(main, args)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["brand", "source", "answerable", "answered", "rate", "median",
                                "p90", "unanswered_negative", "stars_answered/not",
                                "negative_answered/not"]
    assert lines[1].split() == ["Acme", "all", "9", "5", "56%", "30m", "3d", "3", "3.25/2.67",
                                "40%/75%"]
    assert lines[2].split() == ["Acme", "trustpilot", "5", "3", "60%", "2h", "3d", "2",
                                "3.33/1.50", "33%/100%"]
    assert lines[-3].split()[:6] == ["Zephyr", "all", "2", "1", "50%", "1h"]
    as_json = CliRunner().invoke(main, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert '"rate": 0.5556' in as_json.output


def test_cli_refuses_an_until_before_since(db: Path) -> None:
    found = CliRunner().invoke(main, ["responses", "--brand", "acme", "--since", "2026-12-01",
                                      "--until", "2026-11-01", "--db", str(db)])
    assert found.exit_code == 2
    assert "must be before until" in found.output
