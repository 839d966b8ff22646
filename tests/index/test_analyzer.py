from __future__ import annotations

from itertools import product

import pytest

from index import analyzer
from index.analyzer import characters, highlight, match_tokens, stemmed, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Battery-life is GREAT!", ["the", "battery", "life", "is", "great"]),
        ("Acme X1, 2026 model", ["acme", "x1", "2026", "model"]),
        ("snake_case e-mail", ["snake", "case", "e", "mail"]),
        ("", []),
        ("  ...!?  ", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＣＭＥ ｘ１", ["acme", "x1"]),
        ("ﬁne Straße", ["fine", "strasse"]),  # NFKC ligature, casefold
        ("Café NESTLÉ naïve", ["cafe", "nestle", "naive"]),  # Latin accents fold
        ("cafe\u0301", ["cafe"]),  # decomposed accents too
        ("Ωμέγα", ["ωμεγα"]),
        ("कितना अच्छा", ["कितना", "अच्छा"]),  # Devanagari vowel signs stay in the word
    ],
)
def test_normalisation(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电池很耐用", ["电池", "池很", "很耐", "耐用"]),
        ("電池續航很好", ["电池", "池续", "续航", "航很", "很好"]),  # Traditional, folded
        ("Acme手机电池", ["acme", "手机", "机电", "电池"]),
        ("电池，很好！", ["电池", "很好"]),
        ("好", ["好"]),  # a lone character stays a unigram
        ("买了 好 手机", ["买了", "好", "手机"]),
        ("iPhone15电池 battery", ["iphone15", "电池", "battery"]),
        ("バッテリー最高", ["バッ", "ッテ", "テリ", "リー", "ー最", "最高"]),
    ],
)
def test_cjk_bigrams(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_highlight_escapes_untrusted_text_and_marks_terms() -> None:
    text = 'Battery <script>alert("x")</script> & battery'
    assert highlight(text, ["battery"]) == (
        "<mark>Battery</mark> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
        "<mark>battery</mark>"
    )


def test_highlight_marks_terms_that_are_themselves_markup() -> None:
    assert highlight("the <b> tag", ["<b>"]) == "the &lt;<mark>b</mark>&gt; tag"


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("这款手机的电池很耐用", ["电池"], "这款手机的<mark>电池</mark>很耐用"),
        ("電池續航很好", ["續航很"], "電池<mark>續航很</mark>好"),
        ("battery life, life battery", ['battery life'], "<mark>battery life</mark>, life battery"),
        ("Batteries die", ["batter*"], "<mark>Batteries</mark> die"),
        ("ＡＣＭＥ rocks", ["acme"], "<mark>ＡＣＭＥ</mark> rocks"),
        ("Café au lait", ["cafe", "LAIT"], "<mark>Café</mark> au <mark>lait</mark>"),
        ("no match here", ["battery"], "no match here"),
        ("battery", [], "battery"),
        ("a b", ["a", "a b"], "<mark>a b</mark>"),  # overlapping matches merge
    ],
)
def test_highlight_matches_like_the_index(text: str, terms: list[str], expected: str) -> None:
    assert highlight(text, terms) == expected


def test_highlight_custom_markers() -> None:
    assert highlight("good battery", ["battery"], pre="[", post="]") == "good [battery]"


def test_long_text_gives_a_snippet_around_the_first_match() -> None:
    text = "filler " * 100 + "the <battery> died " + "padding " * 100
    snippet = highlight(text, ["battery"], max_len=60)
    assert snippet.startswith("…filler ")
    assert "&lt;<mark>battery</mark>&gt; died" in snippet
    assert snippet.endswith("…")
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 60 + 2 + 6


def test_long_text_without_a_match_shows_its_start() -> None:
    assert highlight("word " * 100, ["battery"], max_len=20) == "word word word word …"


@pytest.mark.parametrize(
    "text", [
        "It's Acme-X1_2 (c) 2026!", "snake_case__x  9am\tTAB\nnew", "~!@#$%^&*()",
        "".join(map(chr, range(128))) * 2,  # every ASCII character, a separator or a letter
    ]
)
def test_plain_ascii_fast_path_agrees_with_the_general_one(text: str) -> None:
    # A trailing non-ASCII word sends the same text down the general path.
    assert tokens(text) == tokens(text + " é")[:-1]


_PUNCTUATION = (
    "—‘’“”…、。〈〉《》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟"
    "！＂＃＄％＆＇（）＊＋，－．／：；＜＝＞？＠"
)


@pytest.mark.parametrize(
    "text",
    [
        "The Battery-life is GREAT! 2026",
        "Acme手机电池很耐用，强烈推荐！",
        "电池 battery 續航X1很好。a中b",
        *(f"电{mark}池 a{mark}b {mark}" for mark in _PUNCTUATION),
    ],
)
def test_the_fast_paths_split_like_the_full_analysis(text: str) -> None:
    # A trailing 'é' (not ASCII, not Han) sends the text down the full analysis.
    assert tokens(text) == tokens(text + " é")[:-1]


@pytest.mark.parametrize(
    "text",
    [
        "Acme手机电池很耐用，强烈推荐！",
        "电池 battery 續航X1很好。a中b",
        *(f"电{mark}池 A{mark}b {mark}" for mark in _PUNCTUATION),
    ],
)
def test_highlighting_fast_path_marks_like_the_full_analysis(text: str) -> None:
    # Every word and every character of the text a term, each marked where it stands.
    # A trailing Greek word (no term matches it) sends the same text down the full analysis.
    terms = [*tokens(text), *(char for char in text if char.isalnum())]
    full = highlight(text + " Ω", terms, max_len=1000)
    assert full.endswith(" Ω")
    assert highlight(text, terms, max_len=1000) == full[:-2]


def test_the_fast_paths_agree_on_a_generated_corpus() -> None:
    from bench.index import generate

    texts = [m.text for batch in generate(300, seed=3) for m in batch]
    assert any(not text.isascii() for text in texts)
    assert all(tokens(text) == tokens(text + " é")[:-1] for text in texts)


def test_stems_are_snowball_english_one_for_one_and_leave_chinese_alone() -> None:
    words = tokens("Batteries overheating Overheats charged 電池 coches")
    assert stemmed(words) == ["batteri", "overheat", "overheat", "charg", "电池", "coch"]


def test_stems_stay_right_and_their_cache_bounded_past_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A crawler runs for weeks over an open vocabulary: the stems it keeps must not grow
    # without end, and must come out the same (overrides too) from the cache or not.
    monkeypatch.setattr(analyzer, "_STEMS_KEPT", 50)
    made_up = ["".join(letters) for letters in product("bcdfg", repeat=3)]  # 125 words
    words = ["overheating", *(f"{word}ings" for word in made_up), "overheating", "batteries"]
    expected = ["overheat", *(f"{word}ing" for word in made_up), "overheat", "batteri"]
    for _ in range(2):
        assert stemmed(words) == expected
        assert [stemmed([word])[0] for word in words] == expected
        assert len(analyzer._STEMS) <= 50


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("螢幕摔一次就裂", ["萤", "幕", "摔", "一", "次", "就", "裂"]),
        ("电池 好 Acme手机", ["电", "池", "好", "手", "机"]),
        ("no chinese", []),
    ],
)
def test_characters_are_every_cjk_character_once(text: str, expected: list[str]) -> None:
    assert characters(tokens(text)) == expected


@pytest.mark.parametrize(
    ("text", "exact", "expected"),
    [
        ("Batteries", False, ("stems", ["batteri"])),
        ("Batteries", True, ("terms", ["batteries"])),
        ("裂", False, ("chars", ["裂"])),
        ("電", True, ("chars", ["电"])),
        ("电池", False, ("stems", ["电池"])),
        ("...", False, ("stems", [])),
    ],
)
def test_match_tokens_picks_the_stream_a_term_searches(
    text: str, exact: bool, expected: tuple[str, list[str]]
) -> None:
    assert match_tokens(text, exact=exact) == expected


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Overheats while charging", ["overheating"], "<mark>Overheats</mark> while charging"),
        ("Batteries, battery", ['"battery"'], "Batteries, <mark>battery</mark>"),
        ("Batteries, battery", ["batteries"], "<mark>Batteries</mark>, <mark>battery</mark>"),
        ("螢幕摔一次就裂", ["裂"], "螢幕摔一次就<mark>裂</mark>"),
        ("電池和电视", ["电"], "<mark>電</mark>池和<mark>电</mark>视"),
        ("好", ["好"], "<mark>好</mark>"),
    ],
)
def test_highlight_marks_stems_and_characters_as_written(
    text: str, terms: list[str], expected: str
) -> None:
    assert highlight(text, terms) == expected
