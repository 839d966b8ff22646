"""Sentiment and advocacy persona of texts together, from one encoder pass where the models
allow: when the scorer's e5 encoder is the one the persona head was fitted over (the same
adapter merged in, or none), each text is embedded once and both heads read the vector.

    enricher = load_enricher()   # the scorer, and the persona head on its encoder if it fits
    [(sentiment, persona)] = enricher.analyse(["I recommend it, five stars."])

A scorer on another encoder (another adapter, a classifier checkpoint) cannot share: the
persona head then embeds with an encoder of its own, a second pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from sentiment.loader import load_scorer
from sentiment.persona import (
    HeadPersonaClassifier,
    PersonaClassifier,
    PersonaResult,
    load_persona_classifier,
    load_persona_head,
    persona_adapter_sha256,
)
from sentiment.result import SentimentResult
from sentiment.scorer import Scorer

if TYPE_CHECKING:
    from sentiment.encoder import E5Encoder

__all__ = ["Analysis", "Enricher", "load_enricher"]

Analysis = tuple[SentimentResult, PersonaResult]
_BLANK = PersonaResult("none", {}, ())


@runtime_checkable
class _EmbeddingScorer(Protocol):
    """A scorer that can score embeddings made by its `encoder` (the default one)."""

    encoder: E5Encoder

    def score_embedded(self, texts: Sequence[str],
                       embeddings: np.ndarray) -> list[SentimentResult]: ...


class Enricher:
    """A scorer and a persona classifier; `analyse` runs both on a batch of texts."""

    def __init__(self, scorer: Scorer, persona: PersonaClassifier) -> None:
        self.scorer = scorer
        self.persona = persona

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """One (sentiment, persona) per text, in order; a blank text's persona is none."""
        scorer, persona = self.scorer, self.persona
        if not (isinstance(scorer, _EmbeddingScorer) and isinstance(persona, HeadPersonaClassifier)
                and persona.encoder is scorer.encoder):
            return list(zip(scorer.score_batch(texts), persona.classify(texts), strict=True))
        present = [text for text in texts if text.strip()]
        embeddings = persona.encoder.embed(present)  # the one pass both heads read
        personas = iter(persona.classify_embedded(present, embeddings))
        return [(result, next(personas) if text.strip() else _BLANK)
                for result, text in zip(scorer.score_embedded(texts, embeddings), texts,
                                        strict=True)]


def load_enricher(model: str | None = None, *, heads: Path | None = None,
                  batch_size: int = 32) -> Enricher:
    """The scorer `load_scorer(model, heads=...)` loads and the e5 persona head, on the
    scorer's own encoder when the head was fitted over it (one model in memory, one pass)."""
    scorer = load_scorer(model, batch_size=batch_size, heads=heads)
    head = load_persona_head()
    if (isinstance(scorer, _EmbeddingScorer)
            and scorer.encoder.adapter_sha256 == persona_adapter_sha256(head)):
        return Enricher(scorer, HeadPersonaClassifier(scorer.encoder, head))
    return Enricher(scorer, load_persona_classifier(batch_size=batch_size))
