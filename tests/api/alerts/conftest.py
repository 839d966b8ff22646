from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from api.alerts.rules import HOUR, Series
from index.backend import TimeBucket
from index.record import Author, Mention, Sentiment
from index.sqlite import SqliteStore
from tests.loopback import free_port

START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday, midnight

MakeSeries = Callable[..., Series]


def _series(negatives: list[int], others: list[int] | None = None, *,
            subject: str = "Acme", field: str = "brand") -> Series:
    """Hourly buckets from START: `negatives[i]` negative and `others[i]` positive mentions."""
    others = others or [0] * len(negatives)
    return Series(subject, field, [  # type: ignore[arg-type]
        TimeBucket(START + i * HOUR, n + o, {"negative": n, "positive": o, "neutral": 0})
        for i, (n, o) in enumerate(zip(negatives, others, strict=True))])


@pytest.fixture()
def make_series() -> MakeSeries:
    return _series


def end_of(series: Series) -> datetime:
    """The moment the last bucket is complete."""
    return series.buckets[-1].start + HOUR


@pytest.fixture()
def end() -> Callable[[Series], datetime]:
    return end_of


class SmtpCapture:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every mail it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=default)  # type: ignore[arg-type,misc]
                for e in self.envelopes]


@pytest.fixture(name="free_port")
def free_port_fixture() -> int:
    """A loopback port nothing listens on."""
    return free_port()


@pytest.fixture()
def smtp_server() -> Iterator[tuple[SmtpCapture, int]]:
    capture = SmtpCapture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield capture, port
    finally:
        controller.stop()


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it and answers
    `status` (set it to 500 to play a broken Slack)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture()
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join()


BURST = [
    "Acme X2 battery swelled and the case cracked, avoid",
    "My Acme X2 battery overheated while charging, dangerous",
    "Acme X2 battery swelled after the update, returning it",
    "The battery of my Acme X2 overheated and swelled",
    "Acme X2: battery overheated twice today, scary",
]


def seed(path: Path, now: datetime, *, days: int = 9, burst: int = 15) -> None:
    """A week and more of ordinary Acme mentions (one an hour, every fifth negative), then
    `burst` negative reviews about a swelling battery in the last half hour."""
    mentions = []
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    for hour in range(days * 24):
        negative = hour % 5 == 0
        text = ("Acme support was slow to answer" if negative
                else "Acme X2 works fine, good camera")
        mentions.append(_mention(f"b{hour}", text, first + timedelta(hours=hour, minutes=10),
                                 "negative" if negative else "positive", source="feed"))
    for n in range(burst):
        mentions.append(_mention(f"s{n}", BURST[n % len(BURST)] + f" (#{n})",
                                 now - timedelta(minutes=30 - n), "negative",
                                 source="schemaorg"))
    store = SqliteStore(path)
    store.upsert(mentions)
    store.close()


def _mention(native: str, text: str, published: datetime, label: str, *,
             source: str) -> Mention:
    return Mention.create(
        source=source, native_id=native, kind="review",
        url=f"https://shop.example/acme-x2/{native}", text=text,
        author=Author(f"author {native}"), published_at=published, brand="Acme", lang="en",
        sentiment=Sentiment(label, -0.8 if label == "negative" else 0.8, 0.9,  # type: ignore[arg-type]
                            "test"),
    )


WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[alerts]]
name = "acme-negative"
type = "negative_spike"

[[alerts.notify]]
type = "webhook"
url = "{webhook}"

[[alerts.notify]]
type = "email"
smtp = "smtp://127.0.0.1:{smtp_port}"
sender = "mentionwatch@example.com"
to = ["oncall@example.com"]
"""
