"""Persona of a text: the labeled set, its fixed split, the rules, and the e5 head."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sentiment.persona import (
    LABELS,
    PersonaClassifier,
    classify_persona,
    load_persona_classifier,
    load_persona_head,
    recommendations,
)
from sentiment.persona_data import DATA_DIR, evaluate, labeled_personas


@pytest.fixture(scope="module")
def head_classifier() -> PersonaClassifier:
    """The default classifier: e5 + the committed persona head."""
    return load_persona_classifier()


def test_labeled_set_has_60_per_persona_70_others_in_three_scripts() -> None:
    rows = [*labeled_personas("dev"), *labeled_personas("test")]
    assert Counter(p for _, p in rows) == {"educator": 60, "validator": 60, "connector": 60,
                                           "builder": 60, "none": 70}
    assert len({text for text, _ in rows}) == len(rows)
    lines = (DATA_DIR / "personas.jsonl").read_text(encoding="utf-8").splitlines()
    langs = Counter(json.loads(line)["lang"] for line in lines)
    assert langs["en"] >= 150 and langs["zh-Hans"] >= 80 and langs["zh-Hant"] >= 50


def test_split_is_fixed_and_disjoint() -> None:
    dev, test = labeled_personas("dev"), labeled_personas("test")
    assert not {t for t, _ in dev} & {t for t, _ in test}
    assert (len(dev), len(test)) == (137, 173)  # by text hash: changes only with the data
    fresh = labeled_personas("fresh")
    assert Counter(p for _, p in fresh) == dict.fromkeys(LABELS, 10)
    assert not {t for t, _ in fresh} & {t for t, _ in dev + test}
    with pytest.raises(ValueError, match="split must be one of"):
        labeled_personas("train")  # type: ignore[arg-type]


def test_e5_head_reaches_macro_f1_080_on_the_test_split(
    head_classifier: PersonaClassifier,
) -> None:
    result = evaluate(head_classifier, "test")
    assert result.examples == 173
    assert result.macro_f1 >= 0.80, result.f1
    assert min(result.f1.values()) >= 0.7, result.f1


@pytest.mark.parametrize(("text", "persona"), [
    ("Here's how to reset the Orbit map: hold the home button for ten seconds.", "educator"),
    ("教程：三步设置省电模式，第一步关闭后台刷新。", "educator"),
    ("Five stars, worth every penny after three months of daily use.", "validator"),
    ("用了半年的心得：電池很耐用，非常值得。", "validator"),
    ("@jo you should try the Buds Pro, here's my referral link.", "connector"),
    ("已经安利给三个同事了，推荐给身边的朋友。", "connector"),
    ("Feature request: a dark mode. Happy to test it in the beta.", "builder"),
    ("建议加入按房间设置吸力的功能，我愿意参加内测。", "builder"),
    ("Acme announces the Phone X will ship in blue next month.", "none"),
    ("有人知道这款耳机支持安卓吗？", "none"),
    ("I would not recommend it: it broke after a week and they refused a refund.", "none"),
    ("不推荐购买，质量太差。", "none"),
])
def test_rules_classify_clear_cases_and_explain_them(text: str, persona: str) -> None:
    result = classify_persona(text)
    assert result.persona == persona, result
    assert result.signals  # every decision says which cues made it


def test_head_results_carry_probabilities_and_cues(
    head_classifier: PersonaClassifier,
) -> None:
    [guide, news] = head_classifier.classify([
        "Step-by-step guide: how to descale the grinder with citric acid, explained.",
        "Zephyr recalls 12,000 charging docks, the company said on Tuesday.",
    ])
    assert guide.persona == "educator" and news.persona == "none"
    # Five probabilities rounded to 4 places: their sum is 1 within 5 half-units.
    assert abs(sum(guide.scores.values()) - 1) <= 2.5e-4 and set(guide.scores) == set(LABELS)
    assert guide.signals[0].startswith("educator p=") and "educator: how to" in guide.signals


@pytest.mark.parametrize(("text", "found"), [
    ("I recommend it to anyone.", ["I recommend"]),
    ("I strongly recommend it, you should try it.", ["I strongly recommend", "you should try"]),
    ("Honestly worth it.", ["worth it"]),
    ("I wouldn't recommend it.", []),
    ("We do not recommend this model.", []),
    ("Not worth it.", []),
    ("Can't stop recommending it to friends.", ["recommending"]),
    ("强烈推荐！总体推荐。", ["强烈推荐", "推荐"]),
    ("非常推薦，值得买。", ["非常推薦", "值得买"]),
    ("不推荐购买。", []),
    ("不太推薦。", []),
])
def test_recommendations_skip_negated_phrases(text: str, found: list[str]) -> None:
    assert recommendations(text) == found


def test_a_head_file_with_other_labels_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "head.json"
    bad.write_text(json.dumps({"labels": ["a", "b"], "weights": [[0.0]], "bias": [0.0]}))
    with pytest.raises(ValueError, match="labels must be"):
        load_persona_head(bad)
