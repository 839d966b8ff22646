"""Language of a mention: the declared tag normalised, else detected from the text.

Chinese is told apart by script (`zh-Hans`, `zh-Hant`) because search and sentiment treat
Simplified and Traditional differently; everything else is a bare ISO 639-1 code ("en").
"""

from __future__ import annotations

import re
from collections import Counter

import hanzidentifier
import py3langid

__all__ = ["detect_lang", "language_tag"]

_SAMPLE = 1000  # characters: enough to tell a language, keeps long articles fast
_MIN_LETTERS = 3  # fewer letters than this is too little to tell
_CJK_SHARE = 0.3  # share of letters that are ideographs above which text is Chinese
_HANS_REGIONS = frozenset({"cn", "sg", "my"})
_HANT_REGIONS = frozenset({"tw", "hk", "mo"})
_ALIASES = {"zho": "zh", "chi": "zh", "cmn": "zh", "eng": "en"}
_NOT_A_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Japanese and Korean also use ideographs; their own scripts mark them.
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\uac00-\ud7af]")
_SCRIPTS = {hanzidentifier.SIMPLIFIED: "zh-Hans", hanzidentifier.TRADITIONAL: "zh-Hant"}


def language_tag(tag: str | None) -> str | None:
    """Normalise a declared tag: `en-US` -> `en`, `zh-CN`/`zh_cn`/`zh-SG` -> `zh-Hans`,
    `zh-TW`/`zh-HK`/`zh-Hant` -> `zh-Hant`, plain `zh` stays `zh`; None for what is not
    a language tag (`x-default`, `und`, "English")."""
    if not tag:
        return None
    subtags = re.split(r"[-_]", tag.strip().lower())
    primary = _ALIASES.get(subtags[0], subtags[0])
    if not re.fullmatch(r"[a-z]{2,3}", primary) or primary in _NOT_A_LANGUAGE:
        return None
    if primary != "zh":
        return primary
    rest = set(subtags[1:])
    # A script subtag says it outright; a region only implies it (zh-Hant-CN is Traditional).
    if "hans" in rest or ("hant" not in rest and rest & _HANS_REGIONS):
        return "zh-Hans"
    if "hant" in rest or rest & _HANT_REGIONS:
        return "zh-Hant"
    return "zh"


def detect_lang(text: str, declared: str | None = None) -> str | None:
    """The declared language if it is a valid tag (plain `zh` gets its script from the
    text), else the language detected from `text`; None when there is too little text."""
    sample = text[:_SAMPLE]
    tag = language_tag(declared)
    if tag is None:
        tag = _detect(sample)
    if tag == "zh":
        return _chinese_script(sample) or "zh"
    return tag


def _detect(sample: str) -> str | None:
    letters = sum(ch.isalpha() for ch in sample)
    if letters < _MIN_LETTERS:
        return None
    ideographs = len(_IDEOGRAPH.findall(sample))
    if ideographs >= _CJK_SHARE * letters and not _KANA_HANGUL.search(sample):
        return "zh"
    # py3langid loads its bundled model on the first call and keeps it.
    lang, _ = py3langid.classify(sample)
    return language_tag(lang)


def _chinese_script(sample: str) -> str | None:
    """`zh-Hans` or `zh-Hant` by which script's own characters the text uses; None when
    every character is shared by both."""
    script = hanzidentifier.identify(sample)
    if script == hanzidentifier.MIXED:  # a stray character of the other script: majority wins
        counts = Counter(hanzidentifier.identify(ch) for ch in _IDEOGRAPH.findall(sample))
        simplified = counts[hanzidentifier.SIMPLIFIED] >= counts[hanzidentifier.TRADITIONAL]
        script = hanzidentifier.SIMPLIFIED if simplified else hanzidentifier.TRADITIONAL
    return _SCRIPTS.get(script)
