"""The social extractors tell the brand's accounts' replies from mentions, on saved answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from api.watchlist import WatchedBrand, parse_watchlist
from crawlers.extract.accounts import AccountReply
from crawlers.extract.bluesky import extract_feed
from crawlers.extract.hackernews import extract_item
from crawlers.extract.mastodon import extract_statuses
from crawlers.extract.reddit import extract_listing
from index.record import BrandReply, Mention, mention_id

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
ACCOUNTS = """\
[[brands]]
name = "Acme"
terms = ["Acme"]
[brands.accounts]
reddit = ["u/AcmeSupport"]
mastodon = ["@ACME@social.example"]
bluesky = ["{bluesky}"]
"""


def acme(bluesky: str = "acme.bsky.social") -> WatchedBrand:
    return parse_watchlist(ACCOUNTS.format(bluesky=bluesky)).brand("Acme")


def test_a_mastodon_account_is_its_server_too() -> None:
    body = (PAGES / "mastodon/brand-tag.json").read_bytes()
    local, remote, *_ = extract_statuses(body, "https://social.example/api", acme())
    # The server's own `acme` answering status 1999: known by that local id only.
    assert local == AccountReply(
        id=mention_id("mastodon", "https://social.example/users/acme/statuses/2004"),
        source="mastodon", brand="Acme", parent="1999", parent_id=None,
        reply=BrandReply("#Acme here: thanks!", "@acme@social.example",
                         datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
                         "https://social.example/@acme/2004"))
    # `acmefan@other.example` is not the brand: its reply is a mention.
    assert isinstance(remote, Mention) and remote.kind == "comment"
    status = json.loads(body)[0]
    status["account"] = {**status["account"], "acct": "acme@other.example",
                         "url": "https://other.example/@acme"}
    [other] = extract_statuses(json.dumps([status]).encode(), "https://social.example/api",
                               acme())
    assert isinstance(other, Mention)  # the same name on another server is someone else


def test_a_bluesky_account_may_be_named_by_its_did() -> None:
    body = (PAGES / "bluesky/brand-feed-acme.json").read_bytes()
    reply, own = extract_feed(body, "https://public.api.bsky.app/x", acme("did:plc:acme"))
    assert isinstance(reply, AccountReply) and reply.parent_id == mention_id(
        "bluesky", "at://did:plc:fay/app.bsky.feed.post/3p2")
    # The brand's post that answers nobody stays a mention.
    assert isinstance(own, Mention) and own.text == "The Acme Phone Y is here."


def test_a_deleted_reddit_reply_is_nothing() -> None:
    listing = json.loads((PAGES / "reddit/brand-search.json").read_bytes())
    listing["data"]["children"] = listing["data"]["children"][:1]
    listing["data"]["children"][0]["data"]["body"] = "[deleted]"
    assert list(extract_listing(json.dumps(listing).encode(), "https://www.reddit.com/x",
                                acme())) == []


def test_a_hacker_news_item_reads_as_a_hit() -> None:
    body = (PAGES / "hackernews/brand-item-story.json").read_bytes()
    [story] = extract_item(body, "https://hn.algolia.com/api/v1/items/47000900", acme())
    assert isinstance(story, Mention)
    assert (story.kind, story.text, story.url) == (
        "post", "Show HN: an Acme Buds Pro equaliser",
        "https://news.ycombinator.com/item?id=47000900")
    errors: list[tuple[str, str]] = []
    assert list(extract_item(b"[1]", "https://hn.algolia.com/api/v1/items/1", acme(),
                             on_error=lambda *e: errors.append(e))) == []
    assert [reason for reason, _ in errors] == ["shape"]
