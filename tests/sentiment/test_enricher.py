"""Sentiment and persona from one encoder pass: the same answers as the two models apart."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sentiment.enricher import Enricher, load_enricher
from sentiment.head_scorer import E5HeadScorer
from sentiment.persona import HeadPersonaClassifier, RulePersonaClassifier, load_persona_head

TEXTS = ["Quick tip: here's how to pair the Buds Pro with two laptops.",
         "",
         "用了三个月，电池很耐用，强烈推荐！",
         "It broke after a week. Never again."]


def _counting(scorer: E5HeadScorer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch the scorer's encoder to record how many texts each `embed` call got."""
    calls: list[int] = []
    embed = scorer.encoder.embed

    def counted(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return embed(texts)

    monkeypatch.setattr(scorer.encoder, "embed", counted)
    return calls


def test_one_encoder_pass_gives_what_the_two_models_give_apart(
    default_scorer: E5HeadScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    persona = HeadPersonaClassifier(default_scorer.encoder, load_persona_head())
    apart = list(zip(default_scorer.score_batch(TEXTS), persona.classify(TEXTS), strict=True))
    calls = _counting(default_scorer, monkeypatch)
    together = Enricher(default_scorer, persona).analyse(TEXTS)
    assert calls == [3]  # one pass, the blank text left out
    for text, (s1, p1), (s2, p2) in zip(TEXTS, apart, together, strict=True):
        if not text:
            continue
        assert (s1.label, p1.persona) == (s2.label, p2.persona)
        assert s1.score == pytest.approx(s2.score, abs=1e-4)
        assert p1.scores == pytest.approx(p2.scores, abs=1e-3)
    assert together[1][1].persona == "none" and together[1][0].confidence == 0


def test_a_classifier_on_another_encoder_is_run_apart(
    default_scorer: E5HeadScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(default_scorer, monkeypatch)
    results = Enricher(default_scorer, RulePersonaClassifier()).analyse(TEXTS)
    assert calls == [3] and results[0][1].persona == "educator"


def test_the_enricher_shares_the_encoder_only_with_the_head_fitted_over_it() -> None:
    frozen = load_enricher("e5-small-head")
    assert isinstance(frozen.scorer, E5HeadScorer)
    assert isinstance(frozen.persona, HeadPersonaClassifier)
    assert frozen.persona.encoder is frozen.scorer.encoder
    head = load_persona_head()
    assert isinstance(default := load_enricher().scorer, E5HeadScorer)
    tuned = load_enricher()
    assert isinstance(tuned.persona, HeadPersonaClassifier)
    # the persona head reads only embeddings of the encoder it was fitted over
    shared = tuned.persona.encoder is tuned.scorer.encoder
    assert shared == (default.encoder.adapter_sha256 == head.metadata.get("adapter_sha256", ""))
