"""Saved AI answers imported (`mentionwatch import-answers FILE`) through the crawl's own
steps: each record read (`crawlers.extract.answer_file`), made the mention a crawled answer
is (`answer_mention`: the brands it names and where, its citations), the sentiment toward
each brand scored with the batch's texts (`enrich_batch`), and written in batches.

A bad record is set aside with its line and field and the rest go on; every batch is
written as soon as it is full, so nothing accepted waits on the records after it. A
record is known by its own id, else by its prompt, time and text: importing the same file
again updates the same mentions, never duplicates them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from crawlers.extract.ai_answer import answer_mention
from crawlers.extract.answer_file import BadRecord, ImportedAnswer, read_record, records
from crawlers.pipelines import BrandAspects, enrich_batch
from crawlers.spiders.ai_answers import AiAnswersSource, roster
from index.record import RecordError

if TYPE_CHECKING:
    from index.backend import MentionStore
    from index.record import Mention
    from index.watchlist import Brand
    from sentiment.enricher import Enricher

__all__ = ["IMPORTED_HOST", "ImportReport", "import_answers"]

#: The host of an imported answer's URL when its record gives none (a reserved name that
#: never resolves): `https://imported.invalid/<engine:model>`.
IMPORTED_HOST = "imported.invalid"


@dataclass
class ImportReport:
    imported: int = 0  # records stored, new or updated
    new: int = 0  # of them, not stored before
    repeated: int = 0  # records the file holds twice, stored once
    rejected: list[BadRecord] = field(default_factory=list)


class _Brands:
    """The watchlist's brands, and each one's roster of brands to look for in answers."""

    def __init__(self, brands: Sequence[Brand[Any]], default: str | None) -> None:
        self.by_name = {b.name.casefold(): b for b in brands}
        self.default = default or (brands[0].name if len(brands) == 1 else None)
        self.watched = {b.name: b.terms for b in brands}

    def of(self, answer: ImportedAnswer) -> Brand[Any]:
        name = answer.brand or self.default
        if name is None:
            raise BadRecord(answer.line, "brand", "missing: the watchlist has several brands; "
                                                  "give `brand` in the record or --brand")
        if (brand := self.by_name.get(name.casefold())) is None:
            known = ", ".join(b.name for b in self.by_name.values())
            raise BadRecord(answer.line, "brand", f"{name!r} is not a watched brand ({known})")
        return brand

    def roster(self, brand: Brand[Any]) -> list[Brand[Any]]:
        competitors = [c for source in brand.sources if isinstance(source, AiAnswersSource)
                       for c in source.competitors]
        return roster(brand, dict.fromkeys(competitors), self.watched)


def _mention(answer: ImportedAnswer, brands: _Brands, collected: datetime) -> Mention:
    brand = brands.of(answer)
    try:
        return answer_mention(
            answer.answer, source=answer.source, engine=answer.engine, prompt=answer.prompt,
            url=answer.url or f"https://{IMPORTED_HOST}/{quote(answer.source, safe=':')}",
            brand=brand, roster=brands.roster(brand), native_id=answer.native_id,
            collected_at=collected)
    except RecordError as exc:
        raise BadRecord(answer.line, "url" if "url" in str(exc) else "answer", str(exc)) from None


def _accepted(text: str, brands: _Brands, engine: str | None,
              report: ImportReport) -> Iterator[Mention]:
    """The mention of each good record; each bad one goes to `report.rejected`."""
    collected = datetime.now(UTC)
    for line, record in records(text):
        try:
            if isinstance(record, BadRecord):
                raise record
            yield _mention(read_record(line, record, engine=engine), brands, collected)
        except BadRecord as bad:
            report.rejected.append(bad)


def _unique(mentions: Iterable[Mention], report: ImportReport) -> Iterator[Mention]:
    """Each mention once: a record repeated in the file is the same answer."""
    seen: set[str] = set()
    for mention in mentions:
        if mention.id in seen:
            report.repeated += 1
            continue
        seen.add(mention.id)
        yield mention


def import_answers(text: str, brands: Sequence[Brand[Any]], store: MentionStore,
                   enricher: Enricher, *, brand: str | None = None, engine: str | None = None,
                   batch_size: int = 64) -> ImportReport:
    """Import the answers of a JSON or JSON Lines file's `text` for the watchlist's
    `brands` (`brand`: whose prompts they are when a record does not say and there are
    several; `engine`: the engine of records naming none)."""
    report = ImportReport()
    aspects = BrandAspects({b.name: list(b.aspects) for b in brands})
    todo = _unique(_accepted(text, _Brands(brands, brand), engine, report), report)
    while batch := list(islice(todo, batch_size)):
        report.new += store.upsert(enrich_batch(batch, enricher, aspects, lambda _: False))
        report.imported += len(batch)
    return report
