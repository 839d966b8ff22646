"""Sentiment and persona from one encoder pass: the same answers as the two models apart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from sentiment.enricher import Enricher, load_enricher
from sentiment.head_scorer import E5HeadScorer
from sentiment.persona import (
    DEFAULT_PERSONA_HEAD,
    HeadPersonaClassifier,
    RulePersonaClassifier,
    load_persona_classifier,
    load_persona_head,
)

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
    tuned = load_enricher()  # the default: the persona head was fitted over its encoder
    assert isinstance(tuned.scorer, E5HeadScorer)
    assert isinstance(tuned.persona, HeadPersonaClassifier)
    assert tuned.persona.encoder is tuned.scorer.encoder
    assert tuned.scorer.encoder.adapter_sha256 == load_persona_head().metadata["adapter_sha256"]
    frozen = load_enricher("e5-small-head")  # another encoder: the head gets its own
    assert isinstance(frozen.persona, HeadPersonaClassifier)
    assert frozen.persona.encoder is not frozen.scorer.encoder
    assert frozen.persona.encoder.adapter_sha256 == tuned.scorer.encoder.adapter_sha256


def test_a_persona_head_of_another_adapter_is_refused(tmp_path: Path) -> None:
    payload = json.loads(DEFAULT_PERSONA_HEAD.read_text(encoding="utf-8"))
    payload["metadata"]["adapter_sha256"] = "0" * 64
    other = tmp_path / "head.json"
    other.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ValueError, match=r"refit it with python -m sentiment\.train\.persona_head"):
        load_persona_classifier(head_path=other)
