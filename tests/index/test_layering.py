"""`index` sits at the bottom: it must not import the packages built on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import index


def test_index_imports_nothing_above_it() -> None:
    probe = "import sys, index; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    root = Path(index.__file__).parents[1]
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "index" in loaded
    assert {"sentiment", "crawlers", "api"}.isdisjoint(loaded)


def test_every_exported_name_exists() -> None:
    assert [name for name in index.__all__ if not hasattr(index, name)] == []
