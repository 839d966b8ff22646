"""Which significant terms are shown: the junctions of Chinese words are not."""

from __future__ import annotations

from collections import Counter

from index.analyzer import tokens
from index.backend import Bucket
from index.significance import FLANKS_READ, flanks, is_bigram, without_junctions


def _kept(texts: list[str], *terms: str) -> list[str]:
    """Which of `terms` are kept when `texts` are the foreground, read as a backend does."""
    words = [tokens(text) for text in texts]
    frequency = Counter(term for mention in words for term in set(mention))
    flanked = {term: [flanks(term, mention) for mention in words if term in mention][:FLANKS_READ]
               for term in terms if is_bigram(term)}
    buckets = [Bucket(term, frequency[term]) for term in terms]
    return [b.key for b in without_junctions(buckets, flanked, frequency)]


def test_the_flanks_of_a_bigram_are_the_bigrams_of_its_run_around_it() -> None:
    words = tokens("电池续航，续航 battery 我的电池")
    assert flanks("续航", words) == {("池续", ""), ("", "")}
    assert flanks("电池", words) == {("", "池续"), ("的电", "")}
    assert flanks("耳机", words) == frozenset()


def test_a_bigram_between_two_words_as_common_is_left_out() -> None:
    # 蓝牙耳机 (Bluetooth earphones): 牙耳 joins 蓝牙 and 耳机.
    texts = ["蓝牙耳机很好", "这副蓝牙耳机断连", "蓝牙耳机音质一般"]
    assert _kept(texts, "蓝牙", "牙耳", "耳机") == ["蓝牙", "耳机"]


def test_the_words_it_joins_need_not_be_among_the_terms() -> None:
    texts = ["电池续航太短", "电池续航很差", "电池续航不行", "电池不耐用", "续航一般"]
    assert _kept(texts, "池续") == []


def test_a_word_between_rarer_bigrams_is_kept() -> None:
    # 的续 and 池续 are each beside 续航 in some of its mentions only.
    texts = ["手机的续航很短", "耳机的续航不行", "电池续航太差", "续航一般"]
    assert _kept(texts, "续航") == ["续航"]


def test_a_word_sharing_characters_with_common_words_is_kept() -> None:
    # 持续 ends in 续 and 航班 starts with 航, both in every mention: not beside 续航.
    texts = ["续航太短，持续掉电，航班上没电", "持续发热，续航很差，航班上用不了",
             "航班延误，持续等待，续航不够"]
    assert _kept(texts, "续航", "持续", "航班") == ["续航", "持续", "航班"]


def test_a_word_once_between_two_common_words_is_kept() -> None:
    # 保持续航 puts 续航 after 持续 (保持 + 续航), and 航班 after it once: most mentions
    # of 续航 stand apart.
    texts = ["保持续航班上", "续航不错", "续航很长", "持续", "航班", "持续航班"]
    assert _kept(texts, "续航") == ["续航"]


def test_a_bigram_with_a_word_on_one_side_only_is_kept() -> None:
    texts = ["充电器坏了", "充电器不好", "充电器很慢"]
    assert _kept(texts, "充电", "电器") == ["充电", "电器"]


def test_a_repeated_bigram_is_not_its_own_neighbour() -> None:
    assert _kept(["哈哈哈哈", "哈哈哈哈哈", "哈哈哈"], "哈哈") == ["哈哈"]


def test_other_terms_are_never_touched() -> None:
    buckets = [Bucket(key, count) for key, count in
               [("overheating", 5), ("ov", 9), ("ng", 9), ("ér", 2)]]
    assert not any(map(is_bigram, ("overheating", "ov", "ér", "电")))
    assert without_junctions(buckets, {}, {"ov": 9}) == buckets
