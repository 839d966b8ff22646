"""The labels that share of voice and top values show, looked up once per key per minute."""

from __future__ import annotations

from api.deps import Labels


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_label_is_looked_up_once_until_it_expires() -> None:
    clock, asked = Clock(), []

    def look_up() -> str:
        asked.append(clock.now)
        return "Acme"

    labels = Labels(ttl=60, clock=clock)
    assert labels.get(("brand", "acme"), look_up) == "Acme"
    clock.now = 59.9
    assert labels.get(("brand", "acme"), look_up) == "Acme"
    assert asked == [0.0]
    clock.now = 60.0
    assert labels.get(("brand", "acme"), look_up) == "Acme"
    assert asked == [0.0, 60.0]


def test_labels_are_kept_per_key_and_bounded() -> None:
    labels = Labels(size=2, clock=Clock())
    assert labels.get(("brand", "a"), lambda: "A") == "A"
    assert labels.get(("author", "a"), lambda: None) is None
    assert labels.get(("author", "a"), lambda: "changed") is None  # None is kept too
    assert labels.get(("brand", "b"), lambda: "B") == "B"  # full: the others are dropped
    assert labels.get(("brand", "a"), lambda: "A again") == "A again"
