# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawlers.extract.reddit import extract_listing, next_page
from index.record import Author, Engagement, Mention, mention_id
from index.watchlist import Brand

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "reddit"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
ACME = Brand(name="Acme", terms=("Acme", "艾克美"))
SEARCH = "https://www.reddit.com/search.json?q=Acme&sort=new&raw_json=1"


def _listing(name: str, url: str = SEARCH, match: bool = True,
             errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    body = (PAGES / name).read_bytes()
    report = (lambda reason, detail: errors.append((reason, detail))) if errors is not None \
        else None
    return list(extract_listing(body, url, ACME, match=match, collected_at=COLLECTED,
                                on_error=report))


def test_search_keeps_posts_naming_the_brand() -> None:
    phone, buds = _listing("search-page1.json")  # the Zephyr post names no Acme term
    assert phone == Mention.create(
        source="reddit", native_id="t3_1x9d2mf", kind="post",
        url="https://www.reddit.com/r/gadgets/comments/1x9d2mf/acme_phone_x_six_months_later/",
        text="Six months with the Acme Phone X: battery still lasts two days & the camera is "
             "great. Would buy again.",
        author=Author(name="lowbattery_larry", handle="u/lowbattery_larry",
                      url="https://www.reddit.com/user/lowbattery_larry"),
        published_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), collected_at=COLLECTED,
        title="Acme Phone X, six months later", lang="en",
        engagement=Engagement(score=128, replies=41), brand="Acme", matched_terms=("Acme",))
    # A removed body leaves the title as the text; a deleted author has no name or profile.
    assert (buds.text, buds.title, buds.author, buds.published_at, buds.engagement) == (
        "ACME buds pro keep disconnecting <help>", "ACME buds pro keep disconnecting <help>",
        Author(name=""), datetime(2026, 11, 19, 8, 15, tzinfo=UTC),
        Engagement(score=0, replies=5))


def test_chinese_post_is_detected_and_matched() -> None:
    [post] = _listing("search-page2.json")
    assert (post.lang, post.matched_terms, post.title) == (
        "zh-Hans", ("Acme", "艾克美"), "艾克美手机体验")


def test_paging_follows_after_until_it_is_null() -> None:
    assert next_page((PAGES / "search-page1.json").read_bytes(), SEARCH) == (
        "https://www.reddit.com/search.json?q=Acme&sort=new&raw_json=1&after=t3_1x9b7kq")
    following = SEARCH + "&after=t3_1x9b7kq"
    assert next_page((PAGES / "search-page2.json").read_bytes(), following) is None
    assert next_page((PAGES / "truncated.json").read_bytes(), SEARCH) is None


def test_subreddit_comments_keep_every_comment_with_its_parent() -> None:
    url = "https://www.reddit.com/r/acme/comments.json?raw_json=1"
    errors: list[tuple[str, str]] = []
    [comment] = _listing("comments.json", url, match=False, errors=errors)
    assert (comment.kind, comment.id, comment.parent_id, comment.title, comment.text,
            comment.matched_terms, comment.engagement.score) == (
        "comment", mention_id("reddit", "t1_lq3z8aa"), mention_id("reddit", "t3_1x9d2mf"),
        None, "Same here, mine still holds a charge all weekend.", (), 12)
    # The deleted comment and the "more" stub are skipped quietly; the one without a
    # permalink is reported.
    assert [(reason, detail.split(": ")[0]) for reason, detail in errors] == [("item", url)]
    assert "permalink" in errors[0][1]


def test_truncated_or_misshapen_body_is_reported_not_raised() -> None:
    errors: list[tuple[str, str]] = []
    assert _listing("truncated.json", errors=errors) == []
    assert _listing("wrong-shape.json", errors=errors) == []
    assert [(reason, detail.split(": ")[0]) for reason, detail in errors] == [
        ("json", SEARCH), ("shape", SEARCH)]
