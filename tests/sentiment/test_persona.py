"""Persona of a text: the labeled set, its fixed split, the rules, and the e5 head."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from crawlers.extract.language import detect_lang
from sentiment.persona import (
    LABELS,
    PersonaClassifier,
    PersonaResult,
    classify_persona,
    load_persona_classifier,
    load_persona_head,
    recommendations,
)
from sentiment.train.persona_evaluation import (
    DATA_DIR,
    evaluate,
    f1_by_label,
    labeled_personas,
    labeled_texts,
)
from sentiment.train.persona_head import language_weights, training_set

FRESH2_SHA256 = "1bc5a641c748b2dd4914b4f4899bc696cc68fa8f5348a3b1f72af987c33cd51e"


@pytest.fixture(scope="module")
def head_classifier() -> PersonaClassifier:
    """The default classifier: e5 + the committed persona head."""
    return load_persona_classifier()


def test_labeled_set_has_122_per_persona_132_others_in_three_scripts() -> None:
    rows = [*labeled_texts("dev"), *labeled_texts("test")]
    assert Counter(row.persona for row in rows) == {
        "educator": 122, "validator": 122, "connector": 122, "builder": 122, "none": 132}
    assert len({row.text for row in rows}) == len(rows)
    assert Counter(row.lang for row in rows) == {"en": 220, "zh-Hans": 240, "zh-Hant": 160}
    assert all(detect_lang(row.text) == row.lang for row in rows)


def test_split_is_fixed_and_disjoint() -> None:
    dev, test = labeled_personas("dev"), labeled_personas("test")
    assert not {t for t, _ in dev} & {t for t, _ in test}
    assert (len(dev), len(test)) == (294, 326)  # by text hash: changes only with the data
    fresh = labeled_personas("fresh")
    assert Counter(p for _, p in fresh) == dict.fromkeys(LABELS, 10)
    assert not {t for t, _ in fresh} & {t for t, _ in dev + test}
    with pytest.raises(ValueError, match="split must be one of"):
        labeled_personas("train")  # type: ignore[arg-type]


def test_fresh2_is_frozen_and_its_languages_are_what_the_text_is() -> None:
    # Frozen before any Chinese training text was added: a changed byte fails here.
    data = (DATA_DIR / "fresh2.jsonl").read_bytes()
    assert hashlib.sha256(data).hexdigest() == FRESH2_SHA256
    rows = labeled_texts("fresh2")
    counts = Counter((row.lang, row.persona) for row in rows)
    assert counts == {**{("en", label): 8 for label in LABELS},
                      **{("zh-Hans", label): 8 for label in LABELS},
                      **{("zh-Hant", label): 6 for label in LABELS}}
    assert all(detect_lang(row.text) == row.lang for row in rows)
    earlier = {t for split in ("dev", "test", "fresh") for t, _ in labeled_personas(split)}
    assert len({row.text for row in rows}) == len(rows) and not earlier & {r.text for r in rows}


def test_e5_head_reaches_macro_f1_080_on_the_test_split(
    head_classifier: PersonaClassifier,
) -> None:
    result = evaluate(head_classifier, "test")
    assert result.examples == 326
    assert result.macro_f1 >= 0.80, result.f1
    assert min(result.f1.values()) >= 0.7, result.f1
    assert min(result.by_language[lang].macro_f1 for lang in ("en", "zh")) >= 0.80


def test_e5_head_reaches_macro_f1_080_in_each_language_on_unseen_wording(
    head_classifier: PersonaClassifier,
) -> None:
    result = evaluate(head_classifier, "fresh2")
    scores = {lang: result.by_language[lang].macro_f1 for lang in ("en", "zh")}
    assert min(scores.values()) >= 0.80, scores


def test_no_fresh_text_nor_a_near_copy_is_on_the_training_side() -> None:
    training = [row.text for row in training_set()]
    fresh = [text for split in ("fresh", "fresh2") for text, _ in labeled_personas(split)]
    assert not set(training) & ({text for text, _ in labeled_personas("test")} | set(fresh))
    for text in fresh:
        for seen in training:
            match = SequenceMatcher(None, text, seen)
            # Cheap upper bounds first: the full ratio only for plausible pairs.
            if match.real_quick_ratio() >= 0.7 and match.quick_ratio() >= 0.7:
                assert match.ratio() < 0.7, (text, seen)


def test_english_and_chinese_weigh_half_each_in_training() -> None:
    rows = training_set()
    weights = language_weights(rows)
    english = sum(w for row, w in zip(rows, weights, strict=True) if row.lang == "en")
    assert english == pytest.approx(weights.sum() / 2)
    assert sum(row.lang != "en" for row in rows) > sum(row.lang == "en" for row in rows)


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
    ("拼单拼单！满三件打八折，想上车的评论区扣1", "connector"),
    ("谢邀，干货在这：先关掉后台刷新，再把亮度调成自动", "educator"),
    ("避雷！！用了三天就坏了，客服一直踢皮球", "none"),
])
def test_rules_classify_clear_cases_and_explain_them(text: str, persona: str) -> None:
    result = classify_persona(text)
    assert result.persona == persona, result
    assert result.signals  # every decision says which cues made it


@pytest.mark.parametrize(("text", "signal"), [
    ("这个bug我已经反馈了", "builder: bug"),
    ("在GitHub上提了issue，附了截图", "builder: GitHub"),
    ("整体体验10/10，这个feature太好用", "builder: feature"),
    ("A bug in the app", "builder: bug"),
])
def test_english_cues_are_found_inside_chinese_text(text: str, signal: str) -> None:
    # Chinese characters are not English word characters: "bug" in "这个bug我" is a word.
    assert signal in classify_persona(text).signals


def test_an_english_cue_is_not_found_inside_a_longer_english_word() -> None:
    assert not any("bug" in signal for signal in classify_persona("Debugging it now.").signals)


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


class _KnowsEnglishOnly:
    """Right on every English text of the labeled set, "none" on everything else."""

    name = "knows-english-only"

    def __init__(self) -> None:
        self.gold = {row.text: row.persona for row in labeled_texts("fresh")
                     if row.lang == "en"}

    def classify(self, texts: Sequence[str]) -> list[PersonaResult]:
        return [PersonaResult(self.gold.get(text, "none"), {}, ()) for text in texts]


def test_eval_scores_each_language_and_chinese_script_apart() -> None:
    result = evaluate(_KnowsEnglishOnly(), "fresh")
    parts = result.by_language
    assert set(parts) == {"en", "zh", "zh-Hans", "zh-Hant"}
    assert parts["en"].examples + parts["zh"].examples == result.examples == 50
    assert parts["zh-Hans"].examples + parts["zh-Hant"].examples == parts["zh"].examples
    assert parts["en"].macro_f1 == parts["en"].accuracy == 1.0
    zh_none = sum(row.persona == "none" for row in labeled_texts("fresh") if row.lang != "en")
    assert parts["zh"].accuracy == round(zh_none / parts["zh"].examples, 4)
    assert parts["zh"].f1["educator"] == 0.0 and result.macro_f1 < 1.0


def test_a_label_absent_from_a_small_part_is_not_counted_as_zero() -> None:
    assert f1_by_label(["educator", "none"], ["educator", "none"]) == {"educator": 1.0,
                                                                     "none": 1.0}
    # A label guessed but never gold still counts: a wrong guess costs.
    assert f1_by_label(["educator"], ["builder"]) == {"educator": 0.0, "builder": 0.0}


def test_a_row_with_an_unknown_language_is_refused_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = {"text": "Quick tip: hold the button.", "persona": "educator", "lang": "en"}
    bad = {"text": "Astuce : maintenez le bouton.", "persona": "educator", "lang": "fr"}
    (tmp_path / "fresh.jsonl").write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    monkeypatch.setattr("sentiment.train.persona_evaluation.DATA_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"fresh.jsonl line 2: .* got 'educator', 'fr'"):
        labeled_texts("fresh")


def test_eval_personas_prints_figures_per_language() -> None:
    as_json = CliRunner().invoke(main, ["eval", "personas", "--split", "fresh", "--rules",
                                        "--json"])
    assert as_json.exit_code == 0, as_json.output
    summary = json.loads(as_json.output)
    assert set(summary["by_language"]) == {"en", "zh", "zh-Hans", "zh-Hant"}
    zh = summary["by_language"]["zh"]
    assert set(zh) == {"examples", "accuracy", "macro_f1", "f1"} and zh["examples"] == 23
    text = CliRunner().invoke(main, ["eval", "personas", "--split", "fresh", "--rules"])
    assert text.exit_code == 0, text.output
    assert f"  zh       (23 texts): macro-F1 {zh['macro_f1']:.3f}" in text.output
