from __future__ import annotations

import pytest

from sentiment.nps import nps_from_rating, nps_from_sentiment, nps_score


@pytest.mark.parametrize(
    ("value", "best", "expected"),
    [(10, 10, "promoter"), (9, 10, "promoter"), (8, 10, "passive"), (7, 10, "passive"),
     (6, 10, "detractor"), (0, 10, "detractor"), (5, 5, "promoter"), (4, 5, "passive"),
     (3, 5, "detractor"), (1, 5, "detractor"), (4.5, 5, "promoter"), (90, 100, "promoter"),
     (75, 100, "passive"), (69, 100, "detractor")],
)
def test_rating_classes(value: float, best: float, expected: str) -> None:
    assert nps_from_rating(value, best) == expected


def test_estimate_from_sentiment() -> None:
    assert [nps_from_sentiment(s) for s in ("positive", "neutral", "negative")] == [
        "promoter", "passive", "detractor"]


def test_nps_is_percent_promoters_minus_percent_detractors() -> None:
    assert nps_score(["promoter"] * 5 + ["passive"] * 3 + ["detractor"] * 2) == 30.0
    assert nps_score(["detractor"]) == -100.0
    assert nps_score([]) is None
