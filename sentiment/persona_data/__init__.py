"""The labeled persona set and how a persona classifier scores on it.

`personas.jsonl` holds 310 short mentions written for this project (English, Simplified and
Traditional Chinese): 60 per persona and 70 that are not advocacy (neutral news,
complaints, questions), one `{"text", "persona", "lang"}` per line. The split is fixed by a
hash of the text (`sentiment.datasets.in_test_split`, 50%; 137 dev, 173 test): the persona
head is trained, and its regularisation chosen, on the dev part only.

`fresh.jsonl` holds 50 more (10 per label), written after the cue lexicons were frozen and
never used to train or choose anything: a check on how far the classifiers carry beyond
the texts they were written or trained alongside.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sentiment.datasets import in_test_split
from sentiment.persona import LABELS, PersonaClassifier

__all__ = ["DATA_DIR", "SPLITS", "TEST_PERCENT", "PersonaEval", "Split", "evaluate",
           "f1_by_label", "labeled_personas"]

DATA_DIR = Path(__file__).parent
TEST_PERCENT = 50

Split = Literal["dev", "test", "fresh"]
SPLITS: tuple[Split, ...] = ("dev", "test", "fresh")


def labeled_personas(split: Split = "test") -> list[tuple[str, str]]:
    """(text, persona) pairs of one part of the labeled set."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    name = "fresh.jsonl" if split == "fresh" else "personas.jsonl"
    pairs = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        side = "test" if in_test_split(row["text"], TEST_PERCENT) else "dev"
        if split == "fresh" or split == side:
            pairs.append((row["text"], row["persona"]))
    return pairs


@dataclass(frozen=True, slots=True)
class PersonaEval:
    split: str
    classifier: str
    examples: int
    accuracy: float
    macro_f1: float  # mean F1 over the five labels, "none" included
    f1: dict[str, float]
    errors: list[tuple[str, str, str]]  # (text, expected, predicted)


def f1_by_label(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """F1 of each label in LABELS (0 for a label never predicted correctly)."""
    out = {}
    for label in LABELS:
        pairs = list(zip(gold, predicted, strict=True))
        tp = sum(g == p == label for g, p in pairs)
        wrong = sum((g == label) != (p == label) for g, p in pairs)
        out[label] = round(2 * tp / (2 * tp + wrong), 4) if tp else 0.0
    return out


def evaluate(classifier: PersonaClassifier, split: Split = "test") -> PersonaEval:
    """Score a classifier on one part of the labeled set."""
    pairs = labeled_personas(split)
    gold = [persona for _, persona in pairs]
    predicted = [r.persona for r in classifier.classify([text for text, _ in pairs])]
    f1 = f1_by_label(gold, predicted)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return PersonaEval(
        split=split,
        classifier=classifier.name,
        examples=len(pairs),
        accuracy=round(correct / len(pairs), 4),
        macro_f1=round(sum(f1.values()) / len(f1), 4),
        f1=f1,
        errors=[(text, g, p) for (text, g), p in zip(pairs, predicted, strict=True) if g != p],
    )
