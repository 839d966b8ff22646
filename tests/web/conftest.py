"""The real app under uvicorn on a loopback port, over a seeded SQLite file, driven by
Debian's headless Chromium through Playwright (never `playwright install`: no downloads)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from api.alerts.explain import explain, payload
from api.alerts.rules import Alert
from api.alerts.state import AlertState
from api.app import create_app
from api.keys import KeyStore
from api.settings import Settings
from crawlers.coverage import SourceRun, record_run
from index.record import Advocate, Aspect, Author, BrandReply, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from sentiment.nps import nps_from_rating, nps_from_sentiment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# What a hostile page could put in a review: each must show as text and never run.
XSS_TEXT = ('Sneaky review <img src=x onerror="window.__pwned = 1"> and '
            '<script>window.__pwned = 2</script> of the Acme gadget')
XSS_TITLE = "<b onmouseover=alert(1)>bold title</b>"
XSS_AUTHOR = '<img src=y onerror="window.__pwned = 3">'
ADVOCATE = "=HYPERLINK(\"https://evil.example\")"
XSS_URL = 'https://shop.example/x1?a="><img src=z onerror="window.__pwned = 4">'


@dataclass(frozen=True)
class Seed:
    native_id: str
    day: int
    text: str
    label: str
    brand: str = "Acme"
    lang: str = "en"
    stars: float | None = None
    url: str | None = None
    title: str | None = None
    author: str = "reviewer"
    text_label: str | None = None  # the text model's, when the rating made the label differ
    aspects: tuple[str, ...] = ()  # "name:polarity"
    persona: str | None = None  # an advocate record as the crawl writes it, with this persona
    replied_after: timedelta | None = None  # when the brand answered it

    def mention(self) -> Mention:
        score = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}[self.label]
        published = datetime(2026, 10, self.day, 9 + self.day % 8, tzinfo=UTC)
        return Mention.create(
            source="schemaorg", native_id=self.native_id, kind="review",
            url=self.url or f"https://shop.example/reviews/{self.native_id}",
            text=self.text, title=self.title, author=Author(self.author),
            published_at=published,
            brand=self.brand, lang=self.lang,
            rating=Rating(self.stars, 5, 1) if self.stars else None,
            sentiment=Sentiment(self.label, score, 0.9, "test"),  # type: ignore[arg-type]
            text_sentiment=Sentiment(self.text_label or self.label, 0.0, 0.9,  # type: ignore[arg-type]
                                     "test"),
            nps_class=nps_from_rating(self.stars, 5) if self.stars
            else nps_from_sentiment(self.label),
            nps_estimated=not self.stars,
            aspects=tuple(Aspect(*a.split(":")) for a in self.aspects),  # type: ignore[arg-type]
            advocate=Advocate(0.8, self.persona, ("recommends",))  # type: ignore[arg-type]
            if self.persona else None,
            brand_replies=(BrandReply("Sorry to hear it: we will replace it.", "Acme support",
                                      published + self.replied_after),)
            if self.replied_after else (),
        )


SEEDS = [
    Seed("a1", 3, "The battery lasts two days, I recommend it.", "positive", stars=5,
         aspects=("battery:positive",)),
    Seed("a2", 3, "Battery died after a week, very disappointed.", "negative", stars=1,
         aspects=("battery:negative",), replied_after=timedelta(hours=3)),
    Seed("a3", 4, "The screen is fine, battery is average.", "neutral", stars=3,
         text_label="negative", aspects=("screen:positive", "battery:neutral")),
    Seed("a4", 5, "这款手机的电池很耐用，强烈推荐", "positive", lang="zh-Hans", author="小王"),
    Seed("a5", 5, "電池續航很好，推薦給大家", "positive", lang="zh-Hant"),
    Seed("a6", 6, "Customer service never answered about the charger.", "neutral",
         author="Correctable Carl"),
    Seed("x1", 7, XSS_TEXT, "negative", title=XSS_TITLE, author=XSS_AUTHOR,
         url=XSS_URL),
    Seed("z1", 4, "The Zephyr vacuum is loud but fine.", "neutral", brand="Zephyr", stars=3),
    # An advocate whose name a spreadsheet would run as a formula, were it not neutralised.
    Seed("g1", 9, "I recommend the Acme phone to everyone, you should try it.", "positive",
         stars=5, author=ADVOCATE, persona="validator"),
    Seed("g2", 10, "Strongly recommend Acme: here is how I set up its battery saver.",
         "positive", stars=5, author=ADVOCATE, persona="educator"),
    Seed("g3", 11, "Told all my friends to buy the Acme X1, worth every penny.", "positive",
         stars=5, author=ADVOCATE, persona="connector"),
] + [
    # Enough long mentions to page and to test wrapping on a phone.
    Seed(f"p{n}", 8 + n % 5, f"Long review number {n}: " + "the battery and the "
         "supercalifragilisticexpialidocious-unbreakable-word-without-spaces " * 3, "positive")
    for n in range(25)
]


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


#: An alert on the day of the hostile review, explained from the seeded store, so its
#: examples carry the hostile text to the alerts view.
ALERT = Alert(rule="acme-negative", type="negative_spike", subject="Acme", field="brand",
              window_start=datetime(2026, 10, 7, tzinfo=UTC),
              window_end=datetime(2026, 10, 8, tzinfo=UTC),
              baseline_start=datetime(2026, 9, 23, tzinfo=UTC), observed=1, baseline=0.1,
              summary="1 negative mention of Acme on 7 October", sentiment="negative", z=4.5)


WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]

[[alerts]]
name = "acme-negative"
type = "negative_spike"
brands = ["Acme"]
min_count = 3
"""


def _record_alert(db: Path) -> None:
    store, state = SqliteStore(db), AlertState(db)
    state.record(ALERT, payload(ALERT, explain(store, ALERT)), [], datetime.now(UTC))
    state.close()
    store.close()


@contextmanager
def serve_app(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port; yields its URL."""
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass(frozen=True)
class Site:
    url: str
    db: Path
    key: str  # an analyst's
    viewer_key: str


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = tmp_path_factory.mktemp("web") / "mentions.db"
    store = SqliteStore(db)
    store.upsert(seed.mention() for seed in SEEDS)
    store.close()
    keys = KeyStore(db)
    analyst, viewer = keys.create("analyst", "web test"), keys.create("viewer", "web test")
    keys.close()
    _record_alert(db)
    record_run(db, SourceRun("schemaorg", ["https://shop.example/"], "2026-10-12T09:00:00+00:00",
                             "2026-10-12T09:01:00+00:00", 12, 40, 3, 1, 0, 0, "finished"))
    record_run(db, SourceRun("feed", ["https://news.example/feed.xml"],
                             "2026-10-12T10:00:00+00:00", "2026-10-12T10:00:05+00:00",
                             1, 0, 0, 0, 3, 1, "finished"))

    watchlist = db.with_name("mentionwatch.toml")
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    with serve_app(Settings(db=db, watchlist=watchlist)) as url:
        yield Site(url, db, analyst, viewer)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `make install` installs it (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
