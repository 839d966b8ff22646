"""Visibility in AI answers: how often the engines name a brand for each prompt, where, and
how much of the answers' attention it gets against its competitors.

Pure functions over stored `ai_answer` mentions (`named` holds each answer's brands and
positions, `crawlers.extract.ai_answer`). Answers vary from run to run, so the share of
runs naming the brand carries a Wilson score interval: with 5 runs, 3 naming it is
somewhere between 23% and 88%, not "60%".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean

from index.record import Mention

__all__ = ["Visibility", "visibility", "wilson_interval"]

_Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def wilson_interval(hits: int, runs: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion `hits` / `runs` (95% by default); (0, 1)
    when there are no runs. Unlike the normal approximation it stays inside 0..1 and is
    honest about 0 of 5 or 5 of 5."""
    if runs == 0:
        return (0.0, 1.0)
    share = hits / runs
    centre = share + z * z / (2 * runs)
    spread = z * math.sqrt(share * (1 - share) / runs + z * z / (4 * runs * runs))
    scale = 1 + z * z / runs
    return (max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale))


@dataclass
class Visibility:
    """One brand's figures for one prompt on one engine (`source`, engine:model)."""

    brand: str
    prompt: str
    source: str
    runs: int = 0  # answers stored
    named: int = 0  # answers naming the brand
    positions: list[int] = field(default_factory=list)
    mentions: Counter[str] = field(default_factory=Counter)  # brand -> answers naming it
    sentiment: Counter[str] = field(default_factory=Counter)  # toward the brand: label counts
    scores: list[float] = field(default_factory=list)  # toward the brand, -1..1

    def add(self, answer: Mention) -> None:
        self.runs += 1
        self.mentions.update({named.name for named in answer.named})
        for named in answer.named:
            if named.name.casefold() == self.brand.casefold():
                self.named += 1
                self.positions.append(named.position)
                if named.sentiment:
                    self.sentiment[named.sentiment] += 1
                if named.score is not None:
                    self.scores.append(named.score)
                break

    def figures(self) -> dict[str, object]:
        low, high = wilson_interval(self.named, self.runs)
        voices = sum(self.mentions.values())
        return {
            "brand": self.brand, "prompt": self.prompt, "source": self.source,
            "runs": self.runs, "named": self.named,
            "share": round(self.named / self.runs, 4) if self.runs else None,
            "share_interval": [round(low, 4), round(high, 4)],
            "mean_position": round(fmean(self.positions), 2) if self.positions else None,
            # The brand's part of every brand naming in these answers.
            "share_of_voice": round(self.named / voices, 4) if voices else None,
            "competitors": dict(sorted(
                (name, count) for name, count in self.mentions.items()
                if name.casefold() != self.brand.casefold())),
            "sentiment": dict(sorted(self.sentiment.items())),
            "sentiment_score": round(fmean(self.scores), 4) if self.scores else None,
        }


def visibility(brand: str, answers: Iterable[Mention]) -> list[dict[str, object]]:
    """The brand's figures per (prompt, engine) from the `ai_answer` mentions asked for it
    (`brand` set to it), sorted by prompt then engine."""
    groups: dict[tuple[str, str], Visibility] = {}
    for answer in answers:
        if answer.kind != "ai_answer" or (answer.brand or "").casefold() != brand.casefold():
            continue
        group = (answer.title or "", answer.source)
        if group not in groups:
            groups[group] = Visibility(brand, *group)
        groups[group].add(answer)
    return [groups[group].figures() for group in sorted(groups)]
