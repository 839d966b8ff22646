"""`mentionwatch bench api` end to end, tiny: a real server, real clients, the JSON it
prints (figures are recorded in docs/BENCHMARKS.md, never asserted)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main

ROUTES = {"search", "histogram", "share_of_voice", "export"}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_bench_api_loads_a_real_server_and_reports_every_route(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    args = ["bench", "api", "--docs", "300", "--clients", "2", "--seconds", "2", "--db", str(db)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)

    assert report["errors"] == {}
    assert (report["docs"], report["clients"]) == (300, 2)
    assert set(report["routes"]) == ROUTES
    assert all(route["requests"] > 0 for route in report["routes"].values())
    assert report["requests"] == sum(route["requests"] for route in report["routes"].values())
    assert report["requests_per_second"] > 0
    assert set(report["latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert report["server"]["start"]["rss_mib"] > 0 and report["server"]["end"]["rss_mib"] > 0
    assert report["machine"]["nproc"] >= 1 and len(report["machine"]["load_average"]) == 3
    assert report["index"] == {"built": True, "seconds": report["index"]["seconds"],
                               "file": str(db)}

    again = CliRunner().invoke(main, [*args[:-2], "--db", str(db), "--seconds", "1"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["index"] == {"built": False, "file": str(db)}


def test_bench_api_serves_with_several_workers() -> None:
    result = CliRunner().invoke(main, ["bench", "api", "--docs", "100", "--clients", "2",
                                       "--seconds", "1", "--workers", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["errors"] == {}
    assert report["server"]["workers"] == 2
    assert all(route["requests"] > 0 for route in report["routes"].values())


def test_bench_api_refuses_an_index_of_another_size(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    CliRunner().invoke(main, ["bench", "api", "--docs", "50", "--clients", "1", "--seconds",
                              "0.5", "--db", str(db)])
    result = CliRunner().invoke(main, ["bench", "api", "--docs", "60", "--db", str(db)])
    assert result.exit_code == 1
    assert f"{db} holds 50 mentions, not 60" in result.output


def test_bench_api_sends_only_the_routes_asked_for(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    args = ["bench", "api", "--docs", "200", "--clients", "2", "--seconds", "1", "--db", str(db)]
    result = CliRunner().invoke(main, [*args, "--only", "empty_search", "--only", "export"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["errors"] == {}
    assert set(report["routes"]) == {"empty_search", "export"}
    assert all(route["requests"] > 0 for route in report["routes"].values())
    assert report["server"]["cpu_ms_per_request"] > 0

    wrong = CliRunner().invoke(main, [*args, "--only", "serach"])
    assert wrong.exit_code == 1
    assert "no route serach: the routes are search, histogram" in wrong.output


def test_bench_api_counts_error_answers_by_status_and_no_answer_by_name() -> None:
    from bench.api import _WEIGHTS, _load
    from tests.loopback import Loopback, free_port

    with Loopback(lambda path: (503, {"Content-Type": "text/plain"}, b"busy")) as site:
        busy = asyncio.run(_load(site.url, "k", 2, 0.3, 0, _WEIGHTS))
    answered = sum(len(laps) for laps in busy.latencies.values())
    assert answered > 0 and dict(busy.errors) == {"503": answered}
    assert all(path.startswith(("/mentions", "/analytics/")) for path in site.received)

    nobody = asyncio.run(_load(f"http://127.0.0.1:{free_port()}", "k", 1, 0.2, 0, _WEIGHTS))
    assert not nobody.latencies and set(nobody.errors) == {"ConnectError"}
