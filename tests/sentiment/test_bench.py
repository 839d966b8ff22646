"""The sentiment benchmark's inputs and report, with an injected scorer."""

from __future__ import annotations

from collections.abc import Sequence

from bench.sentiment import bench_scorer, bench_texts
from sentiment.result import SentimentResult


class CountingScorer:
    name = "counting"

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        self.sizes.append(len(texts))
        return [SentimentResult("neutral", 0.0, 1.0, self.name) for _ in texts]


def test_texts_are_fixed_and_of_the_asked_length() -> None:
    texts = bench_texts(5, words=40)
    assert texts == bench_texts(5, words=40)
    assert len(set(texts)) == 5
    assert all(len(text.split()) == 40 for text in texts)


def test_report_times_one_call_after_a_warm_up() -> None:
    scorer = CountingScorer()
    report = bench_scorer(scorer, bench_texts(100), warmup=10)
    assert scorer.sizes == [10, 100]
    assert report["texts"] == 100 and report["model"] == "counting"
    assert report["texts_per_s"] > 0 and report["peak_rss_mib"] > 0
