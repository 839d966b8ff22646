"""Advocate score of one author for one brand, from what they wrote: pure, no I/O.

Advocates are authors, not mentions (DESIGN.md): repeated, unprompted, positive, detailed
mentions with recommendation intent and reach. `assess_author(posts)` combines six signals
into a score in 0..1 and lists each with its contribution, so an analyst sees why:

    score = (0.30 positive share + 0.25 recommendation share + 0.15 detail
             + 0.15 repeat + 0.15 reach) * (1 - negative share)

- a post is positive by its rating (>= 0.75 normalised, 4 of 5 stars) else its sentiment,
  negative below 0.5 (1-2 of 5 stars) or by a negative sentiment;
- recommendation: a non-negated phrase ("I recommend", "强烈推荐", not "不推荐");
- detail: length, numbers and product aspects named (battery, 屏幕, ...);
- repeat: distinct days with a mention, 1 - 1/days (1 day 0, 2 days 0.5, 4 days 0.75);
- reach: log10(followers + 1) / 6 (a million followers is 1); unknown reach counts 0;
- prompted: a reply to the brand's own account weighs half in every share.

The persona is the one with the most summed probability over the author's non-negative
posts (as given by a persona classifier), with the approach that suits it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sentiment.persona import APPROACHES, PERSONAS, Persona, recommendations

__all__ = ["WEIGHTS", "AdvocateAssessment", "Post", "assess_author", "detail"]

WEIGHTS: dict[str, float] = {
    "positive": 0.30, "recommends": 0.25, "detail": 0.15, "repeat": 0.15, "reach": 0.15,
}
EVIDENCE = 3

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W\d_]+|\d+")
_NUMBER = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|"
    r"fifty|hundred)\b|[一二两兩三四五六七八九十百千半][个個天周週月年小分次公里毫元块塊倍]",
    re.IGNORECASE)
_ASPECTS = re.compile(
    r"\b(?:battery|screen|display|camera|sound|audio|noise|price|value|quality|design|app|"
    r"software|update|charg\w*|suction|fit|comfort\w*|speed|size|weight|support|service|"
    r"build|setup|range)\b|电池|電池|续航|續航|屏幕|螢幕|拍照|相机|相機|音质|音質|降噪|价格|"
    r"價格|质量|品質|做工|设计|設計|充电|充電|吸力|噪音|佩戴|配戴|系统|系統|服务|服務",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Post:
    """One mention by the author, reduced to what the score needs."""

    text: str
    url: str
    published_at: datetime | None = None
    sentiment: str | None = None  # positive | neutral | negative
    rating: float | None = None  # normalised 0..1
    followers: int | None = None
    reply_to_brand: bool = False
    # persona -> probability (or weight) for this text, and the cues that explain it
    # ("validator: worth it"), both from a persona classifier's PersonaResult
    personas: dict[str, float] = field(default_factory=dict)
    cues: tuple[str, ...] = ()

    @property
    def weight(self) -> float:
        return 0.5 if self.reply_to_brand else 1.0

    @property
    def tone(self) -> str:
        if self.rating is not None:
            return "positive" if self.rating >= 0.75 else "negative" if self.rating < 0.5 \
                else "neutral"
        return self.sentiment or "neutral"


@dataclass(frozen=True, slots=True)
class AdvocateAssessment:
    score: float  # 0..1
    persona: str | None  # one of PERSONAS; None when no post leans to any
    approach: str | None
    signals: tuple[str, ...]  # each signal with its contribution to the score
    mentions: int
    positive_share: float
    recommendations: tuple[str, ...]
    distinct_days: int
    followers: int | None
    last_seen: datetime | None
    evidence: tuple[str, ...]  # up to three urls, the most convincing first


def detail(text: str) -> tuple[float, list[str]]:
    """How detailed a text is (0..1) and what made it so: length (40 words, or 80 Chinese
    characters, for full marks) half, numbers a quarter, product aspects a quarter."""
    size = len(_WORD.findall(_CJK.sub(" ", text))) + len(_CJK.findall(text)) / 2
    aspects = sorted({m.group(0).lower() for m in _ASPECTS.finditer(text)})
    has_number = bool(_NUMBER.search(text))
    value = 0.5 * min(1.0, size / 40) + 0.25 * has_number + 0.25 * min(1.0, len(aspects) / 2)
    return value, [*(["numbers"] if has_number else []), *aspects]


def _share(posts: Sequence[Post], keep: list[bool]) -> float:
    total = sum(p.weight for p in posts)
    return sum(p.weight for p, k in zip(posts, keep, strict=True) if k) / total


def _persona(posts: Sequence[Post]) -> tuple[Persona | None, dict[Persona, float]]:
    sums = dict.fromkeys(PERSONAS, 0.0)
    for post in posts:
        if post.tone != "negative":
            for persona in PERSONAS:
                sums[persona] += post.weight * post.personas.get(persona, 0.0)
    best = max(PERSONAS, key=lambda p: sums[p])
    return (best if sums[best] > 0 else None), sums


def assess_author(posts: Sequence[Post]) -> AdvocateAssessment:
    """Score one author's posts about one brand; raises ValueError without posts."""
    if not posts:
        raise ValueError("assess_author needs at least one post")
    n = len(posts)
    tones = [p.tone for p in posts]
    recs = [recommendations(p.text) for p in posts]
    details = [detail(p.text) for p in posts]
    days = {p.published_at.date() for p in posts if p.published_at}
    known = [p.followers for p in posts if p.followers is not None]
    followers = max(known) if known else None

    parts = {
        "positive": _share(posts, [t == "positive" for t in tones]),
        "recommends": _share(posts, [bool(r) for r in recs]),
        "detail": sum(p.weight * d for p, (d, _) in zip(posts, details, strict=True))
        / sum(p.weight for p in posts),
        "repeat": 1 - 1 / len(days) if days else 0.0,
        "reach": min(1.0, math.log10(followers + 1) / 6) if followers else 0.0,
    }
    negative = _share(posts, [t == "negative" for t in tones])
    score = sum(WEIGHTS[k] * v for k, v in parts.items()) * (1 - negative)
    persona, persona_sums = _persona(posts)

    phrases = tuple(dict.fromkeys(phrase for found in recs for phrase in found))
    specifics = sorted({s for _, found in details for s in found})
    # How many and on how many days are an author's signals: one post has neither.
    several = n > 1
    signals = [
        *([f"mentions: {n}"] if several else []),
        f"positive {parts['positive']:.0%} (+{WEIGHTS['positive'] * parts['positive']:.2f})",
        f"recommends in {parts['recommends']:.0%}"
        + (f": {', '.join(phrases[:3])}" if phrases else "")
        + f" (+{WEIGHTS['recommends'] * parts['recommends']:.2f})",
        f"detail {parts['detail']:.2f}"
        + (f": {', '.join(specifics[:5])}" if specifics else "")
        + f" (+{WEIGHTS['detail'] * parts['detail']:.2f})",
        *([f"distinct days: {len(days)} (+{WEIGHTS['repeat'] * parts['repeat']:.2f})"]
          if several else []),
        (f"reach {followers} followers (+{WEIGHTS['reach'] * parts['reach']:.2f})"
         if followers is not None else "reach unknown (+0.00)"),
    ]
    if negative:
        signals.append(f"negative history {negative:.0%} (score x{1 - negative:.2f})")
    prompted = sum(p.reply_to_brand for p in posts)
    if prompted:
        signals.append(f"prompted: {prompted} replies to the brand's account weigh half")
    if persona:
        ranked = sorted(persona_sums.items(), key=lambda kv: -kv[1])
        cues = dict.fromkeys(c for p in posts if p.tone != "negative" for c in p.cues
                             if c.startswith(f"{persona}: "))
        signals.append("persona " + ", ".join(f"{k} {v:.2f}" for k, v in ranked if v >= 0.05)
                       + (f" (cues: {', '.join(list(cues)[:4])})" if cues else ""))

    # Evidence: positive posts with a recommendation first, then the most detailed.
    order = sorted(range(n), key=lambda i: (tones[i] != "positive", not recs[i],
                                            -details[i][0]))
    evidence = tuple(dict.fromkeys(posts[i].url for i in order if tones[i] != "negative"))
    dated = [p.published_at for p in posts if p.published_at]
    return AdvocateAssessment(
        score=round(min(1.0, max(0.0, score)), 4),
        persona=persona,
        approach=APPROACHES[persona] if persona else None,
        signals=tuple(signals),
        mentions=n,
        positive_share=round(parts["positive"], 4),
        recommendations=phrases,
        distinct_days=len(days),
        followers=followers,
        last_seen=max(dated) if dated else None,
        evidence=evidence[:EVIDENCE],
    )
