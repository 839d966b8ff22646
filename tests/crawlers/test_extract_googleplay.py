"""Canary for Google Play's undocumented review RPC: the recorded responses must read
exactly, and any change of shape must raise, never come back as "no reviews"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from crawlers.extract.googleplay import (
    PlayFormatChanged,
    extract_reviews,
    next_token,
    request_body,
    rpc_url,
)
from index.record import Author, BrandReply, Engagement, Mention, Rating

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "googleplay"
COLLECTED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
URL = rpc_url("https://play.google.com", "en", "us")
APP = "com.acme.remote"


def _reviews(name: str) -> list[Mention]:
    return list(extract_reviews((PAGES / name).read_bytes(), URL, app_id=APP, lang="en",
                                brand="Acme", collected_at=COLLECTED))


def test_request_asks_for_the_newest_reviews_after_a_token() -> None:
    assert URL == ("https://play.google.com/_/PlayStoreUi/data/batchexecute"
                   "?rpcids=UsvDTd&hl=en&gl=us")
    body = request_body(APP, "tok")
    assert body.startswith("f.req=")
    [[[rpc, args, _, kind]]] = json.loads(unquote(body.removeprefix("f.req=")))
    assert (rpc, kind, json.loads(args)) == (
        "UsvDTd", "generic", [None, None, [2, 2, [100, None, "tok"]], [APP, 7]])


def test_recorded_reviews_read_exactly() -> None:
    priya, tomas = _reviews("reviews-page1.txt")  # the third has stars but no words
    assert priya == Mention.create(
        source="googleplay", native_id="gp:AOqpTOH1xq0u8JtY7Zc1mWq3aVY9", kind="review",
        url="https://play.google.com/store/apps/details?id=com.acme.remote"
            "&reviewId=gp%3AAOqpTOH1xq0u8JtY7Zc1mWq3aVY9",
        text="Best remote for my Acme TV. Setup took a minute.", author=Author(name="Priya Raman"),
        published_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC), collected_at=COLLECTED,
        lang="en", rating=Rating(5, 5, 1), engagement=Engagement(likes=14), brand="Acme",
        brand_replies=(BrandReply("Thanks Priya!", "Acme",
                                  datetime(2026, 11, 20, 18, 40, tzinfo=UTC)),))
    assert tomas.brand_replies == ()  # position 7 is null
    # The language asked for (hl=en) is declared; the text itself is Spanish.
    assert (tomas.author.name, tomas.rating, tomas.lang) == ("Tomás", Rating(2, 5, 1), "en")


def test_a_developer_reply_without_a_time_is_kept_undated() -> None:
    kim, _, _ = _reviews("reviews-replied.txt")
    assert kim.brand_replies == (BrandReply("Thanks Kim, we are looking into it.", "Acme"),)
    assert kim.first_reply_at is None


def test_a_developer_reply_of_another_shape_fails_loudly() -> None:
    body = (PAGES / "reviews-page1.txt").read_text(encoding="utf-8").replace(
        '\\"Thanks Priya!\\"', "42")
    with pytest.raises(PlayFormatChanged, match="developer reply not as recorded"):
        list(extract_reviews(body.encode(), URL, app_id=APP, lang="en"))


def test_paging_token_until_the_last_page() -> None:
    assert next_token((PAGES / "reviews-page1.txt").read_bytes(), URL) == (
        "Cp0BCpoBKpcBCAESkgEKJEN0cmxEZW1vVG9rZW4")
    assert next_token((PAGES / "reviews-last.txt").read_bytes(), URL) is None


def test_an_app_without_reviews_is_empty_not_an_error() -> None:
    assert _reviews("no-reviews.txt") == []


@pytest.mark.parametrize(("name", "problem"), [
    ("format-changed.txt", "review row not as recorded"),
    ("refused.txt", "reply is empty"),
    ("html-instead.txt", "no \")]}'\" prefix"),
])
def test_any_change_of_shape_fails_loudly(name: str, problem: str) -> None:
    with pytest.raises(PlayFormatChanged, match=re.escape(problem)):
        _reviews(name)
