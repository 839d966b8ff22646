# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from crawlers.extract.appstore import extract_reviews, feed_url, next_page
from index.record import Author, Engagement, Mention, Rating, mention_id

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "appstore"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
URL = feed_url("https://itunes.apple.com", "1555550101", "us")
PDT = timezone(timedelta(hours=-7))


def _reviews(name: str, errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    report = (lambda r, d: errors.append((r, d))) if errors is not None else None
    return list(extract_reviews((PAGES / name).read_bytes(), URL, app_id="1555550101",
                                country="us", brand="Acme", collected_at=COLLECTED,
                                on_error=report))


def test_feed_url() -> None:
    assert URL == ("https://itunes.apple.com/us/rss/customerreviews/page=1/id=1555550101"
                   "/sortby=mostrecent/json")


def test_reviews_with_string_ratings_on_five_stars() -> None:
    errors: list[tuple[str, str]] = []
    first, second, chinese = _reviews("page1.json", errors)
    assert first == Mention.create(
        source="appstore", native_id="11873400001", kind="review",
        url="https://apps.apple.com/us/app/id1555550101?see-all=reviews",
        text="Pairs with my Acme TV in seconds. The new widget is great.",
        author=Author(name="nightowl_88", url="https://itunes.apple.com/us/reviews/id301"),
        published_at=datetime(2026, 11, 20, 14, 2, 11, tzinfo=PDT), collected_at=COLLECTED,
        title="Best remote app", lang="en", rating=Rating(5, 5, 1),
        engagement=Engagement(likes=3), brand="Acme")
    assert (second.rating, second.engagement.likes) == (Rating(2, 5, 1), 11)
    assert (chinese.id, chinese.lang, chinese.rating, chinese.title) == (
        mention_id("appstore", "11873400004"), "zh-Hans", Rating(4, 5, 1), "不错")
    # The entry whose rating is "six" is reported, not guessed.
    assert [(r, "'six'" in d) for r, d in errors] == [("item", True)]


def test_a_page_with_one_review_has_an_object_not_a_list() -> None:
    [only] = _reviews("page2-single-entry.json")
    assert (only.text, only.rating) == ("Crashes on launch on my iPad.", Rating(1, 5, 1))


def test_pages_go_on_while_they_have_entries_up_to_ten() -> None:
    page1 = (PAGES / "page1.json").read_bytes()
    assert next_page(page1, URL) == URL.replace("page=1", "page=2")
    assert next_page(page1, URL.replace("page=1", "page=10")) is None
    assert next_page((PAGES / "page3-empty.json").read_bytes(), URL) is None
    assert _reviews("page3-empty.json") == []


def test_truncated_body_is_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _reviews("truncated.json", errors) == []
    assert [r for r, _ in errors] == ["json"]
