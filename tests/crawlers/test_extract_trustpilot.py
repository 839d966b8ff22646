# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawlers.extract.trustpilot import extract_reviews, next_page, review_url
from index.record import Author, BrandReply, Engagement, Mention, Rating

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "trustpilot"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
URL = review_url("https://www.trustpilot.com/", "acme.example")


def _reviews(name: str, errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    report = (lambda r, d: errors.append((r, d))) if errors is not None else None
    return list(extract_reviews((PAGES / name).read_bytes(), URL, brand="Acme",
                                collected_at=COLLECTED, on_error=report))


def test_reviews_from_next_data() -> None:
    errors: list[tuple[str, str]] = []
    ann, jonas = _reviews("acme-page1.html", errors)
    assert ann == Mention.create(
        source="trustpilot", native_id="6740aa0000000000000000a1", kind="review",
        url="https://www.trustpilot.com/reviews/6740aa0000000000000000a1",
        text="Ordered the Acme Phone X on Monday, it arrived Tuesday. <Great> service.",
        author=Author(name="Ann Lee", url="https://www.trustpilot.com/users/5f00000000000000000000c1",
                      verified=True),
        published_at=datetime(2026, 11, 20, 10, 20, 30, tzinfo=UTC), collected_at=COLLECTED,
        title="Fast delivery", lang="en", rating=Rating(5, 5, 1), engagement=Engagement(likes=2),
        brand="Acme", brand_replies=(BrandReply(
            "Thank you, Ann!", "Acme", datetime(2026, 11, 20, 12, 0, tzinfo=UTC)),))
    assert (jonas.lang, jonas.rating, jonas.title) == ("de", Rating(1, 5, 1), "Kein Support")
    assert jonas.brand_replies == ()  # `reply` is null
    # A rating of 0 is outside Trustpilot's 1-5: reported, not guessed.
    assert [(r, "0" in d) for r, d in errors] == [("item", True)]


def test_a_reply_without_words_is_no_reply_and_the_review_is_kept() -> None:
    page = (PAGES / "acme-page1.html").read_text(encoding="utf-8").replace(
        '"message": "Thank you, Ann!"', '"message": "  "')
    [ann, _] = extract_reviews(page.encode(), URL, brand="Acme", on_error=lambda *_: None)
    assert (ann.author.name, ann.brand_replies) == ("Ann Lee", ())


def test_declared_plain_zh_gets_its_script() -> None:
    [chen] = _reviews("acme-page3.html")
    assert (chen.lang, chen.author.name, chen.text) == (
        "zh-Hant", "陈", "出貨很快，客服也很有禮貌。")


def test_paging_stops_at_the_last_page() -> None:
    assert next_page((PAGES / "acme-page1.html").read_bytes(), URL) == URL + "?page=2"
    assert next_page((PAGES / "acme-page3.html").read_bytes(), URL + "?page=3") is None
    assert next_page((PAGES / "truncated.html").read_bytes(), URL) is None


def test_unreadable_pages_are_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _reviews("truncated.html", errors) == []
    assert _reviews("no-next-data.html", errors) == []
    assert [r for r, _ in errors] == ["json", "next_data"]
