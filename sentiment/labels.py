"""Map a classifier checkpoint's own label names onto negative / neutral / positive."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from sentiment.result import LABELS

__all__ = ["label_matrix"]

_NEGATIVE = LABELS.index("negative")
_NEUTRAL = LABELS.index("neutral")
_POSITIVE = LABELS.index("positive")

_NAMED = {
    "negative": _NEGATIVE,
    "neg": _NEGATIVE,
    "very negative": _NEGATIVE,
    "neutral": _NEUTRAL,
    "neu": _NEUTRAL,
    "mixed": _NEUTRAL,
    "positive": _POSITIVE,
    "pos": _POSITIVE,
    "very positive": _POSITIVE,
}
_STARS = re.compile(r"^([1-5]) stars?$")
_STAR_CLASS = {1: _NEGATIVE, 2: _NEGATIVE, 3: _NEUTRAL, 4: _POSITIVE, 5: _POSITIVE}
_GENERIC = re.compile(r"^(?:label )?(\d+)$")
# Conventions for unnamed labels ordered from negative to positive (SST-2, the cardiffnlp
# twitter sentiment models, SST-5).
_GENERIC_CLASSES = {
    2: (_NEGATIVE, _POSITIVE),
    3: (_NEGATIVE, _NEUTRAL, _POSITIVE),
    5: (_NEGATIVE, _NEGATIVE, _NEUTRAL, _POSITIVE, _POSITIVE),
}


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def _target(name: str, index: int, count: int) -> int:
    key = _normalise(name)
    if key in _NAMED:
        return _NAMED[key]
    stars = _STARS.match(key)
    if stars:
        return _STAR_CLASS[int(stars.group(1))]
    generic = _GENERIC.match(key)
    if generic and count in _GENERIC_CLASSES and int(generic.group(1)) == index:
        return _GENERIC_CLASSES[count][index]
    raise ValueError(f"label {name!r} (id {index}) is not a sentiment label this package knows")


def label_matrix(id2label: Mapping[int, str]) -> tuple[np.ndarray, bool]:
    """A (n_model_labels, 3) 0/1 matrix summing model probabilities into LABELS order,
    and whether the model has a neutral class at all.

    Known names: positive/negative/neutral (and pos/neg/neu, "very ..."), "1 star" ..
    "5 stars", and generic ``LABEL_k`` / ``k`` for 2, 3 or 5 labels ordered from
    negative to positive. Raises ``ValueError`` for anything else.
    """
    count = len(id2label)
    if sorted(id2label) != list(range(count)):
        raise ValueError(f"label ids must be 0..{count - 1}, got {sorted(id2label)}")
    matrix = np.zeros((count, len(LABELS)), dtype=np.float64)
    for index in range(count):
        matrix[index, _target(id2label[index], index, count)] = 1.0
    covered = matrix.sum(axis=0) > 0
    if not (covered[_NEGATIVE] and covered[_POSITIVE]):
        names = [id2label[i] for i in range(count)]
        raise ValueError(f"labels {names} need both a positive and a negative class")
    return matrix, bool(covered[_NEUTRAL])
