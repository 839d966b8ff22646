"""Saved AI answers from the tools people already have: a JSON array or JSON Lines file of
records, each one answer (prompt, engine and model, answer text, citations, time), in the
field spellings those tools export. Pure functions; `crawlers.answer_import` stores them.

`records` reads the file into (line, record) pairs, a line that is not JSON as a
`BadRecord`; `read_record` maps one record's fields (`FIELDS`, in the order they are tried)
to an `ImportedAnswer`, raising `BadRecord` naming the field. A Google AI Overview as
SerpApi returns it (`ai_overview.text_blocks`, `ai_overview.references`,
`search_parameters.q`, `search_metadata.created_at`) is one record, and so is a saved
chat-completions response (`choices[0].message`, with its `citations` or annotations).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawlers.extract.ai_answer import Answer, read_answer
from crawlers.extract.dates import parse_date

__all__ = ["FIELDS", "BadRecord", "ImportedAnswer", "read_record", "records"]

#: Each field of an imported answer and the keys it is read from, first found wins; a
#: dotted key is a nested one.
FIELDS: Mapping[str, tuple[str, ...]] = {
    "prompt": ("prompt", "query", "question", "keyword", "q", "search_parameters.q"),
    "answer": ("answer", "response", "text", "output", "content", "completion", "ai_overview"),
    "engine": ("engine", "platform", "provider", "assistant"),
    "model": ("model", "model_name", "model_version"),
    "citations": ("citations", "sources", "references", "links", "ai_overview.references"),
    "time": ("time", "timestamp", "created_at", "created", "date", "asked_at",
             "published_at", "search_metadata.created_at"),
    "brand": ("brand",),
    "id": ("id", "answer_id", "response_id", "search_metadata.id"),
    "url": ("url", "share_url", "link", "search_metadata.google_url"),
}
#: The engine of a record that names none but holds a Google AI Overview.
AI_OVERVIEW = "google-ai-overview"
_URL_KEYS = ("url", "link", "href", "uri")


class BadRecord(ValueError):
    """Raised for a record that cannot be imported: `line` where it starts, the `field`
    at fault (as named in `FIELDS`, or "json" for a line that is not JSON) and why."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(f"line {line}: {field}: {reason}")
        self.line = line
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImportedAnswer:
    line: int
    prompt: str
    engine: str
    model: str | None
    answer: Answer  # its text, the citations as listed and the time it was made
    brand: str | None  # whose prompt it was, when the record says
    native_id: str  # the record's own id, else a hash of what it says: re-import upserts
    url: str | None

    @property
    def source(self) -> str:
        """The answers' `source`, as a crawl names it: engine:model."""
        return f"{self.engine}:{self.model}" if self.model else self.engine


def records(text: str) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    """Each record of a JSON array, one JSON object (over any number of lines), or JSON
    Lines (blank lines skipped), with the line it starts on. A JSON Lines line that is not
    JSON is a BadRecord and the next line is read; in an array, the records before a
    syntax error are kept."""
    if text.lstrip().startswith("["):
        yield from _array(text)
        return
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):  # JSON Lines, or not JSON at all
        yield from _values((n, line) for n, line in enumerate(text.splitlines(), start=1)
                           if line.strip())
        return
    line = _line_at(text, len(text) - len(text.lstrip()))
    yield line, _object(line, whole)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _values(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    for line, chunk in lines:
        try:
            value = json.loads(chunk)
        except (ValueError, RecursionError) as exc:
            yield line, BadRecord(line, "json", f"not JSON ({exc})")
            continue
        yield line, _object(line, value)


def _object(line: int, value: Any) -> dict[str, Any] | BadRecord:
    if isinstance(value, dict):
        return value
    return BadRecord(line, "json", f"a record is a JSON object, not {type(value).__name__}")


def _array(text: str) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    """The elements of a top-level JSON array, each with its line."""
    decoder = json.JSONDecoder()
    at = text.index("[") + 1
    while True:
        at = _skip(text, at)
        if at < len(text) and text[at] == "]":
            return
        line = _line_at(text, at)
        try:
            value, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError) as exc:
            yield line, BadRecord(line, "json", f"not JSON ({exc}); the rest is not read")
            return
        yield line, _object(line, value)
        at = _skip(text, at)
        if at < len(text) and text[at] == ",":
            at += 1
        elif at >= len(text) or text[at] != "]":
            yield _line_at(text, at), BadRecord(_line_at(text, at), "json",
                                                "expected , or ] after a record")
            return


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _get(record: Mapping[str, Any], field: str) -> Any:
    """The first of the field's keys the record holds (not null)."""
    for key in FIELDS[field]:
        value: Any = record
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _text(line: int, field: str, value: Any, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadRecord(line, field, f"missing (give one of {', '.join(FIELDS[field])})")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadRecord(line, field, f"a text, not {type(value).__name__}")
    return str(value).strip()


def _overview_text(overview: Mapping[str, Any]) -> str:
    """A Google AI Overview's text blocks as text: paragraphs, headings as markdown
    headings, list items as bullets (so a ranked list gives positions)."""
    lines = []
    for block in overview.get("text_blocks") or []:
        if not isinstance(block, dict):
            continue
        snippet = str(block.get("snippet") or "").strip()
        if block.get("type") == "heading" and snippet:
            lines.append(f"## {snippet}")
        elif snippet:
            lines.append(snippet)
        for item in block.get("list") or []:
            if isinstance(item, dict):
                entry = " ".join(str(item.get(k) or "").strip() for k in ("title", "snippet"))
                lines.append(f"- {entry.strip()}")
    return "\n".join(line for line in lines if line.strip("- "))


def _answer_text(line: int, record: Mapping[str, Any]) -> str:
    value = _get(record, "answer")
    if isinstance(value, dict):
        value = value.get("text") or _overview_text(value) or None
    text = _text(line, "answer", value)
    assert text is not None
    return text


def _citations(line: int, value: Any) -> tuple[str, ...]:
    """URLs, as strings or objects with a url, link, href or uri."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadRecord(line, "citations", f"a list of URLs, not {type(value).__name__}")
    urls = []
    for n, item in enumerate(value):
        url = next((item.get(k) for k in _URL_KEYS if isinstance(item.get(k), str)), None) \
            if isinstance(item, dict) else item
        if not isinstance(url, str):
            raise BadRecord(line, f"citations[{n}]",
                            f"a URL or an object with one of {', '.join(_URL_KEYS)}")
        urls.append(url)
    return tuple(urls)


def _time(line: int, value: Any) -> datetime:
    if value is None:
        raise BadRecord(line, "time", f"missing (give one of {', '.join(FIELDS['time'])}): "
                                      "an answer's time places it in the trend")
    text = value.strip().removesuffix(" UTC") if isinstance(value, str) else value
    when = parse_date(text)
    if when is None:
        raise BadRecord(line, "time", f"{value!r} is not an ISO 8601 time or Unix seconds "
                                      "between 1990 and tomorrow")
    return when


def _chat_completion(line: int, record: Mapping[str, Any]) -> Answer:
    """A saved chat-completions response: the crawl's own reading of it."""
    problems: list[str] = []
    answer = read_answer(json.dumps(record).encode(), f"line {line}",
                         lambda _reason, detail: problems.append(detail))
    if answer is None:
        raise BadRecord(line, "answer", "a chat completion without answer text "
                                        f"({'; '.join(problems)})")
    return answer


def read_record(line: int, record: Mapping[str, Any], *,
                engine: str | None = None) -> ImportedAnswer:
    """The answer a record holds (`engine` for a record that names none); raises
    BadRecord naming the first field at fault."""
    prompt = _text(line, "prompt", _get(record, "prompt"))
    assert prompt is not None
    if "choices" in record:
        saved = _chat_completion(line, record)
        text, listed, made = saved.text, saved.citations, saved.created
    else:
        text, listed, made = _answer_text(line, record), (), None
    citations = (*listed, *_citations(line, _get(record, "citations")))
    given = _get(record, "time")
    when = made if given is None and made is not None else _time(line, given)
    overview = AI_OVERVIEW if "ai_overview" in record else None
    named_engine = _text(line, "engine", _get(record, "engine") or overview or engine,
                         required=False)
    if named_engine is None:
        raise BadRecord(line, "engine", f"missing (give one of {', '.join(FIELDS['engine'])}, "
                                        "or the engine of the whole file: --engine)")
    own_id = _text(line, "id", _get(record, "id"), required=False)
    return ImportedAnswer(
        line=line, prompt=prompt, engine=named_engine,
        model=_text(line, "model", _get(record, "model"), required=False),
        answer=Answer(own_id or "", text, citations, when),
        brand=_text(line, "brand", _get(record, "brand"), required=False),
        native_id=own_id or _digest(prompt, when, text),
        url=_text(line, "url", _get(record, "url"), required=False))


def _digest(prompt: str, when: datetime, text: str) -> str:
    """A record without its own id is known by what it says."""
    return hashlib.sha256("\x1f".join((prompt, when.isoformat(), text)).encode()).hexdigest()
