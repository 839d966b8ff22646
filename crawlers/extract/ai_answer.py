"""What an AI assistant's answer says, from an OpenAI-compatible chat-completions response:
its text, the URLs it cites, and which brands it names, where and how.

Pure functions. `answer_mention` builds the mention of one answer; `named_brands` and
`cited_urls` are what it stores in `named` and `citations`.

Positions: an answer that ranks or lists (numbered or bulleted items, markdown headings)
places a brand at the rank of the first entry it leads (is named first on the entry's line:
"2. Acme, better than Zephyr" is Acme's); brands that lead no entry come after the listed
ones, in the order they are first named. An answer
with no list naming a brand ranks every brand by its first mention.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from crawlers.extract.jsonapi import load_json, warn
from crawlers.extract.language import detect_lang
from index.record import Author, Mention, NamedBrand

if TYPE_CHECKING:
    from crawlers.extract.jsonapi import OnError
    from index.watchlist import Brand

__all__ = ["Answer", "answer_mention", "chat_body", "cited_urls", "named_brands", "read_answer"]

KIND = "ai_answer"
# The longest excerpt kept per named brand: enough for a few sentences to be scored.
_MAX_EXCERPT = 1000

# Entry lines of a ranked or listed answer, by level: headings, numbered items, bullets.
# A leading "**" (bold entry) is allowed before the marker's text.
_LEVELS = tuple(re.compile(pattern, re.MULTILINE) for pattern in (
    r"^\s{0,3}#{1,6}\s+\S",
    r"^\s*(?:\*\*)?\d{1,3}[.)、]\s*\S",
    r"^\s*[-*+•]\s+\S",
))
# Sentence ends: Latin and Chinese full stops, question and exclamation marks, and newlines;
# not a number's full stop ("2. Acme" is a list item, "version 2. " rare).
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\d\.)\s+|(?<=[。！？])|\n+")
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)
_MARKDOWN_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`，。；、！？（）「」《》]+")
_URL_TAIL = ".,;:!?*_~'\""


class Answer(NamedTuple):
    id: str  # the response's own id ("chatcmpl-..."); "" when it has none
    text: str
    citations: tuple[str, ...]  # as the API lists them, before links in the text
    created: datetime | None = None  # when the engine made it (the API's `created`)


def chat_body(model: str, prompt: str, user: str) -> bytes:
    """The chat-completions request asking `prompt` as a customer would: one user message.
    `user` (the API's end-user field) tells runs apart, so each is its own request."""
    return json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}],
                       "user": user}, ensure_ascii=False).encode()


def _content(message: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return _THINKING.sub("", content).strip() if isinstance(content, str) else ""


def _api_citations(data: dict[str, Any], message: Any) -> list[str]:
    """Perplexity's top-level `citations` (URLs) and OpenAI's `url_citation` annotations."""
    found = [url for url in data.get("citations") or [] if isinstance(url, str)]
    annotations = message.get("annotations") if isinstance(message, dict) else None
    for note in annotations or []:
        cited = note.get("url_citation") if isinstance(note, dict) else None
        if isinstance(cited, dict) and isinstance(cited.get("url"), str):
            found.append(cited["url"])
    return found


def read_answer(body: bytes, url: str, on_error: OnError | None = None) -> Answer | None:
    """The first choice's answer; None (reported) for a body that is not a chat completion
    with text, such as an API's `{"error": ...}`."""
    data = load_json(body, url, on_error)
    if data is None:
        return None
    choices = data.get("choices") if isinstance(data, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    text = _content(message)
    if not isinstance(data, dict) or not text:
        error = data.get("error") if isinstance(data, dict) else None
        (on_error or warn)("shape", f"{url}: no answer text" + (f" ({error})" if error else ""))
        return None
    answer_id = data.get("id")
    return Answer(answer_id if isinstance(answer_id, str) else "", text,
                  tuple(_api_citations(data, message)), _created(data.get("created")))


def _created(value: Any) -> datetime | None:
    """The API's `created` (Unix seconds) as a UTC time; None when absent or not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def cited_urls(text: str, api_citations: Iterable[str] = ()) -> tuple[str, ...]:
    """The http(s) URLs an answer cites: the API's list first, then markdown and bare links
    in the text, each once, in order."""
    in_text = [m.group(1) for m in _MARKDOWN_LINK.finditer(text)]
    in_text += [m.group(0) for m in _BARE_URL.finditer(text)]
    urls = (u.strip().rstrip(_URL_TAIL) for u in (*api_citations, *in_text))
    return tuple(dict.fromkeys(u for u in urls if re.match(r"https?://[^/\s]", u)))


def _lines(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each line of `text`."""
    spans, start = [], 0
    for line in text.splitlines(keepends=True):
        spans.append((start, start + len(line)))
        start += len(line)
    return spans


def _listed_order(text: str, spans: Mapping[str, list[tuple[int, int]]]) -> list[str]:
    """The brands that lead an entry (are named first on its line) of the first list level
    where any does, in the order of the first entry each leads."""
    lines = _lines(text)
    for level in _LEVELS:
        leaders: list[str] = []
        for start, end in lines:
            if not level.match(text, start, end):
                continue
            named = [(at, name) for name, found in spans.items()
                     for at, _ in found if start <= at < end]
            if named and (leader := min(named)[1]) not in leaders:
                leaders.append(leader)
        if leaders:
            return leaders
    return []


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        bounds.append((start, end.start()))
        start = end.end()
    bounds.append((start, len(text)))
    return [(s, e) for s, e in bounds if text[s:e].strip()]


def _excerpt(text: str, found: Sequence[tuple[int, int]]) -> str:
    """The sentences of `text` holding any of the `found` spans, joined."""
    picked = [text[s:e].strip() for s, e in _sentences(text)
              if any(s <= at < e for at, _ in found)]
    return " ".join(picked)[:_MAX_EXCERPT]


def named_brands(text: str, roster: Iterable[Brand]) -> tuple[NamedBrand, ...]:
    """The brands of `roster` the answer names, in position order, each with the sentences
    naming it. A brand listed twice in `roster` (a competitor that is also watched) counts
    once."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for brand in roster:
        if brand.name not in spans and (found := brand.spans(text)):
            spans[brand.name] = found
    listed = _listed_order(text, spans)
    rest = sorted((name for name in spans if name not in listed), key=lambda n: spans[n][0])
    return tuple(NamedBrand(name, position, _excerpt(text, spans[name]))
                 for position, name in enumerate([*listed, *rest], start=1))


def answer_mention(answer: Answer, *, source: str, url: str, engine: str, prompt: str,
                   brand: Brand, roster: Iterable[Brand], native_id: str,
                   collected_at: datetime | None = None) -> Mention:
    """The mention of one answer for `brand`, kept whether or not it names the brand (an
    answer that leaves it out counts as much for its visibility); `roster` is every brand
    to look for, the watched one first. It is published when the engine made it, else
    when it was collected."""
    collected = collected_at or datetime.now(UTC)
    return Mention.create(
        source=source, native_id=native_id, kind=KIND, url=url, text=answer.text,
        author=Author(name=engine), published_at=answer.created or collected,
        collected_at=collected,
        title=prompt, lang=detect_lang(answer.text), brand=brand.name,
        matched_terms=brand.match(answer.text),
        citations=cited_urls(answer.text, answer.citations),
        named=named_brands(answer.text, roster),
    )
