"""Whether a difference between two samples is more than noise: the two tests mentionwatch
uses, one-sided for alerts on a worse period against the one before, two-sided for
comparing groups (answered against unanswered reviews).

The rank test is the Mann-Whitney U test (rank sum, normal approximation with the tie and
continuity corrections, as scipy's `mannwhitneyu(method="asymptotic")`): star ratings and
answer positions are small ordinal values with many ties, not normal values, so a t test of
their means would be the wrong tool. Samples are given as value -> count. The share test is
the pooled two-proportion z test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["Test", "rank_difference", "rank_rise", "share_difference", "share_drop"]


class Test(NamedTuple):
    z: float  # the standard score of the change; negative for a drop in share
    p: float  # one-sided: the chance of a change at least this bad from noise alone


_NONE = Test(0.0, 1.0)


def _below(z: float) -> float:
    """P(Z <= z) for a standard normal Z."""
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _u(lower: Mapping[float, int], higher: Mapping[float, int]) -> tuple[float, float] | None:
    """Mann-Whitney U of `higher` over `lower` (its pairs with the higher value, ties half)
    less its mean under no difference, and its tie-corrected standard deviation; None when
    a sample is empty or every value is the same."""
    n1, n2 = sum(lower.values()), sum(higher.values())
    n = n1 + n2
    if not (n1 and n2):
        return None
    rank_sum, below, ties = 0.0, 0, 0.0
    for value in sorted(lower.keys() | higher.keys()):
        tied = lower.get(value, 0) + higher.get(value, 0)
        rank_sum += higher.get(value, 0) * (below + (tied + 1) / 2)  # the tied share one rank
        below += tied
        ties += tied**3 - tied
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return None
    return rank_sum - n2 * (n2 + 1) / 2 - n1 * n2 / 2, math.sqrt(variance)


def rank_rise(before: Mapping[float, int], after: Mapping[float, int]) -> Test:
    """How unlikely values `after` at least this much higher than `before` are from noise
    alone (one-sided Mann-Whitney U): a later position, or, with the samples swapped, a
    lower rating."""
    found = _u(before, after)
    if found is None:
        return _NONE
    shift, spread = found
    z = (shift - 0.5) / spread
    return Test(z, _below(-z))


def rank_difference(first: Mapping[float, int], second: Mapping[float, int]) -> float | None:
    """The two-sided p-value of a Mann-Whitney U test; None when a sample is empty or every
    value is the same."""
    found = _u(first, second)
    if found is None:
        return None
    shift, spread = found
    return 2 * _below(-max(0.0, abs(shift) - 0.5) / spread)


def _share_z(hits1: int, n1: int, hits2: int, n2: int) -> float | None:
    """The z score of the second share against the first, pooled; None when a sample is
    empty or the pooled share is 0 or 1 (nothing to compare)."""
    if not (n1 and n2):
        return None
    pooled = (hits1 + hits2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return None
    return (hits2 / n2 - hits1 / n1) / spread


def share_drop(hits_before: int, runs_before: int, hits_after: int, runs_after: int) -> Test:
    """How unlikely a share of `hits_after` / `runs_after` at most is when the share is
    really still that of `hits_before` / `runs_before` (one-sided)."""
    z = _share_z(hits_before, runs_before, hits_after, runs_after)
    return _NONE if z is None else Test(z, _below(z))


def share_difference(hits1: int, n1: int, hits2: int, n2: int) -> float | None:
    """The two-sided p-value of the two-proportion z test; None when there is nothing to
    compare."""
    z = _share_z(hits1, n1, hits2, n2)
    return None if z is None else 2 * _below(-abs(z))
