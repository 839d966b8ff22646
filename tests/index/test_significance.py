"""Which significant terms are shown: the junctions of Chinese words are not."""

from __future__ import annotations

from index.backend import Bucket
from index.significance import without_junctions


def _keys(*counts: tuple[str, int]) -> list[str]:
    return [b.key for b in without_junctions([Bucket(key, count) for key, count in counts])]


def test_a_bigram_between_two_words_found_as_often_is_left_out() -> None:
    # 蓝牙耳机 (Bluetooth earphones): 牙耳 joins 蓝牙 and 耳机.
    assert _keys(("蓝牙", 6), ("牙耳", 5), ("耳机", 7)) == ["蓝牙", "耳机"]


def test_a_bigram_more_common_than_a_neighbour_is_kept() -> None:
    # 电器 is in mentions without 充电 too: a word of its own, not only a junction; and 器坏
    # is kept, 坏了 being rarer (the rule leaves a term out only when sure).
    assert _keys(("充电", 4), ("电器", 9), ("器坏", 4), ("坏了", 3)) == [
        "充电", "电器", "器坏", "坏了"]


def test_a_bigram_with_a_word_on_one_side_only_is_kept() -> None:
    assert _keys(("充电", 5), ("电器", 5)) == ["充电", "电器"]


def test_other_terms_are_never_touched() -> None:
    assert _keys(("overheating", 5), ("ov", 9), ("ng", 9), ("ér", 2)) == [
        "overheating", "ov", "ng", "ér"]
