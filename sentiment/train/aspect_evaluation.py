"""Aspect extraction and aspect polarity measured on a hand-labeled set:
``mentionwatch eval aspects``.

The set is ``sentiment/aspect_data/<lang>.tsv`` (``en``, ``zh-Hans``, ``zh-Hant``): one
mention text a line, a tab, then its aspects as ``name:polarity`` separated by spaces
(canonical names of :data:`sentiment.aspects.SEED_ASPECTS`; nothing after the tab when the
text evaluates no aspect). docs/SENTIMENT.md says how it was written and labeled. A text's
side is decided by its hash (`TEST_PERCENT` of them are held out), as for the sentiment
sets: choices (lexicon words, the polarity method) are made on the ``train`` side only.

Extraction is scored on (text, aspect name) pairs: precision, recall and F1. Polarity is
the share of correctly found aspects whose polarity matches the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sentiment.aspects import SEED_VOCABULARY, Polarity, Vocabulary, extract
from sentiment.result import Label
from sentiment.train.datasets import in_test_split

__all__ = [
    "DATA",
    "LANGUAGES",
    "TEST_PERCENT",
    "AspectScores",
    "LabeledText",
    "evaluate",
    "load",
    "score",
]

DATA = Path(__file__).parents[1] / "aspect_data"
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
TEST_PERCENT = 50
Split = Literal["train", "test", "all"]


@dataclass(frozen=True, slots=True)
class LabeledText:
    text: str
    lang: str
    aspects: dict[str, Label]


@dataclass(frozen=True, slots=True)
class AspectScores:
    texts: int
    labeled: int  # aspects in the labels
    found: int  # aspects extracted
    correct: int  # extracted and labeled
    polarity_correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.labeled if self.labeled else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_correct / self.correct if self.correct else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"texts": self.texts, "labeled": self.labeled, "found": self.found,
                "precision": round(self.precision, 3), "recall": round(self.recall, 3),
                "f1": round(self.f1, 3), "polarity_accuracy": round(self.polarity_accuracy, 3)}


def _parse_line(line: str, lang: str, where: str) -> LabeledText:
    text, _, labels = line.partition("\t")
    aspects: dict[str, Label] = {}
    for pair in labels.split():
        name, _, polarity = pair.partition(":")
        if name not in SEED_VOCABULARY.aspects or polarity not in ("positive", "neutral",
                                                                  "negative"):
            raise ValueError(f"{where}: bad aspect label {pair!r}")
        aspects[name] = polarity  # type: ignore[assignment]  # checked just above
    return LabeledText(text.strip(), lang, aspects)


def load(split: Split = "all", data: Path = DATA) -> list[LabeledText]:
    """The labeled texts of every language on `split`'s side."""
    texts = []
    for lang in LANGUAGES:
        path = data / f"{lang}.tsv"
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if line.strip():
                texts.append(_parse_line(line, lang, f"{path.name}:{number}"))
    if split == "all":
        return texts
    return [t for t in texts if in_test_split(t.text, TEST_PERCENT) == (split == "test")]


def score(labeled: Sequence[LabeledText], found: Sequence[dict[str, Label]]) -> AspectScores:
    """Scores of extracted aspects (name -> polarity per text) against the labels."""
    correct = polarity_correct = 0
    for gold, got in zip(labeled, found, strict=True):
        hits = gold.aspects.keys() & got.keys()
        correct += len(hits)
        polarity_correct += sum(gold.aspects[name] == got[name] for name in hits)
    return AspectScores(len(labeled), sum(len(t.aspects) for t in labeled),
                        sum(len(f) for f in found), correct, polarity_correct)


def evaluate(labeled: Sequence[LabeledText], polarity: Polarity,
             vocabulary: Vocabulary = SEED_VOCABULARY) -> dict[str, AspectScores]:
    """Scores per language (and ``all``), extracting every text in one batch."""
    extracted = extract([t.text for t in labeled], vocabulary, polarity)
    found = [{a.name: a.polarity for a in aspects} for aspects in extracted]
    results = {"all": score(labeled, found)}
    for lang in LANGUAGES:
        pairs = [(t, f) for t, f in zip(labeled, found, strict=True) if t.lang == lang]
        results[lang] = score([t for t, _ in pairs], [f for _, f in pairs])
    return results
