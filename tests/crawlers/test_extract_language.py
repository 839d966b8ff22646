# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.extract.language import detect_lang, language_tag

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("pt-BR", "pt"), ("fr", "fr"),
        ("eng", "en"),
        ("zh-CN", "zh-Hans"), ("zh_cn", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh-Hans", "zh-Hans"),
        ("zh-Hans-HK", "zh-Hans"),
        ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"), ("zh-Hant", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"), ("zh-Hant-CN", "zh-Hant"),
        ("zh", "zh"), ("ZH", "zh"), ("zho", "zh"),
        (None, None), ("", None), ("  ", None), ("x-default", None), ("und", None), ("*", None),
        ("English", None), ("12", None),
    ],
)
def test_language_tag(tag: str | None, expected: str | None) -> None:
    assert language_tag(tag) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The battery lasts two days and I recommend it to everyone.", "en"),
        ("Der Akku hält zwei Tage, ich kann es nur empfehlen.", "de"),
        ("La batterie tient deux jours, je le recommande vivement.", "fr"),
        ("这款耳机的电池续航很好，强烈推荐！", "zh-Hans"),
        ("這款耳機的電池續航很好，推薦！", "zh-Hant"),
        ("Acme 耳机很好用", "zh-Hans"),  # Latin brand names do not hide Chinese
        ("這個電池很好，但是后来", "zh-Hant"),  # one character of the other script: majority
        ("このイヤホンの電池は長持ちします", "ja"),  # kanji with kana is Japanese
        ("이 이어폰은 배터리가 오래 갑니다", "ko"),
        ("", None), ("ok", None), ("12345 !!!", None),  # too little to tell
    ],
)
def test_detected(text: str, expected: str | None) -> None:
    assert detect_lang(text) == expected


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("Great phone", "zh-TW", "zh-Hant"),  # a declared language wins over the text
        ("这个很好", "en-US", "en"),
        ("Great phone", "zh-CN", "zh-Hans"),
        # plain zh takes its script from the text; undecidable text stays zh
        ("我们很喜欢", "zh", "zh-Hans"),
        ("我們很喜歡", "zh", "zh-Hant"),
        ("人口", "zh", "zh"),
        ("Great phone", "zh", "zh"),
        # not a language tag: detect instead
        ("The screen is bright and sharp.", "x-default", "en"),
        ("這款耳機很好", "English", "zh-Hant"),
    ],
)
def test_declared(text: str, declared: str, expected: str) -> None:
    assert detect_lang(text, declared) == expected


def test_only_the_start_of_a_long_text_is_read() -> None:
    text = "The battery lasts two days and I recommend it. " * 50 + "这款耳机的电池很好。" * 10_000
    assert detect_lang(text) == "en"


def test_model_loads_lazily_and_once() -> None:
    probe = (
        "import py3langid.langid as m, crawlers.extract.language as l; "
        "assert m.IDENTIFIER is None; l.detect_lang('Bonjour tout le monde, merci'); "
        "first = m.IDENTIFIER; l.detect_lang('Hello world, thank you all'); "
        "assert first is not None and m.IDENTIFIER is first"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True)
