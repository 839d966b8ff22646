"""A review's overall sentiment from its star rating and its text together.

The reviewer's own rating says how they felt; the text model only guesses. So the rating
decides, by bands on its normalized value (0..1, any scale; see `rating_label`), except in
the middle band, where a clearly one-sided text (the model says positive or negative with
at least `ONE_SIDED_CONFIDENCE`) decides instead:

    1-2 of 5          negative, however polite the text
    3 of 5            neutral, unless the text is clearly one-sided
    4-5 of 5          positive, however much the text complains

The text model's own result is kept beside the overall one by the caller (the record's
`text_sentiment`), so a 5-star review that complains stays findable.

`python -m sentiment.rating` chooses `ONE_SIDED_CONFIDENCE` for the configured model on the
validation slice of the training side (never the held-out side, never the demo) and prints
the figures as JSON; see docs/SENTIMENT.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from sentiment.result import Label, SentimentResult

__all__ = [
    "NEGATIVE_AT_MOST",
    "ONE_SIDED_CONFIDENCE",
    "ONE_SIDED_PRECISION",
    "POSITIVE_ABOVE",
    "balanced_precision",
    "choose_threshold",
    "combine",
    "rating_label",
]

# Bands on the normalized rating, (value - worst) / (best - worst). On the usual 1..5 scale
# 1, 2 and 2.5 stars are negative, 3 neutral, 3.5 to 5 positive; on 10 points (1..10 or
# 0..10) 4 and below are negative, 5 and 6 neutral, 7 and up positive; a percentage (0..100)
# is negative up to 40, neutral to 60 (3 of 5 stars shown as 60%), positive above.
NEGATIVE_AT_MOST = 0.4
POSITIVE_ABOVE = 0.6

#: The text model's confidence at or above which a middle-band (3 of 5) review takes the
#: text's positive or negative label. Chosen by `python -m sentiment.rating` for the
#: committed model (docs/SENTIMENT.md has the run); choose again when the model changes.
ONE_SIDED_CONFIDENCE = 0.9
#: What "clearly one-sided" must mean on labelled review sentences: of those the model
#: calls positive or negative at the threshold or above, this share or more carry that
#: label by their human raters (not neutral, not the opposite), with the human-neutral
#: sentences weighted to half of the set: a 3-star review's text is lukewarm far more often
#: than the mostly one-sided sentences of the data, so their natural mix (9% neutral) would
#: let almost any threshold pass.
ONE_SIDED_PRECISION = 0.8
_GRID = tuple(round(0.5 + 0.05 * step, 2) for step in range(10))  # 0.5, 0.55, .. 0.95
_SUFFIX = "+rating"


def rating_label(normalized: float) -> Label:
    """The label a normalized rating (0..1) stands for; ValueError outside 0..1."""
    if not 0.0 <= normalized <= 1.0:
        raise ValueError(f"a normalized rating must be within 0..1, got {normalized!r}")
    # Rounded: 0.6 from 3/5 and from 60/100 must land in the same band as the literal.
    value = round(normalized, 6)
    if value <= NEGATIVE_AT_MOST:
        return "negative"
    if value > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


def combine(text: SentimentResult, rating_normalized: float | None) -> SentimentResult:
    """The overall sentiment of a mention from its text's result and its rating, if any.

    Without a rating it is the text's result. With one, the model name gains "+rating";
    when the rating decides, the score is the rating on -1..1 and the confidence 1 (the
    reviewer said so); when a one-sided text decides a middle-band rating, the text's
    score and confidence are kept."""
    if rating_normalized is None:
        return text
    label = rating_label(rating_normalized)
    model = text.model + _SUFFIX
    if label == "neutral" and _one_sided(text):
        return SentimentResult(text.label, text.score, text.confidence, model)
    return SentimentResult(label, round(2 * rating_normalized - 1, 6), 1.0, model)


def _one_sided(text: SentimentResult, threshold: float = ONE_SIDED_CONFIDENCE) -> bool:
    return text.label != "neutral" and text.confidence >= threshold


def balanced_precision(results: Sequence[SentimentResult], truth: Sequence[Label],
                       threshold: float) -> float | None:
    """Of the texts called one-sided at `threshold`, the share whose `truth` is that label,
    counting each human-neutral text as many times as makes the neutral ones half of all;
    None when none is called one-sided or `truth` has no neutral or no other text."""
    neutral = sum(t == "neutral" for t in truth)
    if not 0 < neutral < len(truth):
        return None
    weight = (len(truth) - neutral) / neutral
    right = wrong = 0.0
    for result, true in zip(results, truth, strict=True):
        if _one_sided(result, threshold):
            if result.label == true:
                right += 1
            else:
                wrong += weight if true == "neutral" else 1
    return right / (right + wrong) if right + wrong else None


def choose_threshold(
    results: Sequence[SentimentResult], truth: Sequence[Label],
    precision: float = ONE_SIDED_PRECISION,
) -> float | None:
    """The lowest confidence of the grid (0.5, 0.55, .. 0.95) whose `balanced_precision`
    reaches `precision`; None when no grid value gets there."""
    for threshold in _GRID:
        reached = balanced_precision(results, truth, threshold)
        if reached is not None and reached >= precision:
            return threshold
    return None


def _calibration_report() -> dict[str, object]:
    """Score the validation slice's review sentences (VADER Amazon and movie snippets with
    `sha256 % 100` in 20..29) and choose the threshold on them."""
    from sentiment import load_scorer
    from sentiment.cache import cache_root
    from sentiment.datasets import VADER, deduplicate, fetch_sdist, in_test_split, vader_examples
    from sentiment.splits import TEST_PERCENT, VALIDATION_PERCENT

    vader = vader_examples(fetch_sdist(VADER, cache_root() / "datasets").read_bytes())
    examples = [
        ex for ex in deduplicate(vader)
        if ex.source in ("vader-amazon", "vader-movies")
        and in_test_split(ex.text, VALIDATION_PERCENT) and not in_test_split(ex.text, TEST_PERCENT)
    ]
    scorer = load_scorer()
    results = scorer.score_batch([ex.text for ex in examples])
    truth: list[Label] = [ex.label for ex in examples]
    neutral = [r for r, t in zip(results, truth, strict=True) if t == "neutral"]
    per_threshold = {}
    for threshold in _GRID:
        called = [(r.label, t) for r, t in zip(results, truth, strict=True)
                  if _one_sided(r, threshold)]
        per_threshold[str(threshold)] = {
            "one_sided": len(called),
            "precision": round(sum(a == t for a, t in called) / len(called), 4) if called else None,
            "balanced_precision": round(balanced_precision(results, truth, threshold) or 0, 4),
            "human_neutral_kept_neutral": round(
                sum(not _one_sided(r, threshold) for r in neutral) / len(neutral), 4),
        }
    return {
        "model": scorer.name,
        "texts": len(examples),
        "human_neutral": len(neutral),
        "precision_wanted": ONE_SIDED_PRECISION,
        "chosen": choose_threshold(results, truth),
        "per_threshold": per_threshold,
    }


if __name__ == "__main__":
    json.dump(_calibration_report(), sys.stdout, indent=2)
    print()
