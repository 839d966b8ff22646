"""Any local AutoModelForSequenceClassification checkpoint, here a tiny one built on the spot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    PreTrainedTokenizerFast,
)

from sentiment import ModelLoadError, load_scorer
from sentiment.chunking import plan_windows
from sentiment.classifier import ClassifierScorer
from sentiment.inference import token_ids

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "phone", "battery", "is", "very", "good", "bad", "great", "terrible", "i"]
WORDS += ["love", "hate", "it", "and", "a", "screen", "##s", ",", ".", "!"]
MAX_POSITIONS = 32


def save_tiny_model(directory: Path, id2label: dict[int, str], *, head: bool = True) -> Path:
    """A random 1-layer BERT with a 25-token WordPiece vocabulary, saved like any checkpoint."""
    vocab = {token: index for index, token in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_POSITIONS,
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=MAX_POSITIONS,
        id2label=id2label,
        label2id={label: index for index, label in id2label.items()},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config) if head else BertModel(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny"), {0: "NEGATIVE", 1: "POSITIVE"})


def test_tiny_checkpoint_scores_a_batch_in_order(tiny_model: Path) -> None:
    scorer = load_scorer(str(tiny_model), batch_size=2)
    assert isinstance(scorer, ClassifierScorer)
    assert scorer.name == str(tiny_model)
    assert not scorer.has_neutral
    texts = ["i love the phone !", "", "terrible battery", "the screen is very good , i love it"]
    results = scorer.score_batch(texts)
    assert len(results) == len(texts)
    assert results[1].confidence == 0.0
    for result in results:
        assert result.model == str(tiny_model)
        assert -1.0 <= result.score <= 1.0
        assert 0.0 <= result.confidence <= 1.0
    singles = [scorer.score_batch([t])[0].score for t in texts]
    assert [r.score for r in results] == pytest.approx(singles, abs=1e-5)


def test_long_text_is_windowed_to_the_model_limit(tiny_model: Path) -> None:
    scorer = ClassifierScorer(str(tiny_model))
    assert scorer.max_tokens == MAX_POSITIONS - 2
    text = " ".join(["the battery is very good and i love it ."] * 40)  # ~400 tokens
    windows = plan_windows(token_ids(scorer.tokenizer, [text]), scorer.max_tokens, scorer.affixes)
    assert len(windows) > 1
    assert all(len(w.ids) <= MAX_POSITIONS for w in windows)
    [result] = scorer.score_batch([text])
    assert result.label in {"positive", "neutral", "negative"}


def test_star_labels_give_a_neutral_class(tmp_path: Path) -> None:
    stars = {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}
    scorer = load_scorer(str(save_tiny_model(tmp_path, stars)))
    assert isinstance(scorer, ClassifierScorer)
    assert scorer.has_neutral
    assert scorer.score_batch(["good"])[0].label in {"positive", "neutral", "negative"}


def test_missing_path_raises_model_load_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ModelLoadError, match="no-such-model") as raised:
        load_scorer(missing)
    assert raised.value.model == missing


def test_uncached_hub_name_fails_without_network() -> None:
    with pytest.raises(ModelLoadError, match="nobody-here/no-such-sentiment-model"):
        load_scorer("nobody-here/no-such-sentiment-model")


def test_broken_config_raises_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match=str(tmp_path.name)):
        load_scorer(str(tmp_path))


def test_checkpoint_without_a_classifier_head_is_refused(tmp_path: Path) -> None:
    save_tiny_model(tmp_path, {0: "NEGATIVE", 1: "POSITIVE"}, head=False)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = ["BertForSequenceClassification"]
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="lacks trained weights"):
        load_scorer(str(tmp_path))


def test_non_sentiment_labels_are_refused(tmp_path: Path) -> None:
    save_tiny_model(tmp_path, {0: "sports", 1: "politics"})
    with pytest.raises(ModelLoadError, match="sports"):
        load_scorer(str(tmp_path))


def test_batch_size_must_be_positive(tiny_model: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        load_scorer(str(tiny_model), batch_size=0)
