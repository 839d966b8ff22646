"""A product page with schema.org reviews, served on 127.0.0.1 and crawled for real
(`mentionwatch crawl`, the default model): what the enrichment tests read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.loopback import Loopback, Reply


def review(author: str, day: str, body: str, stars: int, **extra: Any) -> dict[str, Any]:
    """A schema.org Review of 1-5 stars."""
    return {"@type": "Review", "author": {"@type": "Person", "name": author},
            "datePublished": day, "reviewBody": body,
            "reviewRating": {"@type": "Rating", "ratingValue": stars, "bestRating": 5}, **extra}


def crawl_product_page(tmp_path: Path, reviews: list[dict[str, Any]], *,
                       brand_keys: str = "") -> Path:
    """Crawl a page of Acme Phone X holding `reviews` for the brand Acme (with `brand_keys`,
    TOML lines, added to its table); the SQLite index file it wrote."""
    product = {"@context": "https://schema.org", "@type": "Product", "name": "Acme Phone X",
               "review": reviews}
    page = (f"<html><head><title>Acme Phone X</title><script type='application/ld+json'>"
            f"{json.dumps(product, ensure_ascii=False)}</script></head><body>Acme</body></html>"
            ).encode()

    def answer(path: str) -> Reply:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/acme-phone-x.html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        return 404, {"Content-Type": "text/plain"}, b"not found"

    watchlist, db = tmp_path / "mentionwatch.toml", tmp_path / "mentions.db"
    with Loopback(answer) as site:
        watchlist.write_text(
            f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n{brand_keys}\n'
            f'[[brands.sources]]\ntype = "schemaorg"\nurl = "{site.url}/acme-phone-x.html"\n',
            encoding="utf-8")
        subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist", str(watchlist),
                        "--db", str(db), "--allow-loopback"],
                       capture_output=True, text=True, timeout=300, check=True)
    return db
