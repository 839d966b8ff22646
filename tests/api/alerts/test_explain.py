"""Alert explanations name the aspects mentioned more than usual, against the baseline's
rate over a window of the same length, on a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.alerts.explain import AspectChange, aspect_changes
from api.alerts.rules import Alert
from index.record import Aspect, Author, Mention, Sentiment
from index.sqlite import SqliteStore

WINDOW = datetime(2026, 11, 2, 10, tzinfo=UTC)
BASELINE = WINDOW - timedelta(days=14)
ALERT = Alert(rule="r", type="negative_spike", subject="Acme", field="brand",
              window_start=WINDOW, window_end=WINDOW + timedelta(hours=1),
              baseline_start=BASELINE, observed=20, baseline=2.0, summary="s",
              sentiment="negative", z=5.0)


def _negative(n: int, at: datetime, *aspects: Aspect) -> Mention:
    return Mention.create(source="feed", native_id=f"m{n}", kind="post",
                          url=f"https://news.example/{n}", text=f"mention {n}",
                          author=Author("a"), published_at=at, brand="Acme", lang="en",
                          sentiment=Sentiment("negative", -0.8, 0.9, "test"), aspects=aspects)


def test_aspects_grown_in_the_window_are_named_against_their_usual_count(
        tmp_path: Path) -> None:
    battery, support = Aspect("battery", "negative"), Aspect("support", "negative")
    mentions = [  # the baseline: 2 battery complaints a day, 3 support ones an hour
        *(_negative(n, BASELINE + timedelta(hours=12 * n), battery) for n in range(28)),
        *(_negative(1000 + n, BASELINE + timedelta(minutes=20 * n), support)
          for n in range(14 * 24 * 3)),
    ]
    window = [  # 12 battery (one praised), 3 support, 2 price complaints
        *(_negative(5000 + n, WINDOW + timedelta(minutes=n), battery) for n in range(11)),
        _negative(5011, WINDOW + timedelta(minutes=11), Aspect("battery", "positive")),
        *(_negative(5020 + n, WINDOW + timedelta(minutes=20 + n), support) for n in range(3)),
        *(_negative(5030 + n, WINDOW + timedelta(minutes=30 + n), Aspect("price", "negative"))
          for n in range(2)),
    ]
    store = SqliteStore(tmp_path / "m.db")
    try:
        store.upsert([*mentions, *window])
        changes = aspect_changes(store, ALERT)
    finally:
        store.close()
    # battery: 11 negative against 28 in 336 hours; support as usual; price too rare.
    assert changes == [AspectChange("battery", 11, 0.08)]
