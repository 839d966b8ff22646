"""Training, evaluation and benchmarks stay out of the runtime, and its imports form no loop."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from zipfile import ZipFile

import pytest

ROOT = Path(__file__).parents[1]
RUNTIME = ("api", "crawlers", "index", "sentiment")
TOOLING = ("bench", "sentiment.train")

def _is_tooling(module: str) -> bool:
    return any(module == t or module.startswith(t + ".") for t in TOOLING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> dict[str, Path]:
    return {_module_name(path): path for path in (ROOT / package).rglob("*.py")
            if path.name != "__main__.py"}


def test_no_runtime_module_imports_tooling() -> None:
    # Every runtime module (the CLI too, whose tooling commands import it only when run)
    # is imported; then no tooling module may be loaded.
    runtime = sorted(m for package in RUNTIME for m in _modules(package) if not _is_tooling(m))
    probe = ("import importlib, json, sys\n"
             f"for name in {runtime!r}: importlib.import_module(name)\n"
             "print(json.dumps(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    assert "api.app" in json.loads(loaded)
    assert [m for m in json.loads(loaded) if _is_tooling(m)] == []


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere in it (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def test_the_sentiment_modules_import_each_other_in_one_direction() -> None:
    files = _modules("sentiment")
    graph = {name: _imports(path, set(files)) - {name, "sentiment"}
             for name, path in files.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError(f"import loop: {' -> '.join(exc.args[1])}") from None


def test_the_documented_training_entry_points_run() -> None:
    for options in (["--help"], ["--finetune", "--help"]):
        shown = subprocess.run([sys.executable, "-m", "sentiment.train", *options], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout
        assert "usage: python -m sentiment.train" in shown


def _tracked(*paths: str) -> list[str]:
    return subprocess.run(["git", "ls-files", *paths], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.split()


# What the dashboard and /docs request of node_modules (filled by `make install`).
_SERVED_FROM_NPM = [
    "api/web/node_modules/chart.js/dist/chart.umd.min.js",
    "api/web/node_modules/swagger-ui-dist/swagger-ui-bundle.js",
    "api/web/node_modules/swagger-ui-dist/swagger-ui.css",
    "api/web/node_modules/swagger-ui-dist/favicon-32x32.png",
]


@pytest.mark.slow
def test_the_wheel_ships_the_models_the_labeled_data_and_the_tooling(tmp_path: Path) -> None:
    # `pip install .` must score with the default model, run `eval`, `bench`, `model refit`
    # and the demo: every file of sentiment/, bench/ and the demo site goes into the wheel.
    source = tmp_path / "source"
    for name in _tracked() + _SERVED_FROM_NPM:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(source)],
                   capture_output=True, check=True)
    with ZipFile(next(tmp_path.glob("mentionwatch-*.whl"))) as wheel:
        shipped = set(wheel.namelist())
    assert sorted(set(_tracked("sentiment", "bench", "api/demo_site")) - shipped) == []
    # An installed server (the Docker image) serves the dashboard's charts and /docs.
    assert sorted(set(_SERVED_FROM_NPM) - shipped) == []
