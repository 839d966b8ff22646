"""Exports for spreadsheets and other tools: CSV that a spreadsheet cannot run, or JSON
lines, produced in chunks so that any number of rows streams in constant memory."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Literal, TypeVar
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

__all__ = ["ExportFormat", "export_chunks", "export_response", "neutralise_cell"]

ExportFormat = Literal["csv", "jsonl"]
Row = TypeVar("Row")

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
_FORMULA = frozenset("=+-@")
# Leading characters that are themselves risky (OWASP, ASVS 1.2.10).
_RISKY_START = ("\t", "\r", "\0")
# Characters a spreadsheet may skip before a formula: control (NUL) and format (BOM, zero
# width) characters; whitespace (space, NBSP, ideographic space) is found by str.isspace.
_INVISIBLE = frozenset({"Cc", "Cf"})
# Rows per chunk: few enough to keep memory flat, enough that the per-chunk cost (a
# thread hop, a socket write) does not dominate.
CHUNK_ROWS = 500


def _first_visible(value: str) -> str:
    """The first character that is not whitespace, control or format, in its compatibility
    form (a full-width equals sign is =), or '' when there is none."""
    for char in value:
        if not (char.isspace() or unicodedata.category(char) in _INVISIBLE):
            return unicodedata.normalize("NFKC", char)[:1]
    return ""


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula: a leading ' before = + - @ (or their
    full-width forms), also behind leading whitespace, NBSP, BOM, NUL or other invisible
    characters, and before a leading tab, CR or NUL."""
    risky = value.startswith(_RISKY_START) or _first_visible(value) in _FORMULA
    return "'" + value if risky else value


def export_chunks(rows: Iterable[Row], fmt: ExportFormat, *, columns: Sequence[str],
                  cells: Callable[[Row], list[str]], json_line: Callable[[Row], str],
                  chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """`rows` as text chunks: CSV with a `columns` header and `cells` per row (they must
    be neutralised already), or one `json_line` per row. Holds one chunk at a time."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"format must be csv or jsonl, got {fmt!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer) if fmt == "csv" else None
    if writer:
        writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        if writer:
            writer.writerow(cells(row))
        else:
            buffer.write(json_line(row) + "\n")
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def export_response(chunks: Iterator[str], fmt: ExportFormat, filename: str) -> Response:
    """A download of `chunks` as `filename`.<fmt>; a name beyond ASCII (a brand in Chinese)
    goes in RFC 6266's `filename*`, with an ASCII `filename` for older clients.

    Call it in a worker thread: it reads the first chunk and looks for a second. An export
    of one chunk (a day of one brand, a page of leads) is answered whole; streaming it
    would cost a thread hop per chunk and one more to find the end. A longer one streams
    from there."""
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export"
    disposition = f'attachment; filename="{plain}.{fmt}"'
    if plain != filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}.{fmt}"
    headers = {"Content-Disposition": disposition}
    media_type = f"{media}; charset=utf-8"
    first = list(islice(chunks, 2))
    if len(first) < 2:
        return Response("".join(first), media_type=media_type, headers=headers)
    return StreamingResponse(chain(first, chunks), media_type=media_type, headers=headers)
