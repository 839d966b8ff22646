"""A crawl whose sentiment model cannot load ends with that one error, fetching nothing,
and `mentionwatch demo` stops there too, where both used to print Twisted's traceback,
index nothing and exit 0 (the demo then offered its empty index)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.loopback import Loopback, Reply, free_port

MISSING_MODEL = "/nonexistent/adapter.safetensors"


def _page(path: str) -> Reply:
    return 200, {"Content-Type": "text/html"}, b"<html><body>Acme</body></html>"


def test_a_model_that_cannot_load_is_one_error_and_no_request(tmp_path: Path) -> None:
    watchlist = tmp_path / "mentionwatch.toml"
    with Loopback(_page) as site:
        watchlist.write_text(
            '[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
            f'type = "schemaorg"\nurl = "{site.url}/acme.html"\n', encoding="utf-8")
        crawl = subprocess.run(
            [sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist),
             "--db", str(tmp_path / "m.db"), "--allow-loopback", "--model", MISSING_MODEL],
            capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 1
    assert crawl.stderr.startswith(f"Error: cannot load sentiment model '{MISSING_MODEL}'")
    assert "Traceback" not in crawl.stderr
    assert site.received == []


def test_the_demo_stops_at_its_crawls_error(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--no-serve", "--dir", str(tmp_path),
         "--site-port", str(free_port())],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "MENTIONWATCH_MODEL": MISSING_MODEL})
    assert demo.returncode == 1
    assert f"cannot load sentiment model '{MISSING_MODEL}'" in demo.stderr
    assert demo.stderr.rstrip().endswith("Error: the demo's crawl failed: its error is above")
    assert "Traceback" not in demo.stderr and "API key" not in demo.stdout
