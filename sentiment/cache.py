"""Where mentionwatch keeps built models and training downloads (never committed)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_root"]

CACHE_ENV = "MENTIONWATCH_CACHE_DIR"


def cache_root() -> Path:
    """``$MENTIONWATCH_CACHE_DIR`` if set, else ``~/.cache/mentionwatch``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "mentionwatch"
