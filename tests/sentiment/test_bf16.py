"""The bfloat16 fast path gives the float32 reference's labels on real mentions."""

# Real Chinese text uses fullwidth punctuation on purpose.

from __future__ import annotations

import numpy as np
import pytest

from sentiment.head_scorer import E5HeadScorer
from sentiment.inference import has_fast_bf16

MENTIONS = [
    "Absolutely love this phone, the battery lasts two days, highly recommend!",
    "Terrible. It broke after a week and support never answered.",
    "The delivery was late, the box was crushed and two of the glasses were broken.",
    "I have used this blender every morning for a year; it is quiet, easy to clean, "
    "and still crushes ice like the first day. Worth every cent.",
    "Acme released version 2.1 of the app on Tuesday.",
    "电池很耐用，非常满意，强烈推荐",
    "質量太差了，用了兩天就壞了，非常失望",
    # Over 510 tokens: two windows, combined after the forward pass.
    " ".join(["The screen is bright but the camera is slow in low light."] * 60),
]


def test_bf16_is_on_by_default_exactly_when_the_cpu_has_it(
    default_scorer: E5HeadScorer,
) -> None:
    assert default_scorer.encoder.bf16 == has_fast_bf16()


def test_bf16_gives_the_float32_labels_and_nearly_the_same_embeddings(
    default_scorer: E5HeadScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = default_scorer.encoder
    monkeypatch.setattr(encoder, "bf16", False)
    reference = default_scorer.score_batch(MENTIONS)
    reference_embeddings = encoder.embed(MENTIONS)
    monkeypatch.setattr(encoder, "bf16", True)
    fast = default_scorer.score_batch(MENTIONS)
    fast_embeddings = encoder.embed(MENTIONS)

    assert [r.label for r in fast] == [r.label for r in reference]
    np.testing.assert_allclose([r.score for r in fast], [r.score for r in reference], atol=0.01)
    cosines = (fast_embeddings * reference_embeddings).sum(axis=1)
    assert cosines.min() > 0.9999
    assert not np.array_equal(fast_embeddings, reference_embeddings)  # it did run in bf16
