"""Any transformers sequence-classification checkpoint as a sentiment scorer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sentiment.chunking import combine_windows, plan_windows
from sentiment.errors import ModelLoadError
from sentiment.inference import (
    max_content_tokens,
    quiet_progress,
    run_windows,
    token_ids,
    tokenizer_affixes,
    use_available_cores,
)
from sentiment.labels import label_matrix
from sentiment.result import SentimentResult
from sentiment.scorer import score_texts

__all__ = ["ClassifierScorer"]


class ClassifierScorer:
    """An ``AutoModelForSequenceClassification`` loaded with ``local_files_only=True``.

    Its ``config.id2label`` is mapped onto negative/neutral/positive (see
    :func:`sentiment.labels.label_matrix`). Long texts are scored per window and the
    window probabilities averaged, weighted by token count.
    """

    def __init__(self, model: str, *, batch_size: int = 32) -> None:
        use_available_cores()
        self.name = model
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
        with quiet_progress():
            loaded, info = AutoModelForSequenceClassification.from_pretrained(
                model, local_files_only=True, output_loading_info=True
            )
        if info["missing_keys"]:
            missing = ", ".join(sorted(info["missing_keys"])[:4])
            raise ModelLoadError(model, f"the checkpoint lacks trained weights ({missing})")
        self.model = loaded.eval()
        try:
            self.labels, self.has_neutral = label_matrix(self.model.config.id2label)
        except ValueError as exc:
            raise ModelLoadError(model, str(exc)) from exc
        self.affixes = tokenizer_affixes(self.tokenizer)
        self.max_tokens = max_content_tokens(self.tokenizer, self.model.config, self.affixes)
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.model.config.pad_token_id or 0)

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """One result per text, in order; all windows run in shared batches."""
        return score_texts(texts, self.probabilities, model=self.name, has_neutral=self.has_neutral)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) p(negative), p(neutral), p(positive) for non-blank texts."""
        windows = plan_windows(token_ids(self.tokenizer, texts), self.max_tokens, self.affixes)
        per_window = run_windows(
            windows, self._softmax, pad_id=self.pad_id, batch_size=self.batch_size
        )
        probabilities: np.ndarray = combine_windows(per_window, windows, len(texts)) @ self.labels
        return probabilities

    def _softmax(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        logits = self.model(input_ids=ids, attention_mask=mask).logits
        return torch.softmax(logits.float(), dim=-1)
