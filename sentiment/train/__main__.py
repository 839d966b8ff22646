"""``python -m sentiment.train``: the head and n-gram model (:mod:`sentiment.train.heads`);
with ``--finetune``, the LoRA adapter (:mod:`sentiment.train.finetune`) instead."""

from __future__ import annotations

import sys


def _main(argv: list[str]) -> int:
    if "--finetune" in argv:
        from sentiment.train.finetune import main as finetune

        return finetune([arg for arg in argv if arg != "--finetune"])
    from sentiment.train.heads import main

    return main(argv)


raise SystemExit(_main(sys.argv[1:]))
