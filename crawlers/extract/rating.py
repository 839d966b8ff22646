"""Ratings as sites write them ("4,5", "9/10", "80%", 4) turned into a `Rating` on a known scale.

Real pages omit `bestRating` on about 40% of reviews and 10-point scales are common, so a
missing best is inferred from the value (never assumed to be 5) or from the rest of the page.
"""

from __future__ import annotations

import math
import re

from index.record import Rating, RecordError

__all__ = ["infer_rating"]

_NUMBER = r"\d+(?:[.,]\d+)?"
# A leading number, then optionally "%" or a scale ("/10", "out of 10", "of 5"); words after
# it ("stars") are ignored, a run-on number ("4.5.1") or an exponent ("1e400") is not.
_RATING = re.compile(
    rf"\s*(?P<value>{_NUMBER})(?![\d.,]|e[+-]?\d)\s*"
    rf"(?:(?P<percent>%)|(?:/|out\s+of\b|of\b)\s*(?P<best>{_NUMBER}))?",
    re.IGNORECASE,
)
_SCALES = (5.0, 10.0, 100.0)


def infer_rating(
    value: object, best: object = None, worst: object = None, *, default_best: float | None = None
) -> Rating | None:
    """A `Rating` from schema.org-style `ratingValue`/`bestRating`/`worstRating`.

    Missing best: the scale written in the value ("9/10", "80%"), else `default_best` (the
    scale the rest of the page uses) if the value fits it, else 5, 10 or 100, the smallest
    the value fits. Missing worst: 0 for percentages and values below 1, else 1.
    None, never an error, for junk or a value outside its scale.
    """
    number, written_best, written_worst = _parse_value(value)
    if number is None:
        return None
    top = _number(best)
    if top is None:
        top = written_best
    if top is None and default_best is not None and number <= default_best:
        top = float(default_best)
    if top is None:
        top = next((scale for scale in _SCALES if number <= scale), None)
    bottom = _number(worst)
    if bottom is None:
        bottom = written_worst if written_worst is not None else (0.0 if number < 1 else 1.0)
    if top is None:
        return None
    try:
        return Rating(value=number, best=top, worst=bottom)
    except RecordError:
        return None


def _parse_value(value: object) -> tuple[float | None, float | None, float | None]:
    """(value, best written in it, worst implied by it) from a rating value."""
    if not isinstance(value, str):
        return _number(value), None, None
    match = _RATING.match(value)
    if match is None:
        return None, None, None
    number = _decimal(match["value"])
    if match["percent"]:
        return number, 100.0, 0.0
    return number, (_decimal(match["best"]) if match["best"] else None), None


def _number(value: object) -> float | None:
    """A finite number from an int, float or numeric string ("4,5" is 4.5); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(rf"\s*[+-]?{_NUMBER}\s*", value):
        number = _decimal(value)
    else:
        return None
    return number if math.isfinite(number) else None


def _decimal(text: str) -> float:
    return float(text.strip().replace(",", "."))
