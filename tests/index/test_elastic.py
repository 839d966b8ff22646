"""What is particular to the Elasticsearch store: connecting, the cluster layout, bulk
errors, corrections, aggregations and export. Each store test runs on a real cluster when
ELASTICSEARCH_URL is set, and on osmem (an in-memory OpenSearch-compatible fake) always."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import elasticsearch
import pytest
from elasticsearch import Elasticsearch

from index.analyzer import fold_chinese, tokens
from index.backend import Filters, TimeBucket
from index.elastic import CLIENT_MAJOR, ElasticStore, RejectedMentions
from index.errors import BackendUnavailable, QueryError, StoreError
from index.es_dsl import document
from index.record import Mention, Sentiment
from index.significance import FLANKS_READ
from index.stores import open_configured, open_store

MakeMention = Callable[..., Mention]


@pytest.fixture(params=["elastic", "osmem"])
def es(request: pytest.FixtureRequest) -> ElasticStore:
    store: ElasticStore = request.getfixturevalue(f"{request.param}_store")
    return store


def _at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# --- connecting ----------------------------------------------------------------------------


class _Cluster(BaseHTTPRequestHandler):
    """A scripted server on loopback: `info` for GET /, `answers` by path suffix."""

    info: dict[str, Any]
    headers_out: dict[str, str]
    answers: dict[str, tuple[int, dict[str, Any]]]

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.partition("?")[0]
        if path == "/":
            self._send(200, self.info)
            return
        for suffix, (status, body) in self.answers.items():
            if path.endswith(suffix):
                self._send(status, body)
                return
        self._send(200, {"acknowledged": True})

    do_GET = do_PUT = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def scripted() -> Iterator[Callable[..., str]]:
    """Start a scripted cluster: scripted(version=, product=, answers=) -> its URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(version: str = f"{CLIENT_MAJOR}.1.0", product: str | None = "Elasticsearch",
              answers: dict[str, tuple[int, dict[str, Any]]] | None = None) -> str:
        handler = type("Handler", (_Cluster,), {
            "info": {"version": {"number": version, "build_flavor": "default"}},
            "headers_out": {"X-Elastic-Product": product} if product else {},
            "answers": answers or {},
        })
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_unreachable_cluster_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BackendUnavailable, match=f"cannot reach Elasticsearch at .*:{port}"):
        ElasticStore(f"http://127.0.0.1:{port}", timeout=2)


def test_another_major_version_is_refused_with_the_fix(scripted: Callable[..., str]) -> None:
    url = scripted(version="8.15.0")
    with pytest.raises(BackendUnavailable) as caught:
        ElasticStore(url)
    assert str(caught.value) == (
        f"the server at {url} is Elasticsearch 8.15.0, but the installed client "
        f"(elasticsearch {elasticsearch.__versionstr__}) speaks only to Elasticsearch "
        f"{CLIENT_MAJOR}.x: install elasticsearch>=8,<9"
    )


def test_a_server_that_is_not_elasticsearch_is_refused(scripted: Callable[..., str]) -> None:
    with pytest.raises(BackendUnavailable, match="not Elasticsearch"):
        ElasticStore(scripted(product=None))


def test_opensearch_is_refused(osmem_client: Elasticsearch) -> None:
    with pytest.raises(BackendUnavailable, match=r"is OpenSearch 3\.[\d.]+, not Elasticsearch"):
        ElasticStore(client=osmem_client)


def test_client_errors_are_translated_at_the_boundary(scripted: Callable[..., str]) -> None:
    bad = {"error": {"type": "search_phase_execution_exception", "reason": "boom"}}
    url = scripted(answers={
        "/_count": (503, {"error": {"type": "unavailable_shards_exception"}}),
        "/_search": (400, bad),
    })
    with ElasticStore(url, timeout=2) as store:
        with pytest.raises(BackendUnavailable, match="cannot count mentions") as busy:
            store.count()
        with pytest.raises(StoreError, match="cannot search mentions") as broken:
            store.search("battery")
    assert not isinstance(broken.value, BackendUnavailable)
    for caught in (busy, broken):
        assert not isinstance(caught.value, elasticsearch.ApiError)
        assert isinstance(caught.value.__cause__, elasticsearch.ApiError)


def test_open_store_picks_the_backend_by_url(
    scripted: Callable[..., str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = scripted()
    with open_store(url) as store:  # type: ignore[attr-defined]
        assert isinstance(store, ElasticStore)
    monkeypatch.setenv("ELASTICSEARCH_URL", url)
    with open_configured(tmp_path / "m.db") as store:  # type: ignore[attr-defined]
        assert isinstance(store, ElasticStore)
    monkeypatch.setenv("ELASTICSEARCH_URL", "")
    with open_configured(tmp_path / "m.db") as store:  # type: ignore[attr-defined]
        assert not isinstance(store, ElasticStore)
        assert (tmp_path / "m.db").exists()


def test_a_bad_prefix_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="prefix must be lowercase"):
        ElasticStore("http://127.0.0.1:9", prefix="Mentions")


# --- layout --------------------------------------------------------------------------------


def test_mentions_live_in_monthly_indices_behind_one_alias(
    es: ElasticStore, corpus: dict[str, Mention]
) -> None:
    es.upsert(corpus.values())
    es.upsert(corpus.values())
    indices = es.client.indices.get_alias(name=es.alias).body
    assert sorted(indices) == [f"{es.prefix}-{month}"
                               for month in ("2026.09", "2026.10", "2026.11", "undated")]
    assert es.client.count(index=f"{es.prefix}-2026.10")["count"] == 6
    assert es.client.count(index=f"{es.prefix}-undated")["count"] == 0
    # The corrections index matches the prefix but is no mention index.
    assert f"{es.prefix}-corrections" not in indices


def test_a_mention_whose_date_changes_moves_without_a_copy(
    es: ElasticStore, make_mention: MakeMention
) -> None:
    first = make_mention("m1", "battery", published=_at("2026-10-31"))
    moved = make_mention("m1", "battery", published=_at("2026-11-01"))
    undated = make_mention("m1", "battery")
    assert es.upsert([first]) == 1
    assert es.upsert([moved]) == 0
    assert es.upsert([undated]) == 0
    assert es.count("battery") == 1
    assert es.get(first.id) == undated
    assert es.client.count(index=f"{es.prefix}-undated")["count"] == 1


def test_stores_with_nested_prefixes_share_a_cluster_apart(
    es: ElasticStore, make_mention: MakeMention
) -> None:
    with ElasticStore(client=es.client, prefix=f"{es.prefix}-eu", check_server=False) as eu:
        assert es.upsert([make_mention("m1", "battery", published=_at("2026-10-01"))]) == 1
        assert eu.upsert([make_mention("m2", "battery", published=_at("2026-10-01"))]) == 1
        assert (es.count("battery"), eu.count("battery")) == (1, 1)
        assert sorted(es.client.indices.get_alias(name=eu.alias)) == [f"{eu.prefix}-2026.10",
                                                                     f"{eu.prefix}-undated"]


@pytest.mark.parametrize(
    "text",
    ["The Battery-life of the Acme X1", "这款手机的电池很耐用", "電池續航很好 Acme手机",
     "Café crème", "ＡＣＭＥ ｽﾏﾎ", "电"],
)
def test_the_index_analyzer_agrees_with_the_shared_one(es: ElasticStore, text: str) -> None:
    # The store folds Traditional Chinese before Elasticsearch analyses the text.
    analysed = es.client.indices.analyze(
        index=f"{es.prefix}-undated", analyzer="mentionwatch_text", text=fold_chinese(text)
    )
    assert [token["token"] for token in analysed["tokens"]] == tokens(text)


def test_the_shared_analyzers_streams_are_split_on_spaces(es: ElasticStore) -> None:
    mapping = es.client.indices.get_mapping(index=f"{es.prefix}-undated").body
    fields = next(iter(mapping.values()))["mappings"]["properties"]
    assert fields["text"]["analyzer"] == "mentionwatch_text"
    assert fields["stems"]["analyzer"] == fields["chars"]["analyzer"] == "whitespace"
    assert fields["published_at"]["type"] == "date"
    assert fields["brand"]["type"] == "keyword"


# --- writing -------------------------------------------------------------------------------


def test_a_refused_document_is_reported_and_the_rest_land(
    es: ElasticStore, make_mention: MakeMention, caplog: pytest.LogCaptureFixture
) -> None:
    # An index made by hand with a conflicting mapping refuses what the template allows.
    es.client.indices.create(index=f"{es.prefix}-1999.01",
                             mappings={"properties": {"text": {"type": "integer"}}})
    good = make_mention("good", "battery", published=_at("2026-10-01"))
    refused = make_mention("refused", "battery", published=_at("1999-01-01"))
    with caplog.at_level(logging.WARNING, logger="index.elastic"),\
            pytest.raises(RejectedMentions) as caught:
        es.upsert([good, refused])
    assert list(caught.value.rejected) == [refused.id]
    assert caught.value.new == 1
    assert refused.id in caplog.text
    assert es.get(good.id) == good
    assert es.get(refused.id) is None
    # A mention whose move to another month is refused stays where it was.
    moving = good.with_(published_at=_at("1999-01-02"))
    with pytest.raises(RejectedMentions):
        es.upsert([moving])
    assert es.get(good.id) == good


def test_delete_removes_by_id(es: ElasticStore, corpus: dict[str, Mention]) -> None:
    es.upsert(corpus.values())
    gone = [corpus["acme_noon"].id, corpus["zh_tv"].id, "no-such-id"]
    assert es.delete(gone) == 2
    assert es.delete(gone) == 0
    assert es.count() == len(corpus) - 2
    assert es.get(corpus["acme_noon"].id) is None


# --- corrections ---------------------------------------------------------------------------


def test_a_correction_survives_re_upserts_and_drives_the_filter(
    es: ElasticStore, corpus: dict[str, Mention]
) -> None:
    es.upsert(corpus.values())
    noon = corpus["acme_noon"]
    corrected = es.correct_sentiment(noon.id, "positive", "ann")
    assert corrected is not None and corrected.sentiment is not None
    assert (corrected.sentiment.label, corrected.sentiment.corrected_by) == ("positive", "ann")
    rescored = noon.with_(sentiment=Sentiment("negative", -0.9, 0.99, "model-v2"))
    assert es.upsert([rescored]) == 0  # a re-crawl with a new model's label
    assert es.get(noon.id) == rescored.with_(
        sentiment=Sentiment("positive", 1.0, 1.0, "model-v2", corrected_by="ann"))
    assert es.count("sentiment:negative") == 1  # only acme_screen
    assert es.terms("sentiment", "brand:acme")[0].key == "positive"
    assert [(m.id, label) for m, label in es.corrections()] == [(noon.id, "positive")]
    assert es.correct_sentiment("no-such-id", "positive", "ann") is None
    with pytest.raises(ValueError, match="label must be one of"):
        es.correct_sentiment(noon.id, "great", "ann")


def test_a_correction_made_during_an_upsert_still_wins(
    es: ElasticStore, make_mention: MakeMention, monkeypatch: pytest.MonkeyPatch
) -> None:
    mention = make_mention("m1", "battery died", sentiment="negative")
    es.upsert([mention])
    bulk = es._bulk

    def correct_then_write(actions: list[dict[str, Any]]) -> Any:
        # Another process corrects the mention between this upsert's lookup and its write.
        monkeypatch.setattr(es, "_bulk", bulk)
        es.correct_sentiment(mention.id, "neutral", "ann")
        return bulk(actions)

    monkeypatch.setattr(es, "_bulk", correct_then_write)
    es.upsert([mention])
    stored = es.get(mention.id)
    assert stored is not None and stored.sentiment is not None
    assert (stored.sentiment.label, stored.sentiment.corrected_by) == ("neutral", "ann")
    assert es.count("sentiment:neutral") == 1


def test_an_upsert_during_a_correction_keeps_both(
    es: ElasticStore, make_mention: MakeMention, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = make_mention("m1", "battery died", sentiment="negative")
    new = make_mention("m1", "battery died, then the screen", sentiment="negative")
    es.upsert([old])
    hits = es._hits

    def read_then_upsert(ids: list[str], *, source: bool) -> Any:
        # A crawler re-writes the mention right after the correction has read it.
        monkeypatch.setattr(es, "_hits", hits)
        found = hits(ids, source=source)
        es.upsert([new])
        return found

    monkeypatch.setattr(es, "_hits", read_then_upsert)
    corrected = es.correct_sentiment(old.id, "neutral", "ann")
    assert corrected is not None and corrected.text == new.text
    assert es.get(old.id) == corrected
    assert es.count("sentiment:neutral screen") == 1


# --- aggregations and export ---------------------------------------------------------------


def test_histogram_counts_by_sentiment_in_the_time_zone(
    es: ElasticStore, corpus: dict[str, Mention]
) -> None:
    es.upsert(corpus.values())
    buckets = es.histogram(interval="week", tz="Asia/Shanghai",
                           since=datetime(2026, 10, 5), until=datetime(2026, 11, 2))
    starts = [bucket.start.isoformat() for bucket in buckets]
    assert starts == [f"2026-{day}T00:00:00+08:00"
                      for day in ("10-05", "10-12", "10-19", "10-26", "11-02")]
    none = {"positive": 0, "neutral": 0, "negative": 0}
    # 31 Oct 23:00 UTC and 1 Nov 00:00 UTC are both in the week of 26 Oct in Shanghai;
    # the week of 2 Nov starts before `until` (in UTC) and is empty.
    assert buckets[3] == TimeBucket(buckets[3].start, 2, {**none, "positive": 1})
    assert buckets[4] == TimeBucket(buckets[4].start, 0, none)
    assert [bucket.count for bucket in buckets] == [2, 1, 1, 2, 0]


def test_terms_and_significant_terms(es: ElasticStore, make_mention: MakeMention) -> None:
    calm = [make_mention(f"calm{i}", f"Lovely phone, camera number {i} is great",
                         brand="Acme") for i in range(12)]
    spike = [make_mention(f"spike{i}", f"The update bricked my phone, update {i} broke it",
                          brand="Acme", sentiment="negative") for i in range(6)]
    es.upsert([*calm, *spike])
    assert [(b.key, b.count) for b in es.terms("brand")] == [("acme", 18)]
    found = es.significant_terms("sentiment:negative", Filters(brand="acme"), size=3)
    assert found and found[0].key in {"update", "bricked", "broke"}
    assert found[0].count == 6 and found[0].background is not None
    keys = [bucket.key for bucket in found]
    assert "phone" not in keys  # as common in the background
    # Only in the spike, but stopwords and short words explain nothing.
    assert not {"my", "it"} & {b.key for b in es.significant_terms(
        "sentiment:negative", Filters(brand="acme"), size=20)}


def test_chinese_terms_are_judged_in_two_more_requests_at_most(
    es: ElasticStore, make_mention: MakeMention, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm = [make_mention(f"calm{i}", "Lovely phone, the camera is great", brand="Acme")
            for i in range(12)]
    spike = [make_mention(f"spike{i}", text, brand="Acme", sentiment="negative")
             for i, text in enumerate(["电池续航太短", "这次电池续航很差", "电池续航不行"] * 2)]
    es.upsert([*calm, *spike])
    aggregations: list[dict[str, Any]] = []
    search = es.client.search

    def traced(**request: Any) -> Any:
        aggregations.append(request["aggs"])
        return search(**request)

    monkeypatch.setattr(es.client, "search", traced)
    keys = [b.key for b in es.significant_terms("sentiment:negative", Filters(brand="acme"))]
    assert "池续" not in keys
    assert [list(aggs) for aggs in aggregations] == [["significant"], ["read"], ["around"]]
    read = aggregations[1]["read"]
    assert read["aggs"]["first"]["top_hits"]["size"] == FLANKS_READ
    assert set(read["filters"]["filters"]) <= {"电池", "池续", "续航"}
    aggregations.clear()
    es.significant_terms("camera", Filters(brand="acme"))  # no Chinese to judge
    assert [list(aggs) for aggs in aggregations] == [["significant"]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.search(page=101, size=100), "at most 10000 .* use export"),
        (lambda s: s.search(sort="oldest"), "sort must be one of"),
        (lambda s: s.histogram(interval="month", since=datetime(2026, 1, 1),
                               until=datetime(2026, 2, 1)), "interval must be one of"),
        (lambda s: s.histogram(tz="Mars/Olympus", since=datetime(2026, 1, 1),
                               until=datetime(2026, 2, 1)), "unknown time zone 'Mars/Olympus'"),
        (lambda s: s.histogram(since=datetime(2026, 2, 1), until=datetime(2026, 1, 1)),
         "must be before until"),
        (lambda s: s.terms("rating"), "field must be one of"),
        (lambda s: s.significant_terms(size=0), "size must be >= 1"),
    ],
)
def test_bad_arguments_are_named(
    es: ElasticStore, call: Callable[[ElasticStore], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(es)


def test_export_streams_every_match_in_order(
    es: ElasticStore, make_mention: MakeMention
) -> None:
    mentions = [make_mention(f"m{i:04}", f"battery {i}", published=_at("2026-10-01", i % 24))
                for i in range(1200)]
    undated = make_mention("undated", "battery")
    es.upsert([undated, *mentions])
    exported = es.export("battery")
    first = next(exported)
    es.upsert([make_mention("late", "battery arrives during the export")])
    assert [first, *exported] == [
        *sorted(mentions, key=lambda m: (m.published_at, m.id)), undated]


def test_a_bad_query_fails_before_streaming_starts(es: ElasticStore) -> None:
    with pytest.raises(QueryError):
        es.export("(battery")


def test_a_document_indexed_before_brands_counts_for_its_one_brand(
        es: ElasticStore, make_mention: MakeMention) -> None:
    mention = make_mention("old", "Acme was fine", brand="Acme",
                           published=_at("2026-10-01"), nps_class="promoter")
    old = document(mention)
    old["brand"] = "acme"  # one keyword, as documents were indexed then
    del old["record"]["brands"]
    es._es.index(index=es.alias, id=mention.id, document=old, refresh="wait_for")
    assert es.get(mention.id) == mention
    assert es.count("brand:acme") == 1
    assert [(c.brand, c.nps_class, c.count) for c in es.nps_days()] == [("Acme", "promoter", 1)]
