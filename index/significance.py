"""Which analyzer terms may explain a spike of mentions: shared by every backend's
`significant_terms`, so they leave out the same words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.analyzer import characters
from index.backend import Bucket

__all__ = [
    "FLANKS_READ",
    "MIN_FOREGROUND",
    "STOPWORDS",
    "Flank",
    "flanks",
    "is_bigram",
    "is_content_term",
    "without_junctions",
]

#: A term in fewer foreground mentions is noise, however rare it is elsewhere.
MIN_FOREGROUND = 3
#: Mentions of a bigram read for its flanks, the first by id on every backend, so they judge
#: it alike: enough to tell a junction from a word, few enough for one request to fetch.
FLANKS_READ = 50
#: The bigrams before and after one occurrence of a bigram ("" for none).
Flank = tuple[str, str]
STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most",
    "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our",
    "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "im",
    "ive", "dont", "didnt", "doesnt", "isnt", "get", "got", "one", "really",
    "我们", "你们", "他们", "这个", "那个", "一个", "就是", "没有", "不是", "可以", "什么",
    "因为", "所以", "但是", "而且", "如果", "还是", "已经", "这样", "非常", "自己", "这款",
})


def is_content_term(term: str) -> bool:
    """Whether a token may explain a spike: no stopword, number or one- or two-letter word
    (a two-character token outside ASCII is mostly a CJK bigram, which is kept)."""
    if term in STOPWORDS or term.isdigit():
        return False
    return len(term) >= 3 or (len(term) == 2 and not term.isascii())


def is_bigram(term: str) -> bool:
    """Whether `term` is a bigram of a run of CJK characters, as the analyzer makes them."""
    return len(term) == 2 and len(characters([term])) == 2


def flanks(term: str, words: Sequence[str]) -> frozenset[Flank]:
    """The bigrams around each occurrence of the bigram `term` in one mention's analyzer
    `words`, as (before, after): the one ending in its first character and the one starting
    with its last, "" where its run of CJK characters starts or ends."""
    found: set[Flank] = set()
    for at, word in enumerate(words):
        if word == term:
            before = words[at - 1] if at else ""
            after = words[at + 1] if at + 1 < len(words) else ""
            # Bigrams of one run overlap by a character; any other word shares none.
            found.add((before if len(before) == 2 and before[1] == term[0] else "",
                       after if len(after) == 2 and after[0] == term[1] else ""))
    return frozenset(found)


def without_junctions(
    buckets: Sequence[Bucket],
    flanked: Mapping[str, Sequence[frozenset[Flank]]],
    frequency: Mapping[str, int],
) -> list[Bucket]:
    """`buckets` less the CJK bigrams that only join two words, like 池续 of 电池续航:
    Chinese is indexed by overlapping bigrams, which make such terms; no one writes them,
    and a reader takes them for a word.

    A bigram is left out when, in more than half of its mentions read (`flanked[term]`:
    the `flanks` of each of its first `FLANKS_READ` foreground mentions by id), it stands
    between two other bigrams each in at least as many foreground mentions as itself
    (`frequency`: the foreground mentions of each bigram judged and each flank, counted
    alike, which the buckets' own counts may not be). Why these:

    - The foreground's own counts, not the other rising terms: the words a junction joins
      are often common before the period too (电池 of a phone brand), so not rising.
    - Its flanks where it stands, not any term sharing a character: 续航 is a word though
      持续 and 航班 are common.
    - At least as many mentions: a word is also written apart from its neighbours, so it
      is in more mentions than a junction it makes with them (电池 in all that say 电池续航,
      and more), or in as many when the two are always written together; a junction beside
      a word is rarely as common as the word (的续 of 的续航 only if 续航 always follows 的).
    - Most of its mentions: a junction is one in nearly all of them (池续 is between 电池 and
      续航 wherever it is), while a word found once between two common words stays a word.

    A phrase always written whole in the foreground cannot be split by counts: its inner
    bigrams all go, only its first and last stay. Terms not in `flanked` are kept."""

    def joins(term: str) -> bool:
        def word(flank: str) -> bool:  # "" or the term itself (哈哈哈) is no word beside it
            return flank not in ("", term) and frequency.get(flank, 0) >= frequency[term]

        between = sum(any(word(before) and word(after) for before, after in found)
                      for found in flanked[term])
        return 2 * between > len(flanked[term])

    return [b for b in buckets if b.key not in flanked or not joins(b.key)]
