"""A real crawl (`mentionwatch crawl`, the default model) of a product page on 127.0.0.1 with
a polite 2-star review and a complaining 5-star one: the rating decides the overall label,
the text model's own label is kept beside it and is searchable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from index.sqlite import SqliteStore
from tests.loopback import Loopback, Reply

POLITE = "The staff were lovely and so friendly, thank you for your kind help!"
COMPLAINT = "Terrible battery, it died after an hour and the screen scratches easily. Awful."
PRODUCT = {
    "@context": "https://schema.org", "@type": "Product", "name": "Acme Phone X",
    "review": [
        {"@type": "Review", "author": {"@type": "Person", "name": "Polly"},
         "datePublished": "2026-11-01", "reviewBody": POLITE,
         "reviewRating": {"@type": "Rating", "ratingValue": 2, "bestRating": 5}},
        {"@type": "Review", "author": {"@type": "Person", "name": "Cam"},
         "datePublished": "2026-11-02", "reviewBody": COMPLAINT,
         "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5}},
    ],
}
PAGE = (f"<html><head><title>Acme Phone X</title><script type='application/ld+json'>"
        f"{json.dumps(PRODUCT)}</script></head><body>Acme Phone X</body></html>").encode()


def _answer(path: str) -> Reply:
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path == "/acme-phone-x.html":
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE
    return 404, {"Content-Type": "text/plain"}, b"not found"


def test_the_rating_decides_and_the_texts_label_is_findable(tmp_path: Path) -> None:
    watchlist, db = tmp_path / "mentionwatch.toml", tmp_path / "mentions.db"
    with Loopback(_answer) as site:
        watchlist.write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n[[brands.sources]]\n'
            f'type = "schemaorg"\nurl = "{site.url}/acme-phone-x.html"\n', encoding="utf-8")
        subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist),
                        "--db", str(db), "--allow-loopback"],
                       capture_output=True, text=True, timeout=300, check=True)
    with SqliteStore(db) as store:
        by_author = {h.mention.author.name: h.mention for h in store.search("", size=10).hits}
        assert set(by_author) == {"Polly", "Cam"}
        polite, complaint = by_author["Polly"], by_author["Cam"]
        assert polite.sentiment and polite.text_sentiment
        assert (polite.sentiment.label, polite.text_sentiment.label) == ("negative", "positive")
        assert complaint.sentiment and complaint.sentiment.label == "positive"
        found = {h.mention.author.name for h in store.search("text_sentiment:negative").hits}
        assert found == {"Cam"}
        assert store.count("rating>=4 text_sentiment:negative") == 1
