"""A LoRA adapter for e5-small and its 3-class head, kept as one small safetensors file.

:mod:`sentiment.train.finetune` trains it (with peft); scoring never imports peft: the adapter is
merged into the encoder's weights at load (``W += scale * B @ A`` for every adapted linear
layer), so a merged model costs exactly what the plain one does and keeps the bfloat16 path.

File layout (``safetensors``, float32): ``<module>.lora_A`` (rank, in) and ``<module>.lora_B``
(out, rank) per adapted module (e.g. ``encoder.layer.0.attention.self.query``),
``head.weight`` (3, 384) and ``head.bias`` (3,) over the L2-normalised mean-pooled
embedding, rows in :data:`~sentiment.result.LABELS` order. Metadata: ``format``,
``scale`` (alpha / rank) and ``training`` (JSON: data, settings, time, machine).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors.numpy import load_file, save_file

from sentiment.head import LinearHead

if TYPE_CHECKING:
    import torch

__all__ = ["ADAPTER_FORMAT", "DEFAULT_ADAPTER", "Adapter", "load_adapter", "merge_adapter",
           "save_adapter"]

ADAPTER_FORMAT = "mentionwatch-lora-1"
DEFAULT_ADAPTER = Path(__file__).parent / "heads" / "e5-small-lora.safetensors"
_A, _B = ".lora_A", ".lora_B"


@dataclass(frozen=True, slots=True)
class Adapter:
    """Low-rank updates per module, their scale, and the classifier head."""

    lora: dict[str, tuple[np.ndarray, np.ndarray]]  # module -> (A (rank, in), B (out, rank))
    scale: float
    head: LinearHead
    training: dict[str, object] = field(default_factory=dict)
    sha256: str = ""  # of the file it was read from: part of the embedding cache key


def save_adapter(adapter: Adapter, path: Path) -> None:
    """Write ``adapter`` to ``path`` (see the module docstring for the layout)."""
    tensors = {"head.weight": adapter.head.weights.astype(np.float32),
               "head.bias": adapter.head.bias.astype(np.float32)}
    for module, (a, b) in adapter.lora.items():
        tensors[module + _A] = np.ascontiguousarray(a, dtype=np.float32)
        tensors[module + _B] = np.ascontiguousarray(b, dtype=np.float32)
    metadata = {"format": ADAPTER_FORMAT, "scale": repr(adapter.scale),
                "training": json.dumps(adapter.training, ensure_ascii=False, sort_keys=True)}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata)


def load_adapter(path: Path) -> Adapter:
    """Read an adapter file. Raises ``ValueError`` naming what is wrong with it."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("format") != ADAPTER_FORMAT:
        raise ValueError(f"{path}: not a {ADAPTER_FORMAT} adapter "
                         f"(format {metadata.get('format')!r})")
    tensors = load_file(str(path))
    modules = sorted(name[: -len(_A)] for name in tensors if name.endswith(_A))
    missing = [m + _B for m in modules if m + _B not in tensors]
    if missing or "head.weight" not in tensors or "head.bias" not in tensors:
        raise ValueError(f"{path}: missing tensors {missing or ['head.weight/head.bias']}")
    head = LinearHead(tensors["head.weight"].astype(np.float64),
                      tensors["head.bias"].astype(np.float64))
    return Adapter(
        {m: (tensors[m + _A], tensors[m + _B]) for m in modules},
        float(metadata["scale"]),
        head,
        json.loads(metadata.get("training", "{}")),
        hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def merge_adapter(model: torch.nn.Module, adapter: Adapter) -> None:
    """Add each low-rank update to its module's weight, in place (``W += scale * B @ A``).

    Raises ``ValueError`` when a module is missing or its shape does not fit.
    """
    import torch

    with torch.no_grad():
        for module_name, (a, b) in adapter.lora.items():
            try:
                weight = model.get_submodule(module_name).weight
            except AttributeError as exc:
                raise ValueError(f"the model has no module {module_name}") from exc
            if not isinstance(weight, torch.Tensor):  # a submodule named `weight`
                raise ValueError(f"{module_name}.weight is not a tensor")
            update = adapter.scale * (torch.from_numpy(b) @ torch.from_numpy(a))
            if update.shape != weight.shape:
                raise ValueError(f"{module_name}: update {tuple(update.shape)} does not fit "
                                 f"weight {tuple(weight.shape)}")
            weight += update.to(weight.dtype)
