"""Aspect extraction: names, polarity per clause, both Chinese scripts, batching, and a
brand's own aspect terms found from its texts."""

from __future__ import annotations

from sentiment.aspects import (
    SEED_VOCABULARY,
    clauses,
    extract,
    lexicon_polarity,
    propose_terms,
)
from sentiment.result import Label
from sentiment.train.aspect_evaluation import LANGUAGES, load


def _aspects(text: str) -> dict[str, Label]:
    (found,) = extract([text], SEED_VOCABULARY, lexicon_polarity)
    return {aspect.name: aspect.polarity for aspect in found}


def test_each_aspect_takes_the_polarity_of_its_own_clause() -> None:
    assert _aspects("Great screen, but the battery dies by noon.") == {
        "screen": "positive", "battery": "negative"}
    assert _aspects("电池不太耐用，屏幕很清楚，价格偏高") == {
        "battery": "negative", "screen": "positive", "price": "negative"}


def test_traditional_chinese_and_taiwan_words_map_to_the_same_names() -> None:
    assert _aspects("電池不太耐用，螢幕很清晰，出貨很慢，客服沒人理") == {
        "battery": "negative", "screen": "positive", "delivery": "negative",
        "support": "negative"}


def test_negation_flips_the_evaluative_word() -> None:
    assert _aspects("The camera is not good.") == {"camera": "negative"}
    assert _aspects("The camera isn't bad for a budget phone.") == {"camera": "positive"}
    assert _aspects("屏幕不清楚") == {"screen": "negative"}


def test_a_mention_without_evaluation_names_its_aspect_as_neutral() -> None:
    assert _aspects("The price dropped by 50 dollars today.") == {"price": "neutral"}
    assert _aspects("We ordered the phone last week.") == {}


def test_the_evidence_is_the_clause_that_names_the_aspect() -> None:
    text = "Love the design. Shipping took forever!"
    (found,) = extract([text], SEED_VOCABULARY, lexicon_polarity)
    assert [(a.name, a.term, text[a.start : a.end]) for a in found] == [
        ("design", "design", "Love the design"), ("delivery", "Shipping", " Shipping took forever")]
    assert [text[s:e] for s, e in clauses(text)] == ["Love the design", " Shipping took forever"]


def test_polarity_is_asked_once_per_batch_with_only_the_clauses_that_name_aspects() -> None:
    calls: list[list[str]] = []

    def polarity(texts: list[str]) -> list[Label]:
        calls.append(texts)
        return ["negative"] * len(texts)

    found = extract(["Nice. The screen broke.", "No aspect here.", "物流很快"],
                    SEED_VOCABULARY, polarity)
    assert calls == [[" The screen broke", "物流很快"]]
    assert [[a.name for a in f] for f in found] == [["screen"], [], ["delivery"]]


def test_a_brands_own_aspect_terms_are_proposed_from_its_texts() -> None:
    texts = ["The hinge feels flimsy.", "Sturdy hinge, great keyboard.", "The hinge is great",
             "键盘很好用", "键盘不太灵敏", "鍵盤很好", "Great battery."]
    assert propose_terms(texts, min_mentions=2) == ["hinge", "键盘"]
    proposed = SEED_VOCABULARY.with_terms(["hinge"])
    (found,) = extract(["The hinge cracked"], proposed, lexicon_polarity)
    assert [(a.name, a.polarity) for a in found] == [("hinge", "negative")]


def test_the_labeled_set_covers_each_language_and_known_aspect_names() -> None:
    texts = load()
    assert {t.lang for t in texts} == set(LANGUAGES)
    assert len(texts) >= 120
    assert all(name in SEED_VOCABULARY.aspects for t in texts for name in t.aspects)
