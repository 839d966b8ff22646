from __future__ import annotations

import numpy as np
import pytest

from sentiment.labels import label_matrix


def targets(id2label: dict[int, str]) -> tuple[list[int], bool]:
    matrix, has_neutral = label_matrix(id2label)
    assert np.all(matrix.sum(axis=1) == 1)
    return [int(i) for i in matrix.argmax(axis=1)], has_neutral


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "NEGATIVE", 1: "POSITIVE"}, ([0, 2], False)),
        ({0: "positive", 1: "negative"}, ([2, 0], False)),
        ({0: "LABEL_0", 1: "LABEL_1"}, ([0, 2], False)),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ([0, 1, 2], True)),
        ({0: "neg", 1: "neu", 2: "pos"}, ([0, 1, 2], True)),
        ({i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}, ([0, 0, 1, 2, 2], True)),
        ({0: "Very Negative", 1: "very_positive"}, ([0, 2], False)),
    ],
)
def test_common_label_names_map_to_the_three_classes(
    id2label: dict[int, str], expected: tuple[list[int], bool]
) -> None:
    assert targets(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "sports", 1: "politics"},
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},
        {0: "positive", 1: "neutral"},
        {1: "positive", 2: "negative"},
    ],
)
def test_labels_that_are_not_sentiment_are_refused(id2label: dict[int, str]) -> None:
    with pytest.raises(ValueError):
        label_matrix(id2label)
