"""Pure helpers for long texts and batching: windows of token ids, their order, their combination.

A text longer than the model's limit is split into consecutive windows of at most
``max_tokens`` content tokens (no overlap), each wrapped in the model's special tokens,
and the per-window outputs are combined as a mean weighted by content-token count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Window",
    "combine_windows",
    "length_sorted_batches",
    "plan_windows",
    "special_affixes",
    "split_windows",
]


@dataclass(frozen=True, slots=True)
class Window:
    """One model input: a slice of one text's tokens, special tokens included."""

    owner: int  # index of the text it belongs to
    ids: tuple[int, ...]
    weight: int  # content tokens (at least 1): its share in the combination


def split_windows(ids: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Split ``ids`` into consecutive windows of at most ``max_tokens``; always >= 1 window."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    if not ids:
        return [[]]
    return [list(ids[start : start + max_tokens]) for start in range(0, len(ids), max_tokens)]


def special_affixes(
    with_specials: Sequence[int], without: Sequence[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The special tokens a tokenizer puts before and after a text's own tokens.

    Found by locating ``without`` (a probe text encoded plainly) inside ``with_specials``
    (the same text encoded with special tokens), which works for any tokenizer.
    """
    n = len(without)
    for start in range(len(with_specials) - n + 1):
        if list(with_specials[start : start + n]) == list(without):
            return tuple(with_specials[:start]), tuple(with_specials[start + n :])
    raise ValueError("the plain encoding is not part of the encoding with special tokens")


def plan_windows(
    token_ids: Sequence[Sequence[int]],
    max_tokens: int,
    affixes: tuple[Sequence[int], Sequence[int]] = ((), ()),
) -> list[Window]:
    """Every window of every text, in text order, each wrapped in ``affixes``."""
    prefix, suffix = tuple(affixes[0]), tuple(affixes[1])
    return [
        Window(owner, prefix + tuple(chunk) + suffix, max(1, len(chunk)))
        for owner, ids in enumerate(token_ids)
        for chunk in split_windows(ids, max_tokens)
    ]


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, so little padding is computed."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def combine_windows(values: np.ndarray, windows: Sequence[Window], n_texts: int) -> np.ndarray:
    """Per-text mean of the windows' rows in ``values``, weighted by content tokens."""
    owners = np.fromiter((w.owner for w in windows), dtype=np.int64, count=len(windows))
    weights = np.fromiter((w.weight for w in windows), dtype=np.float64, count=len(windows))
    totals = np.zeros((n_texts, values.shape[1]), dtype=np.float64)
    np.add.at(totals, owners, values * weights[:, None])
    weight_sums = np.bincount(owners, weights=weights, minlength=n_texts)
    return (totals / np.maximum(weight_sums, 1e-12)[:, None]).astype(np.float32)
