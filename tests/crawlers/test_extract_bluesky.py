from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.extract.bluesky import (
    LoginFailed,
    extract_feed,
    extract_search,
    feed_url,
    next_page,
    read_session,
    search_url,
    xrpc_error,
)
from index.record import Author, Engagement, Mention, mention_id
from index.watchlist import Brand

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "bluesky"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
ACME = Brand(name="Acme", terms=("Acme",))
URL = feed_url("https://public.api.bsky.app", "ann.bsky.social")
ANN = "did:plc:ann4example2q7hz5vbe3fd"


def _posts(name: str, errors: list[tuple[str, str]] | None = None) -> list[Mention]:
    report = (lambda r, d: errors.append((r, d))) if errors is not None else None
    return list(extract_feed((PAGES / name).read_bytes(), URL, ACME, collected_at=COLLECTED,
                             on_error=report))


def test_feed_url() -> None:
    assert URL == ("https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed"
                   "?actor=ann.bsky.social&limit=100")


def test_posts_naming_the_brand_reposts_as_the_original() -> None:
    errors: list[tuple[str, str]] = []
    camera, support = _posts("feed-page1.json", errors)  # "Lunch." names no brand
    assert camera == Mention.create(
        source="bluesky", native_id=f"at://{ANN}/app.bsky.feed.post/3lbq2xk7fds2a",
        kind="post", url="https://bsky.app/profile/ann.bsky.social/post/3lbq2xk7fds2a",
        text="The Acme Phone X camera at night is unreal. Sample shots below.",
        author=Author(name="Ann Lee", handle="@ann.bsky.social",
                      url="https://bsky.app/profile/ann.bsky.social"),
        published_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), collected_at=COLLECTED,
        lang="en", engagement=Engagement(likes=40, replies=3, reposts=6), brand="Acme",
        matched_terms=("Acme",))
    # Ann reposted Bo's reply: it is Bo's post, a comment under Ann's.
    assert (support.kind, support.author, support.url, support.parent_id, support.lang) == (
        "comment",
        Author(name="bo.example.com", handle="@bo.example.com",
               url="https://bsky.app/profile/bo.example.com"),
        "https://bsky.app/profile/bo.example.com/post/3lbpzzz9xyz2k",
        mention_id("bluesky", f"at://{ANN}/app.bsky.feed.post/3lbpyyy1aaa2b"), "en")
    assert [(r, "'author'" in d) for r, d in errors] == [("item", True)]


def test_paging_by_cursor_until_an_empty_page() -> None:
    assert next_page((PAGES / "feed-page1.json").read_bytes(), URL) == (
        URL + "&cursor=2026-11-19T15%3A00%3A00.000Z")
    assert next_page((PAGES / "feed-end.json").read_bytes(), URL) is None


def test_truncated_body_is_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _posts("truncated.json", errors) == []
    assert [r for r, _ in errors] == ["json"]


SEARCH = search_url("https://bsky.social", "Acme")


def test_search_pages_give_posts_naming_the_brand_then_stop_at_a_truncated_page() -> None:
    errors: list[tuple[str, str]] = []
    page1 = list(extract_search((PAGES / "search-page1.json").read_bytes(), SEARCH, ACME,
                                collected_at=COLLECTED,
                                on_error=lambda r, d: errors.append((r, d))))
    # The account named acme.bsky.social matched the search but its text names no brand.
    assert [(m.author.handle, m.kind, m.lang) for m in page1] == [
        ("@cat.bsky.social", "post", "en"), ("@dan.example.org", "post", "zh-Hans")]
    assert SEARCH == ("https://bsky.social/xrpc/app.bsky.feed.searchPosts"
                      "?q=Acme&sort=latest&limit=100")
    assert next_page((PAGES / "search-page1.json").read_bytes(), SEARCH) == SEARCH + "&cursor=25"
    truncated = (PAGES / "search-truncated.json").read_bytes()
    assert list(extract_search(truncated, SEARCH, ACME,
                               on_error=lambda r, d: errors.append((r, d)))) == []
    assert next_page(truncated, SEARCH) is None
    assert [r for r, _ in errors] == ["json"]


def test_session_tokens_and_why_a_login_failed() -> None:
    session = read_session((PAGES / "session-created.json").read_bytes(), "u")
    assert session.access.endswith(".access-one.sig1")
    assert session.refresh.endswith(".refresh-one.sig2")
    assert "access-one" not in repr(session)  # never in a log line
    with pytest.raises(LoginFailed, match="AuthenticationRequired: Invalid identifier"):
        read_session((PAGES / "login-refused.json").read_bytes(), "u")
    assert xrpc_error((PAGES / "expired-token.json").read_bytes()) == (
        "ExpiredToken: Token has expired")
    assert xrpc_error(b"<html>") == ""
