"""A character n-gram linear classifier, pure numpy at run time, kept as a small .npz file.

Features are TF-IDF weighted character n-grams (1..4) taken inside each whitespace-separated
word padded with a space, so "good" gives " g", "go", "goo", "ood ", ... and a Chinese run
without spaces gives every 1-4 character substring. Term frequencies are sublinear
(1 + log tf), rows are L2-normalised, and a multinomial logistic layer gives probabilities
of negative, neutral and positive. Training (scikit-learn) lives in :mod:`sentiment.train.heads`;
it uses :func:`char_ngrams` as its analyzer, so training and scoring cut text the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiment.result import LABELS

__all__ = [
    "DEFAULT_NGRAMS",
    "NGRAM_RANGE",
    "NgramModel",
    "char_ngrams",
    "load_ngrams",
    "save_ngrams",
]

DEFAULT_NGRAMS = Path(__file__).parent / "heads" / "char-ngrams.npz"
NGRAM_RANGE = (1, 4)


def char_ngrams(text: str) -> list[str]:
    """Character n-grams of each lower-cased word padded with spaces (like sklearn's
    ``char_wb``): word-internal, so they do not depend on which words are neighbours."""
    grams: list[str] = []
    low, high = NGRAM_RANGE
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


@dataclass(frozen=True, slots=True)
class NgramModel:
    """softmax(tfidf(text) @ weights.T + bias); rows in :data:`LABELS` order."""

    vocabulary: dict[str, int]
    idf: np.ndarray  # (k,)
    weights: np.ndarray  # (3, k)
    bias: np.ndarray  # (3,)
    weight: float = 1.0  # of its log-probabilities next to the e5 head's (sentiment.ensemble)
    metadata: dict[str, str] = field(default_factory=dict)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, L2-normalised TF-IDF values) of the text's known n-grams."""
        counts = Counter(g for g in char_ngrams(text) if g in self.vocabulary)
        columns = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64)
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)
        values = tf * self.idf[columns]
        norm = float(np.linalg.norm(values))
        return columns, values / norm if norm else values

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive."""
        logits = np.empty((len(texts), len(LABELS)))
        for row, text in enumerate(texts):
            columns, values = self.features(text)
            logits[row] = self.weights[:, columns] @ values + self.bias
        logits -= logits.max(axis=1, keepdims=True)  # stable softmax
        exp = np.exp(logits)
        probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probabilities


def save_ngrams(model: NgramModel, path: Path) -> None:
    """Write the model as a compressed .npz (float32 weights: plenty for a softmax)."""
    terms = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            labels=np.array(LABELS),
            terms=np.array(terms),
            idf=model.idf.astype(np.float32),
            weights=model.weights.astype(np.float32),
            bias=model.bias.astype(np.float32),
            weight=np.float64(model.weight),
            metadata_keys=np.array(list(model.metadata), dtype=str),
            metadata_values=np.array(list(model.metadata.values()), dtype=str),
        )


def load_ngrams(path: Path) -> NgramModel:
    """Read a model file (no pickles); rows are reordered to :data:`LABELS`.

    Raises ``ValueError`` if the labels or shapes are not what the model needs.
    """
    with np.load(path, allow_pickle=False) as data:
        labels = [str(label) for label in data["labels"]]
        terms = [str(term) for term in data["terms"]]
        idf = data["idf"].astype(np.float64)
        weights = data["weights"].astype(np.float64)
        bias = data["bias"].astype(np.float64)
        weight = float(data["weight"])
        metadata = dict(zip(data["metadata_keys"].tolist(), data["metadata_values"].tolist(),
                            strict=True))
    if sorted(labels) != sorted(LABELS):
        raise ValueError(f"{path}: labels must be {list(LABELS)}, got {labels}")
    if weights.shape != (len(LABELS), len(terms)) or idf.shape != (len(terms),):
        raise ValueError(f"{path}: weights must be (3, {len(terms)}) and idf ({len(terms)},)")
    order = [labels.index(label) for label in LABELS]
    vocabulary = {term: column for column, term in enumerate(terms)}
    return NgramModel(vocabulary, idf, weights[order], bias[order], weight, metadata)
