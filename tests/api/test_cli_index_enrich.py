"""`mentionwatch index enrich` fills the advocate records of mentions indexed before the
crawl stored them, with the real models, keeping people's corrections."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from index.record import Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore

PRAISE = ("Three weeks with the Acme Phone X: the battery lasts two days and the camera is "
          "great. I recommend it to anyone, five stars.")


def _old(n: int, author: str, text: str) -> Mention:
    """A mention as an older crawl wrote it: scored, without an advocate record."""
    return Mention.create(
        source="schemaorg", native_id=str(n), kind="review", url=f"https://shop.example/{n}",
        text=text, author=Author(author), published_at=datetime(2026, 10, n, tzinfo=UTC),
        brand="Acme", rating=Rating(5, 5, 1), nps_class="promoter",
        sentiment=Sentiment("positive", 0.9, 0.9, "e5-small-head"))


def _enrich(db: Path, *args: str) -> int:
    result = CliRunner().invoke(main, ["index", "enrich", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["enriched"])


def test_index_enrich_fills_missing_advocate_records_once(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    fan, newsroom = _old(1, "Maya", PRAISE), _old(2, "Acme Newsroom", PRAISE)
    with SqliteStore(db) as store:
        store.upsert([fan, newsroom, _old(3, "Tom", "Meh. It is a phone.")])
        store.correct_sentiment(_old(3, "Tom", "x").id, "negative", "ann")
        assert store.advocates("brand:acme", min_score=0) == []
    assert _enrich(db) == 2  # not the brand's own account
    with SqliteStore(db) as store:
        stored = store.get(fan.id)
        assert stored and stored.advocate and stored.advocate.persona == "validator"
        assert stored.advocate.score >= 0.5 and stored.text_sentiment is not None
        assert store.get(newsroom.id).advocate is None  # type: ignore[union-attr]
        tom = store.get(_old(3, "Tom", "x").id)
        assert tom and tom.sentiment and tom.sentiment.corrected_by == "ann"  # kept
        assert [lead.latest.author.name for lead in store.advocates("brand:acme")] == ["Maya"]
    assert _enrich(db) == 0  # nothing left to fill
    assert _enrich(db, "--all") == 3
