from __future__ import annotations

import numpy as np
import pytest

from sentiment.chunking import (
    Window,
    combine_windows,
    length_sorted_batches,
    plan_windows,
    special_affixes,
    split_windows,
)


def test_long_token_sequence_is_split_into_windows_of_at_most_510() -> None:
    ids = list(range(4000))
    windows = split_windows(ids, 510)
    assert len(windows) == 8
    assert all(len(w) <= 510 for w in windows)
    assert [i for w in windows for i in w] == ids  # nothing dropped, nothing repeated


def test_short_and_empty_sequences_are_one_window() -> None:
    assert split_windows([1, 2, 3], 510) == [[1, 2, 3]]
    assert split_windows([], 510) == [[]]
    with pytest.raises(ValueError, match="max_tokens"):
        split_windows([1], 0)


def test_special_affixes_are_found_around_the_plain_encoding() -> None:
    assert special_affixes([0, 41, 42, 2], [41, 42]) == ((0,), (2,))
    assert special_affixes([7, 8], [7, 8]) == ((), ())
    with pytest.raises(ValueError, match="not part"):
        special_affixes([0, 2], [5])


def test_plan_wraps_every_window_and_remembers_its_text() -> None:
    plan = plan_windows([[5] * 5, [6, 6]], 2, ((0,), (2,)))
    assert [w.owner for w in plan] == [0, 0, 0, 1]
    assert plan[0] == Window(0, (0, 5, 5, 2), 2)
    assert plan[2] == Window(0, (0, 5, 2), 1)
    assert plan[3].ids == (0, 6, 6, 2)


def test_batches_group_similar_lengths_and_cover_every_index_once() -> None:
    lengths = [50, 3, 40, 4, 500, 5]
    batches = length_sorted_batches(lengths, 2)
    assert batches == [[1, 3], [5, 2], [0, 4]]
    assert sorted(i for b in batches for i in b) == list(range(6))


def test_windows_combine_as_a_token_weighted_mean_per_text() -> None:
    windows = [Window(0, (), 3), Window(0, (), 1), Window(1, (), 2)]
    values = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    combined = combine_windows(values, windows, 2)
    np.testing.assert_allclose(combined, [[0.75, 0.25], [0.5, 0.5]])
