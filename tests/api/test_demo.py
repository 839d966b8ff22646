"""`mentionwatch demo --no-serve`: the real crawl of the demo site, then a working API key."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_crawls_indexes_and_prints_queries_that_work(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--dir", str(tmp_path), "--no-serve",
         "--site-port", str(free_port())],
        capture_output=True, text=True, timeout=300, check=True)
    key = re.search(r"API key was made for you: (mw_\S+)", done.stdout)
    assert key, done.stdout
    paths = re.findall(r"curl -H 'X-API-Key: \S+' 'http://127\.0\.0\.1:\d+(\S+)'", done.stdout)
    assert len(paths) == 3
    with TestClient(create_app(Settings(db=tmp_path / "mentionwatch.db"))) as client:
        client.headers["X-API-Key"] = key.group(1)
        totals = [client.get(path).json()["total"] for path in paths]
    assert all(totals), totals  # each printed query finds demo mentions
