"""A review's overall sentiment from its star rating and its text together.

The reviewer's own rating says how they felt; the text model only guesses. So the rating
decides, by bands on its normalized value (0..1, any scale; see `rating_label`), except in
the middle band, where a clearly one-sided text (the model says positive or negative with
at least `ONE_SIDED_CONFIDENCE`) decides instead:

    1-2 of 5          negative, however polite the text
    3 of 5            neutral, unless the text is clearly one-sided
    4-5 of 5          positive, however much the text complains

The text model's own result is kept beside the overall one by the caller (the record's
`text_sentiment`), so a 5-star review that complains stays findable.

`python -m sentiment.train.rating` chooses `ONE_SIDED_CONFIDENCE` for the configured model on
the validation slice of the training side (never the held-out side, never the demo) and
prints the figures as JSON; see docs/SENTIMENT.md.
"""

from __future__ import annotations

from sentiment.result import Label, SentimentResult

__all__ = [
    "NEGATIVE_AT_MOST",
    "ONE_SIDED_CONFIDENCE",
    "POSITIVE_ABOVE",
    "combine",
    "one_sided",
    "rating_label",
]

# Bands on the normalized rating, (value - worst) / (best - worst). On the usual 1..5 scale
# 1, 2 and 2.5 stars are negative, 3 neutral, 3.5 to 5 positive; on 10 points (1..10 or
# 0..10) 4 and below are negative, 5 and 6 neutral, 7 and up positive; a percentage (0..100)
# is negative up to 40, neutral to 60 (3 of 5 stars shown as 60%), positive above.
NEGATIVE_AT_MOST = 0.4
POSITIVE_ABOVE = 0.6

#: The text model's confidence at or above which a middle-band (3 of 5) review takes the
#: text's positive or negative label. Chosen by `python -m sentiment.train.rating` for the
#: committed model (docs/SENTIMENT.md has the run); choose again when the model changes.
ONE_SIDED_CONFIDENCE = 0.9
_SUFFIX = "+rating"


def rating_label(normalized: float) -> Label:
    """The label a normalized rating (0..1) stands for; ValueError outside 0..1."""
    if not 0.0 <= normalized <= 1.0:
        raise ValueError(f"a normalized rating must be within 0..1, got {normalized!r}")
    # Rounded: 0.6 from 3/5 and from 60/100 must land in the same band as the literal.
    value = round(normalized, 6)
    if value <= NEGATIVE_AT_MOST:
        return "negative"
    if value > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


def combine(text: SentimentResult, rating_normalized: float | None) -> SentimentResult:
    """The overall sentiment of a mention from its text's result and its rating, if any.

    Without a rating it is the text's result. With one, the model name gains "+rating";
    when the rating decides, the score is the rating on -1..1 and the confidence 1 (the
    reviewer said so); when a one-sided text decides a middle-band rating, the text's
    score and confidence are kept."""
    if rating_normalized is None:
        return text
    label = rating_label(rating_normalized)
    model = text.model + _SUFFIX
    if label == "neutral" and one_sided(text):
        return SentimentResult(text.label, text.score, text.confidence, model)
    return SentimentResult(label, round(2 * rating_normalized - 1, 6), 1.0, model)


def one_sided(text: SentimentResult, threshold: float = ONE_SIDED_CONFIDENCE) -> bool:
    """Whether the text model calls ``text`` positive or negative at ``threshold`` or above."""
    return text.label != "neutral" and text.confidence >= threshold
