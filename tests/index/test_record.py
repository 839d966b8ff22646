from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from index.record import Author, Mention, Rating, RecordError, Sentiment, content_hash


def make(**fields: object) -> Mention:
    base: dict[str, object] = {
        "source": "schemaorg", "native_id": None, "kind": "review",
        "url": "https://www.shop.example/p/1", "text": "Battery lasts two days.",
        "author": Author("Ann"), "published_at": datetime(2026, 10, 3, tzinfo=UTC),
    }
    base.update(fields)
    return Mention.create(**base)  # type: ignore[arg-type]


def test_id_is_stable_and_depends_on_native_id_or_content() -> None:
    assert make().id == make().id
    assert make(text="Other text").id != make().id
    assert make(native_id="r1").id == make(native_id="r1", text="edited later").id
    assert make(native_id="r1").id != make(native_id="r1", source="feed").id


def test_create_derives_domain_and_content_hash() -> None:
    m = make()
    assert m.source_domain == "shop.example"
    assert m.content_hash == content_hash("battery lasts two days")


def test_content_hash_folds_case_punctuation_and_width() -> None:
    assert content_hash("Acme launches X1!") == content_hash("  acme LAUNCHES x1 ")
    assert content_hash("ＡＣＭＥ，电池") == content_hash("acme 电池")


def test_content_hash_ignores_the_tracking_parameters_of_syndicated_links() -> None:
    release = "Acme X1 ships today. Details: https://acme.example/x1?id=7&utm_source={}#top"
    assert content_hash(release.format("feed")) == content_hash(
        release.format("twitter&fbclid=abc").replace("https://acme", "HTTPS://ACME"))
    # What the link points to still counts.
    assert content_hash(release.format("feed")) != content_hash(
        release.format("feed").replace("id=7", "id=8"))


def test_dates_are_converted_to_utc_and_must_be_aware() -> None:
    m = make(published_at=datetime(2026, 10, 3, 8, tzinfo=timezone(timedelta(hours=8))))
    assert m.published_at == datetime(2026, 10, 3, 0, tzinfo=UTC)
    with pytest.raises(RecordError, match="timezone-aware"):
        make(published_at=datetime(2026, 10, 3))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "tweet"}, "kind 'tweet'"),
        ({"url": "ftp://x"}, "not http"),
        ({"text": "  "}, "text is empty"),
        ({"brand": "Acme", "brands": ("Zephyr", "Acme")}, "must be the first of brands"),
        ({"brands": ("Acme", "ACME")}, "names a brand twice"),
        ({"brands": ("Acme", " ")}, "empty name"),
    ],
)
def test_invalid_fields_are_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        make(**fields)


def test_rating_scale_is_checked_and_normalized() -> None:
    assert Rating(4, 5, 1).normalized == 0.75
    assert Rating(7, 10, 0).normalized == 0.7
    with pytest.raises(RecordError, match="outside its scale"):
        Rating(6, 5, 1)
    with pytest.raises(RecordError, match="must exceed"):
        Rating(1, 1, 1)


def test_sentiment_is_validated() -> None:
    with pytest.raises(RecordError, match="label"):
        Sentiment("great", 0.5, 0.9, "m")  # type: ignore[arg-type]
    with pytest.raises(RecordError, match="score"):
        Sentiment("positive", 1.5, 0.9, "m")


def test_dict_round_trip_keeps_every_field() -> None:
    m = make(rating=Rating(9, 10, 0), sentiment=Sentiment("positive", 0.8, 0.9, "e5"),
             matched_terms=("Acme",), brand="Acme", lang="en")
    data = m.to_dict()
    assert data["rating"]["normalized"] == 0.9
    assert data["published_at"] == "2026-10-03T00:00:00+00:00"
    assert Mention.from_dict(data) == m


def test_from_dict_rejects_non_records() -> None:
    with pytest.raises(RecordError, match="not a mention record"):
        Mention.from_dict({"id": "x"})


def test_brand_and_brands_agree_and_a_record_from_before_brands_names_its_one_brand() -> None:
    assert make(brand="Acme").brands == ("Acme",)
    assert make(brands=("Acme", "Zephyr")).brand == "Acme"
    assert make().brands == ()
    both = make(brands=("Acme", "Zephyr"))
    assert both.with_(brand="Globex").brands == ("Globex",)  # a new primary: its list too
    old = {k: v for k, v in both.to_dict().items() if k != "brands"}
    assert Mention.from_dict(old).brands == ("Acme",)
