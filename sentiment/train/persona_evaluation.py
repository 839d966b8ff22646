"""The labeled persona set and how a persona classifier scores on it.

`sentiment/persona_data/personas.jsonl` holds 310 short mentions written for this project
(English, Simplified and Traditional Chinese): 60 per persona and 70 that are not advocacy
(neutral news, complaints, questions), one `{"text", "persona", "lang"}` per line. The split
is fixed by a hash of the text (`sentiment.train.datasets.in_test_split`, 50%; 137 dev, 173
test): the persona head is trained, and its regularisation chosen, on the dev part only.

`fresh.jsonl` holds 50 more (10 per label), written after the cue lexicons were frozen and
never used to train or choose anything: a check on how far the classifiers carry beyond
the texts they were written or trained alongside. `fresh2.jsonl` holds 110 more, written
later in other wording (70 Chinese: 40 Simplified, 30 Traditional, as posted on Weibo,
Xiaohongshu, Zhihu, PTT, Dcard and in app reviews; 40 English), frozen before the Chinese
training texts were added and likewise never trained or tuned on.

Every score is given for the whole part and per language (`en`; `zh`, and its scripts
`zh-Hans` and `zh-Hant`), as each row's `lang` says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sentiment.persona import LABELS, PersonaClassifier
from sentiment.train.datasets import in_test_split

__all__ = ["DATA_DIR", "FRESH_FILES", "LANGUAGE_GROUPS", "SPLITS", "TEST_PERCENT", "LabeledText",
           "PersonaEval", "Scores", "Split", "evaluate", "f1_by_label", "labeled_personas",
           "labeled_texts", "score_predictions"]

DATA_DIR = Path(__file__).parents[1] / "persona_data"
TEST_PERCENT = 50

Split = Literal["dev", "test", "fresh", "fresh2"]
SPLITS: tuple[Split, ...] = ("dev", "test", "fresh", "fresh2")
# Frozen sets, each scored whole: never trained on.
FRESH_FILES: dict[str, str] = {"fresh": "fresh.jsonl", "fresh2": "fresh2.jsonl"}

# Chinese is scored as a whole and per script: each script is a smaller, noisier figure.
LANGUAGE_GROUPS: dict[str, tuple[str, ...]] = {
    "en": ("en",), "zh": ("zh-Hans", "zh-Hant"), "zh-Hans": ("zh-Hans",), "zh-Hant": ("zh-Hant",),
}
_LANGS = frozenset(lang for group in LANGUAGE_GROUPS.values() for lang in group)


@dataclass(frozen=True, slots=True)
class LabeledText:
    text: str
    persona: str
    lang: str  # one of en, zh-Hans, zh-Hant


def _row(line: str, where: str) -> LabeledText:
    row = json.loads(line)
    if row.get("persona") not in LABELS or row.get("lang") not in _LANGS:
        raise ValueError(f"{where}: persona must be one of {list(LABELS)} and lang one of "
                         f"{sorted(_LANGS)}, got {row.get('persona')!r}, {row.get('lang')!r}")
    return LabeledText(row["text"], row["persona"], row["lang"])


def labeled_texts(split: Split = "test") -> list[LabeledText]:
    """The labeled texts of one part of the set, with their language."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    name = FRESH_FILES.get(split, "personas.jsonl")
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    rows = [_row(line, f"{name} line {i}") for i, line in enumerate(lines, 1)]
    if split in FRESH_FILES:
        return rows
    return [row for row in rows
            if (split == "test") == in_test_split(row.text, TEST_PERCENT)]


def labeled_personas(split: Split = "test") -> list[tuple[str, str]]:
    """(text, persona) pairs of one part of the labeled set."""
    return [(row.text, row.persona) for row in labeled_texts(split)]


@dataclass(frozen=True, slots=True)
class Scores:
    examples: int
    accuracy: float
    macro_f1: float  # mean F1 over the labels in the gold or predicted labels
    f1: dict[str, float]


@dataclass(frozen=True, slots=True)
class PersonaEval:
    split: str
    classifier: str
    examples: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    by_language: dict[str, Scores]  # the groups of LANGUAGE_GROUPS present in the split
    errors: list[tuple[str, str, str]]  # (text, expected, predicted)


def f1_by_label(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """F1 of each label of LABELS that is in `gold` or `predicted` (0 for one never
    predicted correctly); a label absent from both (a small per-language part) is left out
    rather than counted as a 0."""
    pairs = list(zip(gold, predicted, strict=True))
    out = {}
    for label in LABELS:
        if label not in gold and label not in predicted:
            continue
        tp = sum(g == p == label for g, p in pairs)
        wrong = sum((g == label) != (p == label) for g, p in pairs)
        out[label] = round(2 * tp / (2 * tp + wrong), 4) if tp else 0.0
    return out


def score_predictions(gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Accuracy, macro-F1 and per-label F1 of predictions against gold labels."""
    f1 = f1_by_label(gold, predicted)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return Scores(examples=len(gold), accuracy=round(correct / len(gold), 4),
                  macro_f1=round(sum(f1.values()) / len(f1), 4), f1=f1)


def evaluate(classifier: PersonaClassifier, split: Split = "test") -> PersonaEval:
    """Score a classifier on one part of the labeled set, overall and per language."""
    rows = labeled_texts(split)
    predicted = [r.persona for r in classifier.classify([row.text for row in rows])]
    overall = score_predictions([row.persona for row in rows], predicted)
    by_language = {}
    for group, langs in LANGUAGE_GROUPS.items():
        members = [(row.persona, p) for row, p in zip(rows, predicted, strict=True)
                   if row.lang in langs]
        if members:
            gold, guessed = zip(*members, strict=True)
            by_language[group] = score_predictions(gold, guessed)
    return PersonaEval(
        split=split, classifier=classifier.name, examples=overall.examples,
        accuracy=overall.accuracy, macro_f1=overall.macro_f1, f1=overall.f1,
        by_language=by_language,
        errors=[(row.text, row.persona, p) for row, p in zip(rows, predicted, strict=True)
                if row.persona != p],
    )
