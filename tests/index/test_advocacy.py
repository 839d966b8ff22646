"""One meaning of "an advocate turned negative" (`index.advocacy`), which the alert rule
and the inbox both use."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from index.advocacy import (
    Turned,
    earlier_query,
    is_advocate_mention,
    is_negative,
    turned_negative,
)
from index.query import And, Field
from index.record import Advocate, Author, Mention, Rating, Sentiment

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
_SCORES = {"positive": 0.8, "neutral": 0.0, "negative": -0.6}


def _mention(native: str, days_ago: float, label: str = "negative", *, name: str = "Bo",
             handle: str | None = None, site: str = "shop.example",
             rating: Rating | None = None, advocate: float | None = None,
             persona: str | None = "validator") -> Mention:
    return Mention.create(
        source="schemaorg", native_id=native, kind="review", url=f"https://{site}/{native}",
        text=f"Acme review {native}", author=Author(name, handle=handle), brand="Acme",
        published_at=NOW - timedelta(days=days_ago), rating=rating,
        sentiment=Sentiment(label, _SCORES[label], 0.9, "test"),  # type: ignore[arg-type]
        advocate=None if advocate is None else Advocate(advocate, persona))  # type: ignore[arg-type]


def _praise(native: str, days_ago: float, **fields: object) -> Mention:
    return _mention(native, days_ago, "positive", advocate=0.8, **fields)  # type: ignore[arg-type]


def test_negative_is_the_label_or_one_or_two_stars_on_any_scale() -> None:
    assert is_negative(_mention("n", 0))
    assert is_negative(_mention("r", 0, "neutral", rating=Rating(2, 5, 1)))
    assert is_negative(_mention("t", 0, "positive", rating=Rating(2, 10, 0)))  # 1.8 stars
    assert not is_negative(_mention("m", 0, "neutral", rating=Rating(3, 10, 0)))  # 2.2 stars
    assert not is_negative(_mention("p", 0, "positive"))


def test_an_advocate_mention_scores_at_least_the_minimum_and_is_not_negative() -> None:
    assert is_advocate_mention(_praise("p", 1))
    assert not is_advocate_mention(_mention("positive_only", 1, "positive"))
    assert not is_advocate_mention(_mention("weak", 1, "positive", advocate=0.4))
    assert is_advocate_mention(_mention("weak", 1, "positive", advocate=0.4), min_score=0.3)
    assert not is_advocate_mention(_mention("angry", 1, advocate=0.9))
    assert not is_advocate_mention(_mention("low", 1, "positive", advocate=0.9,
                                            rating=Rating(1, 5, 1)))


def test_an_advocates_negative_mention_turned_with_what_they_were() -> None:
    earlier = [_praise("p1", 30, persona="educator"), _praise("p2", 10),
               _mention("neutral", 5, "neutral")]
    complaint = _mention("c", 0)
    assert turned_negative(complaint, [*earlier, complaint]) == Turned(2, 0.8, "validator")
    assert turned_negative(complaint, earlier, min_mentions=3) is None
    # Not negative, or undated: nothing to judge.
    assert turned_negative(_mention("fine", 0, "neutral"), earlier) is None
    assert turned_negative(replace(complaint, published_at=None), earlier) is None


def test_only_the_same_authors_advocacy_in_the_window_before_counts() -> None:
    complaint = _mention("c", 0, handle="@bo")
    assert turned_negative(complaint, [
        _praise("other_site", 10, handle="@bo", site="forum.example"),
        _praise("other_person", 10, name="Cy"),
        _praise("too_old", 91, handle="@bo"),
        _praise("after", -1, handle="@bo"),
    ]) is None
    # The handle says who it is, whatever name they go by.
    assert turned_negative(complaint, [_praise("renamed", 10, name="Bo B.", handle="@BO")]
                           ) == Turned(1, 0.8, "validator")
    assert turned_negative(complaint, [_praise("p", 100, handle="@bo")],
                           history_days=120) == Turned(1, 0.8, "validator")


def test_the_earlier_query_asks_one_author_in_the_window() -> None:
    complaint = _mention("c", 0, handle="@Bo")
    assert earlier_query(complaint, days=30) == And((
        Field("author", "=", "shop.example/bo"),
        Field("published", "..", (NOW - timedelta(days=30), NOW)),
    ))
