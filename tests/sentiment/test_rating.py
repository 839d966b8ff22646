"""The rule that combines a review's rating with its text's sentiment (sentiment/rating.py)."""

from __future__ import annotations

import pytest

from index.record import Rating
from sentiment.rating import ONE_SIDED_CONFIDENCE, combine, rating_label
from sentiment.result import Label, SentimentResult
from sentiment.train.rating import balanced_precision, choose_threshold

POLITE = SentimentResult("positive", 0.9, 0.95, "m")
COMPLAINT = SentimentResult("negative", -0.9, 0.95, "m")
LUKEWARM = SentimentResult("positive", 0.3, ONE_SIDED_CONFIDENCE - 0.01, "m")


def _normalized(value: float, best: float, worst: float) -> float:
    return Rating(value, best, worst).normalized


@pytest.mark.parametrize(
    ("scale", "values", "label"),
    [
        # 1..5 stars, with half stars: 2.5 leans negative, 3.5 positive
        ((5, 1), (1, 1.5, 2, 2.5), "negative"),
        ((5, 1), (3,), "neutral"),
        ((5, 1), (3.5, 4, 4.5, 5), "positive"),
        # 0..5 (a 3 of 5 is 0.6, still neutral; 2 of 5 is 0.4, still negative)
        ((5, 0), (1, 2), "negative"),
        ((5, 0), (2.5, 3), "neutral"),
        ((5, 0), (3.5, 4, 5), "positive"),
        # 10 points from 1 or from 0: the same bands (a 6/10 from 1 is 0.56)
        ((10, 1), (1, 2, 3, 4), "negative"),
        ((10, 1), (5, 6), "neutral"),
        ((10, 1), (7, 8, 9, 10), "positive"),
        ((10, 0), (0, 2, 4), "negative"),
        ((10, 0), (5, 6), "neutral"),
        ((10, 0), (7, 8, 10), "positive"),
        # percentages
        ((100, 0), (0, 20, 40), "negative"),
        ((100, 0), (41, 50, 60), "neutral"),
        ((100, 0), (61, 80, 100), "positive"),
    ],
)
def test_each_scale_falls_in_the_bands_of_five_stars(
    scale: tuple[float, float], values: tuple[float, ...], label: Label
) -> None:
    best, worst = scale
    assert {rating_label(_normalized(v, best, worst)) for v in values} == {label}


def test_a_rating_outside_0_to_1_is_refused_with_its_value() -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1, got 1\.2"):
        rating_label(1.2)


def test_without_a_rating_the_text_decides() -> None:
    assert combine(POLITE, None) is POLITE


def test_a_low_rating_is_negative_however_polite_the_text() -> None:
    overall = combine(POLITE, _normalized(2, 5, 1))
    assert overall == SentimentResult("negative", -0.5, 1.0, "m+rating")


def test_a_high_rating_is_positive_however_much_the_text_complains() -> None:
    assert combine(COMPLAINT, _normalized(5, 5, 1)) == SentimentResult(
        "positive", 1.0, 1.0, "m+rating")
    assert combine(COMPLAINT, _normalized(9, 10, 1)).label == "positive"


def test_a_middle_rating_is_neutral_unless_the_text_is_clearly_one_sided() -> None:
    three = _normalized(3, 5, 1)
    assert combine(LUKEWARM, three) == SentimentResult("neutral", 0.0, 1.0, "m+rating")
    assert combine(SentimentResult("neutral", 0.1, 0.99, "m"), three).label == "neutral"
    # Clearly one-sided: the text's own label, score and confidence.
    assert combine(COMPLAINT, three) == SentimentResult("negative", -0.9, 0.95, "m+rating")
    assert combine(POLITE, _normalized(6, 10, 1)).label == "positive"


def _results(*pairs: tuple[Label, float]) -> list[SentimentResult]:
    return [SentimentResult(label, 0.0, confidence, "m") for label, confidence in pairs]


def test_balanced_precision_weighs_the_neutral_texts_to_half() -> None:
    # 4 one-sided texts and 1 neutral: the neutral one counts 4 times.
    results = _results(("positive", 0.9), ("negative", 0.9), ("positive", 0.9),
                       ("positive", 0.6), ("positive", 0.9))
    truth: list[Label] = ["positive", "negative", "positive", "positive", "neutral"]
    assert balanced_precision(results, truth, 0.85) == 3 / (3 + 4)
    assert balanced_precision(results, truth, 0.95) is None  # nothing called one-sided


def test_the_threshold_is_the_lowest_that_keeps_lukewarm_texts_neutral() -> None:
    # The lukewarm texts reach 0.7; above that only the truly one-sided ones are called.
    results = _results(("positive", 0.7), ("negative", 0.7), ("positive", 0.9),
                       ("negative", 0.9), ("positive", 0.8))
    truth: list[Label] = ["neutral", "neutral", "positive", "negative", "positive"]
    assert choose_threshold(results, truth) == 0.75
    assert choose_threshold(_results(("positive", 0.99)), ["neutral"]) is None
