"""Open the mention store a setting names: an Elasticsearch URL or a SQLite file.

    store = open_store("http://localhost:9200")      # ElasticStore
    store = open_store("demo-data/mentionwatch.db")  # SqliteStore
    store = open_configured("mentionwatch.db")        # ELASTICSEARCH_URL if set, else the file
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from index.backend import MentionStore
from index.elastic import ElasticStore
from index.sqlite import SqliteStore

__all__ = ["ELASTICSEARCH_URL", "open_configured", "open_store"]

#: The environment variable that moves the index to Elasticsearch.
ELASTICSEARCH_URL = "ELASTICSEARCH_URL"


def open_store(url_or_path: str | os.PathLike[str]) -> MentionStore:
    """An `ElasticStore` for an http(s) URL, else a `SqliteStore` at that path."""
    target = os.fspath(url_or_path)
    if urlsplit(target).scheme in ("http", "https"):
        return ElasticStore(target)
    return SqliteStore(target)


def open_configured(db: str | os.PathLike[str]) -> MentionStore:
    """The store at `$ELASTICSEARCH_URL` when it is set (and not empty), else the SQLite
    file `db`."""
    return open_store(os.environ.get(ELASTICSEARCH_URL) or db)
