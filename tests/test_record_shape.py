"""The mention record is declared once, in `index/record.py`; every other place that spells
its fields out is checked here against it, field by field, with one mention that sets them all.

Adding a field to the record fails `test_the_sample_sets_every_field` until FULL sets it, then
each test below whose place misses it: the API model, the stored JSON (and its fast reader),
the Elasticsearch document and mapping, the CSV columns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import MISSING, fields, is_dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import get_args

from api.mentions import COLUMN_FIELDS, NOT_EXPORTED, mention_cells
from api.models import MentionOut
from index.es_dsl import document
from index.record import (
    SENTIMENT_LABELS,
    Advocate,
    Aspect,
    Author,
    BrandReply,
    Engagement,
    Mention,
    NamedBrand,
    Rating,
    Sentiment,
)
from index.sqlite import SqliteStore, _restored_mention
from sentiment.result import Label

#: Every field of the record and of its parts set, none to its default.
FULL = Mention.create(
    source="trustpilot", native_id="full", kind="review", url="https://shop.example/r/1",
    text='Quotes " and \\ back\nslash, 电池 \u2028 ok', title="=T",
    author=Author("Ann", handle="@ann", url="https://a.example/ann", followers=3,
                  verified=True),
    published_at=datetime(2026, 10, 1, 8, 30, 15, 250000, tzinfo=UTC),
    collected_at=datetime(2026, 10, 2, tzinfo=UTC), lang="zh-Hans", parent_id="p",
    rating=Rating(7.5, 10, 0), engagement=Engagement(1, 2, 3, -4, 10**12), brand="Acme",
    matched_terms=("Acme", "艾克美"),
    sentiment=Sentiment("negative", -1.0, 1.0, "e5", corrected_by="ana"),
    nps_class="passive", nps_estimated=True,
    advocate=Advocate(0.75, "educator", ("recommends", "detail")),
    text_sentiment=Sentiment("positive", 0.25, 0.5, "e5"),
    aspects=(Aspect("battery", "negative"), Aspect("屏幕", "positive")),
    citations=("https://shop.example/r/1", "https://b.example/电池"),
    named=(NamedBrand("Acme", 1, "1. Acme: 电池 ok", "positive", 0.8125),
           NamedBrand("Zephyr", 2, "2. Zephyr \u2028 fine")),
    brands=("Acme", "Zephyr \u2028 Co"),
    brand_replies=(BrandReply("Sorry \u2028 \"Ann\"", "Acme Support",
                              datetime(2026, 10, 3, 9, tzinfo=UTC), "https://shop.example/r/1#re"),
                   BrandReply("Undated", "@acme")),
)


def _parts(value: object) -> Iterator[object]:
    """`value` and every record part inside it."""
    for item in value if isinstance(value, tuple) else (value,):
        if is_dataclass(item):
            yield item
            for f in fields(item):  # type: ignore[arg-type]
                yield from _parts(getattr(item, f.name))


def _is_set(value: object, default: object) -> bool:
    return value is not None and value is not False and value not in ("", ()) and value != default


def _leaves(part: object, prefix: str = "") -> Iterator[str]:
    """The paths of the record's fields that hold values rather than parts
    (a tuple of parts, like `aspects`, is one field)."""
    for f in fields(part):  # type: ignore[arg-type]
        value = getattr(part, f.name)
        if is_dataclass(value):
            yield from _leaves(value, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def _compact(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def test_the_sample_sets_every_field() -> None:
    # Each part type's fields set in at least one of its instances (a text_sentiment is
    # never corrected, so the overall sentiment sets `corrected_by`).
    unset = {f"{type(part).__name__}.{f.name}" for part in _parts(FULL) for f in fields(part)}
    for part in _parts(FULL):
        for f in fields(part):  # type: ignore[arg-type]
            default = f.default_factory() if f.default_factory is not MISSING else f.default
            if _is_set(getattr(part, f.name), default):
                unset.discard(f"{type(part).__name__}.{f.name}")
    assert sorted(unset) == []


def test_the_record_round_trips_through_its_dict() -> None:
    assert Mention.from_dict(json.loads(_compact(FULL.to_dict()))) == FULL


def test_the_api_model_carries_every_field() -> None:
    shown = MentionOut.of(FULL).model_dump(mode="json")
    assert sorted(set(shown) ^ set(FULL.to_dict())) == []
    assert Mention.from_dict(shown) == FULL  # each part's fields too, none extra


def test_the_stored_json_is_the_record_as_json(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with SqliteStore(path) as store:
        store.upsert([FULL])
    with sqlite3.connect(path) as db:
        (record,) = db.execute("SELECT record FROM mentions").fetchone()
    assert record == _compact(FULL.to_dict())
    # The store's fast reader, which `get` and `export` use while it can read a record.
    assert _restored_mention(json.loads(record)) == FULL


def test_the_elasticsearch_document_holds_the_record_and_fits_the_mapping() -> None:
    doc = document(FULL)
    assert Mention.from_dict(json.loads(_compact(doc["record"]))) == FULL
    mapping = json.loads(resources.files("index").joinpath("es_mapping.json").read_text())
    assert sorted(doc) == sorted(mapping["mappings"]["properties"])


def test_every_field_has_a_csv_column_or_is_left_out_on_purpose() -> None:
    exported = set(COLUMN_FIELDS.values())
    covered = exported | {path for path in _leaves(FULL)
                          if path in NOT_EXPORTED or path.split(".")[0] in NOT_EXPORTED}
    assert sorted(set(_leaves(FULL)) - covered) == []
    assert sorted(exported - set(_leaves(FULL))) == []  # no column names a field not there
    assert sorted(exported & NOT_EXPORTED) == []


def test_the_csv_row_holds_each_columns_field() -> None:
    cells = dict(zip(COLUMN_FIELDS, mention_cells(FULL), strict=True))
    assert cells["author_followers"] == "3"
    assert cells["rating_best"] == "10"
    assert cells["persona"] == "educator"
    assert cells["published_at"] == "2026-10-01T08:30:15.250000+00:00"
    assert cells["matched_terms"] == "Acme | 艾克美"
    assert cells["brands"] == "Acme | Zephyr \u2028 Co"
    assert cells["title"] == "'=T"  # neutralised for spreadsheets
    assert [column for column, cell in cells.items() if cell == ""] == []


def test_the_sentiment_package_spells_the_labels_the_record_does() -> None:
    assert sorted(get_args(Label)) == sorted(SENTIMENT_LABELS)
