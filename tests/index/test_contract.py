"""The behaviour every MentionStore backend must have, written once and run against each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.backend import (
    NO_DUPLICATES,
    NO_FILTERS,
    Duplicates,
    Filters,
    MentionStore,
    Sort,
    TermsField,
    TimeBucket,
)
from index.engagement import AuthorEngagement, EngagementStep
from index.errors import QueryError
from index.query import Field, Or, parse
from index.record import (
    Advocate,
    Aspect,
    Author,
    BrandReply,
    Engagement,
    Mention,
    Rating,
    Sentiment,
    SentimentLabel,
)
from index.sqlite import SqliteStore

MakeMention = Callable[..., Mention]


def _sqlite(tmp_path: Path) -> Iterator[MentionStore]:
    with SqliteStore(tmp_path / "mentions.db") as store:
        yield store


# Each factory yields an empty store.
BACKENDS: dict[str, Callable[[Path], Iterator[MentionStore]]] = {"sqlite": _sqlite}
# Stores made by fixtures in conftest.py: `elastic` (skipped unless ELASTICSEARCH_URL is
# set) and `osmem` (the in-memory OpenSearch-compatible fake, for request shapes only).
FIXTURE_BACKENDS = ("elastic", "osmem")


@pytest.fixture(params=[*sorted(BACKENDS), *FIXTURE_BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MentionStore]:
    if request.param in FIXTURE_BACKENDS:
        yield request.getfixturevalue(f"{request.param}_store")
    else:
        yield from BACKENDS[request.param](tmp_path)


@pytest.fixture
def seeded(store: MentionStore, corpus: dict[str, Mention]) -> MentionStore:
    store.upsert(corpus.values())
    return store


def _found(store: MentionStore, query: str, filters: Filters = NO_FILTERS) -> set[str]:
    result = store.search(query, filters, size=100)
    assert result.total == len(result.hits) == store.count(query, filters)
    return {hit.mention.url.rsplit("/", 1)[1] for hit in result.hits}


def test_store_implements_the_protocol(store: MentionStore) -> None:
    assert isinstance(store, MentionStore)


def test_upsert_returns_how_many_were_new(store: MentionStore, corpus: dict[str, Mention]) -> None:
    assert store.upsert(corpus.values()) == len(corpus)
    assert store.upsert(corpus.values()) == 0
    assert store.upsert([]) == 0
    assert store.count() == len(corpus)


def test_upsert_is_idempotent_by_id_and_updated_fields_win(
    store: MentionStore, make_mention: MakeMention
) -> None:
    old = make_mention("m1", "The battery died", sentiment="negative")
    new = make_mention("m1", "The screen is lovely", sentiment="positive")
    assert old.id == new.id
    assert store.upsert([old]) == 1
    assert store.upsert([new]) == 0
    assert store.count() == 1
    assert store.get(new.id) == new
    assert store.count("battery") == 0  # the text index followed the update
    assert store.count("screen sentiment:positive") == 1


def test_upsert_of_one_id_twice_in_a_batch_keeps_the_last(
    store: MentionStore, make_mention: MakeMention
) -> None:
    first, last = make_mention("m1", "first text"), make_mention("m1", "last text")
    assert store.upsert([first, last]) == 1
    assert store.get(first.id) == last


def test_get_round_trips_the_record(store: MentionStore, corpus: dict[str, Mention]) -> None:
    store.upsert(corpus.values())
    for mention in corpus.values():
        assert store.get(mention.id) == mention
    assert store.get("no-such-id") is None


def test_get_many_reads_a_batch_by_id_and_leaves_out_the_unknown(
        store: MentionStore, corpus: dict[str, Mention]) -> None:
    store.upsert(corpus.values())
    wanted = [m.id for m in corpus.values()][:5]
    assert store.get_many([*wanted, "no-such-id", wanted[0]]) == {
        mention_id: store.get(mention_id) for mention_id in wanted}
    assert store.get_many([]) == {}


def test_every_field_round_trips_through_get_search_and_export(
    store: MentionStore, make_mention: MakeMention
) -> None:
    full = make_mention(
        "full", "Every field set", title="Full", brand="Acme", lang="en", parent_id="p1",
        published=datetime(2026, 10, 1, 8, 30, 15, 250000, tzinfo=UTC), sentiment="positive",
        rating=Rating(9, 10, 0), engagement=Engagement(1, 2, 3, 4, 5),
        matched_terms=("Acme", "艾克美"), nps_class="promoter", nps_estimated=True,
        advocate=Advocate(0.75, "validator", ("recommends", "detailed")),
        text_sentiment=Sentiment("negative", -0.25, 0.5, "text"),
    ).with_(author=Author("Ann", handle="@ann", url="https://a.example/ann", followers=12,
                          verified=True))
    store.upsert([full])
    assert store.get(full.id) == full
    assert store.search("field").hits[0].mention == full
    assert list(store.export()) == [full]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A term finds its stem's other forms; a quoted one only itself.
        ("battery", {"acme_battery", "acme_noon", "globex_support"}),
        ("BATTERY", {"acme_battery", "acme_noon", "globex_support"}),
        ("batteries", {"acme_battery", "acme_noon", "globex_support"}),
        ('"batteries"', {"globex_support"}),
        ('"battery"', {"acme_battery", "acme_noon"}),
        ("answering", {"globex_support"}),
        ("battery life", {"acme_battery", "acme_noon"}),
        ('"battery life"', {"acme_battery"}),
        ("batter*", {"acme_battery", "acme_noon", "globex_support"}),
        ("battery NOT noon", {"acme_battery", "globex_support"}),
        ("battery -noon", {"acme_battery", "globex_support"}),
        ('battery -"by noon"', {"acme_battery", "globex_support"}),
        ("noon OR excellent", {"acme_battery", "acme_noon"}),
        ("screen", {"acme_screen"}),  # in the title only
        ("globex", {"globex_support", "zh_tv"}),  # the brand name is searchable
        ("(battery OR glass) brand:acme -noon", {"acme_battery", "acme_screen"}),
        ("brand:acme OR spam", {"acme_battery", "acme_noon", "acme_screen", "zh_battery",
                                "zh_hant_battery", "spam"}),
        ("nothing-matches-this", set()),
    ],
)
def test_text_queries(seeded: MentionStore, query: str, expected: set[str]) -> None:
    assert _found(seeded, query) == expected


def test_a_query_of_negations_alone_means_everything_else(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    assert _found(seeded, "-spam") == set(corpus) - {"spam"}
    assert _found(seeded, "NOT spam -battery") == set(corpus) - {"spam", "acme_battery",
                                                                  "acme_noon", "globex_support"}


def test_empty_query_matches_everything(seeded: MentionStore, corpus: dict[str, Mention]) -> None:
    assert _found(seeded, "") == set(corpus)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Traditional and Simplified find each other; not 电视很好, which shares 电.
        ("电池", {"zh_battery", "zh_hant_battery"}),
        ("電池", {"zh_battery", "zh_hant_battery"}),
        ("电视", {"zh_tv"}),
        ("很好", {"zh_tv", "zh_hant_battery"}),
        ("手机的电池", {"zh_battery"}),
        ('"手机电池"', set()),  # 的 stands between them
        ("电池 OR 電池 OR battery", {"zh_battery", "zh_hant_battery", "acme_battery",
                                    "acme_noon", "globex_support"}),
        # One character finds every run it stands in, first, inside or last.
        ("电", {"zh_battery", "zh_tv", "zh_hant_battery"}),
        ('"電"', {"zh_battery", "zh_tv", "zh_hant_battery"}),
        ("航", {"zh_hant_battery"}),
        ("好", {"zh_tv", "zh_hant_battery"}),
        ("电 -视", {"zh_battery", "zh_hant_battery"}),
        ("裂", set()),
        ("電池 續航", {"zh_hant_battery"}),
        ("电池 -耐用", {"zh_hant_battery"}),
    ],
)
def test_chinese_queries(seeded: MentionStore, query: str, expected: set[str]) -> None:
    assert _found(seeded, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lang:zh", {"zh_battery", "zh_tv", "zh_hant_battery"}),
        ("lang:zh-Hant", {"zh_hant_battery"}),
        ("lang:ZH-hans", {"zh_battery"}),
        ("lang:en", {"acme_battery", "acme_noon", "acme_screen", "globex_support", "spam"}),
        ("lang:en-gb", {"globex_support"}),
        ("brand:ACME", {"acme_battery", "acme_noon", "acme_screen", "zh_battery",
                        "zh_hant_battery"}),
        ('brand:"globex corp"', {"globex_support", "zh_tv"}),
        ("-brand:acme", {"globex_support", "zh_tv", "spam"}),  # keeps the brandless
        ("source:TrustPilot", {"acme_battery"}),
        ("author:alice", {"acme_battery"}),  # the handle
        ("author:@alice", {"acme_battery"}),
        ('author:"Alice Chen"', {"acme_battery"}),
        ("author:小王", {"zh_battery"}),
        ("sentiment:negative", {"acme_noon", "acme_screen"}),
        ("sentiment:neutral", {"globex_support"}),
        # Stars on any scale: 4 of 1..5 is 4 stars, 8 of 0..10 is 4.2, 2 of 1..5 is 2.
        ("rating>=4", {"acme_battery", "zh_battery", "zh_hant_battery"}),
        ("rating=4", {"zh_battery"}),
        ("rating>4 rating<5", {"zh_hant_battery"}),
        ("rating<=2", {"acme_noon"}),
        ("rating<2", set()),
        ("-rating>=4 lang:zh", {"zh_tv"}),  # keeps the unrated
        ("published:2026-10-01..2026-10-31",
         {"acme_battery", "acme_noon", "acme_screen", "zh_battery", "zh_tv", "zh_hant_battery"}),
        ("published:2026-11-01..", {"spam"}),
        ("published:..2026-09-30", {"globex_support"}),
        ("published:2026-10-05", {"acme_battery"}),
        ("battery published:2026-10-10..", {"acme_noon"}),
    ],
)
def test_field_filters(seeded: MentionStore, query: str, expected: set[str]) -> None:
    assert _found(seeded, query) == expected


@pytest.mark.parametrize(
    ("query", "filters", "expected"),
    [
        ("battery OR 电池", Filters(brand="acme"), {"acme_battery", "acme_noon", "zh_battery",
                                                    "zh_hant_battery"}),
        ("", Filters(lang="zh", sentiment="positive", source="mastodon"), {"zh_hant_battery"}),
        ("", Filters(brand="", source=""), None),  # empty parameters filter nothing
        (
            "brand:acme",
            Filters(since=datetime(2026, 10, 10, 12, tzinfo=UTC),
                    until=datetime(2026, 10, 31, 23, tzinfo=UTC)),
            {"zh_battery", "acme_noon"},  # since inclusive, until exclusive
        ),
        ("", Filters(since=datetime(2026, 11, 1)), {"spam"}),  # naive means UTC
        ("-battery", Filters(until=datetime(2026, 10, 3, tzinfo=UTC)), {"acme_screen"}),
    ],
)
def test_filters_are_anded_with_the_query(
    seeded: MentionStore,
    corpus: dict[str, Mention],
    query: str,
    filters: Filters,
    expected: set[str] | None,
) -> None:
    assert _found(seeded, query, filters) == (set(corpus) if expected is None else expected)


def test_pagination_total_and_newest_order(
    store: MentionStore, make_mention: MakeMention
) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    mentions = [
        make_mention(f"m{i:02}", f"battery report {i}", published=start + timedelta(hours=i))
        for i in range(25)
    ]
    store.upsert(mentions)
    pages = [store.search("battery", sort="newest", page=page, size=10) for page in (1, 2, 3, 4)]
    assert [page.total for page in pages] == [25] * 4
    assert [len(page.hits) for page in pages] == [10, 10, 5, 0]
    order = [hit.mention for page in pages for hit in page.hits]
    assert order == sorted(mentions, key=lambda m: m.published_at or start, reverse=True)


def test_relevance_pages_keep_the_total_past_the_last_page(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert(make_mention(f"r{i:02}", "battery " * (1 + i % 5) + f"note {i}", brand="Acme")
                 for i in range(25))
    pages = [store.search("battery", Filters(brand="acme"), page=page, size=10)
             for page in (1, 2, 3, 4)]
    assert [(page.total, len(page.hits)) for page in pages] == [(25, 10), (25, 10), (25, 5),
                                                                 (25, 0)]
    scores = [hit.score for page in pages for hit in page.hits]
    assert scores == sorted(scores, reverse=True)
    assert len({hit.mention.id for page in pages for hit in page.hits}) == 25


def test_newest_breaks_ties_by_id_and_puts_undated_last(
    store: MentionStore, make_mention: MakeMention
) -> None:
    when = datetime(2026, 10, 1, tzinfo=UTC)
    same = [make_mention(key, "same time", published=when) for key in ("a", "b", "c")]
    undated = make_mention("undated", "no date")
    store.upsert([undated, *same])
    hits = store.search(sort="newest").hits
    assert [hit.mention for hit in hits] == [*sorted(same, key=lambda m: m.id), undated]


def test_relevance_puts_the_better_match_first(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert([
        make_mention("weak", "A long review about many things: the screen, the case, the "
                             "price, the shipping, and in passing the battery."),
        make_mention("strong", "Battery, battery, battery: the battery is everything."),
        make_mention("none", "Nothing relevant here."),
    ])
    hits = store.search("battery").hits
    assert [hit.mention.text.split()[0] for hit in hits] == ["Battery,", "A"]
    assert hits[0].score > hits[1].score > 0


def test_hits_carry_an_escaped_highlight(store: MentionStore, make_mention: MakeMention) -> None:
    store.upsert([
        make_mention("xss", "<script>alert(1)</script> battery life is great"),
        make_mention("zh", "这款手机的电池很耐用"),
    ])
    (hit,) = store.search('"battery life"').hits
    assert hit.highlight == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>battery life</mark> is great"
    )
    (hit,) = store.search("电池 -battery").hits
    assert hit.highlight == "这款手机的<mark>电池</mark>很耐用"


def test_a_parsed_query_works_like_its_text(seeded: MentionStore) -> None:
    assert seeded.count(parse("battery -noon")) == seeded.count("battery -noon") == 2


def test_bad_query_raises_query_error(seeded: MentionStore) -> None:
    with pytest.raises(QueryError) as caught:
        seeded.search("(battery")
    assert caught.value.position == 8
    with pytest.raises(QueryError):
        seeded.count("foo:bar")


def test_updated_sentiment_changes_what_filters_find(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    corrected = replace(
        corpus["acme_noon"], sentiment=Sentiment("positive", 0.4, 1.0, "test", corrected_by="ann")
    )
    seeded.upsert([corrected])
    assert _found(seeded, "sentiment:negative") == {"acme_screen"}


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_by_id_and_counts_what_existed(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    gone = [corpus["acme_noon"].id, corpus["zh_battery"].id]
    assert seeded.delete([*gone, gone[0], "no-such-id"]) == 2
    assert seeded.get(gone[0]) is None
    assert _found(seeded, "battery OR 电池") == {"acme_battery", "globex_support",
                                                 "zh_hant_battery"}
    assert seeded.count() == len(corpus) - 2
    assert seeded.delete(gone) == 0
    assert seeded.delete([]) == 0


# --- histogram ------------------------------------------------------------------------------


def _buckets(buckets: list[TimeBucket]) -> list[tuple[str, int, dict[str, int]]]:
    return [(b.start.isoformat(), b.count, b.by_sentiment) for b in buckets]


def _by(positive: int = 0, neutral: int = 0, negative: int = 0) -> dict[str, int]:
    return {"positive": positive, "neutral": neutral, "negative": negative}


def test_histogram_fills_empty_days_and_counts_by_sentiment(seeded: MentionStore) -> None:
    buckets = seeded.histogram(
        "brand:acme", interval="day", since=datetime(2026, 10, 9, 6, tzinfo=UTC),
        until=datetime(2026, 10, 13, tzinfo=UTC),
    )
    assert _buckets(buckets) == [
        ("2026-10-09T00:00:00+00:00", 0, _by()),
        ("2026-10-10T00:00:00+00:00", 1, _by(positive=1)),  # zh_battery
        ("2026-10-11T00:00:00+00:00", 0, _by()),
        ("2026-10-12T00:00:00+00:00", 0, _by()),  # zh_tv is Globex's
    ]


def test_histogram_counts_only_since_until_and_unlabelled_in_the_total(
    seeded: MentionStore,
) -> None:
    (bucket,) = seeded.histogram(
        "", interval="week", since=datetime(2026, 11, 1), until=datetime(2026, 11, 2),
    )
    # 2026-11-01 is a Sunday: its week began on Monday 26 October, when zh_hant_battery
    # (31 October) falls before `since` and is not counted; spam has no sentiment.
    assert _buckets([bucket]) == [("2026-10-26T00:00:00+00:00", 1, _by())]


def test_histogram_buckets_are_local_to_the_time_zone(
    store: MentionStore, make_mention: MakeMention
) -> None:
    # New York leaves daylight saving time at 02:00 local on Sunday 1 November 2026.
    times = {
        "late": datetime(2026, 10, 31, 3, 30, tzinfo=UTC),  # 23:30 on 30 October in New York
        "sat": datetime(2026, 10, 31, 4, 30, tzinfo=UTC),  # 00:30 on 31 October
        "sun": datetime(2026, 11, 2, 4, 59, tzinfo=UTC),  # 23:59 on 1 November (EST)
        "mon": datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # 00:00 on 2 November
    }
    store.upsert(make_mention(key, "tz test", published=when, sentiment="negative")
                 for key, when in times.items())
    days = store.histogram("tz", interval="day", tz="America/New_York",
                           since=datetime(2026, 10, 31, 4, tzinfo=UTC),
                           until=datetime(2026, 11, 3, 5, tzinfo=UTC))
    assert _buckets(days) == [
        ("2026-10-31T00:00:00-04:00", 1, _by(negative=1)),
        ("2026-11-01T00:00:00-04:00", 1, _by(negative=1)),  # 25 hours long
        ("2026-11-02T00:00:00-05:00", 1, _by(negative=1)),
    ]
    hours = store.histogram("tz", interval="hour", tz="Asia/Kolkata",
                            since=datetime(2026, 10, 31, 3, tzinfo=UTC),
                            until=datetime(2026, 10, 31, 5, tzinfo=UTC))
    assert [(b.start.isoformat(), b.count) for b in hours] == [
        ("2026-10-31T08:00:00+05:30", 0),  # 02:30 UTC, before `since`: a whole local hour
        ("2026-10-31T09:00:00+05:30", 1),  # late, at 03:30 UTC
        ("2026-10-31T10:00:00+05:30", 1),  # sat, at 04:30 UTC
    ]


def test_histogram_rejects_a_bad_time_zone_or_range(seeded: MentionStore) -> None:
    since, until = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="Mars/Olympus"):
        seeded.histogram(interval="day", tz="Mars/Olympus", since=since, until=until)
    with pytest.raises(ValueError, match="before"):
        seeded.histogram(interval="day", since=until, until=since)


# --- terms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "query", "expected"),
    [
        ("brand", "", [("acme", 5), ("globex corp", 2)]),  # keys as the filter compares them
        ("sentiment", "brand:acme", [("positive", 3), ("negative", 2)]),
        ("lang", "lang:zh", [("zh", 1), ("zh-hans", 1), ("zh-hant", 1)]),
        ("source", "battery", [("appstore", 1), ("reddit", 1), ("trustpilot", 1)]),
        ("source_domain", "", [("reviews.example", 8)]),
        ("author", "brand:acme sentiment:negative", [("bob", 1), ("carol", 1)]),
    ],
)
def test_terms_counts_field_values_among_the_matches(
    seeded: MentionStore, field: TermsField, query: str, expected: list[tuple[str, int]]
) -> None:
    assert [(b.key, b.count) for b in seeded.terms(field, query)] == expected


def test_terms_keeps_the_most_frequent_and_honours_filters(seeded: MentionStore) -> None:
    assert [(b.key, b.count) for b in seeded.terms("sentiment", size=1)] == [("positive", 4)]
    found = seeded.terms("brand", filters=Filters(since=datetime(2026, 10, 11, tzinfo=UTC)))
    assert [(b.key, b.count) for b in found] == [("acme", 2), ("globex corp", 1)]


# --- significant terms ----------------------------------------------------------------------


def _spike(store: MentionStore, make_mention: MakeMention) -> None:
    """A baseline of ordinary negative mentions, then an hour of complaints about heat."""
    ordinary = ["The delivery took a week and the box was damaged",
                "Support never answered my email about the screen",
                "The screen scratches easily and the price is high",
                "Battery life is shorter than the advert claimed"]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    store.upsert(
        make_mention(f"base{i}", ordinary[i % 4], published=start + timedelta(hours=5 * i),
                     brand="Acme", sentiment="negative")
        for i in range(40)
    )
    spike = start + timedelta(days=10)
    endings = ["the case gets hot"] * 3 + ["I worry"] * 2
    store.upsert([
        *(make_mention(f"hot{i}", f"My phone is overheating, {endings[i]} {i}",
                       published=spike + timedelta(minutes=i), brand="Acme",
                       sentiment="negative") for i in range(5)),
        make_mention("twice1", "A strange rattle inside, and the screen", published=spike,
                     brand="Acme", sentiment="negative"),
        make_mention("twice2", "That rattle again", published=spike, brand="Acme",
                     sentiment="negative"),
    ])


def test_significant_terms_find_what_a_spike_is_about(
    store: MentionStore, make_mention: MakeMention
) -> None:
    _spike(store, make_mention)
    spike = datetime(2026, 10, 11, tzinfo=UTC)
    found = store.significant_terms(
        "", Filters(brand="acme", since=spike, until=spike + timedelta(hours=1)),
        background=Filters(brand="acme", until=spike),
    )
    keys = [b.key for b in found]
    assert keys[:4] == ["overheating", "phone", "case", "gets"] or keys[:2] == [
        "overheating", "phone"]
    top = found[0]
    assert (top.count, top.background) == (5, 0)
    assert top.score is not None and top.score > found[2].score > 0  # type: ignore[operator]
    assert "hot" in keys
    assert not {"rattle", "worry"} & set(keys)  # in two foreground mentions only
    assert not {"the", "is", "my", "i"} & set(keys)  # stopwords and short words
    assert "screen" not in keys  # in the spike, but no more common than before it


def test_significant_terms_against_the_whole_store(
    store: MentionStore, make_mention: MakeMention
) -> None:
    _spike(store, make_mention)
    found = store.significant_terms("overheating OR rattle")
    assert found[0].key == "overheating"
    assert (found[0].count, found[0].background) == (5, 5)
    assert "hot" in [b.key for b in found]


def test_significant_chinese_terms_are_words_not_the_junctions_between_them(
    store: MentionStore, make_mention: MakeMention
) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    ordinary = ["快递很快，包装完好", "客服态度很好", "屏幕清晰好看"] * 4
    store.upsert(make_mention(f"base{i}", text, published=start + timedelta(hours=i),
                              brand="Acme") for i, text in enumerate(ordinary))
    spike = start + timedelta(days=5)
    store.upsert(make_mention(f"spike{i}", text, published=spike + timedelta(minutes=i),
                              brand="Acme", sentiment="negative")
                 for i, text in enumerate(["电池续航太短了", "这次电池续航很差", "电池续航不行",
                                           "电池续航让人失望"]))
    found = store.significant_terms(
        "", Filters(brand="acme", since=spike, until=spike + timedelta(hours=1)),
        background=Filters(brand="acme", until=spike))
    keys = [b.key for b in found]
    assert {"电池", "续航"} <= set(keys)
    assert "池续" not in keys  # 电池 + 续航: a junction no one wrote


def _chinese_spike(store: MentionStore, make_mention: MakeMention, baseline: list[str],
                   spike: list[str]) -> list[str]:
    """The significant terms of an hour of `spike` texts against a day of `baseline` ones."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    store.upsert(make_mention(f"base{i}", text, published=start + timedelta(hours=i),
                              brand="Acme") for i, text in enumerate(baseline))
    hour = start + timedelta(days=5)
    store.upsert(make_mention(f"spike{i}", text, published=hour + timedelta(minutes=i),
                              brand="Acme", sentiment="negative")
                 for i, text in enumerate(spike))
    return [b.key for b in store.significant_terms(
        "", Filters(brand="acme", since=hour, until=hour + timedelta(hours=1)),
        background=Filters(brand="acme", until=hour))]


def test_a_chinese_junction_goes_though_the_words_it_joins_are_not_rising(
    store: MentionStore, make_mention: MakeMention
) -> None:
    # 电池 and 续航 are in every mention before as after, so only 池续 and 发热 rise.
    keys = _chinese_spike(store, make_mention, ["电池不错，续航也长"] * 12, [
        "电池续航太短，还发热", "这次电池续航很差，发热", "电池续航不行，发热严重",
        "电池续航让人失望，发热"])
    assert "发热" in keys
    assert "池续" not in keys


def test_a_chinese_word_beside_common_words_sharing_its_characters_is_kept(
    store: MentionStore, make_mention: MakeMention
) -> None:
    # 持续 ends in 续 and 航班 starts with 航, each in as many mentions as 续航; 续航 stands
    # after the particle 的 or alone, and once after 持续 (保持续航): a word all the same.
    keys = _chinese_spike(store, make_mention, ["快递很快，包装完好", "客服态度很好"] * 6, [
        "续航持续下降，航班上就没电了", "耳机的续航不行，持续掉电，航班上没法用",
        "续航很短，持续使用两小时，航班延误时没电", "手机的续航很差，持续发热，航班上用不了",
        "保持续航要关蓝牙，航班上更要"])
    assert {"续航", "持续", "航班"} <= set(keys)


# --- export ---------------------------------------------------------------------------------


def test_export_streams_every_match_in_date_then_id_order(
    store: MentionStore, make_mention: MakeMention
) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    # More than one batch of any backend's cursor, with ties on the date.
    mentions = [
        make_mention(f"e{i:04}", f"export {'battery' if i % 3 else 'screen'} {i}",
                     published=start + timedelta(minutes=i // 4))
        for i in range(1201)
    ]
    undated = [make_mention(f"u{i}", "export battery undated") for i in range(3)]
    store.upsert([*mentions, *undated])
    exported = list(store.export("export"))
    assert exported == [
        *sorted(mentions, key=lambda m: (m.published_at, m.id)),
        *sorted(undated, key=lambda m: m.id),
    ]
    batteries = list(store.export("battery", Filters(since=start + timedelta(minutes=100))))
    assert [m.text for m in batteries] == [
        m.text for m in sorted(mentions, key=lambda m: (m.published_at, m.id))
        if "battery" in m.text and m.published_at >= start + timedelta(minutes=100)
    ]


def test_export_of_a_bad_query_fails_at_once(seeded: MentionStore) -> None:
    with pytest.raises(QueryError):
        seeded.export("(battery")


def test_text_sentiment_finds_what_the_text_says_beside_the_overall_label(
    store: MentionStore, make_mention: MakeMention
) -> None:
    def says(label: SentimentLabel) -> Sentiment:
        return Sentiment(label, 0.0, 0.9, "test")

    store.upsert([
        # Five stars, overall positive, but the text complains.
        make_mention("complains", "Five stars but the battery is awful", rating=Rating(5, 5, 1),
                     sentiment="positive", text_sentiment=says("negative")),
        make_mention("polite", "Lovely staff, shame it broke", rating=Rating(2, 5, 1),
                     sentiment="negative", text_sentiment=says("positive")),
        make_mention("angry", "The battery died", sentiment="negative",
                     text_sentiment=says("negative")),
        make_mention("unscored", "No model saw this battery"),
    ])
    assert _found(store, "text_sentiment:negative") == {"complains", "angry"}
    assert _found(store, "rating>=4 text_sentiment:negative") == {"complains"}
    assert _found(store, "sentiment:positive text_sentiment:NEGATIVE") == {"complains"}
    assert _found(store, "battery -text_sentiment:negative") == {"unscored"}
    # A person's correction changes the overall label, not what the text model said.
    polite = make_mention("polite", "Lovely staff, shame it broke")
    store.correct_sentiment(polite.id, "neutral", "ann")
    assert _found(store, "text_sentiment:positive") == {"polite"}
    assert _found(store, "sentiment:neutral") == {"polite"}
    found = store.get(polite.id)
    assert found is not None and found.text_sentiment == says("positive")


def test_aspect_finds_what_a_mention_says_about_an_aspect_and_with_which_polarity(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert([
        # Overall positive, but what it says about the battery is negative.
        make_mention("mixed", "Great phone, awful battery", sentiment="positive",
                     aspects=(Aspect("design", "positive"), Aspect("battery", "negative"))),
        make_mention("praise", "电池很耐用", sentiment="positive",
                     aspects=(Aspect("battery", "positive"),)),
        make_mention("life", "Battery life: meh", sentiment="negative",
                     aspects=(Aspect("battery life", "negative"),)),
        make_mention("none", "The battery was mentioned nowhere as an aspect"),
    ])
    assert _found(store, "aspect:battery") == {"mixed", "praise"}
    assert _found(store, "aspect:BATTERY:negative") == {"mixed"}
    assert _found(store, "aspect:battery sentiment:negative") == set()  # overall label
    assert _found(store, "aspect:battery sentiment:positive") == {"mixed", "praise"}
    assert _found(store, 'aspect:"battery life":negative') == {"life"}
    assert _found(store, "-aspect:battery battery") == {"life", "none"}
    assert _found(store, "aspect:battery:negative OR aspect:battery:positive") == {
        "mixed", "praise"}
    assert [(b.key, b.count) for b in store.terms("aspect", size=10)] == [
        ("battery life:negative", 1), ("battery:negative", 1), ("battery:positive", 1),
        ("design:positive", 1)]
    mixed = make_mention("mixed", "Great phone, awful battery")
    found = store.get(mixed.id)
    assert found is not None and found.aspects == (Aspect("design", "positive"),
                                                   Aspect("battery", "negative"))


# --- corrections ----------------------------------------------------------------------------


def test_a_correction_wins_everywhere_and_survives_re_upserts(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    noon = corpus["acme_noon"]
    corrected = seeded.correct_sentiment(noon.id, "positive", "ann@example.com")
    assert corrected is not None
    assert corrected.sentiment == Sentiment("positive", 1.0, 1.0, "test",
                                            corrected_by="ann@example.com")
    assert corrected.with_(sentiment=noon.sentiment) == noon
    # A re-crawl, re-scored by the model as negative again, keeps the person's label.
    assert seeded.upsert([noon.with_(text="Life is too short for a battery that dies.")]) == 0
    again = seeded.get(noon.id)
    assert again is not None and again.sentiment == corrected.sentiment
    assert again.text == "Life is too short for a battery that dies."
    assert _found(seeded, "sentiment:negative") == {"acme_screen"}
    assert _found(seeded, "battery sentiment:positive") == {"acme_battery", "acme_noon"}
    (hit,) = seeded.search("dies").hits
    assert hit.mention.sentiment == corrected.sentiment
    exported = {m.id: m for m in seeded.export("brand:acme")}
    assert exported[noon.id].sentiment == corrected.sentiment
    assert {b.key: b.count for b in seeded.terms("sentiment", "brand:acme")} == {
        "positive": 4, "negative": 1}
    (day,) = seeded.histogram("brand:acme", since=datetime(2026, 10, 20, tzinfo=UTC),
                              until=datetime(2026, 10, 21, tzinfo=UTC))
    assert day.by_sentiment == _by(positive=1)
    assert [(m.id, label) for m, label in seeded.corrections()] == [(noon.id, "positive")]


def test_a_later_correction_replaces_an_earlier_one(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    screen = corpus["acme_screen"].id
    seeded.correct_sentiment(screen, "positive", "ann")
    seeded.correct_sentiment(screen, "neutral", "bo")
    mention = seeded.get(screen)
    assert mention is not None and mention.sentiment is not None
    assert (mention.sentiment.label, mention.sentiment.score, mention.sentiment.corrected_by) \
        == ("neutral", 0.0, "bo")
    assert [(m.id, label) for m, label in seeded.corrections()] == [(screen, "neutral")]


def test_a_mention_without_sentiment_can_be_corrected(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    corrected = seeded.correct_sentiment(corpus["spam"].id, "negative", "ann")
    assert corrected is not None and corrected.sentiment is not None
    assert (corrected.sentiment.label, corrected.sentiment.score) == ("negative", -1.0)
    assert _found(seeded, "spam sentiment:negative") == {"spam"}


def test_a_bad_correction_is_refused_and_an_unknown_id_is_none(
    seeded: MentionStore, corpus: dict[str, Mention]
) -> None:
    with pytest.raises(ValueError, match=r"positive, neutral, negative.*'great'"):
        seeded.correct_sentiment(corpus["spam"].id, "great", "ann")
    with pytest.raises(ValueError, match="by"):
        seeded.correct_sentiment(corpus["spam"].id, "positive", " ")
    assert seeded.correct_sentiment("no-such-id", "positive", "ann") is None
    assert list(seeded.corrections()) == []


# --- NEAR, title:, site:, kind:, persona: -----------------------------------------------


def test_near_finds_both_within_n_words_of_each_other_in_either_order(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert([
        make_mention("adjacent", "Battery charging is slow"),
        make_mention("reversed", "Charging the battery overnight"),
        make_mention("apart", "The battery lasts long but charging is slow"),
        make_mention("far", "The battery is fine, the screen is bright, the case is solid, "
                            "and charging is slow"),
        make_mention("alone", "A battery and nothing more"),
    ])
    assert _found(store, "battery NEAR/0 charging") == {"adjacent"}
    assert _found(store, "charging NEAR/1 BATTERY") == {"adjacent", "reversed"}
    assert _found(store, "battery NEAR/3 charging") == {"adjacent", "reversed", "apart"}
    assert _found(store, "battery NEAR/100 charging") == {"adjacent", "reversed", "apart", "far"}
    # A phrase counts from its last word: lasts, long, but, charging.
    assert _found(store, '"battery lasts" NEAR/2 charging') == {"apart"}
    assert _found(store, "battery NEAR/1 charging NEAR/1 slow") == {"adjacent"}
    assert _found(store, "battery -(battery NEAR/3 charging)") == {"far", "alone"}
    assert _found(store, "battery NEAR/1 charging OR nothing") == {"adjacent", "reversed",
                                                                  "alone"}
    (hit,) = store.search("battery NEAR/0 charging").hits
    assert hit.highlight == "<mark>Battery</mark> <mark>charging</mark> is slow"
    # Stems on both sides, as a word's other forms are found anywhere; quoted, as written.
    assert _found(store, "batteries NEAR/0 charges") == {"adjacent"}
    assert _found(store, '"batteries" NEAR/3 charging') == set()


def test_title_finds_words_in_the_title_only(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert([
        make_mention("in_title", "Lasts two days.", title="Battery life"),
        make_mention("in_text", "The battery life is great.", title="Great phone"),
        make_mention("zh", "很好", title="電池續航"),
        make_mention("untitled", "battery"),
    ])
    assert _found(store, "battery") == {"in_title", "in_text", "untitled"}
    assert _found(store, "title:battery") == {"in_title"}
    assert _found(store, "title:BATT*") == {"in_title"}
    assert _found(store, 'title:"battery life"') == {"in_title"}
    assert _found(store, 'title:"life battery"') == set()
    assert _found(store, "title:电池") == {"zh"}  # Simplified finds Traditional here too
    assert _found(store, "battery -title:battery") == {"in_text", "untitled"}
    assert _found(store, "title:life OR title:phone") == {"in_title", "in_text"}
    assert _found(store, "title:batteries") == {"in_title"}  # stems, as everywhere
    assert _found(store, 'title:"batteries"') == set()
    assert _found(store, "title:续") == {"zh"}  # one character, as everywhere
    assert _found(store, "title:很") == set()


def _at_url(key: str, url: str) -> Mention:
    return Mention.create(source="feed", native_id=key, kind="article", url=url, text="news",
                          author=Author("Ed"), collected_at=datetime(2026, 11, 2, tzinfo=UTC))


def test_site_finds_a_domain_and_its_subdomains(store: MentionStore) -> None:
    store.upsert([
        _at_url("root", "https://example.com/a"),
        _at_url("shop", "https://shop.example.com/b"),
        _at_url("www", "https://www.example.com/c"),
        _at_url("lookalike", "https://notexample.com/d"),
        _at_url("suffix", "https://example.com.evil.org/e"),
    ])

    def found(query: str) -> set[str]:
        return {hit.mention.id for hit in store.search(query, size=100).hits}

    ids = {key: _at_url(key, "https://x.example/").id
           for key in ("root", "shop", "www", "lookalike", "suffix")}
    assert found("site:example.com") == {ids["root"], ids["shop"], ids["www"]}
    assert found("site:WWW.Example.COM.") == {ids["root"], ids["shop"], ids["www"]}
    assert found("site:shop.example.com") == {ids["shop"]}
    assert found("-site:example.com") == {ids["lookalike"], ids["suffix"]}
    assert found("site:org") == {ids["suffix"]}


def test_kind_and_persona_filter_by_the_records_own_fields(
    store: MentionStore, make_mention: MakeMention
) -> None:
    def advocate(persona: str) -> Advocate:
        return Advocate(0.8, persona)  # type: ignore[arg-type]

    store.upsert([
        make_mention("guide", "How to calibrate the battery", advocate=advocate("educator")),
        make_mention("praise", "Worth every penny", advocate=advocate("validator")),
        make_mention("post", "Tell your friends", advocate=advocate("connector")).with_(
            kind="post"),
        make_mention("comment", "Add dark mode please").with_(kind="comment"),
        make_mention("article", "Acme ships a phone").with_(kind="article"),
    ])
    assert _found(store, "kind:post") == {"post"}
    assert _found(store, "kind:ARTICLE OR kind:comment") == {"article", "comment"}
    assert _found(store, "-kind:review") == {"post", "comment", "article"}
    assert _found(store, "persona:Educator") == {"guide"}
    assert _found(store, "persona:validator kind:review") == {"praise"}
    assert _found(store, "persona:connector kind:review") == set()
    assert _found(store, "-persona:educator") == {"praise", "post", "comment", "article"}
    assert _found(store, "persona:builder") == set()


def test_replied_filters_on_the_brands_public_answers(
    store: MentionStore, make_mention: MakeMention
) -> None:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    store.upsert([
        make_mention("answered", "Broke in a week", published=at, brand="Acme",
                     brand_replies=(BrandReply("Sorry, we will replace it", "Acme", at),)),
        # An undated reply is an answer all the same.
        make_mention("undated", "Late delivery", brand="Acme",
                     brand_replies=(BrandReply("We are on it", "Acme"),)),
        make_mention("ignored", "Never again", published=at, brand="Acme"),
    ])
    assert _found(store, "replied:yes") == {"answered", "undated"}
    assert _found(store, "replied:NO") == {"ignored"}
    assert _found(store, "-replied:yes brand:acme") == {"ignored"}


def test_responses_count_answers_per_brand_and_source_with_times_to_answer(
    store: MentionStore, make_mention: MakeMention
) -> None:
    day = datetime(2026, 10, 1, tzinfo=UTC)

    def reply(at: datetime | None) -> tuple[BrandReply, ...]:
        return (BrandReply("Thanks for telling us", "Acme support", at),)

    def review(key: str, stars: int | None, **fields: object) -> Mention:
        return make_mention(key, f"Review {key}", published=day, brand="Acme",
                            rating=Rating(stars, 5, 1) if stars else None, **fields)

    store.upsert([
        review("fast", 1, sentiment="negative",
               brand_replies=reply(day + timedelta(hours=2, minutes=30, seconds=45))),
        # Its reply is dated before it: answered at once, not in negative time.
        review("skewed", 1, sentiment="negative", brand_replies=reply(day - timedelta(hours=1))),
        review("slow", 5, sentiment="positive",
               brand_replies=reply(day + timedelta(days=2, hours=5, minutes=30))),
        review("ignored", 1, sentiment="negative"),
        review("undated_reply", None, source="googleplay", sentiment="negative",
               brand_replies=reply(None)),
        review("both", 3, source="appstore", sentiment="neutral", brands=("Acme", "Zephyr")),
        review("unscored", 3, source="appstore"),
        make_mention("brandless", "No brand named", published=day),
    ])
    found = store.responses()
    counts = {(c.brand, c.source, c.replied, c.sentiment, c.rating): c.count for c in found.counts}
    assert counts == {
        ("acme", "trustpilot", True, "negative", 0.0): 2,
        ("acme", "trustpilot", True, "positive", 1.0): 1,
        ("acme", "trustpilot", False, "negative", 0.0): 1,
        ("acme", "googleplay", True, "negative", None): 1,
        ("acme", "appstore", False, "neutral", 0.5): 1,
        ("zephyr", "appstore", False, "neutral", 0.5): 1,
        ("acme", "appstore", False, None, 0.5): 1,
    }
    times = {(t.brand, t.source, t.seconds): t.count for t in found.times}
    # 2 h 30 min 45 s by the minute; 2 days 5 h 30 min by the hour (53 h).
    assert times == {("acme", "trustpilot", 0): 1, ("acme", "trustpilot", 9000): 1,
                     ("acme", "trustpilot", 53 * 3600): 1}
    narrowed = store.responses("replied:yes sentiment:negative", Filters(brand="acme"))
    assert sum(c.count for c in narrowed.counts) == 3
    assert {t.seconds for t in narrowed.times} == {0, 9000}


@pytest.mark.parametrize(
    ("query", "position"),
    [("kind:tweet", 5), ("replied:often", 8), ("persona:fan battery", 8),
     ("battery NEAR/x charging", 13), ("battery NEAR/3 batt*", 15), ("site:example.com/page", 5)],
)
def test_bad_new_filters_and_near_say_where(
    seeded: MentionStore, query: str, position: int
) -> None:
    with pytest.raises(QueryError) as caught:
        seeded.search(query)
    assert caught.value.position == position


# --- duplicates: the same text syndicated to several URLs ----------------------------------

_RELEASE = "Acme recalls the X1 charger after overheating: https://acme.example/recall?utm_source="
COLLAPSED = Filters(collapse=True)


def _syndicated(store: MentionStore, make_mention: MakeMention) -> dict[str, Mention]:
    """A press release at three URLs (the wire's the earliest, though not written first;
    the copies fold case, spacing and tracking away) and another mention of the charger;
    all Acme's, negative, on one day."""
    def at(hour: int) -> datetime:
        return datetime(2026, 10, 5, hour, tzinfo=UTC)

    mentions = {
        "copy_a": make_mention("copy_a", _RELEASE + "reddit", source="reddit", published=at(10)),
        "wire": make_mention("wire", _RELEASE + "wire", source="feed", published=at(9)),
        "copy_b": make_mention("copy_b", "  " + _RELEASE.upper() + "mastodon", source="mastodon",
                               published=at(11)),
        "other": make_mention("other", "The X1 charger overheats", source="reddit",
                              published=at(12)),
    }
    mentions = {key: m.with_(brand="Acme", sentiment=Sentiment("negative", -0.8, 0.9, "test"))
                for key, m in mentions.items()}
    store.upsert(mentions.values())
    return mentions


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_collapse_shows_a_group_once_as_its_earliest_copy_with_the_others(
    store: MentionStore, make_mention: MakeMention, sort: Sort
) -> None:
    m = _syndicated(store, make_mention)
    result = store.search("charger", COLLAPSED, sort=sort)
    assert result.total == store.count("charger", COLLAPSED) == 2
    hits = {hit.mention.id: hit.duplicates for hit in result.hits}
    assert hits == {
        m["wire"].id: Duplicates(2, (m["copy_a"].url, m["copy_b"].url)),
        m["other"].id: NO_DUPLICATES,
    }
    assert store.search("charger", sort=sort).total == 4  # every copy, when not collapsed
    assert all(hit.duplicates == NO_DUPLICATES for hit in store.search("charger").hits)


def test_collapse_takes_the_earliest_of_the_matches(
    store: MentionStore, make_mention: MakeMention
) -> None:
    m = _syndicated(store, make_mention)
    (hit, _) = store.search("recalls OR overheats", Filters(source="reddit", collapse=True)).hits
    assert (hit.mention.id, hit.duplicates) == (m["copy_a"].id, NO_DUPLICATES)
    (hit,) = store.search("-source:feed recalls", COLLAPSED).hits
    assert (hit.mention.id, hit.duplicates) == (m["copy_a"].id, Duplicates(1, (m["copy_b"].url,)))


def test_collapse_counts_a_group_once_in_histograms_and_terms(
    store: MentionStore, make_mention: MakeMention
) -> None:
    _syndicated(store, make_mention)
    day = datetime(2026, 10, 5, tzinfo=UTC)
    for filters, count in ((COLLAPSED, 2), (NO_FILTERS, 4)):
        assert _buckets(store.histogram("charger", filters, since=day,
                                        until=day + timedelta(days=1))) == [
            ("2026-10-05T00:00:00+00:00", count, _by(negative=count))]
        assert [(b.key, b.count) for b in store.terms("brand", "charger", filters)] == [
            ("acme", count)]
        assert [(b.key, b.count) for b in store.terms("sentiment", "", filters)] == [
            ("negative", count)]


def test_copies_written_apart_or_by_an_edit_collapse_as_if_written_together(
    store: MentionStore, make_mention: MakeMention
) -> None:
    m = _syndicated(store, make_mention)
    late = make_mention("late", _RELEASE + "late", source="feed",
                        published=datetime(2026, 10, 5, 8, tzinfo=UTC)).with_(brand="Acme")
    store.upsert([late])  # a copy crawled later that turns out to be the earliest
    (first, second) = store.search("charger", COLLAPSED, sort="newest").hits
    assert (second.mention.id, second.duplicates.count) == (late.id, 3)
    assert first.mention.id == m["other"].id
    # "other" re-crawled with the release's text joins the group.
    store.upsert([m["other"].with_(text=_RELEASE + "edited",
                                   content_hash=late.content_hash)])
    assert store.count("charger", COLLAPSED) == 1


def test_collapse_exports_each_group_once(store: MentionStore, make_mention: MakeMention) -> None:
    m = _syndicated(store, make_mention)
    assert [x.id for x in store.export("charger", COLLAPSED)] == [m["wire"].id, m["other"].id]
    assert len(list(store.export("charger"))) == 4


# --- advocate leads and NPS: aggregations of the stored enrichment --------------------------


def _advocate(score: float, persona: str | None = "validator") -> Advocate:
    return Advocate(score, persona, (f"scored {score}",))  # type: ignore[arg-type]


def test_advocates_group_an_authors_mentions_best_first(
    store: MentionStore, make_mention: MakeMention
) -> None:
    day = datetime(2026, 10, 1, 12, tzinfo=UTC)
    store.upsert([
        # Maya: three advocate mentions on two sources of one site, and a weak one.
        *(make_mention(f"maya{i}", f"Love it {i}", author="Maya", handle="@maya",
                       source=("trustpilot", "schemaorg")[i % 2], brand="Acme",
                       sentiment="positive", published=day + timedelta(days=i),
                       advocate=_advocate(score))
          for i, score in enumerate((0.6, 0.9, 0.7, 0.8))),
        make_mention("maya_weak", "It is fine", author="Maya", handle="@MAYA", brand="Acme",
                     published=day + timedelta(days=9), advocate=_advocate(0.2)),
        # The same name on another site is someone else.
        replace(make_mention("maya_elsewhere", "Great", author="Maya", handle="@maya",
                             brand="Acme", sentiment="positive",
                             advocate=_advocate(0.55, "connector")),
                source_domain="other.example"),
        make_mention("ben", "Good buy", author="Ben", brand="Acme", sentiment="positive",
                     published=day, advocate=_advocate(0.9, "educator")),
        # Corrected to negative: no advocacy, whatever the stored score.
        make_mention("cy", "Meh", author="Cy", brand="Acme", sentiment="negative",
                     advocate=_advocate(0.95)),
        make_mention("zed", "Nice", author="Zed", brand="Globex", sentiment="positive",
                     advocate=_advocate(0.99)),
        make_mention("no_record", "Nice too", author="Nora", brand="Acme"),
    ])
    leads = store.advocates("", Filters(brand="acme"), min_score=0.5)
    assert [(lead.latest.author.name, lead.latest.source_domain, lead.mentions)
            for lead in leads] == [("Ben", "reviews.example", 1), ("Maya", "reviews.example", 4),
                                   ("Maya", "other.example", 1)]
    maya = leads[1]
    assert [m.advocate.score for m in maya.best if m.advocate] == [0.9, 0.8, 0.7]
    assert maya.latest.published_at == day + timedelta(days=3)  # not the weak one
    assert maya.sources == ("schemaorg", "trustpilot")
    assert [lead.latest.author.name for lead in store.advocates("", Filters(brand="acme"),
                                                                min_score=0.85)] == ["Ben", "Maya"]
    assert len(store.advocates("", Filters(brand="acme"), size=1)) == 1
    assert store.advocates("nothing-matches-this") == []
    with pytest.raises(ValueError, match="min_score"):
        store.advocates(min_score=1.5)
    assert [(b.key, b.count) for b in store.terms("persona", "brand:acme")] == [
        ("validator", 6), ("connector", 1), ("educator", 1)]


def test_nps_days_count_classes_per_brand_and_day(
    store: MentionStore, make_mention: MakeMention
) -> None:
    day = datetime(2026, 10, 1, 23, 30, tzinfo=UTC)
    store.upsert([
        make_mention("p1", "a", brand="Acme", published=day, nps_class="promoter"),
        make_mention("p2", "b", brand="ACME", published=day - timedelta(hours=20),
                     nps_class="promoter"),
        make_mention("e1", "c", brand="Acme", published=day, nps_class="detractor",
                     nps_estimated=True),
        make_mention("n1", "d", brand="Acme", published=day + timedelta(hours=1),
                     nps_class="passive"),
        make_mention("u1", "e", brand="Acme", nps_class="promoter"),
        make_mention("g1", "f", brand="Globex", published=day, nps_class="detractor"),
        make_mention("x1", "g", brand="Acme", published=day),  # no class: not counted
        make_mention("x2", "h", published=day, nps_class="promoter"),  # no brand
    ])
    found = [(c.brand, c.day, c.nps_class, c.estimated, c.count)
             for c in store.nps_days("", Filters(brand="acme"))]
    first, second = day.date(), day.date() + timedelta(days=1)
    assert len(found) == 4 and {row[0] for row in found} <= {"Acme", "ACME"}
    assert {row[1:] for row in found} == {
        (first, "detractor", True, 1), (first, "promoter", False, 2),
        (second, "passive", False, 1), (None, "promoter", False, 1)}
    assert {c.brand for c in store.nps_days()} >= {"Globex"}


def test_a_mention_naming_several_brands_counts_for_each(
    store: MentionStore, make_mention: MakeMention
) -> None:
    day = datetime(2026, 10, 1, 12, tzinfo=UTC)
    store.upsert([
        make_mention("versus", "Acme X1 vs Globex G2: the Globex battery wins", brand="Acme",
                     brands=("Acme", "Globex Corp"), sentiment="positive", published=day,
                     nps_class="passive", advocate=_advocate(0.9, "educator")),
        make_mention("acme", "Acme only", brand="Acme", published=day, nps_class="promoter"),
        make_mention("globex", "Globex only", brand="Globex Corp", published=day),
    ])
    assert _found(store, 'brand:"Globex Corp"') == {"versus", "globex"}
    assert _found(store, "", Filters(brand="globex corp")) == {"versus", "globex"}
    assert _found(store, "battery brand:\"globex corp\"") == {"versus"}  # the text index too
    assert _found(store, "-brand:\"globex corp\"") == {"acme"}
    assert [(b.key, b.count) for b in store.terms("brand")] == [("acme", 2), ("globex corp", 2)]
    # Counted within a window (its keys bound the other brands) and of a text query.
    around = Filters(since=day - timedelta(hours=1), until=day + timedelta(hours=1))
    assert [(b.key, b.count) for b in store.terms("brand", "", around)] == [
        ("acme", 2), ("globex corp", 2)]
    after = Filters(since=day + timedelta(seconds=1), until=day + timedelta(hours=1))
    assert store.terms("brand", "", after) == []
    assert [(b.key, b.count) for b in store.terms("brand", "battery", around)] == [
        ("acme", 1), ("globex corp", 1)]
    (bucket,) = store.histogram("", Filters(brand="globex corp"), interval="day",
                                since=day.replace(hour=0), until=day + timedelta(hours=1))
    assert (bucket.count, bucket.by_sentiment["positive"]) == (2, 1)
    assert [lead.latest.author.name for lead in
            store.advocates("", Filters(brand="globex corp"))] == ["Alice"]
    assert sorted((c.brand, c.nps_class, c.count) for c in store.nps_days()) == [
        ("Acme", "passive", 1), ("Acme", "promoter", 1), ("Globex Corp", "passive", 1)]
    # A re-crawl that no longer names Globex takes it back out.
    store.upsert([make_mention("versus", "Acme X1 alone", brand="Acme", published=day)])
    assert _found(store, "", Filters(brand="globex corp")) == {"globex"}
    assert [(b.key, b.count) for b in store.terms("brand")] == [("acme", 2), ("globex corp", 1)]


def test_author_equals_finds_one_author_by_key_as_leads_tell_them_apart(
    store: MentionStore, make_mention: MakeMention
) -> None:
    store.upsert([
        make_mention("maya_handle", "Love it", author="Maya C", handle="@Maya_C", brand="Acme"),
        make_mention("maya_later", "Still love it", author="Maya", handle="@maya_c",
                     brand="Acme"),
        # Someone else: the same handle on another site.
        replace(make_mention("maya_elsewhere", "Great", author="Maya", handle="@maya_c",
                             brand="Acme"), source_domain="other.example"),
        make_mention("ben", "Good", author="Ben", brand="Acme"),
        make_mention("ben_globex", "Good too", author="Ben", brand="Globex"),
    ])

    def found(*keys: str, brand: str = "") -> set[str]:
        node = Or(tuple(Field("author", "=", k) for k in keys))
        return {h.mention.id for h in store.search(node, Filters(brand=brand), size=10).hits}

    ids = {m: make_mention(m, "x").id for m in ("maya_handle", "maya_later", "ben", "ben_globex")}
    assert found("reviews.example/maya_c") == {ids["maya_handle"], ids["maya_later"]}
    assert found("reviews.example/ben", brand="acme") == {ids["ben"]}
    assert found("reviews.example/ben", "REVIEWS.example/Maya_C") == set(ids.values())
    assert found("reviews.example/nobody") == set()


# --- the engagement of authors with a brand (index/engagement.py) ---------------------------

_SAYS_NOTHING = Advocate(0.7, "validator", ("recommends in 0% (+0.00)",))
_RECOMMENDS = Advocate(0.8, "connector", ("recommends in 80%: you should try (+0.20)",))


def _reply(mention: Mention, parent: Mention | str) -> Mention:
    return mention.with_(kind="comment",
                         parent_id=parent if isinstance(parent, str) else parent.id)


def test_engagement_dates_each_level_by_the_first_mention_to_reach_it(
    store: MentionStore, make_mention: MakeMention
) -> None:
    def day(n: int) -> datetime:
        return datetime(2026, 10, 1, 12, tzinfo=UTC) + timedelta(days=n)

    def maya(key: str, n: int | None, label: SentimentLabel | None = "positive",
             brand: str = "Acme", **fields: object) -> Mention:
        return make_mention(key, f"{brand}, {key}", author="Maya", handle="@maya", brand=brand,
                            sentiment=label, published=None if n is None else day(n),
                            **fields)

    complaint = make_mention("complaint", "Acme broke", author="Grumpy", brand="Acme",
                             sentiment="negative", published=day(3))
    calm = make_mention("calm", "Acme is fine", author="Ben", brand="Acme",
                        sentiment="neutral", published=day(2))
    calm_again = make_mention("calm_again", "Acme is still fine", author="Ben", brand="Acme",
                              sentiment="neutral", published=day(11))
    rant = maya("rant", 0, "negative", advocate=_SAYS_NOTHING)
    steps = {
        "first_mention": rant,
        "repeat": _reply(maya("own_thread", 1), rant),  # under her own post: no defence
        "defends": _reply(maya("defends", 6), complaint),
        "recommends": maya("recommends", 9, "neutral", advocate=_RECOMMENDS,
                           brand="Globex", brands=("Globex", "Acme")),  # Acme second
    }
    others = [
        _reply(maya("angry_reply", 4, "negative"), complaint),  # a negative reply
        _reply(maya("calm_thread", 5), calm),  # under a mention that is not negative
        _reply(maya("lost_thread", 5), "no-such-parent"),  # under one not stored
        _reply(maya("defends_again", 10, advocate=_RECOMMENDS), complaint),
        maya("undated", None, advocate=_RECOMMENDS),  # after every dated one
        maya("globex_only", 8, advocate=_RECOMMENDS, brand="Globex"),  # another brand's
    ]
    store.upsert([complaint, calm, calm_again, *steps.values(), *others])

    asked = ["nobody.example/maya", "REVIEWS.example/Ben", "reviews.example/MAYA"]
    found = store.engagement("acme", asked)
    assert list(found) == ["reviews.example/ben", "reviews.example/maya"]  # as asked, as keys
    engaged = found["reviews.example/maya"]
    assert (engaged.level, engaged.mentions) == ("defends", len(steps) + len(others) - 1)
    assert [(step.level, step.at, step.url) for step in engaged.history] == [
        (level, steps[level].published_at, steps[level].url)
        for level in ("first_mention", "repeat", "recommends", "defends")]
    assert found["reviews.example/ben"] == AuthorEngagement("repeat", 2, (
        EngagementStep("first_mention", day(2), calm.url),
        EngagementStep("repeat", day(11), calm_again.url)))
    assert store.engagement("globex", ["reviews.example/ben"]) == {}
    assert store.engagement("acme", []) == {}


def test_engagement_follows_a_persons_sentiment_corrections(
    store: MentionStore, make_mention: MakeMention
) -> None:
    post = make_mention("post", "Acme?", author="Ben", brand="Acme", sentiment="neutral",
                        published=datetime(2026, 10, 1, tzinfo=UTC))
    reply = _reply(make_mention("reply", "Acme is fine", author="Maya", brand="Acme",
                                sentiment="positive",
                                published=datetime(2026, 10, 2, tzinfo=UTC)), post)
    store.upsert([post, reply])
    assert store.engagement("acme", ["reviews.example/maya"])["reviews.example/maya"].level == (
        "first_mention")
    store.correct_sentiment(post.id, "negative", "ann")
    assert store.engagement("acme", ["reviews.example/maya"])["reviews.example/maya"].level == (
        "defends")
    store.correct_sentiment(reply.id, "negative", "ann")
    assert store.engagement("acme", ["reviews.example/maya"])["reviews.example/maya"].level == (
        "first_mention")


def test_engagement_counts_every_mention_of_every_author_asked(
    store: MentionStore, make_mention: MakeMention
) -> None:
    # More of one author's mentions than a page of hits (500), and more authors than one
    # Elasticsearch query asks about (200).
    start = datetime(2026, 10, 1, tzinfo=UTC)
    fan = [make_mention(f"fan{n}", f"Acme again {n}", author="Fan", brand="Acme",
                        sentiment="positive", published=start + timedelta(minutes=n))
           for n in range(520)]
    fan[510] = fan[510].with_(advocate=_RECOMMENDS)
    others = [make_mention(f"one{n}", "Acme once", author=f"One {n}", brand="Acme")
              for n in range(250)]
    store.upsert([*fan, *others])
    found = store.engagement("acme", [f"reviews.example/one {n}" for n in range(250)]
                             + ["reviews.example/fan"])
    assert len(found) == 251
    engaged = found["reviews.example/fan"]
    assert engaged.mentions == 520
    assert [(step.level, step.url) for step in engaged.history] == [
        ("first_mention", fan[0].url), ("repeat", fan[1].url), ("recommends", fan[510].url)]
