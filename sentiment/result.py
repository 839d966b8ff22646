"""The sentiment result type and the rule that turns class probabilities into one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LABELS",
    "TWO_CLASS_NEUTRAL_MARGIN",
    "Label",
    "SentimentResult",
    "empty_result",
    "from_probabilities",
]

Label = Literal["positive", "neutral", "negative"]

# Canonical class order used by every probability vector in this package.
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")

# A model without a neutral class calls a text neutral when p(pos) and p(neg) are
# this close (|p(pos) - p(neg)| below the margin, i.e. neither side reaches 0.6).
TWO_CLASS_NEUTRAL_MARGIN = 0.2


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """Sentiment of one text.

    ``score`` is p(positive) - p(negative) in -1..1; ``confidence`` is the probability
    of the chosen label (0 when nothing was scored, e.g. an empty text).
    """

    label: Label
    score: float
    confidence: float
    model: str


def from_probabilities(
    probabilities: tuple[float, float, float], *, model: str, has_neutral: bool
) -> SentimentResult:
    """Build a result from (p_negative, p_neutral, p_positive).

    Without a neutral class (``has_neutral`` False) a small margin between positive
    and negative means neutral, with confidence ``1 - |score|``.
    """
    p_neg, _, p_pos = probabilities
    score = min(1.0, max(-1.0, p_pos - p_neg))
    if not has_neutral and abs(score) < TWO_CLASS_NEUTRAL_MARGIN:
        return SentimentResult("neutral", score, 1.0 - abs(score), model)
    index = max(range(3), key=lambda i: probabilities[i])
    confidence = min(1.0, max(0.0, probabilities[index]))
    return SentimentResult(LABELS[index], score, confidence, model)


def empty_result(model: str) -> SentimentResult:
    """The result for a text with nothing to score (empty or whitespace only)."""
    return SentimentResult("neutral", 0.0, 0.0, model)
