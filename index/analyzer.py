"""The one text analyzer, shared by indexing, querying and highlighting.

    >>> tokens("Acme手机电池 is GREAT")
    ['acme', '手机', '机电', '电池', 'is', 'great']

Text is NFKC-normalised and casefolded. Runs of letters, digits and marks become words, with
accents dropped from Latin, Greek and Cyrillic letters (so `cafe` finds `Café`). Runs of CJK
characters (Han, kana and Hangul, the scripts Elasticsearch's `cjk_bigram` covers) become
overlapping bigrams, a lone character staying a unigram: Chinese has no spaces, and a
whole run as one token (FTS5's unicode61 tokenizer) would make `电池` find nothing.
Everything else separates tokens. Traditional Chinese characters are folded to Simplified
ones, character by character (OpenCC's `t2s` table), so `电池` finds `電池` and the reverse.

A query term is analysed the same way, so a Chinese term becomes a phrase of bigrams and
matches wherever its characters appear in a run.

Beside these exact `tokens`, a text has two more streams, so a search finds what people type:

- `stemmed`: every token through Snowball's English stemmer (PyStemmer), so `batteries`
  finds `battery` and `overheating` finds `Overheats`. Every word is stemmed, whatever the
  text's declared language: a query's language is unknown, and it must be analysed as the
  text was. Snowball English only strips English endings of Latin letters, so other scripts
  and CJK bigrams pass unchanged; a Spanish or German word is at worst conflated with its own
  inflections (`coches`, `coche`) and rarely with another word. A few words Snowball stems
  apart from their own inflections are mapped first (`STEM_OVERRIDES`).
- `characters`: each CJK character once per occurrence, so a one-character query (`裂`,
  `电`) finds the runs it stands in; longer Chinese words still match, and rank, by bigrams.

`match_tokens` says which stream a query term searches: a one-character CJK term its
character; a quoted phrase, or a prefix, the exact tokens (`"batteries"` does not find
`battery`); any other term its stems. `highlight` marks what matched, as written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Literal, NamedTuple

import Stemmer

__all__ = [
    "STEM_OVERRIDES",
    "Stream",
    "Streams",
    "characters",
    "fold_chinese",
    "highlight",
    "match_tokens",
    "near_tokens",
    "stemmed",
    "streams",
    "tokens",
]

#: The token streams a text is indexed as: exact tokens, their stems, CJK characters.
Stream = Literal["terms", "stems", "chars"]
#: Words Snowball English stems apart from their own inflections (its step 1 gives
#: `overheating` an `e`, which a later step takes for the suffix `-ate`): their stems.
STEM_OVERRIDES = {
    "overheated": "overheat",
    "overheating": "overheat",
    "overeating": "overeat",
}

_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3134F),  # CJK Extensions B-G
)
# One character of those ranges, matched in C: `characters` asks it of every word of a text.
_CJK_CHAR = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")
_CJK, _WORD = "cjk", "word"
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
# ASCII letters lowercased, digits kept, every other ASCII character a space: on ASCII text,
# `translate` and `split` give _ASCII_WORD's matches lowercased, twice as fast as the regex.
_ASCII_FOLD = str.maketrans({
    chr(code): chr(code).lower() if chr(code).isalnum() else " " for code in range(128)
})
# ASCII, CJK Unified Ideographs (unchanged by NFKC) and punctuation that NFKC leaves a
# separator: a text of these alone splits into ASCII words and runs of Han characters.
_PLAIN_HAN_TEXT = re.compile(
    "[\x00-\x7f\u4e00-\u9fff\u2014\u2018\u2019\u201c\u201d\u2026"
    "\u3001\u3002\u3008-\u3011\u3014-\u301f\uff01-\uff0f\uff1a-\uff20]*"
)
_HAN_OR_ASCII_WORD = re.compile("[a-z0-9]+|[\u4e00-\u9fff]+")


@cache
def _simplified() -> dict[int, str]:
    """Traditional -> Simplified, one character to one character, for every Han character
    OpenCC maps to a single other one (about 4,200). Built once, in ~10 ms."""
    import opencc  # imported on first use: most commands never analyse text

    chars = [chr(code) for code in range(0x3400, 0xA000)]  # Extension A and Unified
    # One character a line: converted alone, never as part of a phrase with its neighbours.
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    return {ord(t): s for t, s in zip(chars, converted, strict=True) if len(s) == 1 and s != t}


def fold_chinese(text: str) -> str:
    """`text` with Traditional Chinese characters as Simplified ones; same length, so
    offsets into it are offsets into `text`."""
    return text.translate(_simplified())


class _Span(NamedTuple):
    token: str
    start: int  # offsets into the original, unnormalised text, for highlighting
    end: int


def _kind(char: str) -> str | None:
    if _is_cjk(char):
        return _CJK
    # Marks belong to words: Python's \w would split Hindi or Thai words at vowel signs.
    return _WORD if unicodedata.category(char)[0] in "LNM" else None


def _has_foldable_accents(char: str) -> bool:
    # Latin, Greek, Cyrillic and their extensions; elsewhere marks are letters' vowels.
    return char < "\u0530" or "\u1e00" <= char < "\u2000"


@lru_cache(maxsize=65536)  # words repeat; indexing spends its time here
def _fold_word(chars: str) -> str:
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", chars):
        if not (unicodedata.combining(char) and kept and _has_foldable_accents(kept[-1])):
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


@lru_cache(maxsize=65536)
def _fold_char(original: str) -> tuple[tuple[str, str | None], ...]:
    """The NFKC-casefolded characters of one character ("ﬁ" -> "fi", "ß" -> "ss"), each
    with its kind."""
    folded = fold_chinese(unicodedata.normalize("NFKC", original).casefold())
    return tuple((char, _kind(char)) for char in folded)


def _spans(text: str) -> list[_Span]:
    # Normalise character by character so every folded character keeps the offset of
    # the original it came from.
    folded = [
        (char, kind, offset)
        for offset, original in enumerate(text)
        for char, kind in _fold_char(original)
    ]
    spans: list[_Span] = []
    for kind, group in groupby(folded, key=itemgetter(1)):
        run = [(char, offset) for char, _, offset in group]
        if kind == _WORD:
            word = _fold_word("".join(char for char, _ in run))
            if word:
                spans.append(_Span(word, run[0][1], run[-1][1] + 1))
        elif kind == _CJK:
            if len(run) == 1:
                spans.append(_Span(run[0][0], run[0][1], run[0][1] + 1))
            spans.extend(_Span(a + b, start, end + 1) for (a, start), (b, end) in pairwise(run))
    return spans


def tokens(text: str) -> list[str]:
    """The index terms of `text`, in order."""
    # What _spans gives, without offsets, for the texts indexing mostly sees: 5x faster.
    if text.isascii():
        return text.translate(_ASCII_FOLD).split()
    if _PLAIN_HAN_TEXT.fullmatch(text):
        found: list[str] = []
        for run in _HAN_OR_ASCII_WORD.findall(fold_chinese(text.lower())):
            if run.isascii() or len(run) == 1:
                found.append(run)
            else:  # overlapping bigrams
                found.extend(map(str.__add__, run, run[1:]))
        return found
    return [span.token for span in _spans(text)]


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english", 0)  # no cache of its own: `_STEMS` is the cache


def _is_cjk(token: str) -> bool:
    return _CJK_CHAR.match(token) is not None


# Every word's stem once seen: a dict lookup is 10x cheaper than PyStemmer's stemWords even
# on its own cache's hits, and stemming was half of analysing a text. Emptied when full: a
# text's vocabulary soon comes back, and an LRU's bookkeeping would cost on every word.
_STEMS: dict[str, str] = {}
_STEMS_KEPT = 200_000


def stemmed(words: Sequence[str]) -> list[str]:
    """The stems of `tokens`' output, one for one (CJK bigrams and other scripts unchanged)."""
    try:
        return [_STEMS[word] for word in words]  # nearly always, once a corpus is under way
    except KeyError:
        return _stemmed_new(words)


def _stemmed_new(words: Sequence[str]) -> list[str]:
    # Stems gathered in a dict of this call's own, so another thread emptying the cache
    # meanwhile takes none of them away.
    distinct = set(words)
    stems = {word: stem for word in distinct if (stem := _STEMS.get(word)) is not None}
    new = list(distinct.difference(stems))
    found = {word: STEM_OVERRIDES.get(word, stem)
             for word, stem in zip(new, _stemmer().stemWords(new), strict=True)}
    if len(_STEMS) + len(found) > _STEMS_KEPT:
        _STEMS.clear()
    _STEMS.update(found)
    stems.update(found)
    return [stems[word] for word in words]


def characters(words: Sequence[str]) -> list[str]:
    """The CJK characters of `tokens`' output, one for each in the text: a bigram gives its
    first character, and its second too when no bigram of the same run follows."""
    found: list[str] = []
    if "".join(words).isascii():  # most texts, in one pass in C rather than one a word
        return found
    for at, word in enumerate(words):
        if word.isascii() or not _is_cjk(word):  # isascii first: most words are, and it is C
            continue
        found.append(word[0])
        following = words[at + 1] if at + 1 < len(words) else ""
        if len(word) == 2 and not (len(following) == 2 and following[0] == word[1]):
            found.append(word[1])
    return found


class Streams(NamedTuple):
    terms: list[str]
    stems: list[str]
    chars: list[str]


def streams(*parts: str | None) -> Streams:
    """The three streams a mention is indexed as, of its searchable `parts` (title, text,
    brand) as one text: a phrase may run from one part into the next, on every backend."""
    words = tokens("\n".join(part for part in parts if part))
    return Streams(words, stemmed(words), characters(words))


def match_tokens(text: str, *, exact: bool = False) -> tuple[Stream, list[str]]:
    """The stream a query term (or with `exact`, a phrase or a prefix) searches, and its
    tokens there: a lone CJK character its character, exact ones their tokens, others
    their stems. No tokens when `text` has no letters or digits."""
    words = tokens(text)
    if len(words) == 1 and len(words[0]) == 1 and _is_cjk(words[0]):
        return "chars", words
    return near_tokens(text, exact=exact)


def near_tokens(text: str, *, exact: bool) -> tuple[Stream, list[str]]:
    """A side of NEAR: its exact tokens or its stems. Both sides of a NEAR must be in one
    stream whose positions are the words' (terms and stems are, one for one), so a lone
    CJK character is a word here and finds only where it stands alone."""
    words = tokens(text)
    return ("terms", words) if exact else ("stems", stemmed(words))


def _matches(words: Sequence[str], at: int, pattern: Sequence[str], prefix: bool) -> bool:
    window = words[at : at + len(pattern)]
    if len(window) < len(pattern):
        return False
    *head, last = pattern
    return list(window[:-1]) == head and (
        window[-1].startswith(last) if prefix else window[-1] == last
    )


def _starts(words: Sequence[str], pattern: Sequence[str], prefix: bool) -> list[int]:
    """Where `pattern` matches in `words`. Positions are screened by the first token in
    one pass before the full comparison: a search highlights 20 texts of ~50 words each."""
    first = pattern[0]
    if prefix and len(pattern) == 1:
        return [at for at, word in enumerate(words) if word.startswith(first)]
    return [at for at, word in enumerate(words)
            if word == first and _matches(words, at, pattern, prefix)]


def _merge(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(marks):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, first: tuple[int, int] | None, max_len: int) -> range:
    length = len(text)
    if length <= max_len or first is None:
        return range(0, min(length, max_len))
    # Open a little before the first match so it reads in context, at a word boundary.
    start = max(0, min(first[0] - max_len // 4, length - max_len))
    space = text.find(" ", start, first[0])
    if start > 0 and space != -1:
        start = space + 1
    return range(start, min(length, start + max_len))


class _Streams:
    """A text's words and, computed on first use, their stems."""

    def __init__(self, words: list[str]) -> None:
        self.terms = words
        self._stems: list[str] | None = None

    @property
    def stems(self) -> list[str]:
        if self._stems is None:
            self._stems = stemmed(self.terms)
        return self._stems


def _words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """`text`'s index terms, in order, and each one's (start, end) in `text`."""
    if text.isascii():  # the common case, where folding is lowercasing: 4x faster
        return (_ASCII_WORD.findall(text.lower()),
                [match.span() for match in _ASCII_WORD.finditer(text)])
    if _PLAIN_HAN_TEXT.fullmatch(text):  # as `tokens`: 4x faster
        return _plain_han_words(text)
    spans = _spans(text)
    return [span.token for span in spans], [(span.start, span.end) for span in spans]


def _plain_han_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    # Lowercasing and folding keep such a text's length: offsets into them are into `text`.
    lowered = text.lower()
    folded = fold_chinese(lowered)
    words: list[str] = []
    offsets: list[tuple[int, int]] = []
    for match in _HAN_OR_ASCII_WORD.finditer(lowered):
        start, end = match.span()
        if end - start == 1 or lowered[start].isascii():
            spans = [(start, end)]
        else:  # overlapping bigrams
            spans = [(at, at + 2) for at in range(start, end - 1)]
        words += [folded[at:until] for at, until in spans]
        offsets += spans
    return words, offsets


def _marks(streams: _Streams, offsets: Sequence[tuple[int, int]],
           term: str) -> list[tuple[int, int]]:
    """The (start, end) offsets in the text of every match of one highlight term."""
    prefix = term.endswith("*")
    quoted = len(term) > 1 and term[0] == term[-1] == '"'
    stream, pattern = match_tokens(term, exact=prefix or quoted)
    if not pattern:
        return []
    if stream == "chars":
        return [mark for token, at in zip(streams.terms, offsets, strict=True)
                for mark in _char_marks(token, at, pattern[0])]
    words = streams.stems if stream == "stems" else streams.terms
    return [(offsets[at][0], offsets[at + len(pattern) - 1][1])
            for at in _starts(words, pattern, prefix)]


def _char_marks(token: str, at: tuple[int, int], char: str) -> list[tuple[int, int]]:
    # A CJK token is one character or a bigram of two, each from one original character.
    start, end = at
    if len(token) == 1 or not _is_cjk(token):
        return [(start, end)] if token == char else []
    return ([(start, start + 1)] if token[0] == char else []) + (
        [(end - 1, end)] if token[1] == char else [])


def highlight(
    text: str,
    terms: Iterable[str],
    *,
    pre: str = "<mark>",
    post: str = "</mark>",
    max_len: int = 200,
) -> str:
    """A snippet of `text` of at most `max_len` characters around the first match, HTML-escaped
    (mention text is untrusted), with every match of `terms` wrapped in `pre`/`post`.

    Each term is analysed like the text and matched in the stream it searches
    (`match_tokens`): a term by its stems, a "quoted" phrase exactly, a lone CJK character
    wherever it stands. A multi-token term (a phrase, a Chinese word) matches only where its
    tokens are consecutive, and a trailing `*` makes its last token a prefix of an exact
    word: `highlight("Batteries <b>die</b>", ["batter*"])` gives
    `'<mark>Batteries</mark> &lt;b&gt;die&lt;/b&gt;'`.
    """
    words, offsets = _words(text)
    streams = _Streams(words)
    marks = _merge([mark for term in terms for mark in _marks(streams, offsets, term)])
    shown = _window(text, marks[0] if marks else None, max_len)
    parts = ["…" if shown.start > 0 else ""]
    position = shown.start
    for start, end in marks:
        start, end = max(start, position), min(end, shown.stop)
        if start < end:
            parts += [html.escape(text[position:start]), pre, html.escape(text[start:end]), post]
            position = end
    parts.append(html.escape(text[position : shown.stop]))
    parts.append("…" if shown.stop < len(text) else "")
    return "".join(parts)
