"""Shared fixtures: the default scorer is loaded once per session (it takes seconds)."""

from __future__ import annotations

import pytest

from sentiment import load_scorer
from sentiment.head_scorer import E5HeadScorer


@pytest.fixture(scope="session")
def default_scorer() -> E5HeadScorer:
    """The default scorer (e5 fine-tuned, its head and n-grams); builds the cached
    checkpoint if it is missing."""
    scorer = load_scorer()
    assert isinstance(scorer, E5HeadScorer)
    return scorer
