"""Text to sentiment with a real transformer, fully offline.

>>> from sentiment import load_scorer
>>> scorer = load_scorer()                      # e5-small + the committed head
>>> scorer.score_batch(["Absolutely love it!"])[0].label
'positive'

Any local or cached ``AutoModelForSequenceClassification`` works too:
``load_scorer("path/to/checkpoint")``. Heavy imports (torch, transformers) happen only
when a scorer is loaded.
"""

from __future__ import annotations

import os

# torch's OpenMP (libgomp) keeps idle threads spinning; when other processes share the
# cores, a spinning thread takes the time its sibling needs and a 2-thread forward pass ran
# 3-7x slower (docs/BENCHMARKS.md). libgomp reads this once, when torch loads, which is
# after this package is imported; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from sentiment.errors import ModelLoadError, SentimentError
from sentiment.loader import DEFAULT_MODEL, load_scorer
from sentiment.result import Label, SentimentResult
from sentiment.scorer import Scorer

__all__ = [
    "DEFAULT_MODEL",
    "Label",
    "ModelLoadError",
    "Scorer",
    "SentimentError",
    "SentimentResult",
    "load_scorer",
]
