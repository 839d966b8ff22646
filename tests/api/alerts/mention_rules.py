"""What the tests of the rules about mentions (new_low_rating, rating_drop, unanswered,
advocate_turned_negative) share: mentions as a store keeps them, a watchlist with the rule,
and a runner over a real SQLite file holding the mentions."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.alerts.config import ConfiguredRule, configured_rules
from api.alerts.runner import AlertRunner, open_runner
from api.watchlist import WatchlistFile
from index.record import Advocate, Author, BrandReply, Kind, Mention, Rating, Sentiment
from index.sqlite import SqliteStore

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)

BRANDS = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]

"""

_SCORES = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}


def mention(native: str, hours_ago: float, label: str = "negative", *,
            stars: float | None = None, best: float = 5, kind: Kind = "review",
            author: str = "Ann", site: str = "shop.example", brand: str = "Acme",
            replies: Sequence[BrandReply] = (), advocate: float | None = None) -> Mention:
    """A mention of `brand` published `hours_ago` before NOW, rated `stars` of `best` (on
    1..5, else 0..best) if given."""
    worst = 1 if best == 5 else 0
    return Mention.create(
        source="schemaorg", native_id=native, kind=kind, url=f"https://{site}/{native}",
        text=f"{brand} review {native}", author=Author(author),
        published_at=NOW - timedelta(hours=hours_ago), brand=brand, lang="en",
        rating=None if stars is None else Rating(stars, best, worst),
        sentiment=Sentiment(label, _SCORES[label], 0.9, "test"),  # type: ignore[arg-type]
        brand_replies=tuple(replies),
        advocate=None if advocate is None else Advocate(advocate, "validator"))


def reply(hours_ago: float | None) -> BrandReply:
    """The brand's answer, `hours_ago` before NOW (None: undated)."""
    at = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return BrandReply("Sorry to hear that, we are on it.", "Acme Support", at)


def configured(rules: str) -> list[ConfiguredRule]:
    """The configured rules of a watchlist of Acme and Zephyr with `rules` (TOML)."""
    return configured_rules(WatchlistFile.model_validate(tomllib.loads(BRANDS + rules)))


@contextmanager
def runner(tmp_path: Path, rules: str, mentions: Sequence[Mention]) -> Iterator[AlertRunner]:
    """A runner of `rules` over a real SQLite file holding `mentions`."""
    db = tmp_path / "mentionwatch.db"
    with SqliteStore(db) as store:
        store.upsert(mentions)
    with open_runner(db, configured(rules)) as opened:
        yield opened


def add(runner: AlertRunner, *mentions: Mention) -> None:
    """More mentions crawled, into the runner's store."""
    runner.store.upsert(mentions)
