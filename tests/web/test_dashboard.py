"""The dashboard in a real browser: sign in, search, timeline, correction, coverage, and
untrusted mention text shown as text on every path from the store to the page."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from playwright.sync_api import Page, expect

from index.query import FieldName
from index.sqlite import SqliteStore
from tests.web.conftest import ADVOCATE, XSS_AUTHOR, XSS_TEXT, XSS_TITLE, Seed, Site


@pytest.fixture()
def page(browser: Any, site: Site) -> Iterator[Page]:
    """A fresh tab (fresh sessionStorage) that fails the test on any script error or dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # The browser logs every 4xx answer; those are expected (a wrong key, a bad query).
    tab.on("console", lambda msg: problems.append(f"console: {msg.text}")
           if msg.type == "error" and not msg.text.startswith("Failed to load resource")
           else None)
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"),
                                     dialog.dismiss()))
    yield tab
    context.close()
    assert problems == []


def sign_in(page: Page, site: Site, key: str | None = None, hash_: str = "#search") -> None:
    """Sign in on the view of `hash_`: the search by default, which most tests here use
    (the home view, with no hash, is the overview)."""
    page.goto(f"{site.url}/{hash_}")
    page.fill("#key", key or site.key)
    page.fill("#who", "Ann Analyst")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#tabs")).to_be_visible()


def choose(page: Page, select: str, name: str) -> None:
    # Brand options are the store's values, whose letter case is the store's business.
    expect(page.locator(f"{select} option")).not_to_have_count(1)  # "any" alone: not loaded
    values = page.locator(f"{select} option").evaluate_all("os => os.map((o) => o.value)")
    [value] = [v for v in values if v.casefold() == name.casefold()]
    page.select_option(select, value)


def search(page: Page, query: str) -> None:
    page.fill("#q", query)
    page.click("#search-form button[type=submit]")


def test_page_and_files_are_served_without_a_key_but_data_is_not(site: Site) -> None:
    home = httpx.get(f"{site.url}/")
    assert home.status_code == 200
    assert "script-src 'self'" in home.headers["content-security-policy"]
    assert httpx.get(f"{site.url}/web/app.js").status_code == 200
    assert httpx.get(f"{site.url}/web/vendor/chart.js/chart.umd.min.js").status_code == 200
    assert httpx.get(f"{site.url}/mentions").status_code == 401


def test_a_link_with_the_key_in_its_fragment_signs_in_and_drops_it(page: Page,
                                                                    site: Site) -> None:
    page.goto(f"{site.url}/#key={site.key}")
    expect(page.locator("#tabs")).to_be_visible()
    assert "key" not in page.url
    expect(page.locator("#o-brand option", has_text="Acme")).to_have_count(1)


def test_a_wrong_key_is_refused_and_a_good_one_is_kept_for_the_tab(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/")
    page.fill("#key", "mw_not-a-key")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("unknown or revoked API key")
    sign_in(page, site)
    page.reload()
    # No second prompt: the key is in sessionStorage and goes out as X-API-Key.
    expect(page.locator("#tabs")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('mentionwatch.key')") == site.key


def test_search_shows_results_with_highlights_source_stars_and_badges(page: Page,
                                                                       site: Site) -> None:
    sign_in(page, site)
    search(page, "battery died")
    expect(page.locator("#search-summary")).to_have_text("1 mention · page 1 of 1")
    card = page.locator("#results .mention")
    expect(card.locator("mark")).to_have_text(["Battery", "died"])
    expect(card.locator(".badge")).to_have_text("negative")
    expect(card.locator(".stars")).to_have_text("★☆☆☆☆")
    expect(card.locator(".text-sentiment")).to_have_count(0)  # the text agrees
    expect(card.locator(".source")).to_have_text("schemaorg")
    expect(card.get_by_role("link", name="Original")).to_have_attribute(
        "href", "https://shop.example/reviews/a2")


def test_a_result_shows_what_its_text_says_when_the_rating_decided_otherwise(
        page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, "screen average")
    card = page.locator("#results .mention")
    expect(card.locator(".badge")).to_have_text("neutral")
    expect(card.locator(".text-sentiment")).to_have_text("text: negative")


def test_filters_narrow_the_search(page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, "")
    choose(page, "#f-brand", "Zephyr")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#results .mention")).to_have_count(1)
    expect(page.locator("#results .text")).to_have_text("The Zephyr vacuum is loud but fine.")
    page.select_option("#f-brand", "")
    page.select_option("#f-sentiment", "negative")
    page.fill("#f-since", "2026-10-07")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#search-summary")).to_have_text("1 mention · page 1 of 1")


def test_chinese_query_finds_and_highlights_chinese_text(page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, "电池")
    text = page.locator("#results .text")
    expect(text).to_have_count(2)  # Simplified and Traditional alike
    simplified = text.filter(has_text="这款手机的电池很耐用，强烈推荐")
    expect(simplified.locator("mark")).to_have_text("电池")
    expect(simplified).to_have_attribute("lang", "zh-Hans")
    traditional = text.filter(has_text="電池續航很好，推薦給大家")
    expect(traditional.locator("mark")).to_have_text("電池")
    expect(traditional).to_have_attribute("lang", "zh-Hant")


def test_a_bad_query_shows_the_message_and_points_at_the_position(page: Page,
                                                                  site: Site) -> None:
    sign_in(page, site)
    search(page, "battery AND (screen")
    box = page.locator("#query-error")
    expect(box).to_be_visible()
    message = box.locator(".error").inner_text()
    answer = httpx.get(f"{site.url}/mentions", params={"q": "battery AND (screen"},
                       headers={"X-API-Key": site.key}).json()["error"]
    assert message == answer["message"]
    caret_line = box.locator(".caret").inner_text().splitlines()[1]
    assert caret_line == " " * answer["position"] + "^"


def test_the_query_help_lists_every_field_and_near(page: Page, site: Site) -> None:
    sign_in(page, site)
    help_ = page.locator("#query-help")
    page.click("#query-help summary")
    listed = help_.locator("dt").all_inner_texts()
    for name in get_args(FieldName):
        assert any(f"{name}:" in item or f"{name}>=" in item for item in listed), name
    assert any("NEAR/3" in item for item in listed)
    # A wrong value of a new field points at itself, as every query error does.
    search(page, "battery kind:tweet")
    expect(page.locator("#query-error")).to_be_visible()
    caret_line = page.locator("#query-error .caret").inner_text().splitlines()[1]
    assert caret_line == " " * len("battery kind:") + "^"


def test_pages_through_many_results(page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, "supercalifragilisticexpialidocious")
    expect(page.locator("#search-summary")).to_have_text("25 mentions · page 1 of 2")
    expect(page.locator("#results .mention")).to_have_count(20)
    page.click("#next")
    expect(page.locator("#results .mention")).to_have_count(5)
    expect(page.locator("#prev")).to_be_enabled()


def test_correcting_a_sentiment_persists_after_reload(page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, '"never answered"')
    card = page.locator("#results .mention")
    expect(card.locator(".badge")).to_have_text("neutral")
    card.get_by_role("button", name="negative").click()
    expect(card.locator(".badge")).to_contain_text("negative")
    page.reload()  # the search is in the URL; the key in the tab
    card = page.locator("#results .mention")
    expect(card.locator(".badge")).to_have_text("negative · corrected by Ann Analyst")
    expect(card.get_by_role("button", name="negative")).to_have_attribute("aria-pressed", "true")
    store = SqliteStore(site.db)
    try:
        labels = [label for m, label in store.corrections() if "never answered" in m.text]
    finally:
        store.close()
    assert labels == ["negative"]


def test_a_syndicated_text_is_one_result_also_at_its_other_places(page: Page,
                                                                   site: Site) -> None:
    copies = [Seed(f"wire{n}", 4 + n, "Acme announces the X9 wireless charger.", "neutral",
                   url=f"https://{host}/x9").mention()
              for n, host in enumerate(("wire.example", "news.example", "blog.example"))]
    store = SqliteStore(site.db)
    try:
        store.upsert(copies)
        sign_in(page, site)
        search(page, "wireless charger")
        expect(page.locator("#search-summary")).to_have_text("1 mention · page 1 of 1")
        card = page.locator("#results .mention")
        expect(card.get_by_role("link", name="Original")).to_have_attribute(
            "href", "https://wire.example/x9")  # the earliest copy
        card.locator(".duplicates summary").click()
        expect(card.locator(".duplicates summary")).to_have_text("also at 2 places")
        expect(card.locator(".duplicates a")).to_have_text(
            ["https://news.example/x9", "https://blog.example/x9"])
    finally:
        store.delete(m.id for m in copies)
        store.close()


def test_a_viewer_is_told_that_correcting_needs_an_analyst(page: Page, site: Site) -> None:
    sign_in(page, site, key=site.viewer_key)
    search(page, "screen fine")
    card = page.locator("#results .mention")
    card.get_by_role("button", name="positive").click()
    expect(card.locator(".status")).to_have_text("Correcting needs an analyst key.")
    expect(card.locator(".badge")).to_have_text("neutral")


def test_clicking_a_timeline_bar_lists_that_days_mentions(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#timeline")
    expect(page.locator("#timeline-table tbody tr").first).to_be_visible()
    choose(page, "#t-brand", "Acme")
    page.fill("#t-since", "2026-10-01")
    page.fill("#t-until", "2026-10-12")
    page.click("#timeline-form button[type=submit]")
    expect(page.locator("#timeline-table tbody tr").first).to_be_visible()
    # 3 October holds one positive and one negative Acme review (a1, a2): click its bar.
    point = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('timeline-chart'));
        const i = chart.data.labels.findIndex((l) => /Oct 3|3 Oct/.test(l));
        const bar = chart.getDatasetMeta(0).data[i];
        const box = chart.canvas.getBoundingClientRect();
        return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
    }""")
    page.mouse.click(point["x"], point["y"])
    expect(page.locator("#bucket-title")).to_contain_text("2 mentions")
    texts = page.locator("#bucket-results .text")
    expect(texts).to_have_count(2)
    assert sorted(texts.all_inner_texts()) == ["Battery died after a week, very disappointed.",
                                               "The battery lasts two days, I recommend it."]
    badges = page.locator("#bucket-results .badge").all_inner_texts()
    assert sorted(badges) == ["negative", "positive"]


def test_the_timeline_marks_the_day_an_alert_fired(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#timeline")
    choose(page, "#t-brand", "Acme")
    page.fill("#t-since", "2026-10-01")
    page.fill("#t-until", "2026-10-12")
    page.click("#timeline-form button[type=submit]")
    alerted = page.locator("#timeline-table tbody tr.alerted")
    expect(alerted).to_have_count(1)
    expect(alerted).to_contain_text("1 negative mention of Acme on 7 October")
    marked = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('timeline-chart'));
        const markers = chart.data.datasets.find((d) => d.label === 'alert').data;
        return chart.data.labels.filter((_, i) => markers[i] !== null);
    }""")
    assert len(marked) == 1 and re.search(r"Oct 7|7 Oct", marked[0])
    choose(page, "#t-brand", "Zephyr")
    page.click("#timeline-form button[type=submit]")
    expect(page.locator("#timeline-table tbody tr").first).to_be_visible()
    expect(page.locator("#timeline-table tbody tr.alerted")).to_have_count(0)


def test_sources_view_marks_a_broken_source(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#sources")
    rows = page.locator("#sources tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#sources tr.broken")).to_have_count(1)
    expect(page.locator("#sources tr.broken td").first).to_have_text("feed 3 errors")


def test_hostile_mention_text_is_shown_as_text_and_never_runs(page: Page, site: Site) -> None:
    sign_in(page, site)
    search(page, "sneaky")
    card = page.locator("#results .mention")
    expect(card.locator(".text")).to_have_text(XSS_TEXT)
    expect(card.locator("h3")).to_have_text(XSS_TITLE)
    expect(card.locator(".author")).to_have_text(XSS_AUTHOR)
    expect(card.locator("mark")).to_have_text("Sneaky")
    # Nothing from the mention became an element (the URL stays one escaped href); nothing ran.
    assert card.locator("img, script, b").count() == 0
    href = card.get_by_role("link", name="Original").get_attribute("href")
    assert href is not None
    assert href.startswith("https://shop.example/x1?a=%22%3E%3Cimg")
    assert page.evaluate("window.__pwned") is None
    # The same record through the timeline path, which renders without a highlight.
    page.goto(f"{site.url}/#timeline")
    expect(page.locator("#timeline-table tbody tr").first).to_be_visible()
    page.fill("#t-since", "2026-10-07")
    page.fill("#t-until", "2026-10-07")
    page.click("#timeline-form button[type=submit]")
    page.locator("#timeline-table tbody tr").first.click()
    expect(page.locator("#bucket-results .text").first).to_have_text(XSS_TEXT)
    assert page.locator("#bucket-results img, #bucket-results script").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_advocates_offer_only_what_the_api_answers_one_brand_at_a_time(page: Page,
                                                                        site: Site) -> None:
    sign_in(page, site, hash_="#advocates")
    choices = page.locator("#a-brand option:not([disabled])")
    expect(choices).not_to_have_count(0)
    # GET /advocates requires a brand: no "all brands" to choose and then be refused.
    values = choices.evaluate_all("os => os.map((o) => o.value)")
    assert sorted(v.casefold() for v in values) == ["acme", "zephyr"]
    expect(page.locator("#a-brand")).to_have_value(values[0])


def test_advocates_table_and_csv_export(page: Page, site: Site, tmp_path: Path) -> None:
    sign_in(page, site, hash_="#advocates")
    row = page.locator("#advocates tbody tr", has_text="HYPERLINK")
    expect(row).to_have_count(1)
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".csv"
    with saved.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    [lead] = [r for r in rows if "HYPERLINK" in r["author"]]
    assert lead["author"] == "'" + ADVOCATE  # a spreadsheet shows it, never runs it
    assert lead["persona"] in {"educator", "validator", "connector", "builder"}
    assert "https://shop.example/reviews/g1" in lead["evidence"]


def test_nps_sits_beside_the_timeline(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#timeline")
    expect(page.locator("#nps")).to_be_visible()
    expect(page.locator("#nps tbody tr").first).to_contain_text("2026-10")


def test_the_timeline_lists_what_its_mentions_praise_or_blame(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#timeline")
    rows = page.locator("#aspects-table tbody tr")
    expect(rows).to_have_count(2)
    # aspect, mentions, positive, neutral, negative, negative share, change
    expect(rows.first.locator("td")).to_have_text(["battery", "3", "1", "1", "1", "33%", "new"])
    expect(rows.nth(1).locator("td")).to_have_text(["screen", "1", "1", "0", "0", "0%", "new"])


def test_alert_history_explains_each_alert(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#alerts")
    alert = page.locator("#alert-history li.alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("1 negative mention of Acme on 7 October")
    expect(alert.locator(".reading")).to_have_text(
        "1 negative mention in 24 hours, usually 0.1 from the 14 days before (z 4.5)")
    # The example is the hostile review: shown as text, never run.
    expect(alert.locator(".examples li")).to_contain_text(XSS_TEXT)
    assert alert.locator("img, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    expect(page.locator("#alerts-error")).to_have_text("")


def test_a_rule_shows_what_it_would_have_fired(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#alerts")
    row = page.locator("#alert-rules tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("acme-negative")
    expect(row).to_contain_text("min_count 3")
    row.get_by_role("button").click()
    expect(page.locator("#dry-run-title")).to_contain_text("acme-negative")
    # The seeded mentions are weeks older than the month looked at: nothing fires.
    expect(page.locator("#dry-run li")).to_have_text(["Nothing would have fired."])


@pytest.mark.parametrize("view", ["search", "timeline", "sources"])
def test_no_horizontal_overflow_on_a_390px_phone(browser: Any, site: Site, view: str,
                                                 tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone = context.new_page()
        sign_in(phone, site, hash_=f"#{view}")
        if view == "search":
            search(phone, "battery OR 电池 OR sneaky")
            expect(phone.locator("#results .mention").first).to_be_visible()
        else:
            expect(phone.locator(f"#view-{view} tbody tr").first).to_be_visible()
        phone.screenshot(path=tmp_path / f"{view}-390.png", full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_every_tab_is_in_sight_on_a_390px_phone(browser: Any, site: Site) -> None:
    """A phone user finds every view without guessing that the tab bar scrolls sideways."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone = context.new_page()
        sign_in(phone, site)
        tabs = phone.locator("#tabs a")
        expect(tabs).to_have_count(9)
        outside = tabs.evaluate_all("""tabs => tabs.filter((tab) => {
          const box = tab.getBoundingClientRect(), bar = tab.parentElement.getBoundingClientRect();
          return box.left < bar.left || box.right > bar.right || box.right > innerWidth;
        }).map((tab) => tab.textContent)""")
        assert outside == []
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


@pytest.mark.parametrize(("view", "table"), [("alerts", "alert-rules"),
                                             ("advocates", "advocates"), ("sources", "sources"),
                                             ("timeline", "timeline-table"),
                                             ("timeline", "aspects-table")])
def test_tables_stack_into_labelled_rows_that_fit_a_390px_phone(browser: Any, site: Site,
                                                                 view: str, table: str,
                                                                 tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        phone = context.new_page()
        sign_in(phone, site, hash_=f"#{view}")
        expect(phone.locator(f"#{table} tbody tr").first).to_be_visible()
        phone.screenshot(path=tmp_path / f"{table}-390.png", full_page=True)
        # Nothing hidden to the side: neither the page nor the table's own box scrolls.
        box = phone.locator(f"#{table}").evaluate(
            "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
        assert box[0] <= box[1], box
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        # Each value says which column it is, the header row being hidden.
        first = phone.locator(f"#{table} tbody tr").first.locator("td").first
        header = phone.locator(f"#{table} thead th").first.inner_text()
        assert first.get_attribute("data-label") == header
    finally:
        context.close()


def _figures_match_their_mentions(page: Page) -> int:
    """Follow every overview link that names how many mentions it lists; each search must
    find exactly that many. Returns how many were followed."""
    links = page.locator("#overview-tiles a[data-count]").evaluate_all(
        "links => links.map((a) => [a.getAttribute('href'), Number(a.dataset.count)])")
    for href, count in links:
        page.evaluate("href => { location.hash = href; }", href)
        expect(page.locator("#view-search")).to_be_visible()
        expect(page.locator("#search-summary")).to_have_text(
            re.compile(rf"^{count} mentions? · " if count else "^No mentions match"))
    return len(links)


def test_the_overview_is_the_home_view_and_each_figure_links_to_its_mentions(
        page: Page, site: Site) -> None:
    sign_in(page, site, hash_="")
    expect(page.locator("#view-overview")).to_be_visible()
    tiles = page.locator("#overview-tiles .tile")
    expect(tiles).to_have_count(12)
    # The 30 days to the newest mention (12 October), against the 30 before.
    expect(page.locator("#overview-tiles h2")).to_contain_text("2026-09-13 to 2026-10-12")
    expect(tiles.first.locator(".figure")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(tiles.filter(has_text="Alerts").locator("li")).to_contain_text(
        "1 negative mention of Acme on 7 October")
    # One of Acme's 35 reviews answered, 3 hours after; the negative ones (the hostile one,
    # and any a test corrected to negative) unanswered.
    responses = tiles.filter(has_text="Responses")
    expect(responses.locator(".figure")).to_have_text("3%")
    expect(responses).to_contain_text("median 3h · p90 3h to a first reply")
    expect(responses).to_contain_text(
        re.compile(r"1 answered of 35 answerable · [1-9] negative unanswered"))
    expect(responses.locator("li")).to_have_text(re.compile(r"^Zephyr 0% · median – · 0 answered$"))
    for n in range(12):  # every tile leads to mentions or to the view that has them
        expect(tiles.nth(n).locator("a").first).to_be_attached()
    assert _figures_match_their_mentions(page) >= 19


def test_a_search_link_followed_from_the_overview_clears_the_earlier_filters(
        page: Page, site: Site) -> None:
    sign_in(page, site)
    choose(page, "#f-brand", "Zephyr")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#search-summary")).to_have_text("1 mention · page 1 of 1")
    page.click("#tabs a[data-view=overview]")
    link = page.locator("#overview-tiles .tile").first.locator("a[data-count]")
    count = link.get_attribute("data-count")
    link.click()
    expect(page.locator("#search-summary")).to_have_text(re.compile(rf"^{count} mentions · "))
    expect(page.locator("#f-brand")).to_have_value("")


def test_compare_puts_the_brands_side_by_side(page: Page, site: Site) -> None:
    sign_in(page, site, hash_="#compare")
    head = page.locator("#compare-table thead th")
    expect(head).to_have_text(["", "Acme", "Zephyr"])
    mentions = page.locator("#compare-table tbody tr").first.locator("td")
    expect(mentions).to_have_text([re.compile("^Mentions$"), re.compile(r"^[1-9]\d* "),
                                   re.compile("^1 ")])
    # The overview's figures, its rising terms and responses too, each brand's own.
    for figure in ("Top rising term", "Response rate", "NPS with estimates"):
        expect(page.locator("#compare-table tbody tr", has_text=figure)).to_have_count(1)
    responses = page.locator("#compare-table tbody tr", has_text="Response rate").locator("td")
    expect(responses).to_have_text([re.compile("Response rate"), re.compile(r"answered$"),
                                    re.compile(r"answered$")])
    page.uncheck("#c-brands input[value=zephyr]")
    page.click("#compare-form button[type=submit]")
    expect(head).to_have_text(["", "Acme"])
    link = page.locator("#compare-table tbody a[data-count]").first
    count = int(link.get_attribute("data-count") or -1)
    link.click()
    expect(page.locator("#search-summary")).to_have_text(re.compile(rf"^{count} mentions · "))


@pytest.mark.parametrize(("view", "width"), [("overview", 1280), ("overview", 390),
                                              ("compare", 1280), ("compare", 390)])
def test_overview_and_compare_fit_a_laptop_and_a_390px_phone(browser: Any, site: Site,
                                                              view: str, width: int,
                                                              tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844},
                                  device_scale_factor=2)
    try:
        tab = context.new_page()
        sign_in(tab, site, hash_=f"#{view}")
        filled = "#overview-tiles .tile" if view == "overview" else "#compare-table tbody tr"
        expect(tab.locator(filled).first).to_be_visible()
        tab.screenshot(path=tmp_path / f"{view}-{width}.png", full_page=True)
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        if view == "compare":  # the table's own box does not hide anything to the side
            box = tab.locator("#compare-table").evaluate(
                "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
            assert box[0] <= box[1], box
    finally:
        context.close()
