"""The question rule, in English and Chinese (simplified and traditional)."""

from __future__ import annotations

import pytest

from sentiment.questions import is_question

ASKS = [
    "Does anyone know how to reset the earbuds",
    "Great phone. Is the battery replaceable",
    "How do I turn off the clicking sound",
    "Where can I buy a spare charger? Thanks",
    "Any idea when the update ships",
    "Battery died after a week, what now?",
    "¿Dónde está el cargador",
    "请问这个耳机支持无线充电",
    "这款手机的电池能用多久？",
    "電池可以換嗎",
    "为什么我的手机一直重启",
    "有沒有人遇到過同樣的問題",
    "这个耳机怎么连接蓝牙",
]
STATES = [
    "What a phone! Best purchase this year.",
    "How I fixed my battery drain: turn off the clicking sound.",
    "Do not buy this, it broke in a week.",
    "Will never buy Acme again.",
    "The manual is at https://acme.example/help?lang=en&page=2 and it helps.",
    "这款手机的电池很耐用，强烈推荐",
    "無論如何，我還是很喜歡這支手機。",
    "怎么说呢，整体还行。",
    "不知道為什麼，就是特別喜歡它的設計。",
    "电池续航很好，推荐给大家",
]


@pytest.mark.parametrize("text", ASKS)
def test_questions_are_found_with_or_without_a_mark(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", STATES)
def test_statements_exclamations_and_links_are_not_questions(text: str) -> None:
    assert not is_question(text)
