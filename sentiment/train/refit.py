"""Refit an e5 model's head with people's corrections: ``mentionwatch model refit``.

The refit trains what ``python -m sentiment.train`` trains, on the same training side of
the fixed split, with every usable correction added, over the encoder of the model in use
(plain e5-small, or e5-small with the fine-tuned adapter merged in; the encoder itself is
not retrained, and the written head records which one it fits):

- the e5 head is fitted anew (C chosen again by cross-validation);
- the n-gram model is fitted anew over the n-grams of the heads it replaces (choosing
  n-grams again would double the cost for little), and keeps their ensemble weight.

A correction counts :data:`CORRECTION_WEIGHT` times in both fits. Its text replaces any
training text that is the same once normalised (the person's label wins), a text corrected
twice keeps its latest label, and a correction whose text (or its Traditional form) is in
a held-out evaluation set is left out and counted: nothing of a test split is trained on.
Before and after are evaluated on the same held-out sets, and the new files are written to
a directory of their own; the committed heads are never overwritten.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from sentiment.adapter import DEFAULT_ADAPTER, Adapter, load_adapter
from sentiment.ensemble import log_linear
from sentiment.errors import SentimentError
from sentiment.head import DEFAULT_HEAD, LinearHead, save_head
from sentiment.head_scorer import encoder_id, load_heads
from sentiment.loader import ADAPTER_SUFFIX, DEFAULT_MODEL, FINETUNED_MODEL, HEAD_MODEL
from sentiment.ngrams import DEFAULT_NGRAMS, NgramModel, save_ngrams
from sentiment.result import LABELS, Label
from sentiment.train.datasets import Converter, Example, normalise_text
from sentiment.train.evaluation import heldout_sets
from sentiment.train.heads import (
    embed_sides,
    fit_head,
    fit_ngrams,
    held_out_figures,
    load_corpora,
    ngram_pool,
)
from sentiment.train.splits import SEED, build_splits

__all__ = ["CORRECTION_WEIGHT", "CorrectionPlan", "plan_corrections", "refit"]

# A person's label is about the user's own brands and sources, and there are few of them
# next to ~14,000 corpus texts (62,000 for the n-grams): each counts as this many. Measured
# on a full refit (docs/SENTIMENT.md): 5 kept 5 of 7 corrected texts, 10 kept 6 and 20
# all 7, while held-out pos/neg accuracy fell by up to 0.1, 0.3 and 0.7 points.
CORRECTION_WEIGHT = 10.0
COMMITTED_HEADS = DEFAULT_HEAD.parent


@dataclass(frozen=True, slots=True)
class CorrectionPlan:
    """Which corrections are trained on, and how many were left out and why."""

    used: tuple[Example, ...]
    held_out: int  # text in a held-out evaluation set
    repeated: int  # the same text corrected again: the latest label is kept
    blank: int  # nothing to train on

    def as_dict(self) -> dict[str, int]:
        """Counts for the report."""
        return {"used": len(self.used), "skipped_held_out": self.held_out,
                "repeated": self.repeated, "skipped_blank": self.blank}


def plan_corrections(
    corrections: Sequence[tuple[str, str]], held_out: set[str],
    to_traditional: Callable[[str], str],
) -> CorrectionPlan:
    """The (text, label) corrections, oldest first, as training examples.

    ``held_out`` holds the normalised texts of every held-out set; a correction whose text
    or Traditional form is among them is left out. Raises ``ValueError`` for a label that
    is not positive, neutral or negative.
    """
    latest: dict[str, Example] = {}
    skipped_held_out = repeated = blank = 0
    for text, label in corrections:
        if label not in LABELS:
            raise ValueError(f"correction label must be one of {', '.join(LABELS)}, got {label!r}")
        key = normalise_text(text)
        if not key:
            blank += 1
        elif key in held_out or normalise_text(to_traditional(text)) in held_out:
            skipped_held_out += 1
        else:
            repeated += key in latest
            latest.pop(key, None)  # re-inserted: the order stays the order of the labels
            latest[key] = Example(text, label, "correction")
    return CorrectionPlan(tuple(latest.values()), skipped_held_out, repeated, blank)


def _sample(examples: Sequence[Example], size: int | None) -> list[Example]:
    """A fixed random sample of ``size`` examples (all of them for ``None``)."""
    if size is None or size >= len(examples):
        return list(examples)
    return random.Random(SEED).sample(sorted(examples, key=lambda ex: ex.text), size)


def _training_rows(
    examples: Sequence[Example], corrections: Sequence[Example]
) -> tuple[np.ndarray, list[Label], np.ndarray]:
    """Which corpus examples stay (not replaced by a correction), then the labels and
    weights of those plus the corrections, in that order."""
    replaced = {normalise_text(ex.text) for ex in corrections}
    keep = np.array([normalise_text(ex.text) not in replaced for ex in examples], dtype=bool)
    kept = [ex for ex, k in zip(examples, keep, strict=True) if k]
    labels = [ex.label for ex in kept] + [ex.label for ex in corrections]
    weights = np.concatenate([np.ones(len(kept)), np.full(len(corrections), CORRECTION_WEIGHT)])
    return keep, labels, weights


def _ensemble(head: LinearHead, ngrams: NgramModel, embeddings: np.ndarray,
              texts: Sequence[str]) -> np.ndarray:
    return log_linear(head.probabilities(embeddings), ngrams.probabilities(texts), ngrams.weight)


def _figures(
    head: LinearHead, ngrams: NgramModel, embedded: dict[str, np.ndarray],
    sets: dict[str, list[Example]],
) -> dict[str, dict[str, float]]:
    """Per set, the figures :func:`sentiment.train.heads.held_out_figures` reports, rounded."""
    report: dict[str, dict[str, float]] = {}
    for name, examples in sets.items():
        rows = _ensemble(head, ngrams, embedded[name], [ex.text for ex in examples])
        flat = held_out_figures({name: rows}, {name: examples})
        report[name] = {key.removeprefix(f"{name} "): round(v, 4) for key, v in flat.items()}
    return report


def _agreement(head: LinearHead, ngrams: NgramModel, embeddings: np.ndarray,
               corrections: Sequence[Example]) -> float | None:
    """Share of corrected texts the model labels as the person did."""
    if not corrections:
        return None
    rows = _ensemble(head, ngrams, embeddings, [ex.text for ex in corrections])
    return round(float(np.mean([LABELS[int(np.argmax(row))] == ex.label
                                for row, ex in zip(rows, corrections, strict=True)])), 4)


def _adapter_of(model: str) -> Adapter | None:
    """The adapter an e5 model name stands for (None for the frozen one); ``SentimentError``
    for a model without a head to refit."""
    if model == HEAD_MODEL:
        return None
    if model == FINETUNED_MODEL or model.endswith(ADAPTER_SUFFIX):
        return load_adapter(DEFAULT_ADAPTER if model == FINETUNED_MODEL else Path(model))
    raise SentimentError(f"a refit needs an e5 model ({FINETUNED_MODEL}, {HEAD_MODEL} or an "
                         f"adapter file), not {model!r}")


def refit(
    corrections: Sequence[tuple[str, str]], *, out: Path, model: str | None = None,
    base: Path | None = None, sample: int | None = None, batch_size: int = 32,
) -> dict[str, object]:
    """Refit the head and n-gram model of ``model`` (an e5 model name or adapter file; None:
    the default) with ``corrections`` ((text, label), oldest first), write them to ``out``
    and report the corrections used and the held-out figures of ``base`` (a heads directory
    refit for the same model; None: the model's committed head) and of the refit.

    ``sample`` trains on that many examples of each training set and evaluates on that
    many of each held-out set (a quick run; the corrections are always all used).
    Raises :class:`SentimentError` without the train extra or the data, ``ValueError``
    for ``out`` being the committed heads directory or a bad label.
    """
    if out.resolve() == COMMITTED_HEADS.resolve():
        raise ValueError(f"{out} holds the committed heads; write the refit elsewhere")
    if find_spec("sklearn") is None:  # said now, not after minutes of embedding
        raise SentimentError("a refit needs scikit-learn: pip install 'scikit-learn>=1.4,<2' "
                             "(the train extra)")
    from sentiment.checkpoint import ensure_checkpoint
    from sentiment.encoder import E5Encoder

    started = time.perf_counter()
    adapter = _adapter_of(model or DEFAULT_MODEL)
    base_head, base_ngrams = load_heads(base, adapter=adapter)
    corpora = load_corpora()
    to_traditional = Converter()
    parts = (corpora.vader, corpora.reviews, corpora.chinese, corpora.news)
    evaluation = heldout_sets(*parts, to_traditional)
    plan = plan_corrections(
        corrections, {normalise_text(ex.text) for held in evaluation for ex in held.examples},
        to_traditional,
    )
    used = list(plan.used)

    train = {name: _sample(examples, sample)
             for name, examples in build_splits(*parts, to_traditional).train.items()}
    held = {held.name: _sample(held.examples, sample) for held in evaluation}
    if sample is None:
        pool, _ = ngram_pool(parts, (corpora.chinese, corpora.news), to_traditional)
    else:
        pool = [ex for examples in train.values() for ex in examples]

    checkpoint = ensure_checkpoint()
    encoder = E5Encoder(checkpoint, batch_size=batch_size, adapter=adapter)
    embedded = embed_sides(encoder, {"train": train, "held-out": held}, checkpoint)
    corrected = encoder.embed([ex.text for ex in used])

    head_examples = [ex for examples in train.values() for ex in examples]
    keep, head_labels, head_weights = _training_rows(head_examples, used)
    all_rows = np.concatenate([embedded["train"][name] for name in train])
    head, chosen = fit_head(np.concatenate([all_rows[keep], corrected]), head_labels, head_weights)

    keep_pool, pool_labels, pool_weights = _training_rows(pool, used)
    pool_texts = [ex.text for ex, k in zip(pool, keep_pool, strict=True) if k]
    vocabulary = sorted(base_ngrams.vocabulary, key=base_ngrams.vocabulary.__getitem__)
    fitted = fit_ngrams(pool_texts + [ex.text for ex in used], pool_labels, vocabulary,
                        pool_weights)

    refit_info: dict[str, object] = {
        "command": "mentionwatch model refit",
        "corrections": plan.as_dict(),
        "correction_weight": CORRECTION_WEIGHT,
        "sample": sample,
        "base": str(base) if base else "committed heads",
        "model": model or DEFAULT_MODEL,
    }
    metadata: dict[str, object] = {"refit": refit_info, "encoder": encoder_id(adapter)}
    save_head(LinearHead(head.weights, head.bias, metadata | chosen), out / DEFAULT_HEAD.name)
    ngrams = NgramModel(fitted.vocabulary, fitted.idf, fitted.weights, fitted.bias,
                        base_ngrams.weight, {key: str(v) for key, v in refit_info.items()})
    save_ngrams(ngrams, out / DEFAULT_NGRAMS.name)

    before = _figures(base_head, base_ngrams, embedded["held-out"], held)
    after = _figures(head, ngrams, embedded["held-out"], held)
    return {
        "out": str(out),
        "base": refit_info["base"],
        "corrections": plan.as_dict() | {
            "replaced_training_texts": int((~keep).sum()),
            "labelled_as_corrected_before": _agreement(base_head, base_ngrams, corrected, used),
            "labelled_as_corrected_after": _agreement(head, ngrams, corrected, used),
        },
        "refit": {"head": True, "ngrams": True, "correction_weight": CORRECTION_WEIGHT,
                  "sample": sample, "head_texts": len(head_labels),
                  "ngram_texts": len(pool_labels), "ngram_features": len(vocabulary),
                  "ensemble_weight": base_ngrams.weight} | chosen,
        "sets": {name: {"texts": len(held[name]), "before": before[name], "after": after[name]}
                 for name in held},
        "seconds": round(time.perf_counter() - started, 1),
    }
