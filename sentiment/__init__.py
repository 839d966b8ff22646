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

from sentiment.errors import ModelLoadError, SentimentError
from sentiment.result import Label, SentimentResult
from sentiment.scorer import DEFAULT_MODEL, Scorer, load_scorer

__all__ = [
    "DEFAULT_MODEL",
    "Label",
    "ModelLoadError",
    "Scorer",
    "SentimentError",
    "SentimentResult",
    "load_scorer",
]
