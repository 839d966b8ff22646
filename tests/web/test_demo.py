"""`mentionwatch demo`, as `make demo` runs it: the real crawl of the demo site, then the
printed example queries and the printed dashboard link, used as a person would."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.loopback import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's output up to its dashboard link, with its API still serving."""
    workdir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--dir", str(workdir),
         "--site-port", str(free_port()), "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    printed = ""
    deadline = time.monotonic() + 300
    while "Ctrl-C" not in printed:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            process.communicate()
            pytest.fail(f"the demo stopped before serving:\n{printed}")
        printed += line
    base = re.search(r"API on (http://127\.0\.0\.1:\d+)", printed)
    assert base, printed
    while True:  # the link is printed just before the server starts listening
        try:
            httpx.get(f"{base.group(1)}/health")
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"the demo's API never answered:\n{printed}")
            time.sleep(0.1)
    try:
        yield printed
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_the_printed_queries_find_demo_mentions(demo: str) -> None:
    commands = re.findall(r"curl -H 'X-API-Key: (\S+)' '(http://127\.0\.0\.1:\d+\S+)'", demo)
    assert len(commands) == 3, demo
    totals = [httpx.get(url, headers={"X-API-Key": key}).json()["total"]
              for key, url in commands]
    assert all(totals), totals


def test_the_printed_link_opens_the_dashboard_on_the_demo_data(demo: str,
                                                               browser: Any) -> None:
    link = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/#key=mw_\S+)", demo)
    assert link, demo
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(link.group(1))
        expect(page.locator("#tabs")).to_be_visible()
        page.click("#tabs a[data-view=search]")
        page.fill("#q", "battery")
        page.click("#search-form button[type=submit]")
        expect(page.locator("#results li").first).to_contain_text("battery", ignore_case=True)
        expect(page.locator("#f-brand option", has_text="Acme")).to_have_count(1)
    finally:
        context.close()


def test_the_demo_opens_on_the_overview_with_every_tile_filled(demo: str, browser: Any,
                                                              tmp_path: Path) -> None:
    link = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/#key=mw_\S+)", demo)
    assert link, demo
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(link.group(1))
        expect(page.locator("#view-overview")).to_be_visible()
        tiles = page.locator("#overview-tiles .tile")
        expect(tiles).to_have_count(12)
        page.screenshot(path=tmp_path / "demo-overview.png", full_page=True)
        # Filled: a figure, or rows of what it lists, never only "none in this period".
        empty = tiles.evaluate_all(
            "tiles => tiles.filter((t) => !t.querySelector('li') && "
            "(t.querySelector('.figure')?.textContent ?? '–').startsWith('–'))"
            ".map((t) => t.querySelector('h3').textContent)")
        assert empty == []
        for title in ("Sentiment", "Share of voice", "Top aspects", "Rising terms",
                      "Top advocates", "Coverage", "Responses"):
            expect(tiles.filter(has=page.locator("h3", has_text=title)).locator("li").first
                   ).to_be_visible()
        # The AI answers are counted under the source whose runs are recorded.
        coverage = tiles.filter(has=page.locator("h3", has_text="Coverage"))
        expect(coverage.locator("li", has_text="ai_answers")).to_contain_text("6 mentions")
        expect(coverage).not_to_contain_text("no run recorded")
        # The demo's alerts pass: its unanswered rule fires on the negative reviews no brand
        # reply answers; the tile lists them, each leading to its mentions.
        alerts = tiles.filter(has=page.locator("h3", has_text="Alerts"))
        expect(alerts.locator(".figure")).not_to_have_text("0")
        expect(alerts.locator("li").first).to_contain_text("has no reply after")
        expect(alerts.get_by_role("link", name="that day's mentions").first).to_be_visible()
    finally:
        context.close()


def test_the_demo_fills_the_ai_visibility_view(demo: str, browser: Any,
                                               tmp_path: Path) -> None:
    link = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/#key=mw_\S+)", demo)
    assert link, demo
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(link.group(1))
        expect(page.locator("#tabs")).to_be_visible()
        page.click("#tabs a[data-view=visibility]")
        rows = page.locator("#v-rows .visibility-row")
        expect(rows).to_have_count(2)  # the demo assistant's English and Chinese questions
        expect(rows.first.locator("table.trend tbody tr").first).to_be_visible()
        expect(rows.first.locator(".cited li").first).to_be_visible()
        expect(page.locator("#v-advocates tbody tr", has_text="Maya Chen").first).to_be_visible()
        page.screenshot(path=tmp_path / "demo-visibility.png", full_page=True)
    finally:
        context.close()


def test_the_demo_serves_the_alert_rules_of_its_watchlist(demo: str) -> None:
    found = re.search(r"curl -H 'X-API-Key: (\S+)' '(http://127\.0\.0\.1:\d+)", demo)
    assert found, demo
    key, base = found.groups()
    rules = httpx.get(f"{base}/alerts/rules", headers={"X-API-Key": key}).json()
    assert [(r["name"], r["type"]) for r in rules] == [("negative-spike", "negative_spike"),
                                                       ("unanswered", "unanswered"),
                                                       ("crawler-stopped", "flatline")]


def test_the_printed_command_runs_as_printed_without_an_active_virtualenv(demo: str) -> None:
    (command,) = re.findall(r"or without a server: (.+)", demo)
    bare = {**os.environ, "PATH": os.pathsep.join(("/usr/local/bin", "/usr/bin", "/bin"))}
    bare.pop("VIRTUAL_ENV", None)
    found = subprocess.run(shlex.split(command), env=bare, capture_output=True, text=True,
                           timeout=120)
    assert found.returncode == 0, (command, found.stderr)
    assert "Acme" in found.stdout


def test_the_broken_demo_page_is_said_to_be_broken_on_purpose(demo: str) -> None:
    runs = [json.loads(line) for line in demo.splitlines() if line.startswith("{")]
    assert sum(run["unreadable"] for run in runs) == 1, demo
    assert ("1 unreadable part (and its WARNING) is on purpose: the demo page "
            "products/acme-buds-pro-zh-cn.html carries a broken JSON-LD block") in demo
