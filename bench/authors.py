"""CPU time of the three features that look authors up, on a `bench index` corpus file:

    python -m bench.authors bench.db          # a file of `bench.index.generate(...)`
    python -m bench.authors --build 100000 bench.db

- `advocates`: `store.advocates` for one brand's top 100 authors (what it adds to is below);
- `with_engagement`: `api.advocates.find_leads`, the same leads with each one's engagement
  (what `GET /advocates` answers);
- `rule_pass`: the `advocate_turned_negative` rule over the 20 brands' last 24 hours;
- `author_history`: the inbox's per-mention lookup, for 200 negative mentions;
- `triage_2000`: triaging 2,000 mentions of the last two days into a new inbox.

Prints JSON; the figures are in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from api.advocates import find_leads
from api.alerts.config import ConfiguredRule
from api.alerts.rules import AdvocateTurnedNegative, AdvocateTurnedNegativeOptions
from api.alerts.runner import AlertRunner
from bench.index import BRANDS, END, generate
from crawlers.triage import author_history, triage
from index.backend import Filters
from index.inbox import Inbox
from index.sqlite import SqliteStore


def cpu_ms(runs: int, call: Callable[[int], object]) -> dict[str, float]:
    """p50 and p95 CPU milliseconds of `runs` calls, after one to warm the caches."""
    call(0)
    laps = []
    for run in range(runs):
        start = time.thread_time()
        call(run)
        laps.append((time.thread_time() - start) * 1000)
    laps.sort()
    return {"runs": runs, "p50_cpu_ms": round(statistics.median(laps), 2),
            "p95_cpu_ms": round(laps[max(0, round(0.95 * runs) - 1)], 2)}


def build(path: Path, docs: int) -> None:
    with SqliteStore(path) as store:
        for mentions in generate(docs):
            store.upsert(mentions)


def measure(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    start = time.process_time()
    with SqliteStore(path) as store:
        out["open_cpu_s"] = round(time.process_time() - start, 2)  # a migration, if any
        out["advocates"] = cpu_ms(40, lambda r: store.advocates(
            "", Filters(brand=BRANDS[r % len(BRANDS)]), min_score=0.5, size=100))
        out["with_engagement"] = cpu_ms(40, lambda r: find_leads(
            store, BRANDS[r % len(BRANDS)], min_score=0.5, limit=100))
        rule = ConfiguredRule(AdvocateTurnedNegative(AdvocateTurnedNegativeOptions(name="t")),
                              "brand", BRANDS)
        runner = AlertRunner(store, None, [rule])  # type: ignore[arg-type]  # no state kept
        alerts: list[int] = []
        out["rule_pass"] = cpu_ms(3, lambda _: alerts.append(
            len(runner.evaluate(rule, END, END - timedelta(hours=24)))))
        out["rule_pass"]["alerts"] = alerts[-1]
        negatives = [h.mention for h in store.search(
            "sentiment:negative", Filters(brand=BRANDS[0]), sort="newest", size=200).hits]
        out["author_history"] = cpu_ms(200, lambda r: author_history(
            store, negatives[r % len(negatives)]))
        batch = list(store.export("", Filters(since=END - timedelta(days=2), until=END)))[:2000]
        with tempfile.TemporaryDirectory() as tmp, Inbox(Path(tmp) / "inbox.db") as inbox:
            start = time.process_time()
            opened = triage(store, inbox, batch, now=END).opened
            out["triage_2000"] = {
                "cpu_s": round(time.process_time() - start, 2), "opened": opened,
                "turned": len(inbox.items(reason="advocate_turned_negative", now=END))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--build", type=int, metavar="DOCS",
                        help="Make the file first, with this many synthetic mentions.")
    args = parser.parse_args()
    if args.build:
        build(args.path, args.build)
    print(json.dumps(measure(args.path)))


if __name__ == "__main__":
    main()
