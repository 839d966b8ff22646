# Chinese test text uses full-width punctuation on purpose.

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawlers.extract.mastodon import extract_statuses, next_page, tag_url
from index.record import Author, Engagement, Mention, mention_id
from index.watchlist import Brand

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "mastodon"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
ACME = Brand(name="Acme", terms=("Acme", "艾克美"))
URL = "https://social.example/api/v1/timelines/tag/acme?limit=40"


def _statuses(name: str, errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    report = (lambda r, d: errors.append((r, d))) if errors is not None else None
    return list(extract_statuses((PAGES / name).read_bytes(), URL, ACME,
                                 collected_at=COLLECTED, on_error=report))


def test_tag_url() -> None:
    assert tag_url("https://social.example/", "acme") == URL


def test_statuses_naming_the_brand_with_boosts_unwrapped() -> None:
    ann, chris = _statuses("tag-page1.json")  # "Acmeville" is not the brand
    assert ann == Mention.create(
        source="mastodon",
        native_id="https://social.example/users/ann/statuses/113552019284710001",
        kind="post", url="https://social.example/@ann/113552019284710001",
        text="Three weeks with the #Acme Phone X & the battery is still excellent.\n"
             "Recommended!",
        author=Author(name="Ann Lee", handle="@ann", url="https://social.example/@ann",
                      followers=340),
        published_at=datetime(2026, 11, 20, 9, 15, tzinfo=UTC), collected_at=COLLECTED,
        lang="en", engagement=Engagement(likes=12, replies=2, reposts=5), brand="Acme",
        matched_terms=("Acme",))
    # Bob's boost is Chris's status: known by its global uri, by its author, in its language.
    assert chris.id == mention_id("mastodon", "https://remote.example/users/chris/statuses/42")
    assert (chris.kind, chris.url, chris.author, chris.title, chris.text, chris.lang,
            chris.published_at, chris.engagement) == (
        "comment", "https://remote.example/@chris/42",
        Author(name="chris@remote.example", handle="@chris@remote.example",
               url="https://remote.example/@chris", followers=58),
        "Acme rant", "Der Akku meines Acme-Telefons hält keinen Tag mehr.", "de",
        datetime(2026, 11, 19, 21, 40, tzinfo=UTC), Engagement(likes=3, replies=1, reposts=1))


def test_declared_chinese_gets_its_script() -> None:
    [mei] = _statuses("tag-page2.json")
    assert (mei.lang, mei.matched_terms, mei.text) == ("zh-Hant", ("艾克美",),
                                                       "艾克美的耳機音質很好，推薦！")


def test_next_page_prefers_the_link_header_else_max_id() -> None:
    body = (PAGES / "tag-page1.json").read_bytes()
    link = ('<https://social.example/api/v1/timelines/tag/acme?limit=40&max_id=113552019284710003>;'
            ' rel="next", <https://social.example/api/v1/timelines/tag/acme?min_id=1>; rel="prev"')
    assert next_page(body, URL, link) == (
        "https://social.example/api/v1/timelines/tag/acme?limit=40&max_id=113552019284710003")
    assert next_page(body, URL) == URL + "&max_id=113552019284710003"
    assert next_page((PAGES / "tag-empty.json").read_bytes(), URL, link) is None


def test_truncated_body_is_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _statuses("truncated.json", errors) == []
    assert errors == [("json", errors[0][1])] and errors[0][1].startswith(URL)
