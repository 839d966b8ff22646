"""A real crawl (`mentionwatch crawl`, the default model) of a product page on 127.0.0.1:
each review gets its aspects with their own polarity, in English and Traditional Chinese,
the brand's own aspect terms from the watchlist included, and they are searchable."""

from __future__ import annotations

from pathlib import Path

from index.record import Aspect
from index.sqlite import SqliteStore
from tests.crawlers.product_page import crawl_product_page, review

MIXED = "Love the screen, but the battery dies by noon and the hinge feels flimsy."
CHINESE = "螢幕很清晰，出貨很慢，客服沒人理。"


def test_each_review_gets_its_aspects_with_their_own_polarity(tmp_path: Path) -> None:
    db = crawl_product_page(tmp_path, [
        review("Mia", "2026-11-01", MIXED, 4),
        review("Wen", "2026-11-02", CHINESE, 2, inLanguage="zh-Hant"),
    ], brand_keys='aspects = ["hinge"]')
    with SqliteStore(db) as store:
        by_author = {h.mention.author.name: h.mention for h in store.search("", size=10).hits}
        assert by_author["Mia"].aspects == (
            Aspect("screen", "positive"), Aspect("battery", "negative"),
            Aspect("hinge", "negative"), Aspect("quality", "negative"))  # flimsy: quality
        assert by_author["Wen"].aspects == (
            Aspect("screen", "positive"), Aspect("delivery", "negative"),
            Aspect("support", "negative"))
        # Mia's review is positive overall (4 stars): the aspect's polarity finds it.
        assert {h.mention.author.name for h in store.search("aspect:battery:negative").hits
                } == {"Mia"}
        assert store.count("aspect:screen:positive") == 2
