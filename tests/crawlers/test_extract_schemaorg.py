# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.extract.schemaorg import PageLinks, extract_links, extract_reviews
from index.record import Mention, mention_id

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "schemaorg"
DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_site"
COLLECTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _reviews(name: str, url: str | None = None, **kwargs: object) -> list[Mention]:
    url = url or f"https://shop.example/fixture/{name}"
    body = (PAGES / name).read_bytes()
    return list(extract_reviews(body, url, collected_at=COLLECTED, **kwargs))  # type: ignore[arg-type]


def _summary(m: Mention) -> tuple[object, ...]:
    """(author, (value, best, worst), lang, published_at, title, text) of a review."""
    rating = (m.rating.value, m.rating.best, m.rating.worst) if m.rating else None
    return m.author.name, rating, m.lang, m.published_at, m.title, m.text


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_no_best_rating_reads_five_points() -> None:
    reviews = _reviews("product-no-best-rating.html", brand="Acme")
    assert [_summary(m) for m in reviews] == [
        ("Dana R.", (5.0, 5.0, 1.0), "en", _utc(2026, 10, 3, 21, 22, 41), "Battery lasts all week",
         "I charge the case once a week. Sound is warm, the fit is secure when running. "
         "I recommend them."),
        ("K. Osei", (2.0, 5.0, 1.0), "en", _utc(2026, 10, 11, 12, 5), "Mic is weak",
         "Music is fine but people say I sound far away on calls."),
        ("Lee", (4.0, 5.0, 1.0), "en", _utc(2026, 10, 19, 16), "Solid for the price",
         "Good value. Pairing took a couple of tries."),
    ]
    first = reviews[0]
    assert (first.source, first.kind, first.brand, first.matched_terms) == (
        "schemaorg", "review", "Acme", ())
    assert (first.url, first.source_domain) == (
        "https://shop.example/fixture/product-no-best-rating.html", "shop.example")
    assert first.collected_at == COLLECTED
    assert first.rating is not None and first.rating.normalized == 1.0


def test_ten_point_scale_without_best_rating_is_read_for_the_whole_page() -> None:
    reviews = _reviews("hotel-ten-point.html")
    assert [(m.author.name, m.rating) for m in reviews] == [
        ("Marta", reviews[0].rating), ("Jonas", reviews[1].rating),
        ("Aiko", reviews[2].rating), ("Sam", reviews[3].rating),
    ]
    assert [(m.rating.value, m.rating.best, m.rating.worst) for m in reviews if m.rating] == [
        (9.2, 10.0, 1.0),
        (5.0, 10.0, 1.0),  # "5" on a page whose other reviews go to 10: 5/10, not 5/5
        (10.0, 10.0, 1.0),
        (8.0, 10.0, 1.0),  # "8,0"
    ]
    assert reviews[1].rating is not None
    assert reviews[1].rating.normalized == pytest.approx(4 / 9)
    assert {m.lang for m in reviews} == {"en"}  # <html lang="en-GB">


def test_string_authors_html_bodies_and_description_fallback() -> None:
    reviews = _reviews("recipe-string-authors.html")
    assert [_summary(m) for m in reviews] == [
        ("Becky", (5.0, 5.0, 1.0), "en", _utc(2026, 10, 2, 19, 41, 7), None,
         "Made this in my Acme Multi-Cooker last night & the whole family loved it!\n"
         "I added a soft egg."),
        ("Tomás", (4.0, 5.0, 1.0), "en", _utc(2026, 10, 9), None,
         "Good base recipe.\nNeeded more salt for us."),
        # "Anonymous" wrote only spaces: skipped. Mei's text is in `description`.
        ("Mei", (5.0, 5.0, 1.0), "en", _utc(2026, 10, 21, 21, 10), None,
         "Quick and tasty, I recommend the Acme cooker for this."),
    ]


def test_graph_nodes_are_joined_by_id() -> None:
    [review] = _reviews("graph-blog-review.html")
    review_id = "https://pockettech.example/acme-phone-x-review/#review"
    assert _summary(review) == (
        "Ravi Menon", (8.5, 10.0, 0.0), "en", _utc(2026, 10, 20, 6),
        "Acme Phone X, six months later",
        "Six months in, the Acme Phone X still gets through a full day on one charge. The camera "
        "is the best in its class; the speakers are not. You should try one before buying a "
        "pricier flagship.",
    )
    assert review.author.url == "https://pockettech.example/author/ravi/"
    assert review.id == mention_id("schemaorg", review_id)


def test_microdata_only() -> None:
    reviews = _reviews("microdata-only.html")
    assert [_summary(m) for m in reviews] == [
        ("Ollie B.", (4.0, 5.0, 1.0), "en", _utc(2026, 10, 12), "Maps the flat well",
         "It mapped three rooms on the first run and avoids the stairs. The app is clunky though."),
        ("guest", (3.0, 5.0, 1.0), "en", _utc(2026, 11, 2), None,
         "Gets stuck under the sofa every day."),
        # Pat left a rating and no text: skipped.
    ]
    assert reviews[0].author.url == "https://shop.example/members/ollie-b"
    assert reviews[0].id == mention_id("schemaorg", "https://valuemart.example/reviews/55012")
    assert reviews[1].id == mention_id(
        "schemaorg", None, url="https://shop.example/fixture/microdata-only.html", author="guest",
        published_at=_utc(2026, 11, 2), text="Gets stuck under the sofa every day.")


def test_broken_json_ld_loses_only_itself() -> None:
    problems: list[tuple[str, str]] = []
    reviews = _reviews("broken-jsonld.html", on_error=lambda *p: problems.append(p))
    assert [(m.author.name, m.text) for m in reviews] == [
        ("Ines", "Cleared the smoke smell from our flat in a day."),  # the good JSON-LD block
        ("Hugo", "Works, but the filter costs a fortune."),  # microdata
    ]
    assert reviews[0].id == mention_id("schemaorg", "https://outlet.example/p/zephyr-p3#review-88")
    assert [reason for reason, _ in problems] == ["jsonld"]
    assert "broken-jsonld.html: line 7:" in problems[0][1]


def test_broken_json_ld_is_logged_without_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="crawlers.extract.schemaorg"):
        assert len(_reviews("broken-jsonld.html")) == 2
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["unreadable jsonld"]


def test_the_same_review_in_json_ld_and_microdata_counts_once() -> None:
    reviews = _reviews("duplicate-markup.html")
    assert [(m.author.name, m.text) for m in reviews] == [
        ("Noor", "Charges my laptop and phone at once. Tiny."),
        ("Wes", "Gets hot under load."),
    ]


def test_plain_zh_page_takes_each_review_script_from_its_text() -> None:
    reviews = _reviews("shop-zh-microdata.html")
    assert [_summary(m) for m in reviews] == [
        ("小**鱼", (5.0, 5.0, 1.0), "zh-Hans", _utc(2026, 10, 3), None,
         "手表电池能用十天，心率监测很准。强烈推荐！"),
        ("港仔阿明", (2.0, 5.0, 1.0), "zh-Hant", _utc(2026, 10, 18), None,
         "錶帶質素差，用了一個月已經斷開。"),
    ]


def test_review_language_and_url_win_over_the_page() -> None:
    reviews = _reviews("restaurant-zh-tw.html", url="https://eat.example/bistro")
    assert [(m.author.name, m.lang, m.url, m.published_at) for m in reviews] == [
        ("阿凱", "zh-Hant", "https://eat.example/bistro/reviews/301", _utc(2026, 10, 8, 11, 30)),
        ("Emily", "en", "https://eat.example/bistro/reviews/302", _utc(2026, 10, 16, 12, 5)),
    ]
    assert reviews[0].id == mention_id("schemaorg", "https://eat.example/bistro/reviews/301")


def test_page_encoding_is_honoured() -> None:
    [review] = _reviews("gbk-encoded.html")
    assert _summary(review) == (
        "王先生", (4.0, 5.0, 1.0), "zh-Hans", _utc(2026, 10, 9), None,
        "吸力很强，电池续航四十分钟左右，就是声音有点大。",
    )
    # An encoding given by the caller (the HTTP header) wins over the page's own.
    body = "<html><body><div itemscope itemtype='https://schema.org/Review'>" \
           "<span itemprop='author'>Zoë</span><p itemprop='reviewBody'>Très bien</p></div>"
    [latin] = extract_reviews(body.encode("latin-1"), "https://x.example/", encoding="latin-1")
    assert (latin.author.name, latin.text) == ("Zoë", "Très bien")


def test_ids_are_stable_and_need_no_collection_time() -> None:
    first = _reviews("product-no-best-rating.html")
    again = list(extract_reviews((PAGES / "product-no-best-rating.html").read_bytes(),
                                 "https://shop.example/fixture/product-no-best-rating.html"))
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == 3
    assert all(m.collected_at > COLLECTED for m in again)


def test_relative_ids_are_made_absolute_per_page() -> None:
    body = (DEMO / "products" / "acme-phone-x.html").read_bytes()
    url = "http://127.0.0.1:8000/products/acme-phone-x.html"
    reviews = list(extract_reviews(body, url))
    assert reviews[0].id == mention_id("schemaorg", f"{url}#review-1")
    assert reviews[0].author.url == "http://127.0.0.1:8000/reviewers/maya-chen"


@pytest.mark.parametrize(
    "body",
    [
        b"", b"   ", b"\x00\xff\xfe garbage", b"not html at all", b"<html><body></body></html>",
        b'<script type="application/ld+json">42</script>',
        b'<script type="application/ld+json">"just a string"</script>',
        b'<script type="application/ld+json">[null, 1, {"@type": ["Review", 7]}]</script>',
        b'<script type="application/ld+json">{"@type": "Review", "reviewBody": {"x": 1}}</script>',
        b'<script type="application/ld+json">' + b"[" * 5000 + b"]" * 5000 + b"</script>",
    ],
)
def test_junk_pages_yield_nothing_and_never_raise(body: bytes) -> None:
    assert list(extract_reviews(body, "https://x.example/", on_error=lambda *_: None)) == []


def test_junk_review_fields_are_dropped_not_fatal() -> None:
    body = b"""<script type="application/ld+json">{"@type": "Review", "reviewBody": "Fine.",
      "author": 42, "datePublished": "last Tuesday", "inLanguage": {"@type": "Language"},
      "reviewRating": {"ratingValue": "ten", "bestRating": "5"}, "name": ["", "Title"]}</script>"""
    [review] = extract_reviews(body, "https://x.example/p")
    assert (review.author.name, review.published_at, review.rating, review.title) == (
        "", None, None, "Title")


def test_no_reviews_on_a_page_with_only_an_aggregate_rating() -> None:
    assert _reviews("no-reviews.html") == []


def test_links_next_page_and_same_site_links() -> None:
    base = "http://127.0.0.1:8000/products/"

    def links(name: str) -> PageLinks:
        return extract_links((DEMO / "products" / name).read_bytes(), base + name)

    # Page 1 has <link rel="next"> and <a rel="next">, page 2 only <a rel="next">.
    assert links("acme-phone-x.html").next_url == base + "acme-phone-x-p2.html"
    assert links("acme-phone-x-p2.html").next_url == base + "acme-phone-x-p3.html"
    assert links("acme-phone-x-p3.html").next_url is None
    assert links("acme-phone-x-p2.html").links == (
        "http://127.0.0.1:8000/index.html", base + "acme-phone-x.html",
        base + "acme-phone-x-p3.html", base + "acme-phone-x-zh-tw.html",
    )


def test_links_keep_to_the_site_and_honour_base() -> None:
    body = b"""<html><head><base href="/shop/"><link rel="next" href="p2.html"></head><body>
      <a href="a.html#reviews">a</a> <a href="a.html">again</a> <a href="https://other.example/">x</a>
      <a href="mailto:shop@x.example">m</a> <a href="javascript:void(0)">j</a> <a href="">self</a>
      <a href="//x.example:8080/other-port">p</a> <a href="/page">self</a>
      <a href="http://[broken">b</a></body></html>"""
    assert extract_links(body, "http://x.example/page") == PageLinks(
        "http://x.example/shop/p2.html", ("http://x.example/shop/a.html",))
    assert extract_links(b"", "http://x.example/") == PageLinks(None, ())
    # A rel="next" to another site is not followed.
    offsite = b'<a rel="next" href="https://other.example/2">next</a>'
    assert extract_links(offsite, "http://x.example/") == PageLinks(None, ())


def _answers(reviews: list[Mention]) -> dict[str, list[tuple[str, str]]]:
    return {m.author.name: [(r.author, r.text) for r in m.brand_replies] for m in reviews}


def test_the_brands_answers_are_its_replies_not_reviews() -> None:
    # The page's own `brand` names the brand; no watched name is given.
    reviews = _reviews("brand-replies.html")
    assert _answers(reviews) == {
        "Maya": [("Acme", "Thank you, Maya! Enjoy your tea.")],
        "Tom": [("Acme Support", "Sorry, Tom. Please write to support and we will replace it.")],
        "Lena": [("ACME Customer Care", "Hi Lena, the K2 handle stays under 45 degrees; we sent "
                  "you a new one in case yours is faulty.")],
        "Ravi": [],
    }
    maya, tom = reviews[0].brand_replies[0], reviews[1].brand_replies[0]
    assert (maya.published_at, maya.url) == (_utc(2026, 11, 1, 11, 30),
                                             "https://shop.example/reviews/1")
    assert (tom.published_at, tom.url) == (None, None)


def test_watched_names_name_the_brand_where_the_page_does_not() -> None:
    def answers(**kwargs: object) -> dict[str, list[tuple[str, str]]]:
        return _answers(_reviews("brand-replies-microdata.html", brand="Acme", **kwargs))

    assert answers(brand_names=("Acme", "艾克美")) == {
        "王芳": [("艾克美客服", "您好，我们已为您安排换货。")]}
    assert answers() == {"王芳": []}  # "Acme" is not how 艾克美客服 signs


def test_a_reviewed_business_answers_for_itself() -> None:
    body = b"""<script type="application/ld+json">[
      {"@type": "Hotel", "name": "Harbour Inn", "review": {"@type": "Review",
        "reviewBody": "Lovely view.", "author": "Ines",
        "comment": {"@type": "Comment", "text": "Thank you, Ines!",
                    "author": {"@type": "Organization", "name": "Harbour Inn"}}}},
      {"@type": "Review", "reviewBody": "Cold soup.", "author": "Omar",
       "itemReviewed": {"@type": "Restaurant", "name": "Casa Lina"},
       "comment": [{"@type": "Comment", "text": "Sorry, Omar.", "author": "Casa Lina"},
                   {"@type": "Comment", "text": "Mine was hot.", "author": "Pia"}]}
    ]</script>"""
    assert _answers(list(extract_reviews(body, "https://x.example/"))) == {
        "Ines": [("Harbour Inn", "Thank you, Ines!")],
        "Omar": [("Casa Lina", "Sorry, Omar.")],  # Pia is another guest
    }


def test_a_brand_name_of_no_letters_makes_no_one_the_brand() -> None:
    body = """<script type="application/ld+json">{"@type": "Product", "name": "Mug",
      "brand": "™", "review": {"@type": "Review", "reviewBody": "Chipped.", "author": "Ada",
      "comment": {"@type": "Comment", "text": "Same.", "author": "Bob"}}}</script>""".encode()
    [review] = extract_reviews(body, "https://x.example/", brand_names=("—",))
    assert review.brand_replies == ()
