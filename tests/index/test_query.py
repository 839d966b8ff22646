from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index.errors import QueryError, StoreError
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
    highlight_terms,
    parse,
    positive_leaves,
)

a, b, c = Term("a"), Term("b"), Term("c")


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MatchAll()),
        ("   ", MatchAll()),
        ("a", a),
        ("a b c", And((a, b, c))),
        ("a AND b", And((a, b))),
        ("a OR b c", Or((a, And((b, c))))),
        ("a b OR c", Or((And((a, b)), c))),
        ("NOT a b", And((Not(a), b))),
        ("NOT a OR b", Or((Not(a), b))),
        ("a AND NOT b", And((a, Not(b)))),
        ("a OR b OR c", Or((a, b, c))),
        ("(a OR b) c", And((Or((a, b)), c))),
        ("a (b c)", And((a, b, c))),  # nested ANDs flatten
        ("((a))", a),
        ("NOT (a OR b)", Not(Or((a, b)))),
        ("-(a OR b) c", And((Not(Or((a, b))), c))),
        ("-a", Not(a)),
        ("-a -b", And((Not(a), Not(b)))),
        ("--a", a),
        ("NOT -a", a),
        ("a - b", And((a, b))),  # a lone dash is punctuation, not NOT
        ("a & b", And((a, b))),
        ("and or not", And((Term("and"), Term("or"), Term("not")))),  # lowercase is text
    ],
)
def test_operators_and_precedence(text: str, expected: Node) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"battery life"', Phrase("battery life")),
        ('-"press release"', Not(Phrase("press release"))),
        ('a "b c" d', And((a, Phrase("b c"), Term("d")))),
        ('"" a', a),  # an empty phrase is nothing
        ("batt*", Term("batt", prefix=True)),
        ("-batt*", Not(Term("batt", prefix=True))),
        ("Battery", Term("Battery")),
        ("电池", Term("电池")),
        ("电池 OR 電池", Or((Term("电池"), Term("電池")))),
        ('"这款手机的电池"', Phrase("这款手机的电池")),
        ("Acme手机", Term("Acme手机")),
        ("x>5", Term("x>5")),  # not a field: just text
    ],
)
def test_terms_phrases_and_prefixes(text: str, expected: Node) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brand:acme", Field("brand", ":", "acme")),
        ('brand:"Acme Corp"', Field("brand", ":", "Acme Corp")),
        ("BRAND:Acme", Field("brand", ":", "Acme")),
        ("source:trustpilot", Field("source", ":", "trustpilot")),
        ("lang:zh", Field("lang", ":", "zh")),
        ("author:@alice", Field("author", ":", "@alice")),
        ('author:"Alice Chen"', Field("author", ":", "Alice Chen")),
        ("sentiment:Negative", Field("sentiment", ":", "negative")),
        ("rating>=4", Field("rating", ">=", 4.0)),
        ("rating<=2.5", Field("rating", "<=", 2.5)),
        ("rating>3", Field("rating", ">", 3.0)),
        ("rating<1.5", Field("rating", "<", 1.5)),
        ("rating=5", Field("rating", "=", 5.0)),
        ("published:2026-10-01..2026-10-31", Field("published", "..", (_day(10, 1), _day(11, 1)))),
        ("published:2026-10-01..", Field("published", "..", (_day(10, 1), None))),
        ("published:..2026-10-31", Field("published", "..", (None, _day(11, 1)))),
        ("published:2026-10-05", Field("published", "..", (_day(10, 5), _day(10, 6)))),
        # The edges of datetime's range: the first day, and the last as an open start.
        ("published:0001-01-01", Field("published", "..", (datetime(1, 1, 1, tzinfo=UTC),
                                                           datetime(1, 1, 2, tzinfo=UTC)))),
        ("published:9999-12-31..", Field("published", "..",
                                         (datetime(9999, 12, 31, tzinfo=UTC), None))),
        ("(brand:acme)", Field("brand", ":", "acme")),
        ("aspect:Battery", Field("aspect", ":", "battery")),
        ("aspect:battery:NEGATIVE", Field("aspect", ":", "battery:negative")),
        ('aspect:"Battery  life":negative', Field("aspect", ":", "battery life:negative")),
        ("aspect:电池", Field("aspect", ":", "电池")),
        (
            "battery -brand:acme lang:zh-Hant",
            And((Term("battery"), Not(Field("brand", ":", "acme")), Field("lang", ":", "zh-Hant"))),
        ),
        (
            'brand:"Acme Corp" OR 电池',
            Or((Field("brand", ":", "Acme Corp"), Term("电池"))),
        ),
    ],
)
def test_field_filters(text: str, expected: Node) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title:Battery", Field("title", ":", Term("Battery"))),
        ("title:batt*", Field("title", ":", Term("batt", prefix=True))),
        ('title:"battery life"', Field("title", ":", Phrase("battery life"))),
        ("site:Shop.Example.com", Field("site", ":", "shop.example.com")),
        ("site:www.example.com.", Field("site", ":", "example.com")),  # as stored
        ("site:bücher.de", Field("site", ":", "bücher.de")),
        ("kind:Review", Field("kind", ":", "review")),
        ("persona:EDUCATOR", Field("persona", ":", "educator")),
        ("replied:Yes", Field("replied", ":", "yes")),
        ("replied:no", Field("replied", ":", "no")),
    ],
)
def test_title_site_kind_and_persona(text: str, expected: Node) -> None:
    assert parse(text) == expected


x = Term("x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a NEAR/3 b", Near(a, b, 3)),
        ('"a b" NEAR/0 c', Near(Phrase("a b"), c, 0)),
        ("a NEAR/1 b NEAR/2 c", And((Near(a, b, 1), Near(b, c, 2)))),
        # NEAR binds tighter than NOT, AND and OR.
        ("-a NEAR/3 b", Not(Near(a, b, 3))),
        ("x a NEAR/3 b OR c", Or((And((x, Near(a, b, 3))), c))),
        ("near a", And((Term("near"), a))),  # lowercase is text
    ],
)
def test_near(text: str, expected: Node) -> None:
    assert parse(text) == expected
    assert positive_leaves(parse("a NEAR/3 b")) == (a, b)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("(battery", 8, "position 8: expected ')' after '(battery'"),
        ("(battery OR", 11, "position 11: expected a search term after '(battery OR'"),
        ("battery AND", 11, "position 11: expected a search term after 'battery AND'"),
        ("battery OR OR x", 11,
         "position 11: expected a search term after 'battery OR', found 'OR'"),
        ("NOT", 3, "position 3: expected a search term after 'NOT'"),
        ("()", 1, "position 1: expected a search term after '(', found ')'"),
        ("battery)", 7, "position 7: expected a term, an operator or the end of the query "
                        "after 'battery', found ')'"),
        ('"battery life', 13, "position 13: expected a closing '\"' after '\"battery life'"),
        ("foo:bar", 0, "position 0: expected a field name (aspect, author, brand, kind, lang, "
                       "persona, published, rating, replied, sentiment, site, source, "
                       "text_sentiment, title), found 'foo'"),
        ("replied:maybe", 8, "position 8: expected no or yes after 'replied:', found 'maybe'"),
        ("kind:tweet", 5, "position 5: expected ai_answer, article, comment, post or review after "
                          "'kind:', found 'tweet'"),
        ("persona:Fan", 8, "position 8: expected builder, connector, educator or validator "
                           "after 'persona:', found 'Fan'"),
        ("site:example.com/page", 5, "position 5: expected a domain such as example.com after "
                                     "'site:', found 'example.com/page'"),
        ("site:https://example.com", 5, "position 5: expected a domain such as example.com "
                                        "after 'site:', found 'https://example.com'"),
        ("title:--", 6, "position 6: expected a word with letters or digits after 'title:', "
                        "found '--'"),
        ("a NEAR b", 2, "position 2: expected NEAR/n, n the most words between the two, "
                        "0 to 100 after 'a', found 'NEAR'"),
        ("a NEAR/x b", 7, "position 7: expected the most words between the two, 0 to 100, "
                          "after 'a NEAR/', found 'x'"),
        ("a NEAR/101 b", 7, "position 7: expected the most words between the two, 0 to 100, "
                            "after 'a NEAR/', found '101'"),
        ("a NEAR/2 b*", 9, "position 9: expected a whole word, not a prefix, on each side of "
                           "NEAR/2 after 'a NEAR/2', found 'b*'"),
        ("brand:x NEAR/2 b", 0, "position 0: expected a word or a \"phrase\" on each side of "
                                "NEAR/2, found 'brand:x'"),
        ("(a b) NEAR/2 c", 6, "position 6: expected a word or a \"phrase\" on each side of "
                              "NEAR/2 after '(a b)', found 'NEAR/2'"),
        ("a NEAR/2", 8, "position 8: expected a word or a \"phrase\" on each side of NEAR/2 "
                        "after 'a NEAR/2'"),
        ("a NEAR/2 -b", 9, "position 9: expected a word or a \"phrase\" on each side of "
                           "NEAR/2 after 'a NEAR/2', found '-'"),
        ("aspect:battery:bad", 7, "position 7: expected an aspect name, optionally with "
         ":positive, :neutral or :negative after 'aspect:', found 'battery:bad'"),
        ("aspect::negative", 7, "position 7: expected an aspect name, optionally with "
         ":positive, :neutral or :negative after 'aspect:', found ':negative'"),
        ("brand:", 6, "position 6: expected a value after 'brand:'"),
        ("brand>=x", 5, "position 5: expected one of : after 'brand', found '>='"),
        ("rating:4", 6, "position 6: expected one of >= <= > < = after 'rating', found ':'"),
        ("rating>=x", 8, "position 8: expected a rating from 1 to 5 after 'rating>=', found 'x'"),
        ("rating>=6", 8, "position 8: expected a rating from 1 to 5 after 'rating>=', found '6'"),
        ("rating<0.5", 7, "position 7: expected a rating from 1 to 5 after 'rating<', found '0.5'"),
        ("sentiment:great", 10, "position 10: expected positive, neutral or negative after "
                                "'sentiment:', found 'great'"),
        ("published:2026-13-01..", 10, "position 10: expected a date as YYYY-MM-DD after "
                                       "'published:', found '2026-13-01'"),
        ("published:2026-10-01..31", 22, "position 22: expected a date as YYYY-MM-DD after "
                                         "'published:2026-10-01..', found '31'"),
        ("published:..", 10, "position 10: expected a date as YYYY-MM-DD on at least one side "
                             "of '..' after 'published:'"),
        ("published:2026-10-31..2026-10-01", 10, "position 10: expected a start date on or "
         "before the end date after 'published:', found '2026-10-31..2026-10-01'"),
        # A range ends where the day after its end date starts: there is none after 9999-12-31.
        ("published:9999-12-31", 10, "position 10: expected an end date before 9999-12-31 "
                                     "after 'published:', found '9999-12-31'"),
        ("published:9999-12-30..9999-12-31", 22, "position 22: expected an end date before "
         "9999-12-31 after 'published:9999-12-30..', found '9999-12-31'"),
        ("published:..9999-12-31", 12, "position 12: expected an end date before 9999-12-31 "
                                       "after 'published:..', found '9999-12-31'"),
        ("published:10000-01-01", 10, "position 10: expected a date as YYYY-MM-DD after "
                                      "'published:', found '10000-01-01'"),
        # Forms of other query languages are errors too, never a different meaning.
        ("published>=9999-12-31", 9, "position 9: expected one of : after 'published', "
                                     "found '>='"),
        ("published:[2026-10-01 TO 2026-10-31]", 10, "position 10: expected a date as "
         "YYYY-MM-DD after 'published:', found '[2026-10-01'"),
    ],
)
def test_errors_say_where_and_what_was_expected(text: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert caught.value.position == position
    assert str(caught.value) == message
    assert caught.value.expected in message


def test_error_context_is_shortened_for_long_queries() -> None:
    with pytest.raises(QueryError, match=r"after '…[a-z ]{26}AND'$") as caught:
        parse("battery " * 10 + "AND")
    assert isinstance(caught.value, StoreError)


def test_runaway_queries_are_query_errors_not_crashes() -> None:
    with pytest.raises(QueryError, match="at most 32 nested parentheses"):
        parse("(" * 40 + "a" + ")" * 40)
    with pytest.raises(QueryError, match="at most 256 terms and operators"):
        parse("a " * 300)
    with pytest.raises(QueryError, match="at most 256 terms and operators"):
        parse("NOT " * 5000 + "a")
    assert parse("(" * 32 + "a" + ")" * 32) == a


def test_positive_leaves_skip_negations_and_fields() -> None:
    node = parse('batt* "battery life" -noon brand:acme NOT (x OR y) (电池 OR z)')
    assert positive_leaves(node) == (
        Term("batt", prefix=True), Phrase("battery life"), Term("电池"), Term("z"),
    )
    assert highlight_terms(node) == ("batt*", '"battery life"', "电池", "z")
