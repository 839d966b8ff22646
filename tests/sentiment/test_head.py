from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sentiment.head import DEFAULT_HEAD, LinearHead, load_head, save_head


def test_committed_head_is_small_and_documents_its_training() -> None:
    assert DEFAULT_HEAD.stat().st_size < 1_000_000
    head = load_head(DEFAULT_HEAD)
    assert head.weights.shape == (3, 384)
    assert head.metadata["command"] == "python -m sentiment.train"
    metrics = head.metadata["test_metrics"]
    assert isinstance(metrics, dict)
    assert {"en-critics pos/neg accuracy", "zh-Hans pos/neg accuracy"} <= set(metrics)


def test_head_round_trips_and_rows_follow_the_file_labels(tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    head = LinearHead(np.eye(3, 4), np.array([0.5, 0.0, -0.5]), {"note": "x"})
    save_head(head, path)
    loaded = load_head(path)
    np.testing.assert_allclose(loaded.weights, head.weights)
    assert loaded.metadata == {"note": "x"}

    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["labels"] = ["positive", "negative", "neutral"]  # same rows, other names
    path.write_text(json.dumps(payload), encoding="utf-8")
    reordered = load_head(path)
    np.testing.assert_allclose(reordered.bias, [0.0, -0.5, 0.5])


def test_probabilities_are_a_softmax_per_row() -> None:
    head = LinearHead(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), np.zeros(3))
    probabilities = head.probabilities(np.array([[10.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0].argmax() == 0
    np.testing.assert_allclose(probabilities[1], [1 / 3] * 3)


def test_head_with_other_labels_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    path.write_text(
        json.dumps({"labels": ["a", "b", "c"], "weights": [[0.0]] * 3, "bias": [0.0] * 3}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="labels"):
        load_head(path)
