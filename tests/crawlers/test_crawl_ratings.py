"""A real crawl (`mentionwatch crawl`, the default model) of a product page on 127.0.0.1 with
a polite 2-star review and a complaining 5-star one: the rating decides the overall label,
the text model's own label is kept beside it and is searchable."""

from __future__ import annotations

from pathlib import Path

from index.sqlite import SqliteStore
from tests.crawlers.product_page import crawl_product_page, review

POLITE = "The staff were lovely and so friendly, thank you for your kind help!"
COMPLAINT = "Terrible battery, it died after an hour and the screen scratches easily. Awful."


def test_the_rating_decides_and_the_texts_label_is_findable(tmp_path: Path) -> None:
    db = crawl_product_page(tmp_path, [
        review("Polly", "2026-11-01", POLITE, 2),
        review("Cam", "2026-11-02", COMPLAINT, 5),
    ])
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
