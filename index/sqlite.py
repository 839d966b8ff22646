"""The embedded mention store: one SQLite file with an FTS5 index, in WAL mode so the crawler
can write while the API reads, from separate processes.

    store = SqliteStore("mentions.db")
    store.upsert(mentions)
    result = store.search("电池 OR battery", Filters(brand="Acme"), sort="newest")

`mentions` holds the filter columns (casefolded, so filters ignore case) and the whole record
as JSON; `mentions_fts` indexes the analyzer's three streams of title + text + brand, each
joined by spaces into a column of its own: `terms` (the exact tokens), `stems` (their
Snowball stems) and `chars` (CJK characters). FTS5's unicode61 tokenizer then only splits on
those spaces (its `categories` and `remove_diacritics` are set to keep each analyzer token
whole and unchanged), so a Chinese term, analysed into bigrams, is matched as a phrase of
bigrams. A term searches its stems, a quoted phrase or a prefix the exact terms, a lone CJK
character the characters (`analyzer.match_tokens`); the columns keep their own positions, so
a phrase is matched within one stream. The store writes
`mentions_fts` itself with every insert and update of `mentions` (see `_write`); a trigger
removes a deleted row's terms, whoever deletes it.

The index's second column, `tags`, holds one token per brand, made of a private-use
character and a hash of the brand: the analyzer drops private-use characters from queries,
so no user text can produce one, and a text query with a brand filter is answered by FTS5
alone (twice as fast as joining on the brand column). It has weight 0 in ranking.

People's sentiment corrections live in `corrections`, apart from the model's output, and are
applied to the stored row and record on every write, so reads and filters need no join.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from functools import partial, reduce
from itertools import chain, groupby, pairwise
from json.encoder import encode_basestring
from types import TracebackType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson

from index.analyzer import highlight, match_tokens, near_tokens, streams
from index.arguments import (
    check_min_score,
    check_page,
    check_size,
    check_terms_field,
    histogram_window,
)
from index.backend import (
    DUPLICATE_URLS,
    NO_DUPLICATES,
    NO_FILTERS,
    RESPONSE_MINUTES_BELOW,
    AuthorLead,
    Bucket,
    Duplicates,
    Filters,
    Hit,
    Interval,
    NpsCount,
    ResponseCount,
    ResponseCounts,
    ResponseTime,
    SearchResult,
    Sort,
    TermsField,
    TimeBucket,
    resolve,
)
from index.corrections import apply_correction, check_correction
from index.engagement import AuthorEngagement, Facts, Parent, Tally, recommends
from index.errors import QueryError, StoreError
from index.keys import author_key_parts, handle_key, key, lang_key, spelled
from index.localstate import connect, translated
from index.query import (
    And,
    Field,
    MatchAll,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    aspect_keys,
    conjoin,
    highlight_terms,
    positive_leaves,
    stars_normalized,
)
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
    SentimentLabel,
    content_hash,
)
from index.significance import (
    FLANKS_READ,
    MIN_FOREGROUND,
    Flank,
    flanks,
    is_bigram,
    is_content_term,
    without_junctions,
)

__all__ = ["SqliteStore"]

# PRAGMA user_version of the schema below; 0 is the first, without tags, 2 had triggers for
# inserts and updates, 3 analysed Traditional Chinese apart from Simplified, and 4 had no
# text_sentiment (its records' sentiment was the text model's alone); 5 had no aspects; 6 had
# no kind, persona or title_terms, and neither stems nor characters (no stemming, no
# one-character Chinese queries); 7 had no content_hash column, and its records' hashes
# kept the tracking parameters of links; 8 had no advocate and NPS columns; 9 kept one brand
# per mention; 10 had no brand replies (first_reply_at, replies); 11 did not mark duplicates
# (collapsing ranked every match by its content_hash); 12 had no index of authors; 13 keyed
# rows (`seq`) in arrival order, not by date (`_key_range`), so a dated text query ranked
# every match of the corpus before the window narrowed them; 14 had no parent_id or
# recommends columns, and its author index covered no engagement (leads' engagement read
# every record of their mentions); 15 had no index by `seq` (counting a text query's
# matches per brand read each match's row).
_VERSION = 16
# Files from this version on hold the rows and columns of `_VERSION`: a later version only
# added indexes, which `_SCHEMA` creates without reading the rows again (and `_migrate`
# gathers their statistics).
_SAME_ROWS_SINCE = 15
_FIRST_WITH_UNTRACKED_HASH = 8
_FIRST_WITH_TEXT_SENTIMENT = 5
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS mentions (
    -- An explicit INTEGER PRIMARY KEY: the FTS index refers to rows by rowid, and VACUUM
    -- may renumber an implicit rowid. Date-ordered: see `_key_range`.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    source_domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    brand TEXT,             -- the primary brand, Mention.brand
    brands TEXT NOT NULL,   -- JSON array of every brand it names, primary first
    lang TEXT,
    sentiment TEXT,         -- the corrected label when a person corrected it
    text_sentiment TEXT,    -- the text model's own label, never corrected
    rating REAL,            -- Rating.normalized, 0..1
    published_at REAL,      -- epoch seconds
    author_name TEXT NOT NULL,
    author_handle TEXT,     -- without a leading '@'
    aspects TEXT NOT NULL,  -- JSON array of Aspect.key ("battery:negative")
    advocate_score REAL,    -- Advocate.score, when the mention has an advocate record
    persona TEXT,           -- Advocate.persona
    nps_class TEXT,
    nps_estimated INTEGER NOT NULL,
    title_terms TEXT NOT NULL,  -- the title's three streams, for title:
    terms TEXT NOT NULL,    -- analyzer tokens joined by spaces
    tags TEXT NOT NULL,     -- private-use tokens of its brands, for the text index
    stems TEXT NOT NULL,    -- the stems of `terms`, one for one
    chars TEXT NOT NULL,    -- the CJK characters of `terms`
    content_hash TEXT NOT NULL,  -- Mention.content_hash: equal for duplicates
    first_reply_at REAL,    -- Mention.first_reply_at, epoch seconds
    replies INTEGER NOT NULL,  -- how many brand replies it has
    -- 1 once another mention has had its content_hash (not unset when that one goes):
    -- collapsing needs to rank only these, most mentions being the one copy of their text.
    duplicated INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,   -- Mention.to_dict() as JSON, with the correction applied
    -- Last, where ALTER TABLE adds them to a version-14 file (`_IN_PLACE`).
    parent_id TEXT,         -- Mention.parent_id
    recommends INTEGER NOT NULL DEFAULT 0  -- 1: `engagement.recommends` of its signals
)""",
    # Export's order, and the date range; (brand, published_at, sentiment) answers a
    # brand's histogram from the index alone.
    "CREATE INDEX IF NOT EXISTS mentions_published ON mentions (published_at, id)",
    "CREATE INDEX IF NOT EXISTS mentions_brand"
    " ON mentions (brand, published_at, sentiment, duplicated)",
    # A page's duplicates, earliest first.
    "CREATE INDEX IF NOT EXISTS mentions_content ON mentions (content_hash, published_at, id)",
    # Leads read a brand's advocate mentions only; NPS per day is answered from the index.
    # covering what leads read of each (no row lookups: 3x faster at 100,000 mentions)
    "CREATE INDEX IF NOT EXISTS mentions_advocates ON mentions (brand, advocate_score,"
    " sentiment, source_domain, author_handle, author_name, source, published_at, id)"
    " WHERE advocate_score IS NOT NULL",
    # One author's mentions (`author=`, as leads tell authors apart): an author's history
    # in triage and alerts, the brand and date narrowing it further; and covering what the
    # engagement of leads reads of each (`_FACTS`), with the columns of the expression:
    # SQLite reads an index on an expression alone only when it holds them too.
    "CREATE INDEX IF NOT EXISTS mentions_authors ON mentions"
    " (coalesce(author_handle, author_name), source_domain, brand, published_at, id, kind,"
    " sentiment, recommends, parent_id, author_handle, author_name)",
    "CREATE INDEX IF NOT EXISTS mentions_nps"
    " ON mentions (brand, published_at, nps_class, nps_estimated) WHERE nps_class IS NOT NULL",
    # What counting a text query's matches reads of each (the text index gives their
    # `seq`): looked up here, not in the rows, which are a page each; share of voice for a
    # word 2.5x faster at 100,000 mentions.
    "CREATE INDEX IF NOT EXISTS mentions_seq"
    " ON mentions (seq, published_at, brand, sentiment, duplicated)",
    # The brands a mention names beyond its primary one (most name one): `brand:` filters
    # and brand counts add these to the indexed `brand` column.
    """CREATE TABLE IF NOT EXISTS mention_brands (
    brand TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (brand, seq)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS mention_brands_seq ON mention_brands (seq)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5 (
    terms, tags, stems, chars, content='mentions', content_rowid='seq',
    tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
)""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS mentions_vocab USING fts5vocab (mentions_fts, 'row')",
    """CREATE TRIGGER IF NOT EXISTS mentions_fts_delete AFTER DELETE ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, terms, tags, stems, chars)
        VALUES ('delete', old.seq, old.terms, old.tags, old.stems, old.chars);
    DELETE FROM mention_brands WHERE seq = old.seq;
END""",
    """CREATE TABLE IF NOT EXISTS corrections (
    id TEXT PRIMARY KEY,    -- the mention's id; kept when the mention is re-crawled
    label TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL        -- ISO 8601 UTC
)""",
    f"PRAGMA user_version = {_VERSION}",
)
# An older file's rows are re-read from their records into the new tables: the records
# are the truth, the other columns and the text index what this version makes of them.
_REBUILD = (
    "DROP TRIGGER IF EXISTS mentions_fts_insert",
    "DROP TRIGGER IF EXISTS mentions_fts_update",
    "DROP TRIGGER IF EXISTS mentions_fts_delete",
    "DROP TABLE IF EXISTS mentions_vocab",
    "DROP TABLE IF EXISTS mentions_fts",
    "DROP INDEX IF EXISTS mentions_published",
    "DROP INDEX IF EXISTS mentions_brand",
    "DROP INDEX IF EXISTS mentions_content",
    "DROP INDEX IF EXISTS mentions_advocates",
    "DROP INDEX IF EXISTS mentions_nps",
    "DROP INDEX IF EXISTS mentions_authors",
    "DROP INDEX IF EXISTS mentions_seq",
    "DROP TABLE IF EXISTS mention_brands",
    "ALTER TABLE mentions RENAME TO mentions_old",
)
# A file of a version from `_IN_PLACE` on is brought to `_SAME_ROWS_SINCE` in place, in SQL
# alone (a rebuild reads every record into Python: minutes at a million mentions), by each
# version's statements, then `_SCHEMA`'s, which make again the indexes they dropped.
# `recommends` is `engagement.recommends` in SQL (GLOB is case-sensitive, as startswith is;
# tests/index/test_sqlite.py checks they agree); rows with neither value keep the new
# columns' defaults without being rewritten.
_RECOMMENDS_SQL = """EXISTS (SELECT 1 FROM json_each(record, '$.advocate.signals')
    WHERE value GLOB 'recommends in *' AND value NOT GLOB 'recommends in 0%*')"""
_IN_PLACE: dict[int, tuple[str, ...]] = {
    14: (
        "ALTER TABLE mentions ADD COLUMN parent_id TEXT",
        "ALTER TABLE mentions ADD COLUMN recommends INTEGER NOT NULL DEFAULT 0",
        f"UPDATE mentions SET parent_id = record ->> '$.parent_id', recommends = {_RECOMMENDS_SQL}"
        f" WHERE record ->> '$.parent_id' IS NOT NULL OR {_RECOMMENDS_SQL}",
        "DROP INDEX IF EXISTS mentions_authors",
    ),
}
# Indexes the query planner has no statistics of: made (or made again) by a migration. The
# planner passes over an index it knows nothing of, so `_migrate` gathers them.
_UNANALYZED = ("SELECT name FROM sqlite_master WHERE type = 'index'"
               " AND tbl_name IN ('mentions', 'mention_brands')"
               " AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)")

_COLUMNS = (
    "id", "source", "source_domain", "kind", "brand", "brands", "lang", "sentiment",
    "text_sentiment", "rating", "published_at", "author_name", "author_handle", "aspects",
    "advocate_score", "persona", "nps_class", "nps_estimated", "title_terms", "terms", "tags",
    "stems", "chars", "content_hash", "first_reply_at", "replies", "record", "parent_id",
    "recommends",
)
#: The columns of the text index, in its order.
_FTS_COLUMNS = ("terms", "tags", "stems", "chars")
_INDEXED = [_COLUMNS.index(column) for column in _FTS_COLUMNS]
_INSERT = (
    f"INSERT INTO mentions (seq, {', '.join(_COLUMNS)})"
    f" VALUES (?, {', '.join('?' for _ in _COLUMNS)})"
)
_UPDATE = f"UPDATE mentions SET {', '.join(f'{c} = ?' for c in _COLUMNS[1:])} WHERE id = ?"
# The first column, named after the table, is FTS5's command: 'delete' an entry, NULL add one.
_INDEX = (f"INSERT INTO mentions_fts (mentions_fts, rowid, {', '.join(_FTS_COLUMNS)})"
          " VALUES (?, ?, ?, ?, ?, ?)")
_IDS = "SELECT value FROM json_each(?)"
_HASH = _COLUMNS.index("content_hash")
# Of the content hashes just written, those two or more mentions share.
_MARK_DUPLICATED = f"""
UPDATE mentions SET duplicated = 1 WHERE duplicated = 0 AND content_hash IN (
    SELECT content_hash FROM mentions WHERE content_hash IN ({_IDS})
    GROUP BY content_hash HAVING count(*) > 1)
"""
_BRANDS = _COLUMNS.index("brands")
_PUBLISHED = _COLUMNS.index("published_at")
# The text index's matches of an FTS5 query, `{keys}` keeping them to a range of keys
# (`_in_keys`): FTS5 seeks to the range inside its lists rather than visiting every match.
_FTS_MATCH = "SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?{keys}"
# bm25 of the text only: the tags column weighs 0.
_RANKED = (
    "WITH ranked (seq, score) AS MATERIALIZED ("
    " SELECT rowid, bm25(mentions_fts, 1.0, 0.0, 1.0, 1.0) FROM mentions_fts"
    " WHERE mentions_fts MATCH ?{keys})"
)
# Who wrote a mention within its source (`index.keys.author_parts`): the handle, else the
# name; the expression of the `mentions_authors` index.
_WHO = "coalesce(m.author_handle, m.author_name)"
# An author's advocate mentions (`where` and a minimum score), the `size` best authors, and
# for each the records of its three best mentions and its latest: a single pass over the
# brand's advocate mentions (a partial index), reading four records per lead at most.
_LEADS = f"""
WITH adv AS MATERIALIZED (
    SELECT m.seq, m.source_domain AS domain, {_WHO} AS who,
           m.source, m.advocate_score AS score, m.published_at AS at, m.id
    FROM mentions AS m
    WHERE {{where}} AND m.advocate_score >= ? AND m.sentiment IS NOT 'negative'),
leads AS (
    SELECT domain, who, count(*) AS n, max(score) AS best,
           group_concat(DISTINCT source) AS sources
    FROM adv GROUP BY domain, who ORDER BY best DESC, domain, who LIMIT ?),
ranked AS (
    SELECT adv.seq, domain, who,
           row_number() OVER (PARTITION BY domain, who
                              ORDER BY score DESC, at IS NULL, at DESC, id) AS by_score,
           row_number() OVER (PARTITION BY domain, who
                              ORDER BY at IS NULL, at DESC, id) AS by_time
    FROM adv JOIN leads USING (domain, who))
SELECT domain, who, leads.n, leads.sources, ranked.by_score, ranked.by_time, m.record
FROM leads JOIN ranked USING (domain, who) JOIN mentions AS m ON m.seq = ranked.seq
WHERE ranked.by_score <= 3 OR ranked.by_time = 1
ORDER BY leads.best DESC, leads.domain, leads.who, ranked.by_score
"""
_EVIDENCE = 3
# The engagement of authors (`index.engagement`, an author a JSON [domain, who]): each one's
# mentions of the brand (`where`) numbered in export's order, then only the first of those
# with the same `Facts` (the parent's read by id) and the first two whatever they are: a
# few rows an author, however many mentions, from `mentions_authors` alone.
_FACTS = f"""
WITH asked (domain, who) AS (SELECT value ->> 0, value ->> 1 FROM json_each(?)),
theirs AS MATERIALIZED (
    SELECT asked.domain, asked.who, m.seq, m.kind, m.sentiment, m.recommends, m.parent_id,
           row_number() OVER (PARTITION BY asked.domain, asked.who
                              ORDER BY m.published_at IS NULL, m.published_at, m.id) - 1
               AS position,
           count(*) OVER (PARTITION BY asked.domain, asked.who) AS mentions
    FROM asked JOIN mentions AS m ON {_WHO} = asked.who AND m.source_domain = asked.domain
    WHERE {{where}})
SELECT t.domain, t.who, t.mentions, min(t.position) AS earliest, t.seq, t.kind, t.sentiment,
       t.recommends, p.seq IS NOT NULL AS answers, p.sentiment AS parent_sentiment,
       p.source_domain = t.domain AND coalesce(p.author_handle, p.author_name) = t.who
           AS parent_by_author
FROM theirs AS t LEFT JOIN mentions AS p ON p.id = t.parent_id
GROUP BY t.domain, t.who, CASE WHEN t.position < 2 THEN t.position END, t.kind, t.sentiment,
         t.recommends, answers, parent_sentiment, parent_by_author
ORDER BY t.domain, t.who, earliest
"""
# The publication date and url of mentions by key, from their records.
_DATED_URLS = ("SELECT seq, record ->> '$.published_at', record ->> '$.url' FROM mentions"
               f" WHERE seq IN ({_IDS})")
# Each brand of a match with its other columns: the primary from the indexed column, the
# others from `mention_brands` (`where` and its parameters twice).
_EACH_BRAND = """
SELECT m.brand AS brand, {columns} FROM mentions AS m WHERE {where} AND m.brand IS NOT NULL
UNION ALL
SELECT b.brand, {columns} FROM mention_brands AS b JOIN mentions AS m ON m.seq = b.seq
WHERE {where}
"""
_NPS_DAYS = """
SELECT brand, day, nps_class, nps_estimated, count(*)
FROM ({each}) WHERE nps_class IS NOT NULL GROUP BY 1, 2, 3, 4
""".format(each=_EACH_BRAND.format(
    columns="CAST(m.published_at / 86400 AS INTEGER) AS day, m.nps_class, m.nps_estimated",
    where="{where}"))
# The two parts of `_EACH_BRAND` counted apart, as their union read every row of the window
# (a 30-day share of voice over 100,000 mentions: 28-50 ms, 2-3 ms apart). The primary
# brands: grouped by the indexed column, they are read from the brand index alone (a
# skip-scan over the brands), unless a text query's matches are fewer to visit (`{group}`
# is then `+m.brand`, which no index answers); the other brands from `mention_brands` first
# (CROSS JOIN keeps it outer), within the window's keys (`?` and `?`), as few mentions name
# more than one brand.
_BRAND_COUNTS = (
    "SELECT m.brand, count(*) FROM mentions AS m WHERE {where} AND m.brand IS NOT NULL"
    " GROUP BY {group}",
    "SELECT b.brand, count(*) FROM mention_brands AS b CROSS JOIN mentions AS m"
    " ON m.seq = b.seq WHERE b.seq BETWEEN ? AND ? AND {where} GROUP BY b.brand",
)
# The matches read once (a MATERIALIZED CTE, not `_EACH_BRAND`'s two passes: under
# `Filters.collapse` each pass ranks the duplicates again) for both the counts and the
# times to answer (seconds rounded down as `backend.ResponseTime` says; NULL without a dated
# mention and reply), then counted for each brand they name.
_RESPONSES = f"""
WITH matched AS MATERIALIZED (
    SELECT m.seq, m.brand, m.source, m.replies > 0 AS replied, m.sentiment, m.rating,
           max(0, CAST(m.first_reply_at - m.published_at AS INTEGER)) AS taken
    FROM mentions AS m WHERE {{where}})
SELECT brand, source, replied, sentiment, rating,
       taken - taken % (CASE WHEN taken < {RESPONSE_MINUTES_BELOW} THEN 60 ELSE 3600 END),
       count(*)
FROM (SELECT brand, source, replied, sentiment, rating, taken FROM matched
      WHERE brand IS NOT NULL
      UNION ALL
      SELECT b.brand, source, replied, sentiment, rating, taken
      FROM matched JOIN mention_brands AS b USING (seq))
GROUP BY 1, 2, 3, 4, 5, 6
"""
# A brand key's spellings, from the first mention naming it.
_SPELLINGS = ("SELECT m.record ->> '$.brands' FROM mentions AS m WHERE m.brand = ?"
              " OR m.seq IN (SELECT seq FROM mention_brands WHERE brand = ?) LIMIT 1")
_EPOCH = date(1970, 1, 1)
_RATING_OPS = frozenset({">=", "<=", ">", "<", "="})
_EXPORT_BATCH = 500
# New mentions after which a store that opened a file without the planner's statistics
# gathers them: enough rows for them to tell a brand's many from an author's few.
_ANALYZE_AFTER = 10_000
# Page caches: the writer's for FTS merges and big sorts; a reader's small, as there are
# several (the OS caches the file for all of them) and a sort spills to disk beyond it.
_WRITER_CACHE_KIB = 65536
_READER_CACHE_KIB = 4096


# --- what is stored and what is compared: the same keys on both sides ---------------------


_TAG = "\ue000"  # private use: kept by the FTS tokenizer, dropped from queries by the analyzer


def _brand_tag(brand: str) -> str:
    return _TAG + "b" + hashlib.blake2b(key(brand).encode(), digest_size=8).hexdigest()


_Part = TypeVar("_Part", Mention, Author, Rating, Engagement, Sentiment, Advocate, Aspect,
                 NamedBrand, BrandReply)
_PARTS: dict[type, tuple[str, ...]] = {
    cls: tuple(part.name for part in fields(cls))
    for cls in (Mention, Author, Rating, Engagement, Sentiment, Advocate, Aspect, NamedBrand,
                BrandReply)
}
# Each part's fields with the setter of its slot: calling it is twice as fast as
# object.__setattr__, which looks the slot up on every call (export sets 40-odd a mention).
_SLOTS: dict[type, tuple[tuple[str, Callable[[object, object], None]], ...]] = {
    cls: tuple((name, vars(cls)[name].__set__) for name in names)
    for cls, names in _PARTS.items()
}


# `Mention.to_dict()` as compact JSON, written out by hand: json.dumps spends 250 ns on each
# of a record's 40-odd keys and values, and this takes half its time (a tenth of an upsert).
# The keys come from the record's fields; `_dump` gives the values in the same order, and
# tests/test_record_shape.py checks that the result stays what json.dumps makes of `to_dict()`.


def _object(part: type, *computed: str) -> str:
    """A %-template of `part` as a JSON object: its fields in order, then `computed` keys."""
    return "{" + ",".join(f'"{name}":%s' for name in (*_PARTS[part], *computed)) + "}"


_RECORD = _object(Mention)
_AUTHOR = _object(Author)
_RATING = _object(Rating, "normalized")
_ENGAGEMENT = _object(Engagement)
_SENTIMENT = _object(Sentiment)
_ADVOCATE = _object(Advocate)
_ASPECT = _object(Aspect)
_NAMED = _object(NamedBrand)
_REPLY = _object(BrandReply)


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _number_or_null(value: float | None) -> str:
    return "null" if value is None else repr(value)


def _texts(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(encode_basestring, values)) + "]"


def _moment(value: datetime | None) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'  # digits and -:+.T only


def _sentiment(s: Sentiment | None) -> str:
    if s is None:
        return "null"
    return _SENTIMENT % (encode_basestring(s.label), s.score, s.confidence,
                         encode_basestring(s.model), _text_or_null(s.corrected_by))


def _dump(mention: Mention) -> str:
    m, a, e = mention, mention.author, mention.engagement
    r, adv = m.rating, m.advocate
    return _RECORD % (
        encode_basestring(m.id), encode_basestring(m.source),
        encode_basestring(m.source_domain), encode_basestring(m.kind),
        encode_basestring(m.url), encode_basestring(m.text),
        _AUTHOR % (encode_basestring(a.name), _text_or_null(a.handle), _text_or_null(a.url),
                   _number_or_null(a.followers), "true" if a.verified else "false"),
        _moment(m.collected_at), encode_basestring(m.content_hash), _moment(m.published_at),
        _text_or_null(m.title), _text_or_null(m.lang), _text_or_null(m.parent_id),
        "null" if r is None else _RATING % (r.value, r.best, r.worst, round(r.normalized, 4)),
        _ENGAGEMENT % tuple(map(_number_or_null, (e.likes, e.replies, e.reposts, e.score,
                                                    e.views))),
        _text_or_null(m.brand), _texts(m.matched_terms), _sentiment(m.sentiment),
        _text_or_null(m.nps_class), "true" if m.nps_estimated else "false",
        "null" if adv is None else _ADVOCATE % (
            adv.score, _text_or_null(adv.persona), _texts(adv.signals)),
        _sentiment(m.text_sentiment),
        "[" + ",".join(_ASPECT % (encode_basestring(a.name), encode_basestring(a.polarity))
                       for a in m.aspects) + "]",
        _texts(m.citations),
        "[" + ",".join(_NAMED % (encode_basestring(n.name), n.position,
                                 encode_basestring(n.excerpt), _text_or_null(n.sentiment),
                                 _number_or_null(n.score))
                       for n in m.named) + "]",
        _texts(m.brands),
        "[" + ",".join(_REPLY % (encode_basestring(r.text), encode_basestring(r.author),
                                 _moment(r.published_at), _text_or_null(r.url))
                       for r in m.brand_replies) + "]",
    )


def _title_terms(title: str | None) -> str:
    """The title's three streams, for title:, apart by a token no stream holds so that no
    phrase runs from one into the next."""
    return " | ".join(" ".join(stream) for stream in streams(title))


def _row(mention: Mention) -> tuple[object, ...]:
    words, stems, chars = streams(mention.title, mention.text, mention.brand)
    return (
        mention.id,
        key(mention.source),
        key(mention.source_domain),
        mention.kind,
        key(mention.brand) if mention.brand else None,
        _texts(tuple(key(brand) for brand in mention.brands)),
        lang_key(mention.lang) if mention.lang else None,
        mention.sentiment.label if mention.sentiment else None,
        mention.text_sentiment.label if mention.text_sentiment else None,
        round(mention.rating.normalized, 4) if mention.rating else None,
        mention.published_at.timestamp() if mention.published_at else None,
        key(mention.author.name),
        handle_key(mention.author.handle) if mention.author.handle else None,
        _texts(tuple(aspect.key for aspect in mention.aspects)),
        mention.advocate.score if mention.advocate else None,
        mention.advocate.persona if mention.advocate else None,
        mention.nps_class,
        int(mention.nps_estimated),
        _title_terms(mention.title),
        " ".join(words),
        " ".join(map(_brand_tag, mention.brands)),
        " ".join(stems),
        " ".join(chars),
        mention.content_hash,
        mention.first_reply_at.timestamp() if mention.first_reply_at else None,
        len(mention.brand_replies),
        _dump(mention),
        mention.parent_id,
        int(recommends(mention.advocate.signals)) if mention.advocate else 0,
    )


# --- row keys: a mention's date ------------------------------------------------------------

# A dated mention's key (`seq`, its rowid in the text index) is the whole second of its
# published_at times `_SLOTS_PER_SECOND` plus a slot, the next free one of that second;
# undated mentions come after every dated key. A published window is then a range of keys,
# which FTS5 seeks to (`_in_keys`): a dated text query ranks only the window's matches, not
# every match of the corpus. Years 1 to 9999 (all a record takes) are within +-2**58.
_SLOTS_PER_SECOND = 2**20
_UNDATED = 2**61
_Keys = tuple[int, int]  # the first and the last key of a range
_EVERY_KEY: _Keys = (-(2**63), 2**63 - 1)


def _key_range(second: int | None) -> _Keys:
    """The keys of the mentions published in `second` (epoch; None: the undated ones)."""
    if second is None:
        return _UNDATED, _EVERY_KEY[1]
    first = second * _SLOTS_PER_SECOND
    return first, first + _SLOTS_PER_SECOND - 1


def _row_second(row: tuple[object, ...]) -> int | None:
    """The whole second a row made by `_row` was published in (None: undated)."""
    published = row[_PUBLISHED]
    return math.floor(published) if isinstance(published, float) else None


def _window_keys(start: datetime | None, end: datetime | None) -> _Keys:
    """The keys of the mentions published in [start, end) (None leaves a side open), and
    those of the rest of the seconds at its edges; every key when both sides are open."""
    if start is None and end is None:
        return _EVERY_KEY
    # From the same float as the published_at column, so the range holds what it matches.
    first = _key_range(math.floor(start.timestamp()))[0] if start else _EVERY_KEY[0]
    last = _key_range(math.floor(end.timestamp()))[1] if end else _UNDATED - 1
    return first, last


def _new_keys(db: sqlite3.Connection, seconds: Iterable[int | None]) -> list[int]:
    """A new key in each of `seconds` in turn: the slot after the last one taken in that
    second (an index seek), and the next ones for more mentions of the same second."""
    free: dict[int | None, int] = {}
    keys = []
    for second in seconds:
        first, last = _key_range(second)
        if second not in free:
            top = db.execute("SELECT seq FROM mentions WHERE seq BETWEEN ? AND ?"
                             " ORDER BY seq DESC LIMIT 1", (first, last)).fetchone()
            free[second] = first if top is None else top[0] + 1
        if free[second] > last:
            when = "undated" if second is None else datetime.fromtimestamp(second, UTC)
            raise StoreError(f"cannot write mentions: no key left for another mention "
                             f"published at {when} ({_SLOTS_PER_SECOND:,} a second)")
        keys.append(free[second])
        free[second] += 1
    return keys


# The rows already stored of those being written, by id: (key, text index columns).
_Stored = dict[object, tuple[int, tuple[object, ...]]]


def _keyed(db: sqlite3.Connection, rows: list[tuple[object, ...]],
           stored: _Stored) -> list[tuple[int, tuple[object, ...]]]:
    """Each row with its key: the stored one while it was published in the same second,
    else (new, re-dated) a new one."""
    def kept(row: tuple[object, ...]) -> bool:
        first, last = _key_range(_row_second(row))
        return row[0] in stored and first <= stored[row[0]][0] <= last

    keys = iter(_new_keys(db, [_row_second(row) for row in rows if not kept(row)]))
    return [(stored[row[0]][0] if kept(row) else next(keys), row) for row in rows]


def _write(db: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> int:
    """Insert or update rows made by `_row` (distinct ids) and their entries in the text
    index, inside the caller's write transaction; returns how many were new. A row whose
    published_at moved to another second moves to a key of that second (`_keyed`), with
    its entries in the text index and its other brands.

    The store writes the index itself rather than by triggers: a trigger makes each row's
    statement a savepoint, at which FTS5 flushes its pending terms into a new segment, so
    every mention became a segment to merge (ingest took 1.5x as long). For the same reason
    entries go in ascending rowid order: FTS5 flushes whenever a rowid is lower than the
    last one written, or the same one added twice."""
    rows = list(rows)
    stored: _Stored = {
        mention_id: (seq, tuple(indexed))
        for mention_id, seq, *indexed in db.execute(
            f"SELECT id, seq, {', '.join(_FTS_COLUMNS)} FROM mentions WHERE id IN ({_IDS})",
            (json.dumps([row[0] for row in rows]),),
        )
    }
    keyed = _keyed(db, rows, stored)
    # New rows in key order: the table's B-tree pages fill one after another.
    new = [(seq, *row) for seq, row in sorted(keyed, key=lambda pair: pair[0])
           if row[0] not in stored]
    db.executemany("UPDATE mentions SET seq = ? WHERE id = ?",
                   [(seq, row[0]) for seq, row in keyed
                    if row[0] in stored and seq != stored[row[0]][0]])
    db.executemany(_UPDATE, [(*row[1:], row[0]) for _, row in keyed if row[0] in stored])
    db.executemany(_INSERT, new)
    db.executemany(_INDEX, _index_entries(keyed, stored))
    _write_other_brands(db, [seq for seq, _ in stored.values()], keyed)
    db.execute(_MARK_DUPLICATED, (json.dumps(list({row[_HASH] for row in rows})),))
    return len(new)


def _index_entries(keyed: list[tuple[int, tuple[object, ...]]],
                   stored: _Stored) -> list[tuple[object, ...]]:
    """The text index's entries of rows just written, in ascending rowid order (a deletion
    before an addition of the same rowid): a row's old terms out and its new ones in,
    unless it kept its key and its terms (a re-crawl's text is mostly the same)."""
    entries: list[tuple[int, bool, tuple[object, ...]]] = []  # (rowid, adds, columns)
    for seq, row in keyed:
        now = tuple(row[at] for at in _INDEXED)
        before = stored.get(row[0])
        if before == (seq, now):
            continue
        if before is not None:
            entries.append((before[0], False, before[1]))
        entries.append((seq, True, now))
    entries.sort(key=lambda entry: entry[:2])
    return [(None if adds else "delete", seq, *columns) for seq, adds, columns in entries]


def _write_other_brands(db: sqlite3.Connection, replaced: list[int],
                        written: list[tuple[int, tuple[object, ...]]]) -> None:
    """`mention_brands` for rows just written, each with its key: the brands of the rows
    stored before out first, by their old keys (`replaced`). The brands beyond the primary
    are read from the rows in Python: most mentions have none, and selecting them in SQL
    parsed every row's `brands` again."""
    db.execute(f"DELETE FROM mention_brands WHERE seq IN ({_IDS})", (json.dumps(replaced),))
    db.executemany("INSERT INTO mention_brands (brand, seq) VALUES (?, ?)",
                   [(brand, seq) for seq, row in written
                    for brand in json.loads(str(row[_BRANDS]))[1:]])


def _restored(cls: type[_Part], data: dict[str, Any]) -> _Part:
    """A record part from its stored dict, without re-validating it: it was validated when
    it was built, and `Mention.from_dict` would take three times as long (export waits on
    it). A missing key raises KeyError."""
    part = object.__new__(cls)
    for name, set_slot in _SLOTS[cls]:
        set_slot(part, data[name])
    return part


def _restored_mention(data: dict[str, Any]) -> Mention:
    data["author"] = _restored(Author, data["author"])
    data["engagement"] = _restored(Engagement, data["engagement"])
    if data["rating"] is not None:
        data["rating"] = _restored(Rating, data["rating"])
    for name in ("sentiment", "text_sentiment"):
        if data[name] is not None:
            data[name] = _restored(Sentiment, data[name])
    if data["advocate"] is not None:
        data["advocate"]["signals"] = tuple(data["advocate"]["signals"])
        data["advocate"] = _restored(Advocate, data["advocate"])
    data["matched_terms"] = tuple(data["matched_terms"])
    data["aspects"] = tuple(_restored(Aspect, aspect) for aspect in data["aspects"])
    data["citations"] = tuple(data["citations"])
    # Answers stored before the score was kept have none.
    data["named"] = tuple(_restored(NamedBrand, {"score": None, **named})
                          for named in data["named"])
    data["brands"] = tuple(data["brands"])  # a record from before `brands` is read by from_dict
    data["brand_replies"] = tuple(_restored_reply(r) for r in data["brand_replies"])
    data["collected_at"] = datetime.fromisoformat(data["collected_at"])
    if data["published_at"] is not None:
        data["published_at"] = datetime.fromisoformat(data["published_at"])
    return _restored(Mention, data)


def _restored_reply(data: dict[str, Any]) -> BrandReply:
    if data["published_at"] is not None:
        data["published_at"] = datetime.fromisoformat(data["published_at"])
    return _restored(BrandReply, data)


def _load(record: str) -> Mention:
    try:
        # orjson: reading records is most of an export's time, and it reads them twice as
        # fast; what it refuses (a lone surrogate escaped) the careful way below reads.
        return _restored_mention(orjson.loads(record))
    except (KeyError, TypeError, AttributeError, ValueError):
        pass  # not as this version writes it: read it the careful way, which says why
    try:
        return Mention.from_dict(json.loads(record))
    except ValueError as exc:  # JSONDecodeError and RecordError both are
        raise StoreError(f"unreadable stored mention: {exc}") from exc


# --- the query AST compiled to SQL ---------------------------------------------------------


def _fts_string(text: str, *, exact: bool) -> str:
    """`text` as an FTS5 phrase in the column of the stream it searches."""
    column, words = match_tokens(text, exact=exact)
    return f'{column} : ' + _phrase(text, words)


def _phrase(text: str, words: list[str]) -> str:
    if not words:
        raise QueryError(0, "a term with letters or digits", found=text)
    # Tokens are letters, digits and marks only, so they need no escaping inside quotes.
    return '"' + " ".join(words) + '"'


def _is_text(node: Node) -> bool:
    """Whether FTS5 alone can evaluate `node` (it has no unary NOT and no fields)."""
    match node:
        case Term() | Phrase() | Near():
            return True
        case And(children) | Or(children):
            return all(_is_text(child) for child in children)
        case _:
            return False


def _fts(node: Node) -> str:
    match node:
        case Term(text, prefix):
            return _fts_string(text, exact=prefix) + ("*" if prefix else "")
        case Phrase(text):
            return _fts_string(text, exact=True)
        case Near(left, right, distance):
            # FTS5's NEAR: either order, at most `distance` tokens between the two, both
            # sides in one stream (positions of terms and stems are one for one).
            exact = isinstance(left, Phrase) or isinstance(right, Phrase)
            sides = [(side.text, near_tokens(side.text, exact=exact)) for side in (left, right)]
            column = sides[0][1][0]
            phrases = " ".join(_phrase(text, words) for text, (_, words) in sides)
            return f"{column} : NEAR({phrases}, {distance})"
        case And(children) | Or(children):
            joiner = " AND " if isinstance(node, And) else " OR "
            return "(" + joiner.join(_fts(child) for child in children) + ")"
    raise QueryError(0, "a term, a phrase, NEAR, AND or OR", found=repr(node))


def _text_part(node: Node) -> tuple[str | None, Node]:
    """`node` split into an FTS5 query for what FTS5 answers alone (the text ANDed at the
    top, with brand filters as tags) and the rest; (None, node) when there is no such text."""
    if _is_text(node):
        return _fts(node), MatchAll()
    if isinstance(node, And):
        text = [child for child in node.children if _is_text(child)]
        if text:
            tags = [
                f'tags : "{_brand_tag(child.value)}"'
                for child in node.children
                if isinstance(child, Field) and child.name == "brand" and isinstance(child.value,
                                                                                    str)
            ]
            # The brand filters stay in the rest too: a hash is not proof of equality.
            rest = conjoin([child for child in node.children if not _is_text(child)])
            return " AND ".join([*map(_fts, text), *tags]), rest
    return None, node


def _field(field: Field, within: _Keys) -> tuple[str, list[object]]:
    """`field` as SQL, with its parameters; its text query reads the keys `within` only."""
    # Column names and operators come from these patterns, never from the query text.
    match field:
        case Field("brand", ":", str(value)):
            return ("(m.brand = ? OR m.seq IN (SELECT seq FROM mention_brands WHERE brand = ?))",
                    [key(value)] * 2)
        case Field("brand", "=", str(value)):
            return "m.brand = ?", [key(value)]
        case Field("source" | "sentiment" | "text_sentiment" | "kind" | "persona" as name,
                   ":", str(value)):
            return f"m.{name} = ?", [key(value)]
        case Field("replied", ":", "yes" | "no" as answered):
            return "m.replies > 0" if answered == "yes" else "m.replies = 0", []
        case Field("site", ":", str(value)):
            domain = key(value)  # and its subdomains: shop.example.com ends in .example.com
            return ("(m.source_domain = ? OR substr(m.source_domain, -?) = ?)",
                    [domain, len(domain) + 1, "." + domain])
        case Field("title", ":", Term() | Phrase() as leaf):
            # The text index narrows to mentions with the words anywhere; title_terms keeps
            # those with them in the title (in the stream the term searches), tokens compared
            # whole (a prefix's last one not).
            prefix = isinstance(leaf, Term) and leaf.prefix
            _, found = match_tokens(leaf.text, exact=prefix or isinstance(leaf, Phrase))
            words = " " + " ".join(found) + ("" if prefix else " ")
            matches, params = _in_keys(_FTS_MATCH, _fts(leaf), within)
            return (f"(m.seq IN ({matches}) AND instr(' ' || m.title_terms || ' ', ?) > 0)",
                    [*params, words])
        case Field("author", ":", str(value)):
            return "(m.author_name = ? OR m.author_handle = ?)", [key(value), handle_key(value)]
        case Field("author", "=", str(value)):
            return f"({_WHO} = ? AND m.source_domain = ?)", list(reversed(author_key_parts(value)))
        case Field("lang", ":", str(value)):
            lang = lang_key(value)  # zh matches zh and zh-hans, not zhx
            return "(m.lang = ? OR substr(m.lang, 1, ?) = ?)", [lang, len(lang) + 1, lang + "-"]
        case Field("aspect", ":", str(value)):
            keys = aspect_keys(value)
            placeholders = ", ".join("?" for _ in keys)
            return (f"EXISTS (SELECT 1 FROM json_each(m.aspects) WHERE value IN ({placeholders}))",
                    list(keys))
        case Field("rating", op, float() | int() as stars) if op in _RATING_OPS:
            # Stored and compared at the same 4 decimals, so rating=4 equals 0.75 exactly.
            return f"m.rating {op} ?", [stars_normalized(stars)]
        case Field("published", "..", (start, end)):
            bounds = [("m.published_at >= ?", start), ("m.published_at < ?", end)]
            kept = [(sql, moment.timestamp()) for sql, moment in bounds if moment is not None]
            return " AND ".join(sql for sql, _ in kept) or "1", [value for _, value in kept]
    raise QueryError(0, "a supported field filter", found=repr(field))


def _brand_filters(node: Node) -> Iterator[str]:
    """The brand keys `node`'s `brand:` filters name."""
    match node:
        case Field("brand", ":", str(value)):
            yield key(value)
        case Not(child):
            yield from _brand_filters(child)
        case And(children) | Or(children):
            for child in children:
                yield from _brand_filters(child)


def _primary_only(node: Node, brands: set[str]) -> Node:
    """`node` with its `brand:` filters on `brands` as `brand=` (the primary brand): the
    same matches when no mention names them as another brand. The parser never makes
    `brand=`."""
    match node:
        case Field("brand", ":", str(value)) if key(value) in brands:
            return Field("brand", "=", value)
        case Not(child):
            return Not(_primary_only(child, brands))
        case And(children):
            return And(tuple(_primary_only(child, brands) for child in children))
        case Or(children):
            return Or(tuple(_primary_only(child, brands) for child in children))
    return node


def _in_keys(template: str, text: str, keys: _Keys) -> tuple[str, list[object]]:
    """`template` (`_FTS_MATCH`, `_RANKED`) with its parameters: the FTS5 query `text`, the
    matches kept to `keys`."""
    if keys == _EVERY_KEY:
        return template.format(keys=""), [text]
    return template.format(keys=" AND rowid BETWEEN ? AND ?"), [text, *keys]


def _narrowed_keys(node: Node, keys: _Keys = _EVERY_KEY) -> _Keys:
    """`keys` narrowed to the published windows `node` is or is ANDed with: no other row
    can match it."""
    for child in node.children if isinstance(node, And) else (node,):
        match child:
            case Field("published", "..", (start, end)):
                first, last = _window_keys(start, end)
                keys = (max(keys[0], first), min(keys[1], last))
    return keys


def _where(node: Node, keys: _Keys = _EVERY_KEY) -> tuple[str, list[object]]:
    """A SQL condition on `mentions AS m`, with its parameters. Its text queries read only
    the rows of `keys`: it is for rows of those only (those of the windows it is ANDed
    with), and they give it the same value on them."""
    keys = _narrowed_keys(node, keys)
    text, rest = _text_part(node)
    if text is not None:
        sql, params = _where(rest, keys)
        matches, text_params = _in_keys(_FTS_MATCH, text, keys)
        return f"(m.seq IN ({matches}) AND {sql})", [*text_params, *params]
    match node:
        case MatchAll():
            return "1", []
        case Field():
            return _field(node, keys)
        case Not(child):
            sql, params = _where(child, keys)
            # IS NOT 1, not NOT: a NULL column (no brand, no rating) must count as false,
            # so that -brand:acme keeps mentions without a brand.
            return f"({sql}) IS NOT 1", params
        case And(children) | Or(children):
            parts = [_where(child, keys) for child in children]
            joiner = " AND " if isinstance(node, And) else " OR "
            return (
                "(" + joiner.join(sql for sql, _ in parts) + ")",
                [param for _, params in parts for param in params],
            )
    raise QueryError(0, "a query node", found=repr(node))


def _ranking(node: Node) -> str | None:
    """An FTS5 query of every positive term, for bm25; None when there is no text to rank."""
    leaves = positive_leaves(node)
    return " OR ".join(_fts(leaf) for leaf in leaves) if leaves else None


# A group's representative first: the earliest published, undated last, ties by id.
_EARLIEST = "m.published_at IS NULL, m.published_at, m.id"


def _matching(node: Node, filters: Filters) -> tuple[str, list[object]]:
    """`_where(node)`, kept to one mention per content_hash when `filters.collapse`: the
    earliest published of the matches (not of all the group), by a window over them. Only
    the matches marked duplicated are ranked: any other is the one copy of its text."""
    where, params = _where(node)
    return _collapsed(where, params) if filters.collapse else (where, params)


def _collapsed(where: str, params: list[object]) -> tuple[str, list[object]]:
    """`where` kept to the earliest published match of each content_hash."""
    return (
        f"({where}) AND (m.duplicated = 0 OR m.seq IN (SELECT seq FROM (SELECT m.seq,"
        f" row_number() OVER (PARTITION BY m.content_hash ORDER BY {_EARLIEST}) AS n"
        f" FROM mentions AS m WHERE m.duplicated = 1 AND ({where})) WHERE n = 1))",
        params + params,
    )


def _duplicates(db: sqlite3.Connection, where: str, params: list[object],
                shown: Iterable[Mention]) -> dict[str, Duplicates]:
    """The other matches (`where`) with the text of each shown mention, by its id."""
    first = {mention.content_hash: mention.id for mention in shown}
    rows = db.execute(
        "SELECT m.content_hash, m.id, json_extract(m.record, '$.url') FROM mentions AS m"
        f" WHERE m.content_hash IN ({_IDS}) AND {where}"
        f" ORDER BY m.content_hash, {_EARLIEST}",
        [json.dumps(list(first)), *params],
    ).fetchall()
    others: dict[str, list[str]] = {}
    for content, mention_id, url in rows:
        if mention_id != first[content]:
            others.setdefault(first[content], []).append(url)
    return {mention_id: Duplicates(len(urls), tuple(urls[:DUPLICATE_URLS]))
            for mention_id, urls in others.items()}


def _count(db: sqlite3.Connection, where: str, params: list[object]) -> int:
    (total,) = db.execute(f"SELECT count(*) FROM mentions AS m WHERE {where}", params).fetchone()
    return int(total)


# --- histogram buckets ---------------------------------------------------------------------


def _lead(rows: list[tuple[Any, ...]]) -> AuthorLead:
    """One author's rows of `_LEADS`: (domain, who, n, sources, by_score, by_time, record)."""
    best = tuple(_load(row[6]) for row in rows if row[4] <= _EVIDENCE)
    latest = next(_load(row[6]) for row in rows if row[5] == 1)
    return AuthorLead(rows[0][2], best, latest, tuple(sorted(set(rows[0][3].split(",")))))


def _bucket_edges(interval: Interval, zone: ZoneInfo, since: datetime,
                  until: datetime) -> list[int]:
    """The starts (epoch seconds) of the buckets covering [since, until) in `zone`: whole
    local hours, or local midnights (of Mondays for weeks), so a day of a DST change lasts
    23 or 25 hours."""
    local = since.astimezone(zone)
    if interval == "hour":
        # Hours are 3600 s apart in any zone whose offsets differ by whole hours.
        start = round(local.replace(minute=0, second=0, microsecond=0).timestamp())
        return list(range(start, math.ceil(until.timestamp()), 3600))
    day = local.date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    step = timedelta(days=1 if interval == "day" else 7)
    edges = []
    while (edge := datetime.combine(day, time(), zone)) < until:
        edges.append(round(edge.timestamp()))
        day += step
    return edges


# --- significant terms ---------------------------------------------------------------------

_MAX_CANDIDATES = 500


def _is_content_term(term: str) -> bool:
    return not term.startswith(_TAG) and is_content_term(term)


def _jlh(fg_count: int, fg_size: int, bg_count: int, bg_size: int) -> float:
    """Elasticsearch's JLH score: the absolute times the relative change of a term's share
    from background to foreground; 0 when it is not more frequent in the foreground."""
    if fg_size == 0 or bg_size == 0:
        return 0.0
    fg_share = fg_count / fg_size
    bg_share = max(bg_count, 1) / bg_size  # as Elasticsearch: never divide by zero
    change = fg_share - bg_share
    return change * (fg_share / bg_share) if change > 0 else 0.0


def _document_frequencies(rows: Iterable[tuple[str]], keep: Callable[[str], bool]) -> Counter[str]:
    """In how many rows each kept term appears."""
    counts: Counter[str] = Counter()
    for (terms,) in rows:
        # Counted in C, then each distinct term judged once: far fewer than the rows' words.
        counts.update(set(terms.split()))
    return Counter({term: n for term, n in counts.items() if keep(term)})


def _flanks_read(rows: Iterable[tuple[str, str]],
                 bigrams: set[str]) -> dict[str, list[frozenset[Flank]]]:
    """The flanks of each of `bigrams` in its first `FLANKS_READ` rows (id, terms) by id."""
    read: dict[str, list[tuple[str, frozenset[Flank]]]] = {term: [] for term in bigrams}
    for mention_id, terms in rows:
        words = terms.split()
        for term in bigrams.intersection(words):
            read[term].append((mention_id, flanks(term, words)))
    return {term: [found for _, found in sorted(mentions)[:FLANKS_READ]]  # ids are unique
            for term, mentions in read.items()}


# --- the store -----------------------------------------------------------------------------


def _upgraded(mention: Mention, version: int) -> Mention:
    """A record of a file at schema `version` as this version writes it.

    Before 5 a mention's sentiment was the text model's alone: it becomes `text_sentiment`
    too, unless a person corrected it (the model's label is lost then; None). The overall
    label of a rated review stays the text's until the mention is crawled again: the rule
    that combines them (`sentiment.rating`) is above the index, which never imports it.
    Before 8 the content hash kept the tracking parameters of links: it is hashed again."""
    if version < _FIRST_WITH_UNTRACKED_HASH:
        mention = mention.with_(content_hash=content_hash(mention.text))
    sentiment = mention.sentiment
    if version >= _FIRST_WITH_TEXT_SENTIMENT or sentiment is None or sentiment.corrected_by:
        return mention
    return mention.with_(text_sentiment=sentiment)


def _spelling(db: sqlite3.Connection, brand: str) -> str:
    (names,) = db.execute(_SPELLINGS, (brand, brand)).fetchone()
    return spelled(brand, json.loads(names))


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the file to `_VERSION` in one transaction (nothing to do when it is current)."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == _VERSION:
        return
    if version > _VERSION:
        raise StoreError(f"the file's schema version {version} is newer than this "
                         f"mentionwatch's ({_VERSION}); upgrade mentionwatch")
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated it meanwhile.
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'mentions'").fetchall()
        old = bool(tables) and version < _SAME_ROWS_SINCE
        rebuild = old and version < min(_IN_PLACE)
        steps = ([_IN_PLACE[at] for at in range(version, _SAME_ROWS_SINCE)]
                 if old and not rebuild else [])
        upgrade = _REBUILD if rebuild else tuple(
            statement for statements in steps for statement in statements)
        for statement in upgrade + _SCHEMA:
            db.execute(statement)
        if rebuild:
            records = db.execute("SELECT record FROM mentions_old")
            while batch := records.fetchmany(1000):
                _write(db, [_row(_upgraded(_load(record), version)) for (record,) in batch])
            db.execute("DROP TABLE mentions_old")
        if tables and _has_statistics(db):
            for (index,) in db.execute(_UNANALYZED).fetchall():
                db.execute(f"ANALYZE {index}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _has_statistics(db: sqlite3.Connection) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone())


def _analyze_once(db: sqlite3.Connection) -> bool:
    """Gather the query planner's statistics of a file that has rows but never had them:
    without them SQLite reads a date range's rows from the table to count brands, 20 times
    slower than skipping through the brand index, and a brand's mentions by a hundred
    authors from the brand index, 5 times slower than seeking each author (`close` keeps
    them current after). Whether the file has them now."""
    if _has_statistics(db):
        return True
    if not db.execute("SELECT 1 FROM mentions LIMIT 1").fetchone():
        return False
    try:
        db.execute("ANALYZE")
    except sqlite3.OperationalError:  # busy: another process writes; next time
        return False
    return True


class _Readers:
    """A bounded pool of read-only connections: a read takes an idle one (or opens one, up
    to `size`), so reads run side by side, each in its own WAL snapshot, and never wait for
    the writer. SQLite releases the GIL while it works, so they use every core."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], size: int) -> None:
        self._connect = connect
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[sqlite3.Connection] = []
        self._guard = threading.Lock()  # over _idle and _closed
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._slots:
            with self._guard:
                if self._closed:
                    raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
                db = self._idle.pop() if self._idle else None
            db = db or self._connect()
            try:
                yield db
            finally:
                with self._guard:
                    if self._closed or db.in_transaction:  # a broken one is not reused
                        db.close()
                    else:
                        self._idle.append(db)

    def close(self) -> None:
        with self._guard:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()


class SqliteStore:
    """A `MentionStore` in one SQLite file. Safe to share between threads: reads run in
    parallel on a pool of connections, writes one at a time on the writer connection. Safe
    to open from several processes at once."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 5.0,
                 readers: int = 4) -> None:
        """Open or create the store at `path`; `timeout` is how long (seconds) a write
        waits for another write before raising BackendUnavailable; `readers` is how many
        reads may run at once (more wait for a free connection)."""
        self.path = os.fspath(path)
        self._timeout = timeout
        self._lock = threading.Lock()  # the writer's
        self._written = 0  # new mentions, since it opened
        with translated(f"cannot open {self.path}"):
            self._db = self._connect()
            try:
                _migrate(self._db)
                self._analysed = _analyze_once(self._db)
            except BaseException:
                self._db.close()
                raise
        self._readers = _Readers(partial(self._connect, reader=True), readers)

    def _connect(self, *, reader: bool = False) -> sqlite3.Connection:
        db = connect(self.path, self._timeout)  # WAL, synchronous NORMAL: the file's pragmas
        try:
            db.execute(f"PRAGMA cache_size = -{_READER_CACHE_KIB if reader else _WRITER_CACHE_KIB}")
            db.execute(f"PRAGMA query_only = {int(reader)}")
        except BaseException:
            db.close()
            raise
        return db

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self, action: str, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, waiting up to the busy timeout; a deferred
        # transaction that reads first could fail at once when another process wrote meanwhile.
        # A read transaction gives every query in it the same snapshot (total matches hits).
        with translated(action), self._connection(write) as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def _connection(self, write: bool) -> Iterator[sqlite3.Connection]:
        if not write:
            with self._readers.connection() as db:
                yield db
            return
        with self._lock:
            yield self._db

    def _resolve(self, query: Node | str, filters: Filters) -> Node:
        return self._narrowed(resolve(query, filters))

    def _narrowed(self, node: Node) -> Node:
        """`node` with each `brand:` filter on a brand that no mention names beside another
        (most brands, most of the time) as `brand=`, on the indexed column alone: SQLite
        then answers it from its covering indexes, not by merging two lookups (the NPS
        report 3x faster)."""
        brands = set(_brand_filters(node))
        if not brands:
            return node
        with self._transaction("cannot read the brands") as db:
            beside = {brand for brand in brands if db.execute(
                "SELECT 1 FROM mention_brands WHERE brand = ? LIMIT 1", (brand,)).fetchone()}
        return _primary_only(node, brands - beside)

    def upsert(self, mentions: Iterable[Mention]) -> int:
        """Insert or replace mentions by id in one transaction; returns how many were new.
        A person's correction of a mention's sentiment is kept over the new record's."""
        given = {mention.id: mention for mention in mentions}  # the last of an id wins
        if not given:
            return 0
        rows = {mention_id: _row(mention) for mention_id, mention in given.items()}
        with self._transaction("cannot write mentions", write=True) as db:
            corrected = db.execute(
                f"SELECT id, label, by FROM corrections WHERE id IN ({_IDS})",
                (json.dumps(list(given)),),
            ).fetchall()
            for mention_id, label, by in corrected:
                rows[mention_id] = _row(apply_correction(given[mention_id], label, by))
            new = _write(db, rows.values())
        self._written += new
        if not self._analysed and self._written >= _ANALYZE_AFTER:
            # A file this store filled from empty: statistics now rather than at close.
            with self._lock:
                self._analysed = _analyze_once(self._db)
        return new

    def get(self, mention_id: str) -> Mention | None:
        return self.get_many([mention_id]).get(mention_id)

    def get_many(self, mention_ids: Iterable[str]) -> dict[str, Mention]:
        with self._transaction("cannot read mentions") as db:
            rows = db.execute(f"SELECT id, record FROM mentions WHERE id IN ({_IDS})",
                              (json.dumps(list(mention_ids)),)).fetchall()
        return {mention_id: _load(record) for mention_id, record in rows}

    def count(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> int:
        where, params = _matching(self._resolve(query, filters), filters)
        with self._transaction("cannot count mentions") as db:
            return _count(db, where, params)

    def search(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        sort: Sort = "relevance",
        page: int = 1,
        size: int = 20,
    ) -> SearchResult:
        check_page(sort, page, size)
        node = self._resolve(query, filters)
        text, rest = _text_part(node)
        if sort == "relevance" and text is not None:
            return self._search_text(node, filters, text, rest, page, size)
        where, params = _matching(node, filters)
        ranking = _ranking(node) if sort == "relevance" else None
        newest = "m.published_at DESC, m.id"
        if ranking is None:
            sql = (f"SELECT m.record, NULL, m.duplicated FROM mentions AS m WHERE {where}"
                   f" ORDER BY {newest}")
            query_params = params
        else:
            # bm25 is lower for better matches; rows matched only by a field rank last.
            ranked, ranked_params = _in_keys(_RANKED, ranking, _narrowed_keys(node))
            sql = (
                f"{ranked} SELECT m.record, ranked.score, m.duplicated FROM mentions AS m"
                " LEFT JOIN ranked ON ranked.seq = m.seq"
                f" WHERE {where} ORDER BY ranked.score IS NULL, ranked.score, {newest}"
            )
            query_params = [*ranked_params, *params]
        page_params = [*query_params, size, (page - 1) * size]
        with self._transaction("cannot search mentions") as db:
            rows = db.execute(f"{sql} LIMIT ? OFFSET ?", page_params).fetchall()
            total = _count(db, where, params)
            hits = self._hits(db, node, filters, rows)
        return SearchResult(total, hits)

    def _search_text(self, node: Node, filters: Filters, text: str, rest: Node, page: int,
                     size: int) -> SearchResult:
        """Relevance search where every match contains `text`: bm25 for FTS5's matches
        only, the total counted in the same pass, and only the page's records read."""
        rest_sql, rest_params = _where(rest)
        if filters.collapse:  # "a group's first match", the matches read from `ranked` again
            rest_sql, rest_params = _collapsed(
                f"m.seq IN (SELECT seq FROM ranked) AND ({rest_sql})", rest_params)
        matches, text_params = _in_keys(_RANKED, text, _narrowed_keys(node))
        sql = (
            f"{matches} SELECT m.seq, ranked.score, count(*) OVER () FROM ranked"
            f" JOIN mentions AS m ON m.seq = ranked.seq WHERE {rest_sql}"
            " ORDER BY ranked.score, m.published_at DESC, m.id LIMIT ? OFFSET ?"
        )
        page_params = [*text_params, *rest_params, size, (page - 1) * size]
        with self._transaction("cannot search mentions") as db:
            ranked = db.execute(sql, page_params).fetchall()
            if ranked:
                total = ranked[0][2]
                records = {seq: (record, duplicated) for seq, record, duplicated in db.execute(
                    f"SELECT seq, record, duplicated FROM mentions WHERE seq IN ({_IDS})",
                    (json.dumps([seq for seq, _, _ in ranked]),),
                )}
            else:  # past the last page
                total, records = _count(db, *_matching(node, filters)), {}
            hits = self._hits(db, node, filters, [(records[seq][0], score, records[seq][1])
                                                  for seq, score, _ in ranked])
        return SearchResult(total, hits)

    @staticmethod
    def _hits(db: sqlite3.Connection, node: Node, filters: Filters,
              rows: list[tuple[str, float | None, int]]) -> list[Hit]:
        """The page's hits (record, score, duplicated flag), each with its duplicates among
        the matches when collapsed: looked up only for texts stored more than once."""
        terms = highlight_terms(node)
        page = [(_load(record), score, duplicated) for record, score, duplicated in rows]
        shown = [mention for mention, _, duplicated in page if duplicated]
        duplicates = _duplicates(db, *_where(node), shown) if filters.collapse and shown else {}
        return [
            Hit(mention, -score if score is not None else 0.0, highlight(mention.text, terms),
                duplicates.get(mention.id, NO_DUPLICATES))
            for mention, score, _ in page
        ]

    def delete(self, ids: Iterable[str]) -> int:
        """Remove mentions, and their corrections, by id; returns how many existed."""
        listed = json.dumps(list(dict.fromkeys(ids)))
        with self._transaction("cannot delete mentions", write=True) as db:
            db.execute(f"DELETE FROM corrections WHERE id IN ({_IDS})", (listed,))
            return db.execute(f"DELETE FROM mentions WHERE id IN ({_IDS})", (listed,)).rowcount

    def histogram(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        interval: Interval = "day",
        tz: str = "UTC",
        since: datetime,
        until: datetime,
    ) -> list[TimeBucket]:
        zone, since, until = histogram_window(interval, tz, since, until)
        edges = _bucket_edges(interval, zone, since, until)
        # Group by the widest slot every bucket edge falls on (an hour, or a day in UTC),
        # then add the slots up into buckets: exact in any zone, DST included.
        width = reduce(math.gcd, (b - a for a, b in pairwise(edges)), 0)
        width = width or math.ceil(until.timestamp()) - edges[0] + 1  # one bucket: one slot
        node = conjoin((self._resolve(query, filters), Field("published", "..", (since, until))))
        where, params = _matching(node, filters)
        sql = (
            "SELECT CAST((m.published_at - ?) / ? AS INTEGER) AS slot, m.sentiment, count(*)"
            f" FROM mentions AS m WHERE {where} GROUP BY slot, m.sentiment"
        )
        with self._transaction("cannot count mentions over time") as db:
            rows = db.execute(sql, [edges[0], width, *params]).fetchall()
        counts = [0] * len(edges)
        labels: list[dict[str, int]] = [dict.fromkeys(SENTIMENT_LABELS, 0) for _ in edges]
        for slot, label, count in rows:
            at = bisect_right(edges, edges[0] + slot * width) - 1
            counts[at] += count
            if label is not None:
                labels[at][label] += count
        return [
            TimeBucket(datetime.fromtimestamp(edge, zone), count, by)
            for edge, count, by in zip(edges, counts, labels, strict=True)
        ]

    def terms(
        self,
        field: TermsField,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        size: int = 10,
    ) -> list[Bucket]:
        check_terms_field(field)
        check_size(size)
        if field == "brand":
            return self._brand_counts(self._resolve(query, filters), filters, size)
        # An aspect is one of the values of a mention's JSON array; the others are columns.
        column = {"author": "m.author_name", "aspect": "a.value"}.get(field, f"m.{field}")
        joined = ", json_each(m.aspects) AS a" if field == "aspect" else ""
        where, params = _matching(self._resolve(query, filters), filters)
        sql = (
            f"SELECT {column}, count(*) AS n FROM mentions AS m{joined}"
            f" WHERE {where} AND {column} IS NOT NULL"
            f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?"
        )
        with self._transaction("cannot count field values") as db:
            rows = db.execute(sql, [*params, size]).fetchall()
        return [Bucket(value, count) for value, count in rows]

    def significant_terms(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        background: Filters = NO_FILTERS,
        size: int = 10,
    ) -> list[Bucket]:
        """Scored with JLH, as Elasticsearch's significant_terms does by default; a term
        needs at least 3 foreground mentions, and stopwords and short words are skipped."""
        check_size(size)
        fg_node = self._resolve(query, filters)
        fg_where, fg_params = _matching(fg_node, filters)
        bg_node = self._narrowed(background.as_query())
        bg_where, bg_params = _where(bg_node)
        with self._transaction("cannot find significant terms") as db:
            fg_df = _document_frequencies(
                db.execute(f"SELECT m.terms FROM mentions AS m WHERE {fg_where}", fg_params),
                _is_content_term,
            )
            fg_size = _count(db, fg_where, fg_params)
            candidates = {
                term: count
                for term, count in fg_df.most_common(_MAX_CANDIDATES)
                if count >= MIN_FOREGROUND
            }
            bg_size = _count(db, bg_where, bg_params)
            if isinstance(bg_node, MatchAll):  # the whole index: FTS5 knows every term's count
                bg_df = Counter({
                    term: db.execute("SELECT doc FROM mentions_vocab WHERE term = ?",
                                     (term,)).fetchone()[0]
                    for term in candidates
                })
            else:
                bg_df = _document_frequencies(
                    db.execute(f"SELECT m.terms FROM mentions AS m WHERE {bg_where}", bg_params),
                    candidates.__contains__,
                )
            scored = [
                Bucket(term, count, bg_df[term], _jlh(count, fg_size, bg_df[term], bg_size))
                for term, count in candidates.items()
            ]
            # As many as Elasticsearch is asked for, so both leave out the same junctions.
            found = sorted((b for b in scored if b.score),
                           key=lambda b: (-(b.score or 0), b.key))[:2 * size]
            bigrams = {b.key for b in found if is_bigram(b.key)}
            flanked = {}
            if bigrams:  # read only the foreground mentions that hold one
                holding = conjoin([fg_node, Or(tuple(Term(term) for term in sorted(bigrams)))])
                where, params = _matching(holding, filters)
                flanked = _flanks_read(
                    db.execute(f"SELECT m.id, m.terms FROM mentions AS m WHERE {where}", params),
                    bigrams)
        # `fg_df` counted every content word of the foreground, so the flanks' counts too.
        return without_junctions(found, flanked, fg_df)[:size]

    def advocates(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        min_score: float = 0.5,
        size: int = 100,
    ) -> list[AuthorLead]:
        check_min_score(min_score)
        check_size(size)
        where, params = _where(self._resolve(query, filters))
        with self._transaction("cannot find advocates") as db:
            rows = db.execute(_LEADS.format(where=where), [*params, min_score, size]).fetchall()
        by_author = groupby(rows, key=lambda row: (row[0], row[1]))
        return [_lead(list(group)) for _, group in by_author]

    def engagement(self, brand: str,
                   author_keys: Sequence[str]) -> dict[str, AuthorEngagement]:
        asked = list(dict.fromkeys(map(author_key_parts, author_keys)))
        where, params = _where(self._resolve("", Filters(brand=brand)))
        tallies: dict[tuple[str, str], Tally[int]] = {}
        with self._transaction("cannot read the engagement of authors") as db:
            for (domain, who, mentions, position, seq, kind, sentiment, recommended, answers,
                 parent_sentiment, parent_by_author) in db.execute(
                    _FACTS.format(where=where), [json.dumps(asked), *params]):
                parent = Parent(parent_sentiment, bool(parent_by_author)) if answers else None
                tallies.setdefault((domain, who), Tally(mentions)).add(
                    position, Facts(kind, sentiment, bool(recommended), parent), seq)
            chosen = {seq for tally in tallies.values() for seq in tally.first.values()}
            dated = {seq: (datetime.fromisoformat(at) if at else None, url) for seq, at, url
                     in db.execute(_DATED_URLS, (json.dumps(sorted(chosen)),))}
        return {"/".join(author): tallies[author].engagement(dated.__getitem__)
                for author in asked if author in tallies}

    def _brand_counts(self, node: Node, filters: Filters, size: int) -> list[Bucket]:
        """Matches per brand, each counted for every brand it names."""
        where, params = _matching(node, filters)
        group = "m.brand" if _text_part(node)[0] is None else "+m.brand"
        primary, others = (part.format(where=where, group=group) for part in _BRAND_COUNTS)
        counts: Counter[str] = Counter()
        with self._transaction("cannot count field values") as db:
            for brand, count in chain(db.execute(primary, params),
                                      db.execute(others, [*_narrowed_keys(node), *params])):
                counts[brand] += count
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        return [Bucket(brand, count) for brand, count in ranked[:size]]

    def nps_days(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> list[NpsCount]:
        where, params = _matching(self._resolve(query, filters), filters)
        with self._transaction("cannot count NPS classes") as db:
            rows = db.execute(_NPS_DAYS.format(where=where), params * 2).fetchall()
            names = {brand: _spelling(db, brand) for brand in {row[0] for row in rows}}
        return [NpsCount(names[brand], None if day is None else _EPOCH + timedelta(days=day),
                         nps_class, bool(estimated), count)
                for brand, day, nps_class, estimated, count in rows]

    def responses(self, query: Node | str = "",
                  filters: Filters = NO_FILTERS) -> ResponseCounts:
        where, params = _matching(self._resolve(query, filters), filters)
        with self._transaction("cannot count responses") as db:
            rows = db.execute(_RESPONSES.format(where=where), params).fetchall()
        counts: Counter[tuple[str, str, bool, SentimentLabel | None, float | None]] = Counter()
        times: Counter[tuple[str, str, int]] = Counter()
        for brand, source, replied, sentiment, rating, seconds, count in rows:
            counts[brand, source, bool(replied), sentiment, rating] += count
            if seconds is not None:
                times[brand, source, seconds] += count
        return ResponseCounts([ResponseCount(*group, count) for group, count in counts.items()],
                              [ResponseTime(*group, count) for group, count in times.items()])

    def export(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> Iterator[Mention]:
        """Every match, dated ones by (published_at, id) then undated ones by id, read on a
        connection of its own in one read transaction: a consistent snapshot that neither
        blocks nor is blocked by writers, and never holds this store's lock between rows.
        One streamed statement per part rather than keyset pages: each page would re-run
        the text query, and SQLite's sorter spills to disk, so memory stays flat either way.
        The query is compiled (and a QueryError raised) here, before the first row."""
        where, params = _matching(self._resolve(query, filters), filters)
        parts = (
            f"SELECT m.record FROM mentions AS m WHERE {where} AND m.published_at IS NOT NULL"
            " ORDER BY m.published_at, m.id",
            f"SELECT m.record FROM mentions AS m WHERE {where} AND m.published_at IS NULL"
            " ORDER BY m.id",
        )
        return self._stream(parts, params)

    def _stream(self, statements: Iterable[str], params: list[object]) -> Iterator[Mention]:
        with translated(f"cannot open {self.path}"):
            db = self._connect(reader=True)
        try:
            with translated("cannot export mentions"):
                db.execute("BEGIN")
            for sql in statements:
                with translated("cannot export mentions"):
                    cursor = db.execute(sql, params)
                    batch = cursor.fetchmany(_EXPORT_BATCH)
                while batch:
                    yield from (_load(record) for (record,) in batch)
                    with translated("cannot export mentions"):
                        batch = cursor.fetchmany(_EXPORT_BATCH)
        finally:
            db.close()  # ends the read transaction

    def correct_sentiment(self, mention_id: str, label: str, by: str) -> Mention | None:
        """Raises ValueError for a label other than positive, neutral or negative."""
        check_correction(label, by)
        with self._transaction("cannot correct a mention", write=True) as db:
            row = db.execute("SELECT record FROM mentions WHERE id = ?", (mention_id,)).fetchone()
            if row is None:
                return None
            corrected = apply_correction(_load(row[0]), label, by)
            db.execute(
                "INSERT INTO corrections (id, label, by, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET label = excluded.label, by = excluded.by,"
                " at = excluded.at",
                (mention_id, label, by, datetime.now(UTC).isoformat()),
            )
            _write(db, [_row(corrected)])
        return corrected

    def corrections(self) -> Iterator[tuple[Mention, str]]:
        """In the order they were made."""
        with self._transaction("cannot read corrections") as db:
            rows = db.execute(
                "SELECT m.record, c.label FROM corrections AS c JOIN mentions AS m USING (id)"
                " ORDER BY c.at, c.id"
            ).fetchall()
        for record, label in rows:
            yield _load(record), label

    def close(self) -> None:
        self._readers.close()
        with self._lock:
            with suppress(sqlite3.Error):  # a busy file keeps its old statistics
                # SQLite's advice for closing: re-gather the planner's statistics of a table
                # that grew 25-fold since they were gathered; never wait for it.
                self._db.execute("PRAGMA busy_timeout = 0")
                self._db.execute("PRAGMA optimize")
            self._db.close()
