"""Net Promoter classes from a rating, or estimated from sentiment when there is none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["NpsClass", "NpsCounts", "nps_counts", "nps_from_rating", "nps_from_sentiment",
           "nps_score"]

NpsClass = Literal["promoter", "passive", "detractor"]


def nps_from_rating(value: float, best: float) -> NpsClass:
    """9-10 promoter, 7-8 passive, 0-6 detractor on a 10-point scale.

    Other scales are brought to 10 points by their best value first, which gives the usual
    5-star reading too: 5 promoter, 4 passive, 1-3 detractor.
    """
    on_ten = round(value / best * 10, 6)
    if on_ten >= 9:
        return "promoter"
    if on_ten >= 7:
        return "passive"
    return "detractor"


def nps_from_sentiment(label: str) -> NpsClass:
    """The estimate for an unrated mention; callers mark it as estimated."""
    if label == "positive":
        return "promoter"
    if label == "negative":
        return "detractor"
    return "passive"


@dataclass(frozen=True, slots=True)
class NpsCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        """% promoters - % detractors, -100..100; None without any mention."""
        if not self.total:
            return None
        return round(100 * (self.promoters - self.detractors) / self.total, 1)


def nps_counts(classes: Iterable[NpsClass]) -> NpsCounts:
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for c in classes:
        counts[c] += 1
    return NpsCounts(counts["promoter"], counts["passive"], counts["detractor"])


def nps_score(classes: Iterable[NpsClass]) -> float | None:
    """NPS = % promoters - % detractors, -100..100; None without any mention."""
    return nps_counts(classes).nps
