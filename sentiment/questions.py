"""Does a mention ask something? A rule, not a model: pure, no I/O.

A text asks a question when, once links are taken out (their `?` starts a query string):

- a sentence ends with a question mark, in any script: `?`, full-width `？`, Arabic `؟`,
  or opens with Spanish `¿`;
- an English sentence opens like a question, without its mark (reviews often drop it): an
  auxiliary before its subject ("does anyone know", "is the battery replaceable") or a
  question word before an auxiliary ("how do I", "why does it", "where can I"), so "What a
  phone!", "How I fixed it" and "Do not buy" are statements;
- a Chinese sentence (simplified or traditional) asks: it ends with the particle 吗/嗎
  (or 么/麼), or holds a question word or phrase such as 请问/請問, 为什么/為什麼 (not
  不知道为什么, "somehow"), 怎么/怎麼 (not 怎么说, "how to put it"), 如何 (not 无论如何,
  "anyway"), 有没有/有沒有, 能不能, 可不可以, 是不是, 哪里/哪裡, 什么时候/什麼時候.
"""

from __future__ import annotations

import re

__all__ = ["is_question"]

_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_MARK = re.compile(r"[?？؟]|¿")
# A sentence ends at one of these (a question mark ends one too, but `_MARK` found it).
_SENTENCE_END = re.compile(r"[.!。！…;；\n]+")

_AUXILIARY = (r"(?:can|could|does|do|did|is|are|will|would|should|has|have|may|must|am|"
              r"isn't|aren't|doesn't|don't|can't|won't|didn't)")
_SUBJECT = (r"(?:i|you|we|they|it|he|she|anyone|anybody|someone|somebody|there|this|that|"
            r"these|those|the|my|your|our|their|its|his|her)")
_OPENER = re.compile(
    rf"^\W*(?:{_AUXILIARY}\s+{_SUBJECT}\b"
    rf"|(?:how|why|what|when|where|who|which|whose)(?:'s|\s+{_AUXILIARY}\b|\s+else\b)"
    r"|any\s*(?:one|body)\s+(?:know|knows|else|have|has|tried|seen)\b"
    r"|any\s+(?:idea|ideas|way|chance|update|news)\b)",
    re.IGNORECASE)
_ZH = re.compile(
    r"[吗嗎么麼][\s\"'”」』)）]*$"
    r"|请问|請問|(?<!不知道)(?:为什么|為什麼)|为何|為何|(?:怎么|怎麼)(?!说|說)"
    r"|(?<!无论)(?<!無論)如何|有没有|有沒有|能不能|"
    r"可不可以|是不是|哪里|哪裡|哪儿|哪兒|什么时候|什麼時候")


def is_question(text: str) -> bool:
    """Whether `text` asks a question (see the module's rule), in English or Chinese, or
    with a question mark in any language."""
    plain = _LINK.sub(" ", text)
    if _MARK.search(plain):
        return True
    return any(_OPENER.search(sentence) or _ZH.search(sentence.strip())
               for sentence in _SENTENCE_END.split(plain))
