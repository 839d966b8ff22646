"""`mentionwatch bench index --against tantivy`: the same corpus and the same questions asked
of tantivy (a Lucene-like engine in Rust, through its official Python bindings), as an
anchor for what the embedded SQLite index costs.

Both get the same mentions (`bench.index.generate`) and the same draws of brands, words
and windows. What tantivy is given is what those questions need and no more: the text
(tokenized with its English stemmer, as the SQLite store stems English), the brand key and
the sentiment as raw keywords, the publication time as a fast date field, and the record as
JSON bytes, stored, for export. Its writer runs on one thread, as the SQLite store's does.
It has no Chinese analysis (the timed queries are English words) and no duplicate grouping,
so the collapsed figures have no counterpart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy

from bench.index import END, Draws, export_window, generate, measure_export, timed
from index.keys import key
from index.record import Mention

__all__ = ["run_anchor"]

_HEAP_BYTES = 256 * 2**20  # the writer's indexing memory before it flushes a segment
_HOUR = {"hist": {"date_histogram": {"field": "published", "fixed_interval": "1h"}}}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", tokenizer_name="en_stem")
    builder.add_text_field("brand", tokenizer_name="raw", fast=True)
    builder.add_text_field("sentiment", tokenizer_name="raw", fast=True)
    builder.add_date_field("published", indexed=True, fast=True)
    builder.add_bytes_field("record", stored=True)
    return builder.build()


def _document(mention: Mention) -> tantivy.Document:
    return tantivy.Document(
        text=[mention.title or "", mention.text],
        brand=[key(mention.brand or "")],
        sentiment=[mention.sentiment.label if mention.sentiment else ""],
        published=[mention.published_at],
        record=[json.dumps(mention.to_dict(), ensure_ascii=False).encode()],
    )


class _Anchor:
    """A tantivy index in `directory`, asked what the SQLite bench asks."""

    def __init__(self, directory: Path) -> None:
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(directory))

    def ingest(self, batches: Iterable[Sequence[Mention]]) -> dict[str, float]:
        writer = self.index.writer(heap_size=_HEAP_BYTES, num_threads=1)
        docs = spent = cpu = 0.0
        for mentions in batches:
            start, start_cpu = time.perf_counter(), time.process_time()
            for mention in mentions:
                writer.add_document(_document(mention))
            writer.commit()  # each batch durable, as each upsert is
            spent += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
            docs += len(mentions)
        start, start_cpu = time.perf_counter(), time.process_time()
        writer.wait_merging_threads()
        spent += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        self.index.reload()
        return {"seconds": round(spent, 2), "per_second": round(docs / spent),
                "cpu_seconds": round(cpu, 2)}

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _between(self, since: datetime, until: datetime) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "published", tantivy.FieldType.Date,
                                         since, until, include_upper=False)

    def _all(self, *queries: tantivy.Query) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])

    def search(self, word: str, brand: str, since: datetime, until: datetime) -> int:
        query = self._all(self.index.parse_query(word, ["text"]),
                          self._term("brand", key(brand)), self._between(since, until))
        found = self.index.searcher().search(query, 20)
        return int(found.count or 0)

    def histogram(self, brand: str, since: datetime, until: datetime) -> dict[str, Any]:
        query = self._all(self._term("brand", key(brand)), self._term("sentiment", "negative"),
                          self._between(since, until))
        result: dict[str, Any] = self.index.searcher().aggregate(query, _HOUR)
        return result

    def export(self, since: datetime, until: datetime) -> Iterable[dict[str, Any]]:
        """The window's records, oldest first: every match sorted by date, then each stored
        record read and decoded."""
        searcher = self.index.searcher()
        window = self._between(since, until)
        total = searcher.search(window, 1).count or 0
        hits = searcher.search(window, max(total, 1), order_by_field="published",
                               order=tantivy.Order.Asc).hits
        for _, address in hits:
            yield json.loads(searcher.doc(address)["record"][0])


def run_anchor(docs: int, draws: Draws, *, seed: int, batch: int, order: str,
               directory: Path) -> dict[str, Any]:
    """Ingest the corpus of `bench.index` into tantivy in `directory` and time the search,
    histogram and export that `run_bench` times, with the same `draws`."""
    anchor = _Anchor(directory)
    ingest = anchor.ingest(generate(docs, seed=seed, batch=batch, order=order))
    totals: list[int] = []

    def search(run: int) -> None:
        end = draws.ends[run]
        totals.append(anchor.search(draws.keywords[run], draws.brands[run],
                                    end - timedelta(days=30), end))

    def histogram(run: int) -> None:
        anchor.histogram(draws.brands[run], END - timedelta(days=30), END)

    searched = timed(len(draws.brands), search)
    histograms = timed(len(draws.brands), histogram)
    since, until = export_window(docs)
    return {"ingest": {**ingest, "batch": batch, "writer_threads": 1},
            "search": {**searched, "mean_matches": round(sum(totals) / len(totals))},
            "histogram": histograms,
            "export": measure_export(anchor.export(since, until)),
            "version": tantivy.__version__}
