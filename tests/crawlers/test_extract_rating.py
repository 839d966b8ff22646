from __future__ import annotations

import pytest

from crawlers.extract.rating import infer_rating


def _parts(*args: object, **kwargs: float) -> tuple[float, float, float] | None:
    rating = infer_rating(*args, **kwargs)
    return None if rating is None else (rating.value, rating.best, rating.worst)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # stated scales
        (("4", "5", "1"), (4.0, 5.0, 1.0)),
        ((8.5, 10, 0), (8.5, 10.0, 0.0)),
        ((4, 10, 0), (4.0, 10.0, 0.0)),
        (("3", "5"), (3.0, 5.0, 1.0)),
        ((" 4 ", " 5 ", None), (4.0, 5.0, 1.0)),
        # no bestRating: 5, else 10, else 100 by the value
        ((4,), (4.0, 5.0, 1.0)),
        (("5",), (5.0, 5.0, 1.0)),
        ((6,), (6.0, 10.0, 1.0)),
        (("9.2",), (9.2, 10.0, 1.0)),
        (("10",), (10.0, 10.0, 1.0)),
        ((11,), (11.0, 100.0, 1.0)),
        ((87,), (87.0, 100.0, 1.0)),
        ((100,), (100.0, 100.0, 1.0)),
        # worst 0 when the value is below 1
        ((0,), (0.0, 5.0, 0.0)),
        (("0.5",), (0.5, 5.0, 0.0)),
        # written forms
        (("4,5",), (4.5, 5.0, 1.0)),
        (("4.5",), (4.5, 5.0, 1.0)),
        (("8,0",), (8.0, 10.0, 1.0)),
        (("9/10",), (9.0, 10.0, 1.0)),
        (("4/5",), (4.0, 5.0, 1.0)),
        (("3 out of 5",), (3.0, 5.0, 1.0)),
        (("7 of 10",), (7.0, 10.0, 1.0)),
        (("4.5 stars",), (4.5, 5.0, 1.0)),
        (("80%",), (80.0, 100.0, 0.0)),
        (("4,5", "5,0"), (4.5, 5.0, 1.0)),
        # a stated best wins over the one written in the value
        (("4/5", 10), (4.0, 10.0, 1.0)),
        # junk best or worst is treated as missing
        ((3, "abc", "n/a"), (3.0, 5.0, 1.0)),
        ((7, None, True), (7.0, 10.0, 1.0)),
    ],
)
def test_infer_rating(args: tuple[object, ...], expected: tuple[float, float, float]) -> None:
    assert _parts(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        (None,), ("",), ("   ",), ("four",), ("n/a",), ("4.5.1",), ("-1",), (True,), ([],), ({},),
        (float("nan"),), (float("inf"),), (101,), ("250",),
        ("1e400",), ("4.5E-3",), ("2e1",),  # exponents: not "1", "4.5" or "2" and a word
        (6, 5),  # above its stated best
        (3, 0),  # best below worst
        (3, 5, 5),  # best equal to worst
        (1, 5, 2),  # below its stated worst
    ],
)
def test_junk_is_none_never_an_error(args: tuple[object, ...]) -> None:
    assert infer_rating(*args) is None


@pytest.mark.parametrize(
    ("args", "normalized"),
    [(("5", "5", "1"), 1.0), ((1, 5, 1), 0.0), ((3,), 0.5), ((6,), 5 / 9), (("80%",), 0.8),
     ((8.5, 10, 0), 0.85)],
)
def test_normalized(args: tuple[object, ...], normalized: float) -> None:
    rating = infer_rating(*args)
    assert rating is not None
    assert rating.normalized == pytest.approx(normalized)


def test_default_best_is_the_page_scale_when_the_value_fits_it() -> None:
    # "2" next to a "9" on a 10-point page is 2/10, not 2/5.
    assert _parts("2", default_best=10) == (2.0, 10.0, 1.0)
    # A value above the page scale gets its own; a stated or written best still wins.
    assert _parts(12, default_best=10) == (12.0, 100.0, 1.0)
    assert _parts(3, 5, default_best=10) == (3.0, 5.0, 1.0)
    assert _parts("4/5", default_best=10) == (4.0, 5.0, 1.0)
