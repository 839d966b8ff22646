from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.record import Advocate, Aspect, Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore

# The real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS with a throw-away certificate) of
# the email notifier's tests.
from tests.api.alerts.conftest import certificate, smtp_server  # noqa: F401

#: A Wednesday: the last complete week is Monday 2026-11-09 to Monday 2026-11-16 (2026-W46).
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
WEEK = datetime(2026, 11, 9, tzinfo=UTC)
BEFORE = WEEK - timedelta(weeks=1)


def _mention(n: int, when: datetime, text: str, label: str, *, brand: str = "Acme",
             rating: float | None = None, aspects: tuple[Aspect, ...] = (),
             advocate: Advocate | None = None, author: str | None = None) -> Mention:
    score = {"positive": 0.9, "neutral": 0.0, "negative": -0.9}[label]
    nps = {"positive": "promoter", "neutral": "passive", "negative": "detractor"}[label]
    return Mention.create(
        source="schemaorg", native_id=f"m{n}", kind="review",
        url=f"https://shop.example/reviews/{n}", text=text,
        author=Author(author or f"author {n}"), published_at=when, brand=brand,
        lang="en", rating=Rating(rating, 5, 1) if rating else None,
        sentiment=Sentiment(label, score, 0.9, "test"),  # type: ignore[arg-type]
        nps_class=nps, nps_estimated=rating is None, aspects=aspects, advocate=advocate)


CHARGING = (Aspect("charging", "negative"),)


def seeded() -> list[Mention]:
    """The week before: 4 negative and 6 positive Acme mentions; the week: 11 negative
    (8 about charging, one with markup, one in Chinese) and 4 positive (one an advocate's),
    and Zephyr's mentions for the share of voice."""
    made: list[Mention] = []
    for i in range(4):
        made.append(_mention(len(made), BEFORE + timedelta(days=i), f"Meh product {i}",
                             "negative", rating=2))
    for i in range(6):
        made.append(_mention(len(made), BEFORE + timedelta(days=i, hours=3),
                             f"Lovely product {i}", "positive", rating=5))
    for i in range(8):
        made.append(_mention(len(made), WEEK + timedelta(days=i % 7, hours=i),
                             f"The charger stopped charging after {i + 2} days",
                             "negative", rating=1, aspects=CHARGING))
    made.append(_mention(len(made), WEEK + timedelta(days=5), "充电很慢，电池鼓包", "negative",
                         aspects=CHARGING))
    made.append(_mention(len(made), WEEK + timedelta(days=6),
                         "Broke again <script>alert(1)</script> & worse", "negative", rating=1))
    made.append(_mention(len(made), WEEK + timedelta(days=6, hours=1), "Returned it.",
                         "negative"))
    for i in range(3):
        made.append(_mention(len(made), WEEK + timedelta(days=i), f"Works fine {i}",
                             "positive", rating=4))
    made.append(_mention(len(made), WEEK + timedelta(days=2, hours=5),
                         "I recommend the Acme X1 to everyone, you should try it",
                         "positive", rating=5, author="Dana Lee",
                         advocate=Advocate(0.9, "connector", ("recommends",))))
    for i in range(5):
        made.append(_mention(len(made), WEEK + timedelta(days=i), f"Zephyr vacuum {i}",
                             "neutral", brand="Zephyr"))
    return made


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "mentionwatch.db"
    store = SqliteStore(path)
    store.upsert(seeded())
    store.close()
    return path


@pytest.fixture()
def store(db: Path):  # type: ignore[no-untyped-def]
    opened = SqliteStore(db)
    yield opened
    opened.close()
