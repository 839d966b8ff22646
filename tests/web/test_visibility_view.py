"""The "AI visibility" view in a real browser (Debian's Chromium) on the real app over a
seeded SQLite file: per prompt and engine the trend of the share of runs naming the brand
with its interval band, the figures, the most-cited pages joined to the index, and the
advocates cited by AI; untrusted answer data shown as text; no sideways scrolling on a
laptop or a 390 px phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.keys import KeyStore
from api.settings import Settings
from index.record import Advocate, Author, Mention, NamedBrand
from index.sqlite import SqliteStore
from tests.web.conftest import serve_app

PROMPT = "best wireless earbuds?"
HOSTILE_PROMPT = '<img src=x onerror="window.__pwned = 1"> earbuds 哪款最好？'
REVIEW_URL = "https://reviews.example/acme-buds"


def review() -> Mention:
    return Mention.create(
        source="schemaorg", native_id="r1", kind="review", url=REVIEW_URL,
        text="I recommend the Acme Buds to everyone.", author=Author("Maya Chen", handle="maya"),
        published_at=datetime(2026, 9, 1, tzinfo=UTC), brand="Acme",
        advocate=Advocate(0.9, "validator", ("recommends",)))


def answer(n: int, day: int, named: bool, prompt: str = PROMPT) -> Mention:
    brands = (NamedBrand("Acme", 1, "Acme Buds Pro: great.", "positive", 0.8),
              NamedBrand("Zephyr", 2, "Zephyr: fine.", "neutral", 0.0))
    return Mention.create(
        source="testgpt:gpt-test", native_id=f"{prompt}{n}", kind="ai_answer",
        url="https://api.example/v1/chat/completions", text=f"Answer {n}.",
        author=Author("testgpt"), published_at=datetime(2026, 10, day, 9, n % 60, tzinfo=UTC),
        title=prompt, brand="Acme", citations=(REVIEW_URL, "javascript:alert(1)"),
        named=brands if named else brands[1:])


# Five runs a day: 5 of 5 naming Acme on the 1st, 3 of 5 on the 2nd, 1 of 5 on the 3rd.
ANSWERS = [answer(day * 10 + n, day, n < (5, 3, 1)[day - 1])
           for day in (1, 2, 3) for n in range(5)] + [answer(99, 3, True, HOSTILE_PROMPT)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db = tmp_path_factory.mktemp("vis") / "mentions.db"
    with SqliteStore(db) as store:
        store.upsert([review(), *ANSWERS])
    keys = KeyStore(db)
    key = keys.create("viewer", "visibility test")
    keys.close()
    with serve_app(Settings(db=db)) as url:
        yield url, key


def open_view(browser: Any, site: tuple[str, str], width: int) -> tuple[Any, Page, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    url, key = site
    page.goto(f"{url}/#key={key}")
    expect(page.locator("#tabs")).to_be_visible()
    page.click("#tabs a[data-view=visibility]")
    expect(page.locator("#view-visibility")).to_be_visible()
    # The view asks for the brands, the brand AI answers name most, then its figures: three
    # requests in turn, which a loaded machine can take past the default five seconds.
    expect(page.locator("#v-rows .visibility-row")).to_have_count(2, timeout=20_000)
    return context, page, problems


def test_each_prompt_shows_its_trend_with_intervals_figures_and_cited_pages(
        browser: Any, site: tuple[str, str]) -> None:
    context, page, problems = open_view(browser, site, 1280)
    try:
        row = page.locator(".visibility-row", has_text=PROMPT)
        expect(row.locator(".engine")).to_have_text("testgpt:gpt-test")
        expect(row.locator(".figures")).to_contain_text(
            "9 of 15 runs (60%; 95% interval 36%–80%)")
        expect(row.locator(".figures")).to_contain_text("Share of voice")
        expect(row.locator(".figures .badge")).to_have_text(["positive 9"])
        # The trend, one row a day, each with its Wilson interval; and the chart's band.
        expect(row.locator("table.trend tbody tr")).to_have_count(3)
        expect(row.locator("table.trend tbody tr").nth(1)).to_contain_text("3")
        expect(row.locator("table.trend tbody tr").nth(1)).to_contain_text("23%–88%")
        chart = row.locator("canvas").evaluate(
            "(canvas) => Chart.getChart(canvas).data.datasets.map((d) => [d.label, d.data])")
        assert chart == [["95% interval", [[57, 100], [23, 88], [4, 62]]],
                         ["share of runs naming the brand", [100, 60, 20]]]
        # The cited page is the review the index holds; a javascript: URL is never a link.
        pages = row.locator(".cited li")
        expect(pages.first.locator("a")).to_have_attribute("href", REVIEW_URL)
        expect(pages.first).to_contain_text("cited by 15 · 1 in the index")
        expect(row.locator(".cited a[href^=javascript]")).to_have_count(0)
        # Weekly: the three days are one week.
        page.select_option("#v-interval", "week")
        page.click("#visibility-form button[type=submit]")
        expect(row.locator("table.trend tbody tr")).to_have_count(1)
        expect(row.locator("table.trend tbody tr")).to_contain_text("week of")
    finally:
        context.close()
    assert problems == []


# The colour the chart has at 51%, a third of the way up the week's 36%-80% interval, a
# little right of the week's point (which sits on the line at 60%, not on the band).
INTERVAL_PIXEL = """(canvas) => {
  const chart = Chart.getChart(canvas);
  const x = chart.scales.x.getPixelForValue(0) + 12, y = chart.scales.y.getPixelForValue(51);
  const ratio = chart.currentDevicePixelRatio;
  return Array.from(canvas.getContext("2d").getImageData(x * ratio, y * ratio, 1, 1).data);
}"""


def test_a_lone_periods_interval_is_drawn(browser: Any, site: tuple[str, str]) -> None:
    """After a first crawl, or by the week, the trend is one period: its interval must still
    show on the chart, not only in the table."""
    context, page, problems = open_view(browser, site, 1280)
    try:
        page.select_option("#v-interval", "week")
        page.click("#visibility-form button[type=submit]")
        row = page.locator(".visibility-row", has_text=PROMPT)
        expect(row.locator("table.trend tbody tr")).to_have_count(1)
        expect(row.locator("table.trend tbody tr")).to_contain_text("36%–80%")
        red, _, blue, alpha = row.locator("canvas").evaluate(INTERVAL_PIXEL)
        assert alpha > 0 and blue > red + 100  # the band's blue, not blank or a grey grid line
    finally:
        context.close()
    assert problems == []


def test_your_advocates_cited_by_ai(browser: Any, site: tuple[str, str]) -> None:
    context, page, problems = open_view(browser, site, 1280)
    try:
        advocates = page.locator("#v-advocates tbody tr")
        expect(advocates).to_have_count(1)
        expect(advocates).to_contain_text("Maya Chen")
        expect(advocates).to_contain_text("validator")
        expect(advocates.locator("a")).to_have_attribute("href", REVIEW_URL)
    finally:
        context.close()
    assert problems == []


def test_an_answers_hostile_prompt_is_shown_as_text(browser: Any,
                                                    site: tuple[str, str]) -> None:
    context, page, problems = open_view(browser, site, 1280)
    try:
        expect(page.locator(".visibility-row h3", has_text="onerror")).to_have_text(
            HOSTILE_PROMPT)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#v-rows img").count() == 0
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_view_fits_a_laptop_and_a_390px_phone(browser: Any, site: tuple[str, str],
                                                  width: int, tmp_path: Path) -> None:
    context, page, problems = open_view(browser, site, width)
    try:
        expect(page.locator("table.trend tbody tr").first).to_be_visible()
        page.screenshot(path=tmp_path / f"visibility-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    assert problems == []
