from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.extract.bluesky import (
    LoginFailed,
    ThreadRoot,
    extract_feed,
    extract_search,
    extract_thread,
    feed_url,
    next_page,
    read_session,
    search_url,
    thread_roots,
    thread_url,
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


CAMERA = f"at://{ANN}/app.bsky.feed.post/3lbq2xk7fds2a"
THREAD = thread_url("https://public.api.bsky.app", CAMERA)


def _thread(name: str, errors: list[tuple[str, str]]) -> list[Mention]:
    return list(extract_thread((PAGES / name).read_bytes(), THREAD, ACME, collected_at=COLLECTED,
                               on_error=lambda r, d: errors.append((r, d))))


def test_thread_url_asks_for_two_levels_of_replies_and_no_parents() -> None:
    assert THREAD == ("https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread"
                      "?uri=at%3A%2F%2Fdid%3Aplc%3Aann4example2q7hz5vbe3fd%2Fapp.bsky.feed.post"
                      "%2F3lbq2xk7fds2a&depth=2&parentHeight=0")


def test_threads_are_read_for_posts_naming_the_brand_that_have_replies() -> None:
    # "Lunch." has no replies and no brand; the broken post has neither author nor count.
    assert thread_roots((PAGES / "feed-page1.json").read_bytes(), URL, ACME) == [
        ThreadRoot(CAMERA, 3),
        ThreadRoot("at://did:plc:bo7example9k2ld8wq0xa1m/app.bsky.feed.post/3lbpzzz9xyz2k", 1)]
    # acme.bsky.social's own post has 4 replies but does not name the brand.
    assert thread_roots((PAGES / "search-page1.json").read_bytes(), SEARCH, ACME) == [
        ThreadRoot("at://did:plc:cat3example5m1vw8ke2rz/app.bsky.feed.post/3lcaaa1qwe22k", 2)]
    assert thread_roots(b'{"feed": [', URL, ACME) == []
    assert ThreadRoot(CAMERA, 3).seen_id != ThreadRoot(CAMERA, 4).seen_id


def test_thread_keeps_direct_replies_and_deeper_replies_naming_the_brand() -> None:
    errors: list[tuple[str, str]] = []
    replies = _thread("thread-camera.json", errors)
    # Cat's "nice, thanks for sharing" answers Bo, not the brand post, and names no brand;
    # the blocked and the deleted reply are skipped without an error.
    assert [(m.author.handle, m.text, m.matched_terms) for m in replies] == [
        ("@bo.example.com", "Which lens did you shoot these with?", ()),
        ("@ann.bsky.social", "The stock one, Acme's night mode does the rest.", ("Acme",)),
        ("@eve.example.net", "Acme should put this sensor in the Mini too.", ("Acme",)),
    ]
    lens, stock, mini = replies
    assert {m.kind for m in replies} == {"comment"}
    assert lens.parent_id == mini.parent_id == mention_id("bluesky", CAMERA)
    assert stock.parent_id == lens.id
    assert (lens.url, lens.engagement, lens.published_at, lens.brand) == (
        "https://bsky.app/profile/bo.example.com/post/3lbq3bo1lens2a",
        Engagement(likes=2, replies=2, reposts=0), datetime(2026, 11, 20, 9, 20, tzinfo=UTC),
        "Acme")
    assert errors == []


def test_a_thread_of_only_blocked_replies_gives_nothing_and_no_error() -> None:
    errors: list[tuple[str, str]] = []
    assert _thread("thread-support.json", errors) == []
    assert errors == []


def test_an_unreadable_thread_is_reported() -> None:
    errors: list[tuple[str, str]] = []
    assert _thread("truncated.json", errors) == []
    assert list(extract_thread(b'{"error": "NotFound"}', THREAD, ACME,
                               on_error=lambda r, d: errors.append((r, d)))) == []
    assert [r for r, _ in errors] == ["json", "shape"]
