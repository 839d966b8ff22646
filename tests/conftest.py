from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DEMO_SITE = Path(__file__).resolve().parents[1] / "api" / "demo_site"


def _table(header: str) -> list[list[str]]:
    """The rows of the api/demo_site/EXPECTED.md table whose header line starts with `header`."""
    lines = (DEMO_SITE / "EXPECTED.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:  # past the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@pytest.fixture(scope="session")
def demo_expected() -> Callable[[str], list[list[str]]]:
    """Reads a table of what a crawl of the demo site must find."""
    return _table
