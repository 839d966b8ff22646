"""A real crawl (`mentionwatch crawl`, the default model) of a product page on 127.0.0.1:
each review gets its aspects with their own polarity, in English and Traditional Chinese,
the brand's own aspect terms from the watchlist included, and they are searchable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from index.record import Aspect
from index.sqlite import SqliteStore
from tests.loopback import Loopback, Reply

MIXED = "Love the screen, but the battery dies by noon and the hinge feels flimsy."
CHINESE = "螢幕很清晰，出貨很慢，客服沒人理。"
PRODUCT = {
    "@context": "https://schema.org", "@type": "Product", "name": "Acme Phone X",
    "review": [
        {"@type": "Review", "author": {"@type": "Person", "name": "Mia"},
         "datePublished": "2026-11-01", "reviewBody": MIXED,
         "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5}},
        {"@type": "Review", "author": {"@type": "Person", "name": "Wen"},
         "datePublished": "2026-11-02", "reviewBody": CHINESE, "inLanguage": "zh-Hant",
         "reviewRating": {"@type": "Rating", "ratingValue": 2, "bestRating": 5}},
    ],
}
PAGE = (f"<html><head><title>Acme Phone X</title><script type='application/ld+json'>"
        f"{json.dumps(PRODUCT, ensure_ascii=False)}</script></head><body>Acme</body></html>"
        ).encode()


def _answer(path: str) -> Reply:
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path == "/acme-phone-x.html":
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE
    return 404, {"Content-Type": "text/plain"}, b"not found"


def test_each_review_gets_its_aspects_with_their_own_polarity(tmp_path: Path) -> None:
    watchlist, db = tmp_path / "mentionwatch.toml", tmp_path / "mentions.db"
    with Loopback(_answer) as site:
        watchlist.write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\naspects = ["hinge"]\n\n'
            f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{site.url}/acme-phone-x.html"\n',
            encoding="utf-8")
        subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist),
                        "--db", str(db), "--allow-loopback"],
                       capture_output=True, text=True, timeout=300, check=True)
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
