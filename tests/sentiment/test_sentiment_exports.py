"""The package's public surface and its dependency rules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sentiment

PACKAGE = Path(sentiment.__file__).parent
TRAINING_ONLY = {"sklearn", "opencc"}
FORBIDDEN = {"index", "crawlers", "api"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_public_names_are_pinned() -> None:
    assert sorted(sentiment.__all__) == [
        "DEFAULT_MODEL",
        "Label",
        "ModelLoadError",
        "Scorer",
        "SentimentError",
        "SentimentResult",
        "load_scorer",
    ]


def test_sentiment_imports_nothing_above_it_and_training_deps_only_in_training() -> None:
    for path in PACKAGE.glob("*.py"):
        imports = imported_modules(path)
        assert not imports & FORBIDDEN, path.name
        if path.name not in {"train.py", "datasets.py"}:
            assert not imports & TRAINING_ONLY, path.name


def test_importing_the_package_does_not_load_torch() -> None:
    code = "import sys, sentiment; print('torch' in sys.modules, 'transformers' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.split() == ["False", "False"]
