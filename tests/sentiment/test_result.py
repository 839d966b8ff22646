from __future__ import annotations

import dataclasses

import pytest

from sentiment.result import SentimentResult, empty_result, from_probabilities


def test_three_class_result_takes_the_most_likely_label() -> None:
    result = from_probabilities((0.1, 0.2, 0.7), model="m", has_neutral=True)
    assert result == SentimentResult("positive", pytest.approx(0.6), 0.7, "m")
    assert from_probabilities((0.2, 0.5, 0.3), model="m", has_neutral=True).label == "neutral"


def test_two_class_model_is_neutral_only_when_undecided() -> None:
    close = from_probabilities((0.45, 0.0, 0.55), model="m", has_neutral=False)
    assert close.label == "neutral"
    assert close.confidence == pytest.approx(0.9)
    clear = from_probabilities((0.9, 0.0, 0.1), model="m", has_neutral=False)
    assert (clear.label, clear.confidence, clear.score) == ("negative", 0.9, pytest.approx(-0.8))


def test_empty_result_is_neutral_with_no_confidence() -> None:
    assert empty_result("m") == SentimentResult("neutral", 0.0, 0.0, "m")


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        empty_result("m").label = "positive"  # type: ignore[misc]
