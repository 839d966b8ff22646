from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawlers.extract.hackernews import extract_hits, next_page, search_url
from index.record import Author, Engagement, Mention, mention_id
from index.watchlist import Brand

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "hackernews"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
ACME = Brand(name="Acme", terms=("Acme",))
FIRST = "https://hn.algolia.com/api/v1/search_by_date?query=Acme&tags=%28story%2Ccomment%29&hitsPerPage=100"


def _hits(name: str, errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    report = (lambda r, d: errors.append((r, d))) if errors is not None else None
    return list(extract_hits((PAGES / name).read_bytes(), FIRST, ACME, collected_at=COLLECTED,
                             on_error=report))


def test_search_url_pages_by_time() -> None:
    assert search_url("https://hn.algolia.com/", "Acme") == FIRST
    assert search_url("http://127.0.0.1:9/", "Acme Buds", since=1795000000) == (
        "http://127.0.0.1:9/api/v1/search_by_date?query=Acme+Buds&tags=%28story%2Ccomment%29"
        "&hitsPerPage=100&numericFilters=created_at_i%3E1795000000")


def test_stories_and_comments_naming_the_brand() -> None:
    story, comment = _hits("search-page1.json")  # zed's comment names no brand
    assert story == Mention.create(
        source="hackernews", native_id="46011001", kind="post",
        url="https://news.ycombinator.com/item?id=46011001",
        text="Acme open-sources its phone firmware",
        author=Author(name="kestrel", handle="kestrel",
                      url="https://news.ycombinator.com/user?id=kestrel"),
        published_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), collected_at=COLLECTED,
        title="Acme open-sources its phone firmware", lang="en",
        engagement=Engagement(score=215, replies=2), brand="Acme", matched_terms=("Acme",))
    assert (comment.kind, comment.title, comment.text, comment.parent_id, comment.id) == (
        "comment", None,
        "Good move by Acme. The build instructions are at https://acme.example/build.\n"
        "Compiles in <10 minutes here.",
        mention_id("hackernews", "46011001"), mention_id("hackernews", "46011010"))


def test_ask_hn_story_text_is_the_text() -> None:
    [story] = _hits("search-page2.json")
    assert (story.title, story.text, story.engagement) == (
        "Ask HN: Acme Buds Pro on Linux?",
        "Has anyone run the Acme Buds Pro with Linux? Pairing works, the mic does not.",
        Engagement(score=4, replies=0))


def test_next_page_goes_back_to_the_oldest_hit_and_stops_on_a_short_page() -> None:
    following = next_page((PAGES / "search-page1.json").read_bytes(), FIRST)
    assert following == FIRST + "&numericFilters=created_at_i%3C%3D1795076100"
    assert next_page((PAGES / "search-page2.json").read_bytes(), following or "") is None
    since = search_url("https://hn.algolia.com", "Acme", since=1795000000)
    assert next_page((PAGES / "search-page1.json").read_bytes(), since) == (
        since.replace("1795000000", "1795000000%2Ccreated_at_i%3C%3D1795076100"))


def test_truncated_body_is_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _hits("truncated.json", errors) == []
    assert [r for r, _ in errors] == ["json"]
    assert next_page((PAGES / "truncated.json").read_bytes(), FIRST) is None
