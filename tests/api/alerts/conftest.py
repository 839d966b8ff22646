from __future__ import annotations

import ipaddress
import json
import ssl
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
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.alerts.rules import HOUR, Series
from index.backend import TimeBucket
from index.record import Aspect, Author, Mention, Sentiment
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


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' webhook and SMTP servers listen on 127.0.0.1."""
    monkeypatch.setenv("MENTIONWATCH_ALLOW_LOOPBACK", "true")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mentionwatch test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class SmtpCapture:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every mail it receives and every
    login attempted (AUTH PLAIN or LOGIN, accepted)."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[tuple[bytes, bytes]] = []

    def __call__(self, server: object, session: object, envelope: object, mechanism: str,
                 auth_data: object) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

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


def _smtp(**options: Any) -> Iterator[tuple[SmtpCapture, int]]:
    capture = SmtpCapture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port, authenticator=capture,
                            **options)
    controller.start()
    try:
        yield capture, port
    finally:
        controller.stop()


@pytest.fixture()
def smtp_server(certificate: tuple[Path, Path],
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SmtpCapture, int]]:
    """An SMTP server that offers STARTTLS (and AUTH only after it), with a certificate
    the notifier trusts: OpenSSL reads its trusted certificates from $SSL_CERT_FILE."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    yield from _smtp(tls_context=context, require_starttls=True)


@pytest.fixture()
def plaintext_smtp() -> Iterator[tuple[SmtpCapture, int]]:
    """An SMTP server without TLS that takes AUTH in the clear, as some do."""
    yield from _smtp(auth_require_tls=False)


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it, and its
    headers, and answers `status` with `answer` (set it to 500 to play a broken Slack)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.answer = b"ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

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
    `burst` negative reviews about a swelling battery in the last half hour (their aspects:
    battery, and charging for one in five; the ordinary negatives blame support)."""
    mentions = []
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    for hour in range(days * 24):
        negative = hour % 5 == 0
        text = ("Acme support was slow to answer" if negative
                else "Acme X2 works fine, good camera")
        mentions.append(_mention(f"b{hour}", text, first + timedelta(hours=hour, minutes=10),
                                 "negative" if negative else "positive", source="feed",
                                 aspects=("support",) if negative else ()))
    for n in range(burst):
        mentions.append(_mention(f"s{n}", BURST[n % len(BURST)] + f" (#{n})",
                                 now - timedelta(minutes=30 - n), "negative",
                                 source="schemaorg",
                                 aspects=("battery", "charging") if n % 5 == 1 else ("battery",)))
    store = SqliteStore(path)
    store.upsert(mentions)
    store.close()


def _mention(native: str, text: str, published: datetime, label: str, *,
             source: str, aspects: tuple[str, ...] = ()) -> Mention:
    return Mention.create(
        source=source, native_id=native, kind="review",
        url=f"https://shop.example/acme-x2/{native}", text=text,
        author=Author(f"author {native}"), published_at=published, brand="Acme", lang="en",
        sentiment=Sentiment(label, -0.8 if label == "negative" else 0.8, 0.9,  # type: ignore[arg-type]
                            "test"),
        aspects=tuple(Aspect(name, label) for name in aspects),  # type: ignore[arg-type]
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
