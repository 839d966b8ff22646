"""One-sided tests of a worse period against the one before, for answers that vary from run
to run: whether a drop is more than run-to-run noise.

`share_drop` is the pooled two-proportion z test of the share of runs naming a brand;
`position_rise` is the Mann-Whitney U test (rank sum, normal approximation with the tie
correction) of the positions the brand was named at: positions are small ranks with many
ties, not normal values, so a t test of their means would be the wrong tool.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["Test", "position_rise", "share_drop"]


class Test(NamedTuple):
    z: float  # the standard score of the change; negative for a drop in share
    p: float  # one-sided: the chance of a change at least this bad from noise alone


_NONE = Test(0.0, 1.0)


def _below(z: float) -> float:
    """P(Z <= z) for a standard normal Z."""
    return 0.5 * math.erfc(-z / math.sqrt(2))


def share_drop(hits_before: int, runs_before: int, hits_after: int, runs_after: int) -> Test:
    """How unlikely a share of `hits_after` / `runs_after` at most is when the share is
    really still that of `hits_before` / `runs_before` (pooled two-proportion z test)."""
    if not runs_before or not runs_after:
        return _NONE
    pooled = (hits_before + hits_after) / (runs_before + runs_after)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / runs_before + 1 / runs_after))
    if spread == 0:  # every run named it, or none did, in both periods: no change
        return _NONE
    z = (hits_after / runs_after - hits_before / runs_before) / spread
    return Test(z, _below(z))


def position_rise(before: Sequence[int], after: Sequence[int]) -> Test:
    """How unlikely positions `after` at least this much later (worse) than `before` are
    from noise alone (Mann-Whitney U, one-sided, with continuity and tie corrections)."""
    n1, n2 = len(before), len(after)
    if not n1 or not n2:
        return _NONE
    u = sum((a > b) + 0.5 * (a == b) for a in after for b in before)
    n = n1 + n2
    ties = sum(t ** 3 - t for t in Counter([*before, *after]).values())
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:  # every position the same: no change
        return _NONE
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return Test(z, _below(-z))
