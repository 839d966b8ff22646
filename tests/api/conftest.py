from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import ROLES, KeyStore
from api.settings import Settings
from index.record import Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore


def _mention(n: int, text: str, *, brand: str, lang: str, label: str,
             rating: float | None = None) -> Mention:
    score = {"positive": 0.9, "neutral": 0.0, "negative": -0.9}[label]
    return Mention.create(
        source="schemaorg", native_id=f"r{n}", kind="review",
        url=f"https://shop.example/p/{n}", text=text, author=Author(f"author {n}"),
        published_at=datetime(2026, 10, n, tzinfo=UTC), brand=brand, lang=lang,
        rating=Rating(rating, 5, 1) if rating else None,
        sentiment=Sentiment(label, score, 0.9, "test"),  # type: ignore[arg-type]
    )


MENTIONS = [
    _mention(1, "The battery lasts two days, I recommend the Acme X1.", brand="Acme",
             lang="en", label="positive", rating=5),
    _mention(2, "Battery died after a week. <script>alert(1)</script>", brand="Acme",
             lang="en", label="negative", rating=1),
    _mention(3, "这款手机的电池很耐用，强烈推荐", brand="Acme", lang="zh-Hans", label="positive"),
    _mention(4, "電池續航很好，推薦", brand="Acme", lang="zh-Hant", label="positive"),
    _mention(5, "The Zephyr vacuum is loud but fine.", brand="Zephyr", lang="en",
             label="neutral", rating=3),
]


@pytest.fixture()
def mentions() -> list[Mention]:
    return MENTIONS


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "mentions.db"
    store = SqliteStore(path)
    store.upsert(MENTIONS)
    store.close()
    return path


@pytest.fixture()
def api_keys(db: Path) -> dict[str, str]:
    """One key per role, made in the test's database."""
    store = KeyStore(db)
    made = {role: store.create(role, f"test {role}") for role in ROLES}
    store.close()
    return made


@pytest.fixture()
def anonymous(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db))) as c:
        yield c


@pytest.fixture()
def client(anonymous: TestClient, api_keys: dict[str, str]) -> TestClient:
    """A client that sends an analyst's key."""
    anonymous.headers["X-API-Key"] = api_keys["analyst"]
    return anonymous
