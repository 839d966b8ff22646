"""The query AST and the record in Elasticsearch's terms (pure: no server)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from index.errors import QueryError
from index.es_dsl import NOT_CONTENT, compile_query, document, index_name, scored
from index.query import Term, parse
from index.record import BrandReply, Mention
from index.significance import STOPWORDS, is_content_term


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (datetime(2026, 10, 31, 23, 59, tzinfo=UTC), "mentionwatch-2026.10"),
        # 1 November in Tokyo is still 31 October in UTC: the month is the UTC one.
        (datetime(2026, 11, 1, 8, 0, tzinfo=timezone(timedelta(hours=9))),
         "mentionwatch-2026.10"),
        (None, "mentionwatch-undated"),
    ],
)
def test_index_name_is_the_mentions_own_utc_month(
    published: datetime | None, expected: str
) -> None:
    assert index_name("mentionwatch", published) == expected


@pytest.mark.parametrize(
    "query",
    [
        'x OR (a AND b*) "c d" -e',
        'brand:"Acme*" author:@alice lang:zh_Hans',
        "sentiment:negative rating>=4 published:2026-10-01..",
        "foo~2 bar^3 *:* a\\*b",  # Lucene syntax is just text here
    ],
)
def test_user_text_never_becomes_query_string_syntax(query: str) -> None:
    dsl = json.dumps(compile_query(parse(query)))
    assert "query_string" not in dsl
    assert "wildcard" not in dsl and "regexp" not in dsl


def test_compiled_query_shapes() -> None:
    assert compile_query(parse('"battery life"')) == {
        "multi_match": {"query": "battery life", "type": "phrase",
                        "fields": ["title", "text", "brand_name"]}
    }
    assert compile_query(parse("Batt*")) == {"bool": {"should": [
        {"prefix": {"title": {"value": "batt"}}},
        {"prefix": {"text": {"value": "batt"}}},
        {"prefix": {"brand_name": {"value": "batt"}}},
    ], "minimum_should_match": 1}}
    # A term searches the shared analyzer's stems, a lone CJK character its characters.
    assert compile_query(parse("Batteries-life")) == {"match_phrase": {"stems": "batteri life"}}
    assert compile_query(parse("裂")) == {"match_phrase": {"chars": "裂"}}
    assert compile_query(parse("battery -brand:ACME rating>=4")) == {"bool": {
        "must": [{"match_phrase": {"stems": "batteri"}}],
        "filter": [
            {"bool": {"must_not": [{"term": {"brand": "acme"}}]}},
            {"range": {"rating": {"gte": 0.75}}},
        ],
    }}
    assert compile_query(parse("published:2026-10-01")) == {"range": {"published_at": {
        "gte": "2026-10-01T00:00:00+00:00", "lt": "2026-10-02T00:00:00+00:00"}}}


def test_a_query_without_text_scores_nothing() -> None:
    assert scored(parse("brand:acme")) == {"bool": {"filter": [{"term": {"brand": "acme"}}]}}
    assert scored(parse("battery")) == compile_query(parse("battery"))


def test_a_term_without_letters_or_digits_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        compile_query(Term("--", prefix=True))


def test_document_holds_the_filter_keys_and_the_record(
    make_mention: Callable[..., Mention],
) -> None:
    mention = make_mention("m1", "Great", source="TrustPilot", author="Ann LEE",
                           handle="@Ann", brand="ＡＣＭＥ Corp", lang="zh_Hans",
                           sentiment="positive")
    doc = document(mention)
    assert (doc["source"], doc["brand"], doc["brand_name"], doc["lang"]) == (
        "trustpilot", ["acme corp"], "ＡＣＭＥ Corp", "zh-hans")
    assert (doc["author_name"], doc["author_handle"], doc["sentiment"]) == (
        "ann lee", "ann", "positive")
    assert doc["published_at"] is None
    assert Mention.from_dict(doc["record"]) == mention


def test_document_holds_the_time_to_the_first_reply(
    make_mention: Callable[..., Mention],
) -> None:
    published = datetime(2026, 11, 1, 9, tzinfo=UTC)

    def replied(*moments: datetime | None) -> dict[str, Any]:
        return document(make_mention("m1", "Broken", published=published, brand_replies=tuple(
            BrandReply("Sorry", "Acme", moment) for moment in moments)))

    assert (replied()["replies"], replied()["response_seconds"]) == (0, None)
    # The first dated reply counts; an undated one answers but is not timed.
    answered = replied(None, published + timedelta(hours=2, seconds=5), published
                       + timedelta(days=1))
    assert (answered["replies"], answered["response_seconds"]) == (3, 7205)
    assert replied(None)["response_seconds"] is None
    assert replied(published - timedelta(minutes=5))["response_seconds"] == 0
    assert compile_query(parse("replied:no")) == {
        "bool": {"must_not": [{"range": {"replies": {"gt": 0}}}]}}


def test_the_excluded_terms_are_those_that_are_no_content() -> None:
    # Lucene's regular expressions are anchored, like fullmatch; this syntax means the same.
    excluded = re.compile(NOT_CONTENT)
    samples = ["a", "电", "x1", "42", "2026", "ok", "overheating", "hot", "电池", "é1",
               "gets", *STOPWORDS]
    assert [t for t in samples if bool(excluded.fullmatch(t)) == is_content_term(t)] == []
