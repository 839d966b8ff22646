"""The scale-out mention store: Elasticsearch through the official `elasticsearch` client.

    store = ElasticStore("http://localhost:9200")
    store.upsert(mentions)
    result = store.search("电池 OR battery", Filters(brand="Acme"), sort="newest")

Layout on the cluster, for a `prefix` (default `mentionwatch`):

- an index template `prefix-mentions` for `prefix-*` (`es_mapping.json`): keyword filter
  fields, `published_at` date, title/text/brand analysed by `mentionwatch_text` (standard
  tokenizer, cjk_width, lowercase, asciifolding, cjk_bigram), and the shared analyzer's
  stems and CJK characters (`stems`, `chars`; see `es_dsl`);
- monthly indices `prefix-YYYY.MM` chosen by each mention's own `published_at`
  (`prefix-undated` without one), all behind the alias `prefix-mentions`, which every read uses;
- `prefix-corrections`: people's sentiment labels, one document per mention id, matched
  by a higher-priority template so it never joins the alias.

A correction is applied to the stored mention when it is made, and again by every upsert
of that mention, which looks corrections up (a realtime `mget`) before writing and once
more after, re-applying any that arrived meanwhile: re-crawls and re-scoring never undo it,
and the `sentiment` filter, counts and aggregations see the corrected label. Writes refresh
before returning (`refresh=wait_for`), so a search right after an upsert sees it.

The client's major version must match the server's (elasticsearch-py 9 talks to
Elasticsearch 9); `ElasticStore` checks `info()` when it connects.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from importlib.metadata import version
from types import TracebackType
from typing import Any

import elastic_transport
import elasticsearch
from elasticsearch import Elasticsearch, helpers

from index.analyzer import highlight, tokens
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
from index.engagement import AuthorEngagement, Facts, Parent, Tally, by_authors, recommends
from index.errors import BackendUnavailable, StoreError
from index.es_dsl import (
    NOT_CONTENT,
    TERMS_FIELDS,
    compile_query,
    document,
    index_name,
    scored,
)
from index.keys import author_key, author_key_parts, spelled
from index.query import Field, MatchAll, Node, conjoin, highlight_terms
from index.record import SENTIMENT_LABELS, Mention, RecordError, SentimentLabel
from index.significance import (
    FLANKS_READ,
    MIN_FOREGROUND,
    Flank,
    flanks,
    is_bigram,
    without_junctions,
)

__all__ = ["CLIENT_MAJOR", "ElasticStore", "RejectedMentions"]

log = logging.getLogger(__name__)

#: The Elasticsearch major version this client speaks; the server's must be the same.
_CLIENT_VERSION = version("elasticsearch")
CLIENT_MAJOR = int(_CLIENT_VERSION.partition(".")[0])
_PREFIX = re.compile(r"[a-z0-9][a-z0-9_.-]{0,200}")
_CALENDAR = {"hour": "1h", "day": "1d", "week": "1w"}  # calendar units follow DST in `tz`
# Hits carry only the stored record, not the fields indexed for queries (as a filter
# object: the client's typed `source=` takes no list).
_RECORD_ONLY = {"includes": ["record"]}
_PAGE = 500  # documents per request when streaming (export, corrections, lookups)
_MAX_WINDOW = 10_000  # index.max_result_window: from + size beyond it is refused
_CONFLICT_RETRIES = 5
_KEEP_ALIVE = "2m"  # how long a point in time lives between two pages of an export
_CORRECTIONS_MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},  # to page by: sorting on _id is off by default
        "label": {"type": "keyword"},
        "by": {"type": "keyword"},
        "at": {"type": "date"},
    },
}
# Mentions of one content_hash, for `Filters.collapse`: a HyperLogLog count, exact in
# practice below its threshold (Elasticsearch's maximum) and within a few percent above.
_GROUPS = {"groups": {"cardinality": {"field": "content_hash", "precision_threshold": 40000}}}
# A group's copies, earliest published first: its representative, then the others. Also
# export's order.
_EARLIEST: list[dict[str, Any]] = [{"published_at": {"order": "asc", "missing": "_last"}},
                                   {"id": "asc"}]
# Statuses that say "not now" rather than "broken": retrying later may succeed.
_UNAVAILABLE_STATUS = frozenset({429, 502, 503, 504})


class RejectedMentions(StoreError):
    """Raised by `ElasticStore.upsert` after a bulk write in which Elasticsearch refused
    some documents; every other mention of the batch was written. `rejected` maps each
    refused mention id to Elasticsearch's reason, `new` is how many written were new."""

    def __init__(self, rejected: dict[str, str], new: int) -> None:
        self.rejected = rejected
        self.new = new
        first = next(iter(rejected.items()))
        super().__init__(
            f"{len(rejected)} mention(s) rejected by Elasticsearch, the rest were written; "
            f"first: {first[0]}: {first[1]}"
        )


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Re-raise the client's errors as StoreError, or BackendUnavailable when the
    cluster cannot be reached or is overloaded."""
    try:
        yield
    except elasticsearch.UnsupportedProductError as exc:
        raise BackendUnavailable(f"{action}: the server is not Elasticsearch ({exc})") from exc
    except elasticsearch.ApiError as exc:
        unavailable = exc.status_code in _UNAVAILABLE_STATUS
        raise (BackendUnavailable if unavailable else StoreError)(f"{action}: {exc}") from exc
    except elastic_transport.TransportError as exc:  # connection refused, timeout, TLS
        raise BackendUnavailable(f"{action}: {exc}") from exc
    except (elasticsearch.SerializationError, RecordError) as exc:
        raise StoreError(f"{action}: {exc}") from exc


def _check_server(info: dict[str, Any], where: str) -> None:
    version = info.get("version", {})
    number = str(version.get("number", "unknown"))
    if version.get("distribution") == "opensearch":
        raise BackendUnavailable(
            f"the server at {where} is OpenSearch {number}, not Elasticsearch: mentionwatch "
            f"needs Elasticsearch {CLIENT_MAJOR}.x"
        )
    major = number.partition(".")[0]
    if major != str(CLIENT_MAJOR):
        advice = f": install elasticsearch>={major},<{int(major) + 1}" if major.isdigit() else ""
        raise BackendUnavailable(
            f"the server at {where} is Elasticsearch {number}, but the installed client "
            f"(elasticsearch {_CLIENT_VERSION}) speaks only to "
            f"Elasticsearch {CLIENT_MAJOR}.x{advice}"
        )


def _mention(source: dict[str, Any]) -> Mention:
    return Mention.from_dict(source["record"])


def _count(bucket: dict[str, Any], collapse: bool) -> int:
    """A bucket's mentions, or its groups of duplicates when collapsed (see `_GROUPS`)."""
    return int(bucket["groups"]["value"] if collapse else bucket["doc_count"])


def _containing(terms: Iterable[str]) -> dict[str, Any]:
    """A `filters` aggregation with a bucket per analyzer term: the mentions whose text has it."""
    return {"filters": {"filters": {term: {"term": {"text": term}} for term in sorted(terms)}}}


def _counted(aggregation: dict[str, Any], collapse: bool) -> dict[str, Any]:
    """A bucket aggregation that also counts its groups of duplicates when collapsed."""
    if not collapse:
        return aggregation
    return {**aggregation, "aggs": {**aggregation.get("aggs", {}), **_GROUPS}}


def _collapsed_hit(hit: dict[str, Any]) -> tuple[Mention, Duplicates]:
    """A collapsed hit's group: its earliest copy, and the others."""
    copies = hit["inner_hits"]["copies"]["hits"]
    first, *others = (_mention(copy["_source"]) for copy in copies["hits"])
    count = int(copies["total"]["value"]) - 1
    return first, Duplicates(count, tuple(m.url for m in others)) if count else NO_DUPLICATES


def _first_of_each_group(mentions: Iterator[Mention]) -> Iterator[Mention]:
    """The first mention of each content_hash; in export's order, the earliest published.
    Keeps every hash seen, so memory grows with the groups."""
    seen: set[str] = set()
    for mention in mentions:
        if mention.content_hash not in seen:
            seen.add(mention.content_hash)
            yield mention


_EVIDENCE = 3
_MAX_BRANDS = 1000
_MAX_SOURCES = 1000
# Newest first, undated last, then by id: the order SQLite's leads use.
_NEWEST = [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
# What the engagement of authors reads of their mentions (`index.engagement.Facts`, and the
# date and url of those that reach a level) and of the mentions they answer.
_ENGAGEMENT_FACTS = {"includes": [
    "kind", "sentiment", "record.published_at", "record.url", "record.parent_id",
    "record.advocate.signals", "record.source_domain", "record.author.handle",
    "record.author.name"]}
_PARENT_FACTS = ("sentiment", "record.source_domain", "record.author.handle",
                 "record.author.name")
_AUTHORS_PER_QUERY = 200  # within Elasticsearch's limit of clauses
_Dated = tuple[datetime | None, str]  # a mention's publication date and url
_Parents = dict[str, tuple[SentimentLabel | None, str] | None]  # sentiment, author key


def _nps_classes(collapse: bool) -> dict[str, Any]:
    """NPS classes, then rated or estimated, of a bucket's mentions (or groups)."""
    estimated = _counted({"terms": {"field": "nps_estimated", "size": 2}}, collapse)
    return {"terms": {"field": "nps_class", "size": 3}, "aggs": {"estimated": estimated}}


def _author_of(record: dict[str, Any]) -> str:
    """The author key of a stored record (all of it, or its source domain and author)."""
    author = record["author"]
    return author_key(record["source_domain"], author.get("handle"), author["name"])


def _tally(tallies: dict[str, Tally[_Dated]], source: dict[str, Any],
           parents: _Parents) -> None:
    """Feed one mention's `_ENGAGEMENT_FACTS` (`source`), in export's order, to its author's
    tally, with what `parents` holds of the mention it answers."""
    record = source["record"]
    author = _author_of(record)
    tally = tallies.setdefault(author, Tally())
    answered = parents.get(record.get("parent_id") or "")
    parent = Parent(answered[0], answered[1] == author) if answered else None
    signals = (record.get("advocate") or {}).get("signals") or ()
    published = record.get("published_at")
    tally.add(tally.mentions,
              Facts(source["kind"], source.get("sentiment"), recommends(signals), parent),
              (datetime.fromisoformat(published) if published else None, record["url"]))


def _records(hits: dict[str, Any]) -> tuple[Mention, ...]:
    return tuple(_mention(hit["_source"]) for hit in hits["hits"]["hits"])


def _lead(bucket: dict[str, Any]) -> AuthorLead:
    [latest] = _records(bucket["latest"])
    return AuthorLead(int(bucket["doc_count"]), _records(bucket["best_hits"]), latest,
                      tuple(sorted(str(b["key"]) for b in bucket["sources"]["buckets"])))


def _nps_counts(brand: str, day: date | None, classes: dict[str, Any],
                collapse: bool) -> list[NpsCount]:
    return [NpsCount(brand, day, nps["key"], estimated["key_as_string"] == "true",
                     _count(estimated, collapse))
            for nps in classes["buckets"] for estimated in nps["estimated"]["buckets"]]


# `terms` buckets for the mentions without a sentiment or a rating: neither is ever stored.
_NO_SENTIMENT = "-"
_NO_RATING = -1


def _response_times(interval: int, seconds: dict[str, Any], collapse: bool) -> dict[str, Any]:
    """The matches whose `response_seconds` is in the range `seconds`, per `interval`."""
    histogram = {"histogram": {"field": "response_seconds", "interval": interval,
                               "min_doc_count": 1}}
    return {"filter": {"range": {"response_seconds": seconds}},
            "aggs": {"seconds": _counted(histogram, collapse)}}


def _responses(collapse: bool) -> dict[str, Any]:
    """Per brand and source: the matches answered or not, by sentiment and rating, and
    their times to a first answer (by the minute below a day, by the hour beyond)."""
    ratings = _counted({"terms": {"field": "rating", "size": 1000, "missing": _NO_RATING}},
                       collapse)
    sentiments = {"terms": {"field": "sentiment", "size": 3, "missing": _NO_SENTIMENT},
                  "aggs": {"ratings": ratings}}
    answered = {"filters": {"filters": {
        replied: compile_query(Field("replied", ":", replied)) for replied in ("yes", "no")}},
        "aggs": {"sentiments": sentiments}}
    per_source = {
        "answered": answered,
        "minutes": _response_times(60, {"lt": RESPONSE_MINUTES_BELOW}, collapse),
        "hours": _response_times(3600, {"gte": RESPONSE_MINUTES_BELOW}, collapse),
    }
    return {"terms": {"field": "brand", "size": _MAX_BRANDS},
            "aggs": {"sources": {"terms": {"field": "source", "size": _MAX_SOURCES},
                                 "aggs": per_source}}}


def _response_counts(brand: str, source: str, answered: dict[str, Any],
                     collapse: bool) -> Iterator[ResponseCount]:
    for replied, bucket in answered["buckets"].items():
        for sentiment in bucket["sentiments"]["buckets"]:
            label = None if sentiment["key"] == _NO_SENTIMENT else sentiment["key"]
            for rating in sentiment["ratings"]["buckets"]:
                value = None if rating["key"] == _NO_RATING else float(rating["key"])
                yield ResponseCount(brand, source, replied == "yes", label, value,
                                    _count(rating, collapse))


class ElasticStore:
    """A `MentionStore` on an Elasticsearch cluster. Thread-safe (the client is)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Elasticsearch | None = None,
        prefix: str = "mentionwatch",
        check_server: bool = True,
        timeout: float = 10.0,
    ) -> None:
        """Connect to `url` (or use `client`), check the server's version and install
        the index templates. `prefix` names the templates, indices and alias, so several
        stores can share a cluster. `check_server=False` skips the version check; it
        exists for the osmem smoke tests, which talk to an OpenSearch-compatible fake.
        Raises BackendUnavailable when the cluster is unreachable or of another version."""
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"prefix must be lowercase letters, digits, '_', '.' or '-', got {prefix!r}"
            )
        if (url is None) == (client is None):
            raise ValueError("give ElasticStore either a url or a client")
        self.prefix = prefix
        self.alias = f"{prefix}-mentions"
        self._corrections = f"{prefix}-corrections"
        self._owned = client is None
        self._es = client or Elasticsearch(url, request_timeout=timeout, max_retries=2,
                                           retry_on_timeout=True)
        where = url or "the given client"
        try:
            with _translated(f"cannot reach Elasticsearch at {where}"):
                info = self._es.info().body
            if check_server:
                _check_server(info, where)
            self._install()
        except BaseException:
            self.close()
            raise

    @property
    def client(self) -> Elasticsearch:
        """The underlying client, for cluster operations the store does not wrap."""
        return self._es

    def __enter__(self) -> ElasticStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- set-up ----------------------------------------------------------------------------

    def _install(self) -> None:
        template = json.loads(resources.files("index").joinpath("es_mapping.json").read_text())
        # Overlapping templates need different priorities: the longer prefix is the more
        # specific (`acme-eu-*` inside `acme-*`), and corrections beat every mention template.
        priority = 100 + len(self.prefix)
        with _translated("cannot install the index templates"):
            self._es.indices.put_index_template(
                name=self.alias, index_patterns=[f"{self.prefix}-*"], priority=priority,
                template={**template, "aliases": {self.alias: {}}},
            )
            self._es.indices.put_index_template(
                name=self._corrections, index_patterns=[self._corrections],
                priority=priority + 1000,
                template={"settings": {"number_of_shards": 1},
                          "mappings": _CORRECTIONS_MAPPING},
            )
            # Both exist from the start, so the alias always resolves and reads of an
            # empty store find nothing instead of failing.
            for name in (index_name(self.prefix, None), self._corrections):
                if not self._es.indices.exists(index=name):
                    self._es.options(ignore_status=400).indices.create(index=name)
            # Indices made by an older template lack its newer fields (the mapping is
            # strict): add them; adding a field never changes an existing one.
            self._es.indices.put_mapping(index=self.alias,
                                         properties=template["mappings"]["properties"])

    # --- helpers ---------------------------------------------------------------------------

    def _hits(self, ids: Iterable[str], *, source: bool,
              fields: tuple[str, ...] = ("record",)) -> dict[str, dict[str, Any]]:
        """The stored hit (`_index`, and the `fields` of `_source` if asked) of each of
        `ids` that exists."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _PAGE):
            chunk = wanted[start : start + _PAGE]
            response = self._es.search(
                index=self.alias, query={"ids": {"values": chunk}}, size=len(chunk),
                source={"includes": list(fields)} if source else False,
                seq_no_primary_term=True,
            )
            found.update((hit["_id"], hit) for hit in response["hits"]["hits"])
        return found

    def _latest(self, mention_id: str, index: str) -> dict[str, Any] | None:
        """The mention's hit as of now (a realtime get in `index`, where it was last seen,
        else a search, for a mention that moved meanwhile)."""
        found = self._es.options(ignore_status=404).get(
            index=index, id=mention_id, source_includes=["record"]
        )
        return found.body if found.get("found") else self._hits([mention_id], source=True).get(
            mention_id
        )

    def _pages(self, action: str, **search: Any) -> Iterator[list[dict[str, Any]]]:
        """Every hit of a search (`search`: its index, query, sort ending in a unique field
        and `_source`), a page at a time, by search_after; `action` says what failed."""
        after: list[Any] | None = None
        while True:
            with _translated(action):
                hits: list[dict[str, Any]] = self._es.search(
                    **search, size=_PAGE, search_after=after)["hits"]["hits"]
            yield hits
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    def _parents(self, ids: Iterable[str]) -> _Parents:
        """The sentiment and author key of each of `ids`; None for those not stored."""
        wanted = set(ids)
        found = self._hits(wanted, source=True, fields=_PARENT_FACTS)
        return {mention_id: (hit["_source"].get("sentiment"),
                             _author_of(hit["_source"]["record"]))
                            if (hit := found.get(mention_id)) else None
                for mention_id in wanted}

    def _corrections_of(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(label, by) of each of `ids` a person corrected; `mget` is realtime."""
        wanted = list(ids)
        if not wanted:
            return {}
        docs = self._es.mget(index=self._corrections, ids=wanted)["docs"]
        return {doc["_id"]: (doc["_source"]["label"], doc["_source"]["by"])
                for doc in docs if doc.get("found")}

    def _bulk(self, actions: list[dict[str, Any]]) -> tuple[set[str], dict[str, str]]:
        """Run `actions`; returns the ids newly created and the reasons of refused items
        (a delete of a missing document is not refused)."""
        created: set[str] = set()
        rejected: dict[str, str] = {}
        for ok, item in helpers.streaming_bulk(
            self._es, actions, chunk_size=_PAGE, raise_on_error=False, refresh="wait_for",
            max_retries=3, initial_backoff=1,  # items refused with 429 (queue full) are retried
        ):
            op, result = next(iter(item.items()))
            if ok:
                if op == "index" and result.get("result") == "created":
                    created.add(result["_id"])
            elif not (op == "delete" and result.get("status") == 404):
                error = result.get("error", {})
                reason = error.get("reason", error) if isinstance(error, dict) else error
                rejected[result["_id"]] = f"{result.get('status')} {reason}"
                log.warning("elasticsearch refused %s of mention %s in %s: %s",
                            op, result["_id"], result.get("_index"), reason)
        return created, rejected

    def _search_body(self, node: Node, sort: Sort) -> dict[str, Any]:
        query = scored(node)
        newest = [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
        order: list[Any] = ["_score", *newest] if sort == "relevance" else newest
        return {"query": query, "sort": order}

    # --- MentionStore ----------------------------------------------------------------------

    def upsert(self, mentions: Iterable[Mention]) -> int:
        """Index mentions by id with the bulk API; returns how many were new. Raises
        RejectedMentions (after writing the rest) when some documents were refused."""
        batch = {mention.id: mention for mention in mentions}  # the last of an id wins
        if not batch:
            return 0
        with _translated("cannot write mentions"):
            stored = self._hits(batch, source=False)
            corrections = self._corrections_of(batch)
            actions: list[dict[str, Any]] = []
            moved: dict[str, str] = {}  # id -> the index it leaves
            for mention in batch.values():
                if mention.id in corrections:
                    mention = apply_correction(mention, *corrections[mention.id])
                target = index_name(self.prefix, mention.published_at)
                old = stored.get(mention.id, {}).get("_index", target)
                if old != target:  # its date changed: it moves to its new month's index
                    moved[mention.id] = old
                actions.append({"_op_type": "index", "_index": target, "_id": mention.id,
                                "_source": document(mention)})
            created, rejected = self._bulk(actions)
            # The old copy goes once the new one is written (never before: a refused
            # write would lose the mention).
            self._bulk([{"_op_type": "delete", "_index": old, "_id": mention_id}
                        for mention_id, old in moved.items() if mention_id not in rejected])
            # A correction made while this batch was being written must still win.
            late = {
                mention_id: correction
                for mention_id, correction in self._corrections_of(batch).items()
                if corrections.get(mention_id) != correction and mention_id not in rejected
            }
            if late:
                self._bulk([
                    {"_op_type": "index", "_index": index_name(self.prefix, mention.published_at),
                     "_id": mention.id, "_source": document(apply_correction(mention, *label))}
                    for mention_id, label in late.items()
                    for mention in (batch[mention_id],)
                ])
        new = len(created - stored.keys())
        if rejected:
            raise RejectedMentions(rejected, new)
        return new

    def get(self, mention_id: str) -> Mention | None:
        return self.get_many([mention_id]).get(mention_id)

    def get_many(self, mention_ids: Iterable[str]) -> dict[str, Mention]:
        with _translated("cannot read mentions"):
            return {mention_id: _mention(hit["_source"])
                    for mention_id, hit in self._hits(mention_ids, source=True).items()}

    def count(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> int:
        node = resolve(query, filters)
        with _translated("cannot count mentions"):
            if filters.collapse:
                response = self._es.search(index=self.alias, query=scored(node), size=0,
                                           aggs=_GROUPS)
                return _count(response["aggregations"], collapse=True)
            return int(self._es.count(index=self.alias, query=scored(node))["count"])

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
        if page * size > _MAX_WINDOW:
            raise ValueError(f"page * size must be at most {_MAX_WINDOW} (Elasticsearch's "
                             f"result window), got {page * size}: use export for more")
        node = resolve(query, filters)
        body = self._search_body(node, sort)
        if filters.collapse:
            # One hit per content_hash (its best by `sort`), then the group earliest first.
            body["collapse"] = {"field": "content_hash", "inner_hits": {
                "name": "copies", "size": DUPLICATE_URLS + 1, "sort": _EARLIEST,
                "_source": ["record"]}}
            body["aggs"] = _GROUPS
        with _translated("cannot search mentions"):
            response = self._es.search(
                index=self.alias, **body, from_=(page - 1) * size,
                size=size, track_total_hits=True, source=_RECORD_ONLY,
            )
            found = response["hits"]["hits"]
            groups = ([_collapsed_hit(hit) for hit in found] if filters.collapse
                      else [(_mention(hit["_source"]), NO_DUPLICATES) for hit in found])
        total = (_count(response["aggregations"], collapse=True) if filters.collapse
                 else int(response["hits"]["total"]["value"]))
        # The shared highlighter, not Elasticsearch's: the same escaped snippet, with the
        # same <mark>s (a phrase marked whole), from every backend.
        terms = highlight_terms(node)
        hits = [Hit(mention, float(hit.get("_score") or 0.0), highlight(mention.text, terms),
                    duplicates)
                for hit, (mention, duplicates) in zip(found, groups, strict=True)]
        return SearchResult(total, hits)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove mentions, and their corrections, by id; returns how many existed."""
        with _translated("cannot delete mentions"):
            stored = self._hits(ids, source=False)
            _, rejected = self._bulk([
                {"_op_type": "delete", "_index": index, "_id": mention_id}
                for mention_id, hit in stored.items()
                for index in (hit["_index"], self._corrections)
            ])
        if rejected:
            raise StoreError(f"cannot delete mentions: {rejected}")
        return len(stored)

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
        node = conjoin((resolve(query, filters), Filters(since=since, until=until).as_query()))
        first, last = int(since.timestamp() * 1000), int(until.timestamp() * 1000) - 1
        aggregation = _counted({
            "date_histogram": {
                "field": "published_at", "calendar_interval": _CALENDAR[interval],
                "time_zone": tz, "min_doc_count": 0,
                "extended_bounds": {"min": first, "max": last},
            },
            "aggs": {"sentiment": _counted({"terms": {"field": "sentiment", "size": 3}},
                                           filters.collapse)},
        }, filters.collapse)
        with _translated("cannot count mentions over time"):
            response = self._es.search(index=self.alias, query=scored(node), size=0,
                                       aggs={"histogram": aggregation})
        return [
            TimeBucket(
                datetime.fromtimestamp(bucket["key"] / 1000, zone),
                _count(bucket, filters.collapse),
                dict.fromkeys(SENTIMENT_LABELS, 0) | {
                    label["key"]: _count(label, filters.collapse)
                    for label in bucket["sentiment"]["buckets"]
                },
            )
            for bucket in response["aggregations"]["histogram"]["buckets"]
            if bucket["key"] <= last  # extended_bounds may not reach past `until`
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
        node = resolve(query, filters)
        # Collapsed, the values are ranked by their groups of duplicates, not their mentions.
        most = "groups" if filters.collapse else "_count"
        aggregation = _counted({"terms": {"field": TERMS_FIELDS[field], "size": size,
                                          "order": [{most: "desc"}, {"_key": "asc"}]}},
                               filters.collapse)
        with _translated(f"cannot count {field} values"):
            response = self._es.search(index=self.alias, query=scored(node), size=0,
                                       aggs={"terms": aggregation})
        return [Bucket(str(bucket["key"]), _count(bucket, filters.collapse))
                for bucket in response["aggregations"]["terms"]["buckets"]]

    def significant_terms(
        self,
        query: Node | str = "",
        filters: Filters = NO_FILTERS,
        *,
        background: Filters = NO_FILTERS,
        size: int = 10,
    ) -> list[Bucket]:
        check_size(size)
        node = resolve(query, filters)
        significant: dict[str, Any] = {
            # Twice the size: the junctions of Chinese words are left out after.
            "field": "text", "size": 2 * size, "min_doc_count": MIN_FOREGROUND,
            "exclude": NOT_CONTENT,
            # The same press release on forty sites is one voice, not forty.
            "filter_duplicate_text": True,
        }
        background_node = background.as_query()
        if not isinstance(background_node, MatchAll):  # else the index's own term counts
            significant["background_filter"] = scored(background_node)
        aggregation = {"significant_text": significant}
        with _translated("cannot find significant terms"):
            response = self._es.search(index=self.alias, query=scored(node), size=0,
                                       aggs={"significant": aggregation})
        found = [
            Bucket(str(bucket["key"]), int(bucket["doc_count"]),
                   background=int(bucket["bg_count"]), score=float(bucket["score"]))
            for bucket in response["aggregations"]["significant"]["buckets"]
        ]
        bigrams = [b.key for b in found if is_bigram(b.key)]
        flanked, frequency = self._flanks_read(scored(node), bigrams) if bigrams else ({}, {})
        return without_junctions(found, flanked, frequency)[:size]

    def _flanks_read(
        self, foreground: dict[str, Any], bigrams: list[str]
    ) -> tuple[dict[str, list[frozenset[Flank]]], dict[str, int]]:
        """What `without_junctions` judges `bigrams` by, in two requests: the flanks of each
        in its first `FLANKS_READ` `foreground` mentions by id (their text analysed here, as
        SQLite's terms are), then in how many foreground mentions each flank found is, and
        each bigram, counted alike (significant_text's counts leave out duplicate text)."""
        read = {**_containing(bigrams),
                "aggs": {"first": {"top_hits": {"size": FLANKS_READ, "sort": [{"id": "asc"}],
                                                "_source": ["text"]}}}}
        with _translated("cannot find significant terms"):
            response = self._es.search(index=self.alias, query=foreground, size=0,
                                       aggs={"read": read})
        flanked = {
            term: [flanks(term, tokens(hit["_source"]["text"]))
                   for hit in bucket["first"]["hits"]["hits"]]
            for term, bucket in response["aggregations"]["read"]["buckets"].items()
        }
        around = {flank for mentions in flanked.values() for found in mentions
                  for pair in found for flank in pair if flank}
        if not around:
            return flanked, {}
        around.update(bigrams)
        with _translated("cannot find significant terms"):
            response = self._es.search(index=self.alias, query=foreground, size=0,
                                       aggs={"around": _containing(around)})
        return flanked, {flank: int(bucket["doc_count"]) for flank, bucket
                         in response["aggregations"]["around"]["buckets"].items()}

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
        advocate = {"bool": {
            "filter": [compile_query(resolve(query, filters)),
                       {"range": {"advocate_score": {"gte": min_score}}}],
            "must_not": [{"term": {"sentiment": "negative"}}]}}
        leads = {
            "terms": {"field": "author_key", "size": size,
                      "order": [{"best": "desc"}, {"_key": "asc"}]},
            "aggs": {
                "best": {"max": {"field": "advocate_score"}},
                "sources": {"terms": {"field": "source", "size": 100}},
                "best_hits": {"top_hits": {"size": _EVIDENCE, "_source": ["record"],
                                           "sort": [{"advocate_score": "desc"}, *_NEWEST]}},
                "latest": {"top_hits": {"size": 1, "_source": ["record"], "sort": _NEWEST}},
            },
        }
        with _translated("cannot find advocates"):
            response = self._es.search(index=self.alias, query=advocate, size=0,
                                       aggs={"leads": leads})
        return [_lead(bucket) for bucket in response["aggregations"]["leads"]["buckets"]]

    def engagement(self, brand: str,
                   author_keys: Sequence[str]) -> dict[str, AuthorEngagement]:
        """Their mentions of `brand`, the needed fields only, page by page in export's
        order (without a point in time: a lookup, not an export), and each parent once."""
        asked = list(dict.fromkeys("/".join(author_key_parts(k)) for k in author_keys))
        tallies: dict[str, Tally[_Dated]] = {}
        parents: _Parents = {}
        for start in range(0, len(asked), _AUTHORS_PER_QUERY):
            authors = by_authors(asked[start:start + _AUTHORS_PER_QUERY])
            for hits in self._pages("cannot read the engagement of authors", index=self.alias,
                                    query=scored(resolve(authors, Filters(brand=brand))),
                                    sort=_EARLIEST, source=_ENGAGEMENT_FACTS):
                sources = [hit["_source"] for hit in hits]
                answered = {record["parent_id"] for source in sources
                            if (record := source["record"]).get("parent_id")}
                with _translated("cannot read the engagement of authors"):
                    parents.update(self._parents(answered - parents.keys()))
                for source in sources:
                    _tally(tallies, source, parents)
        return {author: tallies[author].engagement(lambda dated: dated)
                for author in asked if author in tallies}

    def nps_days(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> list[NpsCount]:
        rated = {"bool": {"filter": [compile_query(resolve(query, filters)),
                                     {"exists": {"field": "nps_class"}}]}}
        brands = {
            "terms": {"field": "brand", "size": _MAX_BRANDS},
            "aggs": {
                "name": {"top_hits": {"size": 1, "_source": ["record.brand", "record.brands"]}},
                "days": {"date_histogram": {"field": "published_at", "calendar_interval": "day",
                                            "min_doc_count": 1},
                         "aggs": {"classes": _nps_classes(filters.collapse)}},
                "undated": {"missing": {"field": "published_at"},
                            "aggs": {"classes": _nps_classes(filters.collapse)}},
            },
        }
        with _translated("cannot count NPS classes"):
            response = self._es.search(index=self.alias, query=rated, size=0,
                                       aggs={"brands": brands})
        counts: list[NpsCount] = []
        for bucket in response["aggregations"]["brands"]["buckets"]:
            record = bucket["name"]["hits"]["hits"][0]["_source"]["record"]
            # A document indexed before `brands` existed names its one brand.
            name = spelled(bucket["key"], record.get("brands") or [record["brand"]])
            for day in bucket["days"]["buckets"]:
                moment = datetime.fromtimestamp(day["key"] / 1000, UTC).date()
                counts += _nps_counts(name, moment, day["classes"], filters.collapse)
            counts += _nps_counts(name, None, bucket["undated"]["classes"], filters.collapse)
        return counts

    def responses(self, query: Node | str = "",
                  filters: Filters = NO_FILTERS) -> ResponseCounts:
        node = resolve(query, filters)
        with _translated("cannot count responses"):
            response = self._es.search(index=self.alias, query=scored(node), size=0,
                                       aggs={"brands": _responses(filters.collapse)})
        found = ResponseCounts([], [])
        for brand in response["aggregations"]["brands"]["buckets"]:
            for source in brand["sources"]["buckets"]:
                where = (str(brand["key"]), str(source["key"]))
                found.counts.extend(_response_counts(*where, source["answered"],
                                                     filters.collapse))
                found.times.extend(
                    ResponseTime(*where, int(bucket["key"]), _count(bucket, filters.collapse))
                    for part in ("minutes", "hours")
                    for bucket in source[part]["seconds"]["buckets"])
        return found

    def export(self, query: Node | str = "", filters: Filters = NO_FILTERS) -> Iterator[Mention]:
        """Every match, dated ones by (published_at, id) then undated ones by id, read from
        one point in time page by page with search_after: constant memory, and unaffected
        by writes made while it runs. The query is compiled (and a QueryError raised) here,
        before the first mention. Collapsed, the first of each content_hash is kept."""
        mentions = self._export(scored(resolve(query, filters)))
        return _first_of_each_group(mentions) if filters.collapse else mentions

    def _export(self, query_dsl: dict[str, Any]) -> Iterator[Mention]:
        # The point in time is opened on the first next() and closed when the iterator
        # ends or is closed, so an iterator never started holds nothing open.
        with _translated("cannot open a point in time"):
            pit_id = self._es.open_point_in_time(index=self.alias, keep_alive=_KEEP_ALIVE)["id"]
        try:
            after: list[Any] | None = None
            while True:
                with _translated("cannot export mentions"):
                    response = self._es.search(
                        pit={"id": pit_id, "keep_alive": _KEEP_ALIVE}, query=query_dsl,
                        sort=_EARLIEST, size=_PAGE, search_after=after, source=_RECORD_ONLY,
                    )
                    pit_id = response.get("pit_id", pit_id)
                    hits = response["hits"]["hits"]
                    page = [_mention(hit["_source"]) for hit in hits]
                yield from page
                if len(hits) < _PAGE:
                    return
                after = hits[-1]["sort"]
        finally:
            with _translated("cannot close a point in time"):
                self._es.close_point_in_time(id=pit_id)

    def correct_sentiment(self, mention_id: str, label: str, by: str) -> Mention | None:
        check_correction(label, by)
        with _translated("cannot correct a mention"):
            hit = self._hits([mention_id], source=True).get(mention_id)
            if hit is None:
                return None
            # The correction first: an upsert racing with this one then finds it.
            self._es.index(
                index=self._corrections, id=mention_id, refresh="wait_for",
                document={"id": mention_id, "label": label, "by": by,
                          "at": datetime.now(UTC).isoformat()},
            )
            # Written only over the version just read: an upsert landing in between makes
            # the write conflict, and the newer mention is corrected instead.
            for _ in range(_CONFLICT_RETRIES):
                corrected = apply_correction(_mention(hit["_source"]), label, by)
                try:
                    self._es.index(
                        index=hit["_index"], id=mention_id, document=document(corrected),
                        if_seq_no=hit["_seq_no"], if_primary_term=hit["_primary_term"],
                        refresh="wait_for",
                    )
                    return corrected
                except elasticsearch.ConflictError:
                    hit = self._latest(mention_id, hit["_index"])
                    if hit is None:  # deleted meanwhile
                        return None
        raise BackendUnavailable(
            f"cannot correct mention {mention_id}: it changed {_CONFLICT_RETRIES} times "
            "while being corrected; the correction is kept and applies at its next upsert"
        )

    def corrections(self) -> Iterator[tuple[Mention, str]]:
        for hits in self._pages("cannot read corrections", index=self._corrections,
                                sort=[{"id": "asc"}]):
            with _translated("cannot read corrections"):
                labels = {hit["_id"]: hit["_source"]["label"] for hit in hits}
                stored = self._hits(labels, source=True)
                page = [(_mention(stored[mention_id]["_source"]), label)
                        for mention_id, label in labels.items() if mention_id in stored]
            yield from page  # a deleted mention's correction has nothing to refit on

    def close(self) -> None:
        if self._owned:
            self._es.close()
