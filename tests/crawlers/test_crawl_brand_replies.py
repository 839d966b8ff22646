"""The brand's own accounts' replies on Reddit, Hacker News, Mastodon and Bluesky, in real
crawls of a loopback server: each is stored with the mention it answers, never as a mention.

Two crawls of one watchlist: the first finds replies whose parent is on the same page, one
whose parent it must read, one in the brand account's own posts (which are read for their
replies only), and (Hacker News) one whose parent names no brand; the second finds a new
reply to a parent the first crawl read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.coverage import SourceRun, recent_runs
from index.record import Mention
from index.sqlite import SqliteStore
from tests.crawlers.test_crawl_sources import (
    HN_SEARCH,
    MASTODON_TAG,
    REDDIT_SEARCH,
    ReplayServer,
    Reply,
    run_crawl,
)

FEED = "/xrpc/app.bsky.feed.getAuthorFeed?actor={}&limit=100"
REDDIT_PARENT = "/api/info.json?id=t3_9p2aaa&raw_json=1"
REDDIT_USER = "/user/AcmeSupport/comments.json?sort=new&raw_json=1&limit=100"
HN_AUTHOR = "/api/v1/search_by_date?tags=comment%2Cauthor_acme_hq&hitsPerPage=100"
MASTODON_ACCOUNT = "/api/v1/accounts/555/statuses?exclude_reblogs=true&limit=40"
HN_PARENT = "/api/v1/items/{}"
MASTODON_PARENT = "/api/v1/statuses/{}"
BLUESKY_PARENT = ("/xrpc/app.bsky.feed.getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Afay%2F"
                  "app.bsky.feed.post%2F3p2")
BLUESKY_THREAD = ("/xrpc/app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Adan%2F"
                  "app.bsky.feed.post%2F3p1&depth=2&parentHeight=0")
# The second crawl asks Hacker News for hits after the newest the first one stored.
HN_LATER = HN_SEARCH + "&numericFilters=created_at_i%3E1795004999"

ROUTES = {
    REDDIT_SEARCH: [Reply(file="reddit/brand-search.json"),
                    Reply(file="reddit/brand-search-later.json")],
    REDDIT_PARENT: [Reply(file="reddit/brand-parent.json")],
    REDDIT_USER: [Reply(file="reddit/brand-user-comments.json")],
    # Both parents the account's comments answer, in one request.
    "/api/info.json?id=t3_9p4aaa%2Ct3_9p3aaa&raw_json=1": [
        Reply(file="reddit/brand-parent-3.json")],
    HN_SEARCH: [Reply(file="hackernews/brand-search.json")],
    HN_LATER: [Reply(file="hackernews/brand-search-later.json")],
    HN_AUTHOR: [Reply(file="hackernews/brand-author.json")],
    HN_PARENT.format(47000900): [Reply(file="hackernews/brand-item-story.json")],
    HN_PARENT.format(47000901): [Reply(file="hackernews/brand-item-comment.json")],
    MASTODON_TAG: [Reply(file="mastodon/brand-tag.json"),
                   Reply(file="mastodon/brand-tag-later.json")],
    MASTODON_TAG + "&max_id=2001": [Reply(file="mastodon/tag-empty.json")],
    MASTODON_PARENT.format(2001): [Reply(file="mastodon/brand-status-2001.json")],
    MASTODON_PARENT.format(1999): [Reply(file="mastodon/brand-status-1999.json")],
    MASTODON_PARENT.format(1998): [Reply(file="mastodon/brand-status-1998.json")],
    "/api/v1/accounts/lookup?acct=acme%40social.example": [
        Reply(file="mastodon/brand-account.json")],
    MASTODON_ACCOUNT: [Reply(file="mastodon/brand-account-statuses.json")],
    MASTODON_ACCOUNT + "&max_id=2007": [Reply(file="mastodon/tag-empty.json")],
    FEED.format("dan.bsky.social"): [Reply(file="bluesky/brand-feed-dan.json")],
    BLUESKY_THREAD: [Reply(file="bluesky/brand-thread.json")],
    FEED.format("acme.bsky.social"): [Reply(file="bluesky/brand-feed-acme.json"),
                                      Reply(file="bluesky/brand-feed-acme-later.json")],
    BLUESKY_PARENT: [Reply(file="bluesky/brand-posts-p2.json")],
}

WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[brands.accounts]
reddit = ["AcmeSupport"]
hackernews = ["acme_hq"]
mastodon = ["@acme@social.example"]
bluesky = ["acme.bsky.social"]

[[brands.sources]]
type = "reddit"
url = "{base}"
query = "Acme"

[[brands.sources]]
type = "hackernews"
url = "{base}"
query = "Acme"

[[brands.sources]]
type = "mastodon"
instance = "{base}"
tag = "acme"

[[brands.sources]]
type = "bluesky"
url = "{base}"
actor = "dan.bsky.social"

[[brands.sources]]
type = "bluesky"
url = "{base}"
actor = "acme.bsky.social"
"""

#: What each crawl stored: per source, each mention's text and its replies' (author, text).
Stored = dict[str, dict[str, list[tuple[str, str]]]]


@dataclass
class Crawls:
    stats: tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]
    received: tuple[list[str], list[str]]
    stored: tuple[Stored, Stored]
    mentions: list[Mention]
    runs: list[SourceRun]  # the first crawl's coverage rows


def _stored(db: Path) -> tuple[Stored, list[Mention]]:
    with SqliteStore(db) as store:
        mentions = list(store.export())
    stored: Stored = {}
    for m in mentions:
        stored.setdefault(m.source, {})[m.text] = [(r.author, r.text) for r in m.brand_replies]
    return stored, mentions


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    tmp = tmp_path_factory.mktemp("brand-replies")
    routes = {path: list(replies) for path, replies in ROUTES.items()}
    with ReplayServer(routes) as server:
        (tmp / "mentionwatch.toml").write_text(WATCHLIST.format(base=server.url),
                                               encoding="utf-8")
        first = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        received, server.received = [p for _, p in server.received], []
        stored_first, _ = _stored(tmp / "mentions.db")
        runs = recent_runs(tmp / "mentions.db")
        second = run_crawl(tmp / "mentionwatch.toml", tmp / "mentions.db")
        stored_second, mentions = _stored(tmp / "mentions.db")
    yield Crawls((first, second), (received, [p for _, p in server.received]),
                 (stored_first, stored_second), mentions, runs)


def _replies(stats: dict[str, int]) -> dict[str, int]:
    return {k.rsplit("/", 1)[1]: v for k, v in stats.items()
            if k.startswith("mentionwatch/brand_replies/")}


def test_reddit_replies_go_to_their_parent_which_is_read_when_not_crawled(
        crawls: Crawls) -> None:
    first, second = (stored["reddit"] for stored in crawls.stored)
    support = "u/AcmeSupport"
    assert first == {
        "Since the update my Acme Phone X stays at 1%.": [
            (support, "Acme Support here: sorry about that! A firmware fix is rolling out "
                      "today.")],
        # Someone else's reply is a mention of its own, answering nobody for the brand.
        "Acme fixed mine after a reset.": [],
        # Its parent was not in the search: read once, and stored with the reply.
        "The left Acme bud does not charge.": [
            ("u/acmesupport", "Acme Support here: we have sent you a DM.")],
        # Replies naming no brand, found in the account's own comments.
        "Acme Phone X is the best phone I have owned": [
            (support, "Thanks for the kind words, Riley!")],
        "Two years with Acme and no regrets": [(support, "We appreciate it, Max!")],
    }
    assert second["The left Acme bud does not charge."] == [
        ("u/acmesupport", "Acme Support here: we have sent you a DM."),
        (support, "Acme Support again: the replacement has shipped.")]
    # The re-crawled post keeps the reply the first crawl attached.
    assert second["Since the update my Acme Phone X stays at 1%."] == first[
        "Since the update my Acme Phone X stays at 1%."]
    assert sorted(p for p in crawls.received[0] if p.startswith("/api/info.json")) == [
        "/api/info.json?id=t3_9p2aaa&raw_json=1",
        "/api/info.json?id=t3_9p4aaa%2Ct3_9p3aaa&raw_json=1"]
    # The first crawl saw those parents, and the account's reply (so its parent is not read).
    assert not [p for p in crawls.received[1] if p.startswith("/api/info.json")]
    assert REDDIT_USER in crawls.received[1]
    assert _replies(crawls.stats[0]["reddit"]) == {
        "parents_read": 3, "attached": 4, "received": 4}


def test_hacker_news_replies_attach_and_a_parent_naming_no_brand_drops_them(
        crawls: Crawls) -> None:
    first, second = (stored["hackernews"] for stored in crawls.stored)
    assert first == {
        "Acme Phone X battery drain after update": [
            ("acme_hq", "Hi, Acme engineer here: fixed in 2.1.")],
        "Acme support told me the same.": [],
        "Show HN: an Acme Buds Pro equaliser": [
            ("ACME_HQ", "Acme here: thanks for the report.")],
    }  # the account's reply to "This new phone is great." is nobody's: that names no brand
    assert second["Show HN: an Acme Buds Pro equaliser"] == [
        ("ACME_HQ", "Acme here: thanks for the report."), ("acme_hq", "Acme here: 2.2 is out.")]
    assert sorted(p for p in crawls.received[0] if p.startswith("/api/v1/items/")) == [
        HN_PARENT.format(47000900), HN_PARENT.format(47000901)]
    assert not [p for p in crawls.received[1] if p.startswith("/api/v1/items/")]
    assert _replies(crawls.stats[0]["hackernews"]) == {
        "parents_read": 2, "parent_not_a_mention": 1, "attached": 2, "received": 2}


def test_mastodon_replies_find_their_parent_by_its_server_id(crawls: Crawls) -> None:
    first, second = (stored["mastodon"] for stored in crawls.stored)
    brand = "@acme@social.example"
    assert first == {
        "My #Acme phone died again.": [(brand, "Sorry Ann! #Acme support will DM you.")],
        "#Acme fixed mine.": [],
        "Loving my new #Acme buds.": [(brand, "#Acme here: thanks!")],
        # From the account's statuses: its reply is kept, its own post is not read there.
        "Bought the #Acme buds today.": [(brand, "Thank you, Cat!")],
    }
    assert second["Loving my new #Acme buds."] == [
        (brand, "#Acme here: thanks!"), (brand, "#Acme here: the new buds ship next week.")]
    assert second["My #Acme phone died again."] == first["My #Acme phone died again."]
    # A reply names its parent by the server's own id, not the uri a mention is known by:
    # its parent is read even when the crawl found it, once per parent, and a reply seen
    # before is not sent again, so the second crawl reads only the new reply's parent.
    parents = [p for p in crawls.received[0] if p.startswith("/api/v1/statuses/")]
    assert sorted(parents) == [MASTODON_PARENT.format(n) for n in (1998, 1999, 2001)]
    assert [p for p in crawls.received[1] if p.startswith("/api/v1/statuses/")] == [
        MASTODON_PARENT.format(1999)]


def test_bluesky_replies_in_threads_and_in_the_brand_feed_go_to_their_parent(
        crawls: Crawls) -> None:
    first, second = (stored["bluesky"] for stored in crawls.stored)
    brand = "@acme.bsky.social"
    assert first == {
        "My Acme Phone X screen cracked on day two.": [
            (brand, "Sorry Dan, we will replace it.")],
        "Same happened to me.": [],  # a direct reply to the post: a mention, not the brand's
        "Loving the Acme Buds Pro.": [(brand, "Thanks Fay, glad you like them!")],
        # The brand's own post answers nobody: it stays a mention, as before.
        "The Acme Phone Y is here.": [],
    }
    assert second["Loving the Acme Buds Pro."] == [
        (brand, "Thanks Fay, glad you like them!"),
        (brand, "Fay, the firmware for your buds is out.")]
    assert crawls.received[0].count(BLUESKY_PARENT) == 1
    assert BLUESKY_PARENT not in crawls.received[1]


def test_coverage_counts_mentions_found_not_replies(crawls: Crawls) -> None:
    first = {run.source: run.found for run in crawls.runs if run.source != "bluesky"}
    # Reddit: 2 posts and a comment of the search, 2 parents of the account's comments.
    assert first == {"reddit": 5, "hackernews": 3, "mastodon": 4}


def test_replies_keep_their_time_and_url_and_are_not_mentions(crawls: Crawls) -> None:
    post = next(m for m in crawls.mentions if m.text.startswith("Since the update my Acme"))
    [reply] = post.brand_replies
    answered = datetime.fromtimestamp(1795003600, UTC)
    assert (reply.published_at, post.first_reply_at) == (answered, answered)
    assert reply.url is not None and reply.url.endswith("/r/gadgets/comments/9p1aaa/x/9b1aaa/")
    texts = {m.text for m in crawls.mentions}
    assert not [r.text for m in crawls.mentions for r in m.brand_replies if r.text in texts]
