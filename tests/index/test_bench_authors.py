"""`python -m bench.authors`: it runs on a small corpus and says what it measured (figures
are recorded in docs/BENCHMARKS.md, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bench


def test_it_builds_a_corpus_and_prints_each_figure_as_json(tmp_path: Path) -> None:
    root = Path(bench.__file__).parents[1]
    printed = subprocess.run(
        [sys.executable, "-m", "bench.authors", "--build", "1500", str(tmp_path / "b.db")],
        cwd=root, capture_output=True, text=True, check=True).stdout
    figures = json.loads(printed)
    assert {"advocates", "with_engagement", "rule_pass", "author_history",
            "triage_2000"} <= figures.keys()
    assert figures["with_engagement"]["runs"] == 40
    assert figures["triage_2000"]["opened"] > 0
