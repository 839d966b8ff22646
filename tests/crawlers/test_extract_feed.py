# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.extract.feed import entry_mention, extract_entries, read_entries
from index.record import Mention, mention_id
from index.watchlist import Brand

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "feed"
COLLECTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ACME = Brand(name="Acme", terms=("Acme", "艾克美"), exclude=("Acme Bank",))
ZEPHYR = Brand(name="Zephyr", terms=("Zephyr", "西風", "西风"))


def _entries(name: str, brands: tuple[Brand, ...] = (ACME, ZEPHYR)) -> list[Mention]:
    body = (FEEDS / name).read_bytes()
    return list(extract_entries(body, f"https://feeds.example/{name}", brands,
                                collected_at=COLLECTED))


def _summary(m: Mention) -> tuple[object, ...]:
    return m.brand, m.matched_terms, m.author.name, m.lang, m.published_at, m.title, m.text


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_rss_entries_naming_a_brand() -> None:
    entries = _entries("rss-news.xml")
    assert [_summary(m) for m in entries] == [
        # Names both brands: one mention, for both, the first in watchlist order primary.
        ("Acme", ("Acme", "Zephyr"), "Priya Shah", "en", _utc(2026, 11, 9, 11, 45),
         "Acme and Zephyr team up on a smart-home hub",
         "Acme and Zephyr will ship a shared hub next spring.\nPricing is not yet announced."),
        # "Acme Bank" is excluded for Acme; "Five tips for a faster laptop" names no brand.
        ("Zephyr", ("Zephyr",), "", "en", _utc(2026, 11, 7, 15, 20),
         "Zephyr V8 price cut in the UK", "The Zephyr V8 now costs £249 – down from £299."),
        ("Acme", ("艾克美",), "", "en", None, "艾克美 opens a Hong Kong service centre",
         "The centre repairs phones and earbuds while you wait."),
    ]
    hub, price, service = entries
    assert (hub.brands, price.brands) == (("Acme", "Zephyr"), ("Zephyr",))
    assert (hub.source, hub.kind, hub.url) == (
        "feed", "article", "https://dailycircuit.example/2026/11/09/acme-zephyr-hub/")
    assert hub.id == mention_id("feed", "https://dailycircuit.example/?p=9001")  # guid
    assert price.id == mention_id("feed", "https://dailycircuit.example/2026/11/07/zephyr-v8-price/")
    # No guid: the link is the native id.
    assert service.id == mention_id("feed", "https://dailycircuit.example/2026/11/05/acme-hk/")
    assert hub.collected_at == COLLECTED


def test_watchlist_order_decides_the_primary_brand() -> None:
    [hub, *_] = _entries("rss-news.xml", brands=(ZEPHYR, ACME))
    assert (hub.brand, hub.brands, hub.matched_terms) == (
        "Zephyr", ("Zephyr", "Acme"), ("Zephyr", "Acme"))


def test_ids_are_stable_across_calls() -> None:
    body = (FEEDS / "rss-news.xml").read_bytes()
    first = [m.id for m in extract_entries(body, "https://a.example/feed", (ACME, ZEPHYR))]
    again = [m.id for m in extract_entries(body, "https://a.example/feed", (ACME, ZEPHYR))]
    assert first == again
    assert len(set(first)) == 3


def test_atom_feed() -> None:
    entries = _entries("atom.xml")
    assert [_summary(m) for m in entries] == [
        ("Zephyr", ("Zephyr",), "Hana Ito", "en", _utc(2026, 11, 4, 9),
         "Living with the Zephyr V8 — a month in",
         "The Zephyr V8 replaced my corded vacuum.\nI recommend it for small flats."),
        # The entry's own xml:lang overrides the feed's; only <updated> gives its date.
        ("Zephyr", ("Zephyr",), "", "zh-Hant", _utc(2026, 11, 4, 18),
         "Zephyr V8 吸塵器一個月心得", "用了一個月，吸力很好，電池大約三十分鐘。"),
    ]
    month, _ = entries
    assert month.author.url == "https://blog.example/about"
    assert month.url == "https://blog.example/posts/zephyr-v8-month"  # xml:base
    assert month.id == mention_id("feed", "tag:blog.example,2026:post-58")


def test_declared_latin1_holding_utf8_is_read_as_utf8() -> None:
    [entry] = _entries("rss-declared-latin1-is-utf8.xml")
    assert _summary(entry) == (
        "Acme", ("Acme",), "", "fr", _utc(2026, 10, 24, 6), "Acme Phone X : l’autonomie testée",
        "Après deux semaines, la batterie de l’Acme Phone X tient deux jours. Déçu par l’écran en "
        "plein soleil ; « très bon rapport qualité-prix ».",
    )


def test_declared_utf8_holding_cp1252_is_read_as_cp1252() -> None:
    [entry] = _entries("rss-declared-utf8-is-cp1252.xml")
    assert (entry.title, entry.text) == (
        "Zephyr V8 review – “quiet enough for night shifts”",
        "Our café’s night crew tried the Zephyr V8 for a month – it’s quieter than last year’s "
        "model.",
    )


def test_declared_gb2312_holding_gbk_characters() -> None:
    [entry] = _entries("rss-declared-gb2312-is-gbk.xml")
    assert _summary(entry) == (
        "Acme", ("Acme", "艾克美"), "李喆", "zh-Hans", _utc(2026, 11, 6, 2),
        "艾克美发布 Acme Buds Pro 2：续航提升三成",
        "艾克美今天发布第二代 Acme Buds Pro，电池续航提升三成。"
        "评测编辑李喆表示：“降噪表现强烈推荐。”",
    )


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("press@acme.example (Acme Newsroom)", "Acme Newsroom"),  # feedparser alone fails here
        ("jane@x.com (Jane Doe)", "Jane Doe"),
        ("Jane Doe", "Jane Doe"),
        ("jane@x.com", ""),  # an email alone is not kept as a name
    ],
)
def test_rss_author_keeps_the_name_not_the_email(author: str, expected: str) -> None:
    body = (f'<rss version="2.0"><channel><title>t</title><item><title>Acme news</title>'
            f"<author>{author}</author></item></channel></rss>").encode()
    [entry] = extract_entries(body, "https://a.example/feed", (ACME,))
    assert entry.author.name == expected


@pytest.mark.parametrize(
    "body",
    [
        b"", b"\x00\xff garbage", b"<html><body><p>Acme</p></body></html>",
        b"http://127.0.0.1:9/feed.xml",  # must be read as content, never fetched
        b"/etc/hostname",  # nor opened as a file
    ],
)
def test_junk_yields_nothing_and_never_raises(body: bytes) -> None:
    assert list(extract_entries(body, "https://a.example/feed", (ACME, ZEPHYR))) == []


def test_body_is_content_never_a_path_or_url(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fetch(*args: object, **kwargs: object) -> None:
        raise AssertionError("feed body was fetched as a URL")

    monkeypatch.setattr("urllib.request.OpenerDirector.open", no_fetch)
    feed = tmp_path / "feed.xml"
    feed.write_bytes((FEEDS / "rss-news.xml").read_bytes())
    for body in (str(feed).encode(), b"http://127.0.0.1:9/feed.xml"):
        assert list(extract_entries(body, "https://a.example/feed", (ACME, ZEPHYR))) == []


def test_truncated_feed_keeps_what_it_could_read() -> None:
    body = b'<rss version="2.0"><channel><item><title>Acme ships</title><description>Acme ships'
    assert [m.title for m in extract_entries(body, "https://a.example/feed", (ACME,))] == [
        "Acme ships"]


def test_no_brands_no_mentions() -> None:
    assert _entries("rss-news.xml", brands=()) == []


def test_entries_that_are_only_a_summary_of_their_article() -> None:
    body = (FEEDS / "summaries.xml").read_bytes()
    entries = read_entries(body, "https://ledger.example/feed.xml")
    assert [(e.url, e.summary_only) for e in entries] == [
        ("https://ledger.example/articles/holiday-phones.html", True),  # ends "[…]"
        ("https://ledger.example/articles/vacuums.html", True),  # ends "…"
        ("https://ledger.example/articles/recall.html", True),  # ends "Read more"
        ("https://ledger.example/articles/hands-on.html", True),  # no description at all
        ("https://ledger.example/articles/repair-desk.html", False),  # has content:encoded
    ]
    # A complete short description is the whole item (news feeds of one-paragraph items).
    assert not any(e.summary_only for e in read_entries(
        (FEEDS / "rss-news.xml").read_bytes(), "https://feeds.example/rss-news.xml"))


def test_brands_are_matched_in_the_article_text_when_given() -> None:
    body = (FEEDS / "summaries.xml").read_bytes()
    phones = read_entries(body, "https://ledger.example/feed.xml")[0]
    assert entry_mention(phones, (ACME,), collected_at=COLLECTED) is None  # summary: no brand
    article = "Three phones for the holidays\nThe Acme Phone X lasted two days.\nBuy it."
    mention = entry_mention(phones, (ACME, ZEPHYR), collected_at=COLLECTED, article=article)
    assert mention is not None
    # The headline repeating the title is not kept in the text.
    assert (mention.brand, mention.title, mention.text, mention.author.name, mention.id) == (
        "Acme", "Three phones for the holidays", "The Acme Phone X lasted two days.\nBuy it.",
        "Maya Ortiz", mention_id("feed", "ledger-301"))
