"""Which analyzer terms may explain a spike of mentions: shared by every backend's
`significant_terms`, so they leave out the same words."""

from __future__ import annotations

from collections.abc import Sequence

from index.backend import Bucket

__all__ = ["MIN_FOREGROUND", "STOPWORDS", "is_content_term", "without_junctions"]

#: A term in fewer foreground mentions is noise, however rare it is elsewhere.
MIN_FOREGROUND = 3
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


def without_junctions(buckets: Sequence[Bucket]) -> list[Bucket]:
    """`buckets` less the two-character CJK terms that only join two words: "池续" of
    "电池续航" when a term ending in 池 and one starting with 续 are each in at least as many
    mentions. Chinese is indexed by overlapping bigrams, which make such terms; no one
    writes them, and a reader takes them for a word."""
    counts = {b.key: b.count for b in buckets if len(b.key) == 2 and not b.key.isascii()}

    def joins(term: str, count: int) -> bool:
        first, last = term[0], term[1]
        return (any(k[1] == first and k != term and c >= count for k, c in counts.items())
                and any(k[0] == last and k != term and c >= count for k, c in counts.items()))

    return [b for b in buckets if b.key not in counts or not joins(b.key, b.count)]
