"""The Scorer protocol and :func:`score_texts`, which every model's scorer shares.

The model scorers (:mod:`sentiment.head_scorer`, :mod:`sentiment.classifier`) import this
module; :mod:`sentiment.loader` imports them, so nothing here imports back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from sentiment.result import SentimentResult, empty_result, from_probabilities

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Scorer", "score_texts"]

class Scorer(Protocol):
    """Anything that scores texts in batches; tests may inject a fake."""

    name: str

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in the same order."""
        ...


def score_texts(
    texts: Sequence[str],
    probabilities: Callable[[list[str]], np.ndarray],
    *,
    model: str,
    has_neutral: bool,
) -> list[SentimentResult]:
    """Results for ``texts``: blank ones are neutral with confidence 0 and never reach the
    model; the others go to ``probabilities`` in one call, which returns (n, 3) rows of
    p(negative), p(neutral), p(positive)."""
    present = [i for i, text in enumerate(texts) if text.strip()]
    results = [empty_result(model)] * len(texts)
    if present:
        rows = probabilities([texts[i] for i in present])
        for index, row in zip(present, rows, strict=True):
            p_neg, p_neu, p_pos = (float(p) for p in row)
            results[index] = from_probabilities(
                (p_neg, p_neu, p_pos), model=model, has_neutral=has_neutral
            )
    return results
