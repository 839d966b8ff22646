"""A person's sentiment label for a mention, applied over the model's.

Every backend keeps corrections apart from the mentions and applies them with
`apply_correction` wherever a mention is read, filtered or counted, so the person's label
always wins, also over a later re-scoring of the same mention.
"""

from __future__ import annotations

from index.record import SENTIMENT_LABELS, Mention, Sentiment

__all__ = ["CORRECTED_SCORES", "apply_correction", "check_correction"]

#: The score a corrected mention carries: the label's end of the -1..1 scale.
CORRECTED_SCORES: dict[str, float] = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}


def check_correction(label: str, by: str) -> None:
    """Raise ValueError naming what is wrong with a correction's label or author."""
    if label not in SENTIMENT_LABELS:
        raise ValueError(
            f"sentiment label must be one of {', '.join(SENTIMENT_LABELS)}, got {label!r}")
    if not by.strip():
        raise ValueError("a correction needs who made it (by), got an empty string")


def apply_correction(mention: Mention, label: str, by: str) -> Mention:
    """`mention` with the person's label as its sentiment, at full confidence; the model
    name is kept so a refit knows what was corrected."""
    check_correction(label, by)
    model = mention.sentiment.model if mention.sentiment else "none"
    corrected = Sentiment(label, CORRECTED_SCORES[label], 1.0, model, corrected_by=by)  # type: ignore[arg-type]
    return mention.with_(sentiment=corrected)
