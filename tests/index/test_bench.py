"""The synthetic corpus of `mentionwatch bench index`, and the command itself (figures are
recorded in docs/BENCHMARKS.md, never asserted)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from bench.index import BRANDS, END, SOURCES, generate
from index.analyzer import tokens


def test_the_corpus_has_the_promised_shape() -> None:
    mentions = [m for batch in generate(2000, seed=5, batch=300) for m in batch]
    assert len(mentions) == len({m.id for m in mentions}) == 2000
    langs = Counter("en" if m.lang == "en" else "zh" if m.text.count(" ") < 5 else "mixed"
                    for m in mentions)
    assert 0.80 < langs["en"] / 2000 < 0.90
    assert 0.07 < langs["zh"] / 2000 < 0.13
    assert 0.02 < langs["mixed"] / 2000 < 0.08
    english = [len(m.text.split()) for m in mentions if m.lang == "en"]
    assert 44 < statistics.mean(english) < 46  # some brands have two words
    assert {m.brand for m in mentions} == set(BRANDS)
    assert {m.source for m in mentions} == {name for name, _ in SOURCES}
    dates = [m.published_at for m in mentions if m.published_at]
    assert len(dates) == 2000
    assert END - timedelta(days=90) <= min(dates) < END - timedelta(days=89)
    assert END - timedelta(days=1) < max(dates) < END
    assert {m.sentiment.label for m in mentions if m.sentiment} == {
        "positive", "neutral", "negative"}
    # The brand answers complaints most often, after minutes to days.
    for label, low, high in (("negative", 0.5, 0.7), ("positive", 0.22, 0.38)):
        labelled = [m for m in mentions if m.sentiment and m.sentiment.label == label]
        answered = [m for m in labelled if m.first_reply_at]
        assert low < len(answered) / len(labelled) < high
    waits = sorted((m.first_reply_at - m.published_at).total_seconds() for m in mentions
                   if m.first_reply_at and m.published_at)
    assert 3600 < statistics.median(waits) < 6 * 3600
    # Zipf-like: the commonest word is far commoner than the hundredth.
    words = Counter(w for m in mentions if m.lang == "en" for w in tokens(m.text))
    ranked = [count for _, count in words.most_common()]
    assert ranked[0] > 20 * ranked[99] and len(ranked) > 3000


def test_the_same_seed_gives_the_same_corpus() -> None:
    assert list(generate(50, seed=2)) == list(generate(50, seed=2))
    assert list(generate(50, seed=2)) != list(generate(50, seed=3))


def test_bench_index_prints_its_figures_as_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "index", "--docs", "400", "--runs", "3",
                                       "--batch", "150", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["docs"] == 400
    assert figures["ingest"]["per_second"] > 0
    assert 0 < figures["ingest"]["analysis_cpu_seconds"] < figures["ingest"]["cpu_seconds"]
    assert figures["search"]["runs"] == figures["histogram"]["runs"] == 3
    assert figures["responses"]["runs"] == 3
    assert figures["advocates"]["with_engagement"]["runs"] == 3
    assert figures["overview"]["runs"] == 3
    assert figures["export"]["matches"] == 400  # a small corpus is exported whole
    assert list(tmp_path.iterdir()) == []  # the temporary index is gone


def test_crawl_order_has_the_same_texts_with_dates_rising_through_the_90_days() -> None:
    shuffled = [m for batch in generate(600, seed=4, batch=200) for m in batch]
    crawled = [m for batch in generate(600, seed=4, batch=200, order="crawl") for m in batch]
    assert [m.text for m in crawled] == [m.text for m in shuffled]
    dates = [m.published_at for m in crawled if m.published_at]
    assert END - timedelta(days=90, minutes=1) <= dates[0] < END - timedelta(days=89)
    assert dates[-1] < END
    # Up to a minute out of order, never more.
    assert all(later > earlier - timedelta(minutes=1) for earlier, later in pairwise(dates))


def test_against_tantivy_asks_both_engines_the_same_and_prints_the_ratios(
        tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "index", "--docs", "3000", "--runs", "5",
                                       "--order", "crawl", "--against", "tantivy",
                                       "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["order"] == "crawl"
    anchor = figures["tantivy"]
    # The same questions: each engine finds as many matches and exports every mention.
    assert anchor["search"]["mean_matches"] == figures["search"]["mean_matches"] > 0
    assert anchor["export"]["matches"] == figures["export"]["matches"] == 3000
    assert set(figures["ratios"]) == {"search_p95", "histogram_p95", "export_seconds",
                                      "ingest_per_second"}
    assert list(tmp_path.iterdir()) == []
