"""The mention record and the query AST in Elasticsearch's terms: pure functions, no I/O.

    document(mention)          the indexed document: filter keys, text fields, the record
    index_name(prefix, when)   the monthly index a mention lives in, from its own date
    compile_query(node)        the AST as bool / multi_match / prefix / term / range /
                               intervals (NEAR) / wildcard (site:) queries

User text only ever reaches Elasticsearch as the `query` of a match-type query (which is
analysed, never parsed), or as a `term`/`prefix` value; never as query_string syntax.

A term is matched by its stems and a lone CJK character by itself, as in SQLite: the
document's `stems` and `chars` fields hold the shared analyzer's streams (`analyzer.streams`,
space-separated, split by the `whitespace` analyzer), and a query sends its own; so both
backends stem with the same Snowball and find the same. Exact phrases, prefixes and
multi-character Chinese words search the fields Elasticsearch analyses (`mentionwatch_text`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from index.analyzer import fold_chinese, match_tokens, near_tokens, streams
from index.backend import response_seconds
from index.errors import QueryError
from index.keys import author_key_parts, author_parts, handle_key, key, lang_key
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
    positive_leaves,
    stars_normalized,
)
from index.record import Mention
from index.significance import STOPWORDS

__all__ = [
    "NOT_CONTENT",
    "TERMS_FIELDS",
    "TEXT_FIELDS",
    "author_key",
    "compile_query",
    "document",
    "index_name",
    "scored",
]

Query = dict[str, Any]

#: The analysed fields a term or phrase is looked for in (title + text + brand, as in SQLite).
TEXT_FIELDS = ("title", "text", "brand_name")
#: `MentionStore.terms` field names -> the keyword field holding that value's key.
TERMS_FIELDS: dict[str, str] = {
    "brand": "brand",
    "source": "source",
    "source_domain": "source_domain",
    "author": "author_name",
    "lang": "lang",
    "sentiment": "sentiment",
    "aspect": "aspects",
    "persona": "persona",
}
#: `significance.is_content_term` as a Lucene regular expression (anchored, as Lucene's
#: are) of the terms to exclude: one character, two ASCII letters or digits, a number, a
#: stopword.
NOT_CONTENT = "|".join([".", "[a-z0-9]{2}", "[0-9]+", *sorted(STOPWORDS)])
_RANGE_OPS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt"}


def index_name(prefix: str, published_at: datetime | None) -> str:
    """`prefix-YYYY.MM` from the mention's own UTC publication month, `prefix-undated`
    without one: the same mention always lands in the same index, so upserts stay
    idempotent however late it is re-crawled."""
    if published_at is None:
        return f"{prefix}-undated"
    return f"{prefix}-{published_at.astimezone(UTC):%Y.%m}"


def author_key(mention: Mention) -> str:
    """Who wrote it, as leads group authors: the source domain and the handle, else the
    name (keys), joined by U+001F, which sorts before any character they contain."""
    author = mention.author
    return "\x1f".join(author_parts(mention.source_domain, author.handle, author.name))


def document(mention: Mention) -> dict[str, Any]:
    """The document indexed for `mention`: the filter fields as the same keys queries
    compare (`index.keys`), the text fields, and the whole record to read back."""
    found = streams(mention.title, mention.text, mention.brand)
    title = streams(mention.title)  # for title:
    return {
        "id": mention.id,
        "source": key(mention.source),
        "source_domain": mention.source_domain,
        "kind": mention.kind,
        "persona": mention.advocate.persona if mention.advocate else None,
        # Every brand it names: a term filter matches any, a terms aggregation counts each.
        "brand": [key(brand) for brand in mention.brands],
        "brand_name": fold_chinese(mention.brand) if mention.brand else None,
        "lang": lang_key(mention.lang) if mention.lang else None,
        "sentiment": mention.sentiment.label if mention.sentiment else None,
        "text_sentiment": mention.text_sentiment.label if mention.text_sentiment else None,
        "aspects": [aspect.key for aspect in mention.aspects],
        "corrected": bool(mention.sentiment and mention.sentiment.corrected_by),
        "rating": round(mention.rating.normalized, 4) if mention.rating else None,
        "published_at": mention.published_at.isoformat() if mention.published_at else None,
        "collected_at": mention.collected_at.isoformat(),
        "author_name": key(mention.author.name),
        "author_handle": handle_key(mention.author.handle) if mention.author.handle else None,
        "content_hash": mention.content_hash,
        "first_reply_at": mention.first_reply_at.isoformat() if mention.first_reply_at else None,
        "replies": len(mention.brand_replies),
        "response_seconds": (response_seconds(mention.published_at, mention.first_reply_at)
                             if mention.published_at and mention.first_reply_at else None),
        "author_key": author_key(mention),
        "advocate_score": mention.advocate.score if mention.advocate else None,
        "nps_class": mention.nps_class,
        "nps_estimated": mention.nps_estimated,
        # Traditional Chinese folded to Simplified here and in queries, as the shared
        # analyzer does: Elasticsearch has no such filter built in. Hits are read from
        # `record` and highlighted by the shared highlighter, so nobody sees the folding.
        "title": fold_chinese(mention.title) if mention.title else None,
        "text": fold_chinese(mention.text),
        "stems": " ".join(found.stems),
        "chars": " ".join(found.chars),
        "title_stems": " ".join(title.stems),
        "title_chars": " ".join(title.chars),
        "record": mention.to_dict(),
    }


def _any(queries: list[Query]) -> Query:
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _text(node: Term | Phrase, *, title_only: bool = False) -> Query:
    prefix = isinstance(node, Term) and node.prefix
    stream, words = match_tokens(node.text, exact=prefix or isinstance(node, Phrase))
    if not words:
        raise QueryError(0, "a term with letters or digits", found=node.text)
    if stream != "terms":  # the analyzer's own stream: one field, already analysed
        return {"match_phrase": {("title_" if title_only else "") + stream: " ".join(words)}}
    fields = ("title",) if title_only else TEXT_FIELDS
    if prefix and len(words) == 1:
        # An exact prefix query: phrase_prefix would stop at max_expansions terms.
        return _any([{"prefix": {field: {"value": words[0]}}} for field in fields])
    # A term analysed into several tokens (a Chinese word's bigrams, `e-mail`) must match
    # them in order, like a phrase: the same as the SQLite store.
    return {"multi_match": {"query": fold_chinese(node.text),
                            "type": "phrase_prefix" if prefix else "phrase",
                            "fields": list(fields)}}


def _near(node: Near) -> Query:
    """Both sides at most `distance` positions apart, in either order (FTS5's NEAR, Lucene's
    unordered intervals with max_gaps), each side's words consecutive like a phrase: in
    the stems, as the SQLite store does, or in the words as written when a side is quoted."""
    exact = isinstance(node.left, Phrase) or isinstance(node.right, Phrase)
    sides = [(side.text, *near_tokens(side.text, exact=exact)) for side in (node.left, node.right)]
    for text, _, words in sides:
        if not words:
            raise QueryError(0, "a term with letters or digits", found=text)
    if exact:
        rule = _all_near([fold_chinese(text) for text, _, _ in sides], node.distance)
        return _any([{"intervals": {field: rule}} for field in TEXT_FIELDS])
    return {"intervals": {"stems": _all_near([" ".join(words) for _, _, words in sides],
                                             node.distance)}}


def _all_near(queries: list[str], distance: int) -> Query:
    consecutive = [{"match": {"query": query, "ordered": True, "max_gaps": 0}}
                   for query in queries]
    return {"all_of": {"intervals": consecutive, "ordered": False, "max_gaps": distance}}


def _field(field: Field) -> Query:
    # Field names and operators come from these patterns, never from the query text.
    match field:
        case Field("brand" | "source" | "sentiment" | "text_sentiment" | "kind" | "persona" as name,
                   ":", str(value)):
            return {"term": {name: key(value)}}
        case Field("replied", ":", "yes" | "no" as answered):
            # A document indexed before replies were kept has no `replies`: unanswered.
            replied = {"range": {"replies": {"gt": 0}}}
            return replied if answered == "yes" else {"bool": {"must_not": [replied]}}
        case Field("site", ":", str(value)):
            # A validated domain: no wildcard characters of its own.
            domain = key(value)
            return _any([{"term": {"source_domain": domain}},
                         {"wildcard": {"source_domain": {"value": f"*.{domain}"}}}])
        case Field("title", ":", Term() | Phrase() as leaf):
            return _text(leaf, title_only=True)
        case Field("author", ":", str(value)):
            return _any([{"term": {"author_name": key(value)}},
                         {"term": {"author_handle": handle_key(value)}}])
        case Field("author", "=", str(value)):
            return {"term": {"author_key": "\x1f".join(author_key_parts(value))}}
        case Field("lang", ":", str(value)):
            lang = lang_key(value)  # zh matches zh and zh-hans, not zhx
            return _any([{"term": {"lang": lang}}, {"prefix": {"lang": {"value": f"{lang}-"}}}])
        case Field("aspect", ":", str(value)):
            return {"terms": {"aspects": list(aspect_keys(value))}}
        case Field("rating", "=", float() | int() as stars):
            # Stored and compared at the same 4 decimals, so rating=4 equals 0.75 exactly.
            return {"term": {"rating": stars_normalized(stars)}}
        case Field("rating", op, float() | int() as stars) if op in _RANGE_OPS:
            return {"range": {"rating": {_RANGE_OPS[op]: stars_normalized(stars)}}}
        case Field("published", "..", (start, end)):
            bounds = {"gte": start, "lt": end}
            kept = {op: moment.isoformat() for op, moment in bounds.items() if moment is not None}
            return {"range": {"published_at": kept}} if kept else {"match_all": {}}
    raise QueryError(0, "a supported field filter", found=repr(field))


def compile_query(node: Node) -> Query:
    """The query AST as Elasticsearch query DSL. Text leaves score; field filters and
    negations only filter, so a match found by fields alone scores 0 (as in SQLite)."""
    match node:
        case MatchAll():
            return {"match_all": {}}
        case Term() | Phrase():
            return _text(node)
        case Near():
            return _near(node)
        case Field():
            return _field(node)
        case Not(child):
            # A missing field counts as not matching, so -brand:acme keeps brandless ones.
            return {"bool": {"must_not": [compile_query(child)]}}
        case And(children):
            scoring = [compile_query(child) for child in children if positive_leaves(child)]
            filtering = [compile_query(child) for child in children if not positive_leaves(child)]
            return {"bool": {"must": scoring, "filter": filtering}}
        case Or(children):
            return _any([compile_query(child) for child in children])
    raise QueryError(0, "a query node", found=repr(node))


def scored(node: Node) -> Query:
    """`compile_query(node)`, in filter context when no text ranks it (score 0)."""
    query = compile_query(node)
    return query if positive_leaves(node) else {"bool": {"filter": [query]}}
