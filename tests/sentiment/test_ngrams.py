"""The character n-gram model and the ensemble rule."""

# Real Chinese text uses fullwidth punctuation on purpose.

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sentiment.ensemble import log_linear
from sentiment.ngrams import DEFAULT_NGRAMS, NgramModel, char_ngrams, load_ngrams, save_ngrams


def test_ngrams_stay_inside_words_and_are_lower_case() -> None:
    grams = char_ngrams("Go ok")
    assert {" g", "go", "o ", " go ", " o", "ok", " ok "} <= set(grams)
    assert "o o" not in grams and "G" not in "".join(grams)
    assert {"电池", "很耐用"} <= set(char_ngrams("电池很耐用"))


def tiny_model() -> NgramModel:
    vocabulary = {"good": 0, "bad ": 1, "好": 2}
    weights = np.array([[-2.0, 3.0, -1.0], [0.0, 0.0, 0.0], [3.0, -2.0, 2.0]])
    return NgramModel(vocabulary, np.ones(3), weights, np.zeros(3), 0.5, {"note": "tiny"})


def test_probabilities_follow_the_known_ngrams() -> None:
    rows = tiny_model().probabilities(["a good day", "so bad", "很好", "nothing known"])
    assert rows.shape == (4, 3)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    assert rows[:3].argmax(axis=1).tolist() == [2, 0, 2]
    np.testing.assert_allclose(rows[3], [1 / 3] * 3)


def test_round_trip_keeps_predictions_weight_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "ngrams.npz"
    save_ngrams(tiny_model(), path)
    loaded = load_ngrams(path)
    texts = ["a good day", "so bad", "很好"]
    np.testing.assert_allclose(loaded.probabilities(texts), tiny_model().probabilities(texts),
                               atol=1e-6)
    assert (loaded.weight, loaded.metadata) == (0.5, {"note": "tiny"})


def test_a_file_with_wrong_shapes_is_refused(tmp_path: Path) -> None:
    model = tiny_model()
    broken = NgramModel(model.vocabulary, np.ones(2), model.weights, model.bias)
    path = tmp_path / "broken.npz"
    save_ngrams(broken, path)
    with pytest.raises(ValueError, match="idf"):
        load_ngrams(path)


def test_committed_model_is_small_and_documents_its_training() -> None:
    assert DEFAULT_NGRAMS.stat().st_size < 1_000_000
    model = load_ngrams(DEFAULT_NGRAMS)
    assert model.metadata["command"] == "python -m sentiment.train"
    assert model.weight > 0
    rows = model.probabilities(["质量太差了，非常失望", "非常满意，强烈推荐"])
    assert rows.argmax(axis=1).tolist() == [0, 2]


def test_log_linear_weight_zero_keeps_the_first_and_weight_moves_toward_the_second() -> None:
    first = np.array([[0.2, 0.3, 0.5]])
    second = np.array([[0.9, 0.05, 0.05]])
    np.testing.assert_allclose(log_linear(first, second, 0.0), first)
    assert log_linear(first, second, 1.0).argmax() == 0
    with pytest.raises(ValueError, match="shapes differ"):
        log_linear(first, np.ones((2, 3)) / 3, 1.0)
