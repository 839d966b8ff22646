"""A linear classifier head (multinomial logistic regression) over embeddings, kept as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiment.result import LABELS

__all__ = ["DEFAULT_HEAD", "LinearHead", "load_head", "save_head"]

DEFAULT_HEAD = Path(__file__).parent / "heads" / "e5-small.json"


@dataclass(frozen=True, slots=True)
class LinearHead:
    """softmax(embedding @ weights.T + bias); rows in :data:`LABELS` order."""

    weights: np.ndarray  # (3, dim)
    bias: np.ndarray  # (3,)
    metadata: dict[str, object] = field(default_factory=dict)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive."""
        logits = embeddings.astype(np.float64) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)  # stable softmax
        exp = np.exp(logits)
        probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probabilities


def load_head(path: Path) -> LinearHead:
    """Read a head file; its rows are reordered to :data:`LABELS`.

    Raises ``ValueError`` if the file's labels or shapes are not what a head needs.
    """
    payload = json.loads(path.read_text(encoding="utf-8"))
    labels = list(payload["labels"])
    if sorted(labels) != sorted(LABELS):
        raise ValueError(f"{path}: labels must be {list(LABELS)}, got {labels}")
    order = [labels.index(label) for label in LABELS]
    weights = np.asarray(payload["weights"], dtype=np.float64)[order]
    bias = np.asarray(payload["bias"], dtype=np.float64)[order]
    if weights.ndim != 2 or bias.shape != (len(LABELS),):
        raise ValueError(f"{path}: weights must be (3, dim) and bias (3,)")
    return LinearHead(weights, bias, dict(payload.get("metadata", {})))


def save_head(head: LinearHead, path: Path) -> None:
    """Write ``head`` as JSON (7 significant digits: plenty for a softmax, and small)."""
    payload = {
        "labels": list(LABELS),
        "weights": [[float(f"{v:.7g}") for v in row] for row in head.weights],
        "bias": [float(f"{v:.7g}") for v in head.bias],
        "metadata": head.metadata,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
