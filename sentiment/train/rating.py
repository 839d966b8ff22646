"""Choose the rating rule's `ONE_SIDED_CONFIDENCE` (:mod:`sentiment.rating`) for a model.

    python -m sentiment.train.rating

Scores the validation slice of the training side (never the held-out side, never the demo)
and prints, per threshold of the grid, how many texts the model calls one-sided and how
precisely, as JSON, with the lowest threshold that reaches `ONE_SIDED_PRECISION`; see
docs/SENTIMENT.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from sentiment.rating import one_sided
from sentiment.result import Label, SentimentResult

__all__ = ["ONE_SIDED_PRECISION", "balanced_precision", "choose_threshold"]

#: What "clearly one-sided" must mean on labelled review sentences: of those the model
#: calls positive or negative at the threshold or above, this share or more carry that
#: label by their human raters (not neutral, not the opposite), with the human-neutral
#: sentences weighted to half of the set: a 3-star review's text is lukewarm far more often
#: than the mostly one-sided sentences of the data, so their natural mix (9% neutral) would
#: let almost any threshold pass.
ONE_SIDED_PRECISION = 0.8
_GRID = tuple(round(0.5 + 0.05 * step, 2) for step in range(10))  # 0.5, 0.55, .. 0.95


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
        if one_sided(result, threshold):
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
    from sentiment.train.datasets import (
        VADER,
        deduplicate,
        fetch_sdist,
        in_test_split,
        vader_examples,
    )
    from sentiment.train.splits import TEST_PERCENT, VALIDATION_PERCENT

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
                  if one_sided(r, threshold)]
        per_threshold[str(threshold)] = {
            "one_sided": len(called),
            "precision": round(sum(a == t for a, t in called) / len(called), 4) if called else None,
            "balanced_precision": round(balanced_precision(results, truth, threshold) or 0, 4),
            "human_neutral_kept_neutral": round(
                sum(not one_sided(r, threshold) for r in neutral) / len(neutral), 4),
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
