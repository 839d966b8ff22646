"""``mentionwatch bench sentiment``: scoring speed and peak memory of a scorer.

The texts are built here (no download): 40-word review-like texts drawn with a fixed seed
from a small English vocabulary, so every run scores the same inputs.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Sequence

from sentiment.scorer import Scorer

__all__ = ["BENCH_SEED", "bench_scorer", "bench_texts"]

BENCH_SEED = 7
_WORDS = (
    "the", "battery", "lasts", "two", "days", "and", "screen", "is", "bright", "but", "camera",
    "slow", "in", "low", "light", "I", "would", "buy", "it", "again", "because", "support",
    "answered", "quickly", "shipping", "was", "fast", "overall", "price", "fair", "sound",
    "quality", "great", "app", "crashes", "sometimes", "after", "update", "delivery", "late",
    "box", "damaged", "refund", "easy",
)


def bench_texts(count: int, words: int = 40, seed: int = BENCH_SEED) -> list[str]:
    """``count`` texts of ``words`` words each, the same for the same arguments."""
    if count < 1 or words < 1:
        raise ValueError(f"count and words must be positive, got {count} and {words}")
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(words)) for _ in range(count)]


def bench_scorer(scorer: Scorer, texts: Sequence[str], *, warmup: int = 32) -> dict[str, object]:
    """Texts per second of one ``score_batch`` call over ``texts`` (after a warm-up call on
    the first ``warmup`` texts) and the process's peak resident memory."""
    scorer.score_batch(list(texts[:warmup]))
    started = time.perf_counter()
    scorer.score_batch(list(texts))
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "model": scorer.name,
        "texts": len(texts),
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(texts) / seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
