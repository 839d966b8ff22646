"""Combining two classifiers' probabilities: a weighted product (sum of log-probabilities)."""

from __future__ import annotations

import numpy as np

__all__ = ["log_linear"]

# Probabilities are clipped here before the log: a part that is certain cannot veto alone.
_FLOOR = 1e-6


def log_linear(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """softmax(log first + weight * log second), row by row; (n, k) in, (n, k) out."""
    if first.shape != second.shape:
        raise ValueError(f"shapes differ: {first.shape} and {second.shape}")
    logits = np.log(np.clip(first, _FLOOR, 1.0)) + weight * np.log(np.clip(second, _FLOOR, 1.0))
    logits -= logits.max(axis=1, keepdims=True)  # stable softmax
    exp = np.exp(logits)
    combined: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return combined
